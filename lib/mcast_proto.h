/* The imaged multicast protocol: receiver-driven distribution of sosimg
 * chunks, in the spirit of Emulab's frisbee.  Wire codec only; pure
 * functions over (buf, len).  Described in docs/imaged.md.
 *
 * Every datagram starts with a 16-byte header (network byte order):
 *   0 magic "SOSM"  4 version (1)  5 type  6 flags  8 session  12 client
 * session: the first 4 bytes of the image's SHA-256 (0 in JOIN);
 * client: a random id the receiver picks (0 from the server). */
#ifndef SPRINGOS_MCAST_PROTO_H
#define SPRINGOS_MCAST_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "sosimg.h"

#define MP_MAGIC 0x534f534du /* "SOSM" */
#define MP_VERSION 1
#define MP_HDR_LEN 16
#define MP_BLOCK 1400            /* data bytes per DATA datagram */
#define MP_MAX_DGRAM 1500
#define MP_NAME_MAX 63
#define MP_IDX_PER_DGRAM 20      /* index entries per IDX datagram */
#define MP_REQ_MAX_ITEMS 128     /* items per REQ datagram */

enum mp_type {
	MP_JOIN = 1,    /* r->s: image name */
	MP_INFO = 2,    /* s->r: sosimg header, group, port */
	MP_IDXREQ = 3,  /* r->s: first entry, count */
	MP_IDX = 4,     /* s->r: index entries */
	MP_REQ = 5,     /* r->s: chunk and block ranges wanted */
	MP_DATA = 6,    /* s->group (or s->r unicast): one block of one chunk */
	MP_STATUS = 7,  /* r->s: progress, loss, done */
	MP_ERROR = 8,   /* s->r: no such image */
};

#define MP_F_UNICAST 0x1   /* REQ: send to me, not the group; DATA: was sent so */
#define MP_F_DONE 0x2      /* STATUS: receiver finished */
#define MP_F_SEQ 0x4       /* STATUS: seq_next and window are set */

struct mp_hdr {
	uint8_t type;
	uint8_t flags;
	uint32_t session;
	uint32_t client;
};

struct mp_info {
	struct sosimg_header img;   /* with its 128 encoded bytes checked */
	uint32_t group;             /* network byte order */
	uint16_t port;
	uint16_t block;             /* data bytes per block */
};

struct mp_item {
	uint32_t chunk;
	uint16_t count;       /* whole chunks [chunk, chunk+count) when nblocks == 0 */
	uint16_t first_block; /* else blocks [first_block, +nblocks) of chunk */
	uint16_t nblocks;
};

struct mp_data {
	uint32_t seq;         /* per-session multicast sequence, for loss estimates */
	uint32_t chunk;
	uint16_t block;
	uint16_t nblocks;     /* blocks in this chunk */
	uint32_t clen;        /* stored length of the chunk */
	const uint8_t *data;  /* points into the datagram */
	size_t len;
};

struct mp_status {
	uint32_t chunks_done, chunks_total;
	uint64_t bytes_done, bytes_total;
	uint32_t loss_ppm;    /* multicast datagrams lost, parts per million */
	uint32_t corrupt;     /* chunks that failed SHA-256 */
	/* Flow control (with MP_F_SEQ): the multicast sequence number after the
	 * last one the receiver has taken off its socket, and how many
	 * datagrams past it the receiver can buffer.  A 32-byte STATUS (an
	 * older receiver) has neither. */
	uint32_t seq_next;
	uint32_t window;
};

/* Number of blocks a chunk of stored length clen is cut into. */
uint32_t mp_nblocks(uint32_t clen);

/* Encoders return the datagram length, or 0 if out is too small. */
size_t mp_encode_join(uint8_t *out, size_t cap, uint32_t client, const char *name);
size_t mp_encode_info(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    const struct mp_info *info);
size_t mp_encode_idxreq(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint32_t first, uint16_t count);
size_t mp_encode_idx(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint32_t first, const struct sosimg_entry *ents, uint16_t count);
size_t mp_encode_req(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint8_t flags, const struct mp_item *items, size_t n);
size_t mp_encode_data(uint8_t *out, size_t cap, uint32_t session, uint8_t flags,
    const struct mp_data *d);
size_t mp_encode_status(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint8_t flags, const struct mp_status *st);
size_t mp_encode_error(uint8_t *out, size_t cap, uint32_t client, const char *msg);

/* Parsers: 0 on success, -1 on a malformed datagram. */
int mp_parse_hdr(const uint8_t *buf, size_t len, struct mp_hdr *h);
int mp_parse_join(const uint8_t *buf, size_t len, char name[MP_NAME_MAX + 1]);
int mp_parse_info(const uint8_t *buf, size_t len, struct mp_info *info);
int mp_parse_idxreq(const uint8_t *buf, size_t len, uint32_t *first, uint16_t *count);
/* ents: room for MP_IDX_PER_DGRAM; entries are decoded, not validated
 * (the receiver validates the whole index with sosimg_parse_index). */
int mp_parse_idx(const uint8_t *buf, size_t len, uint32_t *first, uint8_t *raw,
    uint16_t *count);
/* items: room for MP_REQ_MAX_ITEMS. */
int mp_parse_req(const uint8_t *buf, size_t len, struct mp_item *items, size_t *n);
int mp_parse_data(const uint8_t *buf, size_t len, struct mp_data *d);
int mp_parse_status(const uint8_t *buf, size_t len, struct mp_status *st);

#endif
