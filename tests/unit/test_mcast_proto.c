/* mcast_proto: the multicast wire codec round-trips and refuses bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mcast_proto.h"

static void
test_join(void **state)
{
	uint8_t b[MP_MAX_DGRAM];
	char name[MP_NAME_MAX + 1];
	struct mp_hdr h;
	size_t n;

	(void)state;
	n = mp_encode_join(b, sizeof(b), 42, "debian-12.sos");
	assert_true(n > MP_HDR_LEN);
	assert_int_equal(mp_parse_hdr(b, n, &h), 0);
	assert_int_equal(h.type, MP_JOIN);
	assert_int_equal(h.client, 42);
	assert_int_equal(mp_parse_join(b, n, name), 0);
	assert_string_equal(name, "debian-12.sos");
	b[MP_HDR_LEN + 1] = '/'; /* not a name character */
	assert_int_equal(mp_parse_join(b, n, name), -1);
	assert_int_equal(mp_parse_join(b, n - 1, name), -1);
	assert_int_equal(mp_encode_join(b, sizeof(b), 1, ""), 0);
	b[0] = 'X';
	assert_int_equal(mp_parse_hdr(b, n, &h), -1);
}

static void
test_data(void **state)
{
	uint8_t b[MP_MAX_DGRAM], payload[MP_BLOCK];
	struct mp_data d, p;
	size_t n;

	(void)state;
	memset(payload, 0xab, sizeof(payload));
	memset(&d, 0, sizeof(d));
	d.seq = 7;
	d.chunk = 3;
	d.clen = 3000;             /* 3 blocks: 1400, 1400, 200 */
	d.nblocks = 3;
	d.block = 2;
	d.data = payload;
	d.len = 200;
	n = mp_encode_data(b, sizeof(b), 99, 0, &d);
	assert_int_equal(mp_parse_data(b, n, &p), 0);
	assert_int_equal(p.chunk, 3);
	assert_int_equal(p.block, 2);
	assert_int_equal(p.len, 200);
	assert_int_equal(p.seq, 7);
	/* The last block must be exactly the remainder. */
	assert_int_equal(mp_parse_data(b, n - 1, &p), -1);
	/* Block count must follow from clen. */
	d.nblocks = 4;
	n = mp_encode_data(b, sizeof(b), 99, 0, &d);
	assert_int_equal(mp_parse_data(b, n, &p), -1);
	d.nblocks = 3;
	d.block = 3;
	n = mp_encode_data(b, sizeof(b), 99, 0, &d);
	assert_int_equal(mp_parse_data(b, n, &p), -1);
	assert_int_equal(mp_nblocks(1400), 1);
	assert_int_equal(mp_nblocks(1401), 2);
}

static void
test_req(void **state)
{
	struct mp_item in[2] = { { 5, 10, 0, 0 }, { 9, 1, 100, 20 } }, out[MP_REQ_MAX_ITEMS];
	uint8_t b[MP_MAX_DGRAM];
	size_t n, k;

	(void)state;
	n = mp_encode_req(b, sizeof(b), 1, 2, MP_F_UNICAST, in, 2);
	assert_int_equal(mp_parse_req(b, n, out, &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(out[0].chunk, 5);
	assert_int_equal(out[0].count, 10);
	assert_int_equal(out[1].first_block, 100);
	assert_int_equal(out[1].nblocks, 20);
	assert_int_equal(mp_parse_req(b, n - 1, out, &k), -1);
	b[MP_HDR_LEN + 1] = 200; /* more items than the datagram holds */
	assert_int_equal(mp_parse_req(b, n, out, &k), -1);
}

static void
test_status(void **state)
{
	struct mp_status s = { 3, 10, 3 << 20, 10 << 20, 50000, 1, 0, 0 }, p;
	uint8_t b[MP_MAX_DGRAM];
	size_t n;

	(void)state;
	n = mp_encode_status(b, sizeof(b), 1, 2, MP_F_DONE, &s);
	assert_int_equal(mp_parse_status(b, n, &p), 0);
	assert_int_equal(p.loss_ppm, 50000);
	assert_int_equal(p.bytes_total, 10 << 20);
	assert_int_equal(p.seq_next, 0);
	assert_int_equal(n, MP_HDR_LEN + 32);
	/* With flow control fields. */
	s.seq_next = 0xfffffff0u;
	s.window = 16384;
	n = mp_encode_status(b, sizeof(b), 1, 2, MP_F_SEQ, &s);
	assert_int_equal(n, MP_HDR_LEN + 40);
	assert_int_equal(mp_parse_status(b, n, &p), 0);
	assert_int_equal(p.seq_next, 0xfffffff0u);
	assert_int_equal(p.window, 16384);
	/* The flag and the length must agree. */
	assert_int_equal(mp_parse_status(b, n - 8, &p), -1);
	b[6] &= (uint8_t)~MP_F_SEQ;
	assert_int_equal(mp_parse_status(b, n, &p), -1);
	assert_int_equal(mp_parse_status(b, 7, &p), -1);
	s.chunks_done = 11; /* more done than total */
	n = mp_encode_status(b, sizeof(b), 1, 2, 0, &s);
	assert_int_equal(mp_parse_status(b, n, &p), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_req),
		cmocka_unit_test(test_status),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("mcast_proto", tests, NULL, NULL);
}
