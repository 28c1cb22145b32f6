/* libFuzzer: the TFTP request and packet parsers, the path check, the
 * OACK builder fed with whatever the parser accepted, and the HTTP
 * Range parser and boot-script path matcher on the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../bootsrv/bootscript.h"
#include "../../bootsrv/tftp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An accepted path must never be absolute or hold a ".." component. */
static int
escapes(const char *rel)
{
	const char *p = rel;

	if (rel[0] == '/' || strchr(rel, '\\') != NULL)
		return 1;
	for (;;) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 1;
		if ((p = strchr(p, '/')) == NULL)
			return 0;
		p++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request req;
	struct tftp_packet pkt;
	uint8_t out[1024];
	char rel[TFTP_NAME_MAX + 1], str[512], mac[MAC_STRLEN];
	const char *why;
	uint64_t start, len;
	size_t n;

	if (tftp_parse_request(data, size, &req) == TFTP_P_OK) {
		if (tftp_path_check(req.filename, rel, sizeof(rel), &why) == 0 &&
		    escapes(rel))
			abort();
		(void)tftp_build_oack(out, sizeof(out), &req);
	}
	(void)tftp_parse_packet(data, size, &pkt);
	n = size < sizeof(str) - 1 ? size : sizeof(str) - 1;
	memcpy(str, data, n);
	str[n] = '\0';
	(void)tftp_path_check(str, rel, sizeof(rel), &why);
	if (http_range_parse(str, (uint64_t)size * 1000, &start, &len) == 1 &&
	    (len == 0 || start + len > (uint64_t)size * 1000))
		abort();
	(void)bootscript_path_mac(str, mac);
	return 0;
}
