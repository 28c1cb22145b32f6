/* libFuzzer harness for the INI reader: any bytes, no crash, no leak. */
#include <stddef.h>
#include <stdint.h>

#include "ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ini_doc *doc;
	struct ini_error err;

	if (ini_parse((const char *)data, size, &doc, &err) == 0) {
		for (size_t i = 0; i < doc->nsections; i++)
			(void)ini_find(doc, i, "mac");
		ini_free(doc);
	}
	return 0;
}
