/* mcast_recv: the receiver side of imaged's multicast distribution, as a
 * library (ni writes chunks straight to disk with it; imgrecv is a thin
 * command around it).
 *
 * The receiver drives: it joins the image's group, asks the server for the
 * chunks (or blocks of chunks) it lacks, takes any chunk multicast for
 * others that it also lacks, checks each chunk's SHA-256 before handing it
 * to the sink, and finishes on its own.  If its requests see no multicast
 * for fallback_ms it asks for unicast instead.  mcast_recv_run blocks (one
 * poll loop) and is bounded by timeout_s. */
#ifndef SPRINGOS_MCAST_RECV_H
#define SPRINGOS_MCAST_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "sosimg.h"

struct mcast_recv_sink {
	/* Write a verified chunk: len bytes of the disk at off.  0 or -1. */
	int (*write)(void *ctx, uint64_t off, const uint8_t *buf, size_t len);
	/* Resume: is this (non-zero) chunk already on the disk?  1 yes, 0 no.
	 * May be NULL (nothing is present). */
	int (*have)(void *ctx, const struct sosimg_entry *e);
	/* Make [off, off+len) read as zeros (a zero chunk).  May be NULL. */
	int (*zero)(void *ctx, uint64_t off, size_t len);
	void *ctx;
};

struct mcast_recv_stats {
	uint64_t bytes_done, bytes_total;   /* disk bytes: for a progress bar */
	uint32_t chunks_total;
	uint32_t chunks_present;    /* found on disk at start (resume) or zero */
	uint32_t chunks_received;   /* received, verified and written */
	uint32_t chunks_corrupt;    /* failed SHA-256 and were fetched again */
	uint64_t datagrams;         /* DATA datagrams taken */
	uint64_t useless;           /* DATA for chunks already held */
	uint32_t evicted;           /* partial chunks dropped for lack of room */
	int unicast;                /* fell back to (or forced) unicast */
	uint8_t image_sha256[32];
};

struct mcast_recv_cfg {
	uint32_t server;          /* imaged's address, network byte order */
	uint16_t port;            /* its multicast control port */
	const char *image;        /* image name */
	uint32_t iface;           /* local address to join the group on; 0 any */
	int unicast_only;
	int fallback_ms;          /* 0: 3000 */
	int timeout_s;            /* 0: 3600 */
	struct mcast_recv_sink sink;
	/* Optional: progress after each chunk; events worth a log line. */
	void (*progress)(void *ctx, const struct mcast_recv_stats *st);
	void (*event)(void *ctx, const char *msg);
	void *cb_ctx;
};

/* 0 when every chunk is on the disk; -1 with err set otherwise.  st may be
 * NULL; it is filled as the transfer runs. */
int mcast_recv_run(const struct mcast_recv_cfg *cfg, struct mcast_recv_stats *st,
    char *err, size_t errlen);

/* A sink over a file or block device.  resume: chunks already on it are
 * found by their SHA-256.  fresh: the target is known to read as zeros
 * (a new sparse file), so zero chunks need no writing.  Free with
 * mcast_recv_fd_sink_free(sink->ctx). */
int mcast_recv_fd_sink(int fd, int resume, int fresh, struct mcast_recv_sink *out);
void mcast_recv_fd_sink_free(void *ctx);

#endif
