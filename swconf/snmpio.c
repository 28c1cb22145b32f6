#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "snmpio.h"
#include "util.h"

struct snmpio {
	void *sess;
	char name[64];
	char peer[128];
	long timeout_us;
	int retries;
	struct snmpio_stats stats;
};

static int snmp_ready;

/* The library reads no configuration file and keeps no state on disk:
 * everything swconf uses comes from springos.ini, and two runs must not
 * share engine boots counters through ~/.snmp. */
static void
snmp_init_once(void)
{
	if (snmp_ready)
		return;
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_QUICK_PRINT, 1);
	setenv("MIBS", "", 1);
	setenv("MIBDIRS", "/nonexistent", 1);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	init_snmp("swconf");
	snmp_ready = 1;
}

static int
auth_proto(const char *s, const oid **p, size_t *len)
{
	if (strcasecmp(s, "MD5") == 0) {
		*p = usmHMACMD5AuthProtocol;
		*len = OID_LENGTH(usmHMACMD5AuthProtocol);
	} else if (strcasecmp(s, "SHA") == 0 || strcasecmp(s, "SHA1") == 0) {
		*p = usmHMACSHA1AuthProtocol;
		*len = OID_LENGTH(usmHMACSHA1AuthProtocol);
	} else if (strcasecmp(s, "SHA-256") == 0 || strcasecmp(s, "SHA256") == 0) {
		*p = usmHMAC192SHA256AuthProtocol;
		*len = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
	} else if (strcasecmp(s, "SHA-512") == 0 || strcasecmp(s, "SHA512") == 0) {
		*p = usmHMAC384SHA512AuthProtocol;
		*len = OID_LENGTH(usmHMAC384SHA512AuthProtocol);
	} else
		return -1;
	return 0;
}

static int
priv_proto(const char *s, const oid **p, size_t *len)
{
	if (strcasecmp(s, "AES") == 0 || strcasecmp(s, "AES128") == 0) {
		*p = usmAESPrivProtocol;
		*len = OID_LENGTH(usmAESPrivProtocol);
	} else if (strcasecmp(s, "DES") == 0) {
		*p = usmDESPrivProtocol;
		*len = OID_LENGTH(usmDESPrivProtocol);
	} else
		return -1;
	return 0;
}

int
snmpio_open(const struct snmpio_opts *o, struct snmpio **out, char *err, size_t errlen)
{
	netsnmp_session s;
	struct snmpio *io;

	*out = NULL;
	snmp_init_once();
	if ((io = calloc(1, sizeof(*io))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return SNMPIO_EFAIL;
	}
	str_copy(io->name, o->name, sizeof(io->name));
	str_copy(io->peer, o->peer, sizeof(io->peer));
	io->timeout_us = (long)(o->timeout_ms > 0 ? o->timeout_ms : 1000) * 1000;
	io->retries = o->retries >= 0 ? o->retries : 0;

	snmp_sess_init(&s);
	s.peername = io->peer;
	s.retries = 0; /* we retry ourselves, with back-off */
	s.timeout = io->timeout_us;
	if (o->version == 3) {
		const oid *ap, *pp;
		size_t apl, ppl;

		if (o->user == NULL || *o->user == '\0' || o->auth_pass == NULL ||
		    o->priv_pass == NULL) {
			snprintf(err, errlen, "switch %s: SNMPv3 needs user, auth_pass and priv_pass",
			    o->name);
			goto fail;
		}
		if (auth_proto(o->auth_proto ? o->auth_proto : "SHA", &ap, &apl) < 0) {
			snprintf(err, errlen, "switch %s: unknown auth_proto '%s' (MD5, SHA, "
			    "SHA-256, SHA-512)", o->name, o->auth_proto);
			goto fail;
		}
		if (priv_proto(o->priv_proto ? o->priv_proto : "AES", &pp, &ppl) < 0) {
			snprintf(err, errlen, "switch %s: unknown priv_proto '%s' (AES, DES)",
			    o->name, o->priv_proto);
			goto fail;
		}
		if (strlen(o->auth_pass) < 8 || strlen(o->priv_pass) < 8) {
			snprintf(err, errlen, "switch %s: SNMPv3 pass phrases must have at least 8 "
			    "characters (RFC 3414 section 11.2)", o->name);
			goto fail;
		}
		s.version = SNMP_VERSION_3;
		s.securityName = (char *)o->user;
		s.securityNameLen = strlen(o->user);
		s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
		s.securityAuthProto = snmp_duplicate_objid(ap, apl);
		s.securityAuthProtoLen = apl;
		s.securityAuthKeyLen = USM_AUTH_KU_LEN;
		if (generate_Ku(s.securityAuthProto, (u_int)apl, (const u_char *)o->auth_pass,
		    strlen(o->auth_pass), s.securityAuthKey, &s.securityAuthKeyLen) !=
		    SNMPERR_SUCCESS) {
			snprintf(err, errlen, "switch %s: cannot derive the auth key", o->name);
			free(s.securityAuthProto);
			goto fail;
		}
		s.securityPrivProto = snmp_duplicate_objid(pp, ppl);
		s.securityPrivProtoLen = ppl;
		s.securityPrivKeyLen = USM_PRIV_KU_LEN;
		if (generate_Ku(s.securityAuthProto, (u_int)apl, (const u_char *)o->priv_pass,
		    strlen(o->priv_pass), s.securityPrivKey, &s.securityPrivKeyLen) !=
		    SNMPERR_SUCCESS) {
			snprintf(err, errlen, "switch %s: cannot derive the privacy key", o->name);
			free(s.securityAuthProto);
			free(s.securityPrivProto);
			goto fail;
		}
	} else {
		const char *c = o->community ? o->community : "public";

		s.version = SNMP_VERSION_2c;
		s.community = (u_char *)c;
		s.community_len = strlen(c);
	}
	io->sess = snmp_sess_open(&s);
	if (o->version == 3) {
		free(s.securityAuthProto);
		free(s.securityPrivProto);
	}
	if (io->sess == NULL) {
		int liberr, syserr;
		char *msg = NULL;

		snmp_error(&s, &liberr, &syserr, &msg);
		snprintf(err, errlen, "switch %s: cannot open SNMP session to %s: %s", o->name,
		    o->peer, msg ? msg : "unknown error");
		free(msg);
		goto fail;
	}
	*out = io;
	return SNMPIO_OK;
fail:
	free(io);
	return SNMPIO_EFAIL;
}

void
snmpio_close(struct snmpio *io)
{
	if (io == NULL)
		return;
	if (io->sess)
		snmp_sess_close(io->sess);
	free(io);
}

const struct snmpio_stats *
snmpio_stats(const struct snmpio *io)
{
	return &io->stats;
}

const char *
snmpio_errstat_name(int e)
{
	static const char *const names[] = { "noError", "tooBig", "noSuchName", "badValue",
		"readOnly", "genErr", "noAccess", "wrongType", "wrongLength", "wrongEncoding",
		"wrongValue", "noCreation", "inconsistentValue", "resourceUnavailable",
		"commitFailed", "undoFailed", "authorizationError", "notWritable",
		"inconsistentName" };

	if (e >= 0 && (size_t)e < ARRAY_LEN(names))
		return names[e];
	return "unknown error-status";
}

/* Send pdu (consumed) and wait for the response, retrying timeouts with
 * the wait doubled each time (bounded: retries + 1 sends). */
static int
exchange(struct snmpio *io, netsnmp_pdu *pdu, netsnmp_pdu **resp, char *err, size_t errlen)
{
	netsnmp_session *ss = snmp_sess_session(io->sess);
	long timeout = io->timeout_us, waited = 0;

	*resp = NULL;
	for (int attempt = 0;; attempt++) {
		netsnmp_pdu *copy = snmp_clone_pdu(pdu);
		int st;

		if (copy == NULL) {
			snprintf(err, errlen, "out of memory");
			snmp_free_pdu(pdu);
			return SNMPIO_EFAIL;
		}
		struct timespec t0, t1;
		double dt;

		ss->timeout = timeout;
		io->stats.pdus++;
		if (pdu->command == SNMP_MSG_SET)
			io->stats.sets++;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		st = snmp_sess_synch_response(io->sess, copy, resp);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		io->stats.seconds += dt;
		if (pdu->command == SNMP_MSG_SET)
			io->stats.set_seconds += dt;
		if (st == STAT_SUCCESS) {
			snmp_free_pdu(pdu);
			return SNMPIO_OK;
		}
		if (*resp) {
			snmp_free_pdu(*resp);
			*resp = NULL;
		}
		waited += timeout;
		if (st == STAT_TIMEOUT && attempt < io->retries) {
			io->stats.retries++;
			log_info("switch %s: no answer from %s in %ld ms, retry %d of %d", io->name,
			    io->peer, timeout / 1000, attempt + 1, io->retries);
			timeout *= 2;
			continue;
		}
		if (st == STAT_TIMEOUT)
			snprintf(err, errlen, "switch %s: no answer from %s after %d tries (%.1f s): "
			    "agent down, or wrong community or credentials", io->name, io->peer,
			    attempt + 1, (double)waited / 1e6);
		else {
			int liberr, syserr;
			char *msg = NULL;

			snmp_sess_error(io->sess, &liberr, &syserr, &msg);
			snprintf(err, errlen, "switch %s: SNMP request to %s failed: %s", io->name,
			    io->peer, msg ? msg : "unknown error");
			free(msg);
		}
		snmp_free_pdu(pdu);
		return st == STAT_TIMEOUT ? SNMPIO_ETIMEOUT : SNMPIO_EFAIL;
	}
}

/* Convert a returned varbind, refusing names we cannot represent. */
static int
to_vb(const netsnmp_variable_list *v, uint32_t *name, struct sw_vb *vb, char *err,
    size_t errlen)
{
	if (v->name_length > SW_OID_MAX || v->name_length == 0) {
		snprintf(err, errlen, "agent returned an OID of %zu sub-identifiers",
		    (size_t)v->name_length);
		return -1;
	}
	for (size_t i = 0; i < v->name_length; i++) {
		if ((unsigned long)v->name[i] > UINT32_MAX) {
			snprintf(err, errlen, "agent returned an OID sub-identifier above 2^32");
			return -1;
		}
		name[i] = (uint32_t)v->name[i];
	}
	memset(vb, 0, sizeof(*vb));
	vb->name = name;
	vb->name_len = v->name_length;
	vb->type = v->type;
	switch (v->type) {
	case ASN_INTEGER:
	case ASN_GAUGE:
	case ASN_COUNTER:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		if (v->val.integer == NULL || v->val_len < sizeof(long)) {
			snprintf(err, errlen, "agent returned an integer without a value");
			return -1;
		}
		vb->ival = *v->val.integer;
		if (v->type != ASN_INTEGER)
			vb->ival &= 0xffffffffL;
		break;
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
		vb->val = v->val.string;
		vb->val_len = v->val_len;
		if (vb->val == NULL && vb->val_len != 0) {
			snprintf(err, errlen, "agent returned a string without bytes");
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static netsnmp_pdu *
new_pdu(int cmd)
{
	return snmp_pdu_create(cmd);
}

static void
add_name(netsnmp_pdu *pdu, const uint32_t *name, size_t len)
{
	oid o[SW_OID_MAX];

	for (size_t i = 0; i < len && i < SW_OID_MAX; i++)
		o[i] = name[i];
	snmp_add_null_var(pdu, o, len);
}

int
snmpio_walk(struct snmpio *io, const uint32_t *root, size_t rootlen, snmpio_cb cb, void *ctx,
    char *err, size_t errlen)
{
	uint32_t last[SW_OID_MAX];
	size_t lastlen = rootlen;
	unsigned long seen = 0;

	if (rootlen > SW_OID_MAX)
		return SNMPIO_EFAIL;
	memcpy(last, root, rootlen * sizeof(*root));
	for (;;) {
		netsnmp_pdu *pdu = new_pdu(SNMP_MSG_GETBULK), *resp;
		int rc, done = 0;

		pdu->non_repeaters = 0;
		pdu->max_repetitions = 40;
		add_name(pdu, last, lastlen);
		if ((rc = exchange(io, pdu, &resp, err, errlen)) != SNMPIO_OK)
			return rc;
		if (resp->errstat != SNMP_ERR_NOERROR) {
			snprintf(err, errlen, "switch %s: walk refused: %s", io->name,
			    snmpio_errstat_name((int)resp->errstat));
			snmp_free_pdu(resp);
			return SNMPIO_EREFUSED;
		}
		if (resp->variables == NULL)
			done = 1;
		for (netsnmp_variable_list *v = resp->variables; v && !done; v = v->next_variable) {
			uint32_t name[SW_OID_MAX];
			struct sw_vb vb;
			char why[128];

			if (v->type == SNMP_ENDOFMIBVIEW || v->type == SNMP_NOSUCHOBJECT ||
			    v->type == SNMP_NOSUCHINSTANCE) {
				done = 1;
				break;
			}
			if (to_vb(v, name, &vb, why, sizeof(why)) < 0) {
				snprintf(err, errlen, "switch %s: %s", io->name, why);
				snmp_free_pdu(resp);
				return SNMPIO_EFAIL;
			}
			if (!sw_oid_has_prefix(name, vb.name_len, root, rootlen)) {
				done = 1;
				break;
			}
			if (sw_oid_cmp(name, vb.name_len, last, lastlen) <= 0) {
				char o[256];

				sw_oid_format(name, vb.name_len, o, sizeof(o));
				snprintf(err, errlen, "switch %s: agent returned %s out of order (walk "
				    "would loop)", io->name, o);
				snmp_free_pdu(resp);
				return SNMPIO_EFAIL;
			}
			if (++seen > SNMPIO_WALK_MAX) {
				snprintf(err, errlen, "switch %s: more than %d objects in one table",
				    io->name, SNMPIO_WALK_MAX);
				snmp_free_pdu(resp);
				return SNMPIO_EFAIL;
			}
			memcpy(last, name, vb.name_len * sizeof(*name));
			lastlen = vb.name_len;
			if ((rc = cb(&vb, ctx, err, errlen)) < 0) {
				snmp_free_pdu(resp);
				return rc;
			}
		}
		snmp_free_pdu(resp);
		if (done)
			return SNMPIO_OK;
	}
}

int
snmpio_get(struct snmpio *io, const struct snmpio_vb *names, size_t n, snmpio_cb cb,
    void *ctx, char *err, size_t errlen)
{
	netsnmp_pdu *pdu = new_pdu(SNMP_MSG_GET), *resp;
	int rc;

	for (size_t i = 0; i < n; i++)
		add_name(pdu, names[i].name, names[i].name_len);
	if ((rc = exchange(io, pdu, &resp, err, errlen)) != SNMPIO_OK)
		return rc;
	if (resp->errstat != SNMP_ERR_NOERROR) {
		snprintf(err, errlen, "switch %s: GET refused: %s", io->name,
		    snmpio_errstat_name((int)resp->errstat));
		snmp_free_pdu(resp);
		return SNMPIO_EREFUSED;
	}
	for (netsnmp_variable_list *v = resp->variables; v; v = v->next_variable) {
		uint32_t name[SW_OID_MAX];
		struct sw_vb vb;
		char why[128];

		if (to_vb(v, name, &vb, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "switch %s: %s", io->name, why);
			snmp_free_pdu(resp);
			return SNMPIO_EFAIL;
		}
		if ((rc = cb(&vb, ctx, err, errlen)) < 0) {
			snmp_free_pdu(resp);
			return rc;
		}
	}
	snmp_free_pdu(resp);
	return SNMPIO_OK;
}

int
snmpio_set(struct snmpio *io, const struct snmpio_vb *vbs, size_t n, int *errstat,
    int *errindex, char *err, size_t errlen)
{
	netsnmp_pdu *pdu = new_pdu(SNMP_MSG_SET), *resp;
	int rc;

	*errstat = 0;
	*errindex = 0;
	for (size_t i = 0; i < n; i++) {
		oid o[SW_OID_MAX];

		for (size_t k = 0; k < vbs[i].name_len; k++)
			o[k] = vbs[i].name[k];
		if (vbs[i].type == SW_ASN_INTEGER || vbs[i].type == SW_ASN_GAUGE)
			snmp_pdu_add_variable(pdu, o, vbs[i].name_len, (u_char)vbs[i].type,
			    &vbs[i].ival, sizeof(vbs[i].ival));
		else
			snmp_pdu_add_variable(pdu, o, vbs[i].name_len, ASN_OCTET_STR, vbs[i].val,
			    vbs[i].val_len);
	}
	if ((rc = exchange(io, pdu, &resp, err, errlen)) != SNMPIO_OK)
		return rc;
	if (resp->errstat != SNMP_ERR_NOERROR) {
		*errstat = (int)resp->errstat;
		*errindex = (int)resp->errindex;
		snmp_free_pdu(resp);
		return SNMPIO_EREFUSED;
	}
	snmp_free_pdu(resp);
	return SNMPIO_OK;
}

static void
vb_name(struct snmpio_vb *vb, const uint32_t *base, size_t blen, const uint32_t *idx,
    size_t ilen)
{
	memset(vb, 0, sizeof(*vb));
	if (blen + ilen > SW_OID_MAX)
		return;
	memcpy(vb->name, base, blen * sizeof(*base));
	if (ilen > 0)
		memcpy(vb->name + blen, idx, ilen * sizeof(*idx));
	vb->name_len = blen + ilen;
}

void
snmpio_vb_int(struct snmpio_vb *vb, const uint32_t *base, size_t blen, const uint32_t *idx,
    size_t ilen, long v)
{
	vb_name(vb, base, blen, idx, ilen);
	vb->type = SW_ASN_INTEGER;
	vb->ival = v;
}

void
snmpio_vb_str(struct snmpio_vb *vb, const uint32_t *base, size_t blen, const uint32_t *idx,
    size_t ilen, const void *val, size_t len)
{
	vb_name(vb, base, blen, idx, ilen);
	vb->type = SW_ASN_OCTET_STR;
	if (len > SNMPIO_VAL_MAX)
		len = SNMPIO_VAL_MAX;
	memcpy(vb->val, val, len);
	vb->val_len = len;
}
