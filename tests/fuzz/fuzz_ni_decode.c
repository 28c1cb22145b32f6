/* libFuzzer: the gzip, zstd, VMDK and sosimg stream decoders on any input, fed in
 * pieces; output is bounded so a decompression bomb only costs time up to
 * the cap. */
#include <stddef.h>
#include <stdint.h>

#include "../../ni-initrd/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(enum img_format f, const uint8_t *data, size_t size)
{
	static uint8_t out[4096];
	struct decoder *d;
	size_t pos = 0, total = 0;

	if (decoder_new(f, &d) != DEC_OK)
		return;
	while (total < (8u << 20)) {
		size_t n = size - pos < 977 ? size - pos : 977, used, made;

		if (decoder_run(d, pos < size ? data + pos : NULL, n, &used, out, sizeof(out),
		    &made) != DEC_OK)
			break;
		if (used > n || made > sizeof(out))
			__builtin_trap();
		pos += used;
		total += made;
		if (used == 0 && made == 0) {
			if (pos < size)
				break;
			(void)decoder_finish(d);
			break;
		}
	}
	decoder_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(IMG_GZIP, data, size);
	run(IMG_ZSTD, data, size);
	run(IMG_VMDK, data, size);
	run(IMG_SOSIMG, data, size);
	(void)img_format_sniff(data, size);
	return 0;
}
