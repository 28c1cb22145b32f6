#include <stdio.h>
#include <string.h>

#include "ini.h"
#include "swcfg.h"
#include "util.h"

/* The keys of [switch:NAME]; these mirror lib/config.c's schema rows. */
static const struct {
	const char *key;
	long min, max;    /* integers; min > max means a string */
} keys[] = {
	{ "driver", 1, 0 }, { "address", 1, 0 }, { "version", 1, 0 }, { "community", 1, 0 },
	{ "user", 1, 0 }, { "auth_proto", 1, 0 }, { "auth_pass", 1, 0 }, { "priv_proto", 1, 0 },
	{ "priv_pass", 1, 0 }, { "ports", 1, 512 }, { "vlan_min", 2, 4094 },
	{ "vlan_max", 2, 4094 }, { "timeout_ms", 10, 60000 }, { "retries", 0, 10 },
	{ "max_varbinds", 1, 200 }, { "owner", 1, 0 }, { "poll_ms", 1, 5000 },
};

static int
set_str(char *dst, size_t size, const struct ini_entry *e, const char *file, const char *sec,
    char *err, size_t errlen)
{
	if (str_copy(dst, e->value, size) >= size) {
		snprintf(err, errlen, "%s:%d: [%s] %s: longer than %zu characters", file, e->line,
		    sec, e->key, size - 1);
		return -1;
	}
	return 0;
}

int
swcfg_load(const char *path, const char *name, struct swcfg *c, char *err, size_t errlen)
{
	struct ini_doc *doc;
	struct ini_error ierr;
	char sec[96];
	long si, ti;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	str_copy(c->db, "/var/lib/springos/erm.db", sizeof(c->db));
	str_copy(c->name, name, sizeof(c->name));
	c->version = 2;
	str_copy(c->community, "public", sizeof(c->community));
	str_copy(c->auth_proto, "SHA", sizeof(c->auth_proto));
	str_copy(c->priv_proto, "AES", sizeof(c->priv_proto));
	c->ports = 48;
	c->vlan_min = 100;
	c->vlan_max = 999;
	c->timeout_ms = 1000;
	c->retries = 3;
	c->max_varbinds = 60;
	str_copy(c->owner, "swconf", sizeof(c->owner));
	c->poll_ms = 100;

	if (ini_load(path, &doc, &ierr) < 0) {
		snprintf(err, errlen, "%s:%d: %s", path, ierr.line, ierr.msg);
		return -1;
	}
	if ((ti = ini_section_index(doc, "testbed")) >= 0) {
		const struct ini_entry *e = ini_find(doc, (size_t)ti, "db");

		if (e && set_str(c->db, sizeof(c->db), e, path, "testbed", err, errlen) < 0)
			goto out;
	}
	snprintf(sec, sizeof(sec), "switch:%s", name);
	if ((si = ini_section_index(doc, sec)) < 0) {
		snprintf(err, errlen, "%s: no [%s] section", path, sec);
		goto out;
	}
	const struct ini_section *s = &doc->sections[si];
	for (size_t i = s->first; i < s->first + s->count; i++) {
		const struct ini_entry *e = &doc->entries[i];
		size_t k;
		long v = 0;

		for (k = 0; k < ARRAY_LEN(keys); k++)
			if (strcmp(keys[k].key, e->key) == 0)
				break;
		if (k == ARRAY_LEN(keys)) {
			snprintf(err, errlen, "%s:%d: [%s] %s: unknown key", path, e->line, sec, e->key);
			goto out;
		}
		if (keys[k].min <= keys[k].max &&
		    parse_long(e->value, keys[k].min, keys[k].max, &v) < 0) {
			snprintf(err, errlen, "%s:%d: [%s] %s: expected an integer %ld-%ld, got '%s'",
			    path, e->line, sec, e->key, keys[k].min, keys[k].max, e->value);
			goto out;
		}
#define STR(f) if (strcmp(e->key, #f) == 0 && \
		    set_str(c->f, sizeof(c->f), e, path, sec, err, errlen) < 0) goto out
		STR(driver); STR(address); STR(community); STR(user); STR(auth_proto);
		STR(auth_pass); STR(priv_proto); STR(priv_pass); STR(owner);
#undef STR
		if (strcmp(e->key, "version") == 0) {
			if (strcmp(e->value, "2c") == 0 || strcmp(e->value, "2") == 0)
				c->version = 2;
			else if (strcmp(e->value, "3") == 0)
				c->version = 3;
			else {
				snprintf(err, errlen, "%s:%d: [%s] version: expected 2c or 3, got '%s'",
				    path, e->line, sec, e->value);
				goto out;
			}
		}
		if (strcmp(e->key, "ports") == 0) c->ports = (int)v;
		if (strcmp(e->key, "vlan_min") == 0) c->vlan_min = (int)v;
		if (strcmp(e->key, "vlan_max") == 0) c->vlan_max = (int)v;
		if (strcmp(e->key, "timeout_ms") == 0) c->timeout_ms = (int)v;
		if (strcmp(e->key, "retries") == 0) c->retries = (int)v;
		if (strcmp(e->key, "max_varbinds") == 0) c->max_varbinds = (int)v;
		if (strcmp(e->key, "poll_ms") == 0) c->poll_ms = (int)v;
	}
	if (strcmp(c->driver, "qbridge") != 0 && strcmp(c->driver, "cisco") != 0) {
		snprintf(err, errlen, "%s:%d: [%s] driver: expected qbridge or cisco", path, s->line,
		    sec);
		goto out;
	}
	if (c->address[0] == '\0') {
		snprintf(err, errlen, "%s:%d: [%s] address is required", path, s->line, sec);
		goto out;
	}
	if (c->vlan_min > c->vlan_max) {
		snprintf(err, errlen, "%s:%d: [%s] vlan_min %d is above vlan_max %d", path, s->line,
		    sec, c->vlan_min, c->vlan_max);
		goto out;
	}
	if (c->version == 3 && (c->user[0] == '\0' || c->auth_pass[0] == '\0' ||
	    c->priv_pass[0] == '\0')) {
		snprintf(err, errlen, "%s:%d: [%s] version 3 needs user, auth_pass and priv_pass",
		    path, s->line, sec);
		goto out;
	}
	rc = 0;
out:
	ini_free(doc);
	return rc;
}
