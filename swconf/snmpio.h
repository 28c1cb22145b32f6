/* snmpio: the SNMP exchanges swconf needs, over net-snmp's single-session
 * API: GET, walks (GETBULK), SET of many varbinds in one PDU, with our own
 * retries and exponential back-off on timeouts, and a count of every PDU
 * sent.  Everything an agent returns is handed on as struct sw_vb after
 * checking OID length and sub-identifier range; callers check the rest. */
#ifndef SWCONF_SNMPIO_H
#define SWCONF_SNMPIO_H

#include <stddef.h>
#include <stdint.h>

#include "swmodel.h"

struct snmpio;

struct snmpio_opts {
	const char *name;        /* switch name, for messages */
	const char *peer;        /* net-snmp peer: "udp:127.0.0.1:16100" */
	int version;             /* 2 (v2c) or 3 */
	const char *community;
	const char *user;        /* v3: authPriv only */
	const char *auth_proto;  /* MD5, SHA, SHA-256, SHA-512 */
	const char *auth_pass;
	const char *priv_proto;  /* DES, AES */
	const char *priv_pass;
	int timeout_ms;          /* first try; doubled on each retry */
	int retries;
};

struct snmpio_stats {
	unsigned long pdus;      /* requests sent, retries included */
	unsigned long sets;      /* of which SET requests */
	unsigned long retries;
	double seconds;          /* waiting for answers, all requests */
	double set_seconds;      /* of which SET requests */
};

enum { SNMPIO_OK = 0, SNMPIO_EFAIL = -1, SNMPIO_EREFUSED = -2, SNMPIO_ETIMEOUT = -3 };

#define SNMPIO_VAL_MAX 256
struct snmpio_vb {
	uint32_t name[SW_OID_MAX];
	size_t name_len;
	int type;                /* SW_ASN_INTEGER or SW_ASN_OCTET_STR */
	long ival;
	uint8_t val[SNMPIO_VAL_MAX];
	size_t val_len;
};

int snmpio_open(const struct snmpio_opts *o, struct snmpio **out, char *err, size_t errlen);
void snmpio_close(struct snmpio *io);
const struct snmpio_stats *snmpio_stats(const struct snmpio *io);

/* Called for each varbind; a negative return stops the walk with that
 * return value (the callback wrote err). */
typedef int (*snmpio_cb)(const struct sw_vb *vb, void *ctx, char *err, size_t errlen);

/* Walk the subtree under root.  Each OID must be greater than the one
 * before (an agent that loops is an error); at most SNMPIO_WALK_MAX
 * varbinds. */
#define SNMPIO_WALK_MAX 200000
int snmpio_walk(struct snmpio *io, const uint32_t *root, size_t rootlen, snmpio_cb cb,
    void *ctx, char *err, size_t errlen);
/* GET of n names; cb sees each (noSuch* values are passed with their
 * exception type). */
int snmpio_get(struct snmpio *io, const struct snmpio_vb *names, size_t n, snmpio_cb cb,
    void *ctx, char *err, size_t errlen);
/* One SET request.  On SNMPIO_EREFUSED, *errstat and *errindex (1-based
 * into vbs) hold what the agent said. */
int snmpio_set(struct snmpio *io, const struct snmpio_vb *vbs, size_t n, int *errstat,
    int *errindex, char *err, size_t errlen);

const char *snmpio_errstat_name(int errstat);

/* Builders. */
void snmpio_vb_int(struct snmpio_vb *vb, const uint32_t *base, size_t blen, const uint32_t *idx,
    size_t ilen, long v);
void snmpio_vb_str(struct snmpio_vb *vb, const uint32_t *base, size_t blen, const uint32_t *idx,
    size_t ilen, const void *val, size_t len);

#endif
