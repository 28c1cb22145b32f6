/* TFTP wire format: pure parsing and building (see tftp_parse.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tftp_parse.h"

static const char *const perr_str[] = {
	[TFTP_P_OK] = "ok",
	[TFTP_P_SHORT] = "packet too short",
	[TFTP_P_OPCODE] = "unknown opcode",
	[TFTP_P_NOFILENAME] = "filename missing or not terminated",
	[TFTP_P_LONGNAME] = "filename too long",
	[TFTP_P_NOMODE] = "transfer mode missing or not terminated",
	[TFTP_P_MODE] = "unsupported transfer mode (octet or netascii only)",
	[TFTP_P_OPTION] = "option without a terminated value",
	[TFTP_P_TOOMANYOPTS] = "too many options",
};

const char *
tftp_perr_str(int perr)
{
	if (perr < 0 || (size_t)perr >= sizeof(perr_str) / sizeof(perr_str[0]) ||
	    perr_str[perr] == NULL)
		return "malformed packet";
	return perr_str[perr];
}

/* Take one NUL-terminated string starting at *p, with *rem bytes left.
 * Returns its length and advances past the NUL, or -1 if no NUL. */
static long
take_string(const uint8_t **p, size_t *rem, const char **s)
{
	const uint8_t *nul;
	size_t n;

	nul = memchr(*p, '\0', *rem);
	if (nul == NULL)
		return -1;
	n = (size_t)(nul - *p);
	*s = (const char *)*p;
	*p += n + 1;
	*rem -= n + 1;
	return (long)n;
}

static int
all_nul(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\0')
			return 0;
	return 1;
}

/* A strict unsigned decimal within [min, max]: digits only, at most 20. */
static int
option_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 19)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* request -> opcode filename NUL mode NUL { option NUL value NUL }
 * (RFC 1350 section 5, RFC 2347 "Packet Formats"). */
int
tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_request *req)
{
	const uint8_t *p = buf;
	size_t rem = len;
	const char *name, *mode, *opt, *val;
	long n;
	int nopts = 0;
	uint64_t v;

	memset(req, 0, sizeof(*req));
	if (rem < 2)
		return TFTP_P_SHORT;
	req->opcode = (enum tftp_opcode)((p[0] << 8) | p[1]);
	if (req->opcode != TFTP_RRQ && req->opcode != TFTP_WRQ)
		return TFTP_P_OPCODE;
	p += 2;
	rem -= 2;

	if ((n = take_string(&p, &rem, &name)) < 0)
		return TFTP_P_NOFILENAME;
	if (n == 0)
		return TFTP_P_NOFILENAME;
	if (n > TFTP_NAME_MAX)
		return TFTP_P_LONGNAME;
	memcpy(req->filename, name, (size_t)n + 1);

	if (take_string(&p, &rem, &mode) < 0)
		return TFTP_P_NOMODE;
	if (strcasecmp(mode, "octet") == 0)
		req->mode = TFTP_MODE_OCTET;
	else if (strcasecmp(mode, "netascii") == 0)
		req->mode = TFTP_MODE_NETASCII;
	else
		return TFTP_P_MODE;

	/* RFC 2347: options follow the mode; names are case-insensitive.
	 * Some clients pad the request with NULs: trailing NULs are fine. */
	while (rem > 0) {
		if (all_nul(p, rem))
			break;
		if (++nopts > TFTP_MAX_OPTIONS)
			return TFTP_P_TOOMANYOPTS;
		if (take_string(&p, &rem, &opt) < 0)
			return TFTP_P_OPTION;
		if (take_string(&p, &rem, &val) < 0)
			return TFTP_P_OPTION;
		if (strcasecmp(opt, "blksize") == 0 && !req->has_blksize &&
		    option_number(val, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &v) == 0) {
			req->has_blksize = 1;
			req->blksize = (unsigned)v;
		} else if (strcasecmp(opt, "tsize") == 0 && !req->has_tsize &&
		    option_number(val, 0, INT64_MAX, &v) == 0) {
			req->has_tsize = 1;
			req->tsize = v;
		} else if (strcasecmp(opt, "timeout") == 0 && !req->has_timeout &&
		    option_number(val, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX, &v) == 0) {
			req->has_timeout = 1;
			req->timeout = (unsigned)v;
		} else if (strcasecmp(opt, "windowsize") == 0 && !req->has_windowsize &&
		    option_number(val, TFTP_WINDOW_MIN, TFTP_WINDOW_MAX, &v) == 0) {
			req->has_windowsize = 1;
			req->windowsize = (unsigned)v;
		} else
			req->n_ignored++;
	}
	return TFTP_P_OK;
}

int
tftp_parse_packet(const uint8_t *buf, size_t len, struct tftp_packet *pkt)
{
	const uint8_t *p = buf;
	size_t rem = len, i, n;

	memset(pkt, 0, sizeof(*pkt));
	if (rem < 2)
		return TFTP_P_SHORT;
	pkt->opcode = (enum tftp_opcode)((p[0] << 8) | p[1]);
	p += 2;
	rem -= 2;
	switch (pkt->opcode) {
	case TFTP_DATA:
	case TFTP_ACK:
		if (rem < 2)
			return TFTP_P_SHORT;
		pkt->block = (uint16_t)((p[0] << 8) | p[1]);
		p += 2;
		rem -= 2;
		if (pkt->opcode == TFTP_DATA) {
			pkt->data = p;
			pkt->datalen = rem;
		}
		return TFTP_P_OK;
	case TFTP_ERROR:
		if (rem < 2)
			return TFTP_P_SHORT;
		pkt->errcode = (uint16_t)((p[0] << 8) | p[1]);
		p += 2;
		rem -= 2;
		/* The message is for a log: keep printable ASCII only, and
		 * accept a missing NUL (some clients forget it). */
		for (i = 0, n = 0; i < rem && p[i] != '\0' &&
		    n + 1 < sizeof(pkt->errmsg); i++)
			pkt->errmsg[n++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
		pkt->errmsg[n] = '\0';
		return TFTP_P_OK;
	case TFTP_RRQ:
	case TFTP_WRQ:
	case TFTP_OACK:
		return TFTP_P_OK;
	default:
		return TFTP_P_OPCODE;
	}
}

int
tftp_path_check(const char *name, char *out, size_t outlen, const char **why)
{
	const char *c, *seg;
	size_t len = strlen(name), seglen;

	if (len == 0) {
		*why = "empty filename";
		return -1;
	}
	if (len > TFTP_NAME_MAX || len + 1 > outlen) {
		*why = "filename too long";
		return -1;
	}
	if (name[0] == '/') {
		*why = "absolute paths are not served";
		return -1;
	}
	for (c = name; *c != '\0'; c++) {
		if (*c == '\\') {
			*why = "backslashes are not allowed in filenames";
			return -1;
		}
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			*why = "control characters in filename";
			return -1;
		}
	}
	/* Walk the components: none may be empty, "." or "..". */
	seg = name;
	for (;;) {
		c = strchr(seg, '/');
		seglen = c != NULL ? (size_t)(c - seg) : strlen(seg);
		if (seglen == 0) {
			*why = "empty path component";
			return -1;
		}
		if ((seglen == 1 && seg[0] == '.') ||
		    (seglen == 2 && seg[0] == '.' && seg[1] == '.')) {
			*why = "'.' and '..' are not allowed in filenames";
			return -1;
		}
		if (c == NULL)
			break;
		seg = c + 1;
	}
	memcpy(out, name, len + 1);
	return 0;
}

size_t
tftp_build_error(uint8_t *out, size_t outlen, uint16_t code, const char *msg)
{
	size_t mlen = strlen(msg);

	if (outlen < 4 + mlen + 1)
		return 0;
	out[0] = 0;
	out[1] = TFTP_ERROR;
	out[2] = (uint8_t)(code >> 8);
	out[3] = (uint8_t)code;
	memcpy(out + 4, msg, mlen + 1);
	return 4 + mlen + 1;
}

size_t
tftp_build_ack(uint8_t *out, size_t outlen, uint16_t block)
{
	if (outlen < 4)
		return 0;
	out[0] = 0;
	out[1] = TFTP_ACK;
	out[2] = (uint8_t)(block >> 8);
	out[3] = (uint8_t)block;
	return 4;
}

static int
put_option(uint8_t *out, size_t outlen, size_t *off, const char *name, uint64_t v)
{
	char val[24];
	size_t nl = strlen(name), vl;

	vl = (size_t)snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
	if (*off + nl + 1 + vl + 1 > outlen)
		return -1;
	memcpy(out + *off, name, nl + 1);
	*off += nl + 1;
	memcpy(out + *off, val, vl + 1);
	*off += vl + 1;
	return 0;
}

size_t
tftp_build_oack(uint8_t *out, size_t outlen, const struct tftp_request *req)
{
	size_t off = 2;

	if (outlen < 2)
		return 0;
	out[0] = 0;
	out[1] = TFTP_OACK;
	if (req->has_blksize && put_option(out, outlen, &off, "blksize", req->blksize) < 0)
		return 0;
	if (req->has_tsize && put_option(out, outlen, &off, "tsize", req->tsize) < 0)
		return 0;
	if (req->has_timeout && put_option(out, outlen, &off, "timeout", req->timeout) < 0)
		return 0;
	if (req->has_windowsize &&
	    put_option(out, outlen, &off, "windowsize", req->windowsize) < 0)
		return 0;
	return off;
}

size_t
tftp_netascii_encode(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < inlen; i++) {
		if (in[i] == '\n' || in[i] == '\r') {
			if (o + 2 > outlen)
				return (size_t)-1;
			out[o++] = '\r';
			out[o++] = in[i] == '\n' ? '\n' : '\0';
		} else {
			if (o + 1 > outlen)
				return (size_t)-1;
			out[o++] = in[i];
		}
	}
	return o;
}
