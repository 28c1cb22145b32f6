/* libFuzzer: ni's kernel command line and plan parsers on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "../../ni-initrd/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ni_params p;
	struct ni_plan plan;
	char err[256];

	ni_params_defaults(&p);
	(void)ni_cmdline_parse((const char *)data, size, &p, err, sizeof(err));
	(void)ni_plan_parse((const char *)data, size, &plan, err, sizeof(err));
	return 0;
}
