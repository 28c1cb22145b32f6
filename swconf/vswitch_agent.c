/* vswitch-agent: the lab switch.  An AgentX subagent (RFC 2741) of the real
 * snmpd that serves BRIDGE-MIB base ports (RFC 4188) and the Q-BRIDGE-MIB
 * objects swconf uses (RFC 4363: dot1qVlanStaticTable, dot1qPvid) over
 * the switch ports swp1..swpN of the namespace it runs in, and realises
 * the configuration: each VLAN is one Linux bridge, each port is enslaved
 * to the bridge of its PVID when it is an untagged member of that VLAN.
 *
 * SET requests are atomic per PDU: RESERVE1 applies every varbind to a
 * staging copy (RowStatus first, so a createAndGo row can carry its
 * columns), RESERVE2 checks the staging copy as a whole, COMMIT makes it
 * live and changes the bridges.  A fault file (-F) makes the agent refuse
 * SETs, for tests: "refuse-port N" refuses any change to port N,
 * "refuse-pvid N" a change of port N's PVID, "refuse-vlan V" any change
 * to VLAN V; "max-varbinds N" answers tooBig to a SET of more than N
 * varbinds, like switches that bound their requests.
 *
 * One libevent loop carries net-snmp's sockets and timers and the
 * signals. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nl.h"
#include "swmodel.h"
#include "util.h"

#define VIEW_VAL_MAX SW_PORTLIST_LEN
#define MAX_FDS 64

struct view_entry {
	uint32_t name[16];
	size_t len;
	int type;
	long ival;
	uint8_t val[VIEW_VAL_MAX];
	size_t val_len;
};

static struct {
	int nports;
	const char *port_prefix;
	const char *bridge_prefix;
	const char *fault_file;
	const char *agentx;
} opt = { 0, "swp", "vl", NULL, NULL };

static struct sw_state *live, *staging;
static struct view_entry *view;
static size_t nview;
static int nlfd = -1;
static struct event_base *base;
static struct event *snmp_ev[MAX_FDS], *snmp_timer;
static int nsnmp_ev;

static const uint32_t oid_dot1dBridge[] = { 1, 3, 6, 1, 2, 1, 17 };
static const uint32_t oid_dot1dBasePort[] = { 1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 1 };

static void
port_name(int p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%d", opt.port_prefix, p);
}

static void
bridge_name(int v, char *buf, size_t len)
{
	snprintf(buf, len, "%s%d", opt.bridge_prefix, v);
}

/* --- the view: every object we serve, in OID order --- */

static struct view_entry *
view_add(const uint32_t *prefix, size_t plen, const uint32_t *idx, size_t ilen, int type)
{
	struct view_entry *e = &view[nview++];

	memset(e, 0, sizeof(*e));
	memcpy(e->name, prefix, plen * sizeof(*prefix));
	if (ilen > 0)
		memcpy(e->name + plen, idx, ilen * sizeof(*idx));
	e->len = plen + ilen;
	e->type = type;
	return e;
}

static void
view_build(void)
{
	size_t plen = sw_portlist_len(live->nports);
	uint32_t idx[2];

	nview = 0;
	view_add(sw_oid_dot1dBaseNumPorts, SW_OIDLEN_dot1dBaseNumPorts, NULL, 0,
	    ASN_INTEGER)->ival = live->nports;
	for (int p = 1; p <= live->nports; p++) {
		idx[0] = (uint32_t)p;
		view_add(oid_dot1dBasePort, ARRAY_LEN(oid_dot1dBasePort), idx, 1, ASN_INTEGER)->ival = p;
	}
	for (int p = 1; p <= live->nports; p++) {
		idx[0] = (uint32_t)p;
		view_add(sw_oid_dot1dBasePortIfIndex, SW_OIDLEN_dot1dBasePortIfIndex, idx, 1,
		    ASN_INTEGER)->ival = live->ifindex[p];
	}
	for (uint32_t col = SW_COL_NAME; col <= SW_COL_ROWSTATUS; col++) {
		for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
			const struct sw_vlan *vl = &live->vlan[v];
			struct view_entry *e;

			if (!vl->present)
				continue;
			idx[0] = col;
			idx[1] = (uint32_t)v;
			e = view_add(sw_oid_dot1qVlanStaticEntry, SW_OIDLEN_dot1qVlanStaticEntry, idx, 2,
			    col == SW_COL_ROWSTATUS ? ASN_INTEGER : ASN_OCTET_STR);
			switch (col) {
			case SW_COL_NAME:
				e->val_len = strlen(vl->name);
				memcpy(e->val, vl->name, e->val_len);
				break;
			case SW_COL_EGRESS:
				memcpy(e->val, vl->egress, plen);
				e->val_len = plen;
				break;
			case SW_COL_FORBIDDEN:
				e->val_len = plen;
				break;
			case SW_COL_UNTAGGED:
				memcpy(e->val, vl->untagged, plen);
				e->val_len = plen;
				break;
			case SW_COL_ROWSTATUS:
				e->ival = SW_RS_ACTIVE;
				break;
			}
		}
	}
	for (int p = 1; p <= live->nports; p++) {
		idx[0] = (uint32_t)p;
		view_add(sw_oid_dot1qPvid, SW_OIDLEN_dot1qPvid, idx, 1, ASN_GAUGE)->ival =
		    live->pvid[p];
	}
}

static size_t
view_max(int nports)
{
	return 1 + 3 * (size_t)nports + 5 * (SW_VLAN_MAX + 1);
}

static int
to_u32(const oid *name, size_t len, uint32_t *out)
{
	if (len > SW_OID_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned long)name[i] > UINT32_MAX)
			return -1;
		out[i] = (uint32_t)name[i];
	}
	return 0;
}

static void
set_value(netsnmp_variable_list *vb, const struct view_entry *e)
{
	if (e->type == ASN_OCTET_STR)
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, e->val, e->val_len);
	else {
		long v = e->ival;

		snmp_set_var_typed_value(vb, (u_char)e->type, &v, sizeof(v));
	}
}

/* --- realising the configuration --- */

static int
port_master(const struct sw_state *st, int p)
{
	int v = st->pvid[p];

	if (v < SW_VLAN_MIN || !st->vlan[v].present || !sw_port_get(st->vlan[v].untagged, p))
		return 0;
	return v;
}

/* Make the bridges match `to`, given they match `from` (NULL: build from
 * nothing). */
static int
realise(const struct sw_state *from, const struct sw_state *to)
{
	char name[IFNAMSIZ + 8];
	int rc = 0;

	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		if (!to->vlan[v].present || (from && from->vlan[v].present))
			continue;
		bridge_name(v, name, sizeof(name));
		if (nl_bridge_add(nlfd, name) < 0) {
			log_warn("cannot create bridge %s: %s", name, strerror(errno));
			rc = -1;
		}
	}
	for (int p = 1; p <= to->nports; p++) {
		int m = port_master(to, p), master = 0;

		if (from && port_master(from, p) == m)
			continue;
		if (m) {
			bridge_name(m, name, sizeof(name));
			master = (int)if_nametoindex(name);
		}
		port_name(p, name, sizeof(name));
		if (nl_link_set_master(nlfd, name, master) < 0) {
			log_warn("cannot attach %s to VLAN %d: %s", name, m, strerror(errno));
			rc = -1;
		}
	}
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX && from; v++) {
		if (!from->vlan[v].present || to->vlan[v].present)
			continue;
		bridge_name(v, name, sizeof(name));
		if (nl_link_del(nlfd, name) < 0) {
			log_warn("cannot delete bridge %s: %s", name, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

static void
unrealise(void)
{
	char name[IFNAMSIZ + 8];

	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		if (!live->vlan[v].present)
			continue;
		bridge_name(v, name, sizeof(name));
		nl_link_del(nlfd, name);
	}
}

/* --- SET --- */

/* Where a varbind points: port (dot1qPvid) or VLAN + column. */
static int
classify(const netsnmp_variable_list *vb, int *col, int *vlan, int *port)
{
	uint32_t n[SW_OID_MAX];

	*col = *vlan = *port = 0;
	if (to_u32(vb->name, vb->name_length, n) < 0)
		return -1;
	if (sw_oid_has_prefix(n, vb->name_length, sw_oid_dot1qPvid, SW_OIDLEN_dot1qPvid) &&
	    vb->name_length == SW_OIDLEN_dot1qPvid + 1) {
		if (n[SW_OIDLEN_dot1qPvid] < 1 || n[SW_OIDLEN_dot1qPvid] > (uint32_t)live->nports)
			return -1;
		*port = (int)n[SW_OIDLEN_dot1qPvid];
		return 0;
	}
	if (sw_oid_has_prefix(n, vb->name_length, sw_oid_dot1qVlanStaticEntry,
	    SW_OIDLEN_dot1qVlanStaticEntry) && vb->name_length == SW_OIDLEN_dot1qVlanStaticEntry + 2) {
		uint32_t c = n[SW_OIDLEN_dot1qVlanStaticEntry], v = n[SW_OIDLEN_dot1qVlanStaticEntry + 1];

		if (c < SW_COL_NAME || c > SW_COL_ROWSTATUS || v < SW_VLAN_MIN || v > SW_VLAN_MAX)
			return -1;
		*col = (int)c;
		*vlan = (int)v;
		return 0;
	}
	return -1;
}

/* Apply one varbind to staging; returns an SNMP error-status. */
static int
stage_one(const netsnmp_variable_list *vb, int rowstatus_pass)
{
	int col, vlan, port;

	if (classify(vb, &col, &vlan, &port) < 0)
		return SNMP_ERR_NOTWRITABLE;
	if ((col == SW_COL_ROWSTATUS) != rowstatus_pass)
		return SNMP_ERR_NOERROR;
	if (port) {
		if (vb->type != ASN_GAUGE && vb->type != ASN_UNSIGNED)
			return SNMP_ERR_WRONGTYPE;
		if (*vb->val.integer < SW_VLAN_MIN || *vb->val.integer > SW_VLAN_MAX)
			return SNMP_ERR_WRONGVALUE;
		staging->pvid[port] = (int)*vb->val.integer;
		return SNMP_ERR_NOERROR;
	}
	struct sw_vlan *v = &staging->vlan[vlan];
	switch (col) {
	case SW_COL_ROWSTATUS:
		if (vb->type != ASN_INTEGER)
			return SNMP_ERR_WRONGTYPE;
		switch (*vb->val.integer) {
		case SW_RS_CREATEANDGO:
			if (v->present)
				return SNMP_ERR_INCONSISTENTVALUE;
			memset(v, 0, sizeof(*v));
			v->present = 1;
			return SNMP_ERR_NOERROR;
		case SW_RS_DESTROY:
			if (vlan == SW_DEFAULT_VLAN)
				return SNMP_ERR_INCONSISTENTVALUE;
			memset(v, 0, sizeof(*v));
			return SNMP_ERR_NOERROR;
		case SW_RS_ACTIVE:
			return v->present ? SNMP_ERR_NOERROR : SNMP_ERR_INCONSISTENTVALUE;
		default:
			/* createAndWait and notInService: rows here are
			 * complete as soon as they exist. */
			return SNMP_ERR_WRONGVALUE;
		}
	case SW_COL_NAME:
		if (vb->type != ASN_OCTET_STR)
			return SNMP_ERR_WRONGTYPE;
		if (vb->val_len > SW_NAME_MAX ||
		    (vb->val_len > 0 && memchr(vb->val.string, 0, vb->val_len)))
			return SNMP_ERR_WRONGLENGTH;
		if (!v->present)
			return SNMP_ERR_NOCREATION;
		if (vb->val_len > 0)
			memcpy(v->name, vb->val.string, vb->val_len);
		v->name[vb->val_len] = '\0';
		return SNMP_ERR_NOERROR;
	case SW_COL_EGRESS:
	case SW_COL_UNTAGGED: {
		uint8_t list[SW_PORTLIST_LEN];
		char err[96];

		if (vb->type != ASN_OCTET_STR)
			return SNMP_ERR_WRONGTYPE;
		if (vb->val_len > SW_PORTLIST_LEN)
			return SNMP_ERR_WRONGLENGTH;
		if (sw_portlist_decode(vb->val.string, vb->val_len, staging->nports, list, err,
		    sizeof(err)) < 0)
			return SNMP_ERR_WRONGVALUE;
		if (!v->present)
			return SNMP_ERR_NOCREATION;
		memcpy(col == SW_COL_EGRESS ? v->egress : v->untagged, list, SW_PORTLIST_LEN);
		return SNMP_ERR_NOERROR;
	}
	default:
		return SNMP_ERR_NOTWRITABLE;
	}
}

/* Does this varbind touch port p / VLAN v (for naming the varbind that
 * a whole-PDU check refuses)? */
static int
touches(const netsnmp_variable_list *vb, int p, int v, int pvid_only)
{
	int col, vlan, port;

	if (classify(vb, &col, &vlan, &port) < 0)
		return 0;
	if (p && port == p)
		return 1;
	if (pvid_only)
		return 0;
	if (v && vlan == v)
		return 1;
	if (p && (col == SW_COL_EGRESS || col == SW_COL_UNTAGGED)) {
		const uint8_t *a = col == SW_COL_EGRESS ? live->vlan[vlan].egress :
		    live->vlan[vlan].untagged;
		const uint8_t *b = col == SW_COL_EGRESS ? staging->vlan[vlan].egress :
		    staging->vlan[vlan].untagged;

		return sw_port_get(a, p) != sw_port_get(b, p);
	}
	return 0;
}

static int
port_changed(int p)
{
	if (live->pvid[p] != staging->pvid[p])
		return 1;
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++)
		if (sw_port_get(live->vlan[v].egress, p) != sw_port_get(staging->vlan[v].egress, p) ||
		    sw_port_get(live->vlan[v].untagged, p) != sw_port_get(staging->vlan[v].untagged, p))
			return 1;
	return 0;
}

static int
vlan_changed(int v)
{
	return memcmp(&live->vlan[v], &staging->vlan[v], sizeof(live->vlan[v])) != 0;
}

/* Read the fault file: refuse_port / refuse_pvid / refuse_vlan /
 * max_varbinds, 0 if none. */
static void
read_faults(int *refuse_port, int *refuse_pvid, int *refuse_vlan, int *max_vb)
{
	FILE *f;
	char line[128];

	*refuse_port = *refuse_pvid = *refuse_vlan = *max_vb = 0;
	if (opt.fault_file == NULL || (f = fopen(opt.fault_file, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char word[32];
		long n;
		char num[32];

		if (sscanf(line, "%31s %31s", word, num) != 2 || parse_long(num, 1, 4094, &n) < 0)
			continue;
		if (strcmp(word, "refuse-port") == 0)
			*refuse_port = (int)n;
		else if (strcmp(word, "refuse-pvid") == 0)
			*refuse_pvid = (int)n;
		else if (strcmp(word, "refuse-vlan") == 0)
			*refuse_vlan = (int)n;
		else if (strcmp(word, "max-varbinds") == 0)
			*max_vb = (int)n;
	}
	fclose(f);
}

static void
refuse(netsnmp_agent_request_info *ri, netsnmp_request_info *reqs, int p, int v, int status)
{
	netsnmp_request_info *r, *pick = NULL;

	/* Name the PVID varbind of the port if there is one, else any
	 * varbind that changes the port or VLAN, else the first. */
	for (r = reqs; r && !pick; r = r->next)
		if (p && touches(r->requestvb, p, 0, 1))
			pick = r;
	for (r = reqs; r && !pick; r = r->next)
		if (touches(r->requestvb, p, v, 0))
			pick = r;
	if (pick == NULL)
		pick = reqs;
	netsnmp_set_request_error(ri, pick, status);
}

/* The staging copy as a whole; 0 or an error already set. */
static int
check_staging(netsnmp_agent_request_info *ri, netsnmp_request_info *reqs)
{
	int fp, fq, fv, fm;

	read_faults(&fp, &fq, &fv, &fm);
	if (fq && fq <= staging->nports && live->pvid[fq] != staging->pvid[fq]) {
		log_info("fault file: refusing a change to the PVID of port %d", fq);
		refuse(ri, reqs, fq, 0, SNMP_ERR_RESOURCEUNAVAILABLE);
		return -1;
	}
	if (fp && fp <= staging->nports && port_changed(fp)) {
		log_info("fault file: refusing a change to port %d", fp);
		refuse(ri, reqs, fp, 0, SNMP_ERR_RESOURCEUNAVAILABLE);
		return -1;
	}
	if (fv && vlan_changed(fv)) {
		log_info("fault file: refusing a change to VLAN %d", fv);
		refuse(ri, reqs, 0, fv, SNMP_ERR_RESOURCEUNAVAILABLE);
		return -1;
	}
	for (int p = 1; p <= staging->nports; p++) {
		int v = staging->pvid[p];

		if (!staging->vlan[v].present) {
			/* A PVID naming no VLAN, whether set now or left
			 * behind by a destroyed row (RFC 4363 dot1qPvid). */
			refuse(ri, reqs, live->pvid[p] != v ? p : 0, v, SNMP_ERR_INCONSISTENTVALUE);
			return -1;
		}
	}
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		const struct sw_vlan *vl = &staging->vlan[v];

		for (size_t i = 0; vl->present && i < SW_PORTLIST_LEN; i++)
			if (vl->untagged[i] & ~vl->egress[i]) {
				refuse(ri, reqs, 0, v, SNMP_ERR_INCONSISTENTVALUE);
				return -1;
			}
	}
	return 0;
}

/* The fault file's bound on varbinds per SET. */
static int
too_big(netsnmp_agent_request_info *ri, netsnmp_request_info *reqs)
{
	netsnmp_request_info *r;
	int fp, fq, fv, fm, n = 0;

	read_faults(&fp, &fq, &fv, &fm);
	for (r = reqs; r; r = r->next)
		n++;
	if (fm == 0 || n <= fm)
		return 0;
	log_info("fault file: %d varbinds in one SET, answering tooBig", n);
	netsnmp_set_request_error(ri, reqs, SNMP_ERR_TOOBIG);
	return 1;
}

static void
drop_staging(void)
{
	sw_state_free(staging);
	staging = NULL;
}

static int
handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
    netsnmp_agent_request_info *ri, netsnmp_request_info *reqs)
{
	netsnmp_request_info *r;
	uint32_t n[SW_OID_MAX];

	(void)h;
	(void)reg;
	switch (ri->mode) {
	case MODE_GET:
		for (r = reqs; r; r = r->next) {
			size_t i;

			if (to_u32(r->requestvb->name, r->requestvb->name_length, n) < 0) {
				netsnmp_set_request_error(ri, r, SNMP_NOSUCHOBJECT);
				continue;
			}
			for (i = 0; i < nview; i++)
				if (sw_oid_cmp(view[i].name, view[i].len, n,
				    r->requestvb->name_length) == 0)
					break;
			if (i < nview)
				set_value(r->requestvb, &view[i]);
			else
				netsnmp_set_request_error(ri, r, SNMP_NOSUCHINSTANCE);
		}
		return SNMP_ERR_NOERROR;
	case MODE_GETNEXT:
		for (r = reqs; r; r = r->next) {
			size_t i, len = r->requestvb->name_length;
			oid o[16];

			if (len > SW_OID_MAX || to_u32(r->requestvb->name, len, n) < 0)
				continue;
			for (i = 0; i < nview; i++)
				if (sw_oid_cmp(view[i].name, view[i].len, n, len) > 0)
					break;
			if (i == nview)
				continue; /* past our subtree: the master moves on */
			for (size_t k = 0; k < view[i].len; k++)
				o[k] = view[i].name[k];
			snmp_set_var_objid(r->requestvb, o, view[i].len);
			set_value(r->requestvb, &view[i]);
		}
		return SNMP_ERR_NOERROR;
	case MODE_SET_RESERVE1:
		if (too_big(ri, reqs))
			return SNMP_ERR_NOERROR;
		if (staging == NULL) {
			if ((staging = sw_state_new(live->nports)) == NULL) {
				netsnmp_set_request_error(ri, reqs, SNMP_ERR_RESOURCEUNAVAILABLE);
				return SNMP_ERR_NOERROR;
			}
			sw_state_copy(staging, live);
		}
		for (int pass = 1; pass >= 0; pass--)
			for (r = reqs; r; r = r->next) {
				int e = stage_one(r->requestvb, pass);

				if (e != SNMP_ERR_NOERROR) {
					netsnmp_set_request_error(ri, r, e);
					return SNMP_ERR_NOERROR;
				}
			}
		return SNMP_ERR_NOERROR;
	case MODE_SET_RESERVE2:
		if (staging == NULL) {
			netsnmp_set_request_error(ri, reqs, SNMP_ERR_GENERR);
			return SNMP_ERR_NOERROR;
		}
		(void)check_staging(ri, reqs);
		return SNMP_ERR_NOERROR;
	case MODE_SET_ACTION:
		return SNMP_ERR_NOERROR;
	case MODE_SET_COMMIT:
		if (staging == NULL)
			return SNMP_ERR_NOERROR;
		if (realise(live, staging) < 0)
			log_warn("bridges may not match the configuration");
		sw_state_copy(live, staging);
		drop_staging();
		view_build();
		return SNMP_ERR_NOERROR;
	case MODE_SET_FREE:
	case MODE_SET_UNDO:
		drop_staging();
		return SNMP_ERR_NOERROR;
	}
	return SNMP_ERR_NOERROR;
}

/* --- the event loop: net-snmp's descriptors and timers in libevent --- */

static void snmp_arm(void);

static void
on_snmp_read(evutil_socket_t fd, short what, void *arg)
{
	netsnmp_large_fd_set set;

	(void)what;
	(void)arg;
	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(fd, &set);
	snmp_read2(&set);
	netsnmp_large_fd_set_cleanup(&set);
	snmp_arm();
}

static void
on_snmp_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	snmp_timeout();
	run_alarms();
	snmp_arm();
}

/* Ask net-snmp which descriptors and which deadline it waits for, and
 * register exactly those (sessions come and go as AgentX reconnects). */
static void
snmp_arm(void)
{
	netsnmp_large_fd_set set;
	struct timeval tv = { 1, 0 };
	int numfds = 0, block = 0;

	for (int i = 0; i < nsnmp_ev; i++)
		event_free(snmp_ev[i]);
	nsnmp_ev = 0;
	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	snmp_select_info2(&numfds, &set, &tv, &block);
	for (int fd = 0; fd < numfds && nsnmp_ev < MAX_FDS; fd++) {
		if (!NETSNMP_LARGE_FD_ISSET(fd, &set))
			continue;
		snmp_ev[nsnmp_ev] = event_new(base, fd, EV_READ, on_snmp_read, NULL);
		event_add(snmp_ev[nsnmp_ev++], NULL);
	}
	netsnmp_large_fd_set_cleanup(&set);
	if (block) {
		tv.tv_sec = 1; /* still look at alarms (AgentX pings) */
		tv.tv_usec = 0;
	}
	event_add(snmp_timer, &tv);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	log_info("signal %d: leaving", (int)sig);
	event_base_loopbreak(base);
}

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
	    "usage: vswitch-agent [-f] [-v] -x AGENTX_SOCKET -n PORTS [-p PORT_PREFIX]\n"
	    "                     [-b BRIDGE_PREFIX] [-F FAULT_FILE]\n"
	    "  -x  the master snmpd's AgentX socket (unix path or tcp:host:port)\n"
	    "  -n  number of switch ports; port N is interface PORT_PREFIX<N> (default swp)\n"
	    "  -b  VLAN V is realised as bridge BRIDGE_PREFIX<V> (default vl)\n"
	    "  -F  fault injection: 'refuse-port N' / 'refuse-vlan V' lines\n"
	    "  -f  foreground, log to stderr;  -v  debug logging\n");
	exit(rc);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	netsnmp_handler_registration *reg;
	struct event *sigs[3];
	oid root[ARRAY_LEN(oid_dot1dBridge)];
	int ch, fg = 0, verbose = 0;
	long n;

	while ((ch = getopt_long(argc, argv, "fvx:n:p:b:F:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': fg = 1; break;
		case 'v': verbose = 1; break;
		case 'x': opt.agentx = optarg; break;
		case 'n':
			if (parse_long(optarg, 1, SW_MAX_PORTS, &n) < 0) {
				fprintf(stderr, "vswitch-agent: -n: expected 1-%d ports\n", SW_MAX_PORTS);
				return 2;
			}
			opt.nports = (int)n;
			break;
		case 'p': opt.port_prefix = optarg; break;
		case 'b': opt.bridge_prefix = optarg; break;
		case 'F': opt.fault_file = optarg; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (opt.agentx == NULL || opt.nports == 0 || optind != argc)
		usage(2);
	if (strlen(opt.bridge_prefix) + 4 >= IFNAMSIZ || strlen(opt.port_prefix) + 3 >= IFNAMSIZ) {
		fprintf(stderr, "vswitch-agent: prefixes too long for interface names\n");
		return 2;
	}
	log_init("vswitch-agent", fg, verbose);

	if ((live = sw_state_new(opt.nports)) == NULL ||
	    (view = calloc(view_max(opt.nports), sizeof(*view))) == NULL)
		fatalx("out of memory");
	for (int p = 1; p <= opt.nports; p++) {
		char name[IFNAMSIZ + 8];

		port_name(p, name, sizeof(name));
		if ((live->ifindex[p] = (int)if_nametoindex(name)) == 0)
			fatalx("switch port %s: %s", name, strerror(errno));
	}
	/* Out of the box: every port an access port of the default VLAN. */
	live->vlan[SW_DEFAULT_VLAN].present = 1;
	str_copy(live->vlan[SW_DEFAULT_VLAN].name, "default", sizeof(live->vlan[1].name));
	for (int p = 1; p <= opt.nports; p++)
		sw_make_access(live, p, SW_DEFAULT_VLAN);
	if ((nlfd = nl_open()) < 0)
		fatalx("netlink: %s", strerror(errno));
	if (realise(NULL, live) < 0)
		fatalx("cannot build the default VLAN's bridge");
	view_build();

	if (!fg)
		snmp_disable_log();
	else
		snmp_enable_stderrlog();
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, opt.agentx);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	setenv("MIBS", "", 1);
	if (init_agent("vswitch-agent") != 0)
		fatalx("cannot initialise the AgentX subagent");
	for (size_t i = 0; i < ARRAY_LEN(oid_dot1dBridge); i++)
		root[i] = oid_dot1dBridge[i];
	reg = netsnmp_create_handler_registration("vswitch", handler, root, ARRAY_LEN(root),
	    HANDLER_CAN_RWRITE);
	if (reg == NULL || netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
		fatalx("cannot register dot1dBridge");
	init_snmp("vswitch-agent");

	if (!fg && daemon(0, 0) < 0)
		fatalx("daemon: %s", strerror(errno));
	if ((base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the loop");
	snmp_timer = evtimer_new(base, on_snmp_timer, NULL);
	sigs[0] = evsignal_new(base, SIGTERM, on_signal, NULL);
	sigs[1] = evsignal_new(base, SIGINT, on_signal, NULL);
	sigs[2] = evsignal_new(base, SIGHUP, on_signal, NULL);
	for (int i = 0; i < 3; i++)
		event_add(sigs[i], NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("serving %d ports (%s1-%s%d) over AgentX at %s", opt.nports, opt.port_prefix,
	    opt.port_prefix, opt.nports, opt.agentx);
	snmp_arm();
	event_base_dispatch(base);

	unrealise();
	for (int i = 0; i < 3; i++)
		event_free(sigs[i]);
	for (int i = 0; i < nsnmp_ev; i++)
		event_free(snmp_ev[i]);
	event_free(snmp_timer);
	event_base_free(base);
	snmp_shutdown("vswitch-agent");
	nl_close(nlfd);
	drop_staging();
	sw_state_free(live);
	free(view);
	return 0;
}
