/* sosimg: the chunked image format's pure codec. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "sosimg.h"

#define CS SOSIMG_MIN_CHUNK

/* A three-chunk image in memory: text, zeros, a short random tail. */
struct img {
	uint8_t file[4 * CS + 4096];
	size_t len;
	struct sosimg_header h;
	uint8_t disk[2 * CS + 1000];
};

static void
build(struct img *m, enum sosimg_codec codec)
{
	struct sosimg_entry e;
	uint8_t idx[3 * SOSIMG_ENTRY_LEN];
	uint64_t pos;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < CS; i++)
		m->disk[i] = "springos "[i % 9];
	srand(7);
	for (i = 2 * CS; i < sizeof(m->disk); i++)
		m->disk[i] = (uint8_t)rand();
	m->h.version = SOSIMG_VERSION;
	m->h.chunk_size = CS;
	m->h.disk_size = sizeof(m->disk);
	m->h.n_chunks = 3;
	m->h.index_off = SOSIMG_HDR_LEN;
	m->h.data_off = SOSIMG_HDR_LEN + sizeof(idx);
	pos = m->h.data_off;
	for (i = 0; i < 3; i++) {
		n = i < 2 ? CS : 1000;
		memset(&e, 0, sizeof(e));
		e.disk_off = i * CS;
		assert_int_equal(sosimg_encode_chunk(codec, 0, m->disk + i * CS, n,
		    m->file + pos, &e), 0);
		if (e.codec != SOSIMG_ZERO) {
			e.file_off = pos;
			pos += e.clen;
		}
		sosimg_encode_entry(&e, idx + i * SOSIMG_ENTRY_LEN);
	}
	m->h.file_size = pos;
	SHA256(m->disk, sizeof(m->disk), m->h.image_sha256);
	SHA256(idx, sizeof(idx), m->h.index_sha256);
	sosimg_encode_header(&m->h, m->file);
	memcpy(m->file + SOSIMG_HDR_LEN, idx, sizeof(idx));
	m->len = pos;
}

static void
roundtrip(enum sosimg_codec codec, int want_codec0)
{
	static struct img m;
	struct sosimg_header h;
	struct sosimg_entry ents[3];
	static uint8_t out[CS];
	char err[200];
	int i;

	build(&m, codec);
	assert_int_equal(sosimg_parse_header(m.file, m.len, &h, err, sizeof(err)), 0);
	assert_int_equal(h.n_chunks, 3);
	assert_int_equal(h.disk_size, sizeof(m.disk));
	assert_int_equal(sosimg_parse_index(&h, m.file + h.index_off, m.len - h.index_off,
	    ents, err, sizeof(err)), 0);
	assert_int_equal(ents[0].codec, want_codec0);
	assert_int_equal(ents[1].codec, SOSIMG_ZERO);
	assert_int_equal(ents[1].clen, 0);
	assert_int_equal(ents[2].codec, SOSIMG_NONE); /* random: no gain */
	for (i = 0; i < 3; i++) {
		assert_int_equal(sosimg_decode_chunk(&ents[i], m.file + ents[i].file_off,
		    ents[i].clen, out, err, sizeof(err)), 0);
		assert_memory_equal(out, m.disk + i * CS, ents[i].ulen);
	}
}

static void
test_roundtrip_zstd(void **state)
{
	(void)state;
	roundtrip(SOSIMG_ZSTD, SOSIMG_ZSTD);
}

static void
test_roundtrip_zlib(void **state)
{
	(void)state;
	roundtrip(SOSIMG_ZLIB, SOSIMG_ZLIB);
}

static void
test_roundtrip_none(void **state)
{
	(void)state;
	roundtrip(SOSIMG_NONE, SOSIMG_NONE);
}

static void
test_header_errors(void **state)
{
	static struct img m;
	struct sosimg_header h;
	uint8_t b[SOSIMG_HDR_LEN];
	char err[200];

	(void)state;
	build(&m, SOSIMG_ZSTD);
	assert_int_equal(sosimg_parse_header(m.file, 100, &h, err, sizeof(err)),
	    SOSIMG_ESHORT);
	assert_non_null(strstr(err, "offset 100"));
	memcpy(b, m.file, sizeof(b));
	b[0] = 'X';
	assert_int_equal(sosimg_parse_header(b, sizeof(b), &h, err, sizeof(err)),
	    SOSIMG_EFORMAT);
	assert_non_null(strstr(err, "offset 0"));
	memcpy(b, m.file, sizeof(b));
	b[16] = 1; /* chunk size not a power of two */
	assert_int_equal(sosimg_parse_header(b, sizeof(b), &h, err, sizeof(err)),
	    SOSIMG_EFORMAT);
	assert_non_null(strstr(err, "offset 16"));
	memcpy(b, m.file, sizeof(b));
	b[20] = 4; /* 4 chunks for a 3-chunk disk */
	assert_int_equal(sosimg_parse_header(b, sizeof(b), &h, err, sizeof(err)),
	    SOSIMG_EFORMAT);
	assert_non_null(strstr(err, "offset 20"));
}

static void
test_index_errors(void **state)
{
	static struct img m;
	struct sosimg_header h;
	struct sosimg_entry ents[3];
	uint8_t *idx;
	char err[200];

	(void)state;
	build(&m, SOSIMG_ZSTD);
	assert_int_equal(sosimg_parse_header(m.file, m.len, &h, err, sizeof(err)), 0);
	idx = m.file + h.index_off;
	/* Truncated index. */
	assert_int_equal(sosimg_parse_index(&h, idx, 100, ents, err, sizeof(err)),
	    SOSIMG_ESHORT);
	/* Any change to the index breaks its digest. */
	idx[SOSIMG_ENTRY_LEN + 16] = SOSIMG_ZSTD;
	assert_int_equal(sosimg_parse_index(&h, idx, 3 * SOSIMG_ENTRY_LEN, ents, err,
	    sizeof(err)), SOSIMG_EDIGEST);
	assert_non_null(strstr(err, "offset 128"));
	/* A consistent digest over a bad entry: the entry check names it. */
	SHA256(idx, 3 * SOSIMG_ENTRY_LEN, h.index_sha256);
	assert_int_equal(sosimg_parse_index(&h, idx, 3 * SOSIMG_ENTRY_LEN, ents, err,
	    sizeof(err)), SOSIMG_EFORMAT);
	assert_non_null(strstr(err, "chunk 1"));
	/* Overlapping stored chunk. */
	idx[SOSIMG_ENTRY_LEN + 16] = SOSIMG_ZERO;
	idx[2 * SOSIMG_ENTRY_LEN + 24] ^= 1;
	SHA256(idx, 3 * SOSIMG_ENTRY_LEN, h.index_sha256);
	assert_int_equal(sosimg_parse_index(&h, idx, 3 * SOSIMG_ENTRY_LEN, ents, err,
	    sizeof(err)), SOSIMG_EFORMAT);
	assert_non_null(strstr(err, "chunk 2 stored at"));
}

static void
test_corrupt_chunk(void **state)
{
	static struct img m;
	static uint8_t out[CS];
	struct sosimg_header h;
	struct sosimg_entry ents[3];
	char err[200];

	(void)state;
	build(&m, SOSIMG_ZSTD);
	assert_int_equal(sosimg_parse_header(m.file, m.len, &h, err, sizeof(err)), 0);
	assert_int_equal(sosimg_parse_index(&h, m.file + h.index_off, m.len - h.index_off,
	    ents, err, sizeof(err)), 0);
	/* A flipped byte in random (stored) data decodes but fails SHA-256. */
	m.file[ents[2].file_off + 10] ^= 0x40;
	assert_int_equal(sosimg_decode_chunk(&ents[2], m.file + ents[2].file_off,
	    ents[2].clen, out, err, sizeof(err)), SOSIMG_EDIGEST);
	/* A flipped byte in compressed data: codec error or digest error. */
	m.file[ents[0].file_off + ents[0].clen / 2] ^= 0x40;
	assert_true(sosimg_decode_chunk(&ents[0], m.file + ents[0].file_off,
	    ents[0].clen, out, err, sizeof(err)) < 0);
	/* Wrong length. */
	assert_int_equal(sosimg_decode_chunk(&ents[0], m.file + ents[0].file_off,
	    ents[0].clen - 1, out, err, sizeof(err)), SOSIMG_ESHORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_zstd),
		cmocka_unit_test(test_roundtrip_zlib),
		cmocka_unit_test(test_roundtrip_none),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_index_errors),
		cmocka_unit_test(test_corrupt_chunk),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("sosimg", tests, NULL, NULL);
}
