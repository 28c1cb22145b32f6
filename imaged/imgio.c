/* imgio: image formats as random-access disks.  See imgio.h. */
#include "imgio.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "util.h"
#include "vmdk.h"

#define IO_BLOCK (1u << 20)

struct img_reader {
	enum img_format fmt;
	char name[256];
	int fd;
	int own_fd;
	uint64_t size;         /* disk bytes */
	uint64_t stored;       /* file bytes */
	/* sosimg */
	struct sosimg_header sh;
	struct sosimg_entry *ents;
	/* vmdk */
	struct vmdk_header vh;
	uint32_t *grains;      /* sector of each grain, 0 = unallocated */
	uint64_t n_grains;
	/* Decoded-unit cache: one chunk or grain. */
	int64_t cache_id;
	uint8_t *cache;
	uint8_t *cbuf;         /* compressed input */
	size_t cbuf_len;
};

static int
ferr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
ferr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const struct {
	const char *name;
	enum img_format fmt;
} formats[] = {
	{ "raw", IMG_RAW }, { "gzip", IMG_GZIP }, { "zstd", IMG_ZSTD },
	{ "vmdk", IMG_VMDK }, { "vmdk-stream", IMG_VMDK_STREAM },
	{ "sosimg", IMG_SOSIMG },
};

const char *
img_format_name(enum img_format f)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(formats); i++)
		if (formats[i].fmt == f)
			return formats[i].name;
	return "auto";
}

int
img_format_parse(const char *s, enum img_format *out)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(formats); i++)
		if (strcmp(formats[i].name, s) == 0) {
			*out = formats[i].fmt;
			return 0;
		}
	if (strcmp(s, "gz") == 0) {
		*out = IMG_GZIP;
		return 0;
	}
	if (strcmp(s, "zst") == 0) {
		*out = IMG_ZSTD;
		return 0;
	}
	return -1;
}

static int
ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

enum img_format
img_format_from_name(const char *path)
{
	if (ends_with(path, ".gz"))
		return IMG_GZIP;
	if (ends_with(path, ".zst"))
		return IMG_ZSTD;
	if (ends_with(path, ".vmdk"))
		return IMG_VMDK;
	if (ends_with(path, ".sos") || ends_with(path, ".sosimg"))
		return IMG_SOSIMG;
	return IMG_RAW;
}

enum img_format
img_format_sniff(const uint8_t *buf, size_t len)
{
	if (len >= 8 && memcmp(buf, SOSIMG_MAGIC, 8) == 0)
		return IMG_SOSIMG;
	if (len >= 4 && memcmp(buf, "KDMV", 4) == 0)
		return IMG_VMDK;
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return IMG_GZIP;
	if (len >= 4 && buf[0] == 0x28 && buf[1] == 0xb5 && buf[2] == 0x2f && buf[3] == 0xfd)
		return IMG_ZSTD;
	return IMG_RAW;
}

/* pread all of it; a short file is an error naming the offset. */
static int
pread_full(struct img_reader *r, void *buf, size_t len, uint64_t off, char *err,
    size_t errlen)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(r->fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ferr(err, errlen, "%s: offset %llu: read: %s", r->name,
			    (unsigned long long)(off + done), strerror(errno));
		}
		if (n == 0)
			return ferr(err, errlen, "%s: offset %llu: truncated (wanted %zu "
			    "more bytes)", r->name, (unsigned long long)(off + done),
			    len - done);
		done += (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int
make_tmpfile(const char *tmpdir)
{
	char path[4096];
	int fd;

	if (tmpdir == NULL)
		tmpdir = getenv("TMPDIR");
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/var/tmp";
	fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/imgtool.XXXXXX", tmpdir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Write buf at the current position of fd, leaving holes for zero blocks. */
static int
write_sparse(int fd, const uint8_t *buf, size_t len)
{
	if (sosimg_is_zero(buf, len))
		return lseek(fd, (off_t)len, SEEK_CUR) < 0 ? -1 : 0;
	return write_full(fd, buf, len);
}

/* Decompress a gzip (any number of members) or zstd stream from r->fd into
 * an unlinked temporary file, which then serves as the raw disk. */
static int
spool(struct img_reader *r, const char *tmpdir, char *err, size_t errlen)
{
	uint8_t *in = NULL, *out = NULL;
	uint64_t in_off = 0, out_total = 0;
	ZSTD_DCtx *zd = NULL;
	z_stream zs;
	int tfd = -1, zinit = 0, rc = -1, zr, ended = 0;
	ssize_t n;
	size_t zr2;
	off_t end;

	memset(&zs, 0, sizeof(zs));
	in = malloc(IO_BLOCK);
	out = malloc(IO_BLOCK);
	if (in == NULL || out == NULL) {
		ferr(err, errlen, "%s: out of memory", r->name);
		goto done;
	}
	tfd = make_tmpfile(tmpdir);
	if (tfd < 0) {
		ferr(err, errlen, "%s: temporary file: %s", r->name, strerror(errno));
		goto done;
	}
	if (r->fmt == IMG_GZIP) {
		/* 15 + 16: gzip wrapper only, so a raw zlib stream is refused. */
		if (inflateInit2(&zs, 15 + 16) != Z_OK)
			goto done;
		zinit = 1;
	} else {
		zd = ZSTD_createDCtx();
		if (zd == NULL)
			goto done;
	}
	for (;;) {
		n = pread(r->fd, in, IO_BLOCK, (off_t)in_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ferr(err, errlen, "%s: offset %llu: read: %s", r->name,
			    (unsigned long long)in_off, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (r->fmt == IMG_GZIP) {
			zs.next_in = in;
			zs.avail_in = (uInt)n;
			while (zs.avail_in > 0) {
				if (ended) {
					/* Another gzip member follows (RFC 1952 2.2). */
					if (inflateReset(&zs) != Z_OK)
						goto done;
					ended = 0;
				}
				zs.next_out = out;
				zs.avail_out = IO_BLOCK;
				zr = inflate(&zs, Z_NO_FLUSH);
				if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
					ferr(err, errlen, "%s: offset %llu: corrupt gzip data "
					    "(%s)", r->name, (unsigned long long)(in_off +
					    (uint64_t)(zs.next_in - in)), zs.msg ? zs.msg : "?");
					goto done;
				}
				if (write_sparse(tfd, out, IO_BLOCK - zs.avail_out) < 0) {
					ferr(err, errlen, "temporary file: %s", strerror(errno));
					goto done;
				}
				out_total += IO_BLOCK - zs.avail_out;
				if (zr == Z_STREAM_END)
					ended = 1;
				else if (zr == Z_BUF_ERROR)
					break;
			}
		} else {
			ZSTD_inBuffer ib = { in, (size_t)n, 0 };
			while (ib.pos < ib.size) {
				ZSTD_outBuffer ob = { out, IO_BLOCK, 0 };
				zr2 = ZSTD_decompressStream(zd, &ob, &ib);
				if (ZSTD_isError(zr2)) {
					ferr(err, errlen, "%s: offset %llu: corrupt zstd data "
					    "(%s)", r->name, (unsigned long long)(in_off + ib.pos),
					    ZSTD_getErrorName(zr2));
					goto done;
				}
				if (write_sparse(tfd, out, ob.pos) < 0) {
					ferr(err, errlen, "temporary file: %s", strerror(errno));
					goto done;
				}
				out_total += ob.pos;
				ended = zr2 == 0;
			}
		}
		in_off += (uint64_t)n;
	}
	if (r->fmt == IMG_GZIP && !ended) {
		ferr(err, errlen, "%s: offset %llu: gzip stream truncated", r->name,
		    (unsigned long long)in_off);
		goto done;
	}
	if (r->fmt == IMG_ZSTD && (!ended || in_off == 0)) {
		ferr(err, errlen, "%s: offset %llu: zstd stream truncated", r->name,
		    (unsigned long long)in_off);
		goto done;
	}
	end = lseek(tfd, 0, SEEK_CUR);
	if (end < 0 || ftruncate(tfd, end) < 0) {
		ferr(err, errlen, "temporary file: %s", strerror(errno));
		goto done;
	}
	r->stored = in_off;
	r->size = out_total;
	if (r->own_fd)
		close(r->fd);
	r->fd = tfd;
	r->own_fd = 1;
	tfd = -1;
	rc = 0;
done:
	if (zinit)
		inflateEnd(&zs);
	ZSTD_freeDCtx(zd);
	if (tfd >= 0)
		close(tfd);
	free(in);
	free(out);
	return rc;
}

static int
open_sosimg(struct img_reader *r, char *err, size_t errlen)
{
	uint8_t hb[SOSIMG_HDR_LEN], *idx = NULL;
	char e2[200];
	size_t ilen;
	int rc = -1;

	if (pread_full(r, hb, sizeof(hb), 0, err, errlen) < 0)
		return -1;
	if (sosimg_parse_header(hb, sizeof(hb), &r->sh, e2, sizeof(e2)) != SOSIMG_OK)
		return ferr(err, errlen, "%s: %s", r->name, e2);
	if (r->sh.file_size != r->stored)
		return ferr(err, errlen, "%s: offset %llu: file is %llu bytes, header says "
		    "%llu (truncated or extended)", r->name,
		    (unsigned long long)(r->stored < r->sh.file_size ? r->stored :
		    r->sh.file_size), (unsigned long long)r->stored,
		    (unsigned long long)r->sh.file_size);
	ilen = (size_t)r->sh.n_chunks * SOSIMG_ENTRY_LEN;
	idx = malloc(ilen ? ilen : 1);
	r->ents = calloc(r->sh.n_chunks ? r->sh.n_chunks : 1, sizeof(*r->ents));
	r->cache = malloc(r->sh.chunk_size);
	r->cbuf_len = sosimg_compress_bound(r->sh.chunk_size);
	r->cbuf = malloc(r->cbuf_len);
	if (idx == NULL || r->ents == NULL || r->cache == NULL || r->cbuf == NULL) {
		ferr(err, errlen, "%s: out of memory", r->name);
		goto done;
	}
	if (pread_full(r, idx, ilen, r->sh.index_off, err, errlen) < 0)
		goto done;
	if (sosimg_parse_index(&r->sh, idx, ilen, r->ents, e2, sizeof(e2)) != SOSIMG_OK) {
		ferr(err, errlen, "%s: %s", r->name, e2);
		goto done;
	}
	r->size = r->sh.disk_size;
	rc = 0;
done:
	free(idx);
	return rc;
}

static int
open_vmdk(struct img_reader *r, char *err, size_t errlen)
{
	uint8_t hb[VMDK_SECTOR];
	uint32_t *gd = NULL, *gt = NULL;
	uint64_t i, j, n_gts, g, max_sector;
	char e2[200];
	int rc = -1;

	if (pread_full(r, hb, sizeof(hb), 0, err, errlen) < 0)
		return -1;
	if (vmdk_parse_header(hb, sizeof(hb), &r->vh, e2, sizeof(e2)) < 0)
		return ferr(err, errlen, "%s: %s", r->name, e2);
	if (r->vh.gd_offset == VMDK_GD_AT_END) {
		/* streamOptimized: the footer (a copy of the header with the real
		 * GD offset) is the second-to-last sector, before the EOS marker. */
		if (r->stored < 3 * VMDK_SECTOR)
			return ferr(err, errlen, "%s: offset %llu: no room for a footer",
			    r->name, (unsigned long long)r->stored);
		if (pread_full(r, hb, sizeof(hb), r->stored - 2 * VMDK_SECTOR, err,
		    errlen) < 0)
			return -1;
		if (vmdk_parse_header(hb, sizeof(hb), &r->vh, e2, sizeof(e2)) < 0)
			return ferr(err, errlen, "%s: footer at offset %llu: %s", r->name,
			    (unsigned long long)(r->stored - 2 * VMDK_SECTOR), e2);
		if (r->vh.gd_offset == VMDK_GD_AT_END)
			return ferr(err, errlen, "%s: offset %llu: footer has no grain "
			    "directory", r->name,
			    (unsigned long long)(r->stored - 2 * VMDK_SECTOR + 56));
	}
	max_sector = r->stored / VMDK_SECTOR;
	if (r->vh.gd_offset >= max_sector)
		return ferr(err, errlen, "%s: offset 56: grain directory at sector %llu is "
		    "past the end of the file", r->name, (unsigned long long)r->vh.gd_offset);
	r->size = r->vh.capacity * VMDK_SECTOR;
	r->n_grains = vmdk_n_grains(&r->vh);
	n_gts = vmdk_n_gts(&r->vh);
	gd = malloc(n_gts * 4 + 4);
	gt = malloc(VMDK_GTES_PER_GT * 4);
	r->grains = calloc(r->n_grains + 1, 4);
	r->cache = malloc(r->vh.grain_size * VMDK_SECTOR);
	r->cbuf_len = compressBound(r->vh.grain_size * VMDK_SECTOR) + VMDK_SECTOR;
	r->cbuf = malloc(r->cbuf_len);
	if (gd == NULL || gt == NULL || r->grains == NULL || r->cache == NULL ||
	    r->cbuf == NULL) {
		ferr(err, errlen, "%s: out of memory", r->name);
		goto done;
	}
	if (pread_full(r, gd, n_gts * 4, r->vh.gd_offset * VMDK_SECTOR, err, errlen) < 0)
		goto done;
	for (i = 0; i < n_gts; i++) {
		uint32_t s = le32toh(gd[i]);

		if (s == 0)
			continue; /* whole table unallocated */
		if (s >= max_sector) {
			ferr(err, errlen, "%s: offset %llu: grain table %llu at sector %u is "
			    "past the end of the file", r->name,
			    (unsigned long long)(r->vh.gd_offset * VMDK_SECTOR + i * 4),
			    (unsigned long long)i, s);
			goto done;
		}
		if (pread_full(r, gt, VMDK_GTES_PER_GT * 4, (uint64_t)s * VMDK_SECTOR, err,
		    errlen) < 0)
			goto done;
		for (j = 0; j < VMDK_GTES_PER_GT; j++) {
			g = i * VMDK_GTES_PER_GT + j;
			if (g >= r->n_grains)
				break;
			r->grains[g] = le32toh(gt[j]);
			/* 1 is "zeroed grain" (no data); anything else must be inside. */
			if (r->grains[g] > 1 && r->grains[g] >= max_sector) {
				ferr(err, errlen, "%s: offset %llu: grain %llu at sector %u is "
				    "past the end of the file", r->name,
				    (unsigned long long)((uint64_t)s * VMDK_SECTOR + j * 4),
				    (unsigned long long)g, r->grains[g]);
				goto done;
			}
		}
	}
	rc = 0;
done:
	free(gd);
	free(gt);
	return rc;
}

int
img_open_fd(int fd, const char *name, enum img_format fmt, const char *tmpdir,
    struct img_reader **out, char *err, size_t errlen)
{
	struct img_reader *r;
	uint8_t magic[8];
	struct stat st;
	uint64_t bsize;
	ssize_t n;
	int rc = -1;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ferr(err, errlen, "%s: out of memory", name);
	r->fd = fd;
	r->cache_id = -1;
	str_copy(r->name, name, sizeof(r->name));
	if (fstat(fd, &st) < 0) {
		ferr(err, errlen, "%s: %s", name, strerror(errno));
		goto done;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bsize) < 0) {
			ferr(err, errlen, "%s: BLKGETSIZE64: %s", name, strerror(errno));
			goto done;
		}
		r->stored = bsize;
	} else if (S_ISREG(st.st_mode)) {
		r->stored = (uint64_t)st.st_size;
	} else {
		ferr(err, errlen, "%s: not a regular file or block device", name);
		goto done;
	}
	memset(magic, 0, sizeof(magic));
	n = pread(fd, magic, sizeof(magic), 0);
	if (n < 0) {
		ferr(err, errlen, "%s: offset 0: read: %s", name, strerror(errno));
		goto done;
	}
	r->fmt = fmt == IMG_AUTO ? img_format_sniff(magic, (size_t)n) : fmt;
	if (r->fmt == IMG_VMDK_STREAM)
		r->fmt = IMG_VMDK;
	switch (r->fmt) {
	case IMG_RAW:
		r->size = r->stored;
		rc = 0;
		break;
	case IMG_GZIP:
	case IMG_ZSTD:
		rc = spool(r, tmpdir, err, errlen);
		break;
	case IMG_VMDK:
		rc = open_vmdk(r, err, errlen);
		break;
	case IMG_SOSIMG:
		rc = open_sosimg(r, err, errlen);
		break;
	default:
		ferr(err, errlen, "%s: unknown format", name);
		break;
	}
done:
	if (rc < 0) {
		if (r->own_fd)
			close(r->fd);
		free(r->ents);
		free(r->grains);
		free(r->cache);
		free(r->cbuf);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int
img_open(const char *path, enum img_format fmt, const char *tmpdir,
    struct img_reader **out, char *err, size_t errlen)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ferr(err, errlen, "%s: %s", path, strerror(errno));
	if (img_open_fd(fd, path, fmt, tmpdir, out, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	(*out)->own_fd = 1;
	return 0;
}

void
img_close(struct img_reader *r)
{
	if (r == NULL)
		return;
	if (r->own_fd)
		close(r->fd);
	free(r->ents);
	free(r->grains);
	free(r->cache);
	free(r->cbuf);
	free(r);
}

uint64_t img_size(const struct img_reader *r) { return r->size; }
enum img_format img_format(const struct img_reader *r) { return r->fmt; }
uint64_t img_stored_size(const struct img_reader *r) { return r->stored; }

const struct sosimg_header *
img_sosimg_header(const struct img_reader *r)
{
	return r->fmt == IMG_SOSIMG ? &r->sh : NULL;
}

const struct sosimg_entry *
img_sosimg_index(const struct img_reader *r)
{
	return r->fmt == IMG_SOSIMG ? r->ents : NULL;
}

/* Decode sosimg chunk i into r->cache. */
static int
load_chunk(struct img_reader *r, uint32_t i, char *err, size_t errlen)
{
	const struct sosimg_entry *e = &r->ents[i];
	char e2[200];

	if (r->cache_id == (int64_t)i)
		return 0;
	r->cache_id = -1;
	if (e->codec != SOSIMG_ZERO &&
	    pread_full(r, r->cbuf, e->clen, e->file_off, err, errlen) < 0)
		return -1;
	if (sosimg_decode_chunk(e, r->cbuf, e->clen, r->cache, e2, sizeof(e2)) != 0)
		return ferr(err, errlen, "%s: offset %llu: chunk %u: %s", r->name,
		    (unsigned long long)e->file_off, i, e2);
	r->cache_id = i;
	return 0;
}

/* Decode VMDK grain g into r->cache. */
static int
load_grain(struct img_reader *r, uint64_t g, char *err, size_t errlen)
{
	size_t gbytes = r->vh.grain_size * VMDK_SECTOR;
	uint64_t off = (uint64_t)r->grains[g] * VMDK_SECTOR;
	struct vmdk_marker m;
	uLongf zlen;
	ssize_t n;

	if (r->cache_id == (int64_t)g)
		return 0;
	r->cache_id = -1;
	if (r->grains[g] <= 1) {
		memset(r->cache, 0, gbytes);
	} else if (r->vh.flags & VMDK_FLAG_COMPRESSED) {
		if (pread_full(r, r->cbuf, 12, off, err, errlen) < 0)
			return -1;
		vmdk_parse_marker(r->cbuf, 16, &m);
		if (m.value != g * r->vh.grain_size)
			return ferr(err, errlen, "%s: offset %llu: grain marker says LBA %llu, "
			    "expected %llu", r->name, (unsigned long long)off,
			    (unsigned long long)m.value,
			    (unsigned long long)(g * r->vh.grain_size));
		if (m.size == 0 || m.size > r->cbuf_len)
			return ferr(err, errlen, "%s: offset %llu: grain %llu compressed "
			    "size %u out of range", r->name, (unsigned long long)(off + 8),
			    (unsigned long long)g, m.size);
		if (pread_full(r, r->cbuf, m.size, off + 12, err, errlen) < 0)
			return -1;
		zlen = gbytes;
		/* Grains may decode short at the end of the disk; zero the rest. */
		memset(r->cache, 0, gbytes);
		if (uncompress(r->cache, &zlen, r->cbuf, m.size) != Z_OK)
			return ferr(err, errlen, "%s: offset %llu: grain %llu: corrupt "
			    "deflate data", r->name, (unsigned long long)(off + 12),
			    (unsigned long long)g);
	} else {
		memset(r->cache, 0, gbytes);
		/* The last grain of a file may be cut at the end of the disk. */
		n = pread(r->fd, r->cache, gbytes, (off_t)off);
		if (n < 0 || (size_t)n < gbytes) {
			uint64_t want = r->size - g * gbytes;

			if (want > gbytes)
				want = gbytes;
			if (n < 0 || (uint64_t)n < want)
				return ferr(err, errlen, "%s: offset %llu: grain %llu "
				    "truncated", r->name, (unsigned long long)off,
				    (unsigned long long)g);
		}
	}
	r->cache_id = (int64_t)g;
	return 0;
}

int
img_read(struct img_reader *r, uint64_t off, uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	uint64_t unit, idx, in;
	size_t n;

	if (off > r->size || len > r->size - off)
		return ferr(err, errlen, "%s: read past the end of the disk", r->name);
	switch (r->fmt) {
	case IMG_RAW:
	case IMG_GZIP:
	case IMG_ZSTD:
		return pread_full(r, buf, len, off, err, errlen);
	case IMG_SOSIMG:
		unit = r->sh.chunk_size;
		break;
	case IMG_VMDK:
		unit = r->vh.grain_size * VMDK_SECTOR;
		break;
	default:
		return -1;
	}
	while (len > 0) {
		idx = off / unit;
		in = off % unit;
		n = unit - in < len ? (size_t)(unit - in) : len;
		if (r->fmt == IMG_SOSIMG) {
			if (r->ents[idx].codec == SOSIMG_ZERO)
				memset(buf, 0, n);
			else if (load_chunk(r, (uint32_t)idx, err, errlen) < 0)
				return -1;
			else
				memcpy(buf, r->cache + in, n);
		} else {
			if (r->grains[idx] <= 1)
				memset(buf, 0, n);
			else if (load_grain(r, idx, err, errlen) < 0)
				return -1;
			else
				memcpy(buf, r->cache + in, n);
		}
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

int
img_known_zero(struct img_reader *r, uint64_t off, uint64_t len)
{
	uint64_t unit, a, b, i;
	off_t d;

	if (len == 0)
		return 1;
	switch (r->fmt) {
	case IMG_RAW:
	case IMG_GZIP:
	case IMG_ZSTD:
		/* A hole in the file reads as zeros. */
		d = lseek(r->fd, (off_t)off, SEEK_DATA);
		if (d < 0)
			return errno == ENXIO;
		return (uint64_t)d >= off + len;
	case IMG_SOSIMG:
		unit = r->sh.chunk_size;
		break;
	case IMG_VMDK:
		unit = r->vh.grain_size * VMDK_SECTOR;
		break;
	default:
		return 0;
	}
	a = off / unit;
	b = (off + len - 1) / unit;
	for (i = a; i <= b; i++) {
		if (r->fmt == IMG_SOSIMG && r->ents[i].codec != SOSIMG_ZERO)
			return 0;
		if (r->fmt == IMG_VMDK && r->grains[i] > 1)
			return 0;
	}
	return 1;
}

/* ---- writers ---- */

struct wctx {
	struct img_reader *r;
	int fd;
	uint8_t *buf;
	struct img_wopts *o;
	char *err;
	size_t errlen;
	const char *path;
};

/* Read the next block of the disk at off; sets *zero when it is known to
 * be zero or reads as zero. */
static int
next_block(struct wctx *w, uint64_t off, size_t n, int *zero)
{
	if (img_known_zero(w->r, off, n)) {
		memset(w->buf, 0, n);
		*zero = 1;
		return 0;
	}
	if (img_read(w->r, off, w->buf, n, w->err, w->errlen) < 0)
		return -1;
	*zero = sosimg_is_zero(w->buf, n);
	return 0;
}

static int
werr(struct wctx *w, const char *what)
{
	return ferr(w->err, w->errlen, "%s: %s: %s", w->path, what, strerror(errno));
}

static void
progress(struct wctx *w, uint64_t done)
{
	if (w->o != NULL && w->o->progress != NULL)
		w->o->progress(done, w->r->size, w->o->ctx);
}

static int
write_raw(struct wctx *w)
{
	uint64_t off, size = w->r->size;
	size_t n;
	int zero;

	for (off = 0; off < size; off += n) {
		n = size - off < IO_BLOCK ? (size_t)(size - off) : IO_BLOCK;
		if (next_block(w, off, n, &zero) < 0)
			return -1;
		if (!zero && pwrite_full(w->fd, w->buf, n, off) < 0)
			return werr(w, "write");
		progress(w, off + n);
	}
	if (ftruncate(w->fd, (off_t)size) < 0)
		return werr(w, "truncate");
	return 0;
}

static int
write_gzip(struct wctx *w)
{
	uint64_t off, size = w->r->size;
	uint8_t *out;
	z_stream zs;
	size_t n;
	int zero, rc = -1, flush;

	memset(&zs, 0, sizeof(zs));
	out = malloc(IO_BLOCK);
	if (out == NULL)
		return ferr(w->err, w->errlen, "out of memory");
	/* 15 + 16: a gzip wrapper (RFC 1952) around the deflate stream. */
	if (deflateInit2(&zs, w->o && w->o->level ? w->o->level : 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return ferr(w->err, w->errlen, "deflateInit failed");
	}
	off = 0;
	do {
		n = size - off < IO_BLOCK ? (size_t)(size - off) : IO_BLOCK;
		if (n > 0 && next_block(w, off, n, &zero) < 0)
			goto done;
		off += n;
		flush = off >= size ? Z_FINISH : Z_NO_FLUSH;
		zs.next_in = w->buf;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = out;
			zs.avail_out = IO_BLOCK;
			if (deflate(&zs, flush) == Z_STREAM_ERROR) {
				ferr(w->err, w->errlen, "deflate failed");
				goto done;
			}
			if (write_full(w->fd, out, IO_BLOCK - zs.avail_out) < 0) {
				werr(w, "write");
				goto done;
			}
		} while (zs.avail_out == 0);
		progress(w, off);
	} while (flush != Z_FINISH);
	rc = 0;
done:
	deflateEnd(&zs);
	free(out);
	return rc;
}

static int
write_zstd(struct wctx *w)
{
	uint64_t off, size = w->r->size;
	size_t n, left, cap = ZSTD_CStreamOutSize();
	ZSTD_EndDirective mode;
	ZSTD_CCtx *cc;
	uint8_t *out;
	int zero, rc = -1;

	cc = ZSTD_createCCtx();
	out = malloc(cap);
	if (cc == NULL || out == NULL) {
		ferr(w->err, w->errlen, "out of memory");
		goto done;
	}
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
	    w->o && w->o->level ? w->o->level : 3);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setPledgedSrcSize(cc, size);
	off = 0;
	do {
		n = size - off < IO_BLOCK ? (size_t)(size - off) : IO_BLOCK;
		if (n > 0 && next_block(w, off, n, &zero) < 0)
			goto done;
		off += n;
		mode = off >= size ? ZSTD_e_end : ZSTD_e_continue;
		ZSTD_inBuffer ib = { w->buf, n, 0 };
		do {
			ZSTD_outBuffer ob = { out, cap, 0 };
			left = ZSTD_compressStream2(cc, &ob, &ib, mode);
			if (ZSTD_isError(left)) {
				ferr(w->err, w->errlen, "zstd: %s", ZSTD_getErrorName(left));
				goto done;
			}
			if (write_full(w->fd, out, ob.pos) < 0) {
				werr(w, "write");
				goto done;
			}
		} while (mode == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
		progress(w, off);
	} while (mode != ZSTD_e_end);
	rc = 0;
done:
	ZSTD_freeCCtx(cc);
	free(out);
	return rc;
}

/*
 * monolithicSparse: header | descriptor | grain directory | grain tables |
 * (pad to a grain) | grains.  streamOptimized: header (GD at end) |
 * descriptor | (pad) | grain markers with deflated grains | GT markers and
 * tables | GD marker and directory | footer marker and footer | EOS marker.
 */
static int
write_vmdk(struct wctx *w, int stream)
{
	uint64_t sectors = (w->r->size + VMDK_SECTOR - 1) / VMDK_SECTOR;
	uint64_t n_grains, n_gts, gd_sectors, gt_sectors, overhead, pos, g, i;
	size_t gbytes = VMDK_GRAIN_SECTORS * VMDK_SECTOR, n, cap;
	uint8_t sec[VMDK_SECTOR], *cb = NULL;
	char desc[20 * VMDK_SECTOR];
	uint32_t *gt = NULL, *gd = NULL;
	struct vmdk_header h;
	uLongf zlen;
	int zero, rc = -1;

	if (w->r->size % VMDK_SECTOR != 0)
		return ferr(w->err, w->errlen, "disk size %llu is not a multiple of %d "
		    "bytes, which VMDK needs", (unsigned long long)w->r->size, VMDK_SECTOR);
	memset(&h, 0, sizeof(h));
	h.version = stream ? 3 : 1;
	h.flags = VMDK_FLAG_NL_DETECT | (stream ? VMDK_FLAG_COMPRESSED |
	    VMDK_FLAG_MARKERS : 0);
	h.capacity = sectors;
	h.grain_size = VMDK_GRAIN_SECTORS;
	h.desc_offset = 1;
	h.desc_size = 20;
	h.gtes_per_gt = VMDK_GTES_PER_GT;
	h.compress = stream ? VMDK_COMPRESS_DEFLATE : 0;
	n_grains = vmdk_n_grains(&h);
	n_gts = vmdk_n_gts(&h);
	gd_sectors = (n_gts * 4 + VMDK_SECTOR - 1) / VMDK_SECTOR;
	gt_sectors = VMDK_GTES_PER_GT * 4 / VMDK_SECTOR;
	if (stream) {
		overhead = 1 + h.desc_size;
		h.gd_offset = VMDK_GD_AT_END;
	} else {
		h.gd_offset = 1 + h.desc_size;
		overhead = h.gd_offset + gd_sectors + n_gts * gt_sectors;
	}
	overhead = (overhead + VMDK_GRAIN_SECTORS - 1) / VMDK_GRAIN_SECTORS *
	    VMDK_GRAIN_SECTORS;
	h.overhead = overhead;
	gt = calloc(n_gts * VMDK_GTES_PER_GT, 4);
	gd = calloc(gd_sectors * VMDK_SECTOR / 4 + 1, 4);
	cap = compressBound(gbytes) + VMDK_SECTOR;
	cb = malloc(cap);
	if (gt == NULL || gd == NULL || cb == NULL) {
		ferr(w->err, w->errlen, "out of memory");
		goto done;
	}
	vmdk_encode_header(&h, sec);
	memset(desc, 0, sizeof(desc));
	if (vmdk_descriptor(desc, sizeof(desc), sectors, stream) < 0 ||
	    pwrite_full(w->fd, sec, VMDK_SECTOR, 0) < 0 ||
	    pwrite_full(w->fd, desc, sizeof(desc), VMDK_SECTOR) < 0) {
		werr(w, "write");
		goto done;
	}
	pos = overhead;
	for (g = 0; g < n_grains; g++) {
		uint64_t off = g * gbytes;

		n = w->r->size - off < gbytes ? (size_t)(w->r->size - off) : gbytes;
		if (next_block(w, off, n, &zero) < 0)
			goto done;
		if (zero)
			continue;
		if (n < gbytes)
			memset(w->buf + n, 0, gbytes - n);
		gt[g] = htole32((uint32_t)pos);
		if (stream) {
			/* Grain marker: LBA, compressed size, then zlib data. */
			zlen = cap - 12;
			if (compress2(cb + 12, &zlen, w->buf, gbytes, 6) != Z_OK) {
				ferr(w->err, w->errlen, "deflate failed");
				goto done;
			}
			memset(cb, 0, 12);
			for (i = 0; i < 8; i++)
				cb[i] = (uint8_t)((g * VMDK_GRAIN_SECTORS) >> (8 * i));
			for (i = 0; i < 4; i++)
				cb[8 + i] = (uint8_t)(zlen >> (8 * i));
			n = 12 + zlen;
			n = (n + VMDK_SECTOR - 1) / VMDK_SECTOR * VMDK_SECTOR;
			memset(cb + 12 + zlen, 0, n - 12 - zlen);
			if (pwrite_full(w->fd, cb, n, pos * VMDK_SECTOR) < 0) {
				werr(w, "write");
				goto done;
			}
			pos += n / VMDK_SECTOR;
		} else {
			if (pwrite_full(w->fd, w->buf, gbytes, pos * VMDK_SECTOR) < 0) {
				werr(w, "write");
				goto done;
			}
			pos += VMDK_GRAIN_SECTORS;
		}
		if (g % 16 == 15)
			progress(w, off + n);
	}
	if (stream) {
		/* Metadata marker: sector count, size 0, type; rest of sector zero. */
		for (i = 0; i < n_gts; i++) {
			memset(sec, 0, sizeof(sec));
			sec[0] = (uint8_t)gt_sectors;
			sec[12] = VMDK_MARKER_GT;
			if (pwrite_full(w->fd, sec, VMDK_SECTOR, pos * VMDK_SECTOR) < 0)
				goto wfail;
			pos++;
			gd[i] = htole32((uint32_t)pos);
			if (pwrite_full(w->fd, gt + i * VMDK_GTES_PER_GT, gt_sectors *
			    VMDK_SECTOR, pos * VMDK_SECTOR) < 0)
				goto wfail;
			pos += gt_sectors;
		}
		memset(sec, 0, sizeof(sec));
		for (i = 0; i < 8; i++)
			sec[i] = (uint8_t)(gd_sectors >> (8 * i));
		sec[12] = VMDK_MARKER_GD;
		if (pwrite_full(w->fd, sec, VMDK_SECTOR, pos * VMDK_SECTOR) < 0)
			goto wfail;
		pos++;
		h.gd_offset = pos;
		if (pwrite_full(w->fd, gd, gd_sectors * VMDK_SECTOR, pos * VMDK_SECTOR) < 0)
			goto wfail;
		pos += gd_sectors;
		memset(sec, 0, sizeof(sec));
		sec[0] = 1;
		sec[12] = VMDK_MARKER_FOOTER;
		if (pwrite_full(w->fd, sec, VMDK_SECTOR, pos * VMDK_SECTOR) < 0)
			goto wfail;
		pos++;
		vmdk_encode_header(&h, sec);
		if (pwrite_full(w->fd, sec, VMDK_SECTOR, pos * VMDK_SECTOR) < 0)
			goto wfail;
		pos++;
		memset(sec, 0, sizeof(sec));
		if (pwrite_full(w->fd, sec, VMDK_SECTOR, pos * VMDK_SECTOR) < 0)
			goto wfail;
		pos++;
	} else {
		for (i = 0; i < n_gts; i++)
			gd[i] = htole32((uint32_t)(h.gd_offset + gd_sectors + i * gt_sectors));
		if (pwrite_full(w->fd, gd, gd_sectors * VMDK_SECTOR,
		    h.gd_offset * VMDK_SECTOR) < 0 ||
		    pwrite_full(w->fd, gt, n_gts * gt_sectors * VMDK_SECTOR,
		    (h.gd_offset + gd_sectors) * VMDK_SECTOR) < 0)
			goto wfail;
		if (ftruncate(w->fd, (off_t)(pos * VMDK_SECTOR)) < 0)
			goto wfail;
	}
	progress(w, w->r->size);
	rc = 0;
	goto done;
wfail:
	werr(w, "write");
done:
	free(gt);
	free(gd);
	free(cb);
	return rc;
}

static int
write_sosimg(struct wctx *w)
{
	struct img_wopts *o = w->o;
	uint32_t cs = o && o->chunk_size ? o->chunk_size : SOSIMG_DEFAULT_CHUNK;
	enum sosimg_codec codec = o ? o->codec : SOSIMG_ZSTD;
	uint8_t hb[SOSIMG_HDR_LEN], *idx = NULL, *cb = NULL;
	struct sosimg_header h;
	struct sosimg_entry e;
	uint64_t off, pos, n_chunks;
	EVP_MD_CTX *md = NULL;
	uint32_t i;
	size_t n;
	int zero, rc = -1;

	if (codec == SOSIMG_ZERO)
		codec = SOSIMG_ZSTD;
	if (cs < SOSIMG_MIN_CHUNK || cs > SOSIMG_MAX_CHUNK || (cs & (cs - 1)) != 0)
		return ferr(w->err, w->errlen, "chunk size %u is not a power of two in "
		    "[%u, %u]", cs, SOSIMG_MIN_CHUNK, SOSIMG_MAX_CHUNK);
	n_chunks = w->r->size / cs + (w->r->size % cs != 0);
	if (n_chunks > SOSIMG_MAX_CHUNKS)
		return ferr(w->err, w->errlen, "disk too large for chunks of %u bytes", cs);
	memset(&h, 0, sizeof(h));
	h.version = SOSIMG_VERSION;
	h.chunk_size = cs;
	h.disk_size = w->r->size;
	h.n_chunks = (uint32_t)n_chunks;
	h.index_off = SOSIMG_HDR_LEN;
	h.data_off = h.index_off + n_chunks * SOSIMG_ENTRY_LEN;
	idx = calloc(n_chunks ? n_chunks : 1, SOSIMG_ENTRY_LEN);
	cb = malloc(sosimg_compress_bound(cs));
	md = EVP_MD_CTX_new();
	if (idx == NULL || cb == NULL || md == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		ferr(w->err, w->errlen, "out of memory");
		goto done;
	}
	if (cs > IO_BLOCK) {
		uint8_t *nb = realloc(w->buf, cs);

		if (nb == NULL) {
			ferr(w->err, w->errlen, "out of memory");
			goto done;
		}
		w->buf = nb;
	}
	pos = h.data_off;
	for (i = 0; i < n_chunks; i++) {
		off = (uint64_t)i * cs;
		n = w->r->size - off < cs ? (size_t)(w->r->size - off) : cs;
		if (next_block(w, off, n, &zero) < 0)
			goto done;
		memset(&e, 0, sizeof(e));
		e.disk_off = off;
		EVP_DigestUpdate(md, w->buf, n);
		if (sosimg_encode_chunk(codec, o ? o->level : 0, w->buf, n, cb, &e) != 0) {
			ferr(w->err, w->errlen, "chunk %u: compression failed", i);
			goto done;
		}
		if (e.codec != SOSIMG_ZERO) {
			e.file_off = pos;
			if (pwrite_full(w->fd, cb, e.clen, pos) < 0) {
				werr(w, "write");
				goto done;
			}
			pos += e.clen;
		}
		sosimg_encode_entry(&e, idx + (size_t)i * SOSIMG_ENTRY_LEN);
		progress(w, off + n);
	}
	h.file_size = pos;
	EVP_DigestFinal_ex(md, h.image_sha256, NULL);
	EVP_Digest(idx, n_chunks * SOSIMG_ENTRY_LEN, h.index_sha256, NULL, EVP_sha256(),
	    NULL);
	sosimg_encode_header(&h, hb);
	if (pwrite_full(w->fd, idx, n_chunks * SOSIMG_ENTRY_LEN, h.index_off) < 0 ||
	    pwrite_full(w->fd, hb, sizeof(hb), 0) < 0 ||
	    ftruncate(w->fd, (off_t)pos) < 0) {
		werr(w, "write");
		goto done;
	}
	if (o != NULL)
		memcpy(o->image_sha256, h.image_sha256, 32);
	rc = 0;
done:
	EVP_MD_CTX_free(md);
	free(idx);
	free(cb);
	return rc;
}

int
img_write(struct img_reader *r, const char *path, enum img_format fmt,
    struct img_wopts *o, char *err, size_t errlen)
{
	char tmp[4096], dir[4096];
	struct wctx w;
	int rc = -1;

	if (fmt == IMG_AUTO)
		fmt = img_format_from_name(path);
	str_copy(dir, path, sizeof(dir));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir),
	    strrchr(path, '/') ? strrchr(path, '/') + 1 : path) >= sizeof(tmp))
		return ferr(err, errlen, "%s: path too long", path);
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.o = o;
	w.err = err;
	w.errlen = errlen;
	w.path = path;
	w.buf = malloc(IO_BLOCK);
	if (w.buf == NULL)
		return ferr(err, errlen, "out of memory");
	w.fd = mkstemp(tmp);
	if (w.fd < 0) {
		ferr(err, errlen, "%s: cannot create a temporary file: %s", path,
		    strerror(errno));
		free(w.buf);
		return -1;
	}
	switch (fmt) {
	case IMG_RAW: rc = write_raw(&w); break;
	case IMG_GZIP: rc = write_gzip(&w); break;
	case IMG_ZSTD: rc = write_zstd(&w); break;
	case IMG_VMDK: rc = write_vmdk(&w, 0); break;
	case IMG_VMDK_STREAM: rc = write_vmdk(&w, 1); break;
	case IMG_SOSIMG: rc = write_sosimg(&w); break;
	default: ferr(err, errlen, "unknown output format"); break;
	}
	if (rc == 0 && (fchmod(w.fd, 0644) < 0 || fsync(w.fd) < 0)) {
		werr(&w, "sync");
		rc = -1;
	}
	if (close(w.fd) < 0 && rc == 0) {
		werr(&w, "close");
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		werr(&w, "rename");
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	free(w.buf);
	return rc;
}
