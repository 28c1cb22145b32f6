/* Streaming image decoders for ni: raw, gzip, zstd, VMDK, sosimg.
 *
 * A decoder turns the fetched byte stream into the bytes that go on the
 * disk, a bounded piece at a time: it never holds more than its codec's
 * window, so an image of any size installs on a node with little memory.
 * decoder_run() is a pure function of its input and state (no I/O), which
 * is what the fuzz harness calls. */
#ifndef NI_DECODE_H
#define NI_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum img_format {
	IMG_AUTO = 0,	/* decided from the first bytes of the stream */
	IMG_RAW,
	IMG_GZIP,
	IMG_ZSTD,
	IMG_VMDK,	/* monolithicSparse or streamOptimized, grains in disk order */
	IMG_SOSIMG,	/* imaged's chunked format, every chunk SHA-256 checked */
};

enum decode_err {
	DEC_OK = 0,
	DEC_ECORRUPT = -1,	/* the codec rejected the data */
	DEC_ETRUNCATED = -2,	/* the stream ended inside a frame or member */
	DEC_ENOMEM = -3,
	DEC_EUNSUPPORTED = -4,	/* a format this build cannot decode */
};

struct decoder;

const char *img_format_name(enum img_format f);
/* "raw", "gzip"/"gz", "zstd"/"zst", "vmdk", "sosimg", "auto"; -1 if unknown. */
int img_format_parse(const char *s, enum img_format *out);
/* The format the first bytes announce (magic numbers); IMG_RAW if none. */
enum img_format img_format_sniff(const uint8_t *buf, size_t len);

int decoder_new(enum img_format f, struct decoder **out);
void decoder_free(struct decoder *d);	/* NULL is a no-op */
/* True if the decoder's output is its input (raw): the pipeline then hands
 * buffers on without copying. */
int decoder_is_passthrough(const struct decoder *d);
/* Consume some of in[0..inlen) and produce some of out[0..outcap).  Call
 * again with the rest of the input while *consumed < inlen or while the
 * output filled up.  Once the input has ended, call with in = NULL,
 * inlen = 0 until no more output comes, then decoder_finish.  Returns
 * DEC_OK or an error. */
int decoder_run(struct decoder *d, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced);
/* The input has ended: DEC_OK if it ended on a frame boundary. */
int decoder_finish(struct decoder *d);
const char *decode_strerror(int err);
/* The last error in detail ("sosimg chunk 3: SHA-256 mismatch"), or "". */
const char *decoder_errmsg(const struct decoder *d);
/* 1 and the SHA-256 of the whole decoded image when the format carries it
 * (sosimg, once its header is read), else 0. */
int decoder_image_sha256(const struct decoder *d, uint8_t out[32]);

#endif
