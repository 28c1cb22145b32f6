/* VMDK hosted sparse extents (VMware "Virtual Disk Format 1.1"):
 * monolithicSparse and streamOptimized.  Pure encoders and parsers over
 * (buf, len); the I/O around them is in imgio.c. */
#ifndef SPRINGOS_VMDK_H
#define SPRINGOS_VMDK_H

#include <stddef.h>
#include <stdint.h>

#define VMDK_SECTOR 512
#define VMDK_MAGIC 0x564d444bu      /* "KDMV" read little-endian */
#define VMDK_GD_AT_END UINT64_MAX   /* streamOptimized: GD offset in the footer */
#define VMDK_FLAG_NL_DETECT 0x1u
#define VMDK_FLAG_RGD 0x2u
#define VMDK_FLAG_COMPRESSED 0x10000u
#define VMDK_FLAG_MARKERS 0x20000u
#define VMDK_COMPRESS_DEFLATE 1
#define VMDK_GRAIN_SECTORS 128      /* 64 KiB grains, what we write */
#define VMDK_GTES_PER_GT 512
/* Hard bound on what we accept: 4 TiB of capacity. */
#define VMDK_MAX_CAPACITY (1ull << 33)

enum vmdk_marker_type { VMDK_MARKER_EOS = 0, VMDK_MARKER_GT = 1, VMDK_MARKER_GD = 2,
	VMDK_MARKER_FOOTER = 3 };

struct vmdk_header {
	uint32_t version;
	uint32_t flags;
	uint64_t capacity;      /* sectors */
	uint64_t grain_size;    /* sectors */
	uint64_t desc_offset;   /* sectors */
	uint64_t desc_size;     /* sectors */
	uint32_t gtes_per_gt;
	uint64_t rgd_offset;
	uint64_t gd_offset;
	uint64_t overhead;
	uint16_t compress;
};

/* Parse the 512-byte header at buf.  Checks magic, version (1..3), grain
 * size (a power of two, 8..2048 sectors), 512 GTEs per GT and capacity
 * bound.  gd_offset may be VMDK_GD_AT_END. */
int vmdk_parse_header(const uint8_t *buf, size_t len, struct vmdk_header *h,
    char *err, size_t errlen);
void vmdk_encode_header(const struct vmdk_header *h, uint8_t out[VMDK_SECTOR]);

/* A streamOptimized marker: value (LBA or sector count), size of the data
 * that follows (0 for metadata markers), type (metadata markers only). */
struct vmdk_marker {
	uint64_t value;
	uint32_t size;
	uint32_t type;
};
int vmdk_parse_marker(const uint8_t *buf, size_t len, struct vmdk_marker *m);

/* The embedded descriptor text for a disk of `sectors` sectors. */
int vmdk_descriptor(char *out, size_t outlen, uint64_t sectors, int stream);

uint64_t vmdk_n_grains(const struct vmdk_header *h);
uint64_t vmdk_n_gts(const struct vmdk_header *h);

#endif
