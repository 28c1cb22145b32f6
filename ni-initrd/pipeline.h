/* The install pipeline: fetch -> decode -> write, one thread per stage
 * joined by bounded queues of buffers, so the network, the codec and the
 * disk work at the same time and the slowest one sets the pace; then
 * sync and verify by reading the target back.
 *
 * Memory is bounded by the buffer pools (nbufs x bufsize per stage), not
 * by the image: a 4 GiB image installs with a few MiB. */
#ifndef NI_PIPELINE_H
#define NI_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "params.h"

enum pipe_stage { STAGE_START, STAGE_FETCH, STAGE_VERIFY, STAGE_DONE, STAGE_FAILED };

struct pipe_progress {
	_Atomic uint64_t fetched;	/* bytes received from the source */
	_Atomic uint64_t total;		/* source size when the source says, else 0 */
	_Atomic uint64_t decoded;	/* image bytes produced by the decoder */
	_Atomic uint64_t written;	/* image bytes handled by the writer (incl. skipped zeros) */
	_Atomic uint64_t verified;	/* bytes read back */
	_Atomic int stage;
};

struct pipe_opts {
	const struct ni_plan *plan;	/* url, format, partition, sha256 */
	const char *target;		/* disk device or file */
	int create;			/* create the target file if missing (standalone) */
	int verify;			/* read the target back and compare */
	size_t bufsize;			/* 0 = 1 MiB */
	int nbufs;			/* per stage; 0 = 8 */
	const char *ca_file;		/* https: trust anchors, NULL = system default */
	/* Called about every second from the calling thread (and once at the
	 * end) while the install runs. */
	void (*progress)(void *ctx, const struct pipe_progress *pr);
	void *progress_ctx;
};

struct pipe_result {
	int ok;
	char reason[512];		/* why it failed, one sentence */
	uint64_t bytes;			/* image bytes written */
	uint64_t fetched;		/* source bytes */
	uint64_t skipped;		/* zero bytes not written (target known zeroed) */
	char sha256[65];		/* of the image bytes, as verified */
	double seconds;			/* whole run, verify included */
	double write_seconds;		/* fetch+decode+write+sync only */
	enum img_format format;		/* as detected */
	uint64_t target_offset;		/* where the image went (partition start) */
};

/* Run one install.  Returns 0 and result->ok = 1 on success; -1 with
 * result->reason otherwise.  Never leaves threads behind. */
int pipe_run(const struct pipe_opts *opts, struct pipe_result *result);

/* Call once before any thread starts (curl_global_init). */
int pipe_global_init(void);

#endif
