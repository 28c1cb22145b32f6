/* Partition tables: MBR primaries, GPT entries with their CRCs, and every
 * way a table can be wrong, refused with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../ni-initrd/parttable.h"
#include "bytes.h"

static void
mbr_entry(uint8_t *head, int n, uint8_t type, uint32_t start, uint32_t count)
{
	uint8_t *e = head + 446 + (n - 1) * 16;

	e[4] = type;
	le32_put(e + 8, start);
	le32_put(e + 12, count);
	head[510] = 0x55;
	head[511] = 0xaa;
}

/* A GPT with partition 1 at LBA 2048..4095 and partition 3 at 10000..19999. */
static void
make_gpt(uint8_t *head)
{
	uint8_t *h = head + 512, *e = head + 1024;

	memset(head, 0, PT_HEAD_LEN);
	mbr_entry(head, 1, 0xee, 1, 0xffffffff);
	memcpy(h, "EFI PART", 8);
	le32_put(h + 8, 0x00010000);
	le32_put(h + 12, 92);
	le64_put(h + 72, 2);
	le32_put(h + 80, 128);
	le32_put(h + 84, 128);
	memset(e, 0xaa, 16);			/* type GUID */
	le64_put(e + 32, 2048);
	le64_put(e + 40, 4095);
	memset(e + 256, 0xbb, 16);
	le64_put(e + 256 + 32, 10000);
	le64_put(e + 256 + 40, 19999);
	le32_put(h + 88, (uint32_t)crc32(0, e, 128 * 128));
	le32_put(h + 16, 0);
	le32_put(h + 16, (uint32_t)crc32(0, h, 92));
}

static void
test_mbr(void **state)
{
	uint8_t head[512];
	struct pt_part p;
	char err[200];

	(void)state;
	memset(head, 0, sizeof(head));
	assert_int_equal(pt_find(head, sizeof(head), 512, 0, 1, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no partition table"));
	mbr_entry(head, 1, 0x83, 2048, 1000);
	mbr_entry(head, 4, 0x83, 8192, 4096);
	assert_int_equal(pt_find(head, sizeof(head), 512, 0, 4, &p, err, sizeof(err)), 0);
	assert_int_equal(p.kind, PT_MBR);
	assert_int_equal(p.offset, 8192 * 512ULL);
	assert_int_equal(p.length, 4096 * 512ULL);
	assert_int_equal(pt_find(head, sizeof(head), 512, 0, 1, &p, err, sizeof(err)), 0);
	assert_int_equal(p.offset, 2048 * 512ULL);
	assert_int_equal(pt_find(head, sizeof(head), 512, 0, 2, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "partition 2 is unused"));
	assert_int_equal(pt_find(head, sizeof(head), 512, 0, 5, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "1-4"));
	assert_int_equal(pt_find(head, sizeof(head), 512, 0, 0, &p, err, sizeof(err)), -1);
	/* Beyond the disk's end. */
	assert_int_equal(pt_find(head, sizeof(head), 512, 8192 * 512ULL + 100, 4, &p, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "past the end"));
	mbr_entry(head, 3, 0x05, 100, 100);
	assert_int_equal(pt_find(head, sizeof(head), 512, 0, 3, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "extended"));
	assert_int_equal(pt_find(head, 100, 512, 0, 1, &p, err, sizeof(err)), -1);
}

static void
test_gpt(void **state)
{
	uint8_t *head = malloc(PT_HEAD_LEN);
	struct pt_part p;
	char err[200];

	(void)state;
	make_gpt(head);
	assert_int_equal(pt_find(head, PT_HEAD_LEN, 512, 0, 1, &p, err, sizeof(err)), 0);
	assert_int_equal(p.kind, PT_GPT);
	assert_int_equal(p.offset, 2048 * 512ULL);
	assert_int_equal(p.length, 2048 * 512ULL);
	assert_int_equal(pt_find(head, PT_HEAD_LEN, 512, 0, 3, &p, err, sizeof(err)), 0);
	assert_int_equal(p.offset, 10000 * 512ULL);
	assert_int_equal(p.length, 10000 * 512ULL);
	assert_int_equal(pt_find(head, PT_HEAD_LEN, 512, 0, 2, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unused"));
	assert_int_equal(pt_find(head, PT_HEAD_LEN, 512, 0, 129, &p, err, sizeof(err)), -1);
	assert_int_equal(pt_find(head, PT_HEAD_LEN, 512, 5000 * 512ULL, 3, &p, err,
	    sizeof(err)), -1);
	/* A damaged entry array fails its CRC. */
	head[1024 + 40] ^= 1;
	assert_int_equal(pt_find(head, PT_HEAD_LEN, 512, 0, 1, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "entries CRC"));
	/* A damaged header fails its CRC. */
	make_gpt(head);
	head[512 + 72] ^= 1;
	assert_int_equal(pt_find(head, PT_HEAD_LEN, 512, 0, 1, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "header CRC"));
	/* Too little of the disk to see the header. */
	make_gpt(head);
	assert_int_equal(pt_find(head, 600, 512, 0, 1, &p, err, sizeof(err)), -1);
	free(head);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbr),
		cmocka_unit_test(test_gpt),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("ni_parttable", tests, NULL, NULL);
}
