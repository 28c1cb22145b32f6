/* imgtool: convert, inspect, verify and capture disk images.
 *
 *   imgtool convert [-f FMT] [-O FMT] [-c CODEC] [-l LEVEL] [-s CHUNK] IN OUT
 *   imgtool info IMG
 *   imgtool verify IMG
 *   imgtool capture [-c CODEC] [-O FMT] DEVICE|FILE OUT
 *   imgtool speed IMG
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "imgio.h"
#include "sosimg.h"
#include "util.h"

static int show_progress;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: imgtool convert [-p] [-f INFMT] [-O OUTFMT] [-c CODEC] [-l LEVEL] "
	    "[-s CHUNK] IN OUT\n"
	    "       imgtool capture [-p] [-O OUTFMT] [-c CODEC] DEVICE|FILE OUT\n"
	    "       imgtool info IMG\n"
	    "       imgtool verify IMG\n"
	    "       imgtool speed IMG   (sosimg: decode and SHA-256 MB/s, per codec)\n"
	    "formats: raw gzip zstd vmdk vmdk-stream sosimg (OUT: from its extension\n"
	    "  .img .gz .zst .vmdk .sos unless -O); IN is recognised by its contents.\n"
	    "codecs (sosimg chunks): zstd (default) zlib none; CHUNK in bytes (1048576).\n");
}

static void
progress_cb(uint64_t done, uint64_t total, void *ctx)
{
	(void)ctx;
	if (show_progress)
		fprintf(stderr, "\r%llu/%llu MiB (%3.0f%%)", (unsigned long long)(done >> 20),
		    (unsigned long long)(total >> 20),
		    total ? 100.0 * (double)done / (double)total : 100.0);
}

static int
parse_codec(const char *s, enum sosimg_codec *c)
{
	if (strcmp(s, "zstd") == 0)
		*c = SOSIMG_ZSTD;
	else if (strcmp(s, "zlib") == 0)
		*c = SOSIMG_ZLIB;
	else if (strcmp(s, "none") == 0)
		*c = SOSIMG_NONE;
	else
		return -1;
	return 0;
}

static int
cmd_convert(int argc, char **argv, int capture)
{
	enum img_format in_fmt = IMG_AUTO, out_fmt = IMG_AUTO;
	struct img_wopts o;
	struct img_reader *r;
	char err[512], hex[65];
	long v;
	int ch;

	memset(&o, 0, sizeof(o));
	o.codec = SOSIMG_ZSTD;
	o.progress = progress_cb;
	optind = 1;
	while ((ch = getopt(argc, argv, "f:O:c:l:s:p")) != -1) {
		switch (ch) {
		case 'f':
			if (img_format_parse(optarg, &in_fmt) < 0)
				goto bad;
			break;
		case 'O':
			if (img_format_parse(optarg, &out_fmt) < 0)
				goto bad;
			break;
		case 'c':
			if (parse_codec(optarg, &o.codec) < 0)
				goto bad;
			break;
		case 'l':
			if (parse_long(optarg, 1, 19, &v) < 0)
				goto bad;
			o.level = (int)v;
			break;
		case 's':
			if (parse_long(optarg, SOSIMG_MIN_CHUNK, SOSIMG_MAX_CHUNK, &v) < 0 ||
			    (v & (v - 1)) != 0)
				goto bad;
			o.chunk_size = (uint32_t)v;
			break;
		case 'p':
			show_progress = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (capture) {
		in_fmt = IMG_RAW;
		if (out_fmt == IMG_AUTO)
			out_fmt = img_format_from_name(argv[optind + 1]) == IMG_RAW ?
			    IMG_SOSIMG : img_format_from_name(argv[optind + 1]);
	}
	if (img_open(argv[optind], in_fmt, NULL, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "imgtool: %s\n", err);
		return 1;
	}
	if (img_write(r, argv[optind + 1], out_fmt, &o, err, sizeof(err)) < 0) {
		if (show_progress)
			fprintf(stderr, "\n");
		fprintf(stderr, "imgtool: %s\n", err);
		img_close(r);
		return 1;
	}
	if (show_progress)
		fprintf(stderr, "\n");
	if (out_fmt == IMG_SOSIMG || (out_fmt == IMG_AUTO &&
	    img_format_from_name(argv[optind + 1]) == IMG_SOSIMG)) {
		sosimg_hex(o.image_sha256, 32, hex);
		printf("%s: %llu bytes, sha256 %s\n", argv[optind + 1],
		    (unsigned long long)img_size(r), hex);
	}
	img_close(r);
	return 0;
bad:
	fprintf(stderr, "imgtool: -%c: bad value '%s'\n", ch, optarg);
	return 2;
}

static int
cmd_info(const char *path)
{
	const struct sosimg_header *h;
	const struct sosimg_entry *e;
	struct img_reader *r;
	uint64_t counts[4] = { 0 }, stored = 0;
	char err[512], hex[65];
	uint32_t i;

	if (img_open(path, IMG_AUTO, NULL, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "imgtool: %s\n", err);
		return 1;
	}
	printf("file: %s\nformat: %s\ndisk-size: %llu\nstored-size: %llu\n", path,
	    img_format_name(img_format(r)), (unsigned long long)img_size(r),
	    (unsigned long long)img_stored_size(r));
	h = img_sosimg_header(r);
	if (h != NULL) {
		e = img_sosimg_index(r);
		for (i = 0; i < h->n_chunks; i++) {
			counts[e[i].codec & 3]++;
			stored += e[i].clen;
		}
		sosimg_hex(h->image_sha256, 32, hex);
		printf("chunk-size: %u\nchunks: %u\nzero-chunks: %llu\nzstd-chunks: %llu\n"
		    "zlib-chunks: %llu\nplain-chunks: %llu\nchunk-bytes: %llu\nsha256: %s\n",
		    h->chunk_size, h->n_chunks, (unsigned long long)counts[SOSIMG_ZERO],
		    (unsigned long long)counts[SOSIMG_ZSTD],
		    (unsigned long long)counts[SOSIMG_ZLIB],
		    (unsigned long long)counts[SOSIMG_NONE], (unsigned long long)stored, hex);
	}
	img_close(r);
	return 0;
}

/* Read the whole disk (checking every chunk or grain the format can check)
 * and print the SHA-256 of its contents; for sosimg, compare it with the
 * header's. */
static int
cmd_verify(const char *path)
{
	const struct sosimg_header *h;
	struct img_reader *r;
	uint8_t *buf, md[32];
	char err[512], hex[65];
	uint64_t off, size;
	EVP_MD_CTX *ctx;
	size_t n;
	int rc = 1;

	if (img_open(path, IMG_AUTO, NULL, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "imgtool: %s\n", err);
		return 1;
	}
	buf = malloc(1 << 20);
	ctx = EVP_MD_CTX_new();
	if (buf == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "imgtool: out of memory\n");
		goto done;
	}
	size = img_size(r);
	for (off = 0; off < size; off += n) {
		n = size - off < (1 << 20) ? (size_t)(size - off) : (1 << 20);
		if (img_read(r, off, buf, n, err, sizeof(err)) < 0) {
			fprintf(stderr, "imgtool: %s\n", err);
			goto done;
		}
		EVP_DigestUpdate(ctx, buf, n);
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	sosimg_hex(md, 32, hex);
	h = img_sosimg_header(r);
	if (h != NULL && memcmp(md, h->image_sha256, 32) != 0) {
		fprintf(stderr, "imgtool: %s: offset 56: whole-image SHA-256 does not match "
		    "the contents (%s)\n", path, hex);
		goto done;
	}
	printf("%s: ok, %llu bytes, sha256 %s\n", path, (unsigned long long)size, hex);
	rc = 0;
done:
	EVP_MD_CTX_free(ctx);
	free(buf);
	img_close(r);
	return rc;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How fast this machine turns a sosimg's stored chunks back into disk
 * bytes, on one core: per codec, decoding alone and the SHA-256 check
 * every receiver adds.  The stored bytes are read into memory first, so
 * the disk does not count. */
static int
cmd_speed(const char *path)
{
	static const enum sosimg_codec codecs[] = { SOSIMG_NONE, SOSIMG_ZLIB, SOSIMG_ZSTD };
	const struct sosimg_header *h;
	const struct sosimg_entry *ents, *e;
	struct img_reader *r;
	const uint8_t *data;
	uint8_t *in = NULL, *out = NULL, md[32];
	char err[512];
	uint64_t stored[3] = { 0 }, disk[3] = { 0 }, nchunks[3] = { 0 };
	double t_dec[3] = { 0 }, t_sha[3] = { 0 }, t0, t1;
	uint32_t i;
	int fd = -1, rc = 1;
	size_t k;

	if (img_open(path, IMG_SOSIMG, NULL, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "imgtool: %s\n", err);
		return 1;
	}
	h = img_sosimg_header(r);
	ents = img_sosimg_index(r);
	in = malloc(sosimg_compress_bound(h->chunk_size));
	out = malloc(h->chunk_size);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in == NULL || out == NULL || fd < 0) {
		fprintf(stderr, "imgtool: %s: %s\n", path, fd < 0 ? strerror(errno) :
		    "out of memory");
		goto done;
	}
	for (i = 0; i < h->n_chunks; i++) {
		e = &ents[i];
		for (k = 0; k < 3 && codecs[k] != e->codec; k++)
			;
		if (k == 3)
			continue; /* zero chunks: nothing to decode */
		if (pread(fd, in, e->clen, (off_t)e->file_off) != (ssize_t)e->clen) {
			fprintf(stderr, "imgtool: %s: offset %llu: short read\n", path,
			    (unsigned long long)e->file_off);
			goto done;
		}
		t0 = seconds();
		if (sosimg_decode_raw(e, in, e->clen, out, &data, err, sizeof(err)) != 0) {
			fprintf(stderr, "imgtool: %s: %s\n", path, err);
			goto done;
		}
		t1 = seconds();
		SHA256(data, e->ulen, md);
		t_sha[k] += seconds() - t1;
		t_dec[k] += t1 - t0;
		if (memcmp(md, e->sha256, 32) != 0) {
			fprintf(stderr, "imgtool: %s: chunk at disk offset %llu: SHA-256 mismatch\n",
			    path, (unsigned long long)e->disk_off);
			goto done;
		}
		stored[k] += e->clen;
		disk[k] += e->ulen;
		nchunks[k]++;
	}
	printf("%-5s %7s %11s %11s %14s %14s\n", "codec", "chunks", "stored_MiB", "disk_MiB",
	    "decode_MB/s", "+sha256_MB/s");
	for (k = 0; k < 3; k++) {
		char dec[32];

		if (nchunks[k] == 0)
			continue;

		/* Stored chunks are used where they lie: nothing to decode. */
		if (codecs[k] == SOSIMG_NONE)
			snprintf(dec, sizeof(dec), "-");
		else
			snprintf(dec, sizeof(dec), "%.0f", (double)disk[k] / 1e6 / t_dec[k]);
		printf("%-5s %7llu %11.1f %11.1f %14s %14.0f\n", sosimg_codec_name(codecs[k]),
		    (unsigned long long)nchunks[k], (double)stored[k] / 1048576,
		    (double)disk[k] / 1048576, dec,
		    (double)disk[k] / 1e6 / (t_dec[k] + t_sha[k]));
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	free(in);
	free(out);
	img_close(r);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "convert") == 0)
		return cmd_convert(argc - 1, argv + 1, 0);
	if (strcmp(argv[1], "capture") == 0)
		return cmd_convert(argc - 1, argv + 1, 1);
	if (strcmp(argv[1], "info") == 0 && argc == 3)
		return cmd_info(argv[2]);
	if (strcmp(argv[1], "verify") == 0 && argc == 3)
		return cmd_verify(argv[2]);
	if (strcmp(argv[1], "speed") == 0 && argc == 3)
		return cmd_speed(argv[2]);
	usage(stderr);
	return 2;
}
