/* swmodel: what a switch's VLAN configuration is, independent of SNMP.
 *
 * A switch is a set of VLANs (id 1..4094, a name, an egress and an
 * untagged port set) and, per port, its PVID (RFC 4363 section 5,
 * dot1qVlanStaticTable and dot1qPortVlanTable).  An experiment network is
 * one VLAN whose member ports are access ports: untagged members of that
 * VLAN only, with the VLAN as their PVID.
 *
 * Everything here is pure: it reads what an agent returned (hostile: every
 * OID, type and length is checked), computes targets and the difference
 * between two states, and packs changes into SET requests.  The drivers
 * (qbridge, cisco) turn changes into varbinds; vswitch-agent serves the
 * same model. */
#ifndef SWCONF_SWMODEL_H
#define SWCONF_SWMODEL_H

#include <stddef.h>
#include <stdint.h>

#define SW_VLAN_MIN 1
#define SW_VLAN_MAX 4094
#define SW_MAX_PORTS 512            /* highest bridge port number we manage */
#define SW_PORTLIST_LEN (SW_MAX_PORTS / 8)
#define SW_PORTLIST_WIRE_MAX 1024   /* longest PortList accepted from an agent */
#define SW_NAME_MAX 32              /* dot1qVlanStaticName SIZE (0..32) */
#define SW_DEFAULT_VLAN 1
#define SW_OID_MAX 128

struct sw_vlan {
	uint8_t present;
	char name[SW_NAME_MAX + 1];
	uint8_t egress[SW_PORTLIST_LEN];
	uint8_t untagged[SW_PORTLIST_LEN];
};

/* About 700 KB: allocate with sw_state_new(), never on the stack. */
struct sw_state {
	int nports;                       /* ports 1..nports exist */
	int ifindex[SW_MAX_PORTS + 1];    /* bridge port -> ifIndex, 0 unknown */
	int pvid[SW_MAX_PORTS + 1];       /* 0 = not reported */
	struct sw_vlan vlan[SW_VLAN_MAX + 1];
};

struct sw_state *sw_state_new(int nports);
void sw_state_free(struct sw_state *st);
void sw_state_copy(struct sw_state *dst, const struct sw_state *src);
int sw_state_equal(const struct sw_state *a, const struct sw_state *b, char *why, size_t whylen);
size_t sw_state_nvlans(const struct sw_state *st);

/* PortList (RFC 4363 section 3, PortList TC): octet i bit 7 is port
 * 8*i+1.  Ports are 1-based. */
int sw_port_get(const uint8_t *list, int port);
void sw_port_set(uint8_t *list, int port, int on);
/* Decode a PortList of wire length len into out (SW_PORTLIST_LEN bytes).
 * A list longer than SW_PORTLIST_WIRE_MAX, or naming a port above
 * nports, is refused. */
int sw_portlist_decode(const uint8_t *buf, size_t len, int nports, uint8_t *out,
    char *err, size_t errlen);
/* Encoded length for nports: ceil(nports / 8). */
size_t sw_portlist_len(int nports);
/* "1-4,7" into buf. */
void sw_portlist_format(const uint8_t *list, int nports, char *buf, size_t len);

/* Objects of BRIDGE-MIB (RFC 4188) and Q-BRIDGE-MIB (RFC 4363). */
extern const uint32_t sw_oid_dot1dBaseNumPorts[];     /* .0 scalar */
extern const uint32_t sw_oid_dot1dBasePortIfIndex[];  /* column, index port */
extern const uint32_t sw_oid_dot1qVlanStaticEntry[];  /* + column + vlan */
extern const uint32_t sw_oid_dot1qPvid[];             /* column, index port */
#define SW_OIDLEN_dot1dBaseNumPorts 10
#define SW_OIDLEN_dot1dBasePortIfIndex 11
#define SW_OIDLEN_dot1qVlanStaticEntry 12
#define SW_OIDLEN_dot1qPvid 13
enum {
	SW_COL_NAME = 1, SW_COL_EGRESS = 2, SW_COL_FORBIDDEN = 3, SW_COL_UNTAGGED = 4,
	SW_COL_ROWSTATUS = 5
};
/* RowStatus (RFC 2579). */
enum { SW_RS_ACTIVE = 1, SW_RS_NOTINSERVICE = 2, SW_RS_NOTREADY = 3, SW_RS_CREATEANDGO = 4,
	SW_RS_CREATEANDWAIT = 5, SW_RS_DESTROY = 6 };

/* ASN.1 tags as they appear in a varbind (so the pure code needs no
 * net-snmp header). */
#define SW_ASN_INTEGER 0x02
#define SW_ASN_OCTET_STR 0x04
#define SW_ASN_GAUGE 0x42

/* A varbind as the pure code sees it. */
struct sw_vb {
	const uint32_t *name;
	size_t name_len;
	int type;
	const uint8_t *val;   /* octet strings */
	size_t val_len;
	long ival;            /* integers */
};

int sw_oid_has_prefix(const uint32_t *name, size_t len, const uint32_t *prefix, size_t plen);
int sw_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen);
void sw_oid_format(const uint32_t *name, size_t len, char *buf, size_t buflen);

/* Take one varbind an agent returned for the Q-BRIDGE objects above into
 * st.  Returns 0 when absorbed, 1 when the object is not one we read
 * (ignored), -1 when it is malformed (err says which object and why). */
int sw_absorb_qbridge(struct sw_state *st, const struct sw_vb *vb, char *err, size_t errlen);
/* After a full read: every PVID names a present VLAN, ports within
 * range.  Returns 0 or -1 with err. */
int sw_state_check(const struct sw_state *st, char *err, size_t errlen);

/* Targets.  Make port an access port of vlan (which must be present in
 * st): untagged member of it, member of no other VLAN, PVID vlan. */
void sw_make_access(struct sw_state *st, int port, int vlan);
/* Remove vlan; its access ports go back to the default VLAN. */
void sw_remove_vlan(struct sw_state *st, int vlan);

/* Changes from one state to another, in the order a switch can take
 * them: phase 0 creates VLANs (with their final members), phase 1 edits
 * names, member sets and PVIDs, phase 2 destroys VLANs no port uses.
 * Within a VLAN, egress and untagged sets are ordered so that untagged
 * stays within egress after each (RFC 4363 section 5), or grouped when
 * no order can. */
enum sw_op { SW_VLAN_CREATE, SW_VLAN_NAME, SW_VLAN_EGRESS, SW_VLAN_UNTAGGED, SW_PORT_PVID,
	SW_VLAN_DESTROY };
struct sw_change {
	enum sw_op op;
	int phase;
	int vlan;
	int port;   /* SW_PORT_PVID */
	int group;  /* non-zero: goes in the same request as the change
	             * before it with the same group (a VLAN's egress and
	             * untagged sets, whose order alone cannot keep
	             * untagged within egress at every step) */
};
#define SW_MAX_CHANGES (3 * (SW_VLAN_MAX + 1) + SW_MAX_PORTS + 8)
/* Writes at most max changes; returns how many, or -1 if more. */
int sw_diff(const struct sw_state *from, const struct sw_state *to, struct sw_change *out,
    size_t max);
const char *sw_op_name(enum sw_op op);

/* Group changes into SET requests of at most max_vb varbinds each
 * (weight(change) varbinds per change), never mixing phases, never
 * splitting a change or a group.  batch_end[i] is the index one past the last
 * change of batch i; returns the number of batches.  A change heavier
 * than max_vb gets a batch of its own. */
typedef int (*sw_weight_fn)(const struct sw_change *ch);
size_t sw_pack(const struct sw_change *ch, size_t n, int max_vb, sw_weight_fn weight,
    size_t *batch_end, size_t max_batches);


/* CISCO-VTP-MIB (1.3.6.1.4.1.9.9.46) and CISCO-VLAN-MEMBERSHIP-MIB
 * (1.3.6.1.4.1.9.9.68), management domain 1. */
extern const uint32_t sw_oid_vtpVlanEntry[];          /* + column + domain + vlan */
extern const uint32_t sw_oid_vtpEditControlEntry[];   /* + column + domain */
extern const uint32_t sw_oid_vtpVlanEditEntry[];      /* + column + domain + vlan */
extern const uint32_t sw_oid_vmVlan[];                /* + ifIndex */
#define SW_OIDLEN_vtpVlanEntry 13
#define SW_OIDLEN_vtpEditControlEntry 13
#define SW_OIDLEN_vtpVlanEditEntry 13
#define SW_OIDLEN_vmVlan 14
enum { VTP_COL_STATE = 2, VTP_COL_TYPE = 3, VTP_COL_NAME = 4 };
enum { VTP_EDIT_OPERATION = 1, VTP_APPLY_STATUS = 2, VTP_EDIT_OWNER = 3 };
enum { VTP_EDIT_STATE = 2, VTP_EDIT_TYPE = 3, VTP_EDIT_NAME = 4, VTP_EDIT_SAID = 6,
	VTP_EDIT_ROWSTATUS = 11 };
enum { VTP_OP_NONE = 1, VTP_OP_COPY = 2, VTP_OP_APPLY = 3, VTP_OP_RELEASE = 4 };
enum { VTP_APPLY_INPROGRESS = 1, VTP_APPLY_SUCCEEDED = 2 };
const char *sw_vtp_apply_status_name(long status);

/* Absorb one varbind of vtpVlanTable (state, name) or vmVlan.  vmVlan is
 * keyed by ifIndex: st->ifindex must already hold the port map; an
 * ifIndex of no bridge port is ignored.  Returns as sw_absorb_qbridge. */
int sw_absorb_cisco(struct sw_state *st, const struct sw_vb *vb, char *err, size_t errlen);
/* After vmVlan: each port is an untagged member of its vmVlan. */
void sw_cisco_members(struct sw_state *st);

#endif
