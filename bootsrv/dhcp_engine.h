/* The DHCP engine: decides what to answer to one parsed client message
 * (RFC 2131 section 4.3, PXE per RFC 4578, proxyDHCP), owns the pool
 * lease table, and says where the reply goes (section 4.1).  It does no
 * I/O: reservations and lease durability go through the backend
 * callbacks, so unit tests drive it with plain functions. */
#ifndef BOOTSRV_DHCP_ENGINE_H
#define BOOTSRV_DHCP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "dhcp_parse.h"

#define DHCP_MAX_SUBNETS 16
#define DHCP_MAX_POOLS 16
#define DHCP_MAX_DNS 4
#define DHCP_POOL_MAX_ADDRS (1u << 20) /* hard bound on the lease table */

enum dhcp_mode { DHCP_MODE_OFF, DHCP_MODE_SERVER, DHCP_MODE_PROXY };

/* All addresses here are in host byte order. */
struct dhcp_subnet {
	uint32_t net, mask;
	uint32_t router;   /* 0: none (relayed subnets default to giaddr) */
};

struct dhcp_range {
	uint32_t first, last;
};

struct dhcp_config {
	enum dhcp_mode mode;
	struct dhcp_subnet subnets[DHCP_MAX_SUBNETS];
	size_t nsubnets;
	struct dhcp_range pools[DHCP_MAX_POOLS];
	size_t npools;
	uint32_t lease_time;      /* seconds */
	uint32_t offer_hold;      /* seconds an offered address stays held */
	uint32_t dns[DHCP_MAX_DNS];
	size_t ndns;
	char domain[128];
	uint32_t next_server;     /* TFTP server; 0: the server identifier */
	char boot_url[200];       /* HTTP base, "" = http://SERVER-ID:8080 */
	char ipxe_bios[100];      /* TFTP names of the iPXE binaries */
	char ipxe_efi64[100];
	char ipxe_efi32[100];
};

/* What the testbed database says about a management MAC. */
struct dhcp_node {
	char name[64];
	uint32_t ip;              /* reserved address, 0 if none */
};

struct dhcp_backend {
	/* 1 found, 0 not a node's management MAC, -1 database error. */
	int (*node_by_mac)(void *ctx, const uint8_t mac[6], struct dhcp_node *out);
	/* Make a pool lease durable (state: bound, released, declined);
	 * 0 or -1.  The reply that depends on it is marked `durable` and
	 * must be sent only once the backend has committed. */
	int (*lease_write)(void *ctx, uint32_t ip, const uint8_t mac[6], int64_t expires,
	    const char *state);
	void *ctx;
};

/* Where a message came from. */
struct dhcp_rx {
	int ifindex;
	uint32_t local_addr;      /* our address it reached (server id) */
	uint32_t src_addr;
	uint16_t src_port;
	uint16_t dst_port;        /* 67, or 4011 for proxyDHCP */
	int64_t now;
};

enum dhcp_dest {
	DEST_UNICAST,             /* dst_addr:dst_port through the socket */
	DEST_BROADCAST,           /* 255.255.255.255:68 out of ifindex */
	DEST_LINK,                /* to yiaddr at chaddr: raw frame (no ARP yet) */
};

struct dhcp_reply {
	struct dhcp_out out;
	enum dhcp_dest dest;
	uint32_t dst_addr;
	uint16_t dst_port;
	uint8_t dst_mac[6];
	uint32_t src_addr;
	int ifindex;
	int durable;              /* send only after the backend committed */
	int msgtype;
};

struct dhcp_stats {
	unsigned long rx, bad, ignored, offers, acks, naks, informs, releases,
	    declines, unknown, noaddr, dberr;
};

struct dhcp_engine;

/* Checks the configuration and builds the lease table.  On error returns
 * NULL with a sentence in err. */
struct dhcp_engine *dhcp_engine_new(const struct dhcp_config *cfg,
    const struct dhcp_backend *be, char *err, size_t errlen);
void dhcp_engine_free(struct dhcp_engine *e);   /* NULL is a no-op */

/* Restore a lease read back from the database at start-up. */
void dhcp_engine_load_lease(struct dhcp_engine *e, uint32_t ip, const uint8_t mac[6],
    int64_t expires, const char *state);
/* Iterate over the pool addresses (for loading); returns count. */
size_t dhcp_engine_pool_size(const struct dhcp_engine *e);
uint32_t dhcp_engine_pool_addr(const struct dhcp_engine *e, size_t i);
/* Addresses reserved for nodes: never handed out from the pool.  The
 * array is copied (sorted).  Returns 0 or -1 (out of memory). */
int dhcp_engine_set_reserved(struct dhcp_engine *e, const uint32_t *ips, size_t n);

/* Handle one parsed message.  Returns 1 with *r filled when there is
 * something to send, 0 when the message is dropped or needs no answer. */
int dhcp_engine_handle(struct dhcp_engine *e, const struct dhcp_msg *m,
    const struct dhcp_rx *rx, struct dhcp_reply *r);

const struct dhcp_stats *dhcp_engine_stats(const struct dhcp_engine *e);

#endif
