/* libFuzzer harness for the inventory parser (pure: no database). */
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv;
	char err[512];

	if (inventory_parse("fuzz.ini", (const char *)data, size, &inv, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < inventory_count(inv); i++)
			(void)inventory_node(inv, i)->n_ifaces;
		inventory_free(inv);
	}
	return 0;
}
