/* libFuzzer: the master's request body parsers and token splitting. */
#include <stddef.h>
#include <stdint.h>

#include "erm.h"
#include "token.h"
#include "../../master/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_progress pr;
	struct api_result r;
	char err[256], node[ERM_NAME_MAX];

	(void)api_parse_progress((const char *)data, size, &pr, err, sizeof(err));
	(void)api_parse_result((const char *)data, size, &r, err, sizeof(err));
	(void)token_split((const char *)data, size, node, sizeof(node));
	return 0;
}
