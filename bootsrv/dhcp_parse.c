/* DHCPv4 message parser and reply builder; see dhcp_parse.h. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "dhcp_parse.h"

struct instance {
	uint8_t code;
	uint8_t len;
	uint16_t off; /* into the input buffer */
};

struct walk {
	struct instance inst[DHCP_MAX_INSTANCES];
	size_t n;
};

/*
 * Walk one option field (the options area, or file/sname when option 52
 * says they are overloaded), recording every instance.  Each field is
 * walked exactly once, so no option can make the walk revisit a field: an
 * option 52 found inside file or sname is ignored (RFC 2132 section 9.3
 * allows it only in the options field).  PAD is skipped; END or the end
 * of the field stops the walk.
 */
static enum dhcp_err
walk_field(const uint8_t *base, size_t start, size_t end, struct walk *w)
{
	size_t p = start, rem;
	uint8_t code, len;

	while (p < end) {
		code = base[p];
		if (code == DHO_END)
			return DHCP_OK;
		if (code == DHO_PAD) {
			p++;
			continue;
		}
		rem = end - p;
		if (rem < 2)
			goto too_short;
		len = base[p + 1];
		if (rem - 2 < len)
			goto too_short;
		if (w->n == DHCP_MAX_INSTANCES)
			return DHCP_E_TOOMANY;
		w->inst[w->n].code = code;
		w->inst[w->n].len = len;
		w->inst[w->n].off = (uint16_t)(p + 2);
		w->n++;
		p += 2 + (size_t)len;
	}
	return DHCP_OK;
too_short:
	return DHCP_E_TRUNC;
}

/* Options whose value has a fixed or minimum size; a client sending
 * anything else is broken and its message is refused as a whole. */
static enum dhcp_err
check_options(struct dhcp_msg *msg)
{
	static const struct {
		uint8_t code;
		uint8_t min, max, mult;
	} rules[] = {
		{ DHO_REQUESTED_ADDR, 4, 4, 1 },
		{ DHO_LEASE_TIME, 4, 4, 1 },
		{ DHO_MSGTYPE, 1, 1, 1 },
		{ DHO_SERVER_ID, 4, 4, 1 },
		{ DHO_MAX_MSG_SIZE, 2, 2, 1 },
		{ DHO_CLIENT_ID, 2, 255, 1 },   /* RFC 2132 9.14: at least 2 */
		{ DHO_CLIENT_ARCH, 2, 254, 2 }, /* RFC 4578 2.1: list of u16 */
		{ DHO_CLIENT_NDI, 3, 3, 1 },    /* RFC 4578 2.2 */
		{ DHO_CLIENT_UUID, 17, 17, 1 }, /* RFC 4578 2.3: type + 16 */
		{ DHO_OVERLOAD, 1, 1, 1 },
	};
	size_t i, len;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (!msg->opt[rules[i].code].present)
			continue;
		len = msg->opt[rules[i].code].len;
		if (len < rules[i].min || len > rules[i].max || len % rules[i].mult != 0) {
			msg->bad_opt = rules[i].code;
			return DHCP_E_BADOPT;
		}
	}
	return DHCP_OK;
}

enum dhcp_err
dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *msg)
{
	static __thread struct walk w; /* 2 KiB: kept off the stack */
	enum dhcp_err err;
	const uint8_t *v;
	size_t i, j, total;

	memset(msg, 0, offsetof(struct dhcp_msg, optbuf));
	if (len < DHCP_MIN_LEN)
		return DHCP_E_SHORT;
	if (len > DHCP_MAX_LEN)
		return DHCP_E_GIANT;
	msg->op = buf[0];
	msg->htype = buf[1];
	msg->hlen = buf[2];
	msg->hops = buf[3];
	msg->xid = be32_get(buf + 4);
	msg->secs = be16_get(buf + 8);
	msg->flags = be16_get(buf + 10);
	memcpy(&msg->ciaddr, buf + 12, 4);
	memcpy(&msg->yiaddr, buf + 16, 4);
	memcpy(&msg->siaddr, buf + 20, 4);
	memcpy(&msg->giaddr, buf + 24, 4);
	if (msg->hlen > 16)
		return DHCP_E_HLEN;
	memcpy(msg->chaddr, buf + 28, 16);
	if (be32_get(buf + DHCP_FIXED_LEN) != DHCP_COOKIE)
		return DHCP_E_COOKIE;

	w.n = 0;
	if ((err = walk_field(buf, DHCP_MIN_LEN, len, &w)) != DHCP_OK)
		return err;
	/* Option 52 decides whether file and sname carry options; it is
	 * read from the options field only. */
	for (i = 0; i < w.n; i++) {
		if (w.inst[i].code != DHO_OVERLOAD)
			continue;
		if (w.inst[i].len != 1) {
			msg->bad_opt = DHO_OVERLOAD;
			return DHCP_E_BADOPT;
		}
		msg->overload = buf[w.inst[i].off];
		if (msg->overload < 1 || msg->overload > 3)
			return DHCP_E_OVERLOAD;
		break;
	}
	/* RFC 3396 section 6: options, then file, then sname. */
	if (msg->overload & DHCP_OVERLOAD_FILE)
		if ((err = walk_field(buf, 108, 236, &w)) != DHCP_OK)
			return err;
	if (msg->overload & DHCP_OVERLOAD_SNAME)
		if ((err = walk_field(buf, 44, 108, &w)) != DHCP_OK)
			return err;

	/* Concatenate the instances of each code, in order of appearance.
	 * The total never exceeds len, so optbuf cannot overflow. */
	msg->optbuf_len = 0;
	for (i = 0; i < w.n; i++) {
		uint8_t code = w.inst[i].code;

		if (msg->opt[code].present)
			continue;
		msg->opt[code].present = 1;
		msg->opt[code].off = (uint16_t)msg->optbuf_len;
		total = 0;
		for (j = i; j < w.n; j++) {
			if (w.inst[j].code != code)
				continue;
			memcpy(msg->optbuf + msg->optbuf_len, buf + w.inst[j].off, w.inst[j].len);
			msg->optbuf_len += w.inst[j].len;
			total += w.inst[j].len;
		}
		if (total > UINT16_MAX) {
			msg->bad_opt = code;
			return DHCP_E_BADOPT;
		}
		msg->opt[code].len = (uint16_t)total;
	}
	if ((err = check_options(msg)) != DHCP_OK)
		return err;
	if ((v = dhcp_opt_get(msg, DHO_MSGTYPE, &i)) != NULL)
		msg->msgtype = v[0];
	return DHCP_OK;
}

const char *
dhcp_strerror(enum dhcp_err err)
{
	switch (err) {
	case DHCP_OK: return "no error";
	case DHCP_E_SHORT: return "shorter than a DHCP header";
	case DHCP_E_GIANT: return "longer than any DHCP message";
	case DHCP_E_COOKIE: return "no DHCP magic cookie";
	case DHCP_E_HLEN: return "hardware address length over 16";
	case DHCP_E_TRUNC: return "option runs past the end of its field";
	case DHCP_E_TOOMANY: return "too many options";
	case DHCP_E_BADOPT: return "option with an invalid length";
	case DHCP_E_OVERLOAD: return "invalid option overload value";
	}
	return "unknown error";
}

const char *
dhcp_msgtype_name(int type)
{
	static const char *names[] = { "BOOTP", "DISCOVER", "OFFER", "REQUEST",
		"DECLINE", "ACK", "NAK", "RELEASE", "INFORM" };

	if (type >= 0 && (size_t)type < sizeof(names) / sizeof(names[0]))
		return names[type];
	return "unknown";
}

const uint8_t *
dhcp_opt_get(const struct dhcp_msg *msg, uint8_t code, size_t *len)
{
	if (!msg->opt[code].present)
		return NULL;
	if (len != NULL)
		*len = msg->opt[code].len;
	return msg->optbuf + msg->opt[code].off;
}

int
dhcp_opt_u32(const struct dhcp_msg *msg, uint8_t code, uint32_t *out)
{
	const uint8_t *v;
	size_t len;

	if ((v = dhcp_opt_get(msg, code, &len)) == NULL || len != 4)
		return -1;
	*out = be32_get(v);
	return 0;
}

int
dhcp_opt_requested(const struct dhcp_msg *msg, uint8_t code)
{
	const uint8_t *v;
	size_t len, i;

	if ((v = dhcp_opt_get(msg, DHO_PARAM_LIST, &len)) == NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (v[i] == code)
			return 1;
	return 0;
}

void
dhcp_out_init(struct dhcp_out *out, const struct dhcp_msg *req, int msgtype)
{
	uint8_t t = (uint8_t)msgtype;
	uint32_t cookie = htonl(DHCP_COOKIE), xid = htonl(req->xid);
	uint16_t flags = htons(req->flags);
	size_t maxsz, len;
	const uint8_t *v;

	memset(out->buf, 0, DHCP_MIN_LEN);
	out->buf[0] = BOOTREPLY;
	out->buf[1] = req->htype;
	out->buf[2] = req->hlen;
	memcpy(out->buf + 4, &xid, 4);
	memcpy(out->buf + 10, &flags, 2);
	memcpy(out->buf + 24, &req->giaddr, 4);
	memcpy(out->buf + 28, req->chaddr, 16);
	memcpy(out->buf + DHCP_FIXED_LEN, &cookie, 4);
	out->len = DHCP_MIN_LEN;
	out->dropped = 0;
	out->cap = DHCP_REPLY_MAX;
	/* RFC 2132 9.10: the client's maximum covers the IP and UDP headers. */
	if ((v = dhcp_opt_get(req, DHO_MAX_MSG_SIZE, &len)) != NULL && len == 2) {
		maxsz = be16_get(v);
		if (maxsz >= 576 && maxsz - 28 < out->cap)
			out->cap = maxsz - 28;
	}
	if (out->cap < DHCP_REPLY_MIN + 4)
		out->cap = DHCP_REPLY_MIN + 4;
	(void)dhcp_out_opt(out, DHO_MSGTYPE, &t, 1);
}

int
dhcp_out_opt(struct dhcp_out *out, uint8_t code, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t chunks = len == 0 ? 1 : (len + 254) / 255, need = len + 2 * chunks, n;

	/* Always leave room for END. */
	if (out->len + need + 1 > out->cap) {
		out->dropped++;
		return -1;
	}
	do {
		n = len > 255 ? 255 : len;
		out->buf[out->len++] = code;
		out->buf[out->len++] = (uint8_t)n;
		if (n > 0)
			memcpy(out->buf + out->len, p, n);
		out->len += n;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int
dhcp_out_u32(struct dhcp_out *out, uint8_t code, uint32_t v_host)
{
	uint32_t v = htonl(v_host);

	return dhcp_out_opt(out, code, &v, 4);
}

void
dhcp_out_finish(struct dhcp_out *out)
{
	out->buf[out->len++] = DHO_END;
	if (out->len < DHCP_REPLY_MIN) {
		memset(out->buf + out->len, 0, DHCP_REPLY_MIN - out->len);
		out->len = DHCP_REPLY_MIN;
	}
}

void
dhcp_out_set_addrs(struct dhcp_out *out, uint32_t ciaddr, uint32_t yiaddr, uint32_t siaddr)
{
	memcpy(out->buf + 12, &ciaddr, 4);
	memcpy(out->buf + 16, &yiaddr, 4);
	memcpy(out->buf + 20, &siaddr, 4);
}

void
dhcp_out_set_file(struct dhcp_out *out, const char *file)
{
	memset(out->buf + 108, 0, 128);
	strncpy((char *)out->buf + 108, file, 127);
}

void
dhcp_out_set_sname(struct dhcp_out *out, const char *sname)
{
	memset(out->buf + 44, 0, 64);
	strncpy((char *)out->buf + 44, sname, 63);
}
