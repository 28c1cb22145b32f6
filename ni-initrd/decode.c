/* Streaming decoders: zlib for gzip (RFC 1952, several members allowed as
 * gzip(1) writes them when files are concatenated), libzstd for zstd
 * (RFC 8878, several frames allowed), and a pass-through for raw. */
#include "decode.h"
#include "decode_framed.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct decoder {
	enum img_format fmt;
	z_stream z;
	int z_init;
	int z_in_member;	/* inside a gzip member (not at a boundary) */
	ZSTD_DStream *zs;
	int zs_in_frame;
	struct framed *fr;	/* vmdk, sosimg */
};

static const struct {
	const char *name;
	enum img_format fmt;
} formats[] = {
	{ "auto", IMG_AUTO }, { "raw", IMG_RAW }, { "img", IMG_RAW },
	{ "gzip", IMG_GZIP }, { "gz", IMG_GZIP }, { "zstd", IMG_ZSTD },
	{ "zst", IMG_ZSTD }, { "vmdk", IMG_VMDK }, { "sosimg", IMG_SOSIMG },
};

const char *
img_format_name(enum img_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fmt == f)
			return formats[i].name;
	return "?";
}

int
img_format_parse(const char *s, enum img_format *out)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(s, formats[i].name) == 0) {
			*out = formats[i].fmt;
			return 0;
		}
	return -1;
}

enum img_format
img_format_sniff(const uint8_t *b, size_t len)
{
	/* RFC 1952 section 2.3.1: ID1 ID2 CM(8 = deflate). */
	if (len >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8)
		return IMG_GZIP;
	/* RFC 8878 section 3.1.1: magic 0xFD2FB528 little-endian. */
	if (len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return IMG_ZSTD;
	/* VMware sparse extent header: "KDMV". */
	if (len >= 4 && memcmp(b, "KDMV", 4) == 0)
		return IMG_VMDK;
	if (len >= 8 && memcmp(b, "SOSIMG", 6) == 0)
		return IMG_SOSIMG;
	return IMG_RAW;
}

int
decoder_new(enum img_format f, struct decoder **out)
{
	struct decoder *d;

	*out = NULL;
	if (f != IMG_RAW && f != IMG_GZIP && f != IMG_ZSTD && f != IMG_VMDK && f != IMG_SOSIMG)
		return DEC_EUNSUPPORTED;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return DEC_ENOMEM;
	d->fmt = f;
	if ((f == IMG_VMDK || f == IMG_SOSIMG) && framed_new(f == IMG_VMDK, &d->fr) != DEC_OK) {
		free(d);
		return DEC_ENOMEM;
	}
	if (f == IMG_GZIP) {
		/* 15 + 16: gzip wrapper only, the largest window. */
		if (inflateInit2(&d->z, 15 + 16) != Z_OK) {
			free(d);
			return DEC_ENOMEM;
		}
		d->z_init = 1;
	} else if (f == IMG_ZSTD) {
		if ((d->zs = ZSTD_createDStream()) == NULL) {
			free(d);
			return DEC_ENOMEM;
		}
		ZSTD_initDStream(d->zs);
	}
	*out = d;
	return DEC_OK;
}

void
decoder_free(struct decoder *d)
{
	if (d == NULL)
		return;
	if (d->z_init)
		inflateEnd(&d->z);
	ZSTD_freeDStream(d->zs);
	framed_free(d->fr);
	free(d);
}

int
decoder_is_passthrough(const struct decoder *d)
{
	return d->fmt == IMG_RAW;
}

static int
run_gzip(struct decoder *d, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced)
{
	static const uint8_t none[1];
	size_t in_done = 0, out_done = 0;

	/* With the input used up, zlib may still hold output of the current
	 * member: keep calling while inside one. */
	while (out_done < outcap && (in_done < inlen || d->z_in_member)) {
		size_t ilen = inlen - in_done, olen = outcap - out_done;
		int rc;

		/* zlib counts in uInt; feed at most 1 GiB at a time. */
		if (ilen > (1u << 30))
			ilen = 1u << 30;
		if (olen > (1u << 30))
			olen = 1u << 30;
		d->z.next_in = (Bytef *)(uintptr_t)(ilen > 0 ? in + in_done : none);
		d->z.avail_in = (uInt)ilen;
		d->z.next_out = out + out_done;
		d->z.avail_out = (uInt)olen;
		rc = inflate(&d->z, Z_NO_FLUSH);
		in_done += ilen - d->z.avail_in;
		out_done += olen - d->z.avail_out;
		if (rc == Z_STREAM_END) {
			/* A member ended; another may follow (gzip -c a b). */
			d->z_in_member = 0;
			if (inflateReset(&d->z) != Z_OK)
				return DEC_ECORRUPT;
			continue;
		}
		if (rc == Z_BUF_ERROR)
			break;	/* no progress possible without more input */
		if (rc != Z_OK) {
			*consumed = in_done;
			*produced = out_done;
			return rc == Z_MEM_ERROR ? DEC_ENOMEM : DEC_ECORRUPT;
		}
		d->z_in_member = 1;
		if (ilen == d->z.avail_in && olen == d->z.avail_out)
			break;
	}
	*consumed = in_done;
	*produced = out_done;
	return DEC_OK;
}

static int
run_zstd(struct decoder *d, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced)
{
	ZSTD_inBuffer ib = { in, inlen, 0 };
	ZSTD_outBuffer ob = { out, outcap, 0 };

	while (ib.pos < ib.size && ob.pos < ob.size) {
		size_t rc = ZSTD_decompressStream(d->zs, &ob, &ib);

		if (ZSTD_isError(rc)) {
			*consumed = ib.pos;
			*produced = ob.pos;
			return DEC_ECORRUPT;
		}
		/* 0 means a frame is complete and fully flushed. */
		d->zs_in_frame = rc != 0;
	}
	/* Input used up but the frame may still hold output to flush. */
	if (ib.pos == ib.size && ob.pos < ob.size && d->zs_in_frame) {
		size_t rc = ZSTD_decompressStream(d->zs, &ob, &ib);

		if (ZSTD_isError(rc)) {
			*consumed = ib.pos;
			*produced = ob.pos;
			return DEC_ECORRUPT;
		}
		d->zs_in_frame = rc != 0;
	}
	*consumed = ib.pos;
	*produced = ob.pos;
	return DEC_OK;
}

int
decoder_run(struct decoder *d, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced)
{
	size_t n;

	*consumed = *produced = 0;
	switch (d->fmt) {
	case IMG_RAW:
		n = inlen < outcap ? inlen : outcap;
		if (n > 0)
			memcpy(out, in, n);
		*consumed = *produced = n;
		return DEC_OK;
	case IMG_GZIP:
		return run_gzip(d, in, inlen, consumed, out, outcap, produced);
	case IMG_ZSTD:
		return run_zstd(d, in, inlen, consumed, out, outcap, produced);
	case IMG_VMDK:
	case IMG_SOSIMG:
		return framed_run(d->fr, in, inlen, consumed, out, outcap, produced);
	default:
		return DEC_EUNSUPPORTED;
	}
}

int
decoder_finish(struct decoder *d)
{
	if (d->fmt == IMG_GZIP && (d->z_in_member || d->z.total_in != 0))
		return DEC_ETRUNCATED;
	if (d->fmt == IMG_ZSTD && d->zs_in_frame)
		return DEC_ETRUNCATED;
	if (d->fr != NULL)
		return framed_finish(d->fr);
	return DEC_OK;
}

const char *
decoder_errmsg(const struct decoder *d)
{
	return d->fr != NULL ? framed_errmsg(d->fr) : "";
}

int
decoder_image_sha256(const struct decoder *d, uint8_t out[32])
{
	return d->fr != NULL ? framed_image_sha256(d->fr, out) : 0;
}

const char *
decode_strerror(int err)
{
	switch (err) {
	case DEC_OK:
		return "no error";
	case DEC_ECORRUPT:
		return "corrupt compressed data";
	case DEC_ETRUNCATED:
		return "the stream ends inside a compressed frame";
	case DEC_ENOMEM:
		return "out of memory";
	case DEC_EUNSUPPORTED:
		return "image format not supported by this build";
	}
	return "unknown error";
}
