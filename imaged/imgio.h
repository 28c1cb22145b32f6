/* imgio: read any supported image format as a random-access disk, and write
 * a disk out in any of them.  Used by imgtool and imaged.
 *
 * Formats: raw, gzip, zstd, VMDK (monolithicSparse, streamOptimized) and
 * sosimg.  gzip and zstd carry no reliable size and are sequential only, so
 * they are first decompressed into an unlinked temporary file. */
#ifndef SPRINGOS_IMGIO_H
#define SPRINGOS_IMGIO_H

#include <stddef.h>
#include <stdint.h>

#include "sosimg.h"

enum img_format {
	IMG_AUTO = 0,
	IMG_RAW,
	IMG_GZIP,
	IMG_ZSTD,
	IMG_VMDK,         /* monolithicSparse on output */
	IMG_VMDK_STREAM,  /* streamOptimized on output */
	IMG_SOSIMG,
};

struct img_reader;

const char *img_format_name(enum img_format f);
int img_format_parse(const char *s, enum img_format *out);
/* From a file name's extension; IMG_RAW when unknown. */
enum img_format img_format_from_name(const char *path);
/* From the first bytes of a file. */
enum img_format img_format_sniff(const uint8_t *buf, size_t len);

/* Open path (a file or block device) as format fmt (IMG_AUTO: sniff).
 * tmpdir is where gzip/zstd input is spooled (NULL: $TMPDIR or /var/tmp).
 * Errors name the file and the byte offset at fault. */
int img_open(const char *path, enum img_format fmt, const char *tmpdir,
    struct img_reader **out, char *err, size_t errlen);
/* The same over an open fd (not closed by img_close).  Used by the fuzzer
 * over a memfd. */
int img_open_fd(int fd, const char *name, enum img_format fmt, const char *tmpdir,
    struct img_reader **out, char *err, size_t errlen);
void img_close(struct img_reader *r);

uint64_t img_size(const struct img_reader *r);
enum img_format img_format(const struct img_reader *r);
/* The stored (file) size of the image. */
uint64_t img_stored_size(const struct img_reader *r);
/* sosimg only: header and index (NULL otherwise). */
const struct sosimg_header *img_sosimg_header(const struct img_reader *r);
const struct sosimg_entry *img_sosimg_index(const struct img_reader *r);

/* Read len bytes of the disk at off (must be within the disk).  Verifies
 * what the format can verify (sosimg chunk SHA-256, zlib checksums). */
int img_read(struct img_reader *r, uint64_t off, uint8_t *buf, size_t len, char *err,
    size_t errlen);
/* Is [off, off+len) known to be zero without reading it (holes, zero
 * chunks, unallocated grains)?  A cheap hint; 0 means "read it". */
int img_known_zero(struct img_reader *r, uint64_t off, uint64_t len);

struct img_wopts {
	enum sosimg_codec codec;  /* sosimg chunks: zstd (default), zlib, none */
	int level;                /* 0 = codec default */
	uint32_t chunk_size;      /* sosimg: 0 = 1 MiB */
	/* Progress: called after each MiB or so with bytes of the disk done. */
	void (*progress)(uint64_t done, uint64_t total, void *ctx);
	void *ctx;
	/* Filled on success for sosimg output. */
	uint8_t image_sha256[32];
};

/* Write the disk of r to path in format fmt.  Writes a temporary file next
 * to path and renames it into place only when complete: a failure leaves
 * no partial output. */
int img_write(struct img_reader *r, const char *path, enum img_format fmt,
    struct img_wopts *o, char *err, size_t errlen);

#endif
