/* The TFTP service of bootsrv: read requests (and, when enabled, confined
 * write requests) served from one root directory on the bootsrv event
 * loop.  RFC 1350, 2347, 2348, 2349, 7440. */
#ifndef SPRINGOS_TFTP_H
#define SPRINGOS_TFTP_H

#include <stdint.h>

struct event_base;
struct conf;
struct tftp_server;

struct tftp_params {
	const char *listen;        /* "ADDR:PORT" */
	const char *root;          /* served directory */
	int write_enabled;         /* accept WRQ (new files only) */
	uint64_t write_max;        /* largest upload, bytes */
	unsigned max_transfers;    /* concurrent transfers; more get "busy" */
	unsigned retries;          /* retransmissions before giving up */
	unsigned timeout_ms;       /* retransmission timer unless the client sets one */
	unsigned max_blksize;      /* cap on the negotiated block size */
	unsigned max_window;       /* cap on the negotiated window size */
};

/* Open the socket and root, and add the service to base.  Returns 0 or
 * -1 after logging why. */
int tftp_start(struct event_base *base, const struct tftp_params *p,
    struct tftp_server **out);
void tftp_stop(struct tftp_server *srv); /* NULL is a no-op */
unsigned tftp_active(const struct tftp_server *srv);

/* The same from the [bootsrv] tftp_* keys.  The service runs when
 * tftp = yes, or when tftp is not written and tftp_root is; otherwise
 * this does nothing.  The server lives until exit. */
int tftp_service_start(struct event_base *base, const struct conf *conf);
/* Before event_base_free: ends every transfer and frees the service. */
void tftp_service_stop(void);

#endif
