/* The imaged multicast protocol: wire codec.  See mcast_proto.h. */
#include "mcast_proto.h"

#include <string.h>

#include "bytes.h"

uint32_t
mp_nblocks(uint32_t clen)
{
	return clen / MP_BLOCK + (clen % MP_BLOCK != 0);
}

static size_t
put_hdr(uint8_t *out, size_t cap, size_t need, uint8_t type, uint8_t flags,
    uint32_t session, uint32_t client)
{
	if (cap < MP_HDR_LEN + need)
		return 0;
	be32_put(out, MP_MAGIC);
	out[4] = MP_VERSION;
	out[5] = type;
	out[6] = flags;
	out[7] = 0;
	be32_put(out + 8, session);
	be32_put(out + 12, client);
	return MP_HDR_LEN;
}

int
mp_parse_hdr(const uint8_t *buf, size_t len, struct mp_hdr *h)
{
	if (len < MP_HDR_LEN || be32_get(buf) != MP_MAGIC || buf[4] != MP_VERSION)
		return -1;
	h->type = buf[5];
	h->flags = buf[6];
	h->session = be32_get(buf + 8);
	h->client = be32_get(buf + 12);
	return 0;
}

/* JOIN payload: name length (1 byte), name. */
size_t
mp_encode_join(uint8_t *out, size_t cap, uint32_t client, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > MP_NAME_MAX || put_hdr(out, cap, 1 + n, MP_JOIN, 0, 0, client) == 0)
		return 0;
	out[MP_HDR_LEN] = (uint8_t)n;
	memcpy(out + MP_HDR_LEN + 1, name, n);
	return MP_HDR_LEN + 1 + n;
}

int
mp_parse_join(const uint8_t *buf, size_t len, char name[MP_NAME_MAX + 1])
{
	size_t n, i;

	if (len < MP_HDR_LEN + 1)
		return -1;
	n = buf[MP_HDR_LEN];
	if (n == 0 || n > MP_NAME_MAX || len != MP_HDR_LEN + 1 + n)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t c = buf[MP_HDR_LEN + 1 + i];

		/* Image names are [A-Za-z0-9._-]; anything else is refused here. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return -1;
		name[i] = (char)c;
	}
	name[n] = '\0';
	return 0;
}

/* INFO payload: sosimg header (128), group (4), port (2), block (2). */
size_t
mp_encode_info(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    const struct mp_info *info)
{
	uint8_t *p;

	if (put_hdr(out, cap, SOSIMG_HDR_LEN + 8, MP_INFO, 0, session, client) == 0)
		return 0;
	p = out + MP_HDR_LEN;
	sosimg_encode_header(&info->img, p);
	memcpy(p + SOSIMG_HDR_LEN, &info->group, 4);
	be16_put(p + SOSIMG_HDR_LEN + 4, info->port);
	be16_put(p + SOSIMG_HDR_LEN + 6, info->block);
	return MP_HDR_LEN + SOSIMG_HDR_LEN + 8;
}

int
mp_parse_info(const uint8_t *buf, size_t len, struct mp_info *info)
{
	const uint8_t *p = buf + MP_HDR_LEN;

	if (len != MP_HDR_LEN + SOSIMG_HDR_LEN + 8)
		return -1;
	if (sosimg_parse_header(p, SOSIMG_HDR_LEN, &info->img, NULL, 0) != SOSIMG_OK)
		return -1;
	memcpy(&info->group, p + SOSIMG_HDR_LEN, 4);
	info->port = be16_get(p + SOSIMG_HDR_LEN + 4);
	info->block = be16_get(p + SOSIMG_HDR_LEN + 6);
	if (info->block != MP_BLOCK)
		return -1;
	return 0;
}

size_t
mp_encode_idxreq(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint32_t first, uint16_t count)
{
	if (put_hdr(out, cap, 6, MP_IDXREQ, 0, session, client) == 0)
		return 0;
	be32_put(out + MP_HDR_LEN, first);
	be16_put(out + MP_HDR_LEN + 4, count);
	return MP_HDR_LEN + 6;
}

int
mp_parse_idxreq(const uint8_t *buf, size_t len, uint32_t *first, uint16_t *count)
{
	if (len != MP_HDR_LEN + 6)
		return -1;
	*first = be32_get(buf + MP_HDR_LEN);
	*count = be16_get(buf + MP_HDR_LEN + 4);
	if (*count == 0 || *count > MP_IDX_PER_DGRAM)
		return -1;
	return 0;
}

/* IDX payload: first (4), count (2), count * 64 bytes of sosimg entries. */
size_t
mp_encode_idx(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint32_t first, const struct sosimg_entry *ents, uint16_t count)
{
	uint16_t i;

	if (count > MP_IDX_PER_DGRAM ||
	    put_hdr(out, cap, 6 + (size_t)count * SOSIMG_ENTRY_LEN, MP_IDX, 0, session,
	    client) == 0)
		return 0;
	be32_put(out + MP_HDR_LEN, first);
	be16_put(out + MP_HDR_LEN + 4, count);
	for (i = 0; i < count; i++)
		sosimg_encode_entry(&ents[i], out + MP_HDR_LEN + 6 + i * SOSIMG_ENTRY_LEN);
	return MP_HDR_LEN + 6 + (size_t)count * SOSIMG_ENTRY_LEN;
}

int
mp_parse_idx(const uint8_t *buf, size_t len, uint32_t *first, uint8_t *raw,
    uint16_t *count)
{
	if (len < MP_HDR_LEN + 6)
		return -1;
	*first = be32_get(buf + MP_HDR_LEN);
	*count = be16_get(buf + MP_HDR_LEN + 4);
	if (*count == 0 || *count > MP_IDX_PER_DGRAM ||
	    len != MP_HDR_LEN + 6 + (size_t)*count * SOSIMG_ENTRY_LEN)
		return -1;
	memcpy(raw, buf + MP_HDR_LEN + 6, (size_t)*count * SOSIMG_ENTRY_LEN);
	return 0;
}

/* REQ payload: n (2), n items of chunk (4), count (2), first_block (2),
 * nblocks (2). */
size_t
mp_encode_req(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint8_t flags, const struct mp_item *items, size_t n)
{
	uint8_t *p;
	size_t i;

	if (n == 0 || n > MP_REQ_MAX_ITEMS ||
	    put_hdr(out, cap, 2 + n * 10, MP_REQ, flags, session, client) == 0)
		return 0;
	p = out + MP_HDR_LEN;
	be16_put(p, (uint16_t)n);
	p += 2;
	for (i = 0; i < n; i++, p += 10) {
		be32_put(p, items[i].chunk);
		be16_put(p + 4, items[i].count);
		be16_put(p + 6, items[i].first_block);
		be16_put(p + 8, items[i].nblocks);
	}
	return MP_HDR_LEN + 2 + n * 10;
}

int
mp_parse_req(const uint8_t *buf, size_t len, struct mp_item *items, size_t *n)
{
	const uint8_t *p = buf + MP_HDR_LEN + 2;
	size_t i, cnt;

	if (len < MP_HDR_LEN + 2)
		return -1;
	cnt = be16_get(buf + MP_HDR_LEN);
	if (cnt == 0 || cnt > MP_REQ_MAX_ITEMS || len != MP_HDR_LEN + 2 + cnt * 10)
		return -1;
	for (i = 0; i < cnt; i++, p += 10) {
		items[i].chunk = be32_get(p);
		items[i].count = be16_get(p + 4);
		items[i].first_block = be16_get(p + 6);
		items[i].nblocks = be16_get(p + 8);
		if (items[i].nblocks == 0 && items[i].count == 0)
			return -1;
	}
	*n = cnt;
	return 0;
}

/* DATA payload: seq (4), chunk (4), block (2), nblocks (2), clen (4), data. */
size_t
mp_encode_data(uint8_t *out, size_t cap, uint32_t session, uint8_t flags,
    const struct mp_data *d)
{
	uint8_t *p;

	if (d->len > MP_BLOCK || put_hdr(out, cap, 16 + d->len, MP_DATA, flags, session,
	    0) == 0)
		return 0;
	p = out + MP_HDR_LEN;
	be32_put(p, d->seq);
	be32_put(p + 4, d->chunk);
	be16_put(p + 8, d->block);
	be16_put(p + 10, d->nblocks);
	be32_put(p + 12, d->clen);
	memcpy(p + 16, d->data, d->len);
	return MP_HDR_LEN + 16 + d->len;
}

int
mp_parse_data(const uint8_t *buf, size_t len, struct mp_data *d)
{
	const uint8_t *p = buf + MP_HDR_LEN;
	size_t want;

	if (len < MP_HDR_LEN + 16 + 1)
		return -1;
	d->seq = be32_get(p);
	d->chunk = be32_get(p + 4);
	d->block = be16_get(p + 8);
	d->nblocks = be16_get(p + 10);
	d->clen = be32_get(p + 12);
	d->data = p + 16;
	d->len = len - MP_HDR_LEN - 16;
	/* The block count and every block's length follow from clen. */
	if (d->clen == 0 || mp_nblocks(d->clen) != d->nblocks || d->block >= d->nblocks)
		return -1;
	want = d->block + 1u == d->nblocks ? d->clen - (size_t)d->block * MP_BLOCK : MP_BLOCK;
	if (d->len != want)
		return -1;
	return 0;
}

/* STATUS payload: chunks done (4), total (4), bytes done (8), total (8),
 * loss ppm (4), corrupt (4). */
size_t
mp_encode_status(uint8_t *out, size_t cap, uint32_t session, uint32_t client,
    uint8_t flags, const struct mp_status *st)
{
	uint8_t *p;

	size_t body = flags & MP_F_SEQ ? 40 : 32;

	if (put_hdr(out, cap, body, MP_STATUS, flags, session, client) == 0)
		return 0;
	p = out + MP_HDR_LEN;
	be32_put(p, st->chunks_done);
	be32_put(p + 4, st->chunks_total);
	be64_put(p + 8, st->bytes_done);
	be64_put(p + 16, st->bytes_total);
	be32_put(p + 24, st->loss_ppm);
	be32_put(p + 28, st->corrupt);
	if (body == 40) {
		be32_put(p + 32, st->seq_next);
		be32_put(p + 36, st->window);
	}
	return MP_HDR_LEN + body;
}

int
mp_parse_status(const uint8_t *buf, size_t len, struct mp_status *st)
{
	const uint8_t *p = buf + MP_HDR_LEN;
	int seq;

	if (len < MP_HDR_LEN)
		return -1;
	seq = buf[6] & MP_F_SEQ;
	if (len != MP_HDR_LEN + (seq ? 40 : 32))
		return -1;
	st->chunks_done = be32_get(p);
	st->chunks_total = be32_get(p + 4);
	st->bytes_done = be64_get(p + 8);
	st->bytes_total = be64_get(p + 16);
	st->loss_ppm = be32_get(p + 24);
	st->corrupt = be32_get(p + 28);
	st->seq_next = seq ? be32_get(p + 32) : 0;
	st->window = seq ? be32_get(p + 36) : 0;
	if (st->chunks_done > st->chunks_total || st->bytes_done > st->bytes_total ||
	    st->loss_ppm > 1000000)
		return -1;
	return 0;
}

size_t
mp_encode_error(uint8_t *out, size_t cap, uint32_t client, const char *msg)
{
	size_t n = strlen(msg);

	if (n > 200)
		n = 200;
	if (put_hdr(out, cap, n, MP_ERROR, 0, 0, client) == 0)
		return 0;
	memcpy(out + MP_HDR_LEN, msg, n);
	return MP_HDR_LEN + n;
}
