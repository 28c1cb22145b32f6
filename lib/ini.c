#include "ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct ini_doc *doc;
	size_t cap_sections;
	size_t cap_entries;
	struct ini_error *err;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	p->err->line = line;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static char *
dup_range(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int
grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	n = realloc(*arr, ncap * elem);
	if (n == NULL)
		return -1;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* section -> '[' name ']' [comment] */
static int
parse_section(struct parser *p, const char *s, size_t n, int line)
{
	struct ini_doc *doc = p->doc;
	size_t i = 1, start, end;

	while (i < n && is_blank(s[i]))
		i++;
	start = i;
	while (i < n && s[i] != ']') {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return fail(p, line, "control character in section name");
		i++;
	}
	if (i == n)
		return fail(p, line, "']' expected to close the section name");
	end = i;
	while (end > start && is_blank(s[end - 1]))
		end--;
	if (end == start)
		return fail(p, line, "empty section name");
	for (i++; i < n && is_blank(s[i]); i++)
		;
	if (i < n && s[i] != ';' && s[i] != '#')
		return fail(p, line, "unexpected text after ']'");

	for (size_t k = 0; k < doc->nsections; k++) {
		if (strlen(doc->sections[k].name) == end - start &&
		    memcmp(doc->sections[k].name, s + start, end - start) == 0)
			return fail(p, line, "section [%.*s] repeated (first at line %d)",
			    (int)(end - start), s + start, doc->sections[k].line);
	}
	if (grow((void **)&doc->sections, &p->cap_sections, doc->nsections + 1,
	    sizeof(*doc->sections)) != 0)
		return fail(p, line, "out of memory");
	doc->sections[doc->nsections].name = dup_range(s + start, end - start);
	if (doc->sections[doc->nsections].name == NULL)
		return fail(p, line, "out of memory");
	doc->sections[doc->nsections].line = line;
	doc->sections[doc->nsections].first = doc->nentries;
	doc->sections[doc->nsections].count = 0;
	doc->nsections++;
	return 0;
}

/* entry -> key '=' value [comment]; value -> '"' chars '"' | chars */
static int
parse_entry(struct parser *p, const char *s, size_t n, int line)
{
	struct ini_doc *doc = p->doc;
	size_t i = 0, kend, vstart, vend;
	struct ini_entry *e;

	while (i < n && is_key_char(s[i]))
		i++;
	if (i == 0)
		return fail(p, line, "expected 'key = value', '[section]' or a comment");
	kend = i;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] != '=')
		return fail(p, line, "'=' expected after key '%.*s'", (int)kend, s);
	if (doc->nsections == 0)
		return fail(p, line, "key '%.*s' before any [section]", (int)kend, s);
	for (i++; i < n && is_blank(s[i]); i++)
		;
	if (i < n && s[i] == '"') {
		vstart = ++i;
		while (i < n && s[i] != '"')
			i++;
		if (i == n)
			return fail(p, line, "unterminated quoted value");
		vend = i++;
		while (i < n && is_blank(s[i]))
			i++;
		if (i < n && s[i] != ';' && s[i] != '#')
			return fail(p, line, "unexpected text after quoted value");
	} else {
		vstart = i;
		vend = i;
		/* A comment starts at ';' or '#' that follows whitespace. */
		while (i < n) {
			if ((s[i] == ';' || s[i] == '#') && i > vstart && is_blank(s[i - 1]))
				break;
			if (!is_blank(s[i]))
				vend = i + 1;
			i++;
		}
	}
	for (size_t k = vstart; k < vend; k++) {
		if ((unsigned char)s[k] < 0x20 && s[k] != '\t')
			return fail(p, line, "control character in value of '%.*s'",
			    (int)kend, s);
	}

	/* Keys repeat only across sections: entries are grouped by section,
	 * so the current section's keys are at the end. */
	for (size_t k = doc->nentries; k > 0; k--) {
		e = &doc->entries[k - 1];
		if (e->section != doc->nsections - 1)
			break;
		if (strlen(e->key) == kend && memcmp(e->key, s, kend) == 0)
			return fail(p, line, "key '%s' repeated in [%s] (first at line %d)",
			    e->key, doc->sections[e->section].name, e->line);
	}
	if (doc->nentries >= INI_MAX_ENTRIES)
		return fail(p, line, "too many entries (limit %d)", INI_MAX_ENTRIES);
	if (grow((void **)&doc->entries, &p->cap_entries, doc->nentries + 1,
	    sizeof(*doc->entries)) != 0)
		return fail(p, line, "out of memory");
	e = &doc->entries[doc->nentries];
	e->section = doc->nsections - 1;
	e->line = line;
	e->key = dup_range(s, kend);
	e->value = dup_range(s + vstart, vend - vstart);
	if (e->key == NULL || e->value == NULL) {
		free(e->key);
		free(e->value);
		return fail(p, line, "out of memory");
	}
	doc->nentries++;
	doc->sections[doc->nsections - 1].count++;
	return 0;
}

int
ini_parse(const char *buf, size_t len, struct ini_doc **out, struct ini_error *err)
{
	struct parser p = { .err = err };
	size_t pos = 0;
	int line = 0;

	err->line = 0;
	err->msg[0] = '\0';
	if (len > INI_MAX_SIZE)
		return fail(&p, 0, "file too large (limit %u bytes)", INI_MAX_SIZE);
	p.doc = calloc(1, sizeof(*p.doc));
	if (p.doc == NULL)
		return fail(&p, 0, "out of memory");

	while (pos < len) {
		const char *s = buf + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		size_t i = 0;

		pos += n + (nl != NULL);
		line++;
		if (n > INI_MAX_LINE) {
			fail(&p, line, "line longer than %d bytes", INI_MAX_LINE);
			goto bad;
		}
		if (memchr(s, '\0', n) != NULL) {
			fail(&p, line, "NUL byte in line");
			goto bad;
		}
		while (i < n && is_blank(s[i]))
			i++;
		if (i == n || s[i] == ';' || s[i] == '#')
			continue;
		while (n > i && is_blank(s[n - 1]))
			n--;
		if (s[i] == '[') {
			if (parse_section(&p, s + i, n - i, line) != 0)
				goto bad;
		} else if (parse_entry(&p, s + i, n - i, line) != 0) {
			goto bad;
		}
	}
	*out = p.doc;
	return 0;
bad:
	ini_free(p.doc);
	return -1;
}

int
ini_read_file(const char *path, char **buf, size_t *len, char *msg, size_t msglen)
{
	FILE *f;
	int rc = 0;

	*buf = NULL;
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(msg, msglen, "cannot open: %s", strerror(errno));
		return -1;
	}
	*buf = malloc(INI_MAX_SIZE + 1);
	if (*buf == NULL) {
		snprintf(msg, msglen, "out of memory");
		rc = -1;
	} else {
		*len = fread(*buf, 1, INI_MAX_SIZE + 1, f);
		if (ferror(f)) {
			snprintf(msg, msglen, "read error: %s", strerror(errno));
			free(*buf);
			*buf = NULL;
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

int
ini_load(const char *path, struct ini_doc **out, struct ini_error *err)
{
	char *buf;
	size_t n;
	int rc;

	err->line = 0;
	if (ini_read_file(path, &buf, &n, err->msg, sizeof(err->msg)) != 0)
		return -1;
	rc = ini_parse(buf, n, out, err);
	free(buf);
	return rc;
}

void
ini_free(struct ini_doc *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->nsections; i++)
		free(doc->sections[i].name);
	for (size_t i = 0; i < doc->nentries; i++) {
		free(doc->entries[i].key);
		free(doc->entries[i].value);
	}
	free(doc->sections);
	free(doc->entries);
	free(doc);
}

const struct ini_entry *
ini_find(const struct ini_doc *doc, size_t sec, const char *key)
{
	const struct ini_section *s;

	if (sec >= doc->nsections)
		return NULL;
	s = &doc->sections[sec];
	for (size_t i = s->first; i < s->first + s->count; i++) {
		if (strcmp(doc->entries[i].key, key) == 0)
			return &doc->entries[i];
	}
	return NULL;
}

long
ini_section_index(const struct ini_doc *doc, const char *name)
{
	for (size_t i = 0; i < doc->nsections; i++) {
		if (strcmp(doc->sections[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}
