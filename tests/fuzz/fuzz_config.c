/* libFuzzer harness for springos.ini parsing and validation. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c;
	char err[512];

	if (conf_parse("fuzz.ini", (const char *)data, size, &c, err, sizeof(err)) == 0) {
		const char *names[8];
		size_t n = conf_instances(c, "switch", names, 8);

		for (size_t i = 0; i < n && i < 8; i++)
			(void)conf_int(c, names[i], "ports");
		(void)conf_str(c, "testbed", "db");
		conf_free(c);
	}
	return 0;
}
