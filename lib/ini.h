/* A pure INI reader that remembers where everything came from.
 *
 * springos.ini and inventory files are read with this rather than with
 * iniparser: errors must name the file *and line* ("inventory.ini:12:
 * duplicate MAC ..."), sections must not be merged silently when a name
 * repeats (a repeated [node:x] is an error, not an update), names keep
 * their case, and the parser must be a pure function over (buf, len) that
 * a fuzzer can call.  iniparser 4.1 (Debian 12) offers none of these.
 *
 * Syntax: "[section]" lines, "key = value" lines, comments starting with
 * ';' or '#' (at line start, or after whitespace following a value), blank
 * lines.  A value may be wrapped in double quotes to keep ';' or '#' or
 * surrounding spaces.  Keys are [A-Za-z0-9_.-]+; section names are
 * printable and contain no ']'. */
#ifndef SPRINGOS_INI_H
#define SPRINGOS_INI_H

#include <stddef.h>

#define INI_MAX_SIZE (16u << 20)
#define INI_MAX_LINE 4096
#define INI_MAX_ENTRIES 200000

struct ini_section {
	char *name;
	int line;
	size_t first; /* its entries are entries[first .. first+count) */
	size_t count;
};

struct ini_entry {
	size_t section; /* index into ini_doc.sections */
	char *key;
	char *value;
	int line;
};

struct ini_doc {
	struct ini_section *sections;
	size_t nsections;
	struct ini_entry *entries; /* in file order, grouped by section */
	size_t nentries;
};

struct ini_error {
	int line; /* 1-based; 0 when the error is not about one line */
	char msg[160];
};

/* Parse buf[0..len).  On success returns 0 and a document the caller
 * frees with ini_free(); on error returns -1, fills *err and allocates
 * nothing. */
int ini_parse(const char *buf, size_t len, struct ini_doc **out, struct ini_error *err);

/* Read a whole file into *buf (malloc'ed, the caller frees it), at most
 * INI_MAX_SIZE + 1 bytes so that ini_parse() sees an over-long file as
 * such.  On error writes "cannot open: ..." or "read error: ..." to msg. */
int ini_read_file(const char *path, char **buf, size_t *len, char *msg, size_t msglen);

/* Read a whole file (at most INI_MAX_SIZE) and parse it.  A file that
 * cannot be read is reported in err with line 0. */
int ini_load(const char *path, struct ini_doc **out, struct ini_error *err);

void ini_free(struct ini_doc *doc);

/* The entry for key in the section with index sec, or NULL. */
const struct ini_entry *ini_find(const struct ini_doc *doc, size_t sec, const char *key);

/* The index of the section called name, or -1. */
long ini_section_index(const struct ini_doc *doc, const char *name);

#endif
