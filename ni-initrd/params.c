#include "params.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void
ni_params_defaults(struct ni_params *p)
{
	memset(p, 0, sizeof(*p));
	p->reboot = 1;
	p->dhcp = 1;
	p->plan.format = IMG_AUTO;
}

static int
is_hex64(const char *s)
{
	size_t n = strlen(s);

	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
set_str(char *dst, size_t size, const char *key, const char *val, char *err,
    size_t errlen)
{
	if (str_copy(dst, val, size) >= size)
		return fail(err, errlen, "%s: value longer than %zu bytes", key, size - 1);
	return 0;
}

static int
set_bool(int *dst, const char *key, const char *val, char *err, size_t errlen)
{
	if (strcmp(val, "1") == 0 || strcmp(val, "yes") == 0)
		*dst = 1;
	else if (strcmp(val, "0") == 0 || strcmp(val, "no") == 0)
		*dst = 0;
	else
		return fail(err, errlen, "%s: '%s' is not 0/1/yes/no", key, val);
	return 0;
}

static int
set_disktype(char *dst, size_t size, const char *key, const char *val, char *err,
    size_t errlen)
{
	static const char *types[] = { "ide", "sata", "scsi", "virtio", "nvme" };
	char low[16];
	size_t i;

	if (str_copy(low, val, sizeof(low)) >= sizeof(low))
		return fail(err, errlen, "%s: unknown disk type '%s'", key, val);
	for (i = 0; low[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	for (i = 0; i < ARRAY_LEN(types); i++)
		if (strcmp(low, types[i]) == 0)
			return set_str(dst, size, key, low, err, errlen);
	return fail(err, errlen, "%s: unknown disk type '%s' (ide, sata, scsi, virtio, nvme)",
	    key, val);
}

/* One "key=value" word of the command line. */
static int
cmdline_word(struct ni_params *p, const char *key, const char *val, char *err,
    size_t errlen)
{
	long n;

	if (strcmp(key, "BOOTIF") == 0) {
		/* pxelinux/iPXE form: hardware type "01-" then the MAC with dashes. */
		if (strncmp(val, "01-", 3) == 0)
			val += 3;
		if (mac_normalize(val, p->bootif) != 0)
			return fail(err, errlen, "BOOTIF: '%s' is not a MAC address", val);
		return 0;
	}
	if (strncmp(key, "springos.", 9) == 0) {
		/* What bootsrv's iPXE script puts on the command line. */
		key += 9;
		if (strcmp(key, "node") == 0)
			return set_str(p->node, sizeof(p->node), "springos.node", val, err,
			    errlen);
		if (strcmp(key, "mac") == 0) {
			if (mac_normalize(val, p->bootif) != 0)
				return fail(err, errlen, "springos.mac: '%s' is not a MAC address",
				    val);
			return 0;
		}
		if (strcmp(key, "ip") == 0)
			return 0;	/* DHCP gives it to us again */
		if (strcmp(key, "master") != 0 && strcmp(key, "token") != 0)
			return 0;
	} else if (strncmp(key, "ni.", 3) == 0) {
		key += 3;
	} else {
		return 0;
	}
	if (strcmp(key, "master") == 0)
		return set_str(p->master, sizeof(p->master), "ni.master", val, err, errlen);
	if (strcmp(key, "token") == 0)
		return set_str(p->token, sizeof(p->token), "ni.token", val, err, errlen);
	if (strcmp(key, "iface") == 0)
		return set_str(p->iface, sizeof(p->iface), "ni.iface", val, err, errlen);
	if (strcmp(key, "image") == 0) {
		p->standalone = 1;
		return set_str(p->plan.url, sizeof(p->plan.url), "ni.image", val, err, errlen);
	}
	if (strcmp(key, "disk") == 0)
		return set_str(p->plan.disk, sizeof(p->plan.disk), "ni.disk", val, err, errlen);
	if (strcmp(key, "disktype") == 0)
		return set_disktype(p->plan.disktype, sizeof(p->plan.disktype), "ni.disktype",
		    val, err, errlen);
	if (strcmp(key, "format") == 0) {
		if (img_format_parse(val, &p->plan.format) != 0)
			return fail(err, errlen, "ni.format: unknown format '%s'", val);
		return 0;
	}
	if (strcmp(key, "part") == 0 || strcmp(key, "partition") == 0) {
		if (parse_long(val, 0, 128, &n) != 0)
			return fail(err, errlen, "ni.%s: '%s' is not a partition number 0-128",
			    key, val);
		p->plan.partition = (int)n;
		return 0;
	}
	if (strcmp(key, "sha256") == 0) {
		if (!is_hex64(val))
			return fail(err, errlen, "ni.sha256: not 64 hex digits");
		return set_str(p->plan.sha256, sizeof(p->plan.sha256), "ni.sha256", val, err,
		    errlen);
	}
	if (strcmp(key, "retries") == 0) {
		if (parse_long(val, 0, 1000000, &n) != 0)
			return fail(err, errlen, "ni.retries: '%s' is not a count", val);
		p->retries = (int)n;
		return 0;
	}
	if (strcmp(key, "reboot") == 0)
		return set_bool(&p->reboot, "ni.reboot", val, err, errlen);
	if (strcmp(key, "dhcp") == 0)
		return set_bool(&p->dhcp, "ni.dhcp", val, err, errlen);
	return fail(err, errlen, "ni.%s: unknown parameter", key);
}

int
ni_cmdline_parse(const char *buf, size_t len, struct ni_params *p, char *err,
    size_t errlen)
{
	char word[NI_CMDLINE_MAX];
	size_t i = 0;

	if (len > NI_CMDLINE_MAX)
		return fail(err, errlen, "command line longer than %d bytes", NI_CMDLINE_MAX);
	while (i < len) {
		size_t w = 0;
		int quoted = 0;
		char *eq;

		while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'))
			i++;
		if (i >= len || buf[i] == '\0')
			break;
		/* A word runs to the next blank outside double quotes; the
		 * quotes themselves are dropped, as the kernel does. */
		while (i < len && buf[i] != '\0' &&
		    (quoted || (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n'))) {
			if (buf[i] == '"')
				quoted = !quoted;
			else if (w + 1 < sizeof(word))
				word[w++] = buf[i];
			i++;
		}
		if (quoted)
			return fail(err, errlen, "unterminated quote in the command line");
		word[w] = '\0';
		if ((eq = strchr(word, '=')) == NULL) {
			if (strncmp(word, "ni.", 3) == 0)
				return fail(err, errlen, "%s: expected %s=VALUE", word, word);
			continue;
		}
		*eq = '\0';
		if (cmdline_word(p, word, eq + 1, err, errlen) != 0)
			return -1;
		if (i < len && buf[i] == '\0')
			break;
	}
	if (p->token[0] != '\0' && strchr(p->token, '.') == NULL) {
		char full[NI_TOKEN_MAX];

		if (p->node[0] == '\0')
			return fail(err, errlen, "a bare token needs springos.node=");
		if ((size_t)snprintf(full, sizeof(full), "%s.%s", p->node, p->token) >=
		    sizeof(full))
			return fail(err, errlen, "node name and token too long");
		str_copy(p->token, full, sizeof(p->token));
	}
	if (p->standalone && p->master[0] != '\0')
		return fail(err, errlen, "ni.image and ni.master exclude each other");
	if (!p->standalone && p->master[0] != '\0' && p->token[0] == '\0')
		return fail(err, errlen, "ni.master needs ni.token");
	return 0;
}

static int
json_strfield(json_t *o, const char *key, char *dst, size_t size, int required,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			return fail(err, errlen, "plan: missing \"%s\"", key);
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, "plan: \"%s\" must be a string", key);
	if (str_copy(dst, json_string_value(v), size) >= size)
		return fail(err, errlen, "plan: \"%s\" longer than %zu bytes", key, size - 1);
	return 0;
}

static int
json_intfield(json_t *o, const char *key, int64_t min, int64_t max, int64_t *dst,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*dst = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return fail(err, errlen, "plan: \"%s\" must be an integer", key);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(err, errlen, "plan: \"%s\" out of range", key);
	*dst = json_integer_value(v);
	return 0;
}

int
ni_plan_parse(const char *buf, size_t len, struct ni_plan *plan, char *err, size_t errlen)
{
	json_t *root;
	json_error_t jerr;
	char fmt[16], dtype[16];
	int64_t part;
	int rc = -1;

	memset(plan, 0, sizeof(*plan));
	if (len > 64 * 1024)
		return fail(err, errlen, "plan: larger than 64 KiB");
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fail(err, errlen, "plan: bad JSON at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
	if (!json_is_object(root)) {
		fail(err, errlen, "plan: not a JSON object");
		goto out;
	}
	if (json_intfield(root, "id", 0, INT64_MAX, &plan->id, err, errlen) != 0 ||
	    json_strfield(root, "image", plan->image, sizeof(plan->image), 0, err, errlen) ||
	    json_strfield(root, "url", plan->url, sizeof(plan->url), 1, err, errlen) ||
	    json_strfield(root, "format", fmt, sizeof(fmt), 0, err, errlen) ||
	    json_strfield(root, "disk", plan->disk, sizeof(plan->disk), 0, err, errlen) ||
	    json_strfield(root, "disktype", dtype, sizeof(dtype), 0, err, errlen) ||
	    json_strfield(root, "sha256", plan->sha256, sizeof(plan->sha256), 0, err,
	    errlen) ||
	    json_intfield(root, "partition", 0, 128, &part, err, errlen) ||
	    json_intfield(root, "size", 0, INT64_MAX, &plan->size, err, errlen))
		goto out;
	plan->partition = (int)part;
	plan->format = IMG_AUTO;
	if (fmt[0] != '\0' && img_format_parse(fmt, &plan->format) != 0) {
		fail(err, errlen, "plan: unknown format \"%s\"", fmt);
		goto out;
	}
	if (dtype[0] != '\0' && set_disktype(plan->disktype, sizeof(plan->disktype),
	    "plan: disktype", dtype, err, errlen) != 0)
		goto out;
	if (plan->sha256[0] != '\0' && !is_hex64(plan->sha256)) {
		fail(err, errlen, "plan: \"sha256\" is not 64 hex digits");
		goto out;
	}
	rc = ni_plan_check(plan, err, errlen);
out:
	json_decref(root);
	return rc;
}

int
ni_plan_check(const struct ni_plan *plan, char *err, size_t errlen)
{
	static const char *schemes[] = { "http://", "https://", "ftp://", "tftp://", "file://",
	    "mcast://" };
	size_t i;

	if (plan->url[0] == '\0')
		return fail(err, errlen, "no image URL");
	for (i = 0; i < ARRAY_LEN(schemes); i++)
		if (strncmp(plan->url, schemes[i], strlen(schemes[i])) == 0)
			break;
	if (i == ARRAY_LEN(schemes))
		return fail(err, errlen,
		    "image URL '%.64s': scheme must be http, https, ftp, tftp, file or mcast",
		    plan->url);
	if (plan->disk[0] != '\0' && plan->disk[0] != '/')
		return fail(err, errlen, "disk '%s' is not an absolute path", plan->disk);
	return 0;
}
