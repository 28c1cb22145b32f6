#include <stdio.h>
#include <string.h>

#include "config.h"
#include "swcfg.h"
#include "util.h"

/* Everything was checked against lib/config.c's schema by conf_load;
 * what is left are the rules that span keys. */
int
swcfg_load(const char *path, const char *name, struct swcfg *c, char *err, size_t errlen)
{
	struct conf *conf;
	const char *names[256];
	char sec[96];
	size_t n, i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (conf_load(path, &conf, err, errlen) < 0)
		return -1;
	snprintf(sec, sizeof(sec), "switch:%s", name);
	/* conf_instances hands back whole section names ("switch:lab")
	 * although config.h says NAMEs: accept either. */
	n = conf_instances(conf, "switch", names, ARRAY_LEN(names));
	for (i = 0; i < n && i < ARRAY_LEN(names); i++)
		if (strcmp(names[i], name) == 0 || strcmp(names[i], sec) == 0)
			break;
	if (i == n || i == ARRAY_LEN(names)) {
		snprintf(err, errlen, "%s: no [switch:%s] section", path, name);
		goto out;
	}
#define STR(f) str_copy(c->f, conf_str(conf, sec, #f), sizeof(c->f))
	str_copy(c->db, conf_str(conf, "testbed", "db"), sizeof(c->db));
	str_copy(c->name, name, sizeof(c->name));
	STR(driver);
	STR(address);
	STR(community);
	STR(user);
	STR(auth_proto);
	STR(auth_pass);
	STR(priv_proto);
	STR(priv_pass);
	STR(owner);
#undef STR
	c->version = strcmp(conf_str(conf, sec, "version"), "3") == 0 ? 3 : 2;
	c->ports = (int)conf_int(conf, sec, "ports");
	c->vlan_min = (int)conf_int(conf, sec, "vlan_min");
	c->vlan_max = (int)conf_int(conf, sec, "vlan_max");
	c->timeout_ms = (int)conf_int(conf, sec, "timeout_ms");
	c->retries = (int)conf_int(conf, sec, "retries");
	c->max_varbinds = (int)conf_int(conf, sec, "max_varbinds");
	c->poll_ms = (int)conf_int(conf, sec, "poll_ms");
	if (c->ports < 1 || c->ports > 512) {
		snprintf(err, errlen, "%s: [%s] ports: swconf needs the port count, 1-512 (got %d)",
		    path, sec, c->ports);
		goto out;
	}
	if (c->vlan_min < 2 || c->vlan_min > c->vlan_max) {
		snprintf(err, errlen, "%s: [%s] vlan_min-vlan_max %d-%d: expected 2 <= vlan_min <= "
		    "vlan_max (VLAN 1 is the default VLAN)", path, sec, c->vlan_min, c->vlan_max);
		goto out;
	}
	if (c->version == 3 && (c->user[0] == '\0' || c->auth_pass[0] == '\0' ||
	    c->priv_pass[0] == '\0')) {
		snprintf(err, errlen, "%s: [%s] version 3 needs user, auth_pass and priv_pass", path,
		    sec);
		goto out;
	}
	rc = 0;
out:
	conf_free(conf);
	return rc;
}
