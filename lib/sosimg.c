/* sosimg: the chunked image format.  See sosimg.h and docs/image-format.md. */
#include "sosimg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>
#include <zlib.h>
#include <zstd.h>

#include "bytes.h"

static int
fail(int code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *
sosimg_codec_name(int codec)
{
	switch (codec) {
	case SOSIMG_NONE: return "none";
	case SOSIMG_ZLIB: return "zlib";
	case SOSIMG_ZSTD: return "zstd";
	case SOSIMG_ZERO: return "zero";
	}
	return "?";
}

void
sosimg_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int
sosimg_is_zero(const uint8_t *buf, size_t len)
{
	static const uint8_t zero[4096];
	size_t n;

	while (len > 0) {
		n = len < sizeof(zero) ? len : sizeof(zero);
		if (memcmp(buf, zero, n) != 0)
			return 0;
		buf += n;
		len -= n;
	}
	return 1;
}

/*
 * Header layout (little-endian):
 *   0 magic[8]  8 version  12 header_len  16 chunk_size  20 n_chunks
 *  24 disk_size  32 index_off  40 data_off  48 file_size
 *  56 image_sha256[32]  88 index_sha256[32]  120 reserved[8] (zero)
 */
void
sosimg_encode_header(const struct sosimg_header *h, uint8_t out[SOSIMG_HDR_LEN])
{
	memset(out, 0, SOSIMG_HDR_LEN);
	memcpy(out, SOSIMG_MAGIC, 8);
	le32_put(out + 8, SOSIMG_VERSION);
	le32_put(out + 12, SOSIMG_HDR_LEN);
	le32_put(out + 16, h->chunk_size);
	le32_put(out + 20, h->n_chunks);
	le64_put(out + 24, h->disk_size);
	le64_put(out + 32, h->index_off);
	le64_put(out + 40, h->data_off);
	le64_put(out + 48, h->file_size);
	memcpy(out + 56, h->image_sha256, 32);
	memcpy(out + 88, h->index_sha256, 32);
}

int
sosimg_parse_header(const uint8_t *buf, size_t len, struct sosimg_header *h,
    char *err, size_t errlen)
{
	struct sosimg_header t;
	uint64_t want;
	uint32_t hlen;

	if (len < SOSIMG_HDR_LEN)
		return fail(SOSIMG_ESHORT, err, errlen,
		    "offset %zu: header truncated (%zu of %d bytes)", len, len,
		    SOSIMG_HDR_LEN);
	if (memcmp(buf, SOSIMG_MAGIC, 8) != 0)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 0: not a sosimg file (bad magic)");
	memset(&t, 0, sizeof(t));
	t.version = le32_get(buf + 8);
	if (t.version != SOSIMG_VERSION)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 8: unsupported version %u", t.version);
	hlen = le32_get(buf + 12);
	if (hlen != SOSIMG_HDR_LEN)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 12: header length %u, expected %d", hlen, SOSIMG_HDR_LEN);
	t.chunk_size = le32_get(buf + 16);
	if (t.chunk_size < SOSIMG_MIN_CHUNK || t.chunk_size > SOSIMG_MAX_CHUNK ||
	    (t.chunk_size & (t.chunk_size - 1)) != 0)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 16: chunk size %u is not a power of two in [%u, %u]",
		    t.chunk_size, SOSIMG_MIN_CHUNK, SOSIMG_MAX_CHUNK);
	t.n_chunks = le32_get(buf + 20);
	t.disk_size = le64_get(buf + 24);
	if (t.n_chunks > SOSIMG_MAX_CHUNKS)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 20: %u chunks, more than the limit %u", t.n_chunks,
		    SOSIMG_MAX_CHUNKS);
	want = t.disk_size / t.chunk_size + (t.disk_size % t.chunk_size != 0);
	if (want != t.n_chunks)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 20: %u chunks do not cover a disk of %llu bytes", t.n_chunks,
		    (unsigned long long)t.disk_size);
	t.index_off = le64_get(buf + 32);
	if (t.index_off != SOSIMG_HDR_LEN)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 32: index offset %llu, expected %d",
		    (unsigned long long)t.index_off, SOSIMG_HDR_LEN);
	t.data_off = le64_get(buf + 40);
	if (t.data_off != t.index_off + (uint64_t)t.n_chunks * SOSIMG_ENTRY_LEN)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 40: data offset %llu does not follow the index",
		    (unsigned long long)t.data_off);
	t.file_size = le64_get(buf + 48);
	if (t.file_size < t.data_off)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 48: file size %llu is smaller than the header and index",
		    (unsigned long long)t.file_size);
	memcpy(t.image_sha256, buf + 56, 32);
	memcpy(t.index_sha256, buf + 88, 32);
	*h = t;
	return SOSIMG_OK;
}

/*
 * Entry layout: 0 disk_off  8 ulen  12 clen  16 codec  17 reserved[7]
 *               24 file_off  32 sha256[32]
 */
void
sosimg_encode_entry(const struct sosimg_entry *e, uint8_t out[SOSIMG_ENTRY_LEN])
{
	memset(out, 0, SOSIMG_ENTRY_LEN);
	le64_put(out, e->disk_off);
	le32_put(out + 8, e->ulen);
	le32_put(out + 12, e->clen);
	out[16] = e->codec;
	le64_put(out + 24, e->file_off);
	memcpy(out + 32, e->sha256, 32);
}

int
sosimg_parse_index(const struct sosimg_header *h, const uint8_t *buf, size_t len,
    struct sosimg_entry *ents, char *err, size_t errlen)
{
	uint8_t md[32];
	uint64_t need, next_file, off, want_ulen;
	const uint8_t *p;
	struct sosimg_entry e;
	uint32_t i;

	need = (uint64_t)h->n_chunks * SOSIMG_ENTRY_LEN;
	if (len < need)
		return fail(SOSIMG_ESHORT, err, errlen,
		    "offset %llu: index truncated (%zu of %llu bytes)",
		    (unsigned long long)(h->index_off + len), len, (unsigned long long)need);
	SHA256(buf, need, md);
	if (memcmp(md, h->index_sha256, 32) != 0)
		return fail(SOSIMG_EDIGEST, err, errlen,
		    "offset %llu: index SHA-256 does not match the header",
		    (unsigned long long)h->index_off);
	next_file = h->data_off;
	for (i = 0; i < h->n_chunks; i++) {
		p = buf + (size_t)i * SOSIMG_ENTRY_LEN;
		off = h->index_off + (uint64_t)i * SOSIMG_ENTRY_LEN;
		memset(&e, 0, sizeof(e));
		e.disk_off = le64_get(p);
		e.ulen = le32_get(p + 8);
		e.clen = le32_get(p + 12);
		e.codec = p[16];
		e.file_off = le64_get(p + 24);
		memcpy(e.sha256, p + 32, 32);
		if (e.disk_off != (uint64_t)i * h->chunk_size)
			return fail(SOSIMG_EFORMAT, err, errlen,
			    "offset %llu: chunk %u disk offset %llu, expected %llu",
			    (unsigned long long)off, i, (unsigned long long)e.disk_off,
			    (unsigned long long)i * h->chunk_size);
		want_ulen = h->disk_size - e.disk_off;
		if (want_ulen > h->chunk_size)
			want_ulen = h->chunk_size;
		if (e.ulen != want_ulen)
			return fail(SOSIMG_EFORMAT, err, errlen,
			    "offset %llu: chunk %u length %u, expected %llu",
			    (unsigned long long)off + 8, i, e.ulen,
			    (unsigned long long)want_ulen);
		switch (e.codec) {
		case SOSIMG_ZERO:
			if (e.clen != 0 || e.file_off != 0)
				return fail(SOSIMG_EFORMAT, err, errlen,
				    "offset %llu: zero chunk %u has stored bytes",
				    (unsigned long long)off + 12, i);
			break;
		case SOSIMG_NONE:
			if (e.clen != e.ulen)
				return fail(SOSIMG_EFORMAT, err, errlen,
				    "offset %llu: uncompressed chunk %u stores %u of %u bytes",
				    (unsigned long long)off + 12, i, e.clen, e.ulen);
			/* FALLTHROUGH */
		case SOSIMG_ZLIB:
		case SOSIMG_ZSTD:
			if (e.clen == 0 || e.clen > sosimg_compress_bound(e.ulen))
				return fail(SOSIMG_EFORMAT, err, errlen,
				    "offset %llu: chunk %u stored length %u out of range",
				    (unsigned long long)off + 12, i, e.clen);
			if (e.file_off != next_file)
				return fail(SOSIMG_EFORMAT, err, errlen,
				    "offset %llu: chunk %u stored at %llu, expected %llu",
				    (unsigned long long)off + 24, i,
				    (unsigned long long)e.file_off,
				    (unsigned long long)next_file);
			if (h->file_size - next_file < e.clen)
				return fail(SOSIMG_EFORMAT, err, errlen,
				    "offset %llu: chunk %u runs past the end of the file",
				    (unsigned long long)off + 12, i);
			next_file += e.clen;
			break;
		default:
			return fail(SOSIMG_EFORMAT, err, errlen,
			    "offset %llu: chunk %u has unknown codec %u",
			    (unsigned long long)off + 16, i, e.codec);
		}
		ents[i] = e;
	}
	if (next_file != h->file_size)
		return fail(SOSIMG_EFORMAT, err, errlen,
		    "offset 48: file size %llu, but chunks end at %llu",
		    (unsigned long long)h->file_size, (unsigned long long)next_file);
	return SOSIMG_OK;
}

size_t
sosimg_compress_bound(size_t len)
{
	size_t a = ZSTD_compressBound(len), b = compressBound(len);

	return a > b ? a : b;
}

int
sosimg_decode_raw(const struct sosimg_entry *e, const uint8_t *in, size_t inlen,
    uint8_t *scratch, const uint8_t **data, char *err, size_t errlen)
{
	const uint8_t *out = scratch;
	uLongf zlen;
	size_t n;

	if (inlen != e->clen)
		return fail(SOSIMG_ESHORT, err, errlen,
		    "chunk at disk offset %llu: %zu stored bytes, expected %u",
		    (unsigned long long)e->disk_off, inlen, e->clen);
	switch (e->codec) {
	case SOSIMG_ZERO:
		memset(scratch, 0, e->ulen);
		break;
	case SOSIMG_NONE:
		if (inlen != e->ulen)
			return fail(SOSIMG_EFORMAT, err, errlen,
			    "chunk at disk offset %llu: stored %zu bytes of %u",
			    (unsigned long long)e->disk_off, inlen, e->ulen);
		out = in;
		break;
	case SOSIMG_ZLIB:
		zlen = e->ulen;
		if (uncompress(scratch, &zlen, in, inlen) != Z_OK || zlen != e->ulen)
			return fail(SOSIMG_ECODEC, err, errlen,
			    "chunk at disk offset %llu: zlib data is corrupt",
			    (unsigned long long)e->disk_off);
		break;
	case SOSIMG_ZSTD:
		n = ZSTD_decompress(scratch, e->ulen, in, inlen);
		if (ZSTD_isError(n) || n != e->ulen)
			return fail(SOSIMG_ECODEC, err, errlen,
			    "chunk at disk offset %llu: zstd data is corrupt",
			    (unsigned long long)e->disk_off);
		break;
	default:
		return fail(SOSIMG_EFORMAT, err, errlen, "unknown codec %u", e->codec);
	}
	*data = out;
	return SOSIMG_OK;
}

int
sosimg_check_chunk(const struct sosimg_entry *e, const uint8_t *in, size_t inlen,
    uint8_t *scratch, const uint8_t **data, char *err, size_t errlen)
{
	const uint8_t *out;
	uint8_t md[32];
	int rc;

	rc = sosimg_decode_raw(e, in, inlen, scratch, &out, err, errlen);
	if (rc != SOSIMG_OK)
		return rc;
	SHA256(out, e->ulen, md);
	if (memcmp(md, e->sha256, 32) != 0)
		return fail(SOSIMG_EDIGEST, err, errlen,
		    "chunk at disk offset %llu: SHA-256 mismatch",
		    (unsigned long long)e->disk_off);
	*data = out;
	return SOSIMG_OK;
}

int
sosimg_decode_chunk(const struct sosimg_entry *e, const uint8_t *in, size_t inlen,
    uint8_t *out, char *err, size_t errlen)
{
	const uint8_t *data = out;
	int rc;

	rc = sosimg_check_chunk(e, in, inlen, out, &data, err, errlen);
	if (rc == SOSIMG_OK && data != out)
		memcpy(out, data, e->ulen);
	return rc;
}

int
sosimg_encode_chunk(enum sosimg_codec codec, int level, const uint8_t *in, size_t len,
    uint8_t *out, struct sosimg_entry *e)
{
	size_t cap = sosimg_compress_bound(len), n = 0;
	uLongf zlen;

	SHA256(in, len, e->sha256);
	e->ulen = (uint32_t)len;
	if (sosimg_is_zero(in, len)) {
		e->codec = SOSIMG_ZERO;
		e->clen = 0;
		return SOSIMG_OK;
	}
	switch (codec) {
	case SOSIMG_ZLIB:
		zlen = cap;
		if (compress2(out, &zlen, in, len, level > 0 ? level : 6) != Z_OK)
			return SOSIMG_ECODEC;
		n = zlen;
		break;
	case SOSIMG_ZSTD:
		n = ZSTD_compress(out, cap, in, len, level > 0 ? level : 3);
		if (ZSTD_isError(n))
			return SOSIMG_ECODEC;
		break;
	default:
		n = len;
		break;
	}
	if (codec == SOSIMG_NONE || codec == SOSIMG_ZERO || n >= len) {
		memcpy(out, in, len);
		e->codec = SOSIMG_NONE;
		e->clen = (uint32_t)len;
	} else {
		e->codec = codec;
		e->clen = (uint32_t)n;
	}
	return SOSIMG_OK;
}
