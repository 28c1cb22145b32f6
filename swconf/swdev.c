#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "swdev.h"
#include "util.h"

const struct sw_driver *
sw_driver_find(const char *name)
{
	if (strcmp(name, "qbridge") == 0)
		return &sw_driver_qbridge;
	if (strcmp(name, "cisco") == 0)
		return &sw_driver_cisco;
	return NULL;
}

void
sw_change_describe(const struct sw_change *ch, char *buf, size_t len)
{
	if (ch->op == SW_PORT_PVID)
		snprintf(buf, len, "%s %d to %d", sw_op_name(ch->op), ch->port, ch->vlan);
	else
		snprintf(buf, len, "%s %d", sw_op_name(ch->op), ch->vlan);
}

int
sw_dev_read(struct sw_dev *dev, struct sw_state **out, char *err, size_t errlen)
{
	struct sw_state *st;
	char why[256];

	*out = NULL;
	if ((st = sw_state_new(dev->nports)) == NULL) {
		snprintf(err, errlen, "switch %s: out of memory", dev->name);
		return -1;
	}
	if (dev->drv->read(dev, st, err, errlen) < 0) {
		sw_state_free(st);
		return -1;
	}
	if (sw_state_check(st, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "switch %s reports an inconsistent configuration: %s",
		    dev->name, why);
		sw_state_free(st);
		return -1;
	}
	*out = st;
	return 0;
}

static int
apply_diff(struct sw_dev *dev, const struct sw_state *from, const struct sw_state *to,
    int *nchanges, char *err, size_t errlen)
{
	struct sw_change *ch;
	int n, rc;

	if ((ch = calloc(SW_MAX_CHANGES, sizeof(*ch))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = sw_diff(from, to, ch, SW_MAX_CHANGES);
	if (nchanges)
		*nchanges = n;
	if (n < 0) {
		snprintf(err, errlen, "switch %s: too many changes", dev->name);
		free(ch);
		return -1;
	}
	rc = n == 0 ? 0 : dev->drv->apply(dev, to, ch, (size_t)n, err, errlen);
	free(ch);
	return rc;
}

/* The baseline a simple script would be: create each VLAN empty, then
 * move one port per SET request, then delete. */
static int
apply_naive(struct sw_dev *dev, const struct sw_state *before, const struct sw_state *target,
    int *nchanges, char *err, size_t errlen)
{
	struct sw_state *cur = sw_state_new(dev->nports), *next = sw_state_new(dev->nports);
	int rc = -1, n;

	*nchanges = 0;
	if (cur == NULL || next == NULL)
		goto out;
	sw_state_copy(cur, before);
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		if (!target->vlan[v].present || cur->vlan[v].present)
			continue;
		sw_state_copy(next, cur);
		next->vlan[v].present = 1;
		memcpy(next->vlan[v].name, target->vlan[v].name, sizeof(next->vlan[v].name));
		if (apply_diff(dev, cur, next, &n, err, errlen) < 0)
			goto out;
		*nchanges += n;
		sw_state_copy(cur, next);
	}
	for (int p = 1; p <= dev->nports; p++) {
		int v = target->pvid[p];

		if (v == 0)
			continue;
		sw_state_copy(next, cur);
		sw_make_access(next, p, v);
		if (apply_diff(dev, cur, next, &n, err, errlen) < 0)
			goto out;
		*nchanges += n;
		sw_state_copy(cur, next);
	}
	if (apply_diff(dev, cur, target, &n, err, errlen) < 0)
		goto out;
	*nchanges += n;
	rc = 0;
out:
	sw_state_free(cur);
	sw_state_free(next);
	return rc;
}

int
sw_transact(struct sw_dev *dev, const struct sw_state *before, const struct sw_state *target,
    struct sw_txn_result *res, char *err, size_t errlen)
{
	struct sw_state *after = NULL, *now = NULL;
	char why[256], rerr[512];
	int rc;

	memset(res, 0, sizeof(*res));
	rc = dev->naive ? apply_naive(dev, before, target, &res->changes, err, errlen) :
	    apply_diff(dev, before, target, &res->changes, err, errlen);
	if (rc == 0 && res->changes == 0)
		return 0;
	if (rc == 0) {
		if (sw_dev_read(dev, &after, err, errlen) < 0)
			rc = -1;
		else if (!sw_state_equal(after, target, why, sizeof(why))) {
			snprintf(err, errlen, "switch %s: read-back differs from what was set: %s",
			    dev->name, why);
			rc = -1;
		}
		sw_state_free(after);
		if (rc == 0)
			return 0;
	}

	/* Roll back: from what the switch says now to what it said before. */
	log_warn("%s; rolling switch %s back", err, dev->name);
	res->rolled_back = -1;
	if (sw_dev_read(dev, &now, rerr, sizeof(rerr)) < 0 ||
	    apply_diff(dev, now, before, NULL, rerr, sizeof(rerr)) < 0) {
		sw_state_free(now);
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, "; ROLLBACK FAILED: %s", rerr);
		return -1;
	}
	sw_state_free(now);
	now = NULL;
	if (sw_dev_read(dev, &now, rerr, sizeof(rerr)) < 0 ||
	    !sw_state_equal(now, before, rerr, sizeof(rerr))) {
		sw_state_free(now);
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, "; ROLLBACK INCOMPLETE: %s", rerr);
		return -1;
	}
	sw_state_free(now);
	res->rolled_back = 1;
	size_t l = strlen(err);
	snprintf(err + l, errlen - l, "; switch %s rolled back to its previous state", dev->name);
	return -1;
}
