/* mcast_srv: imaged's multicast server engine (libevent).  One UDP socket
 * on the control port answers every image's receivers; each sosimg image
 * has a session with its own group, a deduplicating send queue and an
 * adaptive send rate under a configured ceiling. */
#ifndef SPRINGOS_MCAST_SRV_H
#define SPRINGOS_MCAST_SRV_H

#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

struct msrv;

struct msrv_cfg {
	uint32_t addr;        /* local address (network order) to bind and send from */
	uint16_t port;        /* control port; groups use the same port */
	uint32_t group_base;  /* first group (network order); image i gets base + i */
	long rate_max_kbps;   /* ceiling, kbit/s */
	long rate_start_kbps; /* 0: a quarter of the ceiling */
	int ttl;
	int loss_backoff_pct; /* slow down when a receiver loses more than this */
	long flow_floor_kbps; /* the slowest receiver's window never holds the
	                       * group below this rate (0: it always may) */
	int gather_ms;        /* an idle image's first request waits until no
	                       * receiver has joined for this long (at most
	                       * 8 times it), so receivers booting together
	                       * share the stream from its start; 0: no wait */
};

struct msrv *msrv_new(struct event_base *base, const struct msrv_cfg *cfg, char *err,
    size_t errlen);
void msrv_free(struct msrv *m);
/* Serve a sosimg image under name.  Its index is loaded and checked. */
int msrv_add_image(struct msrv *m, const char *name, const char *path, char *err,
    size_t errlen);
/* {"images": [{"name", "group", "port", "rate_kbps", "bytes_multicast",
 * "bytes_unicast", "stored", "receivers": [{...}]}]} (new reference). */
json_t *msrv_progress(struct msrv *m);
/* The group address an image is served on (network order), 0 if none. */
uint32_t msrv_group(struct msrv *m, const char *name);

#endif
