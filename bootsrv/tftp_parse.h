/* TFTP wire format: pure parsing and building, no I/O.
 *
 * RFC 1350 (the protocol), RFC 2347 (option extension, OACK), RFC 2348
 * (blksize), RFC 2349 (timeout, tsize), RFC 7440 (windowsize).  Every
 * function works on (buf, len) and can be handed any bytes: the fuzzer
 * does exactly that. */
#ifndef SPRINGOS_TFTP_PARSE_H
#define SPRINGOS_TFTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum tftp_opcode {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6,
};

/* RFC 1350 section 5 error codes; 8 is RFC 2347's option refusal. */
enum tftp_errcode {
	TFTP_EUNDEF = 0,
	TFTP_ENOTFOUND = 1,
	TFTP_EACCESS = 2,
	TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4,
	TFTP_EBADID = 5,
	TFTP_EEXISTS = 6,
	TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8,
};

enum tftp_mode { TFTP_MODE_OCTET, TFTP_MODE_NETASCII };

/* Why a packet was refused; tftp_perr_str() gives the sentence that goes
 * into the TFTP ERROR packet and the log. */
enum tftp_perr {
	TFTP_P_OK = 0,
	TFTP_P_SHORT,        /* fewer bytes than the opcode needs */
	TFTP_P_OPCODE,       /* not an opcode this parser knows */
	TFTP_P_NOFILENAME,   /* filename missing or not NUL-terminated */
	TFTP_P_LONGNAME,     /* filename longer than TFTP_NAME_MAX */
	TFTP_P_NOMODE,       /* mode missing or not NUL-terminated */
	TFTP_P_MODE,         /* mode is not octet or netascii (mail is gone) */
	TFTP_P_OPTION,       /* an option name without its NUL-terminated value */
	TFTP_P_TOOMANYOPTS,  /* more options than any client sends */
};

#define TFTP_NAME_MAX 255          /* longest filename accepted */
#define TFTP_MAX_OPTIONS 16        /* options beyond this make the request malformed */
#define TFTP_BLKSIZE_MIN 8         /* RFC 2348 */
#define TFTP_BLKSIZE_MAX 65464     /* RFC 2348 */
#define TFTP_TIMEOUT_MIN 1         /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX 255
#define TFTP_WINDOW_MIN 1          /* RFC 7440 */
#define TFTP_WINDOW_MAX 65535

/* A parsed RRQ or WRQ.  An option is "requested" when the client named
 * it with a value this server can honour; malformed or out-of-range
 * option values are ignored (not answered in the OACK), as RFC 2347
 * section "Option Negotiation" allows, and counted in n_ignored. */
struct tftp_request {
	enum tftp_opcode opcode;   /* TFTP_RRQ or TFTP_WRQ */
	char filename[TFTP_NAME_MAX + 1];
	enum tftp_mode mode;
	int has_blksize;
	unsigned blksize;
	int has_tsize;
	uint64_t tsize;            /* 0 in an RRQ; the upload size in a WRQ */
	int has_timeout;
	unsigned timeout;          /* seconds */
	int has_windowsize;
	unsigned windowsize;
	int n_ignored;             /* unknown, duplicate or invalid options */
};

int tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_request *req);

/* Any packet a server receives on a transfer's port. */
struct tftp_packet {
	enum tftp_opcode opcode;
	uint16_t block;            /* DATA, ACK */
	const uint8_t *data;       /* DATA: points into buf */
	size_t datalen;
	uint16_t errcode;          /* ERROR */
	char errmsg[128];          /* ERROR: sanitised copy, always terminated */
};

int tftp_parse_packet(const uint8_t *buf, size_t len, struct tftp_packet *pkt);

const char *tftp_perr_str(int perr);

/* Check a requested filename and return it as a path relative to the
 * TFTP root in out.  Refused: empty, absolute, any ".." or "." component,
 * empty components ("a//b"), backslashes, control characters.  Returns 0
 * or -1 with a reason in *why (a static string). */
int tftp_path_check(const char *name, char *out, size_t outlen, const char **why);

/* Builders: write a packet into out (room outlen) and return its length,
 * or 0 if it does not fit. */
size_t tftp_build_error(uint8_t *out, size_t outlen, uint16_t code, const char *msg);
size_t tftp_build_ack(uint8_t *out, size_t outlen, uint16_t block);
/* OACK with the options of req that are set (has_*); tsize is the value
 * to announce. */
size_t tftp_build_oack(uint8_t *out, size_t outlen, const struct tftp_request *req);

/* Netascii (RFC 764 via RFC 1350): LF becomes CR LF and a lone CR
 * becomes CR NUL.  Converts in into out (room outlen) and returns the
 * output length, or (size_t)-1 if out is too small (it needs at most
 * 2 * inlen). */
size_t tftp_netascii_encode(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen);

#endif
