#include "inventory.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "util.h"

struct inventory {
	char *name;
	struct ini_doc *doc;
	size_t n;
	struct erm_node *nodes;
	size_t *section; /* nodes[i] came from doc->sections[section[i]] */
};

static int __attribute__((format(printf, 5, 6)))
inv_fail(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", name, line, msg);
	else
		snprintf(err, errlen, "%s: %s", name, msg);
	return -1;
}

/* "netif3" -> 3; -1 if the key is not an interface key. */
static int
netif_index(const char *key)
{
	long v;

	if (strncmp(key, "netif", 5) != 0 || parse_long(key + 5, 0, ERM_MAX_IFACES - 1, &v) != 0)
		return -1;
	return (int)v;
}

/* netif value -> MAC [media=M] [switch=S] [port=P], whitespace separated. */
static int
parse_netif(const char *name, const struct ini_entry *e, const char *node, int index,
    struct erm_iface *f, char *err, size_t errlen)
{
	char buf[INI_MAX_LINE + 1], *save = NULL, *tok;
	long port;
	int first = 1;

	memset(f, 0, sizeof(*f));
	f->index = index;
	str_copy(buf, e->value, sizeof(buf));
	for (tok = strtok_r(buf, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (first) {
			first = 0;
			if (eq == NULL) {
				if (mac_normalize(tok, f->mac) != 0)
					return inv_fail(err, errlen, name, e->line,
					    "node %s netif%d: malformed MAC '%s'", node, index, tok);
				continue;
			}
		}
		if (eq == NULL)
			return inv_fail(err, errlen, name, e->line,
			    "node %s netif%d: expected key=value, got '%s'", node, index, tok);
		*eq++ = '\0';
		if (strcmp(tok, "mac") == 0) {
			if (mac_normalize(eq, f->mac) != 0)
				return inv_fail(err, errlen, name, e->line,
				    "node %s netif%d: malformed MAC '%s'", node, index, eq);
		} else if (strcmp(tok, "media") == 0) {
			if (*eq == '\0' || str_copy(f->media, eq, sizeof(f->media)) >= sizeof(f->media))
				return inv_fail(err, errlen, name, e->line,
				    "node %s netif%d: bad media '%s'", node, index, eq);
		} else if (strcmp(tok, "switch") == 0) {
			if (*eq == '\0' || str_copy(f->sw, eq, sizeof(f->sw)) >= sizeof(f->sw))
				return inv_fail(err, errlen, name, e->line,
				    "node %s netif%d: bad switch name '%s'", node, index, eq);
		} else if (strcmp(tok, "port") == 0) {
			if (parse_long(eq, 1, 65535, &port) != 0)
				return inv_fail(err, errlen, name, e->line,
				    "node %s netif%d: port '%s' is not a number in 1..65535", node, index, eq);
			f->port = (int)port;
		} else {
			return inv_fail(err, errlen, name, e->line,
			    "node %s netif%d: unknown option '%s' (mac, media, switch, port)", node,
			    index, tok);
		}
	}
	if (f->mac[0] == '\0')
		return inv_fail(err, errlen, name, e->line, "node %s netif%d: no MAC given", node,
		    index);
	if ((f->sw[0] == '\0') != (f->port == 0))
		return inv_fail(err, errlen, name, e->line,
		    "node %s netif%d: give both switch= and port=, or neither", node, index);
	return 0;
}

/* Copies a string value into a fixed field, refusing truncation. */
static int
set_text(const char *name, const struct ini_entry *e, const char *node, char *dst, size_t size,
    char *err, size_t errlen)
{
	if (str_copy(dst, e->value, size) >= size)
		return inv_fail(err, errlen, name, e->line, "node %s: %s is longer than %zu characters",
		    node, e->key, size - 1);
	return 0;
}

static int
parse_node(const char *name, const struct ini_doc *doc, size_t s, struct erm_node *n,
    char *err, size_t errlen)
{
	const struct ini_section *sec = &doc->sections[s];
	const char *node = sec->name + 5;
	int have_mac = 0;
	uint32_t ip;
	long v;

	memset(n, 0, sizeof(*n));
	if (str_copy(n->name, node, sizeof(n->name)) >= sizeof(n->name) || *node == '\0')
		return inv_fail(err, errlen, name, sec->line, "node name '%s' is empty or too long",
		    node);
	for (size_t i = sec->first; i < sec->first + sec->count; i++) {
		const struct ini_entry *e = &doc->entries[i];
		int idx = netif_index(e->key);

		if (idx >= 0) {
			if (n->n_ifaces >= ERM_MAX_IFACES)
				return inv_fail(err, errlen, name, e->line, "node %s: too many interfaces",
				    node);
			if (parse_netif(name, e, node, idx, &n->ifaces[n->n_ifaces], err, errlen) != 0)
				return -1;
			n->n_ifaces++;
		} else if (strcmp(e->key, "kind") == 0) {
			if (erm_node_kind_parse(e->value, &n->kind) != 0)
				return inv_fail(err, errlen, name, e->line,
				    "node %s: kind '%s' is not physical or vm", node, e->value);
		} else if (strcmp(e->key, "class") == 0) {
			if (set_text(name, e, node, n->node_class, sizeof(n->node_class), err, errlen))
				return -1;
		} else if (strcmp(e->key, "mac") == 0) {
			if (mac_normalize(e->value, n->mac) != 0)
				return inv_fail(err, errlen, name, e->line, "node %s: malformed MAC '%s'",
				    node, e->value);
			have_mac = 1;
		} else if (strcmp(e->key, "ip") == 0) {
			if (ipv4_parse(e->value, &ip) != 0)
				return inv_fail(err, errlen, name, e->line,
				    "node %s: malformed IPv4 address '%s'", node, e->value);
			str_copy(n->ip, e->value, sizeof(n->ip));
		} else if (strcmp(e->key, "power") == 0) {
			if (strcmp(e->value, "qemu") != 0 && strcmp(e->value, "ipmi") != 0 &&
			    strcmp(e->value, "manual") != 0)
				return inv_fail(err, errlen, name, e->line,
				    "node %s: power driver '%s' is not qemu, ipmi or manual", node, e->value);
			str_copy(n->power, e->value, sizeof(n->power));
		} else if (strcmp(e->key, "power_params") == 0) {
			if (set_text(name, e, node, n->power_params, sizeof(n->power_params), err,
			    errlen))
				return -1;
		} else if (strcmp(e->key, "boot") == 0) {
			if (erm_boot_mode_parse(e->value, &n->boot) != 0)
				return inv_fail(err, errlen, name, e->line,
				    "node %s: boot mode '%s' is not install, local or none", node, e->value);
		} else if (strcmp(e->key, "host") == 0) {
			if (set_text(name, e, node, n->host, sizeof(n->host), err, errlen))
				return -1;
		} else if (strcmp(e->key, "maxvnodes") == 0) {
			if (parse_long(e->value, 0, 4096, &v) != 0)
				return inv_fail(err, errlen, name, e->line,
				    "node %s: maxvnodes '%s' is not a number in 0..4096", node, e->value);
			n->maxvnodes = (int)v;
		} else if (strcmp(e->key, "vntype") == 0) {
			if (set_text(name, e, node, n->vntype, sizeof(n->vntype), err, errlen))
				return -1;
		} else {
			return inv_fail(err, errlen, name, e->line,
			    "node %s: unknown key '%s' (kind, class, mac, ip, power, power_params, "
			    "boot, host, maxvnodes, vntype, netif0..netif%d)", node, e->key,
			    ERM_MAX_IFACES - 1);
		}
	}
	if (!have_mac)
		return inv_fail(err, errlen, name, sec->line, "node %s: no management mac given",
		    node);
	return 0;
}

int
inventory_parse(const char *name, const char *buf, size_t len, struct inventory **out,
    char *err, size_t errlen)
{
	struct ini_error ierr;
	struct inventory *inv;
	struct ini_doc *doc;

	*out = NULL;
	if (ini_parse(buf, len, &doc, &ierr) != 0)
		return inv_fail(err, errlen, name, ierr.line, "%s", ierr.msg);
	inv = calloc(1, sizeof(*inv));
	if (inv == NULL)
		goto nomem;
	inv->doc = doc;
	inv->name = strdup(name);
	inv->nodes = calloc(doc->nsections ? doc->nsections : 1, sizeof(*inv->nodes));
	inv->section = calloc(doc->nsections ? doc->nsections : 1, sizeof(*inv->section));
	if (inv->name == NULL || inv->nodes == NULL || inv->section == NULL)
		goto nomem;
	for (size_t s = 0; s < doc->nsections; s++) {
		const struct ini_section *sec = &doc->sections[s];

		if (strncmp(sec->name, "node:", 5) != 0) {
			inv_fail(err, errlen, name, sec->line,
			    "unknown section [%s]: an inventory has [node:NAME] sections "
			    "(switches are declared in springos.ini)", sec->name);
			goto bad;
		}
		if (parse_node(name, doc, s, &inv->nodes[inv->n], err, errlen) != 0)
			goto bad;
		inv->section[inv->n++] = s;
	}
	*out = inv;
	return 0;
nomem:
	inv_fail(err, errlen, name, 0, "out of memory");
bad:
	if (inv == NULL)
		ini_free(doc);
	inventory_free(inv);
	return -1;
}

int
inventory_load(const char *path, struct inventory **out, char *err, size_t errlen)
{
	char *buf, msg[160];
	size_t n;
	int rc;

	*out = NULL;
	if (ini_read_file(path, &buf, &n, msg, sizeof(msg)) != 0)
		return inv_fail(err, errlen, path, 0, "%s", msg);
	rc = inventory_parse(path, buf, n, out, err, errlen);
	free(buf);
	return rc;
}

void
inventory_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	ini_free(inv->doc);
	free(inv->name);
	free(inv->nodes);
	free(inv->section);
	free(inv);
}

size_t
inventory_count(const struct inventory *inv)
{
	return inv->n;
}

const struct erm_node *
inventory_node(const struct inventory *inv, size_t i)
{
	return i < inv->n ? &inv->nodes[i] : NULL;
}

/* The line an erm error is about: the key named by erm_errfield(), or
 * the node's section line. */
static int
error_line(const struct inventory *inv, size_t i, const char *field)
{
	size_t s = inv->section[i];
	const struct ini_entry *e = NULL;

	if (*field != '\0' && strcmp(field, "name") != 0)
		e = ini_find(inv->doc, s, field);
	return e ? e->line : inv->doc->sections[s].line;
}

int
inventory_register_switches(struct erm *db, const struct conf *conf, char *err, size_t errlen)
{
	const char *names[256];
	size_t n = conf_instances(conf, "switch", names, ARRAY_LEN(names));

	if (n > ARRAY_LEN(names))
		return inv_fail(err, errlen, conf_path(conf), 0, "more than %zu switches",
		    ARRAY_LEN(names));
	for (size_t i = 0; i < n; i++) {
		struct erm_switch sw = { 0 };

		str_copy(sw.name, names[i] + strlen("switch:"), sizeof(sw.name));
		str_copy(sw.driver, conf_str(conf, names[i], "driver"), sizeof(sw.driver));
		str_copy(sw.address, conf_str(conf, names[i], "address"), sizeof(sw.address));
		sw.ports = (int)conf_int(conf, names[i], "ports");
		if (erm_switch_add(db, &sw) != ERM_OK)
			return inv_fail(err, errlen, conf_path(conf), 0, "[%s]: %s", names[i],
			    erm_errmsg(db));
	}
	return 0;
}

int
inventory_import(struct erm *db, const struct conf *conf, const struct inventory *inv,
    char *err, size_t errlen)
{
	if (erm_begin(db) != ERM_OK)
		return inv_fail(err, errlen, inv->name, 0, "%s", erm_errmsg(db));
	if (inventory_register_switches(db, conf, err, errlen) != 0)
		goto bad;
	/* Physical nodes first: VMs refer to their hosts. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < inv->n; i++) {
			const struct erm_node *n = &inv->nodes[i];

			if ((pass == 0) != (n->kind == ERM_PHYSICAL))
				continue;
			if (erm_node_add(db, n) != ERM_OK) {
				inv_fail(err, errlen, inv->name, error_line(inv, i, erm_errfield(db)), "%s",
				    erm_errmsg(db));
				goto bad;
			}
		}
	}
	if (erm_commit(db) != ERM_OK)
		return inv_fail(err, errlen, inv->name, 0, "%s", erm_errmsg(db));
	return 0;
bad:
	erm_rollback(db);
	return -1;
}
