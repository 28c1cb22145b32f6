/* springos.ini: the one configuration file of every program.
 *
 * Every section and key that any program reads is declared in the schema
 * table in config.c (one block per section), with its type, range and
 * default.  conf_load() checks the whole file against it, so a typo in a
 * key or a bad value is an error naming file, line, section and key,
 * whichever program reads the file.
 *
 * Sections are "[testbed]", "[bootsrv]", "[imaged]", "[master]", and the
 * named families "[switch:NAME]" and "[power:NAME]". */
#ifndef SPRINGOS_CONFIG_H
#define SPRINGOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct conf;

/* Load and validate path.  On error returns -1, *out = NULL and err holds
 * "FILE:LINE: [section] key: what is wrong". */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen);
/* The same over a buffer; name is used in messages (fuzzing, tests). */
int conf_parse(const char *name, const char *buf, size_t len, struct conf **out,
    char *err, size_t errlen);
void conf_free(struct conf *conf);
const char *conf_path(const struct conf *conf);

/* Values of a plain section ("testbed") or one instance of a family
 * ("switch:lab").  The schema's default is returned when the key is
 * absent; a key missing from the schema is a programming error (abort).
 * Values were validated at load, so these cannot fail. */
const char *conf_str(const struct conf *conf, const char *section, const char *key);
long conf_int(const struct conf *conf, const char *section, const char *key);
int conf_bool(const struct conf *conf, const char *section, const char *key);
/* True if the key was written in the file (not just defaulted). */
int conf_has(const struct conf *conf, const char *section, const char *key);

/* Instances of a family, in file order: for "switch", the section names
 * "switch:NAME" of every [switch:NAME], ready for conf_str().  Returns how
 * many there are (possibly more than max); names[i] point into conf. */
size_t conf_instances(const struct conf *conf, const char *family, const char **names,
    size_t max);

#endif
