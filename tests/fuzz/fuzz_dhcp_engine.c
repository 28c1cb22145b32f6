/* libFuzzer harness for the DHCP engine: every message that parses goes
 * through a server engine (with a small pool and one reserved node) and a
 * proxy engine, from direct and relayed paths and port 4011; every reply
 * must parse back and fit its buffer.  The first input byte picks the
 * path, the rest is the message. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bootsrv/dhcp_engine.h"
#include "../../bootsrv/dhcp_parse.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lib/log.c still formats the engine's log lines (so format bugs show),
 * then hands them here to be thrown away: a fuzzer must not flood syslog
 * or its own stderr. */
static void
drop_log(void *ctx, int prio, const char *line)
{
	(void)ctx;
	(void)prio;
	(void)line;
}

static int
node(void *ctx, const uint8_t mac[6], struct dhcp_node *out)
{
	(void)ctx;
	if (mac[5] != 0x01)
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "n01");
	out->ip = 0x0a63000b;  /* 10.99.0.11 */
	return 1;
}

static int
write_lease(void *ctx, uint32_t ip, const uint8_t mac[6], int64_t expires, const char *state)
{
	(void)ctx;
	(void)ip;
	(void)mac;
	(void)expires;
	(void)state;
	return 0;
}

static struct dhcp_engine *
make(enum dhcp_mode mode)
{
	struct dhcp_backend be = { node, write_lease, NULL };
	struct dhcp_config cfg;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = mode;
	cfg.subnets[0].net = 0x0a630000;
	cfg.subnets[0].mask = 0xffff0000;
	cfg.subnets[1].net = 0x0a620100;
	cfg.subnets[1].mask = 0xffffff00;
	cfg.nsubnets = 2;
	cfg.pools[0].first = 0x0a636401;
	cfg.pools[0].last = 0x0a636408;
	cfg.pools[1].first = 0x0a620164;
	cfg.pools[1].last = 0x0a620166;
	cfg.npools = 2;
	cfg.lease_time = 600;
	cfg.offer_hold = 60;
	snprintf(cfg.ipxe_bios, sizeof(cfg.ipxe_bios), "undionly.kpxe");
	snprintf(cfg.ipxe_efi64, sizeof(cfg.ipxe_efi64), "ipxe.efi");
	return dhcp_engine_new(&cfg, &be, err, sizeof(err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_engine *server, *proxy;
	static struct dhcp_msg msg, back;
	static struct dhcp_reply r;
	static int64_t now = 1000000;
	struct dhcp_rx rx;
	uint8_t sel;

	if (server == NULL) {
		log_set_sink(drop_log, NULL);
		server = make(DHCP_MODE_SERVER);
		proxy = make(DHCP_MODE_PROXY);
		if (server == NULL || proxy == NULL)
			abort();
	}
	if (size < 1)
		return 0;
	sel = data[0];
	if (dhcp_parse(data + 1, size - 1, &msg) != DHCP_OK)
		return 0;
	memset(&rx, 0, sizeof(rx));
	rx.ifindex = 2;
	rx.local_addr = 0x0a630001;
	rx.src_addr = 0x0a63004d;
	rx.src_port = 68;
	rx.dst_port = (sel & 1) ? 4011 : 67;
	now += sel >> 4;        /* let offers and leases expire */
	rx.now = now;
	if (dhcp_engine_handle((sel & 2) ? proxy : server, &msg, &rx, &r) == 1) {
		if (r.out.len > sizeof(r.out.buf) || r.out.len > r.out.cap + DHCP_REPLY_MIN)
			abort();
		r.out.buf[0] = BOOTREQUEST;
		if (dhcp_parse(r.out.buf, r.out.len, &back) != DHCP_OK)
			abort();
	}
	return 0;
}
