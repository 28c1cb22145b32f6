/* libFuzzer: the sosimg header, index and chunk decoder over arbitrary
 * bytes taken as a whole image file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sosimg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sosimg_header h;
	struct sosimg_entry *ents;
	uint8_t *out;
	char err[256];
	uint32_t i;

	if (sosimg_parse_header(data, size, &h, err, sizeof(err)) != SOSIMG_OK)
		return 0;
	/* The file is the input: its real size must match the header's. */
	if (h.file_size != size || h.n_chunks > 4096)
		return 0;
	ents = calloc(h.n_chunks + 1, sizeof(*ents));
	out = malloc(h.chunk_size);
	if (ents != NULL && out != NULL &&
	    sosimg_parse_index(&h, data + h.index_off, size - h.index_off, ents, err,
	    sizeof(err)) == SOSIMG_OK) {
		for (i = 0; i < h.n_chunks && i < 64; i++)
			(void)sosimg_decode_chunk(&ents[i], data + ents[i].file_off,
			    ents[i].clen, out, err, sizeof(err));
	}
	free(ents);
	free(out);
	return 0;
}
