/* util: strict parsing of numbers, MACs and IPv4 addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util.h"

static void
test_parse_long(void **state)
{
	long v = 7;

	(void)state;
	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("-3", -5, 5, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(parse_long("101", 0, 100, &v), -1);
	assert_int_equal(parse_long("4x", 0, 100, &v), -1);
	assert_int_equal(parse_long("", 0, 100, &v), -1);
	assert_int_equal(parse_long(" 4", 0, 100, &v), -1);
	assert_int_equal(parse_long("99999999999999999999999", 0, 100, &v), -1);
	assert_int_equal(v, -3); /* untouched on error */
}

static void
test_mac(void **state)
{
	char out[MAC_STRLEN];
	uint8_t mac[6];

	(void)state;
	assert_int_equal(mac_normalize("02:AB:cd:00:01:ff", out), 0);
	assert_string_equal(out, "02:ab:cd:00:01:ff");
	assert_int_equal(mac_normalize("02-ab-cd-00-01-ff", out), 0);
	assert_string_equal(out, "02:ab:cd:00:01:ff");
	assert_int_equal(mac_parse("02:ab:cd:00:01", mac), -1);
	assert_int_equal(mac_parse("02:ab:cd:00:01:ff:00", mac), -1);
	assert_int_equal(mac_parse("02:ab-cd:00:01:ff", mac), -1);
	assert_int_equal(mac_parse("2:ab:cd:00:01:ff", mac), -1);
	assert_int_equal(mac_parse("0g:ab:cd:00:01:ff", mac), -1);
	assert_int_equal(mac_parse("", mac), -1);
}

static void
test_ipv4(void **state)
{
	char out[IPV4_STRLEN];
	uint32_t a;

	(void)state;
	assert_int_equal(ipv4_parse("10.0.0.255", &a), 0);
	ipv4_format(a, out);
	assert_string_equal(out, "10.0.0.255");
	assert_int_equal(ipv4_parse("10.0.0.256", &a), -1);
	assert_int_equal(ipv4_parse("10.0.0", &a), -1);
	assert_int_equal(ipv4_parse("10.0.0.1 ", &a), -1);
	assert_int_equal(ipv4_parse("a.b.c.d", &a), -1);
}

static void
test_str_copy(void **state)
{
	char buf[4];

	(void)state;
	assert_int_equal(str_copy(buf, "abcdef", sizeof(buf)), 6);
	assert_string_equal(buf, "abc");
	assert_int_equal(str_copy(buf, "ab", sizeof(buf)), 2);
	assert_string_equal(buf, "ab");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_str_copy),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
