/* swmodel and swplan: PortList codec, hostile agent answers, the diff of
 * two switch states and its packing into SET requests, and the plan
 * parser's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../swconf/swmodel.h"
#include "../../swconf/swplan.h"

static void
test_portlist(void **state)
{
	uint8_t l[SW_PORTLIST_LEN], out[SW_PORTLIST_LEN];
	uint8_t wire[3] = { 0xC0, 0x01, 0x00 };
	char buf[64], err[128];

	(void)state;
	memset(l, 0, sizeof(l));
	sw_port_set(l, 1, 1);
	sw_port_set(l, 8, 1);
	sw_port_set(l, 9, 1);
	assert_int_equal(l[0], 0x81);
	assert_int_equal(l[1], 0x80);
	assert_true(sw_port_get(l, 9));
	assert_false(sw_port_get(l, 10));
	sw_port_set(l, 8, 0);
	assert_int_equal(l[0], 0x80);
	sw_port_set(l, 0, 1);            /* out of range: ignored */
	sw_port_set(l, SW_MAX_PORTS + 1, 1);
	assert_int_equal(sw_portlist_len(48), 6);
	assert_int_equal(sw_portlist_len(4), 1);

	assert_int_equal(sw_portlist_decode(wire, 3, 16, out, err, sizeof(err)), 0);
	assert_int_equal(out[0], 0xC0);
	assert_int_equal(out[1], 0x01);
	/* Port 16 set but the switch has 12 ports. */
	assert_int_equal(sw_portlist_decode(wire, 3, 12, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port 16"));
	/* Trailing zero bytes beyond our ports are fine. */
	uint8_t *big = calloc(1, SW_PORTLIST_WIRE_MAX + 1);
	big[0] = 0x80;
	assert_int_equal(sw_portlist_decode(big, SW_PORTLIST_WIRE_MAX, 4, out, err, sizeof(err)), 0);
	assert_int_equal(sw_portlist_decode(big, SW_PORTLIST_WIRE_MAX + 1, 4, out, err,
	    sizeof(err)), -1);
	free(big);

	memset(l, 0, sizeof(l));
	for (int p = 1; p <= 4; p++)
		sw_port_set(l, p, 1);
	sw_port_set(l, 7, 1);
	sw_portlist_format(l, 48, buf, sizeof(buf));
	assert_string_equal(buf, "1-4,7");
	sw_portlist_format(l, 48, buf, 4); /* truncation stays terminated */
	assert_true(strlen(buf) < 4);
}

static struct sw_vb
vb_int(const uint32_t *name, size_t len, long v)
{
	struct sw_vb vb = { name, len, SW_ASN_INTEGER, NULL, 0, v };
	return vb;
}

static struct sw_vb
vb_str(const uint32_t *name, size_t len, const void *s, size_t slen)
{
	struct sw_vb vb = { name, len, SW_ASN_OCTET_STR, s, slen, 0 };
	return vb;
}

static void
test_absorb_hostile(void **state)
{
	struct sw_state *st = sw_state_new(8);
	uint32_t o[SW_OID_MAX];
	char err[256];
	struct sw_vb vb;

	(void)state;
	/* dot1qVlanStaticName.100 = "net" */
	memcpy(o, sw_oid_dot1qVlanStaticEntry, sizeof(uint32_t) * SW_OIDLEN_dot1qVlanStaticEntry);
	o[12] = SW_COL_NAME;
	o[13] = 100;
	vb = vb_str(o, 14, "net", 3);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), 0);
	assert_true(st->vlan[100].present);
	assert_string_equal(st->vlan[100].name, "net");
	/* A name of 33 bytes, or one with a NUL. */
	vb = vb_str(o, 14, "0123456789012345678901234567890123", 33);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dot1qVlanStaticName.100"));
	vb = vb_str(o, 14, "a\0b", 3);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	/* An INTEGER where a PortList belongs. */
	o[12] = SW_COL_EGRESS;
	vb = vb_int(o, 14, 7);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dot1qVlanStaticEgressPorts.100: expected OCTET STRING"));
	/* A PortList naming port 9 of an 8-port switch. */
	uint8_t pl[2] = { 0x00, 0x80 };
	vb = vb_str(o, 14, pl, 2);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port 9"));
	/* VLAN id 0 and 4095 in the index. */
	o[13] = 4095;
	vb = vb_str(o, 14, pl, 1);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	o[13] = 0;
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	/* An index with an extra part. */
	o[13] = 100;
	o[14] = 1;
	vb = vb_str(o, 15, pl, 1);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	/* RowStatus that is not a state (createAndGo is an action). */
	o[12] = SW_COL_ROWSTATUS;
	vb = vb_int(o, 14, SW_RS_CREATEANDGO);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);

	/* dot1qPvid: port 0, port above nports, VLAN 5000, a string. */
	memcpy(o, sw_oid_dot1qPvid, sizeof(uint32_t) * SW_OIDLEN_dot1qPvid);
	o[13] = 0;
	vb = vb_int(o, 14, 100);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	o[13] = 9;
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	o[13] = 3;
	vb = vb_int(o, 14, 5000);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dot1qPvid.3: VLAN 5000"));
	vb = vb_str(o, 14, "x", 1);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), -1);
	vb = vb_int(o, 14, 100);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), 0);
	assert_int_equal(st->pvid[3], 100);

	/* Something else entirely is ignored, not an error. */
	uint32_t sys[] = { 1, 3, 6, 1, 2, 1, 1, 1, 0 };
	vb = vb_str(sys, 9, "x", 1);
	assert_int_equal(sw_absorb_qbridge(st, &vb, err, sizeof(err)), 1);

	/* A PVID naming a VLAN the switch does not list. */
	st->pvid[4] = 200;
	assert_int_equal(sw_state_check(st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port 4 has PVID 200"));
	sw_state_free(st);
}

static void
test_absorb_cisco(void **state)
{
	struct sw_state *st = sw_state_new(4);
	uint32_t o[SW_OID_MAX];
	char err[256];
	struct sw_vb vb;

	(void)state;
	st->ifindex[2] = 10002;
	memcpy(o, sw_oid_vmVlan, sizeof(uint32_t) * SW_OIDLEN_vmVlan);
	o[14] = 10002;
	vb = vb_int(o, 15, 100);
	assert_int_equal(sw_absorb_cisco(st, &vb, err, sizeof(err)), 0);
	assert_int_equal(st->pvid[2], 100);
	o[14] = 55; /* an interface that is no bridge port */
	assert_int_equal(sw_absorb_cisco(st, &vb, err, sizeof(err)), 1);
	vb = vb_int(o, 15, 9999);
	assert_int_equal(sw_absorb_cisco(st, &vb, err, sizeof(err)), -1);

	memcpy(o, sw_oid_vtpVlanEntry, sizeof(uint32_t) * SW_OIDLEN_vtpVlanEntry);
	o[13] = VTP_COL_STATE;
	o[14] = 1;
	o[15] = 100;
	vb = vb_int(o, 16, 1);
	assert_int_equal(sw_absorb_cisco(st, &vb, err, sizeof(err)), 0);
	o[13] = VTP_COL_NAME;
	vb = vb_str(o, 16, "exp", 3);
	assert_int_equal(sw_absorb_cisco(st, &vb, err, sizeof(err)), 0);
	sw_cisco_members(st);
	assert_true(sw_port_get(st->vlan[100].untagged, 2));
	assert_string_equal(st->vlan[100].name, "exp");
	o[14] = 2; /* another management domain: not ours */
	assert_int_equal(sw_absorb_cisco(st, &vb, err, sizeof(err)), 1);
	sw_state_free(st);
}

static int
weight4(const struct sw_change *ch)
{
	return ch->op == SW_VLAN_CREATE ? 4 : 1;
}

static void
test_diff_and_pack(void **state)
{
	struct sw_state *a = sw_state_new(8), *b = sw_state_new(8);
	struct sw_change ch[64];
	size_t ends[16];
	int n;

	(void)state;
	a->vlan[1].present = 1;
	for (int p = 1; p <= 8; p++)
		sw_make_access(a, p, 1);
	sw_state_copy(b, a);
	assert_int_equal(sw_diff(a, b, ch, 64), 0);

	b->vlan[100].present = 1;
	b->vlan[101].present = 1;
	sw_make_access(b, 1, 100);
	sw_make_access(b, 2, 100);
	sw_make_access(b, 3, 101);
	n = sw_diff(a, b, ch, 64);
	/* 2 creates, egress+untagged of VLAN 1, 3 PVIDs. */
	assert_int_equal(n, 7);
	assert_int_equal(ch[0].op, SW_VLAN_CREATE);
	assert_int_equal(ch[0].vlan, 100);
	assert_int_equal(ch[1].op, SW_VLAN_CREATE);
	/* VLAN 1 shrinks: untagged first, so it stays within egress. */
	assert_int_equal(ch[2].op, SW_VLAN_UNTAGGED);
	assert_int_equal(ch[2].vlan, 1);
	assert_int_equal(ch[3].op, SW_VLAN_EGRESS);
	assert_int_equal(ch[3].group, 0);
	assert_int_equal(ch[4].op, SW_PORT_PVID);
	assert_int_equal(ch[4].port, 1);
	assert_int_equal(ch[6].port, 3);
	assert_int_equal(ch[6].vlan, 101);
	/* Too little room is an error, not a truncated diff. */
	assert_int_equal(sw_diff(a, b, ch, 3), -1);

	/* Packing: phases never share a request; 8 varbinds per request. */
	size_t nb = sw_pack(ch, (size_t)n, 8, weight4, ends, 16);
	assert_int_equal(nb, 2);
	assert_int_equal(ends[0], 2);
	assert_int_equal(ends[1], 7);
	nb = sw_pack(ch, (size_t)n, 5, weight4, ends, 16);
	assert_int_equal(nb, 3);
	assert_int_equal(ends[0], 1);
	assert_int_equal(ends[1], 2);
	nb = sw_pack(ch, (size_t)n, 1, weight4, ends, 16); /* a create alone still goes */
	assert_int_equal(nb, 7);
	assert_int_equal(sw_pack(ch, (size_t)n, 1, weight4, ends, 3), 0);

	/* The way back: ports first, then the VLANs go. */
	n = sw_diff(b, a, ch, 64);
	assert_true(n > 0);
	assert_int_equal(ch[n - 1].op, SW_VLAN_DESTROY);
	assert_int_equal(ch[n - 2].op, SW_VLAN_DESTROY);
	assert_int_equal(ch[n - 2].phase, 2);

	/* Removing a VLAN sends its ports home. */
	sw_remove_vlan(b, 100);
	assert_false(b->vlan[100].present);
	assert_int_equal(b->pvid[1], 1);
	assert_true(sw_port_get(b->vlan[1].untagged, 2));
	char why[128];
	assert_false(sw_state_equal(a, b, why, sizeof(why)));
	assert_non_null(strstr(why, "port 3"));
	sw_remove_vlan(b, 101);
	assert_true(sw_state_equal(a, b, why, sizeof(why)));
	sw_state_free(a);
	sw_state_free(b);
}

/* A VLAN that gains a port and loses another has no safe order for its
 * egress and untagged sets: they are grouped into one request. */
static void
test_group(void **state)
{
	struct sw_state *a = sw_state_new(8), *b = sw_state_new(8);
	struct sw_change ch[16];
	size_t ends[16];
	int n;

	(void)state;
	a->vlan[1].present = a->vlan[100].present = 1;
	for (int p = 1; p <= 8; p++)
		sw_make_access(a, p, 1);
	sw_make_access(a, 1, 100);
	sw_state_copy(b, a);
	sw_make_access(b, 1, 1);
	sw_make_access(b, 2, 100);
	n = sw_diff(a, b, ch, 16);
	/* VLAN 1 and VLAN 100 both swap a port: two groups, two PVIDs. */
	assert_int_equal(n, 6);
	assert_int_equal(ch[0].group, 1);
	assert_int_equal(ch[1].group, 1);
	assert_int_equal(ch[2].group, 100);
	assert_int_equal(ch[3].group, 100);
	size_t nb = sw_pack(ch, (size_t)n, 1, weight4, ends, 16);
	assert_int_equal(nb, 4);
	assert_int_equal(ends[0], 2);
	assert_int_equal(ends[1], 4);
	sw_state_free(a);
	sw_state_free(b);
}

static void
plan_err(const char *json, const char *want)
{
	struct sw_plan *p = NULL;
	char err[256];

	assert_int_equal(plan_parse(json, strlen(json), &p, err, sizeof(err)), -1);
	assert_null(p);
	if (strstr(err, want) == NULL)
		fail_msg("plan error '%s' lacks '%s'", err, want);
}

static void
test_plan(void **state)
{
	const char *ok = "{\"experiment\": \"e1\", \"switch\": \"lab\", \"networks\": ["
	    "{\"name\": \"ethnet-0\", \"vlan\": 120, \"ports\": [1, 2]},"
	    "{\"name\": \"ethnet-1\", \"ports\": [3]}]}";
	struct sw_plan *p;
	char err[256];

	(void)state;
	assert_int_equal(plan_parse(ok, strlen(ok), &p, err, sizeof(err)), 0);
	assert_string_equal(p->experiment, "e1");
	assert_string_equal(p->sw, "lab");
	assert_int_equal(p->nnets, 2);
	assert_int_equal(p->nets[0].vlan, 120);
	assert_int_equal(p->nets[0].nports, 2);
	assert_int_equal(p->nets[1].vlan, 0);
	plan_free(p);
	plan_free(NULL);

	plan_err("{", "line 1");
	plan_err("[]", "expected a JSON object");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\"}", "required");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [], \"x\": 1}",
	    "unknown key 'x'");
	plan_err("{\"experiment\": \"e\", \"experiment\": \"f\", \"switch\": \"s\", "
	    "\"networks\": []}", "duplicate");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"name\": \"a\", "
	    "\"vlan\": 0}]}", "networks[0].vlan");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"name\": \"a\", "
	    "\"ports\": [1, \"2\"]}]}", "networks[0].ports[1]");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"name\": \"a\", "
	    "\"ports\": [513]}]}", "networks[0].ports[0]");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"name\": \"a\", "
	    "\"ports\": [1]}, {\"name\": \"b\", \"ports\": [2, 1]}]}",
	    "networks[1]: port 1 is already in network 'a'");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"name\": \"a\"}, "
	    "{\"name\": \"a\"}]}", "name 'a' repeats networks[0]");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"name\": \"a\", "
	    "\"vlan\": 7}, {\"name\": \"b\", \"vlan\": 7}]}", "VLAN 7 is also networks[0]'s");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"name\": "
	    "\"0123456789012345678901234567890123\"}]}", "networks[0].name");
	plan_err("{\"experiment\": \"e\\u0000x\", \"switch\": \"s\", \"networks\": []}",
	    "is not allowed");
	plan_err("{\"experiment\": \"e\", \"switch\": \"s\", \"networks\": [{\"ports\": []}]}",
	    "\"name\" is missing");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_portlist),
		cmocka_unit_test(test_absorb_hostile),
		cmocka_unit_test(test_absorb_cisco),
		cmocka_unit_test(test_diff_and_pack),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_plan),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("swmodel", tests, NULL, NULL);
}
