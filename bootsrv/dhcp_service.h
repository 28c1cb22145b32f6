/* The DHCP service of bootsrv: reads [bootsrv] from springos.ini, answers
 * from the testbed database, runs on the caller's event loop. */
#ifndef BOOTSRV_DHCP_SERVICE_H
#define BOOTSRV_DHCP_SERVICE_H

#include <event2/event.h>

struct conf;
struct erm;
struct dhcp_config;

/* Opens its sockets (call before dropping privileges).  Returns 0, or -1
 * after logging why.  With dhcp_mode = off it does nothing. */
int dhcp_service_start(struct event_base *base, const struct conf *conf, struct erm *db);
void dhcp_service_stop(void);

/* Translate the [bootsrv] and [testbed] keys into an engine config.
 * Returns 0 or -1 with "[bootsrv] key: what is wrong" in err. */
int dhcp_config_from_conf(const struct conf *conf, struct dhcp_config *cfg, char *err,
    size_t errlen);

#endif
