#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swplan.h"
#include "util.h"

static int
name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
parse_net(json_t *jn, int i, struct plan_net *net, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(jn)) {
		snprintf(err, errlen, "networks[%d]: expected an object", i);
		return -1;
	}
	json_object_foreach(jn, key, v) {
		if (strcmp(key, "name") == 0) {
			if (!json_is_string(v) || !name_ok(json_string_value(v), SW_NAME_MAX) ||
			    strlen(json_string_value(v)) != json_string_length(v)) {
				snprintf(err, errlen, "networks[%d].name: expected a printable string of "
				    "1-%d bytes", i, SW_NAME_MAX);
				return -1;
			}
			str_copy(net->name, json_string_value(v), sizeof(net->name));
		} else if (strcmp(key, "vlan") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < SW_VLAN_MIN ||
			    json_integer_value(v) > SW_VLAN_MAX) {
				snprintf(err, errlen, "networks[%d].vlan: expected an integer 1-4094", i);
				return -1;
			}
			net->vlan = (int)json_integer_value(v);
		} else if (strcmp(key, "ports") == 0) {
			size_t k;
			json_t *p;

			if (!json_is_array(v) || json_array_size(v) > SW_MAX_PORTS) {
				snprintf(err, errlen, "networks[%d].ports: expected an array of at most "
				    "%d ports", i, SW_MAX_PORTS);
				return -1;
			}
			json_array_foreach(v, k, p) {
				if (!json_is_integer(p) || json_integer_value(p) < 1 ||
				    json_integer_value(p) > SW_MAX_PORTS) {
					snprintf(err, errlen, "networks[%d].ports[%zu]: expected a port "
					    "number 1-%d", i, k, SW_MAX_PORTS);
					return -1;
				}
				net->ports[net->nports++] = (int)json_integer_value(p);
			}
		} else {
			snprintf(err, errlen, "networks[%d]: unknown key '%.40s'", i, key);
			return -1;
		}
	}
	if (net->name[0] == '\0') {
		snprintf(err, errlen, "networks[%d]: \"name\" is missing", i);
		return -1;
	}
	return 0;
}

int
plan_parse(const char *buf, size_t len, struct sw_plan **out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *v;
	struct sw_plan *plan;
	const char *key;
	int seen_nets = 0;
	short port_owner[SW_MAX_PORTS + 1];

	*out = NULL;
	if (len > PLAN_MAX_SIZE) {
		snprintf(err, errlen, "plan of %zu bytes (at most %u)", len, PLAN_MAX_SIZE);
		return -1;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "expected a JSON object at the top");
		json_decref(root);
		return -1;
	}
	if ((plan = calloc(1, sizeof(*plan))) == NULL) {
		snprintf(err, errlen, "out of memory");
		json_decref(root);
		return -1;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "experiment") == 0 || strcmp(key, "switch") == 0) {
			char *dst = key[0] == 'e' ? plan->experiment : plan->sw;

			if (!json_is_string(v) || !name_ok(json_string_value(v), PLAN_NAME_MAX - 1) ||
			    strlen(json_string_value(v)) != json_string_length(v)) {
				snprintf(err, errlen, "%s: expected a printable string of 1-%d bytes", key,
				    PLAN_NAME_MAX - 1);
				goto fail;
			}
			str_copy(dst, json_string_value(v), PLAN_NAME_MAX);
		} else if (strcmp(key, "networks") == 0) {
			size_t i;
			json_t *jn;

			seen_nets = 1;
			if (!json_is_array(v) || json_array_size(v) > PLAN_MAX_NETS) {
				snprintf(err, errlen, "networks: expected an array of at most %d networks",
				    PLAN_MAX_NETS);
				goto fail;
			}
			json_array_foreach(v, i, jn) {
				if (parse_net(jn, (int)i, &plan->nets[i], err, errlen) < 0)
					goto fail;
				plan->nnets = (int)i + 1;
			}
		} else {
			snprintf(err, errlen, "unknown key '%.40s'", key);
			goto fail;
		}
	}
	if (plan->experiment[0] == '\0' || plan->sw[0] == '\0' || !seen_nets) {
		snprintf(err, errlen, "\"experiment\", \"switch\" and \"networks\" are required");
		goto fail;
	}
	/* Two networks of one experiment never share a name, a VLAN or a port. */
	memset(port_owner, 0, sizeof(port_owner));
	for (int i = 0; i < plan->nnets; i++) {
		struct plan_net *a = &plan->nets[i];

		for (int j = 0; j < i; j++) {
			if (strcmp(a->name, plan->nets[j].name) == 0) {
				snprintf(err, errlen, "networks[%d]: name '%s' repeats networks[%d]", i,
				    a->name, j);
				goto fail;
			}
			if (a->vlan != 0 && a->vlan == plan->nets[j].vlan) {
				snprintf(err, errlen, "networks[%d]: VLAN %d is also networks[%d]'s", i,
				    a->vlan, j);
				goto fail;
			}
		}
		for (int k = 0; k < a->nports; k++) {
			int p = a->ports[k];

			if (port_owner[p]) {
				snprintf(err, errlen, "networks[%d]: port %d is already in network '%s'",
				    i, p, plan->nets[port_owner[p] - 1].name);
				goto fail;
			}
			port_owner[p] = (short)(i + 1);
		}
	}
	json_decref(root);
	*out = plan;
	return 0;
fail:
	json_decref(root);
	free(plan);
	return -1;
}

void
plan_free(struct sw_plan *plan)
{
	free(plan);
}
