/* ini: the pure INI reader, and springos.ini validation on top of it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ini.h"

static struct ini_doc *
parse_ok(const char *text)
{
	struct ini_error err;
	struct ini_doc *doc = NULL;

	if (ini_parse(text, strlen(text), &doc, &err) != 0)
		fail_msg("unexpected error at line %d: %s", err.line, err.msg);
	return doc;
}

static void
expect_error(const char *text, int line, const char *msg)
{
	struct ini_error err;
	struct ini_doc *doc = NULL;

	assert_int_equal(ini_parse(text, strlen(text), &doc, &err), -1);
	assert_null(doc);
	assert_int_equal(err.line, line);
	assert_string_equal(err.msg, msg);
}

static void
test_ini_syntax(void **state)
{
	struct ini_doc *doc;
	const struct ini_entry *e;

	(void)state;
	doc = parse_ok(
	    "; leading comment\n"
	    "# another\n"
	    "\n"
	    "[Node:N01]   ; names keep their case\n"
	    "  mac = 02:00:00:00:01:00   # trailing comment\n"
	    "path=/a;b#c\n"
	    "quoted = \"  x ; y # z  \"\n"
	    "empty =\n"
	    "[b]\r\n"
	    "mac = other\r\n");
	assert_int_equal(doc->nsections, 2);
	assert_string_equal(doc->sections[0].name, "Node:N01");
	assert_int_equal(doc->sections[0].line, 4);
	e = ini_find(doc, 0, "mac");
	assert_non_null(e);
	assert_string_equal(e->value, "02:00:00:00:01:00");
	assert_int_equal(e->line, 5);
	/* ';' and '#' only start a comment after whitespace. */
	assert_string_equal(ini_find(doc, 0, "path")->value, "/a;b#c");
	assert_string_equal(ini_find(doc, 0, "quoted")->value, "  x ; y # z  ");
	assert_string_equal(ini_find(doc, 0, "empty")->value, "");
	assert_string_equal(ini_find(doc, 1, "mac")->value, "other");
	assert_null(ini_find(doc, 1, "path"));
	assert_int_equal(ini_section_index(doc, "b"), 1);
	assert_int_equal(ini_section_index(doc, "B"), -1);
	ini_free(doc);
	ini_free(NULL);
}

static void
test_ini_errors(void **state)
{
	(void)state;
	expect_error("k = v\n", 1, "key 'k' before any [section]");
	expect_error("[a]\nk = 1\n\nk = 2\n", 4, "key 'k' repeated in [a] (first at line 2)");
	expect_error("[a]\n[b]\n[a]\n", 3, "section [a] repeated (first at line 1)");
	expect_error("[a\n", 1, "']' expected to close the section name");
	expect_error("[ ]\n", 1, "empty section name");
	expect_error("[a] x\n", 1, "unexpected text after ']'");
	expect_error("[a]\nk v\n", 2, "'=' expected after key 'k'");
	expect_error("[a]\n= v\n", 2, "expected 'key = value', '[section]' or a comment");
	expect_error("[a]\nk = \"open\n", 2, "unterminated quoted value");
	expect_error("[a]\nk = \"a\" b\n", 2, "unexpected text after quoted value");
	expect_error("[a]\nk = a\x01" "b\n", 2, "control character in value of 'k'");
	{
		char big[INI_MAX_LINE + 16];

		memset(big, 'x', sizeof(big));
		memcpy(big, "[a]\nk=", 6);
		big[sizeof(big) - 1] = '\0';
		expect_error(big, 2, "line longer than 4096 bytes");
	}
	{
		struct ini_error err;
		struct ini_doc *doc = NULL;

		assert_int_equal(ini_parse("[a]\nk=v\0w\n", 10, &doc, &err), -1);
		assert_int_equal(err.line, 2);
		assert_string_equal(err.msg, "NUL byte in line");
	}
}

static void
expect_conf_error(const char *text, const char *msg)
{
	struct conf *c = NULL;
	char err[512];

	assert_int_equal(conf_parse("s.ini", text, strlen(text), &c, err, sizeof(err)), -1);
	assert_null(c);
	if (strcmp(err, msg) != 0)
		fail_msg("got:  %s\nwant: %s", err, msg);
}

static void
test_config(void **state)
{
	static const char text[] =
	    "[testbed]\n"
	    "db = /tmp/x.db\n"
	    "[switch:lab]\n"
	    "address = udp:127.0.0.1:161\n"
	    "ports = 24\n"
	    "[switch:core]\n"
	    "driver = cisco\n"
	    "address = udp:127.0.0.1:162\n";
	const char *names[4];
	struct conf *c;
	char err[256];

	(void)state;
	assert_int_equal(conf_parse("s.ini", text, strlen(text), &c, err, sizeof(err)), 0);
	assert_string_equal(conf_str(c, "testbed", "db"), "/tmp/x.db");
	assert_string_equal(conf_str(c, "testbed", "mgmt_network"), "10.99.0.0/16"); /* default */
	assert_true(conf_has(c, "testbed", "db"));
	assert_false(conf_has(c, "testbed", "mgmt_network"));
	assert_int_equal(conf_int(c, "switch:lab", "ports"), 24);
	assert_int_equal(conf_int(c, "switch:lab", "vlan_min"), 100);
	assert_string_equal(conf_str(c, "switch:core", "driver"), "cisco");
	assert_int_equal(conf_instances(c, "switch", names, 4), 2);
	assert_string_equal(names[0], "switch:lab");
	assert_string_equal(names[1], "switch:core");
	assert_int_equal(conf_instances(c, "power", names, 4), 0);
	conf_free(c);
	conf_free(NULL);
}

static void
test_config_errors(void **state)
{
	(void)state;
	expect_conf_error("[testbed]\ndb = x\ndatabase = y\n", "s.ini:3: [testbed] database: unknown key");
	expect_conf_error("[tesbed]\n", "s.ini:1: unknown section [tesbed] (known: testbed, bootsrv, "
	    "imaged, master, switch:NAME, power:NAME)");
	expect_conf_error("[testbed]\nmgmt_address = 10.0.0\n",
	    "s.ini:2: [testbed] mgmt_address: '10.0.0' is not an IPv4 address");
	expect_conf_error("[testbed]\nmgmt_network = 10.0.0.0/33\n",
	    "s.ini:2: [testbed] mgmt_network: '10.0.0.0/33' is not an IPv4 network (a.b.c.d/len)");
	expect_conf_error("[testbed]\ndb =\n", "s.ini:2: [testbed] db: must not be empty");
	expect_conf_error("[switch:a]\naddress = x\nports = many\n",
	    "s.ini:3: [switch:a] ports: 'many' is not an integer in 0..65535");
	expect_conf_error("[switch:a]\naddress = x\ndriver = hp\n",
	    "s.ini:3: [switch:a] driver: 'hp' is not one of qbridge|cisco");
	expect_conf_error("[switch:a]\nports = 4\n", "s.ini:1: [switch:a] address: required key missing");
	expect_conf_error("[switch:a]\naddress = x\nvlan_min = 500\nvlan_max = 400\n",
	    "s.ini:4: [switch:a] vlan_min 500 is above vlan_max 400");
	expect_conf_error("[switch:]\n", "s.ini:1: unknown section [switch:] (known: testbed, bootsrv, "
	    "imaged, master, switch:NAME, power:NAME)");
	expect_conf_error("[testbed]\n[testbed]\n", "s.ini:2: section [testbed] repeated (first at line 1)");
	{
		struct conf *c;
		char err[256];

		assert_int_equal(conf_load("/nonexistent/springos.ini", &c, err, sizeof(err)), -1);
		assert_string_equal(err, "/nonexistent/springos.ini: cannot open: No such file or directory");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_syntax),
		cmocka_unit_test(test_ini_errors),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("ini", tests, NULL, NULL);
}
