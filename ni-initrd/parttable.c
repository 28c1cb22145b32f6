/* MBR and GPT readers.  GPT layout: UEFI specification 2.10 section 5.3;
 * the protective MBR (type 0xEE) says a GPT follows.  A GPT whose header
 * CRC fails is refused rather than guessed at: writing an image into the
 * wrong byte range destroys the rest of the disk. */
#include "parttable.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
in_disk(uint64_t off, uint64_t len, uint64_t disk_size)
{
	if (disk_size == 0)
		return 1;
	return off <= disk_size && len <= disk_size - off;
}

static int
gpt_find(const uint8_t *head, size_t len, unsigned sector, uint64_t disk_size,
    int number, struct pt_part *out, char *err, size_t errlen)
{
	const uint8_t *h;
	uint8_t hdr[512];
	uint32_t hsize, crc, nent, esize;
	uint64_t elba, first, last, eoff;
	const uint8_t *e;
	static const uint8_t zero_guid[16];

	if (len < (size_t)sector * 2)
		return fail(err, errlen, "GPT: disk head too short for the header");
	h = head + sector;
	if (memcmp(h, "EFI PART", 8) != 0)
		return fail(err, errlen, "protective MBR but no GPT header at LBA 1");
	hsize = le32_get(h + 12);
	if (hsize < 92 || hsize > sector || hsize > sizeof(hdr))
		return fail(err, errlen, "GPT header size out of range");
	/* The CRC covers the header with its own CRC field zeroed. */
	memcpy(hdr, h, hsize);
	memset(hdr + 16, 0, 4);
	crc = (uint32_t)crc32(0, hdr, hsize);
	if (crc != le32_get(h + 16))
		return fail(err, errlen, "GPT header CRC mismatch");
	elba = le64_get(h + 72);
	nent = le32_get(h + 80);
	esize = le32_get(h + 84);
	if (esize < 128 || esize > 1024 || (esize & (esize - 1)) != 0)
		return fail(err, errlen, "GPT entry size out of range");
	if ((uint32_t)number > nent || number > PT_GPT_MAX)
		return fail(err, errlen, "GPT has no partition %d", number);
	if (elba > len / sector)
		return fail(err, errlen, "GPT entries lie beyond the disk head");
	eoff = elba * sector + (uint64_t)(number - 1) * esize;
	if (eoff > len || len - eoff < esize)
		return fail(err, errlen, "GPT entry %d lies beyond the disk head", number);
	/* The entries' CRC covers all nent entries; check it when they fit. */
	if ((uint64_t)nent * esize <= len - elba * sector) {
		crc = (uint32_t)crc32(0, head + elba * sector, (uInt)((uint64_t)nent * esize));
		if (crc != le32_get(h + 88))
			return fail(err, errlen, "GPT partition entries CRC mismatch");
	}
	e = head + eoff;
	if (memcmp(e, zero_guid, 16) == 0)
		return fail(err, errlen, "GPT partition %d is unused", number);
	first = le64_get(e + 32);
	last = le64_get(e + 40);
	if (last < first || first == 0)
		return fail(err, errlen, "GPT partition %d has a bad extent", number);
	if (first > UINT64_MAX / sector || last >= UINT64_MAX / sector)
		return fail(err, errlen, "GPT partition %d has a bad extent", number);
	out->kind = PT_GPT;
	out->offset = first * sector;
	out->length = (last - first + 1) * sector;
	if (!in_disk(out->offset, out->length, disk_size))
		return fail(err, errlen, "GPT partition %d extends past the end of the disk",
		    number);
	return 0;
}

int
pt_find(const uint8_t *head, size_t len, unsigned sector, uint64_t disk_size,
    int number, struct pt_part *out, char *err, size_t errlen)
{
	const uint8_t *e;
	uint32_t start, count;

	if (sector != 512 && sector != 4096)
		return fail(err, errlen, "unsupported sector size");
	if (number < 1)
		return fail(err, errlen, "partition number %d: must be 1 or more", number);
	if (len < 512 || head[510] != 0x55 || head[511] != 0xaa)
		return fail(err, errlen, "no partition table (no MBR signature)");
	for (int i = 0; i < 4; i++)
		if (head[446 + i * 16 + 4] == 0xee)
			return gpt_find(head, len, sector, disk_size, number, out, err, errlen);
	if (number > PT_MBR_MAX)
		return fail(err, errlen,
		    "MBR partition %d: only primary partitions 1-4 are supported", number);
	e = head + 446 + (number - 1) * 16;
	start = le32_get(e + 8);
	count = le32_get(e + 12);
	if (e[4] == 0 || count == 0)
		return fail(err, errlen, "MBR partition %d is unused", number);
	if (e[4] == 0x05 || e[4] == 0x0f || e[4] == 0x85)
		return fail(err, errlen, "MBR partition %d is an extended partition", number);
	out->kind = PT_MBR;
	out->offset = (uint64_t)start * sector;
	out->length = (uint64_t)count * sector;
	if (start == 0)
		return fail(err, errlen, "MBR partition %d starts at sector 0", number);
	if (!in_disk(out->offset, out->length, disk_size))
		return fail(err, errlen, "MBR partition %d extends past the end of the disk",
		    number);
	return 0;
}
