/* ni decoders: gzip and zstd round trips through tiny and large buffers,
 * several members/frames, truncation and corruption detected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "../../ni-initrd/decode.h"

#define N (300 * 1024)

static uint8_t *
sample(void)
{
	uint8_t *b = malloc(N);
	uint32_t x = 12345;

	assert_non_null(b);
	/* Half pseudo-random, half runs: both compressible and not. */
	for (size_t i = 0; i < N; i++) {
		x = x * 1103515245 + 12345;
		b[i] = i < N / 2 ? (uint8_t)(x >> 16) : (uint8_t)(i / 1000);
	}
	return b;
}

static size_t
gzip_of(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* Decode in (fed in pieces of `step`) into out with outputs of `ostep`. */
static int
decode_all(enum img_format f, const uint8_t *in, size_t len, size_t step, size_t ostep,
    uint8_t *out, size_t cap, size_t *outlen)
{
	struct decoder *d;
	size_t pos = 0, o = 0;
	int rc = DEC_OK;

	assert_int_equal(decoder_new(f, &d), DEC_OK);
	while (pos < len && rc == DEC_OK) {
		size_t n = len - pos < step ? len - pos : step, used, made;

		do {
			size_t room = cap - o < ostep ? cap - o : ostep;

			rc = decoder_run(d, in + pos, n, &used, out + o, room, &made);
			pos += used;
			n -= used;
			o += made;
			if (used == 0 && made == 0)
				break;
		} while (rc == DEC_OK && (n > 0 || made > 0) && o < cap);
	}
	/* Drain what the codec still holds. */
	for (int i = 0; rc == DEC_OK && i < 1000; i++) {
		size_t used, made, room = cap - o < ostep ? cap - o : ostep;

		rc = decoder_run(d, NULL, 0, &used, out + o, room, &made);
		o += made;
		if (made == 0)
			break;
	}
	if (rc == DEC_OK)
		rc = decoder_finish(d);
	decoder_free(d);
	*outlen = o;
	return rc;
}

static void
test_sniff(void **state)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 8, 0 }, zs[] = { 0x28, 0xb5, 0x2f, 0xfd };
	enum img_format f;

	(void)state;
	assert_int_equal(img_format_sniff(gz, sizeof(gz)), IMG_GZIP);
	assert_int_equal(img_format_sniff(zs, sizeof(zs)), IMG_ZSTD);
	assert_int_equal(img_format_sniff((const uint8_t *)"KDMV\1\0\0\0", 8), IMG_VMDK);
	assert_int_equal(img_format_sniff((const uint8_t *)"\0\0\0\0", 4), IMG_RAW);
	assert_int_equal(img_format_sniff(gz, 2), IMG_RAW);
	assert_int_equal(img_format_parse("zst", &f), 0);
	assert_int_equal(f, IMG_ZSTD);
	assert_int_equal(img_format_parse("lzma", &f), -1);
	assert_int_equal(decoder_new(IMG_AUTO, &(struct decoder *){ NULL }), DEC_EUNSUPPORTED);
}

static void
test_gzip(void **state)
{
	uint8_t *src = sample(), *gz = malloc(2 * N), *out = malloc(2 * N);
	size_t glen, olen, g2;

	(void)state;
	glen = gzip_of(src, N, gz, 2 * N);
	/* Whole, byte by byte in, small outputs. */
	assert_int_equal(decode_all(IMG_GZIP, gz, glen, glen, N, out, 2 * N, &olen), DEC_OK);
	assert_int_equal(olen, N);
	assert_memory_equal(out, src, N);
	assert_int_equal(decode_all(IMG_GZIP, gz, glen, 1, 7, out, 2 * N, &olen), DEC_OK);
	assert_int_equal(olen, N);
	assert_memory_equal(out, src, N);
	/* Two members, as `cat a.gz b.gz` makes. */
	g2 = gzip_of(src, 1000, gz + glen, 2 * N - glen);
	assert_int_equal(decode_all(IMG_GZIP, gz, glen + g2, 4096, 4096, out, 2 * N, &olen),
	    DEC_OK);
	assert_int_equal(olen, N + 1000);
	assert_memory_equal(out + N, src, 1000);
	/* Truncated: cut anywhere inside. */
	assert_int_equal(decode_all(IMG_GZIP, gz, glen - 1, 4096, 4096, out, 2 * N, &olen),
	    DEC_ETRUNCATED);
	assert_int_equal(decode_all(IMG_GZIP, gz, glen / 2, 4096, 4096, out, 2 * N, &olen),
	    DEC_ETRUNCATED);
	/* Corrupt: a flipped byte in the deflate data or the CRC. */
	gz[glen / 2] ^= 0x55;
	assert_int_not_equal(decode_all(IMG_GZIP, gz, glen, 4096, 4096, out, 2 * N, &olen),
	    DEC_OK);
	gz[glen / 2] ^= 0x55;
	gz[glen - 6] ^= 1;
	assert_int_equal(decode_all(IMG_GZIP, gz, glen, 4096, 4096, out, 2 * N, &olen),
	    DEC_ECORRUPT);
	/* Trailing garbage after a member is not a second member. */
	gz[glen - 6] ^= 1;
	memcpy(gz + glen, "garbage!", 8);
	assert_int_equal(decode_all(IMG_GZIP, gz, glen + 8, 4096, 4096, out, 2 * N, &olen),
	    DEC_ECORRUPT);
	free(src);
	free(gz);
	free(out);
}

static void
test_zstd(void **state)
{
	uint8_t *src = sample(), *zs = malloc(2 * N), *out = malloc(2 * N);
	size_t zlen, olen, z2;

	(void)state;
	zlen = ZSTD_compress(zs, 2 * N, src, N, 3);
	assert_false(ZSTD_isError(zlen));
	assert_int_equal(decode_all(IMG_ZSTD, zs, zlen, zlen, 2 * N, out, 2 * N, &olen), DEC_OK);
	assert_int_equal(olen, N);
	assert_memory_equal(out, src, N);
	assert_int_equal(decode_all(IMG_ZSTD, zs, zlen, 3, 5, out, 2 * N, &olen), DEC_OK);
	assert_int_equal(olen, N);
	assert_memory_equal(out, src, N);
	z2 = ZSTD_compress(zs + zlen, 2 * N - zlen, src, 777, 1);
	assert_int_equal(decode_all(IMG_ZSTD, zs, zlen + z2, 65536, 65536, out, 2 * N, &olen),
	    DEC_OK);
	assert_int_equal(olen, N + 777);
	assert_int_equal(decode_all(IMG_ZSTD, zs, zlen - 1, 4096, 4096, out, 2 * N, &olen),
	    DEC_ETRUNCATED);
	zs[4] ^= 0xff;	/* frame header descriptor */
	assert_int_not_equal(decode_all(IMG_ZSTD, zs, zlen, 4096, 4096, out, 2 * N, &olen),
	    DEC_OK);
	free(src);
	free(zs);
	free(out);
}

static void
test_raw(void **state)
{
	uint8_t in[100], out[100];
	size_t olen;

	(void)state;
	memset(in, 7, sizeof(in));
	assert_int_equal(decode_all(IMG_RAW, in, sizeof(in), 33, 10, out, sizeof(out), &olen),
	    DEC_OK);
	assert_int_equal(olen, sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_raw),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("ni_decode", tests, NULL, NULL);
}
