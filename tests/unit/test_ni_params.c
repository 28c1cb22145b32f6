/* ni parameters: the kernel command line and the master's plan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../ni-initrd/params.h"

static int
parse(const char *s, struct ni_params *p, char *err, size_t errlen)
{
	ni_params_defaults(p);
	return ni_cmdline_parse(s, strlen(s), p, err, errlen);
}

static void
test_cmdline(void **state)
{
	struct ni_params p;
	char err[256];

	(void)state;
	assert_int_equal(parse("BOOT_IMAGE=/vmlinuz console=ttyS0 quiet "
	    "ni.master=http://10.99.0.1:8080 ni.token=n01.abc BOOTIF=01-02-00-00-00-01-0A\n",
	    &p, err, sizeof(err)), 0);
	assert_string_equal(p.master, "http://10.99.0.1:8080");
	assert_string_equal(p.token, "n01.abc");
	assert_string_equal(p.bootif, "02:00:00:00:01:0a");
	assert_false(p.standalone);
	assert_true(p.reboot);

	assert_int_equal(parse("ni.image=\"ftp://172.16.3.253/vm host.gz\" ni.disk=/dev/sdb "
	    "ni.part=4 ni.format=gz ni.disktype=IDE ni.reboot=0 ni.retries=3", &p, err,
	    sizeof(err)), 0);
	assert_true(p.standalone);
	assert_string_equal(p.plan.url, "ftp://172.16.3.253/vm host.gz");
	assert_string_equal(p.plan.disk, "/dev/sdb");
	assert_int_equal(p.plan.partition, 4);
	assert_int_equal(p.plan.format, IMG_GZIP);
	assert_string_equal(p.plan.disktype, "ide");
	assert_false(p.reboot);
	assert_int_equal(p.retries, 3);

	/* Errors name the parameter. */
	assert_int_equal(parse("ni.colour=blue", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ni.colour"));
	assert_int_equal(parse("ni.part=200", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ni.part"));
	assert_int_equal(parse("ni.format=rar", &p, err, sizeof(err)), -1);
	assert_int_equal(parse("ni.disktype=floppy", &p, err, sizeof(err)), -1);
	assert_int_equal(parse("ni.sha256=abc", &p, err, sizeof(err)), -1);
	assert_int_equal(parse("ni.image=\"unterminated", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quote"));
	assert_int_equal(parse("ni.master=http://x", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ni.token"));
	assert_int_equal(parse("ni.master=http://x ni.token=t ni.image=http://y", &p, err,
	    sizeof(err)), -1);
	assert_int_equal(parse("BOOTIF=01-zz", &p, err, sizeof(err)), -1);
	assert_int_equal(parse("ni.reboot", &p, err, sizeof(err)), -1);
	/* What bootsrv writes: a bare token joined with the node name. */
	assert_int_equal(parse("initrd=initrd.img console=ttyS0,115200 springos.node=n07 "
	    "springos.mac=02:00:00:00:07:00 springos.ip=10.99.0.17 "
	    "springos.master=http://10.99.0.1:8080 springos.token=abcdef", &p, err,
	    sizeof(err)), 0);
	assert_string_equal(p.master, "http://10.99.0.1:8080");
	assert_string_equal(p.token, "n07.abcdef");
	assert_string_equal(p.bootif, "02:00:00:00:07:00");
	assert_int_equal(parse("springos.master=http://x springos.token=abcdef", &p, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "springos.node"));
	/* Plain kernel words are none of ni's business. */
	assert_int_equal(parse("ro root=/dev/sda1 init=/bin/sh", &p, err, sizeof(err)), 0);
	assert_false(p.standalone);
}

static void
test_plan(void **state)
{
	struct ni_plan plan;
	char err[256];
	const char *good = "{\"id\":7,\"node\":\"n01\",\"image\":\"deb\",\"url\":"
	    "\"http://10.99.0.1:8081/images/deb\",\"format\":\"zstd\",\"disk\":\"\","
	    "\"disktype\":\"virtio\",\"partition\":4,\"size\":1048576,\"sha256\":\"\"}";

	(void)state;
	assert_int_equal(ni_plan_parse(good, strlen(good), &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.id, 7);
	assert_int_equal(plan.format, IMG_ZSTD);
	assert_int_equal(plan.partition, 4);
	assert_int_equal(plan.size, 1048576);
	assert_string_equal(plan.disktype, "virtio");
#define BAD(s, what) do { \
	assert_int_equal(ni_plan_parse(s, strlen(s), &plan, err, sizeof(err)), -1); \
	assert_non_null(strstr(err, what)); \
} while (0)
	BAD("{\"id\":1}", "\"url\"");
	BAD("{\"url\":\"gopher://x\"}", "scheme");
	BAD("{\"url\":\"http://x\",\"partition\":-1}", "partition");
	BAD("{\"url\":\"http://x\",\"partition\":\"4\"}", "partition");
	BAD("{\"url\":\"http://x\",\"format\":\"rar\"}", "format");
	BAD("{\"url\":\"http://x\",\"disk\":\"sda\"}", "absolute");
	BAD("{\"url\":\"http://x\",\"sha256\":\"00\"}", "sha256");
	BAD("{\"url\":\"http://x\",\"url\":\"http://y\"}", "JSON");
	BAD("[1,2]", "object");
	BAD("{\"url\":", "JSON");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_plan),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("ni_params", tests, NULL, NULL);
}
