/* mcast_recv: the receiver library.  See mcast_recv.h and docs/imaged.md. */
#include "mcast_recv.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "mcast_proto.h"

/* Chunks being assembled at once.  Under loss nearly every chunk waits for
 * a repair while the next ones arrive, so there must be room for the
 * chunks in flight; buffers are allocated on first use. */
#define NSLOTS 64
#define REQ_TICK_MS 50          /* how often to consider asking */
#define REREQ_WHOLE_MS 1000     /* ask again for a whole chunk after */
#define PARTIAL_QUIET_MS 100    /* a partial chunk's blocks stopped for */
#define REREQ_PARTIAL_MS 300    /* ask again for its missing blocks after */
#define STATUS_INTERVAL_MS 250
#define JOIN_TRIES 30
#define IDX_WINDOW 64           /* index requests in flight */
#define RX_BATCH 64
#define FLOW_WINDOW_MIN 32      /* datagrams */
#define FLOW_WINDOW_MAX 16384

struct slot {
	int used;
	uint32_t chunk;
	uint32_t clen;
	uint32_t nblocks;
	uint32_t got;
	uint64_t touched;
	uint8_t *buf;
	uint8_t *map;    /* one byte per block */
};

struct rx {
	const struct mcast_recv_cfg *cfg;
	struct mcast_recv_stats *st;
	char *err;
	size_t errlen;
	int ctl, mc;
	uint32_t client, session;
	struct sockaddr_in srv;
	struct mp_info info;
	struct sosimg_entry *ents;
	uint8_t *have;
	uint8_t *inslot;        /* chunk is being assembled in a slot */
	uint64_t *asked;        /* when each chunk was last asked for */
	uint32_t missing;
	struct slot slots[NSLOTS];
	uint8_t *dec;
	size_t slot_cap;
	int unicast;
	uint64_t last_mc_data, last_req, last_status, last_loss, start;
	uint64_t asked_since;   /* first REQ not followed by multicast data */
	/* Loss estimate over one status interval, from multicast sequence gaps. */
	uint32_t seq_lo, seq_hi, seq_n;
	int seq_any;
	uint32_t loss_ppm;
	/* Flow control: the sequence number after the newest multicast datagram
	 * taken off the socket, and how many datagrams the socket can hold. */
	uint32_t seq_next;
	int seq_valid;
	uint32_t window;
	uint32_t taken;         /* multicast datagrams taken since the last STATUS */
	int status_now;
	/* Datagrams are taken RX_BATCH at a time (one system call). */
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iovs[RX_BATCH];
	uint8_t *bufs;
	uint64_t now;           /* when the current batch was taken */
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
rx_fail(struct rx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
rx_fail(struct rx *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void
rx_event(struct rx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
rx_event(struct rx *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->cfg->event == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->cfg->event(r->cfg->cb_ctx, msg);
}

static void
send_ctl(struct rx *r, const uint8_t *buf, size_t len)
{
	if (len > 0)
		(void)sendto(r->ctl, buf, len, 0, (struct sockaddr *)&r->srv, sizeof(r->srv));
}

/* Wait up to ms for a datagram on fd; returns its length, 0 on timeout. */
static ssize_t
recv_wait(int fd, uint8_t *buf, size_t cap, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	/* Never block here: readiness can vanish (a datagram dropped on a
	 * bad checksum), and nothing more may come until we ask again. */
	n = recvfrom(fd, buf, cap, MSG_DONTWAIT, NULL, NULL);
	return n < 0 ? 0 : n;
}

static int
do_join(struct rx *r)
{
	uint8_t buf[MP_MAX_DGRAM];
	struct mp_hdr h;
	size_t len;
	ssize_t n;
	uint64_t until;
	int i;

	len = mp_encode_join(buf, sizeof(buf), r->client, r->cfg->image);
	if (len == 0)
		return rx_fail(r, "bad image name '%s'", r->cfg->image);
	for (i = 0; i < JOIN_TRIES; i++) {
		send_ctl(r, buf, len);
		until = now_ms() + 300;
		while (now_ms() < until) {
			uint8_t in[MP_MAX_DGRAM];

			n = recv_wait(r->ctl, in, sizeof(in), (int)(until - now_ms()));
			if (n <= 0 || mp_parse_hdr(in, (size_t)n, &h) < 0 ||
			    h.client != r->client)
				continue;
			if (h.type == MP_ERROR)
				return rx_fail(r, "server: %.*s", (int)(n - MP_HDR_LEN),
				    (const char *)in + MP_HDR_LEN);
			if (h.type == MP_INFO && mp_parse_info(in, (size_t)n, &r->info) == 0) {
				r->session = h.session;
				return 0;
			}
		}
	}
	return rx_fail(r, "no answer from the server to JOIN %s", r->cfg->image);
}

static int
fetch_index(struct rx *r)
{
	uint32_t n = r->info.img.n_chunks, groups, first, g, left, asked;
	uint8_t buf[MP_MAX_DGRAM], *raw, *got;
	struct mp_hdr h;
	uint16_t count;
	uint64_t deadline = now_ms() + 60000;
	char e2[200];
	size_t len;
	ssize_t k;
	int rc = -1;

	groups = n / MP_IDX_PER_DGRAM + (n % MP_IDX_PER_DGRAM != 0);
	raw = malloc((size_t)n * SOSIMG_ENTRY_LEN + 1);
	got = calloc(groups + 1, 1);
	r->ents = calloc(n + 1, sizeof(*r->ents));
	if (raw == NULL || got == NULL || r->ents == NULL) {
		rx_fail(r, "out of memory");
		goto done;
	}
	left = groups;
	while (left > 0) {
		if (now_ms() > deadline) {
			rx_fail(r, "timed out fetching the chunk index");
			goto done;
		}
		/* Ask for a window of missing groups, then collect answers until
		 * all of them are in or the server has been quiet for 200 ms. */
		for (g = 0, asked = 0; g < groups && asked < IDX_WINDOW; g++) {
			if (got[g])
				continue;
			count = (uint16_t)(n - g * MP_IDX_PER_DGRAM < MP_IDX_PER_DGRAM ?
			    n - g * MP_IDX_PER_DGRAM : MP_IDX_PER_DGRAM);
			len = mp_encode_idxreq(buf, sizeof(buf), r->session, r->client,
			    g * MP_IDX_PER_DGRAM, count);
			send_ctl(r, buf, len);
			asked++;
		}
		while (asked > 0) {
			uint8_t in[MP_MAX_DGRAM];
			uint8_t ent[MP_IDX_PER_DGRAM * SOSIMG_ENTRY_LEN];

			k = recv_wait(r->ctl, in, sizeof(in), 200);
			if (k <= 0)
				break;
			if (mp_parse_hdr(in, (size_t)k, &h) < 0 || h.type != MP_IDX ||
			    h.session != r->session ||
			    mp_parse_idx(in, (size_t)k, &first, ent, &count) < 0)
				continue;
			if (first % MP_IDX_PER_DGRAM != 0 || first >= n || count > n - first)
				continue;
			g = first / MP_IDX_PER_DGRAM;
			if (!got[g]) {
				memcpy(raw + (size_t)first * SOSIMG_ENTRY_LEN, ent,
				    (size_t)count * SOSIMG_ENTRY_LEN);
				got[g] = 1;
				left--;
				asked--;
			}
		}
	}
	/* The header's index digest vouches for every entry (and so for every
	 * chunk's SHA-256): a forged or damaged index is refused here. */
	if (sosimg_parse_index(&r->info.img, raw, (size_t)n * SOSIMG_ENTRY_LEN, r->ents,
	    e2, sizeof(e2)) != SOSIMG_OK) {
		rx_fail(r, "index from server: %s", e2);
		goto done;
	}
	rc = 0;
done:
	free(raw);
	free(got);
	return rc;
}

static void
report_progress(struct rx *r)
{
	if (r->cfg->progress != NULL)
		r->cfg->progress(r->cfg->cb_ctx, r->st);
}

static int
take_existing(struct rx *r)
{
	const struct mcast_recv_sink *s = &r->cfg->sink;
	uint32_t i;

	for (i = 0; i < r->info.img.n_chunks; i++) {
		const struct sosimg_entry *e = &r->ents[i];

		if (e->codec == SOSIMG_ZERO) {
			if (s->zero != NULL && s->zero(s->ctx, e->disk_off, e->ulen) < 0)
				return rx_fail(r, "zeroing disk offset %llu failed",
				    (unsigned long long)e->disk_off);
		} else if (s->have == NULL || s->have(s->ctx, e) != 1) {
			continue;
		}
		r->have[i] = 1;
		r->missing--;
		r->st->chunks_present++;
		r->st->bytes_done += e->ulen;
	}
	report_progress(r);
	return 0;
}

/* A large receive buffer rides out the bursts that arrive while a chunk is
 * decompressed, hashed and written.  SO_RCVBUFFORCE (root, as ni is) goes
 * past net.core.rmem_max; otherwise we get what the sysctl allows. */
static void
big_rcvbuf(int fd, int mib)
{
	int sz = mib << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* How many data datagrams the group socket can hold: what we tell the
 * server it may send past the last one we took.  The kernel charges a
 * datagram's whole buffer against the doubled SO_RCVBUF it reports: about
 * 2.5 KiB for 1.5 KiB on the wire over a veth, up to a page plus the skb
 * (some 4.6 KiB) from NICs that receive into page fragments; 6 KiB each
 * leaves a margin. */
static uint32_t
flow_window(int fd)
{
	int sz = 0;
	socklen_t sl = sizeof(sz);
	uint32_t w;

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, &sl) < 0 || sz <= 0)
		sz = 212992;
	w = (uint32_t)sz / 6144;
	if (w < FLOW_WINDOW_MIN)
		w = FLOW_WINDOW_MIN;
	if (w > FLOW_WINDOW_MAX)
		w = FLOW_WINDOW_MAX;
	return w;
}

static int
join_group(struct rx *r)
{
	struct sockaddr_in sa;
	struct ip_mreq mr;
	int one = 1;

	r->mc = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->mc < 0)
		return rx_fail(r, "socket: %s", strerror(errno));
	setsockopt(r->mc, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* 64 MiB: about 0.4 s of a 100 MB/s stream, for a receiver that
	 * shares its CPU with many others and is descheduled for a while. */
	big_rcvbuf(r->mc, 64);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = r->info.group;
	sa.sin_port = htons(r->info.port);
	if (bind(r->mc, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return rx_fail(r, "bind to the group: %s", strerror(errno));
	/* IP_ADD_MEMBERSHIP makes the kernel send the IGMP membership report
	 * (RFC 2236 section 3) that snooping switches forward the group on. */
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr.s_addr = r->info.group;
	mr.imr_interface.s_addr = r->cfg->iface;
	if (setsockopt(r->mc, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return rx_fail(r, "joining the group: %s", strerror(errno));
	r->window = flow_window(r->mc);
	return 0;
}

/* Build the missing-item list and send it in REQ datagrams: first the
 * missing blocks of partly received chunks whose blocks stopped coming
 * (the server has finished that chunk: what is missing was lost), then
 * runs of whole chunks not asked for lately.  Not asking again for what
 * is still on its way keeps the server from sending it twice; the server
 * merges repeated requests for what it has not sent yet. */
static void
send_requests(struct rx *r, uint64_t t)
{
	struct mp_item items[MP_REQ_MAX_ITEMS];
	uint8_t buf[MP_MAX_DGRAM];
	uint32_t i, j, n = r->info.img.n_chunks;
	size_t k = 0, len;
	int dgrams = 0, s;
	uint8_t flags = r->unicast ? MP_F_UNICAST : 0;

#define FLUSH() do { \
		len = mp_encode_req(buf, sizeof(buf), r->session, r->client, flags, items, k); \
		send_ctl(r, buf, len); \
		if (r->asked_since == 0) \
			r->asked_since = t; \
		k = 0; \
		dgrams++; \
	} while (0)
#define ELIGIBLE(c) (!r->have[c] && !r->inslot[c] && \
	    r->ents[c].codec != SOSIMG_ZERO && \
	    (r->asked[c] == 0 || t - r->asked[c] >= REREQ_WHOLE_MS))

	for (s = 0; s < NSLOTS; s++) {
		struct slot *sl = &r->slots[s];

		if (!sl->used || t - sl->touched < PARTIAL_QUIET_MS ||
		    t - r->asked[sl->chunk] < REREQ_PARTIAL_MS)
			continue;
		r->asked[sl->chunk] = t;
		for (i = 0; i < sl->nblocks; i = j) {
			if (sl->map[i]) {
				j = i + 1;
				continue;
			}
			for (j = i; j < sl->nblocks && !sl->map[j] && j - i < 0xffff; j++)
				;
			items[k].chunk = sl->chunk;
			items[k].count = 1;
			items[k].first_block = (uint16_t)i;
			items[k].nblocks = (uint16_t)(j - i);
			if (++k == MP_REQ_MAX_ITEMS)
				FLUSH();
		}
	}
	for (i = 0; i < n && dgrams < 4; i = j) {
		if (!ELIGIBLE(i)) {
			j = i + 1;
			continue;
		}
		for (j = i; j < n && ELIGIBLE(j) && j - i < 0xffff; j++)
			r->asked[j] = t;
		items[k].chunk = i;
		items[k].count = (uint16_t)(j - i);
		items[k].first_block = 0;
		items[k].nblocks = 0;
		if (++k == MP_REQ_MAX_ITEMS)
			FLUSH();
	}
	if (k > 0)
		FLUSH();
#undef FLUSH
#undef ELIGIBLE
}

static void
send_status(struct rx *r, int done)
{
	struct mp_status st;
	uint8_t buf[MP_MAX_DGRAM];
	size_t len;

	memset(&st, 0, sizeof(st));
	st.chunks_total = r->info.img.n_chunks;
	st.chunks_done = st.chunks_total - r->missing;
	st.bytes_total = r->st->bytes_total;
	st.bytes_done = r->st->bytes_done;
	st.loss_ppm = r->loss_ppm;
	st.corrupt = r->st->chunks_corrupt;
	st.seq_next = r->seq_next;
	st.window = r->window;
	len = mp_encode_status(buf, sizeof(buf), r->session, r->client,
	    (uint8_t)((done ? MP_F_DONE : 0) | (r->seq_valid && !done ? MP_F_SEQ : 0)), &st);
	send_ctl(r, buf, len);
	r->taken = 0;
	r->status_now = 0;
}

static struct slot *
slot_for(struct rx *r, uint32_t chunk, uint32_t clen, uint32_t nblocks)
{
	struct slot *sl, *victim = NULL;
	int s;

	for (s = 0; s < NSLOTS; s++)
		if (r->slots[s].used && r->slots[s].chunk == chunk)
			return &r->slots[s];
	/* A free slot, else the one with the least received (LRU among
	 * equals): it costs the least to fetch again. */
	for (s = 0; s < NSLOTS; s++) {
		sl = &r->slots[s];
		if (!sl->used) {
			victim = sl;
			break;
		}
		if (victim == NULL || sl->got < victim->got ||
		    (sl->got == victim->got && sl->touched < victim->touched))
			victim = sl;
	}
	if (victim->buf == NULL) {
		victim->buf = malloc(r->slot_cap);
		victim->map = malloc(mp_nblocks((uint32_t)r->slot_cap) + 1);
		if (victim->buf == NULL || victim->map == NULL)
			return NULL;
	}
	if (victim->used) {
		r->inslot[victim->chunk] = 0;
		r->st->evicted++;
	}
	victim->used = 1;
	victim->chunk = chunk;
	r->inslot[chunk] = 1;
	victim->clen = clen;
	victim->nblocks = nblocks;
	victim->got = 0;
	memset(victim->map, 0, nblocks);
	return victim;
}

static int
complete(struct rx *r, struct slot *sl)
{
	const struct sosimg_entry *e = &r->ents[sl->chunk];
	const struct mcast_recv_sink *s = &r->cfg->sink;
	const uint8_t *data;
	char e2[200];

	sl->used = 0;
	r->inslot[sl->chunk] = 0;
	if (sosimg_check_chunk(e, sl->buf, sl->clen, r->dec, &data, e2, sizeof(e2)) != 0) {
		/* Never used: asked for again right away. */
		r->st->chunks_corrupt++;
		r->asked[sl->chunk] = 0;
		rx_event(r, "chunk %u failed its check (%s); fetching it again", sl->chunk, e2);
		return 0;
	}
	if (s->write(s->ctx, e->disk_off, data, e->ulen) < 0)
		return rx_fail(r, "writing chunk %u at disk offset %llu failed", sl->chunk,
		    (unsigned long long)e->disk_off);
	r->have[sl->chunk] = 1;
	r->missing--;
	r->st->chunks_received++;
	r->st->bytes_done += e->ulen;
	report_progress(r);
	return 0;
}

static int
on_data(struct rx *r, const uint8_t *buf, size_t len, int from_group)
{
	const struct sosimg_entry *e;
	struct mp_data d;
	struct mp_hdr h;
	struct slot *sl;

	if (mp_parse_hdr(buf, len, &h) < 0 || h.type != MP_DATA || h.session != r->session ||
	    mp_parse_data(buf, len, &d) < 0)
		return 0;
	if (from_group) {
		r->last_mc_data = r->now;
		r->asked_since = 0;
		/* Loss estimate from the multicast sequence (unicast is unsequenced). */
		if (!r->seq_any || (int32_t)(d.seq - r->seq_lo) < 0)
			r->seq_lo = r->seq_any ? d.seq : d.seq;
		if (!r->seq_any || (int32_t)(d.seq - r->seq_hi) > 0)
			r->seq_hi = d.seq;
		r->seq_any = 1;
		r->seq_n++;
		if (!r->seq_valid || (int32_t)(d.seq + 1 - r->seq_next) > 0)
			r->seq_next = d.seq + 1;
		if (!r->seq_valid)
			r->status_now = 1; /* tell the server our window at once */
		r->seq_valid = 1;
		r->taken++;
	}
	r->st->datagrams++;
	if (d.chunk >= r->info.img.n_chunks)
		return 0;
	e = &r->ents[d.chunk];
	if (r->have[d.chunk] || e->codec == SOSIMG_ZERO || d.clen != e->clen) {
		r->st->useless++;
		return 0;
	}
	sl = slot_for(r, d.chunk, d.clen, d.nblocks);
	if (sl == NULL)
		return rx_fail(r, "out of memory for chunk buffers");
	sl->touched = r->now;
	if (sl->map[d.block]) {
		r->st->useless++;
		return 0;
	}
	memcpy(sl->buf + (size_t)d.block * MP_BLOCK, d.data, d.len);
	sl->map[d.block] = 1;
	if (++sl->got == sl->nblocks)
		return complete(r, sl);
	return 0;
}

static void
update_loss(struct rx *r)
{
	uint64_t expect;

	if (r->seq_any && r->seq_n > 20) {
		expect = (uint64_t)(r->seq_hi - r->seq_lo) + 1;
		r->loss_ppm = expect > r->seq_n ?
		    (uint32_t)((expect - r->seq_n) * 1000000 / expect) : 0;
	} else {
		r->loss_ppm = 0;
	}
	r->seq_any = 0;
	r->seq_n = 0;
}

static int
main_loop(struct rx *r)
{
	struct pollfd p[2];
	int fallback = r->cfg->fallback_ms > 0 ? r->cfg->fallback_ms : 3000;
	uint64_t t, deadline = r->start + (uint64_t)(r->cfg->timeout_s > 0 ?
	    r->cfg->timeout_s : 3600) * 1000;
	struct timespec nap = { 0, 1000000 };
	int i, n, budget, got, streaming = 0, drained = 1;

	r->last_mc_data = now_ms();
	while (r->missing > 0) {
		t = now_ms();
		if (t > deadline)
			return rx_fail(r, "timed out with %u of %u chunks missing", r->missing,
			    r->info.img.n_chunks);
		/* Fall back only when we asked and multicast did not answer: a
		 * quiet group while nothing is asked for is no sign of trouble. */
		if (!r->unicast && r->asked_since != 0 &&
		    t - r->asked_since > (uint64_t)fallback) {
			r->unicast = 1;
			r->st->unicast = 1;
			rx_event(r, "no multicast for %d ms: falling back to unicast", fallback);
		}
		/* Ask only with nothing queued locally: what sits unread in our
		 * own socket buffer (we may have been descheduled) is not lost. */
		if (drained && t - r->last_req >= REQ_TICK_MS) {
			send_requests(r, t);
			r->last_req = t;
		}
		/* STATUS every 250 ms, and whenever a quarter of our window has
		 * been taken off the socket: the server holds the stream to what
		 * the slowest working receiver has room for. */
		if (t - r->last_loss >= STATUS_INTERVAL_MS) {
			update_loss(r);
			r->last_loss = t;
		}
		if (t - r->last_status >= STATUS_INTERVAL_MS ||
		    (r->window > 0 && r->taken >= r->window / 4)) {
			send_status(r, 0);
			r->last_status = t;
		}
		/* While data streams in, drain what has queued and nap a
		 * millisecond rather than wait in poll: a receiver not waiting
		 * on its socket costs the sending host no wake-up per datagram,
		 * which is most of the cost of delivering to many receivers on
		 * one host.  The socket buffer holds far more than a nap's worth. */
		if (!streaming) {
			p[0].fd = r->ctl;
			p[0].events = POLLIN;
			p[1].fd = r->mc;
			p[1].events = POLLIN;
			if (poll(p, r->mc >= 0 ? 2 : 1, 20) <= 0)
				continue;
		}
		got = 0;
		drained = 1;
		for (i = 0; i < 2; i++) {
			int fd = i == 0 ? r->ctl : r->mc, j;

			if (fd < 0)
				break;
			/* Drain in bounded batches so neither socket starves. */
			for (budget = 512; r->missing > 0; budget -= n) {
				if (budget <= 0) {
					drained = 0;
					break;
				}
				n = recvmmsg(fd, r->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
				if (n <= 0)
					break;
				r->now = now_ms();
				for (j = 0; j < n && r->missing > 0; j++) {
					got++;
					/* Longer than any datagram of ours: not ours. */
					if (r->msgs[j].msg_hdr.msg_flags & MSG_TRUNC)
						continue;
					if (on_data(r, r->bufs + (size_t)j * MP_MAX_DGRAM,
					    r->msgs[j].msg_len, i == 1) < 0)
						return -1;
				}
				/* The server may send only a window past what we
				 * reported: report as we go, not once drained. */
				if (r->status_now || (r->window > 0 && r->taken >= r->window / 4)) {
					send_status(r, 0);
					r->last_status = r->now;
				}
				if (n < RX_BATCH)
					break;
			}
		}
		streaming = got > 0;
		if (streaming && r->missing > 0)
			nanosleep(&nap, NULL);
	}
	return 0;
}

int
mcast_recv_run(const struct mcast_recv_cfg *cfg, struct mcast_recv_stats *st,
    char *err, size_t errlen)
{
	struct mcast_recv_stats local;
	struct rx r;
	size_t cap;
	uint32_t i;
	int rc = -1, s;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.st = st != NULL ? st : &local;
	memset(r.st, 0, sizeof(*r.st));
	r.err = err;
	r.errlen = errlen;
	r.mc = -1;
	r.start = now_ms();
	r.unicast = cfg->unicast_only;
	r.st->unicast = r.unicast;
	if (RAND_bytes((uint8_t *)&r.client, sizeof(r.client)) != 1 || r.client == 0)
		r.client = (uint32_t)getpid() * 2654435761u | 1;
	r.srv.sin_family = AF_INET;
	r.srv.sin_addr.s_addr = cfg->server;
	r.srv.sin_port = htons(cfg->port);
	r.ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r.ctl < 0)
		return rx_fail(&r, "socket: %s", strerror(errno));
	big_rcvbuf(r.ctl, 16);
	if (do_join(&r) < 0 || fetch_index(&r) < 0)
		goto done;
	r.st->chunks_total = r.info.img.n_chunks;
	r.st->bytes_total = r.info.img.disk_size;
	memcpy(r.st->image_sha256, r.info.img.image_sha256, 32);
	r.missing = r.info.img.n_chunks;
	r.have = calloc(r.info.img.n_chunks + 1, 1);
	r.inslot = calloc(r.info.img.n_chunks + 1, 1);
	r.asked = calloc(r.info.img.n_chunks + 1, sizeof(uint64_t));
	r.dec = malloc(r.info.img.chunk_size);
	cap = sosimg_compress_bound(r.info.img.chunk_size);
	if (r.have == NULL || r.inslot == NULL || r.asked == NULL || r.dec == NULL) {
		rx_fail(&r, "out of memory");
		goto done;
	}
	r.slot_cap = cap;
	r.bufs = malloc((size_t)RX_BATCH * MP_MAX_DGRAM);
	if (r.bufs == NULL) {
		rx_fail(&r, "out of memory");
		goto done;
	}
	for (s = 0; s < RX_BATCH; s++) {
		r.iovs[s].iov_base = r.bufs + (size_t)s * MP_MAX_DGRAM;
		r.iovs[s].iov_len = MP_MAX_DGRAM;
		r.msgs[s].msg_hdr.msg_iov = &r.iovs[s];
		r.msgs[s].msg_hdr.msg_iovlen = 1;
	}
	if (take_existing(&r) < 0)
		goto done;
	if (!r.unicast && r.missing > 0 && join_group(&r) < 0)
		goto done;
	if (main_loop(&r) < 0)
		goto done;
	/* Tell the server we are done; STATUS is idempotent, so say it thrice
	 * in case one is lost. */
	for (i = 0; i < 3; i++)
		send_status(&r, 1);
	rc = 0;
done:
	if (r.mc >= 0)
		close(r.mc); /* closing leaves the group (IGMP leave, RFC 2236 3) */
	close(r.ctl);
	for (s = 0; s < NSLOTS; s++) {
		free(r.slots[s].buf);
		free(r.slots[s].map);
	}
	free(r.ents);
	free(r.have);
	free(r.inslot);
	free(r.asked);
	free(r.dec);
	free(r.bufs);
	return rc;
}

/* ---- a sink over a file or block device ---- */

struct fd_sink {
	int fd;
	int resume;
	int fresh;
	int is_blk;
	uint8_t *buf;
	size_t buflen;
};

static int
fd_write(void *ctx, uint64_t off, const uint8_t *buf, size_t len)
{
	struct fd_sink *f = ctx;
	ssize_t n;

	while (len > 0) {
		n = pwrite(f->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fd_have(void *ctx, const struct sosimg_entry *e)
{
	struct fd_sink *f = ctx;
	uint8_t md[32];
	uint8_t *nb;
	ssize_t n;

	if (!f->resume)
		return 0;
	if (f->buflen < e->ulen) {
		nb = realloc(f->buf, e->ulen);
		if (nb == NULL)
			return 0;
		f->buf = nb;
		f->buflen = e->ulen;
	}
	n = pread(f->fd, f->buf, e->ulen, (off_t)e->disk_off);
	if (n != (ssize_t)e->ulen)
		return 0;
	SHA256(f->buf, e->ulen, md);
	return memcmp(md, e->sha256, 32) == 0;
}

static int
fd_zero(void *ctx, uint64_t off, size_t len)
{
	static const uint8_t zeros[65536];
	struct fd_sink *f = ctx;
	uint64_t range[2] = { off, len };
	size_t n;

	if (f->fresh)
		return 0;
	if (f->is_blk) {
		if (ioctl(f->fd, BLKZEROOUT, range) == 0)
			return 0;
	} else if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)off, (off_t)len) == 0) {
		return 0;
	}
	while (len > 0) {
		n = len < sizeof(zeros) ? len : sizeof(zeros);
		if (fd_write(f, off, zeros, n) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

int
mcast_recv_fd_sink(int fd, int resume, int fresh, struct mcast_recv_sink *out)
{
	struct fd_sink *f;
	struct stat st;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	f->fd = fd;
	f->resume = resume;
	f->fresh = fresh;
	f->is_blk = fstat(fd, &st) == 0 && S_ISBLK(st.st_mode);
	out->write = fd_write;
	out->have = fd_have;
	out->zero = fd_zero;
	out->ctx = f;
	return 0;
}

void
mcast_recv_fd_sink_free(void *ctx)
{
	struct fd_sink *f = ctx;

	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}
