/* DHCP engine: RFC 2131 server behaviour, PXE boot answers and the pool
 * lease table.  See dhcp_engine.h. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_engine.h"
#include "log.h"
#include "util.h"

#define CLIENT_ID_MAX 64
#define UNKNOWN_LOG_SLOTS 256
#define UNKNOWN_LOG_INTERVAL 60
#define DECLINE_HOLD 3600

enum lease_state { L_FREE, L_OFFERED, L_BOUND, L_RELEASED, L_DECLINED };

struct lease {
	int64_t expires;
	int32_t next;             /* chain in the MAC hash, -1 ends */
	uint8_t state;
	uint8_t idlen;            /* 0: the owner is known by MAC only */
	uint8_t mac[6];
	uint8_t id[CLIENT_ID_MAX];
};

struct unknown_slot {
	uint8_t mac[6];
	int64_t when;
};

struct dhcp_engine {
	struct dhcp_config cfg;
	struct dhcp_backend be;
	struct dhcp_stats st;
	struct lease *leases;     /* one per pool address, in pool order */
	size_t nleases;
	size_t pool_base[DHCP_MAX_POOLS]; /* index of each range's first */
	int32_t *buckets;         /* MAC hash -> lease index */
	size_t nbuckets;          /* power of two */
	size_t cursor;            /* where the next free-address scan starts */
	uint32_t *reserved;       /* sorted */
	size_t nreserved;
	struct unknown_slot unknown[UNKNOWN_LOG_SLOTS];
	struct log_ratelimit rl;
};

/* The identity of the client of one message (RFC 2131 section 4.2:
 * client identifier if present, else chaddr). */
struct client {
	uint8_t mac[6];
	uint8_t id[CLIENT_ID_MAX];
	size_t idlen;
	char macs[MAC_STRLEN];
};

static const char *state_names[] = { "free", "offered", "bound", "released", "declined" };

static uint32_t
mac_hash(const uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h;
}

static int
lease_index(const struct dhcp_engine *e, uint32_t ip, size_t *idx)
{
	for (size_t i = 0; i < e->cfg.npools; i++) {
		if (ip >= e->cfg.pools[i].first && ip <= e->cfg.pools[i].last) {
			*idx = e->pool_base[i] + (ip - e->cfg.pools[i].first);
			return 0;
		}
	}
	return -1;
}

uint32_t
dhcp_engine_pool_addr(const struct dhcp_engine *e, size_t idx)
{
	for (size_t i = 0; i < e->cfg.npools; i++) {
		size_t n = e->cfg.pools[i].last - e->cfg.pools[i].first + 1;

		if (idx < e->pool_base[i] + n)
			return e->cfg.pools[i].first + (uint32_t)(idx - e->pool_base[i]);
	}
	return 0;
}

size_t
dhcp_engine_pool_size(const struct dhcp_engine *e)
{
	return e->nleases;
}

static void
chain_remove(struct dhcp_engine *e, size_t idx)
{
	int32_t *pp = &e->buckets[mac_hash(e->leases[idx].mac) & (e->nbuckets - 1)];

	while (*pp != -1) {
		if ((size_t)*pp == idx) {
			*pp = e->leases[idx].next;
			e->leases[idx].next = -1;
			return;
		}
		pp = &e->leases[*pp].next;
	}
}

static void
chain_add(struct dhcp_engine *e, size_t idx)
{
	int32_t *b = &e->buckets[mac_hash(e->leases[idx].mac) & (e->nbuckets - 1)];

	e->leases[idx].next = *b;
	*b = (int32_t)idx;
}

/* Give lease idx to client c (the lease leaves any previous owner). */
static void
lease_assign(struct dhcp_engine *e, size_t idx, const struct client *c)
{
	struct lease *l = &e->leases[idx];

	if (l->state != L_FREE)
		chain_remove(e, idx);
	memcpy(l->mac, c->mac, 6);
	l->idlen = (uint8_t)c->idlen;
	memcpy(l->id, c->id, c->idlen);
	chain_add(e, idx);
}

static int
owned_by(const struct lease *l, const struct client *c)
{
	if (memcmp(l->mac, c->mac, 6) != 0)
		return 0;
	/* A lease restored from the database knows only the MAC; a client
	 * without an identifier is known by its MAC too. */
	if (l->idlen == 0 || c->idlen == 0)
		return 1;
	return l->idlen == c->idlen && memcmp(l->id, c->id, c->idlen) == 0;
}

static int
is_reserved(const struct dhcp_engine *e, uint32_t ip)
{
	size_t lo = 0, hi = e->nreserved;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->reserved[mid] == ip)
			return 1;
		if (e->reserved[mid] < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* An address can be given to someone new. */
static int
lease_available(const struct dhcp_engine *e, size_t idx, int64_t now)
{
	const struct lease *l = &e->leases[idx];

	switch (l->state) {
	case L_FREE:
	case L_RELEASED:
		break;
	default:
		if (l->expires > now)
			return 0;
	}
	return !is_reserved(e, dhcp_engine_pool_addr(e, idx));
}

static int
find_lease(const struct dhcp_engine *e, const struct client *c, size_t *idx)
{
	int32_t i = e->buckets[mac_hash(c->mac) & (e->nbuckets - 1)];

	for (; i != -1; i = e->leases[i].next) {
		if (e->leases[i].state != L_DECLINED && owned_by(&e->leases[i], c)) {
			*idx = (size_t)i;
			return 0;
		}
	}
	return -1;
}

struct dhcp_engine *
dhcp_engine_new(const struct dhcp_config *cfg, const struct dhcp_backend *be, char *err,
    size_t errlen)
{
	struct dhcp_engine *e;
	size_t total = 0, i, j;

	if (cfg->nsubnets == 0 && cfg->mode == DHCP_MODE_SERVER) {
		snprintf(err, errlen, "no subnet to serve");
		return NULL;
	}
	for (i = 0; i < cfg->npools; i++) {
		const struct dhcp_range *r = &cfg->pools[i];
		int inside = 0;

		if (r->first > r->last) {
			snprintf(err, errlen, "pool range %zu ends before it starts", i + 1);
			return NULL;
		}
		for (j = 0; j < cfg->nsubnets; j++)
			if ((r->first & cfg->subnets[j].mask) == cfg->subnets[j].net &&
			    (r->last & cfg->subnets[j].mask) == cfg->subnets[j].net)
				inside = 1;
		if (!inside) {
			snprintf(err, errlen, "pool range %zu is not inside one served subnet", i + 1);
			return NULL;
		}
		for (j = 0; j < i; j++)
			if (r->first <= cfg->pools[j].last && cfg->pools[j].first <= r->last) {
				snprintf(err, errlen, "pool ranges %zu and %zu overlap", j + 1, i + 1);
				return NULL;
			}
		total += (size_t)(r->last - r->first) + 1;
		if (total > DHCP_POOL_MAX_ADDRS) {
			snprintf(err, errlen, "pools hold more than %u addresses", DHCP_POOL_MAX_ADDRS);
			return NULL;
		}
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->be = *be;
	e->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 20);
	e->nleases = total;
	for (i = 0, total = 0; i < cfg->npools; i++) {
		e->pool_base[i] = total;
		total += (size_t)(cfg->pools[i].last - cfg->pools[i].first) + 1;
	}
	for (e->nbuckets = 64; e->nbuckets < 2 * e->nleases; e->nbuckets *= 2)
		;
	e->leases = calloc(e->nleases ? e->nleases : 1, sizeof(*e->leases));
	e->buckets = malloc(e->nbuckets * sizeof(*e->buckets));
	if (e->leases == NULL || e->buckets == NULL) {
		dhcp_engine_free(e);
		snprintf(err, errlen, "out of memory for %zu leases", total);
		return NULL;
	}
	for (i = 0; i < e->nbuckets; i++)
		e->buckets[i] = -1;
	for (i = 0; i < e->nleases; i++)
		e->leases[i].next = -1;
	return e;
}

void
dhcp_engine_free(struct dhcp_engine *e)
{
	if (e == NULL)
		return;
	free(e->leases);
	free(e->buckets);
	free(e->reserved);
	free(e);
}

void
dhcp_engine_load_lease(struct dhcp_engine *e, uint32_t ip, const uint8_t mac[6],
    int64_t expires, const char *state)
{
	struct client c;
	size_t idx;
	int st;

	if (lease_index(e, ip, &idx) != 0)
		return;
	if (strcmp(state, "bound") == 0)
		st = L_BOUND;
	else if (strcmp(state, "declined") == 0)
		st = L_DECLINED;
	else if (strcmp(state, "released") == 0)
		st = L_RELEASED;
	else
		return;       /* offers are not durable, nothing to keep */
	memset(&c, 0, sizeof(c));
	memcpy(c.mac, mac, 6);
	lease_assign(e, idx, &c);
	e->leases[idx].state = (uint8_t)st;
	e->leases[idx].expires = expires;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
dhcp_engine_set_reserved(struct dhcp_engine *e, const uint32_t *ips, size_t n)
{
	uint32_t *r = NULL;

	if (n > 0) {
		if ((r = malloc(n * sizeof(*r))) == NULL)
			return -1;
		memcpy(r, ips, n * sizeof(*r));
		qsort(r, n, sizeof(*r), cmp_u32);
	}
	free(e->reserved);
	e->reserved = r;
	e->nreserved = n;
	return 0;
}

const struct dhcp_stats *
dhcp_engine_stats(const struct dhcp_engine *e)
{
	return &e->st;
}

static const struct dhcp_subnet *
find_subnet(const struct dhcp_engine *e, uint32_t addr)
{
	for (size_t i = 0; i < e->cfg.nsubnets; i++)
		if ((addr & e->cfg.subnets[i].mask) == e->cfg.subnets[i].net)
			return &e->cfg.subnets[i];
	return NULL;
}

static int
in_subnet(const struct dhcp_subnet *s, uint32_t addr)
{
	return (addr & s->mask) == s->net;
}

static void
fmt_ip(uint32_t host, char out[IPV4_STRLEN])
{
	ipv4_format(htonl(host), out);
}

/* Log an unknown MAC at most once a minute per MAC (a testbed with the
 * pool off hears every foreign PXE ROM on the segment). */
static void
log_unknown(struct dhcp_engine *e, const struct client *c, int64_t now)
{
	struct unknown_slot *s = &e->unknown[mac_hash(c->mac) % UNKNOWN_LOG_SLOTS];

	if (memcmp(s->mac, c->mac, 6) == 0 && now - s->when < UNKNOWN_LOG_INTERVAL)
		return;
	memcpy(s->mac, c->mac, 6);
	s->when = now;
	log_info("dhcp: %s is not a registered node and the pool is off: no answer", c->macs);
}

/* PXE facts about a client (RFC 4578; iPXE's own conventions). */
struct boot_kind {
	int pxe;      /* option 60 starts with PXEClient */
	int http;     /* option 60 starts with HTTPClient (UEFI HTTP boot) */
	int ipxe;     /* already running iPXE: option 175 or user class iPXE */
	int arch;     /* option 93, first entry; -1 if absent */
};

static void
classify(const struct dhcp_msg *m, struct boot_kind *k)
{
	const uint8_t *v;
	size_t len;

	memset(k, 0, sizeof(*k));
	k->arch = -1;
	if ((v = dhcp_opt_get(m, DHO_VENDOR_CLASS, &len)) != NULL) {
		if (len >= 9 && memcmp(v, "PXEClient", 9) == 0)
			k->pxe = 1;
		if (len >= 10 && memcmp(v, "HTTPClient", 10) == 0)
			k->http = 1;
	}
	if (dhcp_opt_get(m, DHO_IPXE_ENCAP, NULL) != NULL)
		k->ipxe = 1;
	/* iPXE sends the bare string; RFC 3004 user classes are
	 * length-prefixed, so look for the word anywhere. */
	if ((v = dhcp_opt_get(m, DHO_USER_CLASS, &len)) != NULL)
		for (size_t i = 0; i + 4 <= len; i++)
			if (memcmp(v + i, "iPXE", 4) == 0)
				k->ipxe = 1;
	if ((v = dhcp_opt_get(m, DHO_CLIENT_ARCH, &len)) != NULL && len >= 2)
		k->arch = v[0] << 8 | v[1];
}

static const char *
arch_binary(const struct dhcp_engine *e, int arch)
{
	switch (arch) {
	case -1:
	case 0:       /* x86 BIOS */
		return e->cfg.ipxe_bios;
	case 6:       /* EFI IA32 */
		return e->cfg.ipxe_efi32;
	case 7:       /* EFI BC (x86-64 in practice) */
	case 9:       /* EFI x86-64 */
	case 16:      /* x86-64 UEFI HTTP */
		return e->cfg.ipxe_efi64;
	}
	return NULL;
}

/* Boot answer: which file, over which protocol.  Returns 0 when the
 * client is not booting from the network (nothing to add). */
static int
add_boot(struct dhcp_engine *e, const struct dhcp_msg *m, const struct client *c,
    const struct boot_kind *k, uint32_t server_id, struct dhcp_out *out, uint32_t *siaddr)
{
	char file[400], base[256], sid[IPV4_STRLEN], ns[IPV4_STRLEN];
	uint32_t next = e->cfg.next_server ? e->cfg.next_server : server_id;
	const char *bin;
	const uint8_t *v;
	size_t len;

	if (!k->pxe && !k->http && !k->ipxe)
		return 0;
	fmt_ip(server_id, sid);
	fmt_ip(next, ns);
	if (e->cfg.boot_url[0] != '\0')
		snprintf(base, sizeof(base), "%s", e->cfg.boot_url);
	else
		snprintf(base, sizeof(base), "http://%s:8080", sid);
	if (k->ipxe) {
		/* iPXE fetches its per-node script over HTTP (issue 4). */
		snprintf(file, sizeof(file), "%s/boot/%s.ipxe", base, c->macs);
	} else {
		if ((bin = arch_binary(e, k->arch)) == NULL || bin[0] == '\0') {
			log_limited(&e->rl, LOG_WARNING, "dhcp: %s: no iPXE binary for client "
			    "architecture %d", c->macs, k->arch);
			return 0;
		}
		if (k->http)
			snprintf(file, sizeof(file), "%s/%s", base, bin);
		else
			snprintf(file, sizeof(file), "%s", bin);
	}
	if (!k->http) {
		*siaddr = next;
		dhcp_out_set_sname(out, ns);
		(void)dhcp_out_opt(out, DHO_TFTP_SERVER, ns, strlen(ns));
	}
	/* The file field holds 127 characters; option 67 carries any
	 * length, and PXE ROMs read the field (PXE 2.1 spec). */
	if (strlen(file) < 128)
		dhcp_out_set_file(out, file);
	(void)dhcp_out_opt(out, DHO_BOOTFILE, file, strlen(file));
	if (k->http) {
		(void)dhcp_out_opt(out, DHO_VENDOR_CLASS, "HTTPClient", 10);
	} else if (k->pxe) {
		/* PXE 2.1 spec: echo the class, and PXE_DISCOVERY_CONTROL
		 * (vendor sub-option 6) bit 3: boot the file named here
		 * without boot-server discovery or a menu. */
		static const uint8_t pxe43[] = { 6, 1, 8, 255 };

		(void)dhcp_out_opt(out, DHO_VENDOR_CLASS, "PXEClient", 9);
		(void)dhcp_out_opt(out, DHO_VENDOR_ENCAP, pxe43, sizeof(pxe43));
	}
	if ((v = dhcp_opt_get(m, DHO_CLIENT_UUID, &len)) != NULL)
		(void)dhcp_out_opt(out, DHO_CLIENT_UUID, v, len);
	return 1;
}

static void
add_net_options(struct dhcp_engine *e, const struct dhcp_msg *m, const struct dhcp_subnet *s,
    const struct dhcp_node *node, struct dhcp_out *out)
{
	uint32_t router = s->router ? s->router : ntohl(m->giaddr);
	uint32_t dns[DHCP_MAX_DNS];

	(void)dhcp_out_u32(out, DHO_SUBNET_MASK, s->mask);
	if (router != 0)
		(void)dhcp_out_u32(out, DHO_ROUTERS, router);
	if (e->cfg.ndns > 0) {
		for (size_t i = 0; i < e->cfg.ndns; i++)
			dns[i] = htonl(e->cfg.dns[i]);
		(void)dhcp_out_opt(out, DHO_DNS, dns, e->cfg.ndns * 4);
	}
	if (e->cfg.domain[0] != '\0')
		(void)dhcp_out_opt(out, DHO_DOMAIN_NAME, e->cfg.domain, strlen(e->cfg.domain));
	if (node != NULL && node->name[0] != '\0')
		(void)dhcp_out_opt(out, DHO_HOST_NAME, node->name, strlen(node->name));
}

static void
add_lease_times(struct dhcp_engine *e, struct dhcp_out *out)
{
	uint32_t t = e->cfg.lease_time;

	/* RFC 2131 4.4.5: T1 = 0.5 and T2 = 0.875 of the lease. */
	(void)dhcp_out_u32(out, DHO_LEASE_TIME, t);
	(void)dhcp_out_u32(out, DHO_T1, t / 2);
	(void)dhcp_out_u32(out, DHO_T2, (uint32_t)((uint64_t)t * 7 / 8));
}

/* RFC 2131 section 4.1, "If the 'giaddr' field ... is nonzero". */
static void
set_dest(const struct dhcp_msg *m, const struct dhcp_rx *rx, struct dhcp_reply *r,
    uint32_t yiaddr)
{
	r->ifindex = rx->ifindex;
	r->src_addr = rx->local_addr;
	r->dst_port = 68;
	if (rx->dst_port == 4011) {
		/* proxyDHCP boot-server exchange: the client has an address. */
		r->dest = DEST_UNICAST;
		r->dst_addr = rx->src_addr;
		r->dst_port = rx->src_port;
	} else if (m->giaddr != 0) {
		r->dest = DEST_UNICAST;
		r->dst_addr = ntohl(m->giaddr);
		r->dst_port = 67;
	} else if (r->msgtype == DHCPNAK) {
		r->dest = DEST_BROADCAST;
	} else if (m->ciaddr != 0) {
		r->dest = DEST_UNICAST;
		r->dst_addr = ntohl(m->ciaddr);
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || yiaddr == 0 || m->htype != 1 ||
	    m->hlen != 6) {
		r->dest = DEST_BROADCAST;
	} else {
		r->dest = DEST_LINK;
		r->dst_addr = yiaddr;
		memcpy(r->dst_mac, m->chaddr, 6);
	}
}

static void
start_reply(struct dhcp_reply *r, const struct dhcp_msg *m, int type, uint32_t server_id)
{
	memset(&r->dest, 0, sizeof(*r) - offsetof(struct dhcp_reply, dest));
	r->msgtype = type;
	dhcp_out_init(&r->out, m, type);
	(void)dhcp_out_u32(&r->out, DHO_SERVER_ID, server_id);
}

static int
nak(struct dhcp_engine *e, const struct dhcp_msg *m, const struct dhcp_rx *rx,
    struct dhcp_reply *r, const struct client *c, const char *why)
{
	start_reply(r, m, DHCPNAK, rx->local_addr);
	(void)dhcp_out_opt(&r->out, DHO_MESSAGE, why, strlen(why));
	dhcp_out_finish(&r->out);
	set_dest(m, rx, r, 0);
	e->st.naks++;
	log_limited(&e->rl, LOG_INFO, "dhcp: NAK to %s: %s", c->macs, why);
	return 1;
}

/* The address this client should have: reserved for its node, or its
 * pool lease.  Returns 1 found (with *pool_idx = -1 for reservations),
 * 0 none, -1 database error. */
static int
client_binding(struct dhcp_engine *e, const struct client *c, const struct dhcp_node *node,
    int has_node, uint32_t *ip, long *pool_idx)
{
	size_t idx;

	if (has_node && node->ip != 0) {
		*ip = node->ip;
		*pool_idx = -1;
		return 1;
	}
	if (find_lease(e, c, &idx) == 0) {
		*ip = dhcp_engine_pool_addr(e, idx);
		*pool_idx = (long)idx;
		return 1;
	}
	return 0;
}

/* Choose a pool address for a new client in subnet s (RFC 2131 4.3.1:
 * its previous address, else the one it asks for, else a free one). */
static int
pool_pick(struct dhcp_engine *e, const struct dhcp_subnet *s, const struct client *c,
    uint32_t requested, int64_t now, size_t *out)
{
	size_t idx, i;

	if (requested != 0 && in_subnet(s, requested) && lease_index(e, requested, &idx) == 0 &&
	    lease_available(e, idx, now)) {
		*out = idx;
		return 0;
	}
	for (i = 0; i < e->nleases; i++) {
		idx = (e->cursor + i) % e->nleases;
		if (lease_available(e, idx, now) && in_subnet(s, dhcp_engine_pool_addr(e, idx))) {
			e->cursor = idx + 1;
			*out = idx;
			return 0;
		}
	}
	(void)c;
	return -1;
}

static int
persist(struct dhcp_engine *e, size_t idx, const struct client *c)
{
	struct lease *l = &e->leases[idx];

	if (e->be.lease_write(e->be.ctx, dhcp_engine_pool_addr(e, idx), c->mac, l->expires,
	    state_names[l->state]) != 0) {
		e->st.dberr++;
		return -1;
	}
	return 0;
}

static int
handle_server(struct dhcp_engine *e, const struct dhcp_msg *m, const struct dhcp_rx *rx,
    struct dhcp_reply *r, const struct client *c, const struct boot_kind *k)
{
	const struct dhcp_subnet *s;
	struct dhcp_node node;
	uint32_t link = m->giaddr ? ntohl(m->giaddr) : rx->local_addr;
	uint32_t reqip = 0, sid = 0, ip = 0, ciaddr = ntohl(m->ciaddr), siaddr = 0;
	char ips[IPV4_STRLEN];
	int has_node = 0, found;
	long pidx = -1;
	size_t idx;

	if ((s = find_subnet(e, link)) == NULL) {
		fmt_ip(link, ips);
		log_limited(&e->rl, LOG_INFO, "dhcp: %s %s via %s: no subnet served there",
		    dhcp_msgtype_name(m->msgtype), c->macs, ips);
		e->st.ignored++;
		return 0;
	}
	memset(&node, 0, sizeof(node));
	if (m->htype == 1 && m->hlen == 6) {
		has_node = e->be.node_by_mac(e->be.ctx, c->mac, &node);
		if (has_node < 0) {
			e->st.dberr++;
			return 0;
		}
	}
	(void)dhcp_opt_u32(m, DHO_REQUESTED_ADDR, &reqip);
	(void)dhcp_opt_u32(m, DHO_SERVER_ID, &sid);

	switch (m->msgtype) {
	case DHCPDISCOVER:
		found = client_binding(e, c, &node, has_node, &ip, &pidx);
		if (found && pidx < 0 && !in_subnet(s, ip)) {
			fmt_ip(ip, ips);
			log_limited(&e->rl, LOG_WARNING, "dhcp: node %s (%s) asks from a "
			    "subnet that does not hold its address %s", node.name, c->macs, ips);
			e->st.ignored++;
			return 0;
		}
		if (found && pidx >= 0 && !in_subnet(s, ip))
			found = 0;
		if (!found) {
			if (has_node && node.ip == 0)
				log_limited(&e->rl, LOG_INFO, "dhcp: node %s has no reserved "
				    "address; trying the pool", node.name);
			if (e->cfg.npools == 0) {
				e->st.unknown++;
				log_unknown(e, c, rx->now);
				return 0;
			}
			if (pool_pick(e, s, c, reqip, rx->now, &idx) != 0) {
				e->st.noaddr++;
				log_limited(&e->rl, LOG_WARNING, "dhcp: pool exhausted: no "
				    "address for %s", c->macs);
				return 0;
			}
			pidx = (long)idx;
			ip = dhcp_engine_pool_addr(e, idx);
		}
		if (pidx >= 0) {
			struct lease *l = &e->leases[pidx];

			/* Hold the address while the client decides; a bound
			 * lease keeps its longer expiry. */
			if (l->state != L_BOUND || l->expires <= rx->now) {
				lease_assign(e, (size_t)pidx, c);
				l->state = L_OFFERED;
				l->expires = rx->now + e->cfg.offer_hold;
			}
		}
		start_reply(r, m, DHCPOFFER, rx->local_addr);
		add_lease_times(e, &r->out);
		add_net_options(e, m, s, has_node ? &node : NULL, &r->out);
		(void)add_boot(e, m, c, k, rx->local_addr, &r->out, &siaddr);
		dhcp_out_finish(&r->out);
		dhcp_out_set_addrs(&r->out, 0, htonl(ip), htonl(siaddr));
		set_dest(m, rx, r, ip);
		e->st.offers++;
		return 1;

	case DHCPREQUEST:
		if (sid != 0 && sid != rx->local_addr) {
			/* SELECTING another server: release our offer. */
			if (find_lease(e, c, &idx) == 0 && e->leases[idx].state == L_OFFERED) {
				chain_remove(e, idx);
				e->leases[idx].state = L_FREE;
			}
			e->st.ignored++;
			return 0;
		}
		found = client_binding(e, c, &node, has_node, &ip, &pidx);
		if (sid != 0 || (reqip != 0 && ciaddr == 0)) {
			/* SELECTING or INIT-REBOOT: the address asked for. */
			if (reqip == 0)
				return nak(e, m, rx, r, c, "no requested address");
			if (!in_subnet(s, reqip))
				return nak(e, m, rx, r, c, "wrong network");
			if (!found) {
				/* INIT-REBOOT from a client we do not know: take it
				 * if the pool can, else stay silent (4.3.2) unless
				 * the address is plainly someone else's. */
				if (e->cfg.npools == 0 || has_node) {
					e->st.ignored++;
					return 0;
				}
				if (lease_index(e, reqip, &idx) != 0 ||
				    !lease_available(e, idx, rx->now))
					return nak(e, m, rx, r, c, "address not available");
				pidx = (long)idx;
				ip = reqip;
			} else if (ip != reqip) {
				return nak(e, m, rx, r, c, "not your address");
			}
		} else if (ciaddr != 0) {
			/* RENEWING or REBINDING. */
			if (!found) {
				if (e->cfg.npools == 0 || lease_index(e, ciaddr, &idx) != 0) {
					e->st.ignored++;
					return 0;
				}
				if (!lease_available(e, idx, rx->now))
					return nak(e, m, rx, r, c, "address not available");
				pidx = (long)idx;
				ip = ciaddr;
			} else if (ip != ciaddr) {
				return nak(e, m, rx, r, c, "not your address");
			}
		} else {
			e->st.bad++;
			return 0;
		}
		if (pidx >= 0 && !in_subnet(s, ip))
			return nak(e, m, rx, r, c, "wrong network");
		start_reply(r, m, DHCPACK, rx->local_addr);
		if (pidx >= 0) {
			struct lease *l = &e->leases[pidx];

			lease_assign(e, (size_t)pidx, c);
			l->state = L_BOUND;
			l->expires = rx->now + e->cfg.lease_time;
			if (persist(e, (size_t)pidx, c) != 0)
				return 0;
			r->durable = 1;
		}
		add_lease_times(e, &r->out);
		add_net_options(e, m, s, has_node ? &node : NULL, &r->out);
		(void)add_boot(e, m, c, k, rx->local_addr, &r->out, &siaddr);
		dhcp_out_finish(&r->out);
		dhcp_out_set_addrs(&r->out, m->ciaddr, htonl(ip), htonl(siaddr));
		set_dest(m, rx, r, ip);
		r->durable = pidx >= 0;
		e->st.acks++;
		return 1;

	case DHCPINFORM:
		/* RFC 2131 4.3.5: configuration only, no lease, no yiaddr. */
		if (ciaddr == 0) {
			e->st.bad++;
			return 0;
		}
		start_reply(r, m, DHCPACK, rx->local_addr);
		add_net_options(e, m, s, has_node ? &node : NULL, &r->out);
		(void)add_boot(e, m, c, k, rx->local_addr, &r->out, &siaddr);
		dhcp_out_finish(&r->out);
		dhcp_out_set_addrs(&r->out, m->ciaddr, 0, htonl(siaddr));
		set_dest(m, rx, r, 0);
		e->st.informs++;
		return 1;

	case DHCPRELEASE:
		e->st.releases++;
		if (sid != rx->local_addr || find_lease(e, c, &idx) != 0 ||
		    dhcp_engine_pool_addr(e, idx) != ciaddr)
			return 0;
		e->leases[idx].state = L_RELEASED;
		e->leases[idx].expires = rx->now;
		(void)persist(e, idx, c);
		return 0;

	case DHCPDECLINE:
		e->st.declines++;
		fmt_ip(reqip, ips);
		log_warn("dhcp: %s declined %s: the address is in use by someone else", c->macs,
		    ips);
		if (sid != rx->local_addr || find_lease(e, c, &idx) != 0 ||
		    dhcp_engine_pool_addr(e, idx) != reqip)
			return 0;
		/* RFC 2131 4.3.3: mark the address unusable. */
		e->leases[idx].state = L_DECLINED;
		e->leases[idx].expires = rx->now + DECLINE_HOLD;
		(void)persist(e, idx, c);
		return 0;
	}
	e->st.ignored++;
	return 0;
}

/* proxyDHCP (PXE 2.1 spec section 2.2.3): answer PXE clients with boot
 * information only, on 67 (DISCOVER) and 4011 (REQUEST). */
static int
handle_proxy(struct dhcp_engine *e, const struct dhcp_msg *m, const struct dhcp_rx *rx,
    struct dhcp_reply *r, const struct client *c, const struct boot_kind *k)
{
	uint32_t sid = 0, siaddr = 0;
	int type;

	if (!k->pxe && !k->http) {
		log_debug("dhcp: proxy: %s %s is not from a PXE client: ignored",
		    dhcp_msgtype_name(m->msgtype), c->macs);
		e->st.ignored++;
		return 0;
	}
	(void)dhcp_opt_u32(m, DHO_SERVER_ID, &sid);
	if (m->msgtype == DHCPDISCOVER && rx->dst_port == 67)
		type = DHCPOFFER;
	else if (m->msgtype == DHCPREQUEST && (rx->dst_port == 4011 || sid == rx->local_addr))
		type = DHCPACK;
	else if (m->msgtype == DHCPINFORM && rx->dst_port == 4011)
		type = DHCPACK;
	else {
		e->st.ignored++;
		return 0;
	}
	start_reply(r, m, type, rx->local_addr);
	if (add_boot(e, m, c, k, rx->local_addr, &r->out, &siaddr) == 0) {
		e->st.ignored++;
		return 0;
	}
	dhcp_out_finish(&r->out);
	dhcp_out_set_addrs(&r->out, rx->dst_port == 4011 ? m->ciaddr : 0, 0, htonl(siaddr));
	set_dest(m, rx, r, 0);
	if (type == DHCPOFFER)
		e->st.offers++;
	else
		e->st.acks++;
	return 1;
}

int
dhcp_engine_handle(struct dhcp_engine *e, const struct dhcp_msg *m, const struct dhcp_rx *rx,
    struct dhcp_reply *r)
{
	struct boot_kind k;
	struct client c;
	const uint8_t *v;
	size_t len;

	e->st.rx++;
	if (m->op != BOOTREQUEST || m->msgtype == 0) {
		/* Plain BOOTP is not served: every client here speaks DHCP. */
		e->st.ignored++;
		return 0;
	}
	memset(&c, 0, sizeof(c));
	memcpy(c.mac, m->chaddr, 6);
	mac_format(c.mac, c.macs);
	if ((v = dhcp_opt_get(m, DHO_CLIENT_ID, &len)) != NULL) {
		c.idlen = len < CLIENT_ID_MAX ? len : CLIENT_ID_MAX;
		memcpy(c.id, v, c.idlen);
	}
	classify(m, &k);
	if (e->cfg.mode == DHCP_MODE_PROXY)
		return handle_proxy(e, m, rx, r, &c, &k);
	if (rx->dst_port == 4011) {
		/* A PXE client asking the boot server directly: same answer
		 * as the proxy gives, without touching leases. */
		return handle_proxy(e, m, rx, r, &c, &k);
	}
	return handle_server(e, m, rx, r, &c, &k);
}
