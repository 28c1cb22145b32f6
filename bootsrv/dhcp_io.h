/* DHCP sockets: the UDP sockets on 67 (and 4011 for proxyDHCP), and raw
 * frames through libpcap for replies to clients that have no address
 * yet and did not ask for broadcast (RFC 2131 section 4.1). */
#ifndef BOOTSRV_DHCP_IO_H
#define BOOTSRV_DHCP_IO_H

#include <stdint.h>

#include <event2/event.h>

#include "dhcp_engine.h"

#define DHCP_IO_MAX_IFACES 32
#define DHCP_IO_BURST 256 /* messages handled per wakeup; also the batch size */

struct dhcp_io_hooks {
	/* Called once per burst with the replies that depend on the burst's
	 * lease writes (n may be 0: writes without replies, e.g. RELEASE).
	 * The callee copies them and sends each with dhcp_io_send() once the
	 * writes are durable.  Returns 0, or -1 (then they are dropped). */
	int (*submit)(void *ctx, const struct dhcp_reply *replies, size_t n);
	void *ctx;
};

/* Send one reply now (from the event loop thread only). */
void dhcp_io_send(const struct dhcp_reply *r);

/* Opens the sockets (needs privileges).  ifnames: NULL-terminated list
 * of interfaces to serve, or NULL/empty for all with an IPv4 address.
 * proxy: also listen on 4011.  port: 67 normally (tests may differ).
 * Returns 0 or -1 with a sentence in err. */
int dhcp_io_open(struct event_base *base, const char *const *ifnames, int proxy,
    uint16_t port, struct dhcp_engine *engine, const struct dhcp_io_hooks *hooks,
    char *err, size_t errlen);
void dhcp_io_close(void);

#endif
