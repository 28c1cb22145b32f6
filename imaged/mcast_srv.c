/* mcast_srv: the multicast server engine.  See mcast_srv.h and
 * docs/imaged.md for the protocol. */
#include "mcast_srv.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcast_proto.h"
#include "sosimg.h"
#include "util.h"
#include "imgio.h"

#define MAX_SESSIONS 256
#define MAX_CLIENTS 256
#define MAX_UNICAST 64
#define TICK_US 1000
#define CONTROL_MS 250
#define DECREASE_HOLD_MS 500
#define CLIENT_STALE_S 60
#define FLOW_STALE_US 1000000   /* a receiver silent this long holds nobody back */
#define FLOW_WINDOW_START 64    /* datagrams, for a receiver yet to report */
#define FLOW_WINDOW_MAX 65536
#define IDLE_RESTART_US 2000000 /* after this long without multicast, gather again */

/* A destination with its own queue: the group, or one unicast receiver. */
struct target {
	struct sockaddr_in dst;
	int unicast;
	uint32_t client;
	uint8_t *bits;       /* pending blocks, one bit each, all chunks */
	uint32_t *ring;      /* chunks with pending blocks, FIFO */
	uint8_t *inq;
	uint32_t head, count;
	uint32_t cursor;     /* next block to look at in the head chunk */
	uint32_t saved_for;  /* chunk a repair was put in front of ... */
	uint32_t head_cursor_saved; /* ... and its cursor then */
};

struct client {
	uint32_t id;
	struct sockaddr_in addr;
	time_t first, last;
	struct mp_status st;
	int have_status, done, unicast;
	int listening;          /* has asked for multicast: it is in the group */
	int summarized;         /* done, and counted in an "all done" line */
	uint64_t start_ms, done_ms;
	/* Flow control: the last seq_next and window it reported, and when;
	 * how far behind the group it was then; how fast it takes datagrams
	 * off its socket (datagrams/s, smoothed). */
	int flow;
	uint32_t seq_next, window;
	uint64_t flow_us;
	uint32_t lag;
	double take_rate;
	uint32_t rate_seq;
	uint64_t rate_us;
};

struct session {
	struct msrv *m;
	char name[MP_NAME_MAX + 1];
	uint32_t id;
	uint32_t group;
	int fd;
	struct sosimg_header h;
	struct sosimg_entry *ents;
	uint64_t *block_base;  /* first bit of each chunk in target bits */
	uint64_t total_blocks;
	struct target mc;
	struct target *uc[MAX_UNICAST];
	int n_uc, rr;
	struct client clients[MAX_CLIENTS];
	int n_clients;
	/* Pacing: a token bucket refilled at rate. */
	double rate_bps;       /* bytes per second */
	double tokens;
	double floor_tokens;   /* sends allowed past a closed window */
	uint64_t flow_waits;   /* ticks the group waited on a receiver's window */
	uint64_t last_join_us, last_mc_us, gather_from_us;
	int gather_logged, gather_held;
	uint64_t last_refill_us;
	uint32_t seq;
	uint64_t bytes_mc, bytes_uc, dgrams_mc, dgrams_uc;
	/* Blocks the group got more than once (repairs, late joiners), and
	 * the requests that caused them. */
	uint8_t *sent;         /* one bit per block: multicast at least once */
	uint64_t dgrams_again, want_repair, want_again;
	/* The counters when the last "all done" line was logged. */
	uint64_t summary_mc, summary_again, summary_dgrams, summary_repair,
	    summary_want_again, summary_uc;
	unsigned long control_ticks;
	uint64_t last_decrease_us;
	/* Cached stored bytes of one chunk. */
	int64_t cache_chunk;
	uint8_t *cache;
};

struct msrv {
	struct event_base *base;
	struct msrv_cfg cfg;
	int sock;
	struct event *ev_read, *ev_tick, *ev_control;
	int ticking;
	struct session *sess[MAX_SESSIONS];
	int n_sess;
	struct log_ratelimit rl;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
serr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
serr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
target_init(struct target *t, struct session *s)
{
	uint32_t n = s->h.n_chunks;

	t->saved_for = UINT32_MAX;
	t->bits = calloc(s->total_blocks / 8 + 1, 1);
	t->ring = calloc(n + 1, sizeof(uint32_t));
	t->inq = calloc(n + 1, 1);
	return t->bits && t->ring && t->inq ? 0 : -1;
}

static void
target_free(struct target *t)
{
	free(t->bits);
	free(t->ring);
	free(t->inq);
}

static int
bit_get(const struct target *t, uint64_t b)
{
	return t->bits[b >> 3] >> (b & 7) & 1;
}

static void
bit_set(struct target *t, uint64_t b, int v)
{
	if (v)
		t->bits[b >> 3] |= (uint8_t)(1u << (b & 7));
	else
		t->bits[b >> 3] &= (uint8_t)~(1u << (b & 7));
}

/* Queue blocks [first, first+n) of chunk c; blocks already pending merge.
 * Repairs (some blocks of a chunk) go to the front of the queue: the
 * receivers asking for them hold the rest of the chunk in memory, and a
 * repair costs little; whole chunks join the back. */
static void
target_want(struct session *s, struct target *t, uint32_t c, uint32_t first, uint32_t n,
    int repair)
{
	uint32_t nb = mp_nblocks(s->ents[c].clen), b;
	uint64_t base = s->block_base[c];

	if (s->ents[c].codec == SOSIMG_ZERO || first >= nb)
		return;
	if (n > nb - first)
		n = nb - first;
	for (b = first; b < first + n; b++) {
		if (!t->unicast && !bit_get(t, base + b) &&
		    s->sent[(base + b) >> 3] & (1u << ((base + b) & 7))) {
			if (repair)
				s->want_repair++;
			else
				s->want_again++;
		}
		bit_set(t, base + b, 1);
	}
	if (!t->inq[c]) {
		t->inq[c] = 1;
		if (repair && t->count > 0) {
			/* In front of the head, which keeps its cursor: the head
			 * resumes where it was once the repair is sent. */
			uint32_t c0 = t->ring[t->head];

			t->head = (t->head + s->h.n_chunks - 1) % s->h.n_chunks;
			t->ring[t->head] = c;
			t->head_cursor_saved = t->cursor;
			t->saved_for = c0;
			t->cursor = 0;
		} else {
			t->ring[(t->head + t->count) % s->h.n_chunks] = c;
			if (t->count == 0)
				t->cursor = 0;
		}
		t->count++;
	}
}

static int
load_chunk(struct session *s, uint32_t c)
{
	const struct sosimg_entry *e = &s->ents[c];
	size_t done = 0;
	ssize_t n;

	if (s->cache_chunk == (int64_t)c)
		return 0;
	s->cache_chunk = -1;
	while (done < e->clen) {
		n = pread(s->fd, s->cache + done, e->clen - done, (off_t)(e->file_off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("%s: reading chunk %u at offset %llu failed", s->name, c,
			    (unsigned long long)e->file_off);
			return -1;
		}
		done += (size_t)n;
	}
	s->cache_chunk = c;
	return 0;
}

/* Send the next pending block of t.  1 sent, 0 nothing pending, -1 the
 * socket is full (try next tick). */
static int
target_send_one(struct session *s, struct target *t)
{
	uint8_t buf[MP_MAX_DGRAM];
	struct mp_data d;
	uint32_t c, nb, b;
	uint64_t base;
	size_t len;
	int pass;

	while (t->count > 0) {
		c = t->ring[t->head];
		nb = mp_nblocks(s->ents[c].clen);
		base = s->block_base[c];
		/* From the cursor on, then once more from 0 for re-requests. */
		for (pass = 0; pass < 2; pass++) {
			for (b = t->cursor; b < nb; b++)
				if (bit_get(t, base + b))
					goto found;
			t->cursor = 0;
		}
		t->inq[c] = 0;
		t->head = (t->head + 1) % s->h.n_chunks;
		t->count--;
		t->cursor = 0;
		if (t->count > 0 && t->ring[t->head] == t->saved_for) {
			t->cursor = t->head_cursor_saved;
			t->saved_for = UINT32_MAX;
		}
	}
	return 0;
found:
	if (load_chunk(s, c) < 0) {
		bit_set(t, base + b, 0);
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.seq = t->unicast ? 0 : s->seq;
	d.chunk = c;
	d.block = (uint16_t)b;
	d.nblocks = (uint16_t)nb;
	d.clen = s->ents[c].clen;
	d.data = s->cache + (size_t)b * MP_BLOCK;
	d.len = b + 1 == nb ? d.clen - (size_t)b * MP_BLOCK : MP_BLOCK;
	len = mp_encode_data(buf, sizeof(buf), s->id, t->unicast ? MP_F_UNICAST : 0, &d);
	if (sendto(s->m->sock, buf, len, 0, (struct sockaddr *)&t->dst, sizeof(t->dst)) < 0) {
		if (errno == EAGAIN || errno == ENOBUFS || errno == EWOULDBLOCK)
			return -1;
		log_limited(&s->m->rl, LOG_WARNING, "%s: send to %s: %s", s->name,
		    inet_ntoa(t->dst.sin_addr), strerror(errno));
	}
	bit_set(t, base + b, 0);
	t->cursor = b + 1;
	s->tokens -= (double)len;
	if (t->unicast) {
		s->bytes_uc += len;
		s->dgrams_uc++;
	} else {
		if (s->sent[(base + b) >> 3] & (1u << ((base + b) & 7)))
			s->dgrams_again++;
		s->sent[(base + b) >> 3] |= (uint8_t)(1u << ((base + b) & 7));
		s->seq++;
		s->bytes_mc += len;
		s->dgrams_mc++;
		s->last_mc_us = now_us();
		s->gather_from_us = 0;
		s->gather_logged = 0;
		s->gather_held = 0;
	}
	return 1;
}

static int
session_busy(const struct session *s)
{
	int i;

	if (s->mc.count > 0)
		return 1;
	for (i = 0; i < s->n_uc; i++)
		if (s->uc[i]->count > 0)
			return 1;
	return 0;
}

/* Flow control: how many more datagrams the group may get before the
 * slowest working receiver's socket would overflow (it reported, at
 * seq_next, room for window more).  Receivers that are done, silent for
 * FLOW_STALE_US or too old to report are not waited for. */
static int64_t
flow_room(const struct session *s, uint64_t t)
{
	int64_t room = INT64_MAX, r;
	int i;

	for (i = 0; i < s->n_clients; i++) {
		const struct client *c = &s->clients[i];

		if (!c->flow || c->done || c->unicast || t - c->flow_us > FLOW_STALE_US)
			continue;
		r = (int64_t)(int32_t)(c->seq_next - s->seq) + c->window;
		if (r < room)
			room = r;
	}
	return room;
}

/* A group that has been quiet starts sending once the receivers that
 * joined are listening (each joins the group before its first request) and
 * no new one has joined for gather_ms, waiting at most 8 times that: nodes
 * that power on together join within a moment of each other, and whatever
 * is sent before the last of them listens is sent twice. */
static int
gathering(struct session *s, uint64_t t)
{
	uint64_t g = (uint64_t)s->m->cfg.gather_ms * 1000;
	time_t now = time(NULL);
	int i, waiting = 0, listening = 0;

	if (g == 0 || s->mc.count == 0)
		return 0;
	if (s->gather_from_us == 0) {
		if (s->last_mc_us != 0 && t - s->last_mc_us < IDLE_RESTART_US)
			return 0;
		s->gather_from_us = t;
	}
	for (i = 0; i < s->n_clients; i++) {
		const struct client *c = &s->clients[i];

		if (!c->listening && !c->done && !c->unicast && now - c->last <= 2)
			waiting = 1;
	}
	if ((waiting || t - s->last_join_us < g) && t - s->gather_from_us < 8 * g) {
		s->gather_held = 1;
		return 1;
	}
	if (s->gather_held && !s->gather_logged) {
		for (i = 0; i < s->n_clients; i++)
			listening += s->clients[i].listening && !s->clients[i].done;
		s->gather_logged = 1;
		log_info("%s: sending to the group after waiting %.0f ms for receivers to "
		    "join (%d listening)", s->name, (double)(t - s->gather_from_us) / 1000,
		    listening);
	}
	return 0;
}

/* The rate to send at: the AIMD rate, but no faster than a quarter above
 * the slowest backlogged receiver (more than half its window behind) takes
 * datagrams off its socket.  Sending in bursts that its window allows
 * would only overflow the queues before its socket (a NIC ring, a switch
 * port, the input backlog of a host) and cost repairs. */
static double
pace_rate(const struct session *s, uint64_t t)
{
	double slowest = 0, floor_bps = (double)s->m->cfg.flow_floor_kbps * 1000 / 8, r;
	int i;

	for (i = 0; i < s->n_clients; i++) {
		const struct client *c = &s->clients[i];

		if (!c->flow || c->done || c->unicast || t - c->flow_us > FLOW_STALE_US ||
		    c->take_rate <= 0 || c->lag < c->window / 2)
			continue;
		if (slowest == 0 || c->take_rate < slowest)
			slowest = c->take_rate;
	}
	if (slowest == 0)
		return s->rate_bps;
	r = 1.25 * slowest * (MP_BLOCK + 2 * MP_HDR_LEN);
	if (r < floor_bps)
		r = floor_bps;
	return r < s->rate_bps ? r : s->rate_bps;
}

static void
session_send(struct session *s, uint64_t t)
{
	/* Ticks come every millisecond (imaged asks libevent for precise
	 * timers); a late tick may make up for up to 4 ms.  Longer bursts
	 * overflow receivers' input queues (netdev_max_backlog) when many
	 * share a host or a switch port buffer. */
	double rate = pace_rate(s, t);
	double burst = rate * 0.004 + 3 * MP_MAX_DGRAM;
	double floor_bps = (double)s->m->cfg.flow_floor_kbps * 1000 / 8;
	double dt = (double)(t - s->last_refill_us) / 1e6;
	int64_t room = flow_room(s, t);
	int r, progress, i;

	s->tokens += rate * dt;
	s->floor_tokens += floor_bps * dt;
	s->last_refill_us = t;
	if (s->tokens > burst)
		s->tokens = burst;
	if (s->floor_tokens > floor_bps * 0.004 + MP_MAX_DGRAM)
		s->floor_tokens = floor_bps * 0.004 + MP_MAX_DGRAM;
	if (room <= 0 && s->mc.count > 0)
		s->flow_waits++;
	if (gathering(s, t))
		room = 0, s->floor_tokens = 0;
	/* The group first, then unicast receivers in turn, one block each.
	 * With the slowest receiver's window full the group waits, except
	 * that it never waits below the floor rate: a receiver that slow
	 * loses datagrams and repairs them later rather than hold everyone. */
	while (s->tokens >= MP_MAX_DGRAM) {
		progress = 0;
		if (room > 0 || s->floor_tokens >= MP_MAX_DGRAM) {
			double before = s->tokens;

			r = target_send_one(s, &s->mc);
			if (r < 0)
				return;
			if (r > 0 && room <= 0)
				s->floor_tokens -= before - s->tokens;
			room--;
			progress |= r;
		}
		for (i = 0; i < s->n_uc && s->tokens >= MP_MAX_DGRAM; i++) {
			s->rr = (s->rr + 1) % s->n_uc;
			r = target_send_one(s, s->uc[s->rr]);
			if (r < 0)
				return;
			progress |= r;
		}
		if (!progress)
			return;
	}
}

static void
schedule_tick(struct msrv *m)
{
	struct timeval tv = { 0, TICK_US };

	if (!m->ticking) {
		m->ticking = 1;
		evtimer_add(m->ev_tick, &tv);
	}
}

static void
on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct msrv *m = arg;
	uint64_t t = now_us();
	int i, busy = 0;

	(void)fd;
	(void)ev;
	m->ticking = 0;
	for (i = 0; i < m->n_sess; i++) {
		if (!session_busy(m->sess[i])) {
			m->sess[i]->last_refill_us = t;
			continue;
		}
		session_send(m->sess[i], t);
		busy |= session_busy(m->sess[i]);
	}
	if (busy)
		schedule_tick(m);
}

static struct client *
client_find(struct session *s, uint32_t id, const struct sockaddr_in *from)
{
	time_t t = time(NULL);
	int i, oldest = 0;

	for (i = 0; i < s->n_clients; i++)
		if (s->clients[i].id == id) {
			s->clients[i].addr = *from;
			s->clients[i].last = t;
			return &s->clients[i];
		}
	if (s->n_clients < MAX_CLIENTS) {
		i = s->n_clients++;
	} else {
		for (i = 1; i < s->n_clients; i++)
			if (s->clients[i].last < s->clients[oldest].last)
				oldest = i;
		i = oldest;
	}
	memset(&s->clients[i], 0, sizeof(s->clients[i]));
	s->clients[i].id = id;
	s->clients[i].addr = *from;
	s->clients[i].first = s->clients[i].last = t;
	s->clients[i].start_ms = now_us() / 1000;
	s->last_join_us = now_us();
	log_info("%s: receiver %08x at %s:%u joined", s->name, id, inet_ntoa(from->sin_addr),
	    ntohs(from->sin_port));
	return &s->clients[i];
}

static struct target *
unicast_target(struct session *s, uint32_t client, const struct sockaddr_in *from)
{
	struct target *t;
	int i;

	for (i = 0; i < s->n_uc; i++)
		if (s->uc[i]->client == client) {
			s->uc[i]->dst = *from;
			return s->uc[i];
		}
	if (s->n_uc == MAX_UNICAST)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL || target_init(t, s) < 0) {
		if (t != NULL)
			target_free(t);
		free(t);
		return NULL;
	}
	t->unicast = 1;
	t->client = client;
	t->dst = *from;
	s->uc[s->n_uc++] = t;
	log_info("%s: receiver %08x asks for unicast", s->name, client);
	return t;
}

static struct session *
session_by_id(struct msrv *m, uint32_t id)
{
	int i;

	for (i = 0; i < m->n_sess; i++)
		if (m->sess[i]->id == id)
			return m->sess[i];
	return NULL;
}

static void
reply(struct msrv *m, const uint8_t *buf, size_t len, const struct sockaddr_in *to)
{
	if (len > 0)
		(void)sendto(m->sock, buf, len, 0, (const struct sockaddr *)to, sizeof(*to));
}

/* A receiver's STATUS with flow control fields: its room, how far behind
 * the group it is, and (over at least 20 ms) the rate it takes datagrams. */
static void
flow_report(struct session *s, struct client *c, const struct mp_status *st)
{
	uint64_t t = now_us();
	uint32_t d = st->seq_next - c->rate_seq;
	double inst;

	if (!c->flow || t - c->rate_us > FLOW_STALE_US || (int32_t)d < 0) {
		c->take_rate = 0;
		c->rate_seq = st->seq_next;
		c->rate_us = t;
	} else if (t - c->rate_us >= 20000) {
		inst = (double)d * 1e6 / (double)(t - c->rate_us);
		c->take_rate = c->take_rate > 0 ? 0.7 * c->take_rate + 0.3 * inst : inst;
		c->rate_seq = st->seq_next;
		c->rate_us = t;
	}
	c->flow = 1;
	c->seq_next = st->seq_next;
	/* A window past any socket buffer is no promise: bound it. */
	c->window = st->window < FLOW_WINDOW_MAX ? st->window : FLOW_WINDOW_MAX;
	c->flow_us = t;
	c->lag = (uint32_t)(s->seq - st->seq_next);
}

/* A receiver asking for multicast is in the group from now on: until its
 * first report it has room for FLOW_WINDOW_START datagrams. */
static void
flow_start(struct session *s, struct client *c)
{
	if (c->flow && now_us() - c->flow_us <= FLOW_STALE_US)
		return;
	c->flow = 1;
	c->seq_next = c->rate_seq = s->seq;
	c->window = FLOW_WINDOW_START;
	c->flow_us = c->rate_us = now_us();
	c->take_rate = 0;
	c->lag = 0;
}

/* Once every receiver heard from lately is done: what the transfer cost
 * (since the last such line). */
static void
log_if_all_done(struct session *s)
{
	time_t t = time(NULL);
	uint64_t stored = s->h.file_size - s->h.data_off, mc, again, dg;
	int j, n = 0;

	for (j = 0; j < s->n_clients; j++) {
		if (s->clients[j].done)
			n += !s->clients[j].summarized;
		else if (t - s->clients[j].last <= CLIENT_STALE_S)
			return;
	}
	for (j = 0; j < s->n_clients; j++)
		s->clients[j].summarized = s->clients[j].done;
	mc = s->bytes_mc - s->summary_mc;
	again = s->dgrams_again - s->summary_again;
	dg = s->dgrams_mc - s->summary_dgrams;
	log_info("%s: all %d receivers done; multicast %llu bytes, %.3f times the stored "
	    "%llu, %llu of %llu blocks sent again (%llu asked as repairs, %llu as whole "
	    "chunks); unicast %llu bytes", s->name, n, (unsigned long long)mc,
	    stored ? (double)mc / (double)stored : 0.0, (unsigned long long)stored,
	    (unsigned long long)again, (unsigned long long)dg,
	    (unsigned long long)(s->want_repair - s->summary_repair),
	    (unsigned long long)(s->want_again - s->summary_want_again),
	    (unsigned long long)(s->bytes_uc - s->summary_uc));
	/* The next transfer counts its own repeats. */
	memset(s->sent, 0, s->total_blocks / 8 + 1);
	s->summary_mc = s->bytes_mc;
	s->summary_again = s->dgrams_again;
	s->summary_dgrams = s->dgrams_mc;
	s->summary_repair = s->want_repair;
	s->summary_want_again = s->want_again;
	s->summary_uc = s->bytes_uc;
}

static void
handle(struct msrv *m, const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	uint8_t out[MP_MAX_DGRAM];
	struct mp_item items[MP_REQ_MAX_ITEMS];
	char name[MP_NAME_MAX + 1], msg[128];
	struct session *s = NULL;
	struct client *cl;
	struct target *t;
	struct mp_info info;
	struct mp_status st;
	struct mp_hdr h;
	uint32_t first, c, k;
	uint16_t count;
	size_t n, i;
	int j;

	if (mp_parse_hdr(buf, len, &h) < 0 || h.client == 0) {
		log_limited(&m->rl, LOG_INFO, "dropped a malformed datagram from %s",
		    inet_ntoa(from->sin_addr));
		return;
	}
	if (h.type == MP_JOIN) {
		if (mp_parse_join(buf, len, name) < 0)
			goto bad;
		for (j = 0; j < m->n_sess; j++)
			if (strcmp(m->sess[j]->name, name) == 0)
				s = m->sess[j];
		if (s == NULL) {
			snprintf(msg, sizeof(msg), "no such image %s", name);
			reply(m, out, mp_encode_error(out, sizeof(out), h.client, msg), from);
			return;
		}
		client_find(s, h.client, from);
		memset(&info, 0, sizeof(info));
		info.img = s->h;
		info.group = s->group;
		info.port = m->cfg.port;
		info.block = MP_BLOCK;
		reply(m, out, mp_encode_info(out, sizeof(out), s->id, h.client, &info), from);
		return;
	}
	s = session_by_id(m, h.session);
	if (s == NULL)
		goto bad;
	cl = client_find(s, h.client, from);
	switch (h.type) {
	case MP_IDXREQ:
		if (mp_parse_idxreq(buf, len, &first, &count) < 0 || first >= s->h.n_chunks ||
		    count > s->h.n_chunks - first)
			goto bad;
		reply(m, out, mp_encode_idx(out, sizeof(out), s->id, h.client, first,
		    s->ents + first, count), from);
		return;
	case MP_REQ:
		if (mp_parse_req(buf, len, items, &n) < 0)
			goto bad;
		if (h.flags & MP_F_UNICAST) {
			t = unicast_target(s, h.client, from);
			if (t == NULL)
				return;
			cl->unicast = 1;
		} else {
			t = &s->mc;
			cl->listening = 1;
			flow_start(s, cl);
		}
		for (i = 0; i < n; i++) {
			if (items[i].chunk >= s->h.n_chunks)
				continue;
			if (items[i].nblocks == 0) {
				for (k = 0; k < items[i].count; k++) {
					c = items[i].chunk + k;
					if (c >= s->h.n_chunks)
						break;
					target_want(s, t, c, 0, UINT32_MAX, 0);
				}
			} else {
				target_want(s, t, items[i].chunk, items[i].first_block,
				    items[i].nblocks, 1);
			}
		}
		if (session_busy(s))
			schedule_tick(m);
		return;
	case MP_STATUS:
		if (mp_parse_status(buf, len, &st) < 0)
			goto bad;
		cl->st = st;
		cl->have_status = 1;
		if (h.flags & MP_F_SEQ)
			flow_report(s, cl, &st);
		if ((h.flags & MP_F_DONE) && !cl->done) {
			cl->done = 1;
			cl->done_ms = now_us() / 1000;
			log_info("%s: receiver %08x at %s done: %llu bytes in %.1f s, loss "
			    "%.1f%%, %u corrupt chunks refetched%s", s->name, cl->id,
			    inet_ntoa(from->sin_addr), (unsigned long long)st.bytes_total,
			    (double)(cl->done_ms - cl->start_ms) / 1000.0,
			    st.loss_ppm / 10000.0, st.corrupt, cl->unicast ? ", unicast" : "");
			log_if_all_done(s);
		}
		return;
	default:
		goto bad;
	}
bad:
	log_limited(&m->rl, LOG_INFO, "dropped a bad datagram (type %u) from %s", h.type,
	    inet_ntoa(from->sin_addr));
}

static void
on_read(evutil_socket_t fd, short ev, void *arg)
{
	struct msrv *m = arg;
	uint8_t buf[MP_MAX_DGRAM + 1];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int budget;

	(void)ev;
	for (budget = 0; budget < 512; budget++) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (fl != sizeof(from) || from.sin_family != AF_INET || n > MP_MAX_DGRAM)
			continue;
		handle(m, buf, (size_t)n, &from);
	}
}

static struct client *
client_by_id(struct session *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->n_clients; i++)
		if (s->clients[i].id == id)
			return &s->clients[i];
	return NULL;
}

/* Free the queues of unicast receivers that are done or gone, so the
 * MAX_UNICAST places are reused. */
static void
reap_unicast(struct session *s, time_t t)
{
	struct client *c;
	int i;

	for (i = 0; i < s->n_uc; i++) {
		c = client_by_id(s, s->uc[i]->client);
		if (c != NULL && !c->done && t - c->last <= CLIENT_STALE_S)
			continue;
		target_free(s->uc[i]);
		free(s->uc[i]);
		s->uc[i] = s->uc[--s->n_uc];
		s->rr = 0;
		i--;
	}
}

/* Every 10 s while receivers work: one line per image. */
static void
log_progress(struct session *s, time_t t)
{
	uint64_t done = 0, total = 0;
	int j, working = 0, finished = 0;

	for (j = 0; j < s->n_clients; j++) {
		struct client *c = &s->clients[j];

		if (c->done) {
			finished++;
			continue;
		}
		if (t - c->last > CLIENT_STALE_S)
			continue;
		working++;
		done += c->st.bytes_done;
		total += c->st.bytes_total;
	}
	if (working == 0)
		return;
	log_info("%s: %d receivers working (%.0f%% of their bytes done), %d done, rate "
	    "%.0f kbit/s, sent %llu bytes multicast (%llu blocks again: %llu asked as "
	    "repairs, %llu as whole chunks), %llu unicast", s->name, working,
	    total ? 100.0 * (double)done / (double)total : 0.0, finished,
	    s->rate_bps * 8 / 1000, (unsigned long long)s->bytes_mc,
	    (unsigned long long)s->dgrams_again, (unsigned long long)s->want_repair,
	    (unsigned long long)s->want_again, (unsigned long long)s->bytes_uc);
}

/* Rate control (AIMD): every CONTROL_MS, if the receivers still working
 * together reported more than loss_backoff_pct loss in their last status
 * intervals (losses add up: each receiver's lost blocks are sent again to
 * all, so the sum is what a transfer costs in repairs),
 * cut the rate to 70% -- at most once per DECREASE_HOLD_MS, so that the
 * reports reflect the new rate before the next cut; otherwise add a
 * thirty-second of the ceiling, up to it. */
static void
on_control(evutil_socket_t fd, short ev, void *arg)
{
	struct msrv *m = arg;
	double ceiling = (double)m->cfg.rate_max_kbps * 1000 / 8, floor = 125000;
	uint64_t tnow = now_us();
	time_t t = time(NULL);
	uint32_t loss_sum;
	int i, j, active;

	(void)fd;
	(void)ev;
	for (i = 0; i < m->n_sess; i++) {
		struct session *s = m->sess[i];

		reap_unicast(s, t);
		if (++s->control_ticks % (10000 / CONTROL_MS) == 0)
			log_progress(s, t);
		loss_sum = 0;
		active = 0;
		for (j = 0; j < s->n_clients; j++) {
			struct client *c = &s->clients[j];

			if (c->done || t - c->last > 2 || !c->have_status)
				continue;
			active = 1;
			loss_sum += c->st.loss_ppm;
		}
		if (!active)
			continue;
		if (loss_sum > (uint32_t)m->cfg.loss_backoff_pct * 10000) {
			if (tnow - s->last_decrease_us < DECREASE_HOLD_MS * 1000)
				continue;
			s->last_decrease_us = tnow;
			s->rate_bps *= 0.7;
			if (s->rate_bps < floor)
				s->rate_bps = floor;
			log_debug("%s: summed loss %.1f%%: rate down to %.0f kbit/s", s->name,
			    loss_sum / 10000.0, s->rate_bps * 8 / 1000);
		} else if (s->rate_bps < ceiling) {
			s->rate_bps += ceiling / 32;
			if (s->rate_bps > ceiling)
				s->rate_bps = ceiling;
		}
	}
}

struct msrv *
msrv_new(struct event_base *base, const struct msrv_cfg *cfg, char *err, size_t errlen)
{
	struct timeval tv = { 0, CONTROL_MS * 1000 };
	struct sockaddr_in sa;
	struct in_addr ifa;
	struct msrv *m;
	unsigned char ttl = (unsigned char)cfg->ttl, loop = 0;
	int one = 1, sz = 4 << 20;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		serr(err, errlen, "out of memory");
		return NULL;
	}
	m->base = base;
	m->cfg = *cfg;
	m->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 5);
	m->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->sock < 0) {
		serr(err, errlen, "socket: %s", strerror(errno));
		free(m);
		return NULL;
	}
	setsockopt(m->sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Past net.core.[rw]mem_max when we may (root). */
	if (setsockopt(m->sock, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(m->sock, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(m->sock, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(m->sock, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = cfg->addr;
	sa.sin_port = htons(cfg->port);
	if (bind(m->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		serr(err, errlen, "bind %s:%u: %s", inet_ntoa(sa.sin_addr), cfg->port,
		    strerror(errno));
		goto fail;
	}
	ifa.s_addr = cfg->addr;
	if (cfg->addr != INADDR_ANY &&
	    setsockopt(m->sock, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) < 0) {
		serr(err, errlen, "IP_MULTICAST_IF %s: %s", inet_ntoa(ifa), strerror(errno));
		goto fail;
	}
	setsockopt(m->sock, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	setsockopt(m->sock, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
	m->ev_read = event_new(base, m->sock, EV_READ | EV_PERSIST, on_read, m);
	m->ev_tick = evtimer_new(base, on_tick, m);
	m->ev_control = event_new(base, -1, EV_PERSIST, on_control, m);
	if (m->ev_read == NULL || m->ev_tick == NULL || m->ev_control == NULL) {
		serr(err, errlen, "out of memory");
		goto fail;
	}
	event_add(m->ev_read, NULL);
	event_add(m->ev_control, &tv);
	return m;
fail:
	msrv_free(m);
	return NULL;
}

static void
session_free(struct session *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	target_free(&s->mc);
	for (i = 0; i < s->n_uc; i++) {
		target_free(s->uc[i]);
		free(s->uc[i]);
	}
	free(s->ents);
	free(s->block_base);
	free(s->sent);
	free(s->cache);
	free(s);
}

void
msrv_free(struct msrv *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_sess; i++)
		session_free(m->sess[i]);
	if (m->ev_read)
		event_free(m->ev_read);
	if (m->ev_tick)
		event_free(m->ev_tick);
	if (m->ev_control)
		event_free(m->ev_control);
	if (m->sock >= 0)
		close(m->sock);
	free(m);
}

int
msrv_add_image(struct msrv *m, const char *name, const char *path, char *err,
    size_t errlen)
{
	const struct sosimg_header *h;
	struct img_reader *r = NULL;
	struct session *s;
	uint32_t i;
	double ceiling;

	if (m->n_sess == MAX_SESSIONS)
		return serr(err, errlen, "%s: too many images for multicast", name);
	if (strlen(name) > MP_NAME_MAX)
		return serr(err, errlen, "%s: name too long for multicast", name);
	if (img_open(path, IMG_SOSIMG, NULL, &r, err, errlen) < 0)
		return -1;
	h = img_sosimg_header(r);
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		img_close(r);
		return serr(err, errlen, "out of memory");
	}
	s->m = m;
	s->fd = -1;
	str_copy(s->name, name, sizeof(s->name));
	s->h = *h;
	s->id = (uint32_t)h->image_sha256[0] << 24 | (uint32_t)h->image_sha256[1] << 16 |
	    (uint32_t)h->image_sha256[2] << 8 | h->image_sha256[3];
	/* Session ids must be unique here: nudge on a (rare) collision. */
	while (s->id == 0 || session_by_id(m, s->id) != NULL)
		s->id++;
	s->ents = calloc(h->n_chunks + 1, sizeof(*s->ents));
	s->block_base = calloc(h->n_chunks + 1, sizeof(uint64_t));
	s->cache = malloc(sosimg_compress_bound(h->chunk_size));
	if (s->ents == NULL || s->block_base == NULL || s->cache == NULL)
		goto nomem;
	memcpy(s->ents, img_sosimg_index(r), h->n_chunks * sizeof(*s->ents));
	img_close(r);
	r = NULL;
	for (i = 0; i < s->h.n_chunks; i++) {
		s->block_base[i] = s->total_blocks;
		s->total_blocks += mp_nblocks(s->ents[i].clen);
	}
	s->sent = calloc(s->total_blocks / 8 + 1, 1);
	if (s->sent == NULL || target_init(&s->mc, s) < 0)
		goto nomem;
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		serr(err, errlen, "%s: %s", path, strerror(errno));
		session_free(s);
		return -1;
	}
	s->group = htonl(ntohl(m->cfg.group_base) + (uint32_t)m->n_sess);
	s->mc.dst.sin_family = AF_INET;
	s->mc.dst.sin_addr.s_addr = s->group;
	s->mc.dst.sin_port = htons(m->cfg.port);
	s->cache_chunk = -1;
	ceiling = (double)m->cfg.rate_max_kbps * 1000 / 8;
	s->rate_bps = m->cfg.rate_start_kbps > 0 ?
	    (double)m->cfg.rate_start_kbps * 1000 / 8 : ceiling / 4;
	if (s->rate_bps > ceiling)
		s->rate_bps = ceiling;
	s->last_refill_us = now_us();
	m->sess[m->n_sess++] = s;
	{
		struct in_addr g = { s->group };

		log_info("%s: multicast on %s:%u, %u chunks", name, inet_ntoa(g),
		    m->cfg.port, s->h.n_chunks);
	}
	return 0;
nomem:
	img_close(r);
	session_free(s);
	return serr(err, errlen, "out of memory");
}

uint32_t
msrv_group(struct msrv *m, const char *name)
{
	int i;

	for (i = 0; i < m->n_sess; i++)
		if (strcmp(m->sess[i]->name, name) == 0)
			return m->sess[i]->group;
	return 0;
}

json_t *
msrv_progress(struct msrv *m)
{
	json_t *all = json_array(), *root = json_object();
	time_t t = time(NULL);
	int i, j;

	for (i = 0; i < m->n_sess; i++) {
		struct session *s = m->sess[i];
		struct in_addr g = { s->group };
		json_t *o = json_object(), *rs = json_array();
		uint64_t stored = s->h.file_size - s->h.data_off;

		for (j = 0; j < s->n_clients; j++) {
			struct client *c = &s->clients[j];
			char id[16];

			if (!c->done && t - c->last > CLIENT_STALE_S)
				continue;
			snprintf(id, sizeof(id), "%08x", c->id);
			json_array_append_new(rs, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f,"
			    " s:I, s:b, s:b, s:I, s:I, s:I}",
			    "id", id, "address", inet_ntoa(c->addr.sin_addr),
			    "chunks_done", (json_int_t)c->st.chunks_done,
			    "chunks_total", (json_int_t)c->st.chunks_total,
			    "bytes_done", (json_int_t)c->st.bytes_done,
			    "bytes_total", (json_int_t)c->st.bytes_total,
			    "loss", c->st.loss_ppm / 1e6,
			    "corrupt", (json_int_t)c->st.corrupt,
			    "done", c->done, "unicast", c->unicast,
			    "idle_s", (json_int_t)(t - c->last),
			    "behind", (json_int_t)(c->flow ? c->lag : 0),
			    "window", (json_int_t)(c->flow ? c->window : 0)));
		}
		json_object_set_new(o, "name", json_string(s->name));
		json_object_set_new(o, "group", json_string(inet_ntoa(g)));
		json_object_set_new(o, "port", json_integer(m->cfg.port));
		json_object_set_new(o, "rate_kbps", json_integer((json_int_t)(s->rate_bps * 8 /
		    1000)));
		json_object_set_new(o, "chunk_bytes", json_integer((json_int_t)stored));
		json_object_set_new(o, "bytes_multicast", json_integer((json_int_t)s->bytes_mc));
		json_object_set_new(o, "bytes_unicast", json_integer((json_int_t)s->bytes_uc));
		json_object_set_new(o, "datagrams_multicast",
		    json_integer((json_int_t)s->dgrams_mc));
		json_object_set_new(o, "datagrams_unicast",
		    json_integer((json_int_t)s->dgrams_uc));
		json_object_set_new(o, "datagrams_sent_again",
		    json_integer((json_int_t)s->dgrams_again));
		json_object_set_new(o, "flow_waits", json_integer((json_int_t)s->flow_waits));
		json_object_set_new(o, "receivers", rs);
		json_array_append_new(all, o);
	}
	json_object_set_new(root, "images", all);
	return root;
}
