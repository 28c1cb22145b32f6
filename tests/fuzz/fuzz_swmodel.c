/* libFuzzer harness for what swconf reads from a switch: any sequence of
 * varbinds (any OID under the objects we read, any type, any length) fed
 * to the Q-BRIDGE and Cisco readers, then the checks, the diff and the
 * packing over whatever state came out.  No crash, no leak, no overrun.
 *
 * Input: byte 0 = number of ports; then records of
 *   [base 1][n 1][n x subid 2, big-endian][type 1][len 2][len bytes]. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../swconf/swmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
weight(const struct sw_change *ch)
{
	return ch->op == SW_VLAN_CREATE ? 4 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct { const uint32_t *oid; size_t len; } bases[] = {
		{ sw_oid_dot1dBasePortIfIndex, SW_OIDLEN_dot1dBasePortIfIndex },
		{ sw_oid_dot1qVlanStaticEntry, SW_OIDLEN_dot1qVlanStaticEntry },
		{ sw_oid_dot1qPvid, SW_OIDLEN_dot1qPvid },
		{ sw_oid_vtpVlanEntry, SW_OIDLEN_vtpVlanEntry },
		{ sw_oid_vmVlan, SW_OIDLEN_vmVlan },
		{ sw_oid_dot1dBaseNumPorts, 0 },
	};
	struct sw_state *q, *c;
	struct sw_change *ch;
	size_t off = 1, ends[64];
	char err[256], list[600];

	if (size < 1)
		return 0;
	q = sw_state_new(data[0] % 64 + 1);
	c = sw_state_new(data[0] % 64 + 1);
	ch = calloc(SW_MAX_CHANGES, sizeof(*ch));
	if (q == NULL || c == NULL || ch == NULL)
		goto out;
	while (off + 2 <= size) {
		uint32_t name[SW_OID_MAX + 8];
		size_t b = data[off] % (sizeof(bases) / sizeof(bases[0])), n = data[off + 1] % 8;
		size_t len = bases[b].len;
		struct sw_vb vb;

		off += 2;
		memcpy(name, bases[b].oid, bases[b].len * sizeof(uint32_t));
		for (size_t i = 0; i < n && off + 2 <= size; i++, off += 2)
			name[len++] = (uint32_t)data[off] << 8 | data[off + 1];
		if (off + 3 > size)
			break;
		memset(&vb, 0, sizeof(vb));
		vb.name = name;
		vb.name_len = len;
		vb.type = data[off];
		vb.val_len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (vb.val_len > size - off)
			vb.val_len = size - off;
		vb.val = data + off;
		for (size_t i = 0; i < 4 && i < vb.val_len; i++)
			vb.ival = vb.ival << 8 | data[off + i];
		if (vb.val_len > 0 && (data[off] & 0x80))
			vb.ival = -vb.ival;
		off += vb.val_len;
		(void)sw_absorb_qbridge(q, &vb, err, sizeof(err));
		(void)sw_absorb_qbridge(c, &vb, err, sizeof(err));
		(void)sw_absorb_cisco(c, &vb, err, sizeof(err));
	}
	sw_cisco_members(c);
	(void)sw_state_check(q, err, sizeof(err));
	(void)sw_state_check(c, err, sizeof(err));
	(void)sw_state_equal(q, c, err, sizeof(err));
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++)
		if (q->vlan[v].present)
			sw_portlist_format(q->vlan[v].egress, q->nports, list, sizeof(list));
	int nch = sw_diff(q, c, ch, SW_MAX_CHANGES);
	if (nch > 0)
		(void)sw_pack(ch, (size_t)nch, 1 + data[0] % 16, weight, ends, 64);
	sw_remove_vlan(c, 100);
	sw_make_access(c, 1, SW_DEFAULT_VLAN);
out:
	free(ch);
	sw_state_free(q);
	sw_state_free(c);
	return 0;
}
