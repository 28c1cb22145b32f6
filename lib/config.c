#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "util.h"

enum conf_type {
	CT_STR,   /* any text, may be empty */
	CT_NONEMPTY,
	CT_INT,   /* base 10 within [min, max] */
	CT_BOOL,  /* yes/no, true/false, on/off, 1/0 */
	CT_IPV4,
	CT_CIDR,  /* a.b.c.d/len */
	CT_ENUM,  /* one of the '|'-separated choices */
};

struct conf_key {
	const char *section; /* "testbed", or a family "switch:*" */
	const char *key;
	enum conf_type type;
	const char *def;     /* NULL: no default (conf_str returns "") */
	long min, max;       /* CT_INT */
	const char *choices; /* CT_ENUM */
};

/*
 * The schema: every key any program reads.  One block per section; the
 * owner of a section edits only its own block.
 */
static const struct conf_key schema[] = {
	/* [testbed]: where the database is, what the management network is. */
	{ "testbed", "name", CT_STR, "springos", 0, 0, NULL },
	{ "testbed", "db", CT_NONEMPTY, "/var/lib/springos/erm.db", 0, 0, NULL },
	{ "testbed", "mgmt_network", CT_CIDR, "10.99.0.0/16", 0, 0, NULL },
	{ "testbed", "mgmt_address", CT_IPV4, "10.99.0.1", 0, 0, NULL },
	{ "testbed", "state_dir", CT_NONEMPTY, "/var/lib/springos", 0, 0, NULL },

	/* [bootsrv] */
	{ "bootsrv", "interface", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "user", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "dhcp_mode", CT_ENUM, "server", 0, 0, "server|proxy|off" },
	{ "bootsrv", "dhcp_pool", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "dhcp_subnets", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "dhcp_lease_time", CT_INT, "3600", 60, 31536000, NULL },
	{ "bootsrv", "dhcp_router", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "dhcp_dns", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "dhcp_domain", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "next_server", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "boot_url", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "ipxe_bios", CT_STR, "undionly.kpxe", 0, 0, NULL },
	{ "bootsrv", "ipxe_efi64", CT_STR, "ipxe.efi", 0, 0, NULL },
	{ "bootsrv", "ipxe_efi32", CT_STR, "", 0, 0, NULL },
	/* [bootsrv] TFTP and HTTP boot serving (issue 4, bootsrv/tftp.c,
	 * bootsrv/httpboot.c); the
	 * scripts' base URL is boot_url above. */
	{ "bootsrv", "tftp", CT_BOOL, "yes", 0, 0, NULL },
	{ "bootsrv", "tftp_listen", CT_NONEMPTY, "0.0.0.0:69", 0, 0, NULL },
	{ "bootsrv", "tftp_root", CT_NONEMPTY, "/srv/springos/tftp", 0, 0, NULL },
	{ "bootsrv", "tftp_write", CT_BOOL, "no", 0, 0, NULL },
	{ "bootsrv", "tftp_write_max", CT_INT, "67108864", 0, LONG_MAX, NULL },
	{ "bootsrv", "tftp_max_transfers", CT_INT, "1024", 1, 65536, NULL },
	{ "bootsrv", "tftp_retries", CT_INT, "5", 0, 100, NULL },
	{ "bootsrv", "tftp_timeout_ms", CT_INT, "1000", 10, 60000, NULL },
	{ "bootsrv", "tftp_max_blksize", CT_INT, "65464", 8, 65464, NULL },
	{ "bootsrv", "tftp_max_window", CT_INT, "64", 1, 65535, NULL },
	{ "bootsrv", "http", CT_BOOL, "yes", 0, 0, NULL },
	{ "bootsrv", "http_listen", CT_NONEMPTY, "0.0.0.0:80", 0, 0, NULL },
	{ "bootsrv", "http_root", CT_NONEMPTY, "/srv/springos/boot", 0, 0, NULL },
	{ "bootsrv", "boot_kernel", CT_NONEMPTY, "ni/vmlinuz", 0, 0, NULL },
	{ "bootsrv", "boot_initrd", CT_NONEMPTY, "ni/initrd.img", 0, 0, NULL },
	{ "bootsrv", "boot_cmdline", CT_STR, "console=ttyS0,115200", 0, 0, NULL },
	{ "bootsrv", "boot_retry", CT_INT, "10", 1, 3600, NULL },
	{ "bootsrv", "master_url", CT_STR, "", 0, 0, NULL },
	{ "bootsrv", "token_secret_file", CT_STR, "", 0, 0, NULL },

	/* [imaged] */
	{ "imaged", "store", CT_NONEMPTY, "/var/lib/springos/images", 0, 0, NULL },
	{ "imaged", "listen", CT_NONEMPTY, "0.0.0.0:8070", 0, 0, NULL },
	{ "imaged", "mcast_address", CT_IPV4, "0.0.0.0", 0, 0, NULL },
	{ "imaged", "mcast_port", CT_INT, "7400", 1, 65535, NULL },
	{ "imaged", "mcast_group", CT_IPV4, "239.192.77.1", 0, 0, NULL },
	{ "imaged", "mcast_rate_max", CT_INT, "500000", 1000, 100000000, NULL },
	{ "imaged", "mcast_rate_start", CT_INT, "0", 0, 100000000, NULL },
	{ "imaged", "mcast_ttl", CT_INT, "1", 1, 255, NULL },
	{ "imaged", "mcast_loss_backoff", CT_INT, "3", 1, 90, NULL },
	{ "imaged", "mcast_flow_floor", CT_INT, "50000", 0, 100000000, NULL },
	{ "imaged", "mcast_gather_ms", CT_INT, "100", 0, 10000, NULL },
	{ "imaged", "max_upload_mb", CT_INT, "2048", 1, 1048576, NULL },

	/* [master] */
	{ "master", "listen", CT_NONEMPTY, "127.0.0.1:8080", 0, 0, NULL },
	/* HMAC key of the per-node tokens; "" = STATE_DIR/master.secret. */
	{ "master", "secret_file", CT_STR, "", 0, 0, NULL },
	/* The API as nodes reach it (ni.master=); "" = http://MGMT_ADDRESS:PORT. */
	{ "master", "url", CT_STR, "", 0, 0, NULL },
	/* Where `node reimage --image NAME` points ni: BASE/NAME; "" =
	 * http://MGMT_ADDRESS:PORT/images, PORT that of [imaged] listen. */
	{ "master", "image_url", CT_STR, "", 0, 0, NULL },
	/* Progress lines: an install with no report for this long is stalled. */
	{ "master", "install_timeout", CT_INT, "1800", 10, 86400, NULL },

	/* [switch:NAME]: one per switch of the testbed. */
	{ "switch:*", "driver", CT_ENUM, "qbridge", 0, 0, "qbridge|cisco" },
	{ "switch:*", "address", CT_NONEMPTY, NULL, 0, 0, NULL },
	{ "switch:*", "version", CT_ENUM, "2c", 0, 0, "2c|3" },
	{ "switch:*", "community", CT_STR, "private", 0, 0, NULL },
	{ "switch:*", "ports", CT_INT, "0", 0, 65535, NULL },
	{ "switch:*", "vlan_min", CT_INT, "100", 1, 4094, NULL },
	{ "switch:*", "vlan_max", CT_INT, "999", 1, 4094, NULL },
	{ "switch:*", "user", CT_STR, "", 0, 0, NULL },
	{ "switch:*", "auth_proto", CT_ENUM, "SHA", 0, 0, "MD5|SHA|SHA-256|SHA-512" },
	{ "switch:*", "auth_pass", CT_STR, "", 0, 0, NULL },
	{ "switch:*", "priv_proto", CT_ENUM, "AES", 0, 0, "DES|AES" },
	{ "switch:*", "priv_pass", CT_STR, "", 0, 0, NULL },
	{ "switch:*", "timeout_ms", CT_INT, "1000", 10, 60000, NULL },  /* first try */
	{ "switch:*", "retries", CT_INT, "3", 0, 10, NULL },  /* timeout doubles each */
	{ "switch:*", "max_varbinds", CT_INT, "60", 1, 200, NULL },  /* per SET request */
	{ "switch:*", "owner", CT_NONEMPTY, "swconf", 0, 0, NULL },  /* VTP edit buffer */
	{ "switch:*", "poll_ms", CT_INT, "100", 1, 5000, NULL },  /* VTP apply status */

	/* [power:NAME]: settings of a power driver. */
	{ "power:*", "driver", CT_ENUM, "manual", 0, 0, "qemu|ipmi|manual" },
	{ "power:*", "user", CT_STR, "", 0, 0, NULL },
	{ "power:*", "password_file", CT_STR, "", 0, 0, NULL },
};

struct conf {
	char *path;
	struct ini_doc *doc;
};

/* "switch:lab" -> "switch:*"; plain names stay as they are. */
static int
section_matches(const char *schema_section, const char *section)
{
	const char *star = strchr(schema_section, '*');

	if (star == NULL)
		return strcmp(schema_section, section) == 0;
	return strncmp(schema_section, section, (size_t)(star - schema_section)) == 0 &&
	    section[star - schema_section] != '\0';
}

static const struct conf_key *
schema_find(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_LEN(schema); i++) {
		if (section_matches(schema[i].section, section) &&
		    strcmp(schema[i].key, key) == 0)
			return &schema[i];
	}
	return NULL;
}

static int
section_known(const char *section)
{
	for (size_t i = 0; i < ARRAY_LEN(schema); i++) {
		if (section_matches(schema[i].section, section))
			return 1;
	}
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
enum_has(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		p += len + (bar != NULL);
	}
	return 0;
}

static int
parse_cidr(const char *v)
{
	char addr[IPV4_STRLEN];
	const char *slash = strchr(v, '/');
	uint32_t a;
	long len;

	if (slash == NULL || (size_t)(slash - v) >= sizeof(addr))
		return -1;
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = '\0';
	if (ipv4_parse(addr, &a) != 0 || parse_long(slash + 1, 0, 32, &len) != 0)
		return -1;
	return 0;
}

/* Checks one value against its schema entry; on error writes why. */
static int
check_value(const struct conf_key *k, const char *v, char *why, size_t whylen)
{
	long n;
	int b;

	switch (k->type) {
	case CT_STR:
		return 0;
	case CT_NONEMPTY:
		if (*v != '\0')
			return 0;
		snprintf(why, whylen, "must not be empty");
		return -1;
	case CT_INT:
		if (parse_long(v, k->min, k->max, &n) == 0)
			return 0;
		snprintf(why, whylen, "'%s' is not an integer in %ld..%ld", v, k->min, k->max);
		return -1;
	case CT_BOOL:
		if (parse_bool(v, &b) == 0)
			return 0;
		snprintf(why, whylen, "'%s' is not yes or no", v);
		return -1;
	case CT_IPV4:
		if (ipv4_parse(v, (uint32_t[]){ 0 }) == 0)
			return 0;
		snprintf(why, whylen, "'%s' is not an IPv4 address", v);
		return -1;
	case CT_CIDR:
		if (parse_cidr(v) == 0)
			return 0;
		snprintf(why, whylen, "'%s' is not an IPv4 network (a.b.c.d/len)", v);
		return -1;
	case CT_ENUM:
		if (enum_has(k->choices, v))
			return 0;
		snprintf(why, whylen, "'%s' is not one of %s", v, k->choices);
		return -1;
	}
	return -1;
}

static int __attribute__((format(printf, 5, 6)))
conf_fail(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
{
	char msg[256];
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

/* Every section known, every key known and well-formed, every required
 * key present.  Reports the first problem in file order. */
static int
validate(const char *name, const struct ini_doc *doc, char *err, size_t errlen)
{
	char why[200];

	for (size_t s = 0; s < doc->nsections; s++) {
		const struct ini_section *sec = &doc->sections[s];

		if (!section_known(sec->name))
			return conf_fail(err, errlen, name, sec->line,
			    "unknown section [%s] (known: testbed, bootsrv, imaged, master, "
			    "switch:NAME, power:NAME)", sec->name);
		for (size_t i = sec->first; i < sec->first + sec->count; i++) {
			const struct ini_entry *e = &doc->entries[i];
			const struct conf_key *k = schema_find(sec->name, e->key);

			if (k == NULL)
				return conf_fail(err, errlen, name, e->line,
				    "[%s] %s: unknown key", sec->name, e->key);
			if (check_value(k, e->value, why, sizeof(why)) != 0)
				return conf_fail(err, errlen, name, e->line, "[%s] %s: %s",
				    sec->name, e->key, why);
		}
		for (size_t i = 0; i < ARRAY_LEN(schema); i++) {
			if (schema[i].def == NULL && section_matches(schema[i].section, sec->name) &&
			    ini_find(doc, s, schema[i].key) == NULL)
				return conf_fail(err, errlen, name, sec->line,
				    "[%s] %s: required key missing", sec->name, schema[i].key);
		}
		if (strncmp(sec->name, "switch:", 7) == 0) {
			const struct ini_entry *lo = ini_find(doc, s, "vlan_min");
			const struct ini_entry *hi = ini_find(doc, s, "vlan_max");
			long a = 100, b = 999;

			if (lo != NULL)
				parse_long(lo->value, 1, 4094, &a);
			if (hi != NULL)
				parse_long(hi->value, 1, 4094, &b);
			if (a > b)
				return conf_fail(err, errlen, name, hi ? hi->line : lo ? lo->line : sec->line,
				    "[%s] vlan_min %ld is above vlan_max %ld", sec->name, a, b);
		}
	}
	return 0;
}

int
conf_parse(const char *name, const char *buf, size_t len, struct conf **out, char *err,
    size_t errlen)
{
	struct ini_error ierr;
	struct ini_doc *doc;
	struct conf *c;

	*out = NULL;
	if (ini_parse(buf, len, &doc, &ierr) != 0)
		return conf_fail(err, errlen, name, ierr.line, "%s", ierr.msg);
	if (validate(name, doc, err, errlen) != 0) {
		ini_free(doc);
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(name)) == NULL) {
		free(c);
		ini_free(doc);
		return conf_fail(err, errlen, name, 0, "out of memory");
	}
	c->doc = doc;
	*out = c;
	return 0;
}

int
conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	char *buf, msg[160];
	size_t n;
	int rc;

	*out = NULL;
	if (ini_read_file(path, &buf, &n, msg, sizeof(msg)) != 0)
		return conf_fail(err, errlen, path, 0, "%s", msg);
	rc = conf_parse(path, buf, n, out, err, errlen);
	free(buf);
	return rc;
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	ini_free(conf->doc);
	free(conf->path);
	free(conf);
}

const char *
conf_path(const struct conf *conf)
{
	return conf->path;
}

static const struct ini_entry *
lookup(const struct conf *conf, const char *section, const char *key,
    const struct conf_key **kp)
{
	const struct conf_key *k = schema_find(section, key);
	long s;

	if (k == NULL) {
		fprintf(stderr, "springos: bug: [%s] %s is not in the config schema\n",
		    section, key);
		abort();
	}
	*kp = k;
	s = ini_section_index(conf->doc, section);
	return s < 0 ? NULL : ini_find(conf->doc, (size_t)s, key);
}

const char *
conf_str(const struct conf *conf, const char *section, const char *key)
{
	const struct conf_key *k;
	const struct ini_entry *e = lookup(conf, section, key, &k);

	if (e != NULL)
		return e->value;
	return k->def != NULL ? k->def : "";
}

long
conf_int(const struct conf *conf, const char *section, const char *key)
{
	long v = 0;

	parse_long(conf_str(conf, section, key), LONG_MIN, LONG_MAX, &v);
	return v;
}

int
conf_bool(const struct conf *conf, const char *section, const char *key)
{
	int b = 0;

	parse_bool(conf_str(conf, section, key), &b);
	return b;
}

int
conf_has(const struct conf *conf, const char *section, const char *key)
{
	const struct conf_key *k;

	return lookup(conf, section, key, &k) != NULL;
}

size_t
conf_instances(const struct conf *conf, const char *family, const char **names, size_t max)
{
	size_t flen = strlen(family), n = 0;

	for (size_t i = 0; i < conf->doc->nsections; i++) {
		const char *s = conf->doc->sections[i].name;

		if (strncmp(s, family, flen) == 0 && s[flen] == ':' && s[flen + 1] != '\0') {
			if (n < max)
				names[n] = s;
			n++;
		}
	}
	return n;
}
