/* swplan: an experiment's switch plan, as master hands it to swconf.
 *
 *   {"experiment": "exp1", "switch": "lab",
 *    "networks": [{"name": "ethnet-0", "vlan": 100, "ports": [1, 2]},
 *                 {"name": "ethnet-1", "ports": [3, 4]}]}
 *
 * "vlan" is optional: without it an id is taken from the switch's range.
 * Every network becomes one VLAN; its ports become access ports of it.
 * The parser is pure over (buf, len) and strict: unknown keys, duplicate
 * keys, names, VLANs or ports are errors that say where. */
#ifndef SWCONF_SWPLAN_H
#define SWCONF_SWPLAN_H

#include <stddef.h>

#include "swmodel.h"

#define PLAN_MAX_SIZE (1u << 20)
#define PLAN_MAX_NETS 256
#define PLAN_NAME_MAX 64

struct plan_net {
	char name[SW_NAME_MAX + 1];
	int vlan;                 /* 0: allocate */
	int nports;
	int ports[SW_MAX_PORTS];
};

struct sw_plan {
	char experiment[PLAN_NAME_MAX];
	char sw[PLAN_NAME_MAX];
	int nnets;
	struct plan_net nets[PLAN_MAX_NETS];
};

/* Parse into *out (caller frees with plan_free).  Returns 0, or -1 with
 * err. */
int plan_parse(const char *buf, size_t len, struct sw_plan **out, char *err, size_t errlen);
void plan_free(struct sw_plan *plan);

#endif
