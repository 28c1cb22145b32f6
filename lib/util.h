/* Small pure helpers shared by every program: strict number, MAC and
 * IPv4 parsing, bounded string copies.  All return 0 on success and -1
 * on malformed input, leaving the output untouched. */
#ifndef SPRINGOS_UTIL_H
#define SPRINGOS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define MAC_STRLEN 18 /* "aa:bb:cc:dd:ee:ff" and its NUL */
#define IPV4_STRLEN 16

/* Whole string is a base-10 integer within [min, max]. */
int parse_long(const char *s, long min, long max, long *out);

/* "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff", any case; exactly six
 * two-digit hex groups. */
int mac_parse(const char *s, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char out[MAC_STRLEN]);
/* Parse and re-format in canonical lower-case colon form. */
int mac_normalize(const char *s, char out[MAC_STRLEN]);

/* Dotted quad, exactly four decimal parts 0-255, no leading junk.
 * The result is in network byte order. */
int ipv4_parse(const char *s, uint32_t *out);
void ipv4_format(uint32_t addr, char out[IPV4_STRLEN]);

/* Copies at most size-1 bytes and always terminates; returns the length
 * of src, so a result >= size means it was truncated. */
size_t str_copy(char *dst, const char *src, size_t size);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
