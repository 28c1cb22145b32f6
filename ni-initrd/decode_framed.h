/* Streaming decoders for sosimg and VMDK (see decode_framed.c); used by
 * decode.c behind the decoder interface. */
#ifndef NI_DECODE_FRAMED_H
#define NI_DECODE_FRAMED_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct framed;

int framed_new(int vmdk, struct framed **out);
void framed_free(struct framed *f);
int framed_run(struct framed *f, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced);
int framed_finish(struct framed *f);
/* sosimg: the header's SHA-256 of the whole disk (1), else 0. */
int framed_image_sha256(const struct framed *f, uint8_t out[32]);
uint64_t framed_disk_size(const struct framed *f);
const char *framed_errmsg(const struct framed *f);

#endif
