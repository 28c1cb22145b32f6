/* Partition tables: where partition N of a disk lies, from the disk's
 * first bytes.  Pure: the caller reads the head of the disk (PT_HEAD_LEN
 * bytes, or all of it if smaller) and passes it in. */
#ifndef NI_PARTTABLE_H
#define NI_PARTTABLE_H

#include <stddef.h>
#include <stdint.h>

/* MBR, the GPT header at LBA 1 and the usual 128 entries from LBA 2. */
#define PT_HEAD_LEN (64 * 1024)
#define PT_MBR_MAX 4	/* primary partitions only; logical ones are not followed */
#define PT_GPT_MAX 128

enum pt_kind { PT_NONE, PT_MBR, PT_GPT };

struct pt_part {
	enum pt_kind kind;
	uint64_t offset;	/* bytes from the start of the disk */
	uint64_t length;	/* bytes */
};

/* Find partition `number` (1-based).  sector: logical sector size (512 or
 * 4096).  disk_size: the disk's size in bytes (0 = unknown, no bound
 * check).  On error returns -1 and writes a sentence to err. */
int pt_find(const uint8_t *head, size_t len, unsigned sector, uint64_t disk_size,
    int number, struct pt_part *out, char *err, size_t errlen);

#endif
