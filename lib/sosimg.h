/* sosimg: the chunked image format (docs/image-format.md).
 *
 *   header (128 bytes) | chunk index (64 bytes per chunk) | compressed chunks
 *
 * Every chunk covers chunk_size bytes of the disk (the last one may be
 * shorter), is compressed on its own and carries the SHA-256 of its
 * uncompressed bytes, so a receiver can take chunks in any order from any
 * source and check each before writing it.  All-zero chunks are recorded
 * in the index with codec ZERO and occupy no bytes in the file.
 *
 * The parsers here are pure functions over (buf, len): they never allocate
 * beyond what the caller passes, never read past len, and return
 * SOSIMG_OK or a negative error with a sentence naming the byte offset. */
#ifndef SPRINGOS_SOSIMG_H
#define SPRINGOS_SOSIMG_H

#include <stddef.h>
#include <stdint.h>

#define SOSIMG_MAGIC "SOSIMG\r\n"
#define SOSIMG_VERSION 1
#define SOSIMG_HDR_LEN 128
#define SOSIMG_ENTRY_LEN 64
#define SOSIMG_DEFAULT_CHUNK (1u << 20)
#define SOSIMG_MIN_CHUNK (1u << 16)
#define SOSIMG_MAX_CHUNK (1u << 26)
/* Hard bounds: 2^24 chunks (16 TiB at 1 MiB) keeps the index under 1 GiB. */
#define SOSIMG_MAX_CHUNKS (1u << 24)

enum sosimg_codec {
	SOSIMG_NONE = 0,
	SOSIMG_ZLIB = 1,
	SOSIMG_ZSTD = 2,
	SOSIMG_ZERO = 3, /* all zeros: nothing stored, nothing sent */
};

enum sosimg_err {
	SOSIMG_OK = 0,
	SOSIMG_ESHORT = -1,   /* truncated */
	SOSIMG_EFORMAT = -2,  /* malformed field */
	SOSIMG_EDIGEST = -3,  /* SHA-256 mismatch */
	SOSIMG_ECODEC = -4,   /* decompression failed */
	SOSIMG_EIO = -5,
	SOSIMG_ENOMEM = -6,
};

struct sosimg_header {
	uint32_t version;
	uint32_t chunk_size;
	uint64_t disk_size;
	uint32_t n_chunks;
	uint64_t index_off;   /* = SOSIMG_HDR_LEN */
	uint64_t data_off;    /* first byte after the index */
	uint64_t file_size;   /* whole file, so truncation is detected */
	uint8_t image_sha256[32];  /* of the whole uncompressed disk */
	uint8_t index_sha256[32];  /* of the index bytes */
};

struct sosimg_entry {
	uint64_t disk_off;    /* = i * chunk_size */
	uint32_t ulen;        /* uncompressed bytes */
	uint32_t clen;        /* stored bytes, 0 for ZERO */
	uint8_t codec;
	uint64_t file_off;    /* where the stored bytes start, 0 for ZERO */
	uint8_t sha256[32];   /* of the uncompressed bytes */
};

/* Header: checks magic, version, sizes and their consistency. */
int sosimg_parse_header(const uint8_t *buf, size_t len, struct sosimg_header *h,
    char *err, size_t errlen);
void sosimg_encode_header(const struct sosimg_header *h, uint8_t out[SOSIMG_HDR_LEN]);

/* Index: buf holds the index bytes (n_chunks * 64) that start at
 * h->index_off in the file.  Checks its digest, that every chunk is where
 * the header says and that stored chunks are laid out in order without
 * overlap inside [data_off, file_size).  ents has room for n_chunks. */
int sosimg_parse_index(const struct sosimg_header *h, const uint8_t *buf, size_t len,
    struct sosimg_entry *ents, char *err, size_t errlen);
void sosimg_encode_entry(const struct sosimg_entry *e, uint8_t out[SOSIMG_ENTRY_LEN]);

/* Decode one chunk's stored bytes into out (room for e->ulen) and check
 * its SHA-256.  Pure. */
int sosimg_decode_chunk(const struct sosimg_entry *e, const uint8_t *in, size_t inlen,
    uint8_t *out, char *err, size_t errlen);
/* The same without copying a stored (codec none) chunk: *data points into
 * in for it, into scratch (room for e->ulen) for the others. */
int sosimg_check_chunk(const struct sosimg_entry *e, const uint8_t *in, size_t inlen,
    uint8_t *scratch, const uint8_t **data, char *err, size_t errlen);
/* Decode only, without the SHA-256 check (for timing codecs: never use
 * data decoded so for anything else). */
int sosimg_decode_raw(const struct sosimg_entry *e, const uint8_t *in, size_t inlen,
    uint8_t *scratch, const uint8_t **data, char *err, size_t errlen);

/* Compress one chunk: chooses ZERO for all zeros, else codec, falling back
 * to NONE when compression does not shrink it.  out has room for
 * sosimg_compress_bound(len).  Fills e (codec, ulen, clen, sha256). */
size_t sosimg_compress_bound(size_t len);
int sosimg_encode_chunk(enum sosimg_codec codec, int level, const uint8_t *in, size_t len,
    uint8_t *out, struct sosimg_entry *e);

const char *sosimg_codec_name(int codec);
int sosimg_is_zero(const uint8_t *buf, size_t len);
void sosimg_hex(const uint8_t *d, size_t n, char *out); /* out: 2n+1 */

#endif
