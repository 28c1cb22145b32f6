/* swdev: one switch behind a driver, and the transaction that takes it
 * from what it reports to a target state.
 *
 * A transaction: compute the changes (sw_diff), let the driver send them
 * in as few SET requests as the switch allows, read the switch back and
 * compare with the target.  On any failure (a refused SET, a timeout
 * after the retries, a read-back that differs) the switch is read again
 * and driven back to the state it reported before, then read back once
 * more; the error names the switch, the object and the port or VLAN. */
#ifndef SWCONF_SWDEV_H
#define SWCONF_SWDEV_H

#include <stddef.h>

#include "snmpio.h"
#include "swmodel.h"

struct sw_dev;

struct sw_driver {
	const char *name;
	/* Read the whole VLAN configuration into st (nports set by caller). */
	int (*read)(struct sw_dev *dev, struct sw_state *st, char *err, size_t errlen);
	/* Send changes ch[0..n) whose values come from tgt. */
	int (*apply)(struct sw_dev *dev, const struct sw_state *tgt, const struct sw_change *ch,
	    size_t n, char *err, size_t errlen);
};

extern const struct sw_driver sw_driver_qbridge;
extern const struct sw_driver sw_driver_cisco;
const struct sw_driver *sw_driver_find(const char *name);

struct sw_dev {
	const struct sw_driver *drv;
	struct snmpio *io;
	char name[64];
	int nports;
	int max_varbinds;     /* per SET request */
	char owner[64];       /* cisco: our name in vtpVlanEditBufferOwner */
	int poll_ms;          /* cisco: wait between apply-status polls */
	int naive;            /* one SET request per port (benchmark baseline) */
};

/* Read the switch into a new state (caller frees), checked with
 * sw_state_check. */
int sw_dev_read(struct sw_dev *dev, struct sw_state **out, char *err, size_t errlen);

struct sw_txn_result {
	int changes;          /* how many changes the diff had */
	int rolled_back;      /* 1: failed, switch restored; -1: restore failed */
};

/* Drive the switch from before (what it reported) to target.  Returns 0,
 * or -1 with err saying what failed and whether the switch was restored. */
int sw_transact(struct sw_dev *dev, const struct sw_state *before, const struct sw_state *target,
    struct sw_txn_result *res, char *err, size_t errlen);

/* Helpers the drivers share: describe a change for an error message. */
void sw_change_describe(const struct sw_change *ch, char *buf, size_t len);

#endif
