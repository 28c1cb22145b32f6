/* The HTTP boot service of bootsrv (libevent evhttp): files under
 * http_root with Range support, and the per-node iPXE script
 * GET /boot/MAC.ipxe built from the testbed database. */
#ifndef SPRINGOS_HTTPBOOT_H
#define SPRINGOS_HTTPBOOT_H

struct event_base;
struct conf;
struct erm;

/* Bind [bootsrv] http_listen and serve.  Runs when http = yes, or when
 * http is not written and http_root is; otherwise does nothing.
 * Reads the token secret now (before privileges are dropped).  db stays
 * owned by the caller and must outlive the loop.  Returns 0 or -1 after
 * logging why. */
int http_service_start(struct event_base *base, const struct conf *conf, struct erm *db);
/* Before event_base_free: closes every connection and frees the service. */
void http_service_stop(void);

#endif
