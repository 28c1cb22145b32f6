/* cisco: VLANs through the CISCO-VTP-MIB edit buffer, port membership
 * through CISCO-VLAN-MEMBERSHIP-MIB vmVlan.
 *
 * VLANs are never written directly: the running VLAN database is copied
 * into the edit buffer of management domain 1 (vtpVlanEditOperation =
 * copy, with our name in vtpVlanEditBufferOwner in the same request, so
 * that a buffer someone else holds makes the request fail), rows of
 * vtpVlanEditTable are created, renamed or destroyed, the buffer is
 * applied (vtpVlanEditOperation = apply) and vtpVlanApplyStatus is polled
 * until it leaves inProgress, and the buffer is released whatever
 * happened.  Access ports are then set with vmVlan.ifIndex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "swdev.h"
#include "util.h"

#define VTP_DOMAIN 1
#define VTP_POLL_MAX 100

static int
absorb_cb(const struct sw_vb *vb, void *ctx, char *err, size_t errlen)
{
	struct sw_dev *dev = ((void **)ctx)[0];
	struct sw_state *st = ((void **)ctx)[1];
	char why[256];
	int rc;

	if (sw_oid_has_prefix(vb->name, vb->name_len, sw_oid_dot1dBasePortIfIndex,
	    SW_OIDLEN_dot1dBasePortIfIndex))
		rc = sw_absorb_qbridge(st, vb, why, sizeof(why));
	else
		rc = sw_absorb_cisco(st, vb, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "switch %s: bad answer: %s", dev->name, why);
		return -1;
	}
	return 0;
}

static int
cs_read(struct sw_dev *dev, struct sw_state *st, char *err, size_t errlen)
{
	void *ctx[2] = { dev, st };
	uint32_t col[SW_OIDLEN_vtpVlanEntry + 1];

	if (snmpio_walk(dev->io, sw_oid_dot1dBasePortIfIndex, SW_OIDLEN_dot1dBasePortIfIndex,
	    absorb_cb, ctx, err, errlen) < 0)
		return -1;
	memcpy(col, sw_oid_vtpVlanEntry, sizeof(uint32_t) * SW_OIDLEN_vtpVlanEntry);
	col[SW_OIDLEN_vtpVlanEntry] = VTP_COL_STATE;
	if (snmpio_walk(dev->io, col, SW_OIDLEN_vtpVlanEntry + 1, absorb_cb, ctx, err,
	    errlen) < 0)
		return -1;
	col[SW_OIDLEN_vtpVlanEntry] = VTP_COL_NAME;
	if (snmpio_walk(dev->io, col, SW_OIDLEN_vtpVlanEntry + 1, absorb_cb, ctx, err,
	    errlen) < 0)
		return -1;
	if (snmpio_walk(dev->io, sw_oid_vmVlan, SW_OIDLEN_vmVlan, absorb_cb, ctx, err,
	    errlen) < 0)
		return -1;
	sw_cisco_members(st);
	return 0;
}

static void
ctl_vb_int(struct snmpio_vb *vb, int col, long v)
{
	uint32_t idx[2] = { (uint32_t)col, VTP_DOMAIN };

	snmpio_vb_int(vb, sw_oid_vtpEditControlEntry, SW_OIDLEN_vtpEditControlEntry, idx, 2, v);
}

static int
set_simple(struct sw_dev *dev, struct snmpio_vb *vbs, size_t n, const char *what, int *errstat,
    char *err, size_t errlen)
{
	int errindex, rc;

	rc = snmpio_set(dev->io, vbs, n, errstat, &errindex, err, errlen);
	if (rc == SNMPIO_EREFUSED)
		snprintf(err, errlen, "switch %s refused %s: %s", dev->name, what,
		    snmpio_errstat_name(*errstat));
	return rc == SNMPIO_OK ? 0 : -1;
}

struct one_value {
	long ival;
	char str[SW_NAME_MAX * 8 + 1];
	int type;
};

static int
one_cb(const struct sw_vb *vb, void *ctx, char *err, size_t errlen)
{
	struct one_value *o = ctx;

	(void)err;
	(void)errlen;
	o->type = vb->type;
	o->ival = vb->ival;
	if (vb->type == SW_ASN_OCTET_STR) {
		size_t l = vb->val_len < sizeof(o->str) - 1 ? vb->val_len : sizeof(o->str) - 1;

		for (size_t i = 0; i < l; i++) /* an owner string is shown, keep it printable */
			o->str[i] = vb->val[i] >= 0x20 && vb->val[i] < 0x7f ? (char)vb->val[i] : '?';
		o->str[l] = '\0';
	}
	return 0;
}

static int
get_ctl(struct sw_dev *dev, int col, struct one_value *o, char *err, size_t errlen)
{
	struct snmpio_vb vb;

	memset(o, 0, sizeof(*o));
	ctl_vb_int(&vb, col, 0);
	return snmpio_get(dev->io, &vb, 1, one_cb, o, err, errlen);
}

static int
edit_weight(const struct sw_change *ch)
{
	return ch->op == SW_VLAN_CREATE ? 4 : 1;
}

static int
edit_varbinds(const struct sw_state *tgt, const struct sw_change *ch, struct snmpio_vb *vb)
{
	uint32_t idx[3] = { 0, VTP_DOMAIN, (uint32_t)ch->vlan };
	const uint32_t *e = sw_oid_vtpVlanEditEntry;
	const size_t elen = SW_OIDLEN_vtpVlanEditEntry;
	const char *name = tgt->vlan[ch->vlan].name;

	switch (ch->op) {
	case SW_VLAN_CREATE: {
		/* 802.10 SAID: 100000 + VLAN id, as IOS assigns it. */
		uint32_t said = 100000u + (uint32_t)ch->vlan;
		uint8_t s[4] = { (uint8_t)(said >> 24), (uint8_t)(said >> 16), (uint8_t)(said >> 8),
			(uint8_t)said };

		idx[0] = VTP_EDIT_ROWSTATUS;
		snmpio_vb_int(&vb[0], e, elen, idx, 3, SW_RS_CREATEANDGO);
		idx[0] = VTP_EDIT_TYPE;
		snmpio_vb_int(&vb[1], e, elen, idx, 3, 1 /* ethernet */);
		idx[0] = VTP_EDIT_NAME;
		snmpio_vb_str(&vb[2], e, elen, idx, 3, name, strlen(name));
		idx[0] = VTP_EDIT_SAID;
		snmpio_vb_str(&vb[3], e, elen, idx, 3, s, 4);
		return 4;
	}
	case SW_VLAN_NAME:
		idx[0] = VTP_EDIT_NAME;
		snmpio_vb_str(&vb[0], e, elen, idx, 3, name, strlen(name));
		return 1;
	case SW_VLAN_DESTROY:
		idx[0] = VTP_EDIT_ROWSTATUS;
		snmpio_vb_int(&vb[0], e, elen, idx, 3, SW_RS_DESTROY);
		return 1;
	default:
		return 0;
	}
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* One edit-buffer session over the VLAN changes ch[0..n). */
static int
vtp_edit(struct sw_dev *dev, const struct sw_state *tgt, const struct sw_change *ch, size_t n,
    char *err, size_t errlen)
{
	struct snmpio_vb ctl[2], *vbs = NULL;
	struct one_value o;
	size_t *ends = NULL, nb, start = 0;
	int errstat, rc = -1;
	char rerr[256];

	if (n == 0)
		return 0;
	ctl_vb_int(&ctl[0], VTP_EDIT_OPERATION, VTP_OP_COPY);
	{
		uint32_t idx[2] = { VTP_EDIT_OWNER, VTP_DOMAIN };

		snmpio_vb_str(&ctl[1], sw_oid_vtpEditControlEntry, SW_OIDLEN_vtpEditControlEntry,
		    idx, 2, dev->owner, strlen(dev->owner));
	}
	if (set_simple(dev, ctl, 2, "vtpVlanEditOperation copy (taking the edit buffer)",
	    &errstat, err, errlen) < 0) {
		if (errstat != 0 && get_ctl(dev, VTP_EDIT_OWNER, &o, rerr, sizeof(rerr)) == 0 &&
		    o.type == SW_ASN_OCTET_STR && o.str[0] != '\0' && strcmp(o.str, dev->owner))
			snprintf(err, errlen, "switch %s: the VTP edit buffer is busy, owned by '%s' "
			    "(vtpVlanEditOperation copy refused: %s)", dev->name, o.str,
			    snmpio_errstat_name(errstat));
		return -1;
	}
	if ((ends = calloc(n, sizeof(*ends))) == NULL ||
	    (vbs = calloc(n * 4, sizeof(*vbs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto release;
	}
	nb = sw_pack(ch, n, dev->max_varbinds, edit_weight, ends, n);
	for (size_t b = 0; b < nb; b++) {
		int nvb = 0, errindex;
		int owner[4 * 64];

		for (size_t i = start; i < ends[b]; i++) {
			int k = edit_varbinds(tgt, &ch[i], &vbs[nvb]);

			for (int j = 0; j < k && nvb + j < (int)ARRAY_LEN(owner); j++)
				owner[nvb + j] = (int)i;
			nvb += k;
		}
		int r = snmpio_set(dev->io, vbs, (size_t)nvb, &errstat, &errindex, err, errlen);
		if (r == SNMPIO_EREFUSED) {
			char what[128];
			int i = errindex >= 1 && errindex <= nvb && errindex <= (int)ARRAY_LEN(owner) ?
			    owner[errindex - 1] : (int)start;

			sw_change_describe(&ch[i], what, sizeof(what));
			snprintf(err, errlen, "switch %s refused an edit-buffer row (%s): %s",
			    dev->name, what, snmpio_errstat_name(errstat));
		}
		if (r != SNMPIO_OK)
			goto release;
		start = ends[b];
	}
	ctl_vb_int(&ctl[0], VTP_EDIT_OPERATION, VTP_OP_APPLY);
	if (set_simple(dev, ctl, 1, "vtpVlanEditOperation apply", &errstat, err, errlen) < 0)
		goto release;
	for (int i = 0;; i++) {
		if (get_ctl(dev, VTP_APPLY_STATUS, &o, err, errlen) < 0)
			goto release;
		if (o.type != SW_ASN_INTEGER) {
			snprintf(err, errlen, "switch %s: vtpVlanApplyStatus is not an INTEGER",
			    dev->name);
			goto release;
		}
		if (o.ival == VTP_APPLY_SUCCEEDED)
			break;
		if (o.ival != VTP_APPLY_INPROGRESS) {
			snprintf(err, errlen, "switch %s: applying the VTP edit buffer failed: "
			    "vtpVlanApplyStatus %s(%ld)", dev->name,
			    sw_vtp_apply_status_name(o.ival), o.ival);
			goto release;
		}
		if (i >= VTP_POLL_MAX) {
			snprintf(err, errlen, "switch %s: VTP apply still in progress after %d polls",
			    dev->name, VTP_POLL_MAX);
			goto release;
		}
		sleep_ms(dev->poll_ms);
	}
	rc = 0;
release:
	ctl_vb_int(&ctl[0], VTP_EDIT_OPERATION, VTP_OP_RELEASE);
	if (set_simple(dev, ctl, 1, "vtpVlanEditOperation release", &errstat, rerr,
	    sizeof(rerr)) < 0) {
		log_warn("%s", rerr);
		if (rc == 0) {
			str_copy(err, rerr, errlen);
			rc = -1;
		}
	}
	free(ends);
	free(vbs);
	return rc;
}

static int
pvid_weight(const struct sw_change *ch)
{
	(void)ch;
	return 1;
}

static int
set_ports(struct sw_dev *dev, const struct sw_state *tgt, const struct sw_change *ch, size_t n,
    char *err, size_t errlen)
{
	struct snmpio_vb *vbs;
	size_t *ends, nb, start = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	vbs = calloc(n, sizeof(*vbs));
	ends = calloc(n, sizeof(*ends));
	if (vbs == NULL || ends == NULL) {
		free(vbs);
		free(ends);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	nb = sw_pack(ch, n, dev->max_varbinds, pvid_weight, ends, n);
	for (size_t b = 0; b < nb && rc == 0; b++) {
		int errstat, errindex, k = 0;

		for (size_t i = start; i < ends[b]; i++) {
			uint32_t ifx = (uint32_t)tgt->ifindex[ch[i].port];

			if (ifx == 0) {
				snprintf(err, errlen, "switch %s: port %d has no ifIndex "
				    "(dot1dBasePortIfIndex)", dev->name, ch[i].port);
				rc = -1;
				break;
			}
			snmpio_vb_int(&vbs[k++], sw_oid_vmVlan, SW_OIDLEN_vmVlan, &ifx, 1, ch[i].vlan);
		}
		if (rc < 0)
			break;
		int r = snmpio_set(dev->io, vbs, (size_t)k, &errstat, &errindex, err, errlen);
		if (r == SNMPIO_EREFUSED) {
			const struct sw_change *c = &ch[start + (size_t)(errindex >= 1 &&
			    errindex <= k ? errindex - 1 : 0)];

			snprintf(err, errlen, "switch %s refused SET vmVlan.%d (port %d to VLAN %d): %s",
			    dev->name, tgt->ifindex[c->port], c->port, c->vlan,
			    snmpio_errstat_name(errstat));
		}
		if (r != SNMPIO_OK)
			rc = -1;
		start = ends[b];
	}
	free(vbs);
	free(ends);
	return rc;
}

static int
cs_apply(struct sw_dev *dev, const struct sw_state *tgt, const struct sw_change *ch, size_t n,
    char *err, size_t errlen)
{
	struct sw_change *vl = calloc(n, sizeof(*vl)), *pv = calloc(n, sizeof(*pv)),
	    *del = calloc(n, sizeof(*del));
	size_t nvl = 0, npv = 0, ndel = 0;
	int rc = -1;

	if (vl == NULL || pv == NULL || del == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Egress and untagged sets follow from vmVlan on these switches. */
	for (size_t i = 0; i < n; i++) {
		struct sw_change c = ch[i];

		c.phase = 0;
		if (c.op == SW_VLAN_CREATE || c.op == SW_VLAN_NAME)
			vl[nvl++] = c;
		else if (c.op == SW_PORT_PVID)
			pv[npv++] = c;
		else if (c.op == SW_VLAN_DESTROY)
			del[ndel++] = c;
	}
	if (vtp_edit(dev, tgt, vl, nvl, err, errlen) < 0 ||
	    set_ports(dev, tgt, pv, npv, err, errlen) < 0 ||
	    vtp_edit(dev, tgt, del, ndel, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	free(vl);
	free(pv);
	free(del);
	return rc;
}

const struct sw_driver sw_driver_cisco = {
	.name = "cisco",
	.read = cs_read,
	.apply = cs_apply,
};
