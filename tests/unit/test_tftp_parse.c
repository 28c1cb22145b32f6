/* Unit tests of the pure parts of bootsrv's TFTP and HTTP boot services:
 * the TFTP request/packet parser, the path check, OACK and netascii, the
 * HTTP Range parser and the per-node iPXE script. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../bootsrv/bootscript.h"
#include "../../bootsrv/tftp_parse.h"

#define PKT(s) (const uint8_t *)(s), sizeof(s) - 1

static void
rrq_plain(void **state)
{
	struct tftp_request r;

	(void)state;
	assert_int_equal(tftp_parse_request(PKT("\0\001pxelinux.0\0octet\0"), &r), TFTP_P_OK);
	assert_int_equal(r.opcode, TFTP_RRQ);
	assert_string_equal(r.filename, "pxelinux.0");
	assert_int_equal(r.mode, TFTP_MODE_OCTET);
	assert_false(r.has_blksize || r.has_tsize || r.has_timeout || r.has_windowsize);
}

static void
rrq_options(void **state)
{
	struct tftp_request r;

	(void)state;
	/* Option names are case-insensitive (RFC 2347); an unknown one is
	 * ignored, an out-of-range blksize too (RFC 2348: 8..65464). */
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0NetASCII\0BLKSIZE\0001432\0"
	    "tsize\0000\0windowsize\00016\0timeout\0003\0foo\0bar\0"), &r), TFTP_P_OK);
	assert_int_equal(r.mode, TFTP_MODE_NETASCII);
	assert_true(r.has_blksize);
	assert_int_equal(r.blksize, 1432);
	assert_true(r.has_tsize);
	assert_int_equal(r.tsize, 0);
	assert_true(r.has_windowsize);
	assert_int_equal(r.windowsize, 16);
	assert_true(r.has_timeout);
	assert_int_equal(r.timeout, 3);
	assert_int_equal(r.n_ignored, 1);

	assert_int_equal(tftp_parse_request(PKT("\0\001f\0octet\0blksize\0007\0"
	    "windowsize\0000\0timeout\000256\0"), &r), TFTP_P_OK);
	assert_false(r.has_blksize);
	assert_false(r.has_windowsize);
	assert_false(r.has_timeout);
	assert_int_equal(r.n_ignored, 3);
	/* Not a number at all, or a duplicate: ignored as well. */
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0octet\0blksize\0001x\0"
	    "blksize\0001024\0blksize\000512\0"), &r), TFTP_P_OK);
	assert_int_equal(r.blksize, 1024);
	assert_int_equal(r.n_ignored, 2);
	/* Trailing NUL padding is tolerated. */
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0octet\0\0\0\0"), &r), TFTP_P_OK);
}

static void
rrq_malformed(void **state)
{
	struct tftp_request r;
	uint8_t big[600];

	(void)state;
	assert_int_equal(tftp_parse_request(PKT("\0"), &r), TFTP_P_SHORT);
	assert_int_equal(tftp_parse_request(PKT("\0\011f\0octet\0"), &r), TFTP_P_OPCODE);
	assert_int_equal(tftp_parse_request(PKT("\0\003\0\001"), &r), TFTP_P_OPCODE);
	assert_int_equal(tftp_parse_request(PKT("\0\001file"), &r), TFTP_P_NOFILENAME);
	assert_int_equal(tftp_parse_request(PKT("\0\001\0octet\0"), &r), TFTP_P_NOFILENAME);
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0octet"), &r), TFTP_P_NOMODE);
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0mail\0"), &r), TFTP_P_MODE);
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0octet\0blksize\0"), &r),
	    TFTP_P_OPTION);
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0octet\0blksize\0001"), &r),
	    TFTP_P_OPTION);
	memset(big, 'a', sizeof(big));
	big[0] = 0;
	big[1] = 1;
	big[2 + 256] = '\0';
	memcpy(big + 2 + 257, "octet", 6);
	assert_int_equal(tftp_parse_request(big, 2 + 257 + 6, &r), TFTP_P_LONGNAME);
	big[2 + 255] = '\0';
	memcpy(big + 2 + 256, "octet", 6);
	assert_int_equal(tftp_parse_request(big, 2 + 256 + 6, &r), TFTP_P_OK);
	assert_int_equal(strlen(r.filename), 255);
	assert_int_equal(tftp_parse_request(PKT("\0\001f\0octet\0a\0001\0b\0001\0c\0001\0"
	    "d\0001\0e\0001\0f\0001\0g\0001\0h\0001\0i\0001\0j\0001\0k\0001\0l\0001\0"
	    "m\0001\0n\0001\0o\0001\0p\0001\0q\0001\0"), &r), TFTP_P_TOOMANYOPTS);
	assert_string_equal(tftp_perr_str(TFTP_P_MODE),
	    "unsupported transfer mode (octet or netascii only)");
	assert_string_equal(tftp_perr_str(999), "malformed packet");
}

static void
packets(void **state)
{
	struct tftp_packet p;

	(void)state;
	assert_int_equal(tftp_parse_packet(PKT("\0\004\377\376"), &p), TFTP_P_OK);
	assert_int_equal(p.opcode, TFTP_ACK);
	assert_int_equal(p.block, 65534);
	assert_int_equal(tftp_parse_packet(PKT("\0\004\0"), &p), TFTP_P_SHORT);
	assert_int_equal(tftp_parse_packet(PKT("\0\003\0\002abc"), &p), TFTP_P_OK);
	assert_int_equal(p.block, 2);
	assert_int_equal(p.datalen, 3);
	assert_memory_equal(p.data, "abc", 3);
	assert_int_equal(tftp_parse_packet(PKT("\0\005\0\010bad\001opt"), &p), TFTP_P_OK);
	assert_int_equal(p.errcode, 8);
	assert_string_equal(p.errmsg, "bad?opt");
	assert_int_equal(tftp_parse_packet(PKT("\0\077"), &p), TFTP_P_OPCODE);
}

static void
path_check(void **state)
{
	char out[TFTP_NAME_MAX + 1];
	const char *why;
	static const char *const bad[] = {
		"", "/etc/passwd", "../x", "a/../../x", "a/..", "..", ".", "./x", "a/./b",
		"a//b", "a/", "a\\b", "..\\x", "a\nb", "a\x7f",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(tftp_path_check(bad[i], out, sizeof(out), &why), -1);
		assert_non_null(why);
	}
	assert_int_equal(tftp_path_check("/x", out, sizeof(out), &why), -1);
	assert_string_equal(why, "absolute paths are not served");
	assert_int_equal(tftp_path_check("ni/vmlinuz", out, sizeof(out), &why), 0);
	assert_string_equal(out, "ni/vmlinuz");
	assert_int_equal(tftp_path_check("..a/b..", out, sizeof(out), &why), 0);
	assert_int_equal(tftp_path_check("abcdef", out, 4, &why), -1);
}

static void
oack_and_error(void **state)
{
	struct tftp_request r;
	uint8_t buf[128];
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.has_blksize = 1;
	r.blksize = 1468;
	r.has_tsize = 1;
	r.tsize = 33554432;
	r.has_windowsize = 1;
	r.windowsize = 8;
	n = tftp_build_oack(buf, sizeof(buf), &r);
	assert_int_equal(n, sizeof("\0\006blksize\0001468\0tsize\00033554432\0windowsize\0008"));
	assert_memory_equal(buf, "\0\006blksize\0001468\0tsize\00033554432\0windowsize\0008\0", n);
	assert_int_equal(tftp_build_oack(buf, 10, &r), 0);
	n = tftp_build_error(buf, sizeof(buf), TFTP_ENOTFOUND, "file not found");
	assert_int_equal(n, 4 + 15);
	assert_memory_equal(buf, "\0\005\0\001file not found\0", n);
	assert_int_equal(tftp_build_error(buf, 8, 1, "file not found"), 0);
}

static void
netascii(void **state)
{
	uint8_t out[32];

	(void)state;
	assert_int_equal(tftp_netascii_encode((const uint8_t *)"a\nb\rc", 5, out, sizeof(out)),
	    7);
	assert_memory_equal(out, "a\r\nb\r\0c", 7);
	assert_int_equal(tftp_netascii_encode((const uint8_t *)"\n\n", 2, out, 3),
	    (size_t)-1);
}

static void
range(void **state)
{
	uint64_t s, l;

	(void)state;
	assert_int_equal(http_range_parse("bytes=0-99", 1000, &s, &l), 1);
	assert_int_equal(s, 0);
	assert_int_equal(l, 100);
	assert_int_equal(http_range_parse("bytes=900-", 1000, &s, &l), 1);
	assert_int_equal(s, 900);
	assert_int_equal(l, 100);
	assert_int_equal(http_range_parse("bytes=900-5000", 1000, &s, &l), 1);
	assert_int_equal(l, 100);
	assert_int_equal(http_range_parse("bytes=-10", 1000, &s, &l), 1);
	assert_int_equal(s, 990);
	assert_int_equal(l, 10);
	assert_int_equal(http_range_parse("bytes=-5000", 1000, &s, &l), 1);
	assert_int_equal(s, 0);
	assert_int_equal(l, 1000);
	assert_int_equal(http_range_parse("bytes=1000-", 1000, &s, &l), -1);
	assert_int_equal(http_range_parse("bytes=-0", 1000, &s, &l), -1);
	assert_int_equal(http_range_parse("bytes=0-1,5-6", 1000, &s, &l), 0);
	assert_int_equal(http_range_parse("bytes=5-1", 1000, &s, &l), 0);
	assert_int_equal(http_range_parse("items=0-1", 1000, &s, &l), 0);
	assert_int_equal(http_range_parse("bytes=99999999999999999999-", 1000, &s, &l), 0);
}

static const struct bootscript_params params = {
	"http://10.99.0.1:80", "ni/vmlinuz", "ni/initrd.img", "console=ttyS0 quiet",
	"http://10.99.0.1:8080", 7,
};

static void
script_modes(void **state)
{
	struct erm_node n;
	char out[2048];

	(void)state;
	memset(&n, 0, sizeof(n));
	str_copy(n.name, "n01", sizeof(n.name));
	str_copy(n.ip, "10.99.0.11", sizeof(n.ip));
	n.boot = ERM_BOOT_INSTALL;
	assert_true(bootscript_render(&n, "02:00:00:00:01:00", "abc123", &params, out,
	    sizeof(out)) > 0);
	assert_non_null(strstr(out, "#!ipxe\n"));
	assert_non_null(strstr(out, "initrd --name initrd.img http://10.99.0.1:80/ni/initrd.img\n"));
	assert_non_null(strstr(out, "kernel http://10.99.0.1:80/ni/vmlinuz initrd=initrd.img "
	    "console=ttyS0 quiet springos.node=n01 springos.mac=02:00:00:00:01:00 "
	    "springos.ip=10.99.0.11 springos.master=http://10.99.0.1:8080 "
	    "springos.token=abc123\nboot\n"));

	n.boot = ERM_BOOT_LOCAL;
	assert_true(bootscript_render(&n, "02:00:00:00:01:00", "", &params, out,
	    sizeof(out)) > 0);
	assert_non_null(strstr(out, "sanboot --no-describe --drive 0x80"));
	assert_null(strstr(out, "kernel"));

	n.boot = ERM_BOOT_NONE;
	assert_true(bootscript_render(&n, "02:00:00:00:01:00", "", &params, out,
	    sizeof(out)) > 0);
	assert_non_null(strstr(out, "sleep 7\nchain --replace --autofree "
	    "http://10.99.0.1:80/boot/02:00:00:00:01:00.ipxe\n"));
	assert_true(bootscript_render(NULL, "02:00:00:00:01:09", "", &params, out,
	    sizeof(out)) > 0);
	assert_non_null(strstr(out, "not a registered node"));
	assert_non_null(strstr(out, "sleep 7\n"));

	/* Anything that would change the script's meaning is refused. */
	n.boot = ERM_BOOT_INSTALL;
	assert_int_equal(bootscript_render(&n, "02:00:00:00:01:00", "x${y}", &params, out,
	    sizeof(out)), -1);
	str_copy(n.name, "a b", sizeof(n.name));
	assert_int_equal(bootscript_render(&n, "02:00:00:00:01:00", "", &params, out,
	    sizeof(out)), -1);
	str_copy(n.name, "n01", sizeof(n.name));
	assert_int_equal(bootscript_render(&n, "02:00:00:00:01:00", "", &params, out, 40),
	    -1);
	assert_true(bootscript_chain("http://h:1", out, sizeof(out)) > 0);
	assert_string_equal(out, "#!ipxe\nchain http://h:1/boot/${net0/mac}.ipxe\n");
}

static void
script_path(void **state)
{
	char mac[MAC_STRLEN];

	(void)state;
	assert_int_equal(bootscript_path_mac("/boot/52:54:00:AB:cd:01.ipxe", mac), 0);
	assert_string_equal(mac, "52:54:00:ab:cd:01");
	assert_int_equal(bootscript_path_mac("/boot/52-54-00-ab-cd-01.ipxe", mac), 0);
	assert_int_equal(bootscript_path_mac("/boot/52:54:00:ab:cd:0.ipxe", mac), -1);
	assert_int_equal(bootscript_path_mac("/boot/52:54:00:ab:cd:01.ipx", mac), -1);
	assert_int_equal(bootscript_path_mac("/x/52:54:00:ab:cd:01.ipxe", mac), -1);
	assert_int_equal(bootscript_path_mac("/boot/zz:54:00:ab:cd:01.ipxe", mac), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rrq_plain),
		cmocka_unit_test(rrq_options),
		cmocka_unit_test(rrq_malformed),
		cmocka_unit_test(packets),
		cmocka_unit_test(path_check),
		cmocka_unit_test(oack_and_error),
		cmocka_unit_test(netascii),
		cmocka_unit_test(range),
		cmocka_unit_test(script_modes),
		cmocka_unit_test(script_path),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("tftp_parse", tests, NULL, NULL);
}
