#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	char sep = 0;

	for (int i = 0; i < 6; i++) {
		int hi = hexval((unsigned char)s[0]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);

		if (lo < 0)
			return -1;
		m[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i == 5)
			break;
		if (*s != ':' && *s != '-')
			return -1;
		if (sep != 0 && *s != sep)
			return -1;
		sep = *s++;
	}
	if (*s != '\0')
		return -1;
	memcpy(mac, m, sizeof(m));
	return 0;
}

void
mac_format(const uint8_t mac[6], char out[MAC_STRLEN])
{
	snprintf(out, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int
mac_normalize(const char *s, char out[MAC_STRLEN])
{
	uint8_t mac[6];

	if (mac_parse(s, mac) != 0)
		return -1;
	mac_format(mac, out);
	return 0;
}

int
ipv4_parse(const char *s, uint32_t *out)
{
	struct in_addr a;

	/* inet_pton accepts exactly the dotted-quad decimal form. */
	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = a.s_addr;
	return 0;
}

void
ipv4_format(uint32_t addr, char out[IPV4_STRLEN])
{
	struct in_addr a = { .s_addr = addr };

	if (inet_ntop(AF_INET, &a, out, IPV4_STRLEN) == NULL)
		out[0] = '\0';
}

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
