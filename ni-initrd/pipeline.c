/* See pipeline.h.  Three threads (fetch, decode, write) and the caller,
 * which reports progress every second and then verifies.
 *
 * Buffers circulate: a stage pops an empty buffer from its pool, fills
 * it, and pushes it to the next stage's queue; the consumer returns it to
 * the pool it came from.  Every queue can hold every buffer, so a push
 * never blocks and only pops wait: a full pool is what slows a fast stage
 * down to the pace of the slow one.  Any failure sets `failed`, wakes
 * everyone, and every stage drains out. */
#include "pipeline.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "mcast_recv.h"
#include "parttable.h"
#include "util.h"

#define QMAX 64
#define ZERO_CHECK 4096

struct blk {
	uint8_t *data;
	size_t len, cap;
	uint64_t off;		/* image offset of data[0] */
	struct bq *home;	/* the pool it returns to */
};

struct bq {
	pthread_cond_t cv;
	struct blk *items[QMAX];
	int head, n;
	int closed;
};

struct pipe {
	const struct pipe_opts *o;
	struct pipe_progress pr;
	pthread_mutex_t mu;
	struct bq free_fetch, fetched, free_dec, decoded;
	struct blk *blks;
	int nblks;
	int failed;
	char reason[512];
	int threads_left;
	pthread_cond_t done_cv;

	int fd;
	int is_blk;
	int target_is_file;	/* regular file: truncated, so known zeroed */
	uint64_t limit;		/* bytes available at the target, 0 = unbounded */
	uint64_t base;		/* target offset of image byte 0 */
	enum img_format fmt;

	/* fetch */
	struct blk *cur;
	char curl_err[CURL_ERROR_SIZE];

	/* write */
	EVP_MD_CTX *sha;
	uint64_t end;		/* highest image offset written + 1 */
	uint64_t skipped;
	uint64_t next_off;	/* stream order check for the hash */
	int have_image_sha;	/* the format carries the whole image's SHA-256 */
	uint8_t image_sha[32];
};

static void pipe_fail(struct pipe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pipe_fail(struct pipe *p, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&p->mu);
	if (!p->failed) {
		p->failed = 1;
		va_start(ap, fmt);
		vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
		va_end(ap);
		pthread_cond_broadcast(&p->free_fetch.cv);
		pthread_cond_broadcast(&p->fetched.cv);
		pthread_cond_broadcast(&p->free_dec.cv);
		pthread_cond_broadcast(&p->decoded.cv);
	}
	pthread_mutex_unlock(&p->mu);
}

static void
bq_push(struct pipe *p, struct bq *q, struct blk *b)
{
	pthread_mutex_lock(&p->mu);
	/* Cannot overflow: QMAX >= every buffer there is (checked at start). */
	q->items[(q->head + q->n) % QMAX] = b;
	q->n++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&p->mu);
}

/* NULL when the queue is closed and empty, or the pipeline failed. */
static struct blk *
bq_pop(struct pipe *p, struct bq *q)
{
	struct blk *b = NULL;

	pthread_mutex_lock(&p->mu);
	while (q->n == 0 && !q->closed && !p->failed)
		pthread_cond_wait(&q->cv, &p->mu);
	if (q->n > 0 && !p->failed) {
		b = q->items[q->head];
		q->head = (q->head + 1) % QMAX;
		q->n--;
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

static void
bq_close(struct pipe *p, struct bq *q)
{
	pthread_mutex_lock(&p->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
give_back(struct pipe *p, struct blk *b)
{
	b->len = 0;
	bq_push(p, b->home, b);
}

static void
thread_done(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->threads_left--;
	pthread_cond_signal(&p->done_cv);
	pthread_mutex_unlock(&p->mu);
}

/* ---- fetch ---- */

static size_t
fetch_write_cb(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct pipe *p = ctx;
	size_t n = size * nmemb, done = 0;

	while (done < n) {
		size_t k;

		if (p->cur == NULL && (p->cur = bq_pop(p, &p->free_fetch)) == NULL)
			return 0;	/* failed elsewhere: makes curl stop */
		k = p->cur->cap - p->cur->len;
		if (k > n - done)
			k = n - done;
		memcpy(p->cur->data + p->cur->len, data + done, k);
		p->cur->len += k;
		done += k;
		if (p->cur->len == p->cur->cap) {
			bq_push(p, &p->fetched, p->cur);
			p->cur = NULL;
		}
	}
	atomic_fetch_add(&p->pr.fetched, n);
	return n;
}

static int
fetch_xfer_cb(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct pipe *p = ctx;

	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (dltotal > 0)
		atomic_store(&p->pr.total, (uint64_t)dltotal);
	return p->failed ? 1 : 0;
}

static void *
fetch_main(void *arg)
{
	struct pipe *p = arg;
	CURL *c;
	CURLcode rc;
	long code = 0;

	if ((c = curl_easy_init()) == NULL) {
		pipe_fail(p, "fetch: cannot initialise libcurl");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, p->o->plan->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, fetch_xfer_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, p->curl_err);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,tftp,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	/* A stalled server: under 1 KiB/s for 60 s ends the attempt (the
	 * caller retries) rather than hanging the node for ever. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
	/* RFC 2348 block size: 512-byte TFTP blocks are needlessly slow. */
	curl_easy_setopt(c, CURLOPT_TFTP_BLKSIZE, 1428L);
	if (p->o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, p->o->ca_file);
	atomic_store(&p->pr.stage, STAGE_FETCH);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK && !p->failed)
		pipe_fail(p, "fetch %s: %s", p->o->plan->url,
		    p->curl_err[0] != '\0' ? p->curl_err : curl_easy_strerror(rc));
	curl_easy_cleanup(c);
out:
	if (p->cur != NULL) {
		if (p->cur->len > 0 && !p->failed)
			bq_push(p, &p->fetched, p->cur);
		else
			give_back(p, p->cur);
		p->cur = NULL;
	}
	bq_close(p, &p->fetched);
	thread_done(p);
	return NULL;
}

/* ---- decode ---- */

static const char *
dec_reason(const struct decoder *d, int rc)
{
	const char *m = d != NULL ? decoder_errmsg(d) : "";

	return m[0] != '\0' ? m : decode_strerror(rc);
}

static void *
decode_main(void *arg)
{
	struct pipe *p = arg;
	struct decoder *d = NULL;
	struct blk *in, *out = NULL;
	uint64_t off = 0;
	int rc;

	while ((in = bq_pop(p, &p->fetched)) != NULL) {
		size_t pos = 0;

		if (d == NULL) {
			if (p->fmt == IMG_AUTO)
				p->fmt = img_format_sniff(in->data, in->len);
			if ((rc = decoder_new(p->fmt, &d)) != DEC_OK) {
				pipe_fail(p, "decode %s: %s", img_format_name(p->fmt),
				    decode_strerror(rc));
				give_back(p, in);
				break;
			}
		}
		if (decoder_is_passthrough(d)) {
			in->off = off;
			off += in->len;
			atomic_fetch_add(&p->pr.decoded, in->len);
			bq_push(p, &p->decoded, in);
			continue;
		}
		while (pos < in->len || (out != NULL && out->len == out->cap)) {
			size_t used, made;

			if (out == NULL) {
				if ((out = bq_pop(p, &p->free_dec)) == NULL)
					break;
				out->off = off;
			}
			rc = decoder_run(d, in->data + pos, in->len - pos, &used,
			    out->data + out->len, out->cap - out->len, &made);
			pos += used;
			out->len += made;
			off += made;
			atomic_fetch_add(&p->pr.decoded, made);
			if (rc != DEC_OK) {
				pipe_fail(p, "decode %s at image byte %llu: %s",
				    img_format_name(p->fmt), (unsigned long long)off,
				    dec_reason(d, rc));
				break;
			}
			if (out->len == out->cap) {
				bq_push(p, &p->decoded, out);
				out = NULL;
			} else if (used == 0 && made == 0) {
				/* Room for output and input left, yet no
				 * progress: never drop the rest silently. */
				pipe_fail(p, "decode %s: the decoder stalled at image byte %llu",
				    img_format_name(p->fmt), (unsigned long long)off);
				break;
			}
		}
		give_back(p, in);
		if (p->failed)
			break;
	}
	/* Input ended: flush what the codec still holds (zstd may keep
	 * output back until asked with no new input). */
	while (!p->failed && d != NULL && !decoder_is_passthrough(d)) {
		size_t used, made;

		if (out == NULL) {
			if ((out = bq_pop(p, &p->free_dec)) == NULL)
				break;
			out->off = off;
		}
		rc = decoder_run(d, NULL, 0, &used, out->data + out->len,
		    out->cap - out->len, &made);
		out->len += made;
		off += made;
		atomic_fetch_add(&p->pr.decoded, made);
		if (rc != DEC_OK) {
			pipe_fail(p, "decode: %s", dec_reason(d, rc));
			break;
		}
		if (out->len == out->cap) {
			bq_push(p, &p->decoded, out);
			out = NULL;
			continue;
		}
		break;
	}
	if (!p->failed && d != NULL && (rc = decoder_finish(d)) != DEC_OK)
		pipe_fail(p, "decode %s: %s", img_format_name(p->fmt), dec_reason(d, rc));
	if (!p->failed && d != NULL)
		p->have_image_sha = decoder_image_sha256(d, p->image_sha);
	if (!p->failed && d == NULL)
		pipe_fail(p, "fetch %s: the image is empty", p->o->plan->url);
	if (out != NULL) {
		if (out->len > 0 && !p->failed)
			bq_push(p, &p->decoded, out);
		else
			give_back(p, out);
	}
	decoder_free(d);
	bq_close(p, &p->decoded);
	thread_done(p);
	return NULL;
}

/* ---- write ---- */

static int
all_zero(const uint8_t *b, size_t n)
{
	static const uint8_t zero[ZERO_CHECK];

	while (n > 0) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);

		if (memcmp(b, zero, k) != 0)
			return 0;
		b += k;
		n -= k;
	}
	return 1;
}

static int
pwrite_all(int fd, const uint8_t *b, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static void *
write_main(void *arg)
{
	struct pipe *p = arg;
	struct blk *b;

	while ((b = bq_pop(p, &p->decoded)) != NULL) {
		if (p->limit != 0 && (b->off > p->limit || b->len > p->limit - b->off)) {
			pipe_fail(p, "the image is larger than the target (%llu bytes)",
			    (unsigned long long)p->limit);
			give_back(p, b);
			break;
		}
		if (b->off != p->next_off) {
			pipe_fail(p, "internal: image data out of order");
			give_back(p, b);
			break;
		}
		EVP_DigestUpdate(p->sha, b->data, b->len);
		p->next_off += b->len;
		/* A fresh file target reads as zeros: leave holes there. */
		if (p->target_is_file && all_zero(b->data, b->len)) {
			p->skipped += b->len;
		} else if (pwrite_all(p->fd, b->data, b->len, p->base + b->off) != 0) {
			pipe_fail(p, "write %s at byte %llu: %s", p->o->target,
			    (unsigned long long)(p->base + b->off), strerror(errno));
			give_back(p, b);
			break;
		}
		if (b->off + b->len > p->end)
			p->end = b->off + b->len;
		atomic_fetch_add(&p->pr.written, b->len);
		give_back(p, b);
	}
	thread_done(p);
	return NULL;
}

/* ---- set-up, verify ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
hexify(const unsigned char *md, unsigned n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
open_target(struct pipe *p, struct pipe_result *r)
{
	const struct pipe_opts *o = p->o;
	struct stat st;
	uint64_t size = 0;
	unsigned sector = 512;
	int flags = O_RDWR | O_CLOEXEC;

	if (o->create && o->plan->partition == 0)
		flags |= O_CREAT;
	if ((p->fd = open(o->target, flags, 0644)) < 0) {
		snprintf(r->reason, sizeof(r->reason), "open %s: %s", o->target,
		    strerror(errno));
		return -1;
	}
	if (fstat(p->fd, &st) != 0) {
		snprintf(r->reason, sizeof(r->reason), "stat %s: %s", o->target,
		    strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		int ss;

		if (ioctl(p->fd, BLKGETSIZE64, &size) != 0) {
			snprintf(r->reason, sizeof(r->reason), "%s: cannot read its size: %s",
			    o->target, strerror(errno));
			return -1;
		}
		if (ioctl(p->fd, BLKSSZGET, &ss) == 0 && (ss == 512 || ss == 4096))
			sector = (unsigned)ss;
		p->limit = size;
		p->is_blk = 1;
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		snprintf(r->reason, sizeof(r->reason), "%s is neither a disk nor a file",
		    o->target);
		return -1;
	}
	if (o->plan->partition > 0) {
		uint8_t *head;
		struct pt_part part;
		char err[200];
		ssize_t n;

		if ((head = malloc(PT_HEAD_LEN)) == NULL) {
			snprintf(r->reason, sizeof(r->reason), "out of memory");
			return -1;
		}
		n = pread(p->fd, head, PT_HEAD_LEN, 0);
		if (n < 0 || pt_find(head, (size_t)n, sector, size, o->plan->partition, &part,
		    err, sizeof(err)) != 0) {
			snprintf(r->reason, sizeof(r->reason), "%s: %s", o->target,
			    n < 0 ? strerror(errno) : err);
			free(head);
			return -1;
		}
		free(head);
		p->base = part.offset;
		p->limit = part.length;
	} else if (S_ISREG(st.st_mode)) {
		/* A whole-disk file target starts empty: the image defines it,
		 * and the zero runs in it stay holes. */
		if (ftruncate(p->fd, 0) != 0) {
			snprintf(r->reason, sizeof(r->reason), "truncate %s: %s", o->target,
			    strerror(errno));
			return -1;
		}
		p->target_is_file = 1;
	}
	r->target_offset = p->base;
	return 0;
}

static int
verify(struct pipe *p, struct pipe_result *r, const char *want)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	char got[65];
	EVP_MD_CTX *sha;
	uint8_t *buf;
	size_t bs = 1 << 20;
	uint64_t pos = 0;
	int rc = -1;

	if ((buf = malloc(bs)) == NULL || (sha = EVP_MD_CTX_new()) == NULL) {
		free(buf);
		snprintf(r->reason, sizeof(r->reason), "verify: out of memory");
		return -1;
	}
	EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
	/* Read the disk, not the page cache we just filled. */
	posix_fadvise(p->fd, (off_t)p->base, (off_t)p->end, POSIX_FADV_DONTNEED);
	atomic_store(&p->pr.stage, STAGE_VERIFY);
	while (pos < p->end) {
		size_t want_n = p->end - pos < bs ? (size_t)(p->end - pos) : bs;
		ssize_t n = pread(p->fd, buf, want_n, (off_t)(p->base + pos));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(r->reason, sizeof(r->reason), "verify: read %s at %llu: %s",
			    p->o->target, (unsigned long long)(p->base + pos),
			    n < 0 ? strerror(errno) : "unexpected end");
			goto out;
		}
		EVP_DigestUpdate(sha, buf, (size_t)n);
		pos += (uint64_t)n;
		atomic_store(&p->pr.verified, pos);
		if (p->o->progress != NULL && (pos & ((64u << 20) - 1)) == 0)
			p->o->progress(p->o->progress_ctx, &p->pr);
	}
	EVP_DigestFinal_ex(sha, md, &mdlen);
	hexify(md, mdlen, got);
	if (strcmp(got, want) != 0) {
		snprintf(r->reason, sizeof(r->reason),
		    "verify: the target reads back as sha256 %s, written %s", got, want);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(sha);
	free(buf);
	return rc;
}

/* ---- multicast (imaged's receiver library) ---- */

struct mc_sink {
	struct pipe *p;
	double last;
};

static int
mc_write(void *ctx, uint64_t off, const uint8_t *buf, size_t len)
{
	struct pipe *p = ((struct mc_sink *)ctx)->p;

	if (p->limit != 0 && (off > p->limit || len > p->limit - off)) {
		pipe_fail(p, "the image is larger than the target (%llu bytes)",
		    (unsigned long long)p->limit);
		return -1;
	}
	if (pwrite_all(p->fd, buf, len, p->base + off) != 0) {
		pipe_fail(p, "write %s at byte %llu: %s", p->o->target,
		    (unsigned long long)(p->base + off), strerror(errno));
		return -1;
	}
	return 0;
}

static int
mc_zero(void *ctx, uint64_t off, size_t len)
{
	static const uint8_t zero[65536];
	struct pipe *p = ((struct mc_sink *)ctx)->p;

	/* A fresh file target reads as zeros already. */
	if (p->target_is_file) {
		p->skipped += len;
		return 0;
	}
	while (len > 0) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);

		if (mc_write(ctx, off, zero, n) != 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

static void
mc_progress(void *ctx, const struct mcast_recv_stats *st)
{
	struct mc_sink *s = ctx;
	double t = now_s();

	atomic_store(&s->p->pr.total, st->bytes_total);
	atomic_store(&s->p->pr.fetched, st->bytes_done);
	atomic_store(&s->p->pr.written, st->bytes_done);
	if (t - s->last >= 1.0 && s->p->o->progress != NULL) {
		s->last = t;
		s->p->o->progress(s->p->o->progress_ctx, &s->p->pr);
	}
}

/* mcast://SERVER:PORT/IMAGE[?iface=LOCALADDR]: the receiver drives, each
 * chunk arrives SHA-256-checked in any order and is written in place;
 * the whole image's SHA-256 comes from its header. */
static int
mcast_fetch(struct pipe *p, struct pipe_result *r, uint8_t image_sha[32])
{
	struct mcast_recv_cfg cfg;
	struct mcast_recv_stats st;
	struct mc_sink sink = { p, 0 };
	char host[64], image[256], iface[64] = "", err[256];
	const char *u = p->o->plan->url + strlen("mcast://"), *colon, *slash, *q;
	long port;

	memset(&cfg, 0, sizeof(cfg));
	colon = strchr(u, ':');
	slash = strchr(u, '/');
	if (colon == NULL || slash == NULL || colon > slash || (size_t)(colon - u) >= sizeof(host)) {
		snprintf(r->reason, sizeof(r->reason), "%.200s: expected mcast://SERVER:PORT/IMAGE",
		    p->o->plan->url);
		return -1;
	}
	memcpy(host, u, (size_t)(colon - u));
	host[colon - u] = '\0';
	{
		char ps[8];
		size_t pl = (size_t)(slash - colon - 1);

		if (pl == 0 || pl >= sizeof(ps)) {
			snprintf(r->reason, sizeof(r->reason), "%.200s: bad port", p->o->plan->url);
			return -1;
		}
		memcpy(ps, colon + 1, pl);
		ps[pl] = '\0';
		if (parse_long(ps, 1, 65535, &port) != 0) {
			snprintf(r->reason, sizeof(r->reason), "%.200s: bad port", p->o->plan->url);
			return -1;
		}
	}
	str_copy(image, slash + 1, sizeof(image));
	if ((q = strchr(image, '?')) != NULL) {
		if (strncmp(q, "?iface=", 7) == 0)
			str_copy(iface, q + 7, sizeof(iface));
		image[q - image] = '\0';
	}
	if (ipv4_parse(host, &cfg.server) != 0 || image[0] == '\0' ||
	    (iface[0] != '\0' && ipv4_parse(iface, &cfg.iface) != 0)) {
		snprintf(r->reason, sizeof(r->reason),
		    "%.200s: expected mcast://IPV4:PORT/IMAGE[?iface=IPV4]", p->o->plan->url);
		return -1;
	}
	cfg.port = (uint16_t)port;
	cfg.image = image;
	cfg.timeout_s = 3600;
	cfg.sink.write = mc_write;
	cfg.sink.zero = mc_zero;
	cfg.sink.ctx = &sink;
	cfg.progress = mc_progress;
	cfg.cb_ctx = &sink;
	atomic_store(&p->pr.stage, STAGE_FETCH);
	if (mcast_recv_run(&cfg, &st, err, sizeof(err)) != 0) {
		if (p->failed)
			str_copy(r->reason, p->reason, sizeof(r->reason));
		else
			snprintf(r->reason, sizeof(r->reason), "multicast %.200s: %.250s", p->o->plan->url,
			    err);
		return -1;
	}
	p->end = st.bytes_total;
	r->fetched = st.bytes_done;
	memcpy(image_sha, st.image_sha256, 32);
	r->format = IMG_SOSIMG;
	return 0;
}

int
pipe_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int
pipe_run(const struct pipe_opts *o, struct pipe_result *r)
{
	struct pipe *p;
	pthread_t th[3];
	void *(*fn[3])(void *) = { fetch_main, decode_main, write_main };
	size_t bs = o->bufsize ? o->bufsize : 1u << 20;
	int nb = o->nbufs ? o->nbufs : 8, started = 0;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	double t0 = now_s();
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (nb < 2 || nb * 2 > QMAX || bs < 4096 || bs > (64u << 20)) {
		snprintf(r->reason, sizeof(r->reason), "bad buffer settings");
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(r->reason, sizeof(r->reason), "out of memory");
		return -1;
	}
	p->o = o;
	p->fd = -1;
	p->fmt = o->plan->format;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	pthread_cond_init(&p->free_fetch.cv, NULL);
	pthread_cond_init(&p->fetched.cv, NULL);
	pthread_cond_init(&p->free_dec.cv, NULL);
	pthread_cond_init(&p->decoded.cv, NULL);
	if ((p->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(p->sha, EVP_sha256(), NULL) != 1) {
		snprintf(r->reason, sizeof(r->reason), "cannot set up SHA-256");
		goto out;
	}
	if ((p->blks = calloc((size_t)nb * 2, sizeof(*p->blks))) == NULL) {
		snprintf(r->reason, sizeof(r->reason), "out of memory");
		goto out;
	}
	for (int i = 0; i < nb * 2; i++) {
		struct blk *b = &p->blks[i];

		if ((b->data = malloc(bs)) == NULL) {
			snprintf(r->reason, sizeof(r->reason), "out of memory for buffers");
			goto out;
		}
		p->nblks++;
		b->cap = bs;
		b->home = i < nb ? &p->free_fetch : &p->free_dec;
		b->home->items[b->home->n++] = b;
	}
	if (open_target(p, r) != 0)
		goto out;
	if (strncmp(o->plan->url, "mcast://", 8) == 0) {
		uint8_t sha[32];

		if (mcast_fetch(p, r, sha) != 0)
			goto out;
		hexify(sha, 32, r->sha256);
		r->bytes = p->end;
		r->skipped = p->skipped;
		if (p->target_is_file && ftruncate(p->fd, (off_t)p->end) != 0) {
			snprintf(r->reason, sizeof(r->reason), "truncate %s: %s", o->target,
			    strerror(errno));
			goto out;
		}
		goto synced;
	}

	p->threads_left = 3;
	for (started = 0; started < 3; started++)
		if (pthread_create(&th[started], NULL, fn[started], p) != 0) {
			pipe_fail(p, "cannot start a pipeline thread");
			pthread_mutex_lock(&p->mu);
			p->threads_left -= 3 - started;
			pthread_mutex_unlock(&p->mu);
			break;
		}
	/* Report progress every second until the three stages are done. */
	pthread_mutex_lock(&p->mu);
	while (p->threads_left > 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (pthread_cond_timedwait(&p->done_cv, &p->mu, &ts) == ETIMEDOUT &&
		    o->progress != NULL) {
			pthread_mutex_unlock(&p->mu);
			o->progress(o->progress_ctx, &p->pr);
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (p->failed) {
		str_copy(r->reason, p->reason, sizeof(r->reason));
		goto out;
	}
	r->format = p->fmt;
	r->bytes = p->end;
	r->fetched = atomic_load(&p->pr.fetched);
	r->skipped = p->skipped;
	EVP_DigestFinal_ex(p->sha, md, &mdlen);
	hexify(md, mdlen, r->sha256);
	if (p->target_is_file && ftruncate(p->fd, (off_t)p->end) != 0) {
		snprintf(r->reason, sizeof(r->reason), "truncate %s: %s", o->target,
		    strerror(errno));
		goto out;
	}
synced:
	if (fdatasync(p->fd) != 0) {
		snprintf(r->reason, sizeof(r->reason), "sync %s: %s", o->target,
		    strerror(errno));
		goto out;
	}
	r->write_seconds = now_s() - t0;
	if (o->plan->size > 0 && (uint64_t)o->plan->size != p->end) {
		snprintf(r->reason, sizeof(r->reason),
		    "the image decoded to %llu bytes, the plan says %lld",
		    (unsigned long long)p->end, (long long)o->plan->size);
		goto out;
	}
	if (p->have_image_sha) {
		char want[65];

		hexify(p->image_sha, 32, want);
		if (strcmp(want, r->sha256) != 0) {
			snprintf(r->reason, sizeof(r->reason),
			    "the image decoded to sha256 %s, its header says %s", r->sha256, want);
			goto out;
		}
	}
	if (o->plan->sha256[0] != '\0' && strcasecmp(o->plan->sha256, r->sha256) != 0) {
		snprintf(r->reason, sizeof(r->reason),
		    "the image's sha256 is %s, the plan says %s", r->sha256, o->plan->sha256);
		goto out;
	}
	if (o->verify && verify(p, r, r->sha256) != 0)
		goto out;
	if (p->is_blk && o->plan->partition == 0)
		(void)ioctl(p->fd, BLKRRPART, 0);	/* new table: tell the kernel */
	r->ok = 1;
	rc = 0;
out:
	atomic_store(&p->pr.stage, rc == 0 ? STAGE_DONE : STAGE_FAILED);
	if (o->progress != NULL)
		o->progress(o->progress_ctx, &p->pr);
	if (p->fd >= 0)
		close(p->fd);
	for (int i = 0; i < p->nblks; i++)
		free(p->blks[i].data);
	free(p->blks);
	EVP_MD_CTX_free(p->sha);
	pthread_cond_destroy(&p->free_fetch.cv);
	pthread_cond_destroy(&p->fetched.cv);
	pthread_cond_destroy(&p->free_dec.cv);
	pthread_cond_destroy(&p->decoded.cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	r->seconds = now_s() - t0;
	return rc;
}
