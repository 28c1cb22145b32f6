/* VMDK sparse extent header, markers and descriptor. */
#include "vmdk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"

static int
bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * SparseExtentHeader (packed, little-endian):
 *   0 magic  4 version  8 flags  12 capacity  20 grainSize  28 descriptorOffset
 *  36 descriptorSize  44 numGTEsPerGT  48 rgdOffset  56 gdOffset  64 overHead
 *  72 uncleanShutdown  73 '\n' ' ' '\r' '\n'  77 compressAlgorithm (u16)
 */
int
vmdk_parse_header(const uint8_t *buf, size_t len, struct vmdk_header *h, char *err,
    size_t errlen)
{
	struct vmdk_header t;

	if (len < VMDK_SECTOR)
		return bad(err, errlen, "offset %zu: VMDK header truncated", len);
	if (le32_get(buf) != VMDK_MAGIC)
		return bad(err, errlen, "offset 0: not a VMDK sparse extent (bad magic)");
	memset(&t, 0, sizeof(t));
	t.version = le32_get(buf + 4);
	if (t.version < 1 || t.version > 3)
		return bad(err, errlen, "offset 4: unsupported VMDK version %u", t.version);
	t.flags = le32_get(buf + 8);
	t.capacity = le64_get(buf + 12);
	t.grain_size = le64_get(buf + 20);
	t.desc_offset = le64_get(buf + 28);
	t.desc_size = le64_get(buf + 36);
	t.gtes_per_gt = le32_get(buf + 44);
	t.rgd_offset = le64_get(buf + 48);
	t.gd_offset = le64_get(buf + 56);
	t.overhead = le64_get(buf + 64);
	t.compress = (uint16_t)(buf[77] | buf[78] << 8);
	if (t.capacity > VMDK_MAX_CAPACITY)
		return bad(err, errlen, "offset 12: capacity %llu sectors is over the limit",
		    (unsigned long long)t.capacity);
	if (t.grain_size < 8 || t.grain_size > 2048 ||
	    (t.grain_size & (t.grain_size - 1)) != 0)
		return bad(err, errlen, "offset 20: grain size %llu sectors is not a power "
		    "of two in [8, 2048]", (unsigned long long)t.grain_size);
	if (t.gtes_per_gt != VMDK_GTES_PER_GT)
		return bad(err, errlen, "offset 44: %u grain table entries per table, "
		    "expected %d", t.gtes_per_gt, VMDK_GTES_PER_GT);
	if ((t.flags & VMDK_FLAG_COMPRESSED) && t.compress != VMDK_COMPRESS_DEFLATE)
		return bad(err, errlen, "offset 77: unknown compression algorithm %u",
		    t.compress);
	if (t.gd_offset == 0 || (t.gd_offset == VMDK_GD_AT_END &&
	    !(t.flags & VMDK_FLAG_MARKERS)))
		return bad(err, errlen, "offset 56: no grain directory");
	if (t.gd_offset != VMDK_GD_AT_END && t.gd_offset > (UINT64_MAX >> 10))
		return bad(err, errlen, "offset 56: grain directory offset out of range");
	*h = t;
	return 0;
}

void
vmdk_encode_header(const struct vmdk_header *h, uint8_t out[VMDK_SECTOR])
{
	memset(out, 0, VMDK_SECTOR);
	le32_put(out, VMDK_MAGIC);
	le32_put(out + 4, h->version);
	le32_put(out + 8, h->flags);
	le64_put(out + 12, h->capacity);
	le64_put(out + 20, h->grain_size);
	le64_put(out + 28, h->desc_offset);
	le64_put(out + 36, h->desc_size);
	le32_put(out + 44, h->gtes_per_gt);
	le64_put(out + 48, h->rgd_offset);
	le64_put(out + 56, h->gd_offset);
	le64_put(out + 64, h->overhead);
	out[72] = 0;
	/* Line-ending probe: a transfer in text mode would mangle these. */
	out[73] = '\n';
	out[74] = ' ';
	out[75] = '\r';
	out[76] = '\n';
	out[77] = h->compress & 0xff;
	out[78] = h->compress >> 8;
}

int
vmdk_parse_marker(const uint8_t *buf, size_t len, struct vmdk_marker *m)
{
	if (len < 16)
		return -1;
	m->value = le64_get(buf);
	m->size = le32_get(buf + 8);
	m->type = le32_get(buf + 12);
	return 0;
}

uint64_t
vmdk_n_grains(const struct vmdk_header *h)
{
	return (h->capacity + h->grain_size - 1) / h->grain_size;
}

uint64_t
vmdk_n_gts(const struct vmdk_header *h)
{
	return (vmdk_n_grains(h) + h->gtes_per_gt - 1) / h->gtes_per_gt;
}

int
vmdk_descriptor(char *out, size_t outlen, uint64_t sectors, int stream)
{
	uint64_t cyl = sectors / (16 * 63);
	int n;

	if (cyl > 16383)
		cyl = 16383;
	n = snprintf(out, outlen,
	    "# Disk DescriptorFile\n"
	    "version=1\n"
	    "CID=%08x\n"
	    "parentCID=ffffffff\n"
	    "createType=\"%s\"\n"
	    "\n"
	    "# Extent description\n"
	    "RW %llu SPARSE \"disk.vmdk\"\n"
	    "\n"
	    "# The Disk Data Base\n"
	    "#DDB\n"
	    "\n"
	    "ddb.virtualHWVersion = \"4\"\n"
	    "ddb.geometry.cylinders = \"%llu\"\n"
	    "ddb.geometry.heads = \"16\"\n"
	    "ddb.geometry.sectors = \"63\"\n"
	    "ddb.adapterType = \"ide\"\n",
	    (unsigned)(sectors * 2654435761u), stream ? "streamOptimized" : "monolithicSparse",
	    (unsigned long long)sectors, (unsigned long long)cyl);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}
