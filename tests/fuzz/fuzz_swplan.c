/* libFuzzer harness for the experiment plan parser: any bytes, no crash,
 * no leak. */
#include <stddef.h>
#include <stdint.h>

#include "../../swconf/swplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_plan *plan;
	char err[256];

	if (plan_parse((const char *)data, size, &plan, err, sizeof(err)) == 0)
		plan_free(plan);
	return 0;
}
