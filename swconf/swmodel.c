#include "swmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1.3.6.1.2.1.17 is dot1dBridge (RFC 4188); .7 under it is qBridgeMIB
 * (RFC 4363). */
const uint32_t sw_oid_dot1dBaseNumPorts[] = { 1, 3, 6, 1, 2, 1, 17, 1, 2, 0 };
const uint32_t sw_oid_dot1dBasePortIfIndex[] = { 1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2 };
const uint32_t sw_oid_dot1qVlanStaticEntry[] = { 1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 3, 1 };
const uint32_t sw_oid_dot1qPvid[] = { 1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 5, 1, 1 };

struct sw_state *
sw_state_new(int nports)
{
	struct sw_state *st;

	if (nports < 0 || nports > SW_MAX_PORTS)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->nports = nports;
	return st;
}

void
sw_state_free(struct sw_state *st)
{
	free(st);
}

void
sw_state_copy(struct sw_state *dst, const struct sw_state *src)
{
	memcpy(dst, src, sizeof(*dst));
}

size_t
sw_state_nvlans(const struct sw_state *st)
{
	size_t n = 0;

	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++)
		n += st->vlan[v].present;
	return n;
}

int
sw_port_get(const uint8_t *list, int port)
{
	if (port < 1 || port > SW_MAX_PORTS)
		return 0;
	return (list[(port - 1) / 8] >> (7 - (port - 1) % 8)) & 1;
}

void
sw_port_set(uint8_t *list, int port, int on)
{
	uint8_t bit;

	if (port < 1 || port > SW_MAX_PORTS)
		return;
	bit = (uint8_t)(0x80 >> ((port - 1) % 8));
	if (on)
		list[(port - 1) / 8] |= bit;
	else
		list[(port - 1) / 8] &= (uint8_t)~bit;
}

size_t
sw_portlist_len(int nports)
{
	return (size_t)(nports + 7) / 8;
}

int
sw_portlist_decode(const uint8_t *buf, size_t len, int nports, uint8_t *out, char *err,
    size_t errlen)
{
	if (len > SW_PORTLIST_WIRE_MAX) {
		snprintf(err, errlen, "PortList of %zu bytes (at most %d accepted)", len,
		    SW_PORTLIST_WIRE_MAX);
		return -1;
	}
	memset(out, 0, SW_PORTLIST_LEN);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == 0)
			continue;
		for (int b = 0; b < 8; b++) {
			long port = (long)i * 8 + b + 1;

			if (!(buf[i] & (0x80 >> b)))
				continue;
			if (port > nports) {
				snprintf(err, errlen, "PortList names port %ld but the switch has %d",
				    port, nports);
				return -1;
			}
			sw_port_set(out, (int)port, 1);
		}
	}
	return 0;
}

void
sw_portlist_format(const uint8_t *list, int nports, char *buf, size_t len)
{
	size_t off = 0;
	int p = 1;

	if (len == 0)
		return;
	buf[0] = '\0';
	while (p <= nports) {
		int q;

		if (!sw_port_get(list, p)) {
			p++;
			continue;
		}
		for (q = p; q + 1 <= nports && sw_port_get(list, q + 1); q++)
			;
		int n = q == p ? snprintf(buf + off, len - off, "%s%d", off ? "," : "", p) :
		    snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", p, q);
		if (n < 0 || (size_t)n >= len - off) {
			buf[len - 1] = '\0';
			return;
		}
		off += (size_t)n;
		p = q + 1;
	}
}

int
sw_oid_has_prefix(const uint32_t *name, size_t len, const uint32_t *prefix, size_t plen)
{
	return len >= plen && memcmp(name, prefix, plen * sizeof(*name)) == 0;
}

int
sw_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	for (size_t i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

void
sw_oid_format(const uint32_t *name, size_t len, char *buf, size_t buflen)
{
	size_t off = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		int n = snprintf(buf + off, buflen - off, ".%u", name[i]);

		if (n < 0 || (size_t)n >= buflen - off)
			return;
		off += (size_t)n;
	}
}

static int
want_int(const struct sw_vb *vb, const char *what, char *err, size_t errlen)
{
	if (vb->type != SW_ASN_INTEGER && vb->type != SW_ASN_GAUGE) {
		snprintf(err, errlen, "%s: expected INTEGER, got ASN.1 type 0x%02x", what,
		    (unsigned)vb->type & 0xff);
		return -1;
	}
	return 0;
}

int
sw_absorb_qbridge(struct sw_state *st, const struct sw_vb *vb, char *err, size_t errlen)
{
	const uint32_t *n = vb->name;
	size_t len = vb->name_len;
	char what[64];

	if (len > SW_OID_MAX) {
		snprintf(err, errlen, "OID of %zu sub-identifiers", len);
		return -1;
	}
	if (sw_oid_has_prefix(n, len, sw_oid_dot1dBasePortIfIndex,
	    SW_OIDLEN_dot1dBasePortIfIndex)) {
		if (len != SW_OIDLEN_dot1dBasePortIfIndex + 1) {
			snprintf(err, errlen, "dot1dBasePortIfIndex: index of %zu parts",
			    len - SW_OIDLEN_dot1dBasePortIfIndex);
			return -1;
		}
		uint32_t port = n[len - 1];
		snprintf(what, sizeof(what), "dot1dBasePortIfIndex.%u", port);
		if (port < 1 || port > (uint32_t)st->nports) {
			snprintf(err, errlen, "%s: port outside 1-%d", what, st->nports);
			return -1;
		}
		if (want_int(vb, what, err, errlen) < 0)
			return -1;
		if (vb->ival < 1 || vb->ival > 0x7fffffffL) {
			snprintf(err, errlen, "%s: ifIndex %ld out of range", what, vb->ival);
			return -1;
		}
		st->ifindex[port] = (int)vb->ival;
		return 0;
	}
	if (sw_oid_has_prefix(n, len, sw_oid_dot1qPvid, SW_OIDLEN_dot1qPvid)) {
		if (len != SW_OIDLEN_dot1qPvid + 1) {
			snprintf(err, errlen, "dot1qPvid: index of %zu parts",
			    len - SW_OIDLEN_dot1qPvid);
			return -1;
		}
		uint32_t port = n[len - 1];
		snprintf(what, sizeof(what), "dot1qPvid.%u", port);
		if (port < 1 || port > (uint32_t)st->nports) {
			snprintf(err, errlen, "%s: port outside 1-%d", what, st->nports);
			return -1;
		}
		if (want_int(vb, what, err, errlen) < 0)
			return -1;
		if (vb->ival < SW_VLAN_MIN || vb->ival > SW_VLAN_MAX) {
			snprintf(err, errlen, "%s: VLAN %ld outside 1-4094", what, vb->ival);
			return -1;
		}
		st->pvid[port] = (int)vb->ival;
		return 0;
	}
	if (sw_oid_has_prefix(n, len, sw_oid_dot1qVlanStaticEntry,
	    SW_OIDLEN_dot1qVlanStaticEntry)) {
		if (len != SW_OIDLEN_dot1qVlanStaticEntry + 2) {
			snprintf(err, errlen, "dot1qVlanStaticEntry: OID of %zu parts", len);
			return -1;
		}
		uint32_t col = n[len - 2], vid = n[len - 1];
		static const char *const cols[] = { "?", "Name", "EgressPorts",
		    "ForbiddenEgressPorts", "UntaggedPorts", "RowStatus" };
		snprintf(what, sizeof(what), "dot1qVlanStatic%s.%u",
		    col >= 1 && col <= 5 ? cols[col] : "Entry", vid);
		if (col < 1 || col > 5)
			return 1;
		if (vid < SW_VLAN_MIN || vid > SW_VLAN_MAX) {
			snprintf(err, errlen, "%s: VLAN id outside 1-4094", what);
			return -1;
		}
		struct sw_vlan *v = &st->vlan[vid];
		switch (col) {
		case SW_COL_NAME:
			if (vb->type != SW_ASN_OCTET_STR) {
				snprintf(err, errlen, "%s: expected OCTET STRING", what);
				return -1;
			}
			if (vb->val_len > SW_NAME_MAX ||
			    (vb->val_len > 0 && memchr(vb->val, 0, vb->val_len))) {
				snprintf(err, errlen, "%s: name of %zu bytes or with NUL", what,
				    vb->val_len);
				return -1;
			}
			if (vb->val_len > 0)
				memcpy(v->name, vb->val, vb->val_len);
			v->name[vb->val_len] = '\0';
			v->present = 1;
			return 0;
		case SW_COL_EGRESS:
		case SW_COL_UNTAGGED: {
			char perr[96];

			if (vb->type != SW_ASN_OCTET_STR) {
				snprintf(err, errlen, "%s: expected OCTET STRING", what);
				return -1;
			}
			if (sw_portlist_decode(vb->val, vb->val_len, st->nports,
			    col == SW_COL_EGRESS ? v->egress : v->untagged, perr,
			    sizeof(perr)) < 0) {
				snprintf(err, errlen, "%s: %s", what, perr);
				return -1;
			}
			v->present = 1;
			return 0;
		}
		case SW_COL_FORBIDDEN:
			if (vb->type != SW_ASN_OCTET_STR) {
				snprintf(err, errlen, "%s: expected OCTET STRING", what);
				return -1;
			}
			return 1;
		case SW_COL_ROWSTATUS:
			if (want_int(vb, what, err, errlen) < 0)
				return -1;
			if (vb->ival < SW_RS_ACTIVE || vb->ival > SW_RS_NOTREADY) {
				snprintf(err, errlen, "%s: RowStatus %ld is not a state", what,
				    vb->ival);
				return -1;
			}
			v->present = 1;
			return 0;
		}
	}
	return 1;
}

int
sw_state_check(const struct sw_state *st, char *err, size_t errlen)
{
	for (int p = 1; p <= st->nports; p++) {
		int v = st->pvid[p];

		if (v != 0 && !st->vlan[v].present) {
			snprintf(err, errlen, "port %d has PVID %d, a VLAN the switch does not list",
			    p, v);
			return -1;
		}
	}
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		const struct sw_vlan *vl = &st->vlan[v];

		for (size_t i = 0; vl->present && i < SW_PORTLIST_LEN; i++)
			if (vl->untagged[i] & ~vl->egress[i]) {
				snprintf(err, errlen,
				    "VLAN %d has untagged ports that are not egress ports", v);
				return -1;
			}
	}
	return 0;
}

int
sw_state_equal(const struct sw_state *a, const struct sw_state *b, char *why, size_t whylen)
{
	int n = a->nports > b->nports ? a->nports : b->nports;

	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		const struct sw_vlan *x = &a->vlan[v], *y = &b->vlan[v];

		if (x->present != y->present) {
			snprintf(why, whylen, "VLAN %d is %s", v, x->present ? "present, expected absent" :
			    "absent, expected present");
			return 0;
		}
		if (!x->present)
			continue;
		if (strcmp(x->name, y->name) != 0) {
			snprintf(why, whylen, "VLAN %d is named '%s', expected '%s'", v, x->name,
			    y->name);
			return 0;
		}
		for (int p = 1; p <= n; p++) {
			if (sw_port_get(x->egress, p) != sw_port_get(y->egress, p) ||
			    sw_port_get(x->untagged, p) != sw_port_get(y->untagged, p)) {
				snprintf(why, whylen, "port %d membership of VLAN %d differs", p, v);
				return 0;
			}
		}
	}
	for (int p = 1; p <= n; p++)
		if (a->pvid[p] != b->pvid[p]) {
			snprintf(why, whylen, "port %d has PVID %d, expected %d", p, a->pvid[p],
			    b->pvid[p]);
			return 0;
		}
	return 1;
}

void
sw_make_access(struct sw_state *st, int port, int vlan)
{
	if (port < 1 || port > st->nports || vlan < SW_VLAN_MIN || vlan > SW_VLAN_MAX)
		return;
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		if (!st->vlan[v].present)
			continue;
		sw_port_set(st->vlan[v].egress, port, v == vlan);
		sw_port_set(st->vlan[v].untagged, port, v == vlan);
	}
	st->pvid[port] = vlan;
}

void
sw_remove_vlan(struct sw_state *st, int vlan)
{
	if (vlan < SW_VLAN_MIN || vlan > SW_VLAN_MAX || !st->vlan[vlan].present)
		return;
	for (int p = 1; p <= st->nports; p++)
		if (st->pvid[p] == vlan && st->vlan[SW_DEFAULT_VLAN].present &&
		    vlan != SW_DEFAULT_VLAN)
			sw_make_access(st, p, SW_DEFAULT_VLAN);
	memset(&st->vlan[vlan], 0, sizeof(st->vlan[vlan]));
}

const char *
sw_op_name(enum sw_op op)
{
	switch (op) {
	case SW_VLAN_CREATE: return "create VLAN";
	case SW_VLAN_NAME: return "rename VLAN";
	case SW_VLAN_EGRESS: return "set egress ports of VLAN";
	case SW_VLAN_UNTAGGED: return "set untagged ports of VLAN";
	case SW_PORT_PVID: return "set PVID of port";
	case SW_VLAN_DESTROY: return "destroy VLAN";
	}
	return "?";
}

static int
subset(const uint8_t *a, const uint8_t *b)
{
	for (size_t i = 0; i < SW_PORTLIST_LEN; i++)
		if (a[i] & ~b[i])
			return 0;
	return 1;
}

static int
push(struct sw_change *out, size_t max, int *n, enum sw_op op, int phase, int vlan, int port)
{
	if ((size_t)*n >= max)
		return -1;
	out[*n] = (struct sw_change){ op, phase, vlan, port, 0 };
	(*n)++;
	return 0;
}

int
sw_diff(const struct sw_state *from, const struct sw_state *to, struct sw_change *out,
    size_t max)
{
	int n = 0;
	int np = to->nports;

	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++)
		if (to->vlan[v].present && !from->vlan[v].present)
			if (push(out, max, &n, SW_VLAN_CREATE, 0, v, 0) < 0)
				return -1;
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		const struct sw_vlan *a = &from->vlan[v], *b = &to->vlan[v];

		if (!a->present || !b->present)
			continue;
		if (strcmp(a->name, b->name) != 0 &&
		    push(out, max, &n, SW_VLAN_NAME, 1, v, 0) < 0)
			return -1;
		int de = memcmp(a->egress, b->egress, SW_PORTLIST_LEN) != 0;
		int du = memcmp(a->untagged, b->untagged, SW_PORTLIST_LEN) != 0;
		if (de && du) {
			/* Untagged first when the new untagged set fits the old
			 * egress set, egress first when the old untagged set
			 * fits the new egress set; otherwise only together. */
			int u_first = subset(b->untagged, a->egress);
			int e_first = subset(a->untagged, b->egress);

			if (push(out, max, &n, u_first ? SW_VLAN_UNTAGGED : SW_VLAN_EGRESS, 1, v,
			    0) < 0 || push(out, max, &n, u_first ? SW_VLAN_EGRESS :
			    SW_VLAN_UNTAGGED, 1, v, 0) < 0)
				return -1;
			if (!u_first && !e_first)
				out[n - 1].group = out[n - 2].group = v;
		} else if ((de && push(out, max, &n, SW_VLAN_EGRESS, 1, v, 0) < 0) ||
		    (du && push(out, max, &n, SW_VLAN_UNTAGGED, 1, v, 0) < 0))
			return -1;
	}
	for (int p = 1; p <= np && p <= SW_MAX_PORTS; p++)
		if (to->pvid[p] != 0 && from->pvid[p] != to->pvid[p])
			if (push(out, max, &n, SW_PORT_PVID, 1, to->pvid[p], p) < 0)
				return -1;
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++)
		if (from->vlan[v].present && !to->vlan[v].present)
			if (push(out, max, &n, SW_VLAN_DESTROY, 2, v, 0) < 0)
				return -1;
	return n;
}

size_t
sw_pack(const struct sw_change *ch, size_t n, int max_vb, sw_weight_fn weight,
    size_t *batch_end, size_t max_batches)
{
	size_t nb = 0;
	int used = 0;

	if (max_vb < 1)
		max_vb = 1;
	for (size_t i = 0; i < n; i++) {
		int w = weight(&ch[i]);
		int same_group = i > 0 && ch[i].group != 0 && ch[i].group == ch[i - 1].group &&
		    ch[i].phase == ch[i - 1].phase;
		int fresh = i == 0 || ch[i].phase != ch[i - 1].phase ||
		    (used + w > max_vb && !same_group);

		if (fresh && i > 0) {
			if (nb >= max_batches)
				return 0;
			batch_end[nb++] = i;
			used = 0;
		}
		used += w;
	}
	if (n > 0) {
		if (nb >= max_batches)
			return 0;
		batch_end[nb++] = n;
	}
	return nb;
}

const uint32_t sw_oid_vtpVlanEntry[] = { 1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1 };
const uint32_t sw_oid_vtpEditControlEntry[] = { 1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 4, 1, 1 };
const uint32_t sw_oid_vtpVlanEditEntry[] = { 1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 4, 2, 1 };
const uint32_t sw_oid_vmVlan[] = { 1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 2, 2, 1, 2 };

const char *
sw_vtp_apply_status_name(long s)
{
	static const char *const names[] = { "?", "inProgress", "succeeded",
		"configNumberError", "inconsistentEdit", "tooBig", "localNVStoreFail",
		"remoteNVStoreFail", "editBufferEmpty", "someOtherError" };

	return s >= 1 && s <= 9 ? names[s] : "unknown status";
}

int
sw_absorb_cisco(struct sw_state *st, const struct sw_vb *vb, char *err, size_t errlen)
{
	const uint32_t *n = vb->name;
	size_t len = vb->name_len;
	char what[64];

	if (len > SW_OID_MAX) {
		snprintf(err, errlen, "OID of %zu sub-identifiers", len);
		return -1;
	}
	if (sw_oid_has_prefix(n, len, sw_oid_vtpVlanEntry, SW_OIDLEN_vtpVlanEntry)) {
		if (len != SW_OIDLEN_vtpVlanEntry + 3) {
			snprintf(err, errlen, "vtpVlanEntry: OID of %zu parts", len);
			return -1;
		}
		uint32_t col = n[len - 3], dom = n[len - 2], vid = n[len - 1];
		if (dom != 1 || (col != VTP_COL_STATE && col != VTP_COL_NAME))
			return 1;
		snprintf(what, sizeof(what), "vtpVlan%s.%u.%u",
		    col == VTP_COL_STATE ? "State" : "Name", dom, vid);
		if (vid < SW_VLAN_MIN || vid > SW_VLAN_MAX) {
			snprintf(err, errlen, "%s: VLAN id outside 1-4094", what);
			return -1;
		}
		if (col == VTP_COL_STATE) {
			if (want_int(vb, what, err, errlen) < 0)
				return -1;
			/* operational(1) and suspended(2) are VLANs that exist;
			 * the mtuTooBig states are too. */
			if (vb->ival < 1 || vb->ival > 4) {
				snprintf(err, errlen, "%s: state %ld unknown", what, vb->ival);
				return -1;
			}
			st->vlan[vid].present = 1;
			return 0;
		}
		if (vb->type != SW_ASN_OCTET_STR) {
			snprintf(err, errlen, "%s: expected OCTET STRING", what);
			return -1;
		}
		if (vb->val_len > SW_NAME_MAX ||
			    (vb->val_len > 0 && memchr(vb->val, 0, vb->val_len))) {
			snprintf(err, errlen, "%s: name of %zu bytes or with NUL", what, vb->val_len);
			return -1;
		}
		if (vb->val_len > 0)
			memcpy(st->vlan[vid].name, vb->val, vb->val_len);
		st->vlan[vid].name[vb->val_len] = '\0';
		st->vlan[vid].present = 1;
		return 0;
	}
	if (sw_oid_has_prefix(n, len, sw_oid_vmVlan, SW_OIDLEN_vmVlan)) {
		if (len != SW_OIDLEN_vmVlan + 1) {
			snprintf(err, errlen, "vmVlan: OID of %zu parts", len);
			return -1;
		}
		uint32_t ifx = n[len - 1];
		snprintf(what, sizeof(what), "vmVlan.%u", ifx);
		if (want_int(vb, what, err, errlen) < 0)
			return -1;
		if (vb->ival < 0 || vb->ival > SW_VLAN_MAX) {
			snprintf(err, errlen, "%s: VLAN %ld outside 0-4094", what, vb->ival);
			return -1;
		}
		for (int p = 1; p <= st->nports; p++)
			if (st->ifindex[p] != 0 && (uint32_t)st->ifindex[p] == ifx) {
				st->pvid[p] = (int)vb->ival;
				return 0;
			}
		return 1;
	}
	return 1;
}

void
sw_cisco_members(struct sw_state *st)
{
	for (int p = 1; p <= st->nports; p++) {
		int v = st->pvid[p];

		if (v >= SW_VLAN_MIN && v <= SW_VLAN_MAX && st->vlan[v].present) {
			sw_port_set(st->vlan[v].egress, p, 1);
			sw_port_set(st->vlan[v].untagged, p, 1);
		}
	}
}
