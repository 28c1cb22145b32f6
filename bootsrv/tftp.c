/* The TFTP service: one listening socket for requests and one connected
 * socket per transfer (the server's "TID", RFC 1350 section 4), all on
 * the bootsrv libevent loop.  Nothing here blocks: files are read with
 * pread() from the local disk, sends that would block wait for the
 * socket to drain, and every transfer is driven by its own timer.
 *
 * Reads send a window of blocks (RFC 7440; a window of 1 is plain RFC
 * 1350 lock-step) and move it on ACKs.  Block numbers are 16 bits on the
 * wire and roll over from 65535 to 0; internally they are 64 bits, so
 * files of any size go through. */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bootfile.h"
#include "config.h"
#include "log.h"
#include "tftp.h"
#include "tftp_parse.h"
#include "util.h"

#define TFTP_DEFAULT_BLKSIZE 512      /* RFC 1350 */
#define NETASCII_MAX (16u << 20)      /* netascii files are converted in memory */
#define RECV_BATCH 64                 /* requests taken per wake-up */
#define PKT_MAX (4 + TFTP_BLKSIZE_MAX)

struct xfer {
	TAILQ_ENTRY(xfer) entry;
	struct tftp_server *srv;
	struct sockaddr_in peer;
	char peername[INET_ADDRSTRLEN + 8];
	char path[TFTP_NAME_MAX + 1];
	int sock;
	struct event *ev_read;
	struct event *ev_write;       /* armed while the socket is full */
	struct event *ev_timer;
	int is_write;
	int fd;                       /* the file */
	uint8_t *mem;                 /* netascii: the converted file */
	uint64_t size;                /* bytes to send (reads) */
	unsigned blksize;
	unsigned window;
	struct timeval timeout;
	unsigned retries_left;
	int oack_pending;             /* OACK sent, waiting for ACK 0 */
	struct tftp_request req;      /* for resending the OACK */
	uint64_t nblocks;             /* reads: blocks in the file, last one short */
	uint64_t base;                /* reads: lowest unacknowledged block */
	uint64_t sent;                /* reads: highest block sent in this window */
	uint64_t dup_resent;          /* reads: base at the last duplicate-ACK resend */
	uint64_t n_timeouts;          /* retransmission timer expiries */
	uint64_t written;             /* writes: bytes stored */
	uint64_t last_block;          /* writes: highest block stored */
	uint8_t *pkt;                 /* send buffer, 4 + blksize (at least 516) */
	size_t pktsize;
};

TAILQ_HEAD(xfer_list, xfer);

struct tftp_server {
	struct event_base *base;
	struct tftp_params p;
	char root[PATH_MAX];
	int rootfd;
	int sock;
	struct sockaddr_in bound;
	struct event *ev_req;
	struct xfer_list xfers;
	unsigned n_xfers;
	uint64_t n_done, n_failed;
};

static struct log_ratelimit rl_bad = LOG_RATELIMIT_INIT(10, 20);

static void xfer_read_cb(evutil_socket_t, short, void *);
static void xfer_write_cb(evutil_socket_t, short, void *);
static void xfer_timer_cb(evutil_socket_t, short, void *);

static void
xfer_free(struct xfer *x, int ok)
{
	struct tftp_server *srv = x->srv;

	if (ok)
		srv->n_done++;
	else
		srv->n_failed++;
	TAILQ_REMOVE(&srv->xfers, x, entry);
	srv->n_xfers--;
	if (x->ev_read != NULL)
		event_free(x->ev_read);
	if (x->ev_write != NULL)
		event_free(x->ev_write);
	if (x->ev_timer != NULL)
		event_free(x->ev_timer);
	if (x->sock >= 0)
		close(x->sock);
	if (x->fd >= 0)
		close(x->fd);
	if (!ok && x->is_write && x->fd >= 0)
		(void)unlinkat(srv->rootfd, x->path, 0);
	free(x->mem);
	free(x->pkt);
	free(x);
}

/* Errors go from the transfer's own port when there is one. */
static void
send_error(int sock, const struct sockaddr_in *to, uint16_t code, const char *msg)
{
	uint8_t buf[4 + 128];
	size_t n;

	n = tftp_build_error(buf, sizeof(buf), code, msg);
	if (n == 0)
		return;
	if (to != NULL)
		(void)sendto(sock, buf, n, MSG_DONTWAIT, (const struct sockaddr *)to,
		    sizeof(*to));
	else
		(void)send(sock, buf, n, MSG_DONTWAIT);
}

static void
xfer_fail(struct xfer *x, uint16_t code, const char *msg)
{
	log_info("tftp: %s %s: %s", x->peername, x->path, msg);
	send_error(x->sock, NULL, code, msg);
	xfer_free(x, 0);
}

static void
arm_timer(struct xfer *x)
{
	evtimer_add(x->ev_timer, &x->timeout);
}

/* Put block b (1-based) of the file into x->pkt; returns the packet
 * length or 0 on a read error. */
static size_t
fill_block(struct xfer *x, uint64_t b)
{
	uint64_t off = (b - 1) * x->blksize;
	size_t want = 0;
	ssize_t r;

	if (off < x->size)
		want = (size_t)(x->size - off < x->blksize ? x->size - off : x->blksize);
	x->pkt[0] = 0;
	x->pkt[1] = TFTP_DATA;
	x->pkt[2] = (uint8_t)(b >> 8);
	x->pkt[3] = (uint8_t)b;
	if (want == 0)
		return 4;
	if (x->mem != NULL) {
		memcpy(x->pkt + 4, x->mem + off, want);
		return 4 + want;
	}
	r = pread(x->fd, x->pkt + 4, want, (off_t)off);
	if (r != (ssize_t)want)
		return 0;
	return 4 + want;
}

/* Send blocks after x->sent up to the end of the window (or the file).
 * If the socket is full, wait for it to drain and carry on. */
static void
send_window(struct xfer *x)
{
	uint64_t last = x->base + x->window - 1;
	size_t n;

	if (last > x->nblocks)
		last = x->nblocks;
	while (x->sent < last) {
		n = fill_block(x, x->sent + 1);
		if (n == 0) {
			xfer_fail(x, TFTP_EUNDEF, "read error");
			return;
		}
		if (send(x->sock, x->pkt, n, MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
				event_add(x->ev_write, NULL);
				break;
			}
			/* ECONNREFUSED: the client went away (ICMP). */
			log_debug("tftp: %s %s: send: %s", x->peername, x->path,
			    strerror(errno));
			xfer_free(x, 0);
			return;
		}
		x->sent++;
	}
	arm_timer(x);
}

static void
xfer_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct xfer *x = arg;

	(void)fd;
	(void)ev;
	send_window(x);
}

static void
send_oack(struct xfer *x)
{
	size_t n = tftp_build_oack(x->pkt, x->pktsize, &x->req);

	if (n > 0)
		(void)send(x->sock, x->pkt, n, MSG_DONTWAIT);
	arm_timer(x);
}

static void
send_ack(struct xfer *x, uint16_t block)
{
	uint8_t buf[4];

	(void)send(x->sock, buf, tftp_build_ack(buf, sizeof(buf), block), MSG_DONTWAIT);
	arm_timer(x);
}

/* An ACK on a read.  Its 16-bit number is placed in the range the
 * client can be acknowledging, [base - 1, sent]; anything else is stale
 * or bogus and ignored. */
static void
read_ack(struct xfer *x, uint16_t block)
{
	uint64_t acked, d;

	if (x->oack_pending) {
		if (block != 0)
			return;
		x->oack_pending = 0;
		x->base = 1;
		x->sent = 0;
		x->retries_left = x->srv->p.retries;
		send_window(x);
		return;
	}
	d = (uint16_t)(block - (uint16_t)(x->base - 1));
	if (d > x->sent - (x->base - 1))
		return;
	if (d == 0) {
		/* A repeated ACK for the block before the window: the client
		 * saw nothing of it (RFC 7440 section 4).  Resend once per
		 * window position, never once per duplicate, so duplicated
		 * ACKs cannot multiply the traffic (the Sorcerer's Apprentice
		 * of RFC 1123 section 4.2.3.1). */
		if (x->window > 1 && x->dup_resent != x->base && x->sent >= x->base) {
			x->dup_resent = x->base;
			x->sent = x->base - 1;
			send_window(x);
		}
		return;
	}
	acked = x->base - 1 + d;
	x->base = acked + 1;
	x->retries_left = x->srv->p.retries;
	if (acked >= x->nblocks) {
		log_debug("tftp: %s %s: sent %llu bytes, %llu timeouts", x->peername,
		    x->path, (unsigned long long)x->size, (unsigned long long)x->n_timeouts);
		xfer_free(x, 1);
		return;
	}
	/* Part of a window acknowledged: the client missed the block
	 * after it, so the next window starts there (RFC 7440 section 4). */
	if (x->sent > acked)
		x->sent = acked;
	send_window(x);
}

/* A DATA packet on a write. */
static void
write_data(struct xfer *x, const struct tftp_packet *pkt)
{
	uint16_t expect = (uint16_t)(x->last_block + 1);
	ssize_t w;

	if (pkt->block == (uint16_t)x->last_block && !x->oack_pending) {
		/* Our ACK was lost: acknowledge again. */
		send_ack(x, pkt->block);
		return;
	}
	if (pkt->block != expect)
		return;
	/* After an OACK the upload starts with DATA 1 (RFC 2347). */
	x->oack_pending = 0;
	if (pkt->datalen > x->blksize) {
		xfer_fail(x, TFTP_EBADOP, "block larger than the negotiated size");
		return;
	}
	if (x->written + pkt->datalen > x->srv->p.write_max) {
		xfer_fail(x, TFTP_ENOSPACE, "upload exceeds the size limit");
		return;
	}
	w = pwrite(x->fd, pkt->data, pkt->datalen, (off_t)x->written);
	if (w != (ssize_t)pkt->datalen) {
		xfer_fail(x, TFTP_ENOSPACE, "write error");
		return;
	}
	x->written += pkt->datalen;
	x->last_block++;
	x->retries_left = x->srv->p.retries;
	send_ack(x, pkt->block);
	if (pkt->datalen < x->blksize) {
		log_info("tftp: %s %s: received %llu bytes", x->peername, x->path,
		    (unsigned long long)x->written);
		xfer_free(x, 1);
	}
}

static void
xfer_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct xfer *x = arg;
	struct tftp_packet pkt;
	uint8_t buf[PKT_MAX];
	ssize_t n;
	int i;

	(void)ev;
	/* Drain what is queued, but yield to other transfers regularly. */
	for (i = 0; i < RECV_BATCH; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			log_debug("tftp: %s %s: recv: %s", x->peername, x->path,
			    strerror(errno));
			xfer_free(x, 0);
			return;
		}
		if (tftp_parse_packet(buf, (size_t)n, &pkt) != TFTP_P_OK) {
			log_limited(&rl_bad, LOG_INFO, "tftp: %s %s: malformed packet dropped",
			    x->peername, x->path);
			continue;
		}
		switch (pkt.opcode) {
		case TFTP_ACK:
			if (x->is_write)
				goto illegal;
			read_ack(x, pkt.block);
			return;	/* x may be gone */
		case TFTP_DATA:
			if (!x->is_write)
				goto illegal;
			write_data(x, &pkt);
			return;
		case TFTP_ERROR:
			/* Normal after a tsize probe: the client read the OACK
			 * and stopped (RFC 2349 section "Transfer Size"). */
			log_debug("tftp: %s %s: client error %u: %s", x->peername, x->path,
			    pkt.errcode, pkt.errmsg);
			xfer_free(x, pkt.errcode == TFTP_EOPTNEG || pkt.errcode == 0);
			return;
		default:
			goto illegal;
		}
	}
	return;
illegal:
	xfer_fail(x, TFTP_EBADOP, "illegal TFTP operation");
}

static void
xfer_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct xfer *x = arg;

	(void)fd;
	(void)ev;
	if (x->retries_left == 0) {
		log_info("tftp: %s %s: timed out", x->peername, x->path);
		send_error(x->sock, NULL, TFTP_EUNDEF, "timed out");
		xfer_free(x, 0);
		return;
	}
	x->retries_left--;
	x->n_timeouts++;
	if (x->oack_pending)
		send_oack(x);
	else if (x->is_write)
		send_ack(x, (uint16_t)x->last_block);
	else {
		x->sent = x->base - 1;
		send_window(x);
	}
}

static const char *
open_error(int err, uint16_t *code)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		*code = TFTP_ENOTFOUND;
		return "file not found";
	case EEXIST:
		*code = TFTP_EEXISTS;
		return "file already exists";
	case EXDEV:
	case ELOOP:
		*code = TFTP_EACCESS;
		return "access violation: path leaves the TFTP root";
	default:
		*code = TFTP_EACCESS;
		return "access violation";
	}
}

/* Is this a retransmitted request of a transfer that has not started? */
static int
duplicate_request(struct tftp_server *srv, const struct sockaddr_in *from)
{
	struct xfer *x;

	TAILQ_FOREACH(x, &srv->xfers, entry)
		if (x->peer.sin_port == from->sin_port &&
		    x->peer.sin_addr.s_addr == from->sin_addr.s_addr)
			return 1;
	return 0;
}

static int
netascii_load(struct xfer *x)
{
	struct stat st;
	uint8_t *raw;
	size_t n;
	ssize_t r;

	if (fstat(x->fd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size > NETASCII_MAX) {
		errno = EFBIG;
		return -1;
	}
	raw = malloc((size_t)st.st_size + 1);
	x->mem = malloc(2 * (size_t)st.st_size + 1);
	if (raw == NULL || x->mem == NULL) {
		free(raw);
		return -1;
	}
	r = pread(x->fd, raw, (size_t)st.st_size, 0);
	if (r != st.st_size) {
		free(raw);
		errno = EIO;
		return -1;
	}
	n = tftp_netascii_encode(raw, (size_t)r, x->mem, 2 * (size_t)st.st_size + 1);
	free(raw);
	x->size = n;
	return 0;
}

static void
start_transfer(struct tftp_server *srv, const struct sockaddr_in *from,
    const struct in_addr *local, struct tftp_request *req)
{
	struct sockaddr_in me;
	struct xfer *x;
	struct stat st;
	const char *why;
	uint16_t code;
	int sndbuf = 4 << 20;
	char rel[TFTP_NAME_MAX + 1];

	if (duplicate_request(srv, from))
		return;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return;
	x->srv = srv;
	x->sock = -1;
	x->fd = -1;
	x->peer = *from;
	inet_ntop(AF_INET, &from->sin_addr, x->peername, INET_ADDRSTRLEN);
	snprintf(x->peername + strlen(x->peername), 8, ":%u", ntohs(from->sin_port));
	str_copy(x->path, req->filename, sizeof(x->path));
	for (char *c = x->path; *c != '\0'; c++)	/* printable in logs */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	TAILQ_INSERT_TAIL(&srv->xfers, x, entry);
	srv->n_xfers++;

	/* The transfer's own socket, from the address the request came to. */
	x->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->sock < 0) {
		log_limited(&rl_bad, LOG_WARNING, "tftp: socket: %s", strerror(errno));
		send_error(srv->sock, from, TFTP_EUNDEF, "server out of resources");
		xfer_free(x, 0);
		return;
	}
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr = *local;
	(void)setsockopt(x->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (bind(x->sock, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    connect(x->sock, (const struct sockaddr *)from, sizeof(*from)) < 0) {
		log_limited(&rl_bad, LOG_WARNING, "tftp: %s: bind/connect: %s", x->peername,
		    strerror(errno));
		send_error(srv->sock, from, TFTP_EUNDEF, "server out of resources");
		xfer_free(x, 0);
		return;
	}
	x->ev_read = event_new(srv->base, x->sock, EV_READ | EV_PERSIST, xfer_read_cb, x);
	x->ev_write = event_new(srv->base, x->sock, EV_WRITE, xfer_write_cb, x);
	x->ev_timer = evtimer_new(srv->base, xfer_timer_cb, x);
	if (x->ev_read == NULL || x->ev_write == NULL || x->ev_timer == NULL) {
		xfer_fail(x, TFTP_EUNDEF, "server out of resources");
		return;
	}
	event_add(x->ev_read, NULL);

	if (tftp_path_check(req->filename, rel, sizeof(rel), &why) < 0) {
		xfer_fail(x, TFTP_EACCESS, why);
		return;
	}
	x->is_write = req->opcode == TFTP_WRQ;
	if (x->is_write && !srv->p.write_enabled) {
		xfer_fail(x, TFTP_EACCESS, "access violation: write requests are disabled");
		return;
	}
	if (x->is_write && req->has_tsize && req->tsize > srv->p.write_max) {
		xfer_fail(x, TFTP_ENOSPACE, "upload exceeds the size limit");
		return;
	}
	/* Writes only ever create new files: nothing served can be replaced. */
	x->fd = bootfile_open(srv->rootfd, rel,
	    x->is_write ? O_WRONLY | O_CREAT | O_EXCL : O_RDONLY, 0644);
	if (x->fd < 0) {
		int err = errno;
		why = open_error(err, &code);
		log_info("tftp: %s %s %s: %s (%s)", x->peername,
		    x->is_write ? "WRQ" : "RRQ", x->path, why, strerror(err));
		send_error(x->sock, NULL, code, why);
		xfer_free(x, 0);
		return;
	}

	/* Negotiate (RFC 2347): answer only what we honour, capped. */
	x->blksize = TFTP_DEFAULT_BLKSIZE;
	x->window = 1;
	x->timeout.tv_sec = srv->p.timeout_ms / 1000;
	x->timeout.tv_usec = (srv->p.timeout_ms % 1000) * 1000;
	if (req->has_blksize) {
		if (req->blksize > srv->p.max_blksize)
			req->blksize = srv->p.max_blksize;
		x->blksize = req->blksize;
	}
	if (req->has_timeout) {
		x->timeout.tv_sec = req->timeout;
		x->timeout.tv_usec = 0;
	}
	if (req->has_windowsize) {
		if (x->is_write)
			req->has_windowsize = 0;	/* uploads stay lock-step */
		else {
			if (req->windowsize > srv->p.max_window)
				req->windowsize = srv->p.max_window;
			x->window = req->windowsize;
		}
	}
	x->pktsize = 4 + (x->blksize > 512 ? x->blksize : 512);
	x->pkt = malloc(x->pktsize);
	if (x->pkt == NULL) {
		xfer_fail(x, TFTP_EUNDEF, "server out of resources");
		return;
	}
	x->retries_left = srv->p.retries;
	if (!x->is_write) {
		if (req->mode == TFTP_MODE_NETASCII) {
			if (netascii_load(x) < 0) {
				xfer_fail(x, TFTP_EUNDEF, errno == EFBIG ?
				    "file too large for netascii" : "read error");
				return;
			}
		} else {
			if (fstat(x->fd, &st) < 0) {
				xfer_fail(x, TFTP_EUNDEF, "read error");
				return;
			}
			x->size = (uint64_t)st.st_size;
		}
		/* The last block is short, possibly empty (RFC 1350 section 6). */
		x->nblocks = x->size / x->blksize + 1;
		if (req->has_tsize)
			req->tsize = x->size;
	}
	log_debug("tftp: %s %s %s blksize %u window %u", x->peername,
	    x->is_write ? "WRQ" : "RRQ", x->path, x->blksize, x->window);
	if (req->has_blksize || req->has_tsize || req->has_timeout || req->has_windowsize) {
		x->req = *req;
		x->oack_pending = 1;
		send_oack(x);
		return;
	}
	if (x->is_write) {
		send_ack(x, 0);
		return;
	}
	x->base = 1;
	x->sent = 0;
	send_window(x);
}

static void
request_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tftp_server *srv = arg;
	uint8_t buf[PKT_MAX];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct sockaddr_in from;
	struct in_addr local;
	struct tftp_request req;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;
	char peer[INET_ADDRSTRLEN];
	ssize_t n;
	int i, perr;

	(void)ev;
	for (i = 0; i < RECV_BATCH; i++) {
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return;
		if (msg.msg_namelen < sizeof(from) || from.sin_family != AF_INET)
			continue;
		local = srv->bound.sin_addr;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				local = pi.ipi_addr;
			}
		/* Never answer an ERROR (two servers could loop) or port 0. */
		if (from.sin_port == 0 || (n >= 2 && buf[0] == 0 && buf[1] == TFTP_ERROR))
			continue;
		inet_ntop(AF_INET, &from.sin_addr, peer, sizeof(peer));
		perr = tftp_parse_request(buf, (size_t)n, &req);
		if (perr != TFTP_P_OK) {
			log_limited(&rl_bad, LOG_INFO, "tftp: %s:%u: bad request: %s", peer,
			    ntohs(from.sin_port), tftp_perr_str(perr));
			/* Only answer what looks like a request at all. */
			send_error(fd, &from, TFTP_EBADOP, tftp_perr_str(perr));
			continue;
		}
		if (srv->n_xfers >= srv->p.max_transfers) {
			log_limited(&rl_bad, LOG_WARNING,
			    "tftp: %s: %u transfers running, request refused", peer,
			    srv->n_xfers);
			send_error(fd, &from, TFTP_EUNDEF, "server busy, try again");
			continue;
		}
		start_transfer(srv, &from, &local, &req);
	}
}

int
tftp_start(struct event_base *base, const struct tftp_params *p, struct tftp_server **out)
{
	struct tftp_server *srv;
	int on = 1;

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -1;
	srv->base = base;
	srv->p = *p;
	srv->sock = -1;
	TAILQ_INIT(&srv->xfers);
	str_copy(srv->root, p->root, sizeof(srv->root));
	srv->p.root = srv->root;
	srv->p.listen = NULL;
	if (srv->p.max_blksize < TFTP_BLKSIZE_MIN || srv->p.max_blksize > TFTP_BLKSIZE_MAX)
		srv->p.max_blksize = TFTP_BLKSIZE_MAX;
	if (srv->p.max_window < 1)
		srv->p.max_window = 1;
	if (srv->p.timeout_ms == 0)
		srv->p.timeout_ms = 1000;

	srv->rootfd = bootfile_root(p->root);
	if (srv->rootfd < 0) {
		log_err("tftp: root %s: %s", p->root, strerror(errno));
		goto fail;
	}
	if (hostport_parse(p->listen, &srv->bound) < 0) {
		log_err("tftp: listen address '%s' is not ADDR:PORT", p->listen);
		goto fail;
	}
	srv->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->sock < 0 ||
	    setsockopt(srv->sock, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
	    setsockopt(srv->sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    bind(srv->sock, (struct sockaddr *)&srv->bound, sizeof(srv->bound)) < 0) {
		log_err("tftp: listen on %s: %s", p->listen, strerror(errno));
		goto fail;
	}
	srv->ev_req = event_new(base, srv->sock, EV_READ | EV_PERSIST, request_cb, srv);
	if (srv->ev_req == NULL || event_add(srv->ev_req, NULL) < 0)
		goto fail;
	log_info("tftp: serving %s on %s%s", p->root, p->listen,
	    p->write_enabled ? " (uploads of new files allowed)" : "");
	*out = srv;
	return 0;
fail:
	tftp_stop(srv);
	return -1;
}

void
tftp_stop(struct tftp_server *srv)
{
	struct xfer *x;

	if (srv == NULL)
		return;
	while ((x = TAILQ_FIRST(&srv->xfers)) != NULL)
		xfer_free(x, 0);
	if (srv->ev_req != NULL)
		event_free(srv->ev_req);
	if (srv->sock >= 0)
		close(srv->sock);
	if (srv->rootfd >= 0)
		close(srv->rootfd);
	free(srv);
}

unsigned
tftp_active(const struct tftp_server *srv)
{
	return srv->n_xfers;
}

static struct tftp_server *service;

int
tftp_service_start(struct event_base *base, const struct conf *conf)
{
	struct tftp_params p;

	/* On when asked for, or when a root is configured: a bootsrv used
	 * for DHCP alone needs no TFTP root. */
	if (conf_has(conf, "bootsrv", "tftp") ? !conf_bool(conf, "bootsrv", "tftp") :
	    !conf_has(conf, "bootsrv", "tftp_root")) {
		log_info("tftp: off (no tftp_root in [bootsrv])");
		return 0;
	}
	memset(&p, 0, sizeof(p));
	p.listen = conf_str(conf, "bootsrv", "tftp_listen");
	p.root = conf_str(conf, "bootsrv", "tftp_root");
	p.write_enabled = conf_bool(conf, "bootsrv", "tftp_write");
	p.write_max = (uint64_t)conf_int(conf, "bootsrv", "tftp_write_max");
	p.max_transfers = (unsigned)conf_int(conf, "bootsrv", "tftp_max_transfers");
	p.retries = (unsigned)conf_int(conf, "bootsrv", "tftp_retries");
	p.timeout_ms = (unsigned)conf_int(conf, "bootsrv", "tftp_timeout_ms");
	p.max_blksize = (unsigned)conf_int(conf, "bootsrv", "tftp_max_blksize");
	p.max_window = (unsigned)conf_int(conf, "bootsrv", "tftp_max_window");
	return tftp_start(base, &p, &service);
}

void
tftp_service_stop(void)
{
	tftp_stop(service);
	service = NULL;
}
