/* The DHCP service: configuration, the testbed-database backend and the
 * timers.  See dhcp_service.h.
 *
 * Node reservations are cached in memory and re-read every few seconds.
 * Pool leases are made durable by a writer thread with its own database
 * connection: the event loop hands it each burst's lease writes together
 * with the ACKs that depend on them; the thread commits everything that
 * queued up while the previous commit was on its way to disk (group
 * commit, synchronous = FULL), then wakes the loop through an eventfd to
 * send those ACKs.  So an ACK never leaves before its lease is on disk,
 * and the loop never waits for the disk. */
#include <sys/eventfd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dhcp_engine.h"
#include "dhcp_io.h"
#include "dhcp_service.h"
#include "erm.h"
#include "log.h"
#include "util.h"

#define NODE_REFRESH_SECS 3
#define NODE_CACHE_MAX (1u << 20)
#define MAX_IFNAMES 16
#define WRITER_MAX_PENDING 16384 /* ACKs waiting for the disk, at most */

struct lease_rec {
	uint32_t ip;
	uint8_t mac[6];
	int64_t expires;
	char state[16];
};

/* One burst: its lease writes and the replies to send once durable. */
struct batch {
	struct batch *next;
	struct lease_rec *leases;
	size_t nleases;
	struct dhcp_reply *replies;
	size_t nreplies;
	int failed;
};

struct writer {
	struct erm *db;           /* the thread's own connection */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *todo, **todo_tail;
	struct batch *done, **done_tail;
	size_t pending;           /* replies in todo and done */
	int stop;
	int efd;                  /* eventfd: batches are done */
	struct event *ev;
	struct lease_rec cur[DHCP_IO_BURST * 2]; /* this burst's writes */
	size_t ncur;
};

struct node_entry {
	uint8_t mac[6];
	uint8_t used;
	struct dhcp_node node;
};

struct node_cache {
	struct node_entry *slots;
	size_t nslots;            /* power of two, at least twice the count */
	size_t count;
	uint32_t *ips;            /* reserved addresses, for the pool */
	size_t nips;
};

static struct {
	struct erm *db;
	struct dhcp_engine *engine;
	struct node_cache cache;
	struct event *refresh_ev;
	struct writer w;
	char ifbuf[256];
	const char *ifnames[MAX_IFNAMES + 1];
} svc;

static struct log_ratelimit rl_db = LOG_RATELIMIT_INIT(10, 2);

static uint32_t
hash_mac(const uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h;
}

static void
cache_free(struct node_cache *c)
{
	free(c->slots);
	free(c->ips);
	memset(c, 0, sizeof(*c));
}

static int
cache_put(struct node_cache *c, const uint8_t mac[6], const struct dhcp_node *n)
{
	size_t i = hash_mac(mac) & (c->nslots - 1);

	while (c->slots[i].used && memcmp(c->slots[i].mac, mac, 6) != 0)
		i = (i + 1) & (c->nslots - 1);
	if (!c->slots[i].used)
		c->count++;
	c->slots[i].used = 1;
	memcpy(c->slots[i].mac, mac, 6);
	c->slots[i].node = *n;
	return 0;
}

struct build {
	struct node_cache c;
	size_t cap_ips;
	int failed;
};

static int
collect_node(const struct erm_node *n, void *ctx)
{
	struct build *b = ctx;
	struct dhcp_node dn;
	uint8_t mac[6];
	uint32_t ip = 0;

	if (mac_parse(n->mac, mac) != 0)
		return 0;
	memset(&dn, 0, sizeof(dn));
	str_copy(dn.name, n->name, sizeof(dn.name));
	if (n->ip[0] != '\0' && ipv4_parse(n->ip, &ip) == 0)
		dn.ip = ntohl(ip);
	if (b->c.count * 2 >= b->c.nslots) {
		/* Grow: rehash into twice the slots. */
		struct node_cache bigger = { 0 };

		if (b->c.nslots * 2 > 2 * NODE_CACHE_MAX) {
			b->failed = 1;
			return 1;
		}
		bigger.nslots = b->c.nslots * 2;
		if ((bigger.slots = calloc(bigger.nslots, sizeof(*bigger.slots))) == NULL) {
			b->failed = 1;
			return 1;
		}
		for (size_t i = 0; i < b->c.nslots; i++)
			if (b->c.slots[i].used)
				cache_put(&bigger, b->c.slots[i].mac, &b->c.slots[i].node);
		free(b->c.slots);
		b->c.slots = bigger.slots;
		b->c.nslots = bigger.nslots;
	}
	cache_put(&b->c, mac, &dn);
	if (dn.ip != 0) {
		if (b->c.nips == b->cap_ips) {
			size_t ncap = b->cap_ips ? b->cap_ips * 2 : 256;
			uint32_t *p = realloc(b->c.ips, ncap * sizeof(*p));

			if (p == NULL) {
				b->failed = 1;
				return 1;
			}
			b->c.ips = p;
			b->cap_ips = ncap;
		}
		b->c.ips[b->c.nips++] = dn.ip;
	}
	return 0;
}

/* Re-read every node's management MAC and reserved address.  The whole
 * table is rebuilt and swapped, so a failure keeps the previous one. */
static int
refresh_nodes(void)
{
	struct build b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.c.nslots = 256;
	if ((b.c.slots = calloc(b.c.nslots, sizeof(*b.c.slots))) == NULL)
		return -1;
	rc = erm_node_list(svc.db, collect_node, &b);
	if (rc != ERM_OK || b.failed) {
		log_limited(&rl_db, LOG_WARNING, "dhcp: reading nodes: %s", rc != ERM_OK ? erm_errmsg(svc.db) : "out of memory");
		cache_free(&b.c);
		return -1;
	}
	if (dhcp_engine_set_reserved(svc.engine, b.c.ips, b.c.nips) != 0) {
		cache_free(&b.c);
		return -1;
	}
	cache_free(&svc.cache);
	svc.cache = b.c;
	return 0;
}

static void
on_refresh(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)refresh_nodes();
}

static int
be_node_by_mac(void *ctx, const uint8_t mac[6], struct dhcp_node *out)
{
	struct node_cache *c = &svc.cache;
	size_t i;

	(void)ctx;
	if (c->nslots == 0)
		return 0;
	for (i = hash_mac(mac) & (c->nslots - 1); c->slots[i].used; i = (i + 1) & (c->nslots - 1)) {
		if (memcmp(c->slots[i].mac, mac, 6) == 0) {
			*out = c->slots[i].node;
			return 1;
		}
	}
	return 0;
}

static int
be_lease_write(void *ctx, uint32_t ip, const uint8_t mac[6], int64_t expires, const char *state)
{
	struct writer *w = &svc.w;
	struct lease_rec *l;

	(void)ctx;
	if (w->ncur == ARRAY_LEN(w->cur))
		return -1;
	l = &w->cur[w->ncur++];
	l->ip = ip;
	memcpy(l->mac, mac, 6);
	l->expires = expires;
	str_copy(l->state, state, sizeof(l->state));
	return 0;
}

static void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->leases);
	free(b->replies);
	free(b);
}

/* io hook: queue this burst for the writer thread. */
static int
be_submit(void *ctx, const struct dhcp_reply *replies, size_t n)
{
	struct writer *w = &svc.w;
	struct batch *b;

	(void)ctx;
	if (n == 0 && w->ncur == 0)
		return 0;
	pthread_mutex_lock(&w->mu);
	if (w->pending + n > WRITER_MAX_PENDING) {
		pthread_mutex_unlock(&w->mu);
		w->ncur = 0;
		return -1;
	}
	pthread_mutex_unlock(&w->mu);
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (w->ncur > 0 && (b->leases = malloc(w->ncur * sizeof(*b->leases))) == NULL) ||
	    (n > 0 && (b->replies = malloc(n * sizeof(*b->replies))) == NULL)) {
		batch_free(b);
		w->ncur = 0;
		return -1;
	}
	if (w->ncur > 0)
		memcpy(b->leases, w->cur, w->ncur * sizeof(*b->leases));
	b->nleases = w->ncur;
	w->ncur = 0;
	if (n > 0)
		memcpy(b->replies, replies, n * sizeof(*b->replies));
	b->nreplies = n;
	pthread_mutex_lock(&w->mu);
	*w->todo_tail = b;
	w->todo_tail = &b->next;
	w->pending += n;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int
write_batches(struct erm *db, struct batch *list)
{
	struct erm_lease l;

	if (erm_begin(db) != ERM_OK)
		return -1;
	for (struct batch *b = list; b != NULL; b = b->next) {
		for (size_t i = 0; i < b->nleases; i++) {
			memset(&l, 0, sizeof(l));
			ipv4_format(htonl(b->leases[i].ip), l.ip);
			mac_format(b->leases[i].mac, l.mac);
			l.expires = b->leases[i].expires;
			str_copy(l.state, b->leases[i].state, sizeof(l.state));
			if (erm_lease_put(db, &l) != ERM_OK) {
				erm_rollback(db);
				return -1;
			}
		}
	}
	return erm_commit(db) == ERM_OK ? 0 : -1;
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct batch *list, *b;
	uint64_t one = 1;
	int failed;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->todo == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->todo == NULL && w->stop)
			break;
		list = w->todo;
		w->todo = NULL;
		w->todo_tail = &w->todo;
		pthread_mutex_unlock(&w->mu);

		failed = write_batches(w->db, list) != 0;
		if (failed)
			log_err("dhcp: writing leases: %s", erm_errmsg(w->db));

		pthread_mutex_lock(&w->mu);
		for (b = list; b != NULL; b = b->next) {
			b->failed = failed;
			if (b->next == NULL)
				break;
		}
		*w->done_tail = list;
		w->done_tail = &b->next;
		if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("dhcp: eventfd: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Event loop: the writer finished some batches; send their replies. */
static void
on_written(evutil_socket_t fd, short what, void *arg)
{
	struct writer *w = arg;
	struct batch *list, *b, *next;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->mu);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	for (b = list; b != NULL; b = next) {
		next = b->next;
		if (!b->failed)
			for (size_t i = 0; i < b->nreplies; i++)
				dhcp_io_send(&b->replies[i]);
		pthread_mutex_lock(&w->mu);
		w->pending -= b->nreplies;
		pthread_mutex_unlock(&w->mu);
		batch_free(b);
	}
}

static int
writer_start(struct event_base *base, const char *dbpath)
{
	struct writer *w = &svc.w;
	char err[256];

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	if (erm_open(dbpath, 0, &w->db, err, sizeof(err)) != ERM_OK) {
		log_err("dhcp: lease writer: %s", err);
		return -1;
	}
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_err("dhcp: eventfd: %s", strerror(errno));
		return -1;
	}
	if ((w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST, on_written, w)) == NULL ||
	    event_add(w->ev, NULL) != 0) {
		log_err("dhcp: cannot watch the lease writer");
		return -1;
	}
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		log_err("dhcp: cannot start the lease writer thread");
		return -1;
	}
	w->started = 1;
	return 0;
}

/* Finish every queued write (the replies are not sent any more: the
 * loop is over) and close the writer's connection. */
static void
writer_stop(void)
{
	struct writer *w = &svc.w;
	struct batch *b, *next;

	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		w->started = 0;
	}
	for (b = w->done; b != NULL; b = next) {
		next = b->next;
		batch_free(b);
	}
	w->done = NULL;
	if (w->ev != NULL)
		event_free(w->ev);
	w->ev = NULL;
	if (w->efd > 0)
		close(w->efd);
	w->efd = -1;
	erm_close(w->db);
	w->db = NULL;
}

/* "a.b.c.d/len" into host-order network and mask. */
static int
parse_cidr(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[IPV4_STRLEN + 4], *slash;
	uint32_t a;
	long len;

	if (str_copy(buf, s, sizeof(buf)) >= sizeof(buf) || (slash = strchr(buf, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (ipv4_parse(buf, &a) != 0 || parse_long(slash + 1, 1, 32, &len) != 0)
		return -1;
	*mask = len == 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1);
	*net = ntohl(a) & *mask;
	return 0;
}

static int
parse_ip(const char *s, uint32_t *out)
{
	uint32_t a;

	if (ipv4_parse(s, &a) != 0)
		return -1;
	*out = ntohl(a);
	return 0;
}

/* Split a comma- or space-separated list in place; returns the count, or
 * -1 if there are more than max items. */
static int
split_list(char *s, char **items, int max)
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		if (n == max)
			return -1;
		items[n++] = tok;
	}
	return n;
}

int
dhcp_config_from_conf(const struct conf *conf, struct dhcp_config *cfg, char *err, size_t errlen)
{
	char buf[1024], *items[DHCP_MAX_POOLS + DHCP_MAX_SUBNETS];
	const char *mode = conf_str(conf, "bootsrv", "dhcp_mode"), *s;
	int n, i;

	memset(cfg, 0, sizeof(*cfg));
	if (strcmp(mode, "proxy") == 0)
		cfg->mode = DHCP_MODE_PROXY;
	else if (strcmp(mode, "off") == 0)
		cfg->mode = DHCP_MODE_OFF;
	else
		cfg->mode = DHCP_MODE_SERVER;

	if (parse_cidr(conf_str(conf, "testbed", "mgmt_network"), &cfg->subnets[0].net,
	    &cfg->subnets[0].mask) != 0) {
		snprintf(err, errlen, "[testbed] mgmt_network: not a.b.c.d/len");
		return -1;
	}
	cfg->nsubnets = 1;
	s = conf_str(conf, "bootsrv", "dhcp_router");
	if (s[0] != '\0' && parse_ip(s, &cfg->subnets[0].router) != 0) {
		snprintf(err, errlen, "[bootsrv] dhcp_router: '%s' is not an IPv4 address", s);
		return -1;
	}
	str_copy(buf, conf_str(conf, "bootsrv", "dhcp_subnets"), sizeof(buf));
	if ((n = split_list(buf, items, DHCP_MAX_SUBNETS - 1)) < 0) {
		snprintf(err, errlen, "[bootsrv] dhcp_subnets: more than %d subnets",
		    DHCP_MAX_SUBNETS - 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct dhcp_subnet *sn = &cfg->subnets[cfg->nsubnets++];

		if (parse_cidr(items[i], &sn->net, &sn->mask) != 0) {
			snprintf(err, errlen, "[bootsrv] dhcp_subnets: '%s' is not a.b.c.d/len",
			    items[i]);
			return -1;
		}
	}
	str_copy(buf, conf_str(conf, "bootsrv", "dhcp_pool"), sizeof(buf));
	if ((n = split_list(buf, items, DHCP_MAX_POOLS)) < 0) {
		snprintf(err, errlen, "[bootsrv] dhcp_pool: more than %d ranges", DHCP_MAX_POOLS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *dash = strchr(items[i], '-');
		struct dhcp_range *r = &cfg->pools[cfg->npools++];

		if (dash == NULL || (*dash = '\0', parse_ip(items[i], &r->first) != 0) ||
		    parse_ip(dash + 1, &r->last) != 0) {
			snprintf(err, errlen, "[bootsrv] dhcp_pool: '%s' is not FIRST-LAST "
			    "(two IPv4 addresses)", items[i]);
			return -1;
		}
	}
	str_copy(buf, conf_str(conf, "bootsrv", "dhcp_dns"), sizeof(buf));
	if ((n = split_list(buf, items, DHCP_MAX_DNS)) < 0) {
		snprintf(err, errlen, "[bootsrv] dhcp_dns: more than %d servers", DHCP_MAX_DNS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (parse_ip(items[i], &cfg->dns[cfg->ndns++]) != 0) {
			snprintf(err, errlen, "[bootsrv] dhcp_dns: '%s' is not an IPv4 address",
			    items[i]);
			return -1;
		}
	}
	if (str_copy(cfg->domain, conf_str(conf, "bootsrv", "dhcp_domain"),
	    sizeof(cfg->domain)) >= sizeof(cfg->domain)) {
		snprintf(err, errlen, "[bootsrv] dhcp_domain: longer than %zu characters",
		    sizeof(cfg->domain) - 1);
		return -1;
	}
	cfg->lease_time = (uint32_t)conf_int(conf, "bootsrv", "dhcp_lease_time");
	cfg->offer_hold = 60;
	s = conf_str(conf, "bootsrv", "next_server");
	if (s[0] != '\0' && parse_ip(s, &cfg->next_server) != 0) {
		snprintf(err, errlen, "[bootsrv] next_server: '%s' is not an IPv4 address", s);
		return -1;
	}
	if (str_copy(cfg->boot_url, conf_str(conf, "bootsrv", "boot_url"),
	    sizeof(cfg->boot_url)) >= sizeof(cfg->boot_url)) {
		snprintf(err, errlen, "[bootsrv] boot_url: longer than %zu characters",
		    sizeof(cfg->boot_url) - 1);
		return -1;
	}
	/* A trailing slash would double in "URL/boot/MAC.ipxe". */
	for (size_t l = strlen(cfg->boot_url); l > 0 && cfg->boot_url[l - 1] == '/'; l--)
		cfg->boot_url[l - 1] = '\0';
	if (str_copy(cfg->ipxe_bios, conf_str(conf, "bootsrv", "ipxe_bios"),
	    sizeof(cfg->ipxe_bios)) >= sizeof(cfg->ipxe_bios) ||
	    str_copy(cfg->ipxe_efi64, conf_str(conf, "bootsrv", "ipxe_efi64"),
	    sizeof(cfg->ipxe_efi64)) >= sizeof(cfg->ipxe_efi64) ||
	    str_copy(cfg->ipxe_efi32, conf_str(conf, "bootsrv", "ipxe_efi32"),
	    sizeof(cfg->ipxe_efi32)) >= sizeof(cfg->ipxe_efi32)) {
		snprintf(err, errlen, "[bootsrv] ipxe_*: a file name longer than %zu characters",
		    sizeof(cfg->ipxe_bios) - 1);
		return -1;
	}
	return 0;
}

static void
load_leases(void)
{
	size_t n = dhcp_engine_pool_size(svc.engine), loaded = 0;
	struct erm_lease l;
	char ip[IPV4_STRLEN];
	uint8_t mac[6];

	for (size_t i = 0; i < n; i++) {
		ipv4_format(htonl(dhcp_engine_pool_addr(svc.engine, i)), ip);
		if (erm_lease_get_by_ip(svc.db, ip, &l) != ERM_OK)
			continue;
		if (mac_parse(l.mac, mac) != 0)
			continue;
		dhcp_engine_load_lease(svc.engine, dhcp_engine_pool_addr(svc.engine, i), mac,
		    l.expires, l.state);
		loaded++;
	}
	log_info("dhcp: %zu pool addresses, %zu leases restored from the database", n, loaded);
}

int
dhcp_service_start(struct event_base *base, const struct conf *conf, struct erm *db)
{
	static const struct dhcp_io_hooks hooks = { be_submit, NULL };
	struct dhcp_backend be = { be_node_by_mac, be_lease_write, NULL };
	struct dhcp_config cfg;
	struct timeval tv = { NODE_REFRESH_SECS, 0 };
	char err[256];
	int n;

	if (dhcp_config_from_conf(conf, &cfg, err, sizeof(err)) != 0) {
		log_err("%s: %s", conf_path(conf), err);
		return -1;
	}
	if (cfg.mode == DHCP_MODE_OFF) {
		log_info("dhcp: off (dhcp_mode = off)");
		return 0;
	}
	svc.db = db;
	if ((svc.engine = dhcp_engine_new(&cfg, &be, err, sizeof(err))) == NULL) {
		log_err("%s: [bootsrv] %s", conf_path(conf), err);
		return -1;
	}
	if (refresh_nodes() != 0) {
		log_err("dhcp: cannot read the nodes from the database");
		goto fail;
	}
	load_leases();
	if (writer_start(base, conf_str(conf, "testbed", "db")) != 0)
		goto fail;
	str_copy(svc.ifbuf, conf_str(conf, "bootsrv", "interface"), sizeof(svc.ifbuf));
	if ((n = split_list(svc.ifbuf, (char **)svc.ifnames, MAX_IFNAMES)) < 0) {
		log_err("%s: [bootsrv] interface: more than %d interfaces", conf_path(conf),
		    MAX_IFNAMES);
		goto fail;
	}
	svc.ifnames[n] = NULL;
	if (dhcp_io_open(base, svc.ifnames, cfg.mode == DHCP_MODE_PROXY, 67, svc.engine, &hooks,
	    err, sizeof(err)) != 0) {
		log_err("dhcp: %s", err);
		goto fail;
	}
	if ((svc.refresh_ev = event_new(base, -1, EV_PERSIST, on_refresh, NULL)) == NULL ||
	    event_add(svc.refresh_ev, &tv) != 0) {
		log_err("dhcp: cannot start the node refresh timer");
		goto fail;
	}
	log_info("dhcp: %s mode, %zu node%s known, pool %s",
	    cfg.mode == DHCP_MODE_PROXY ? "proxyDHCP" : "server", svc.cache.count,
	    svc.cache.count == 1 ? "" : "s", cfg.npools ? "on" : "off");
	return 0;
fail:
	dhcp_service_stop();
	return -1;
}

void
dhcp_service_stop(void)
{
	const struct dhcp_stats *st;

	if (svc.engine != NULL) {
		st = dhcp_engine_stats(svc.engine);
		log_info("dhcp: %lu received, %lu offers, %lu acks, %lu naks, %lu informs, "
		    "%lu ignored, %lu unknown, %lu without address, %lu database errors",
		    st->rx, st->offers, st->acks, st->naks, st->informs, st->ignored,
		    st->unknown, st->noaddr, st->dberr);
	}
	dhcp_io_close();
	writer_stop();
	if (svc.refresh_ev != NULL)
		event_free(svc.refresh_ev);
	svc.refresh_ev = NULL;
	dhcp_engine_free(svc.engine);
	svc.engine = NULL;
	cache_free(&svc.cache);
}
