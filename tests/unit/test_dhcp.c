/* DHCP parser, reply builder and engine: one case per protocol situation
 * (RFC 2131 4.3, RFC 3396, RFC 4578, proxyDHCP). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../../bootsrv/dhcp_engine.h"
#include "../../bootsrv/dhcp_parse.h"
#include "log.h"

/* ---- the engine's log, captured ---------------------------------------- */

/* lib/log.c hands every line here (see main): the lines are kept so tests
 * can assert what an operator would read, and stay off the TAP stream. */
static char last_log[512];
static int nlogs;

static void
capture_log(void *ctx, int prio, const char *line)
{
	(void)ctx;
	(void)prio;
	snprintf(last_log, sizeof(last_log), "%s", line);
	nlogs++;
}

/* ---- building client messages ---------------------------------------- */

struct pkt {
	uint8_t b[2048];
	size_t len;
};

static void
pkt_init(struct pkt *p, int type, const uint8_t mac[6])
{
	memset(p, 0, sizeof(*p));
	p->b[0] = BOOTREQUEST;
	p->b[1] = 1;
	p->b[2] = 6;
	p->b[4] = 0x12;
	p->b[7] = 0x34;
	memcpy(p->b + 28, mac, 6);
	p->b[236] = 0x63;
	p->b[237] = 0x82;
	p->b[238] = 0x53;
	p->b[239] = 0x63;
	p->len = 240;
	if (type) {
		p->b[p->len++] = DHO_MSGTYPE;
		p->b[p->len++] = 1;
		p->b[p->len++] = (uint8_t)type;
	}
}

static void
pkt_opt(struct pkt *p, uint8_t code, const void *data, size_t len)
{
	p->b[p->len++] = code;
	p->b[p->len++] = (uint8_t)len;
	memcpy(p->b + p->len, data, len);
	p->len += len;
}

static void
pkt_ip(struct pkt *p, uint8_t code, const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	pkt_opt(p, code, &a, 4);
}

static void
pkt_end(struct pkt *p)
{
	p->b[p->len++] = DHO_END;
}

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

/* ---- a fake database ----------------------------------------------- */

static const uint8_t mac_n01[6] = { 2, 0, 0, 0, 1, 0 };
static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0xaa, 1 };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0xaa, 2 };
static const uint8_t mac_c[6] = { 2, 0, 0, 0, 0xaa, 3 };

static int nwrites;
static char last_state[16];
static uint32_t last_ip;

static int
fake_node(void *ctx, const uint8_t mac[6], struct dhcp_node *out)
{
	(void)ctx;
	if (memcmp(mac, mac_n01, 6) != 0)
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "n01");
	out->ip = ip("10.99.0.11");
	return 1;
}

static int
fake_write(void *ctx, uint32_t a, const uint8_t mac[6], int64_t expires, const char *state)
{
	(void)ctx;
	(void)mac;
	(void)expires;
	nwrites++;
	last_ip = a;
	snprintf(last_state, sizeof(last_state), "%s", state);
	return 0;
}

static struct dhcp_engine *
engine(enum dhcp_mode mode, const char *first, const char *last)
{
	struct dhcp_backend be = { fake_node, fake_write, NULL };
	struct dhcp_config cfg;
	char err[128];
	struct dhcp_engine *e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = mode;
	cfg.subnets[0].net = ip("10.99.0.0");
	cfg.subnets[0].mask = 0xffff0000;
	cfg.subnets[0].router = ip("10.99.0.254");
	cfg.subnets[1].net = ip("10.98.1.0");
	cfg.subnets[1].mask = 0xffffff00;
	cfg.nsubnets = 2;
	if (first != NULL) {
		cfg.pools[0].first = ip(first);
		cfg.pools[0].last = ip(last);
		cfg.npools = 1;
	}
	cfg.lease_time = 3600;
	cfg.offer_hold = 60;
	snprintf(cfg.ipxe_bios, sizeof(cfg.ipxe_bios), "undionly.kpxe");
	snprintf(cfg.ipxe_efi64, sizeof(cfg.ipxe_efi64), "ipxe.efi");
	cfg.http_port = 8080;
	e = dhcp_engine_new(&cfg, &be, err, sizeof(err));
	assert_non_null(e);
	nwrites = 0;
	return e;
}

static struct dhcp_rx
rx67(void)
{
	struct dhcp_rx rx;

	memset(&rx, 0, sizeof(rx));
	rx.ifindex = 2;
	rx.local_addr = ip("10.99.0.1");
	rx.dst_port = 67;
	rx.now = 1000000;
	return rx;
}

static struct dhcp_msg msg;
static struct dhcp_msg reply_msg;
static struct dhcp_reply reply;

/* Parse pkt, run it through e; returns 1 with reply/reply_msg filled. */
static int
run(struct dhcp_engine *e, struct pkt *p, const struct dhcp_rx *rx)
{
	pkt_end(p);
	assert_int_equal(dhcp_parse(p->b, p->len, &msg), DHCP_OK);
	if (dhcp_engine_handle(e, &msg, rx, &reply) != 1)
		return 0;
	/* Every reply must parse back (as a request-shaped message). */
	reply.out.buf[0] = BOOTREQUEST;
	assert_int_equal(dhcp_parse(reply.out.buf, reply.out.len, &reply_msg), DHCP_OK);
	reply.out.buf[0] = BOOTREPLY;
	return 1;
}

static uint32_t
yiaddr(void)
{
	return ntohl(reply_msg.yiaddr);
}

static const char *
opt_str(uint8_t code)
{
	static char s[300];
	const uint8_t *v;
	size_t len;

	if ((v = dhcp_opt_get(&reply_msg, code, &len)) == NULL)
		return "";
	memcpy(s, v, len);
	s[len] = '\0';
	return s;
}

/* ---- parser ------------------------------------------------------------ */

static void
test_parse_basic(void **state)
{
	struct pkt p;

	(void)state;
	pkt_init(&p, DHCPDISCOVER, mac_a);
	pkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_OK);
	assert_int_equal(msg.msgtype, DHCPDISCOVER);
	assert_int_equal(msg.xid, 0x12000034);
	assert_memory_equal(msg.chaddr, mac_a, 6);
	assert_int_equal(dhcp_parse(p.b, 239, &msg), DHCP_E_SHORT);
	p.b[236] = 0;
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_E_COOKIE);
}

static void
test_parse_concat_and_overload(void **state)
{
	uint8_t a[200], b[100];
	const uint8_t *v;
	size_t len;
	struct pkt p;

	(void)state;
	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	pkt_init(&p, DHCPDISCOVER, mac_a);
	pkt_opt(&p, DHO_USER_CLASS, a, sizeof(a));
	pkt_opt(&p, DHO_OVERLOAD, "\x01", 1);
	/* RFC 3396: the rest of option 77 continues in the file field. */
	p.b[108] = DHO_USER_CLASS;
	p.b[109] = sizeof(b);
	memcpy(p.b + 110, b, sizeof(b));
	p.b[110 + sizeof(b)] = DHO_END;
	pkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_OK);
	v = dhcp_opt_get(&msg, DHO_USER_CLASS, &len);
	assert_non_null(v);
	assert_int_equal(len, 300);
	assert_int_equal(v[199], 'A');
	assert_int_equal(v[200], 'B');
}

static void
test_parse_bad(void **state)
{
	struct pkt p;

	(void)state;
	pkt_init(&p, DHCPDISCOVER, mac_a);
	p.b[p.len++] = DHO_HOST_NAME;
	p.b[p.len++] = 50;                 /* runs past the end */
	p.b[p.len++] = 'x';
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_E_TRUNC);

	pkt_init(&p, DHCPDISCOVER, mac_a);
	pkt_opt(&p, DHO_CLIENT_ID, "", 0); /* RFC 2132 9.14: at least 2 */
	pkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_E_BADOPT);
	assert_int_equal(msg.bad_opt, DHO_CLIENT_ID);

	pkt_init(&p, DHCPDISCOVER, mac_a);
	pkt_opt(&p, DHO_OVERLOAD, "\x09", 1);
	pkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_E_OVERLOAD);

	pkt_init(&p, DHCPDISCOVER, mac_a);
	p.b[2] = 17;
	pkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_E_HLEN);
	assert_int_equal(dhcp_parse(p.b, DHCP_MAX_LEN + 1, &msg), DHCP_E_GIANT);
}

static void
test_builder_bounds(void **state)
{
	static struct dhcp_out out;
	uint8_t big[600];
	struct pkt p;

	(void)state;
	pkt_init(&p, DHCPDISCOVER, mac_a);
	pkt_opt(&p, DHO_MAX_MSG_SIZE, "\x02\x40", 2); /* 576 */
	pkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, &msg), DHCP_OK);
	dhcp_out_init(&out, &msg, DHCPOFFER);
	assert_int_equal(out.cap, 576 - 28);
	memset(big, 'z', sizeof(big));
	assert_int_equal(dhcp_out_opt(&out, 250, big, 600), -1);  /* does not fit */
	assert_int_equal(out.dropped, 1);
	assert_int_equal(dhcp_out_opt(&out, 250, big, 270), 0);   /* split in two */
	dhcp_out_finish(&out);
	assert_true(out.len <= out.cap);
	out.buf[0] = BOOTREQUEST;
	assert_int_equal(dhcp_parse(out.buf, out.len, &reply_msg), DHCP_OK);
	assert_int_equal(reply_msg.opt[250].len, 270);
}

/* ---- engine: server ---------------------------------------------------- */

static void
test_reserved_node(void **state)
{
	struct dhcp_engine *e = engine(DHCP_MODE_SERVER, NULL, NULL);
	struct dhcp_rx rx = rx67();
	struct pkt p;

	(void)state;
	pkt_init(&p, DHCPDISCOVER, mac_n01);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_int_equal(reply.msgtype, DHCPOFFER);
	assert_int_equal(yiaddr(), ip("10.99.0.11"));
	assert_int_equal(reply.dest, DEST_LINK);   /* no broadcast flag, no address yet */
	assert_string_equal(opt_str(DHO_HOST_NAME), "n01");
	pkt_init(&p, DHCPREQUEST, mac_n01);
	pkt_ip(&p, DHO_SERVER_ID, "10.99.0.1");
	pkt_ip(&p, DHO_REQUESTED_ADDR, "10.99.0.11");
	p.b[10] = 0x80;                            /* broadcast flag */
	assert_int_equal(run(e, &p, &rx), 1);
	assert_int_equal(reply.msgtype, DHCPACK);
	assert_int_equal(reply.dest, DEST_BROADCAST);
	assert_int_equal(reply.durable, 0);        /* reservations need no write */
	assert_int_equal(nwrites, 0);
	/* The wrong address is refused. */
	pkt_init(&p, DHCPREQUEST, mac_n01);
	pkt_ip(&p, DHO_REQUESTED_ADDR, "10.99.0.99");
	assert_int_equal(run(e, &p, &rx), 1);
	assert_int_equal(reply.msgtype, DHCPNAK);
	assert_int_equal(reply.dest, DEST_BROADCAST);
	assert_string_equal(opt_str(DHO_MESSAGE), "not your address");
	assert_string_equal(last_log, "dhcp: NAK to 02:00:00:00:01:00: not your address");
	dhcp_engine_free(e);
}

static void
test_pool_dora_release(void **state)
{
	struct dhcp_engine *e = engine(DHCP_MODE_SERVER, "10.99.100.1", "10.99.100.3");
	struct dhcp_rx rx = rx67();
	uint32_t reserved = ip("10.99.100.1"), a1, a2;
	struct pkt p;

	(void)state;
	assert_int_equal(dhcp_engine_set_reserved(e, &reserved, 1), 0);
	pkt_init(&p, DHCPDISCOVER, mac_a);
	assert_int_equal(run(e, &p, &rx), 1);
	a1 = yiaddr();
	assert_int_not_equal(a1, reserved);        /* a node's address is skipped */
	pkt_init(&p, DHCPREQUEST, mac_a);
	pkt_ip(&p, DHO_SERVER_ID, "10.99.0.1");
	pkt_opt(&p, DHO_REQUESTED_ADDR, (uint32_t[]){ htonl(a1) }, 4);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_int_equal(reply.msgtype, DHCPACK);
	assert_int_equal(reply.durable, 1);
	assert_int_equal(nwrites, 1);
	assert_string_equal(last_state, "bound");
	assert_int_equal(last_ip, a1);
	assert_string_equal(opt_str(DHO_LEASE_TIME), "\x00\x00\x0e\x10");

	pkt_init(&p, DHCPDISCOVER, mac_b);
	assert_int_equal(run(e, &p, &rx), 1);
	a2 = yiaddr();
	assert_int_not_equal(a2, a1);
	/* The pool (3 addresses, one reserved) is now exhausted. */
	pkt_init(&p, DHCPDISCOVER, mac_c);
	assert_int_equal(run(e, &p, &rx), 0);
	assert_int_equal(dhcp_engine_stats(e)->noaddr, 1);

	/* A renewing client gets an ACK unicast to its address. */
	pkt_init(&p, DHCPREQUEST, mac_a);
	memcpy(p.b + 12, (uint32_t[]){ htonl(a1) }, 4);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_int_equal(reply.msgtype, DHCPACK);
	assert_int_equal(reply.dest, DEST_UNICAST);
	assert_int_equal(reply.dst_addr, a1);

	/* RELEASE frees the address for the next client. */
	pkt_init(&p, DHCPRELEASE, mac_a);
	memcpy(p.b + 12, (uint32_t[]){ htonl(a1) }, 4);
	pkt_ip(&p, DHO_SERVER_ID, "10.99.0.1");
	assert_int_equal(run(e, &p, &rx), 0);
	assert_string_equal(last_state, "released");
	rx.now += 120;                             /* mac_b's offer has lapsed too */
	pkt_init(&p, DHCPDISCOVER, mac_c);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_true(yiaddr() == a1 || yiaddr() == a2);
	dhcp_engine_free(e);
}

static void
test_pool_off_and_relay(void **state)
{
	struct dhcp_engine *e = engine(DHCP_MODE_SERVER, "10.98.1.100", "10.98.1.110");
	struct dhcp_engine *off = engine(DHCP_MODE_SERVER, NULL, NULL);
	struct dhcp_rx rx = rx67();
	struct pkt p;

	(void)state;
	nlogs = 0;
	pkt_init(&p, DHCPDISCOVER, mac_a);
	assert_int_equal(run(off, &p, &rx), 0);
	assert_int_equal(dhcp_engine_stats(off)->unknown, 1);
	assert_string_equal(last_log,
	    "dhcp: 02:00:00:00:aa:01 is not a registered node and the pool is off: no answer");
	/* Once per MAC per minute: the retries are not logged again. */
	for (int i = 0; i < 5; i++) {
		rx.now += 4;
		pkt_init(&p, DHCPDISCOVER, mac_a);
		assert_int_equal(run(off, &p, &rx), 0);
	}
	assert_int_equal(nlogs, 1);
	rx.now += 60;
	pkt_init(&p, DHCPDISCOVER, mac_a);
	assert_int_equal(run(off, &p, &rx), 0);
	assert_int_equal(nlogs, 2);

	pkt_init(&p, DHCPDISCOVER, mac_a);
	memcpy(p.b + 24, (uint32_t[]){ htonl(ip("10.98.1.1")) }, 4);  /* giaddr */
	pkt_opt(&p, DHO_RELAY_INFO, "\x01\x05port7", 7);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_string_equal(opt_str(DHO_RELAY_INFO), "\x01\x05port7");  /* RFC 3046 echo */
	assert_int_equal(reply.dest, DEST_UNICAST);
	assert_int_equal(reply.dst_addr, ip("10.98.1.1"));
	assert_int_equal(reply.dst_port, 67);
	assert_true(yiaddr() >= ip("10.98.1.100") && yiaddr() <= ip("10.98.1.110"));
	assert_string_equal(opt_str(DHO_SUBNET_MASK), "\xff\xff\xff");
	/* A relay on a subnet we do not serve is ignored. */
	pkt_init(&p, DHCPDISCOVER, mac_b);
	memcpy(p.b + 24, (uint32_t[]){ htonl(ip("192.0.2.1")) }, 4);
	assert_int_equal(run(e, &p, &rx), 0);
	dhcp_engine_free(e);
	dhcp_engine_free(off);
}

/* ---- engine: PXE ------------------------------------------------------- */

static void
test_pxe_answers(void **state)
{
	struct dhcp_engine *e = engine(DHCP_MODE_SERVER, NULL, NULL);
	struct dhcp_rx rx = rx67();
	uint8_t uuid[17] = { 0 };
	struct pkt p;

	(void)state;
	/* Plain PXE ROM, BIOS: the iPXE binary by TFTP. */
	pkt_init(&p, DHCPDISCOVER, mac_n01);
	pkt_opt(&p, DHO_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001", 32);
	pkt_opt(&p, DHO_CLIENT_ARCH, "\x00\x00", 2);
	pkt_opt(&p, DHO_CLIENT_UUID, uuid, sizeof(uuid));
	assert_int_equal(run(e, &p, &rx), 1);
	assert_string_equal(opt_str(DHO_BOOTFILE), "undionly.kpxe");
	assert_string_equal((char *)reply.out.buf + 108, "undionly.kpxe");
	assert_string_equal(opt_str(DHO_VENDOR_CLASS), "PXEClient");
	assert_string_equal(opt_str(DHO_TFTP_SERVER), "10.99.0.1");
	assert_int_equal(ntohl(reply_msg.siaddr), ip("10.99.0.1"));
	assert_non_null(dhcp_opt_get(&reply_msg, DHO_CLIENT_UUID, NULL));
	/* x86-64 UEFI. */
	pkt_init(&p, DHCPDISCOVER, mac_n01);
	pkt_opt(&p, DHO_VENDOR_CLASS, "PXEClient:Arch:00007:UNDI:003016", 32);
	pkt_opt(&p, DHO_CLIENT_ARCH, "\x00\x07", 2);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_string_equal(opt_str(DHO_BOOTFILE), "ipxe.efi");
	/* iPXE itself: the per-node script over HTTP. */
	pkt_init(&p, DHCPDISCOVER, mac_n01);
	pkt_opt(&p, DHO_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001", 32);
	pkt_opt(&p, DHO_USER_CLASS, "iPXE", 4);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_string_equal(opt_str(DHO_BOOTFILE),
	    "http://10.99.0.1:8080/boot/02:00:00:00:01:00.ipxe");
	/* UEFI HTTP boot: a URL and the HTTPClient class. */
	pkt_init(&p, DHCPDISCOVER, mac_n01);
	pkt_opt(&p, DHO_VENDOR_CLASS, "HTTPClient:Arch:00016:UNDI:003001", 33);
	pkt_opt(&p, DHO_CLIENT_ARCH, "\x00\x10", 2);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_string_equal(opt_str(DHO_BOOTFILE), "http://10.99.0.1:8080/ipxe.efi");
	assert_string_equal(opt_str(DHO_VENDOR_CLASS), "HTTPClient");
	/* An OS client gets no boot file. */
	pkt_init(&p, DHCPDISCOVER, mac_n01);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_null(dhcp_opt_get(&reply_msg, DHO_BOOTFILE, NULL));
	dhcp_engine_free(e);
}

static void
test_proxy(void **state)
{
	struct dhcp_engine *e = engine(DHCP_MODE_PROXY, NULL, NULL);
	struct dhcp_rx rx = rx67();
	struct pkt p;

	(void)state;
	pkt_init(&p, DHCPDISCOVER, mac_a);
	assert_int_equal(run(e, &p, &rx), 0);      /* not PXE: silent */
	pkt_init(&p, DHCPDISCOVER, mac_a);
	pkt_opt(&p, DHO_VENDOR_CLASS, "PXEClient", 9);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_int_equal(reply.msgtype, DHCPOFFER);
	assert_int_equal(yiaddr(), 0);
	assert_string_equal(opt_str(DHO_BOOTFILE), "undionly.kpxe");
	/* A REQUEST to the real server (another server id) is not ours. */
	pkt_init(&p, DHCPREQUEST, mac_a);
	pkt_opt(&p, DHO_VENDOR_CLASS, "PXEClient", 9);
	pkt_ip(&p, DHO_SERVER_ID, "10.99.0.7");
	assert_int_equal(run(e, &p, &rx), 0);
	/* The boot-server REQUEST on 4011 is answered to its source. */
	rx.dst_port = 4011;
	rx.src_addr = ip("10.99.0.77");
	rx.src_port = 68;
	pkt_init(&p, DHCPREQUEST, mac_a);
	pkt_opt(&p, DHO_VENDOR_CLASS, "PXEClient", 9);
	assert_int_equal(run(e, &p, &rx), 1);
	assert_int_equal(reply.msgtype, DHCPACK);
	assert_int_equal(reply.dest, DEST_UNICAST);
	assert_int_equal(reply.dst_addr, ip("10.99.0.77"));
	assert_int_equal(reply.dst_port, 68);
	dhcp_engine_free(e);
}

static void
test_config_errors(void **state)
{
	struct dhcp_backend be = { fake_node, fake_write, NULL };
	struct dhcp_config cfg;
	char err[128];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = DHCP_MODE_SERVER;
	cfg.subnets[0].net = ip("10.99.0.0");
	cfg.subnets[0].mask = 0xffff0000;
	cfg.nsubnets = 1;
	cfg.pools[0].first = ip("10.100.0.1");
	cfg.pools[0].last = ip("10.100.0.9");
	cfg.npools = 1;
	assert_null(dhcp_engine_new(&cfg, &be, err, sizeof(err)));
	assert_string_equal(err, "pool range 1 is not inside one served subnet");
	cfg.pools[0].first = ip("10.99.0.9");
	cfg.pools[0].last = ip("10.99.0.1");
	assert_null(dhcp_engine_new(&cfg, &be, err, sizeof(err)));
	assert_string_equal(err, "pool range 1 ends before it starts");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_concat_and_overload),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_builder_bounds),
		cmocka_unit_test(test_reserved_node),
		cmocka_unit_test(test_pool_dora_release),
		cmocka_unit_test(test_pool_off_and_relay),
		cmocka_unit_test(test_pxe_answers),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_config_errors),
	};

	log_set_sink(capture_log, NULL);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("dhcp", tests, NULL, NULL);
}
