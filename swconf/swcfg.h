/* swcfg: the [testbed] db and one [switch:NAME] section of springos.ini,
 * checked key by key ("springos.ini:12: [switch:lab] ports: ..."). */
#ifndef SWCONF_SWCFG_H
#define SWCONF_SWCFG_H

#include <stddef.h>

struct swcfg {
	char db[512];
	char name[64];
	char driver[16];
	char address[128];
	int version;             /* 2 or 3 */
	char community[64];
	char user[64];
	char auth_proto[16];
	char auth_pass[128];
	char priv_proto[16];
	char priv_pass[128];
	int ports;
	int vlan_min, vlan_max;
	int timeout_ms;
	int retries;
	int max_varbinds;
	char owner[64];
	int poll_ms;
};

/* Load switch `name` from path.  Returns 0, or -1 with err. */
int swcfg_load(const char *path, const char *name, struct swcfg *out, char *err, size_t errlen);

#endif
