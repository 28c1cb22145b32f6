/* qbridge: the standard Q-BRIDGE-MIB (RFC 4363) driver.
 *
 * Reads dot1dBasePortIfIndex (RFC 4188), dot1qVlanStaticTable and
 * dot1qPvid.  Writes with dot1qVlanStaticRowStatus createAndGo (with the
 * row's name, egress and untagged ports in the same request, as RFC 2579
 * section 7.1.3 allows), the PortList columns of existing rows, dot1qPvid,
 * and RowStatus destroy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "swdev.h"
#include "util.h"

static int
absorb_cb(const struct sw_vb *vb, void *ctx, char *err, size_t errlen)
{
	struct sw_dev *dev = ((void **)ctx)[0];
	struct sw_state *st = ((void **)ctx)[1];
	char why[256];

	if (sw_absorb_qbridge(st, vb, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "switch %s: bad answer: %s", dev->name, why);
		return -1;
	}
	return 0;
}

static int
qb_read(struct sw_dev *dev, struct sw_state *st, char *err, size_t errlen)
{
	void *ctx[2] = { dev, st };

	if (snmpio_walk(dev->io, sw_oid_dot1dBasePortIfIndex, SW_OIDLEN_dot1dBasePortIfIndex,
	    absorb_cb, ctx, err, errlen) < 0)
		return -1;
	if (snmpio_walk(dev->io, sw_oid_dot1qVlanStaticEntry, SW_OIDLEN_dot1qVlanStaticEntry,
	    absorb_cb, ctx, err, errlen) < 0)
		return -1;
	if (snmpio_walk(dev->io, sw_oid_dot1qPvid, SW_OIDLEN_dot1qPvid, absorb_cb, ctx, err,
	    errlen) < 0)
		return -1;
	return 0;
}

static int
qb_weight(const struct sw_change *ch)
{
	return ch->op == SW_VLAN_CREATE ? 4 : 1;
}

/* The varbinds of one change; returns how many (at most 4). */
static int
qb_varbinds(const struct sw_dev *dev, const struct sw_state *tgt, const struct sw_change *ch,
    struct snmpio_vb *vb)
{
	uint32_t idx[2];
	const struct sw_vlan *v = &tgt->vlan[ch->vlan];
	size_t plen = sw_portlist_len(dev->nports);
	const uint32_t *e = sw_oid_dot1qVlanStaticEntry;
	const size_t elen = SW_OIDLEN_dot1qVlanStaticEntry;

	idx[1] = (uint32_t)ch->vlan;
	switch (ch->op) {
	case SW_VLAN_CREATE:
		idx[0] = SW_COL_ROWSTATUS;
		snmpio_vb_int(&vb[0], e, elen, idx, 2, SW_RS_CREATEANDGO);
		idx[0] = SW_COL_NAME;
		snmpio_vb_str(&vb[1], e, elen, idx, 2, v->name, strlen(v->name));
		idx[0] = SW_COL_EGRESS;
		snmpio_vb_str(&vb[2], e, elen, idx, 2, v->egress, plen);
		idx[0] = SW_COL_UNTAGGED;
		snmpio_vb_str(&vb[3], e, elen, idx, 2, v->untagged, plen);
		return 4;
	case SW_VLAN_NAME:
		idx[0] = SW_COL_NAME;
		snmpio_vb_str(&vb[0], e, elen, idx, 2, v->name, strlen(v->name));
		return 1;
	case SW_VLAN_EGRESS:
		idx[0] = SW_COL_EGRESS;
		snmpio_vb_str(&vb[0], e, elen, idx, 2, v->egress, plen);
		return 1;
	case SW_VLAN_UNTAGGED:
		idx[0] = SW_COL_UNTAGGED;
		snmpio_vb_str(&vb[0], e, elen, idx, 2, v->untagged, plen);
		return 1;
	case SW_PORT_PVID:
		idx[0] = (uint32_t)ch->port;
		/* dot1qPvid is a VlanIndex, an Unsigned32 (RFC 4363). */
		snmpio_vb_int(&vb[0], sw_oid_dot1qPvid, SW_OIDLEN_dot1qPvid, idx, 1, ch->vlan);
		vb[0].type = SW_ASN_GAUGE;
		return 1;
	case SW_VLAN_DESTROY:
		idx[0] = SW_COL_ROWSTATUS;
		snmpio_vb_int(&vb[0], e, elen, idx, 2, SW_RS_DESTROY);
		return 1;
	}
	return 0;
}

static const char *
qb_object(const struct snmpio_vb *vb)
{
	if (sw_oid_has_prefix(vb->name, vb->name_len, sw_oid_dot1qPvid, SW_OIDLEN_dot1qPvid))
		return "dot1qPvid";
	switch (vb->name[SW_OIDLEN_dot1qVlanStaticEntry]) {
	case SW_COL_NAME: return "dot1qVlanStaticName";
	case SW_COL_EGRESS: return "dot1qVlanStaticEgressPorts";
	case SW_COL_UNTAGGED: return "dot1qVlanStaticUntaggedPorts";
	case SW_COL_ROWSTATUS: return "dot1qVlanStaticRowStatus";
	}
	return "?";
}

static int
qb_create_alone(struct sw_dev *dev, int vlan, char *err, size_t errlen)
{
	struct snmpio_vb vb;
	uint32_t idx[2] = { SW_COL_ROWSTATUS, (uint32_t)vlan };
	int errstat, errindex, rc;

	snmpio_vb_int(&vb, sw_oid_dot1qVlanStaticEntry, SW_OIDLEN_dot1qVlanStaticEntry, idx, 2,
	    SW_RS_CREATEANDGO);
	rc = snmpio_set(dev->io, &vb, 1, &errstat, &errindex, err, errlen);
	if (rc == SNMPIO_EREFUSED)
		snprintf(err, errlen, "switch %s refused SET dot1qVlanStaticRowStatus.%d (create VLAN "
		    "%d): %s", dev->name, vlan, vlan, snmpio_errstat_name(errstat));
	return rc == SNMPIO_OK ? 0 : -1;
}

/* Send ch[0..n) as one SET; a switch that answers tooBig gets the batch
 * in two halves (RFC 3416 section 4.2.5), down to one change. */
static int
qb_send(struct sw_dev *dev, const struct sw_state *tgt, const struct sw_change *ch, size_t n,
    char *err, size_t errlen)
{
	struct snmpio_vb *vbs;
	int *owner, nvb = 0, errstat, errindex, rc;

	if ((vbs = calloc(n * 4, sizeof(*vbs))) == NULL ||
	    (owner = calloc(n * 4, sizeof(*owner))) == NULL) {
		free(vbs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int k = qb_varbinds(dev, tgt, &ch[i], &vbs[nvb]);

		for (int j = 0; j < k; j++)
			owner[nvb + j] = (int)i;
		nvb += k;
	}
	rc = snmpio_set(dev->io, vbs, (size_t)nvb, &errstat, &errindex, err, errlen);
	if (rc == SNMPIO_EREFUSED && errstat == 1 /* tooBig */ && n > 1) {
		free(vbs);
		free(owner);
		log_info("switch %s: %zu changes too big for one request, splitting", dev->name, n);
		/* Later requests of this run are packed to the size that fits;
		 * a group stays whole when it can. */
		size_t half = n / 2;

		while (half > 1 && ch[half].group != 0 && ch[half].group == ch[half - 1].group)
			half--;
		dev->max_varbinds = nvb / 2 > 0 ? nvb / 2 : 1;
		if (qb_send(dev, tgt, ch, half, err, errlen) < 0)
			return -1;
		return qb_send(dev, tgt, ch + half, n - half, err, errlen);
	}
	if (rc == SNMPIO_EREFUSED && errstat == 1 && n == 1 && ch[0].op == SW_VLAN_CREATE) {
		/* Not even one row fits: createAndGo alone (RFC 2579 lets
		 * the other columns take their defaults), then the columns. */
		struct sw_change cols[3] = {
			{ SW_VLAN_NAME, 1, ch[0].vlan, 0, 0 },
			{ SW_VLAN_EGRESS, 1, ch[0].vlan, 0, 0 },
			{ SW_VLAN_UNTAGGED, 1, ch[0].vlan, 0, 0 },
		};

		free(vbs);
		free(owner);
		log_info("switch %s: creating VLAN %d column by column", dev->name, ch[0].vlan);
		dev->max_varbinds = 1;
		if ((rc = qb_create_alone(dev, ch[0].vlan, err, errlen)) < 0)
			return -1;
		return qb_send(dev, tgt, cols, 3, err, errlen);
	}
	if (rc == SNMPIO_EREFUSED) {
		char what[128], oid[256];
		int i = errindex >= 1 && errindex <= nvb ? errindex - 1 : 0;

		sw_change_describe(&ch[owner[i]], what, sizeof(what));
		snprintf(oid, sizeof(oid), ".%u", vbs[i].name[vbs[i].name_len - 1]);
		snprintf(err, errlen, "switch %s refused SET %s%s (%s): %s", dev->name,
		    qb_object(&vbs[i]), oid, what, snmpio_errstat_name(errstat));
	}
	free(vbs);
	free(owner);
	return rc == SNMPIO_OK ? 0 : -1;
}

static int
qb_apply(struct sw_dev *dev, const struct sw_state *tgt, const struct sw_change *ch, size_t n,
    char *err, size_t errlen)
{
	size_t *ends, start = 0;
	int rc = 0;

	if ((ends = calloc(n, sizeof(*ends))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Pack what is left before every request: a tooBig answer lowers
	 * max_varbinds for the rest of the run. */
	while (start < n && rc == 0) {
		if (sw_pack(ch + start, n - start, dev->max_varbinds, qb_weight, ends,
		    n - start) == 0) {
			snprintf(err, errlen, "switch %s: cannot pack the changes", dev->name);
			rc = -1;
			break;
		}
		rc = qb_send(dev, tgt, ch + start, ends[0], err, errlen);
		start += ends[0];
	}
	free(ends);
	return rc;
}

const struct sw_driver sw_driver_qbridge = {
	.name = "qbridge",
	.read = qb_read,
	.apply = qb_apply,
};
