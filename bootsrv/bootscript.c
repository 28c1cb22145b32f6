/* The per-node iPXE script and the HTTP Range header (see bootscript.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bootscript.h"
#include "util.h"

/* Values pasted into a script line must not change its meaning: iPXE
 * splits on whitespace and expands "${...}" (iPXE docs, "Scripting"). */
static int
script_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '$' || *s == '"' ||
		    *s == '\'' || *s == '\\' || *s == '#' || *s == '|' || *s == '&' ||
		    *s == ';')
			return 0;
	return 1;
}

/* The kernel command line from the configuration may hold spaces, but
 * still no expansions or control characters. */
static int
cmdline_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '$' || *s == '\\' ||
		    *s == '#' || *s == '|' || *s == '&' || *s == ';')
			return 0;
	return 1;
}

struct sbuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static void __attribute__((format(printf, 2, 3)))
put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	b->len += (size_t)n;
}

/* A path under http_root becomes a URL on bootsrv; a URL stays one. */
static void
put_url(struct sbuf *b, const char *http_url, const char *pathorurl)
{
	if (strncmp(pathorurl, "http://", 7) == 0 || strncmp(pathorurl, "https://", 8) == 0)
		put(b, "%s", pathorurl);
	else
		put(b, "%s/%s", http_url, pathorurl[0] == '/' ? pathorurl + 1 : pathorurl);
}

int
bootscript_render(const struct erm_node *node, const char *mac, const char *token,
    const struct bootscript_params *p, char *out, size_t outlen)
{
	struct sbuf b = { out, 0, outlen, 0 };

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!script_safe(mac) || !script_safe(token) || !script_safe(p->http_url) ||
	    !script_safe(p->kernel) || !script_safe(p->initrd) ||
	    !script_safe(p->master_url) || !cmdline_safe(p->cmdline))
		return -1;
	put(&b, "#!ipxe\n");
	if (node == NULL || node->boot == ERM_BOOT_NONE) {
		/* Nodes may be powered before they are registered or given
		 * something to do: wait, then ask again (same URL). */
		if (node == NULL)
			put(&b, "echo springos: %s is not a registered node\n", mac);
		else if (script_safe(node->name))
			put(&b, "echo springos: node %s (%s) has boot mode none\n", node->name,
			    mac);
		else
			return -1;
		put(&b, "echo springos: asking again in %u s\n", p->retry);
		put(&b, "sleep %u\n", p->retry);
		put(&b, "chain --replace --autofree %s/boot/%s.ipxe\n", p->http_url, mac);
	} else if (node->boot == ERM_BOOT_LOCAL) {
		if (!script_safe(node->name))
			return -1;
		put(&b, "echo springos: node %s boots from its local disk\n", node->name);
		/* BIOS: hand over to the first hard disk; where that is not
		 * possible (UEFI), leave iPXE so firmware tries the next
		 * boot entry. */
		put(&b, "sanboot --no-describe --drive 0x80 || exit\n");
	} else {
		if (!script_safe(node->name) || !script_safe(node->ip))
			return -1;
		put(&b, "echo springos: node %s installs\n", node->name);
		put(&b, "initrd --name initrd.img ");
		put_url(&b, p->http_url, p->initrd);
		put(&b, "\nkernel ");
		put_url(&b, p->http_url, p->kernel);
		put(&b, " initrd=initrd.img");
		if (p->cmdline[0] != '\0')
			put(&b, " %s", p->cmdline);
		put(&b, " springos.node=%s springos.mac=%s", node->name, mac);
		if (node->ip[0] != '\0')
			put(&b, " springos.ip=%s", node->ip);
		if (p->master_url[0] != '\0')
			put(&b, " springos.master=%s", p->master_url);
		if (token[0] != '\0')
			put(&b, " springos.token=%s", token);
		put(&b, "\nboot\n");
	}
	if (b.overflow)
		return -1;
	return (int)b.len;
}

int
bootscript_chain(const char *http_url, char *out, size_t outlen)
{
	int n;

	if (!script_safe(http_url))
		return -1;
	/* ${net0/mac} is expanded by iPXE on the node itself. */
	n = snprintf(out, outlen, "#!ipxe\nchain %s/boot/${net0/mac}.ipxe\n", http_url);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

int
bootscript_path_mac(const char *path, char mac[MAC_STRLEN])
{
	char buf[MAC_STRLEN];
	size_t n;

	if (strncmp(path, "/boot/", 6) != 0)
		return -1;
	path += 6;
	n = strlen(path);
	if (n != 17 + 5 || strcmp(path + 17, ".ipxe") != 0)
		return -1;
	memcpy(buf, path, 17);
	buf[17] = '\0';
	return mac_normalize(buf, mac);
}

/* digits -> 1*DIGIT, at most 19 of them; stops at the first non-digit. */
static int
range_number(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9') {
		if (++n > 19)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (n == 0)
		return -1;
	*sp = s;
	*out = v;
	return 0;
}

/* ranges-specifier -> "bytes=" ( first-pos "-" [ last-pos ] | "-" suffix-length ) */
int
http_range_parse(const char *h, uint64_t size, uint64_t *start, uint64_t *len)
{
	uint64_t first, last;
	const char *s = h;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "bytes=", 6) != 0)
		return 0;
	s += 6;
	while (*s == ' ')
		s++;
	if (*s == '-') {
		s++;
		if (range_number(&s, &last) < 0)
			return 0;
		while (*s == ' ')
			s++;
		if (*s != '\0')
			return 0;	/* a list of ranges: send it all */
		if (last == 0 || size == 0)
			return -1;
		if (last > size)
			last = size;
		*start = size - last;
		*len = last;
		return 1;
	}
	if (range_number(&s, &first) < 0 || *s++ != '-')
		return 0;
	last = UINT64_MAX;
	if (*s >= '0' && *s <= '9') {
		if (range_number(&s, &last) < 0)
			return 0;
		if (last < first)
			return 0;
	}
	while (*s == ' ')
		s++;
	if (*s != '\0')
		return 0;
	if (first >= size)
		return -1;
	if (last >= size)
		last = size - 1;
	*start = first;
	*len = last - first + 1;
	return 1;
}
