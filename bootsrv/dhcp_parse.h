/* DHCPv4 wire format: a pure parser of client messages and a bounded
 * builder of server replies (RFC 2131, RFC 2132, RFC 3396).
 *
 * dhcp_parse() takes (buf, len) and touches nothing else: it is what the
 * fuzzer calls.  Options are decoded into a table indexed by option code;
 * an option that appears several times (in the options field and in the
 * overloaded file/sname fields) is concatenated in the order RFC 3396
 * section 6 prescribes, so callers always see one value per code. */
#ifndef BOOTSRV_DHCP_PARSE_H
#define BOOTSRV_DHCP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN 236     /* BOOTP header up to the options field */
#define DHCP_MIN_LEN 240       /* header and the magic cookie */
#define DHCP_MAX_LEN 8192      /* larger messages are refused ("giant") */
#define DHCP_MAX_INSTANCES 512 /* option instances in one message */
#define DHCP_COOKIE 0x63825363u

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define DHCP_FLAG_BROADCAST 0x8000

enum dhcp_msgtype {
	DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK,
	DHCPRELEASE, DHCPINFORM,
};

/* Option codes used here (RFC 2132 unless noted). */
enum {
	DHO_PAD = 0, DHO_SUBNET_MASK = 1, DHO_ROUTERS = 3, DHO_DNS = 6,
	DHO_HOST_NAME = 12, DHO_DOMAIN_NAME = 15, DHO_BROADCAST = 28,
	DHO_VENDOR_ENCAP = 43, DHO_REQUESTED_ADDR = 50, DHO_LEASE_TIME = 51,
	DHO_OVERLOAD = 52, DHO_MSGTYPE = 53, DHO_SERVER_ID = 54,
	DHO_PARAM_LIST = 55, DHO_MESSAGE = 56, DHO_MAX_MSG_SIZE = 57,
	DHO_T1 = 58, DHO_T2 = 59, DHO_VENDOR_CLASS = 60, DHO_CLIENT_ID = 61,
	DHO_TFTP_SERVER = 66, DHO_BOOTFILE = 67, DHO_USER_CLASS = 77,
	DHO_CLIENT_ARCH = 93,  /* RFC 4578 */
	DHO_CLIENT_NDI = 94,   /* RFC 4578 */
	DHO_CLIENT_UUID = 97,  /* RFC 4578 */
	DHO_IPXE_ENCAP = 175,  /* iPXE's own encapsulated options */
	DHO_END = 255,
};

/* Overload values of option 52 (RFC 2132 section 9.3). */
#define DHCP_OVERLOAD_FILE 1
#define DHCP_OVERLOAD_SNAME 2

enum dhcp_err {
	DHCP_OK = 0,
	DHCP_E_SHORT,    /* shorter than header + cookie */
	DHCP_E_GIANT,    /* longer than DHCP_MAX_LEN */
	DHCP_E_COOKIE,   /* no DHCP magic cookie: plain BOOTP or junk */
	DHCP_E_HLEN,     /* hardware address length over 16 */
	DHCP_E_TRUNC,    /* an option runs past the end of its field */
	DHCP_E_TOOMANY,  /* more than DHCP_MAX_INSTANCES option instances */
	DHCP_E_BADOPT,   /* a known option with an impossible length or value */
	DHCP_E_OVERLOAD, /* option 52 with a value other than 1, 2, 3 */
};

struct dhcp_opt {
	uint16_t off;     /* into dhcp_msg.optbuf */
	uint16_t len;
	uint8_t present;
};

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network byte order */
	uint8_t chaddr[16];
	int overload;             /* DHCP_OVERLOAD_* bits, 0 if none */
	int msgtype;              /* option 53, 0 if absent (BOOTP) */
	int bad_opt;              /* the option code at fault on DHCP_E_BADOPT */
	struct dhcp_opt opt[256];
	size_t optbuf_len;
	uint8_t optbuf[DHCP_MAX_LEN];
};

/* Parse one message.  On error the returned code says why; msg is then
 * partly filled and must not be used. */
enum dhcp_err dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *msg);
const char *dhcp_strerror(enum dhcp_err err);
const char *dhcp_msgtype_name(int type);

/* The value of option code, or NULL when absent; *len gets its length. */
const uint8_t *dhcp_opt_get(const struct dhcp_msg *msg, uint8_t code, size_t *len);
int dhcp_opt_u32(const struct dhcp_msg *msg, uint8_t code, uint32_t *out);
/* True if option 55 (parameter request list) names code. */
int dhcp_opt_requested(const struct dhcp_msg *msg, uint8_t code);

/* Reply builder.  The buffer is fixed; an option that does not fit in
 * cap is dropped and counted in `dropped`, never written past cap. */
#define DHCP_REPLY_MAX 1472 /* 1500-byte MTU minus IP and UDP headers */
#define DHCP_REPLY_MIN 300  /* BOOTP minimum that old PXE ROMs expect */
struct dhcp_out {
	uint8_t buf[DHCP_REPLY_MAX];
	size_t len;
	size_t cap;       /* <= DHCP_REPLY_MAX, lowered by option 57 */
	unsigned dropped; /* options that did not fit */
};

/* Start a BOOTREPLY to req: copies xid, flags, giaddr, htype/hlen/chaddr
 * and sets the cookie and option 53. */
void dhcp_out_init(struct dhcp_out *out, const struct dhcp_msg *req, int msgtype);
/* Append an option; values over 255 bytes are split into several
 * instances (RFC 3396).  Returns 0, or -1 when it did not fit. */
int dhcp_out_opt(struct dhcp_out *out, uint8_t code, const void *data, size_t len);
int dhcp_out_u32(struct dhcp_out *out, uint8_t code, uint32_t v_host);
/* Terminate with END and pad to DHCP_REPLY_MIN. */
void dhcp_out_finish(struct dhcp_out *out);
/* Header fields of the reply. */
void dhcp_out_set_addrs(struct dhcp_out *out, uint32_t ciaddr, uint32_t yiaddr,
    uint32_t siaddr);
void dhcp_out_set_file(struct dhcp_out *out, const char *file);
void dhcp_out_set_sname(struct dhcp_out *out, const char *sname);

#endif
