/* libFuzzer: MBR/GPT reader on any disk head, every partition number. */
#include <stddef.h>
#include <stdint.h>

#include "../../ni-initrd/parttable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_part p;
	char err[200];

	for (int n = 0; n <= 130; n += (n < 8 ? 1 : 61)) {
		if (pt_find(data, size, 512, 0, n, &p, err, sizeof(err)) == 0 &&
		    p.length == 0)
			__builtin_trap();
		(void)pt_find(data, size, 4096, 1 << 30, n, &p, err, sizeof(err));
	}
	return 0;
}
