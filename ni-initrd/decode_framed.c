/* Streaming decoders for the framed formats: the chunked sosimg format
 * (docs/image-format.md) and VMDK hosted sparse extents (VMware "Virtual
 * Disk Format 1.1": monolithicSparse and streamOptimized).
 *
 * Both are read front to back, once, as they arrive from the network:
 * a small engine accumulates the next item (header, index, marker,
 * grain, chunk) or skips bytes, and the format's step function turns a
 * complete item into output (data or a run of zeros) and says what comes
 * next.  Output is always in disk order; data that would need going back
 * (a VMDK whose grains are not in disk order) is refused with a reason,
 * never written to the wrong place.  Every buffer has a hard bound. */
#include "decode_framed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../imaged/vmdk.h"
#include "sosimg.h"

#define META_MAX (64u << 20)	/* index / VMDK metadata we hold */
#define GRAINS_MAX (4u << 20)	/* allocated VMDK grains we track */

enum step_state {
	SO_HDR, SO_IDX, SO_DATA, SO_NEXT,
	VM_HDR, VM_MARK, VM_GRAIN, VM_META, VM_SGRAIN, VM_SNEXT,
};

struct sgrain {
	uint64_t file_sector;
	uint64_t index;
};

struct framed {
	int vmdk;
	enum step_state st;
	/* engine */
	uint8_t *acc;
	size_t acc_len, acc_need, acc_cap;
	uint64_t skip;
	uint64_t pos;		/* input bytes consumed */
	uint64_t zeros;		/* zero bytes still to emit */
	const uint8_t *emit;
	size_t emit_left;
	uint64_t out_pos;	/* disk bytes emitted or scheduled */
	int done;
	char msg[256];
	/* sosimg */
	struct sosimg_header sh;
	struct sosimg_entry *ents;
	uint32_t next;
	uint8_t *chunk;
	/* vmdk */
	struct vmdk_header vh;
	uint64_t capacity;	/* bytes */
	size_t grain;		/* bytes */
	uint8_t *gbuf;
	uint64_t glba;		/* LBA of the grain being read */
	struct sgrain *sg;
	uint64_t nsg, sgi;
	int stream;		/* streamOptimized */
	uint64_t grains_seen;	/* streamOptimized: grain markers read */
	int64_t grains_expected;	/* from a leading grain directory, -1 unknown */
};

static int ferr(struct framed *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ferr(struct framed *f, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* Ask for `need` bytes of input in acc (from its start). */
static int
want(struct framed *f, size_t need)
{
	if (need > META_MAX + SOSIMG_MAX_CHUNK)
		return ferr(f, DEC_ECORRUPT, "an item of %zu bytes is beyond the bound", need);
	if (need > f->acc_cap) {
		uint8_t *n = realloc(f->acc, need);

		if (n == NULL)
			return ferr(f, DEC_ENOMEM, "out of memory for %zu bytes", need);
		f->acc = n;
		f->acc_cap = need;
	}
	f->acc_len = 0;
	f->acc_need = need;
	return DEC_OK;
}

/* Skip input up to file offset `off` (never backwards). */
static int
skip_to(struct framed *f, uint64_t off, const char *what)
{
	if (off < f->pos)
		return ferr(f, DEC_ECORRUPT, "%s at byte %llu lies behind byte %llu already read",
		    what, (unsigned long long)off, (unsigned long long)f->pos);
	f->skip = off - f->pos;
	return DEC_OK;
}

/* Emit disk bytes [off, off + len) from buf, zero-filling from out_pos. */
static int
emit_at(struct framed *f, uint64_t off, const uint8_t *buf, size_t len, const char *what)
{
	if (off < f->out_pos)
		return ferr(f, DEC_ECORRUPT, "%s for disk byte %llu comes after disk byte %llu: "
		    "not in disk order (convert the image with imgtool)", what,
		    (unsigned long long)off, (unsigned long long)f->out_pos);
	f->zeros += off - f->out_pos;
	f->emit = buf;
	f->emit_left = len;
	f->out_pos = off + len;
	return DEC_OK;
}

/* ---- sosimg ---- */

static int
so_next(struct framed *f)
{
	/* Zero chunks have no stored bytes: they become a run of zeros. */
	while (f->next < f->sh.n_chunks && f->ents[f->next].codec == SOSIMG_ZERO) {
		f->zeros += f->ents[f->next].ulen;
		f->out_pos += f->ents[f->next].ulen;
		f->next++;
	}
	if (f->next == f->sh.n_chunks) {
		f->done = 1;
		return skip_to(f, f->sh.file_size, "the end of the image");
	}
	f->st = SO_DATA;
	return skip_to(f, f->ents[f->next].file_off, "a chunk") ?: want(f, f->ents[f->next].clen);
}

static int
so_step(struct framed *f)
{
	char err[200];
	size_t n;

	switch (f->st) {
	case SO_HDR:
		if (sosimg_parse_header(f->acc, f->acc_len, &f->sh, err, sizeof(err)) != SOSIMG_OK)
			return ferr(f, DEC_ECORRUPT, "sosimg: %s", err);
		n = (size_t)f->sh.n_chunks * SOSIMG_ENTRY_LEN;
		if (n > META_MAX)
			return ferr(f, DEC_ECORRUPT, "sosimg: index of %zu bytes is beyond the bound",
			    n);
		if ((f->ents = calloc(f->sh.n_chunks ? f->sh.n_chunks : 1, sizeof(*f->ents))) ==
		    NULL || (f->chunk = malloc(f->sh.chunk_size)) == NULL)
			return ferr(f, DEC_ENOMEM, "sosimg: out of memory for the index");
		f->st = SO_IDX;
		return skip_to(f, f->sh.index_off, "the index") ?: want(f, n);
	case SO_IDX:
		if (sosimg_parse_index(&f->sh, f->acc, f->acc_len, f->ents, err, sizeof(err)) !=
		    SOSIMG_OK)
			return ferr(f, DEC_ECORRUPT, "sosimg: %s", err);
		f->next = 0;
		return skip_to(f, f->sh.data_off, "the data") ?: so_next(f);
	case SO_DATA:
		/* Each chunk carries the SHA-256 of its bytes: checked here,
		 * before anything reaches the disk. */
		if (sosimg_decode_chunk(&f->ents[f->next], f->acc, f->acc_len, f->chunk, err,
		    sizeof(err)) != SOSIMG_OK)
			return ferr(f, DEC_ECORRUPT, "sosimg chunk %u: %s", f->next, err);
		f->emit = f->chunk;
		f->emit_left = f->ents[f->next].ulen;
		f->out_pos += f->ents[f->next].ulen;
		f->next++;
		/* What follows (zero chunks) must come out after this chunk:
		 * continue once the engine has flushed it. */
		f->st = SO_NEXT;
		return DEC_OK;
	case SO_NEXT:
		return so_next(f);
	default:
		return ferr(f, DEC_ECORRUPT, "internal: bad state");
	}
}

/* ---- VMDK ---- */

static int
sg_cmp(const void *a, const void *b)
{
	const struct sgrain *x = a, *y = b;

	return x->file_sector < y->file_sector ? -1 : x->file_sector > y->file_sector;
}

static int
vm_sparse_next(struct framed *f)
{
	if (f->sgi == f->nsg) {
		f->done = 1;
		f->zeros += f->capacity - f->out_pos;
		f->out_pos = f->capacity;
		return DEC_OK;
	}
	f->st = VM_SGRAIN;
	return skip_to(f, f->sg[f->sgi].file_sector * VMDK_SECTOR, "a grain") ?:
	    want(f, f->grain);
}

/* monolithicSparse: the grain directory and tables lie in the metadata
 * before the first grain; map every allocated grain, then read grains in
 * file order, which must also be disk order. */
static int
vm_meta(struct framed *f)
{
	uint64_t ngts = vmdk_n_gts(&f->vh), ngr = vmdk_n_grains(&f->vh), gd = f->vh.gd_offset;
	size_t len = f->acc_len;

	if (gd == VMDK_GD_AT_END || gd * VMDK_SECTOR + ngts * 4 > len)
		return ferr(f, DEC_ECORRUPT, "VMDK: grain directory outside the metadata");
	if (ngr > GRAINS_MAX)
		return ferr(f, DEC_ECORRUPT, "VMDK: %llu grains is beyond the bound",
		    (unsigned long long)ngr);
	if ((f->sg = calloc(ngr ? ngr : 1, sizeof(*f->sg))) == NULL)
		return ferr(f, DEC_ENOMEM, "VMDK: out of memory for the grain map");
	f->nsg = 0;
	for (uint64_t t = 0; t < ngts; t++) {
		const uint8_t *p = f->acc + gd * VMDK_SECTOR + t * 4;
		uint64_t gt = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
		    (uint64_t)p[3] << 24;

		if (gt == 0)
			continue;	/* a whole table of unallocated grains */
		if (gt * VMDK_SECTOR + (uint64_t)VMDK_GTES_PER_GT * 4 > len)
			return ferr(f, DEC_ECORRUPT, "VMDK: grain table %llu outside the metadata",
			    (unsigned long long)t);
		for (uint64_t e = 0; e < VMDK_GTES_PER_GT && t * VMDK_GTES_PER_GT + e < ngr; e++) {
			const uint8_t *q = f->acc + gt * VMDK_SECTOR + e * 4;
			uint64_t s = (uint64_t)q[0] | (uint64_t)q[1] << 8 | (uint64_t)q[2] << 16 |
			    (uint64_t)q[3] << 24;

			if (s <= 1)
				continue;	/* unallocated (0) or zeroed (1) */
			if (s < f->vh.overhead)
				return ferr(f, DEC_ECORRUPT, "VMDK: grain %llu inside the metadata",
				    (unsigned long long)(t * VMDK_GTES_PER_GT + e));
			f->sg[f->nsg].file_sector = s;
			f->sg[f->nsg].index = t * VMDK_GTES_PER_GT + e;
			f->nsg++;
		}
	}
	qsort(f->sg, f->nsg, sizeof(*f->sg), sg_cmp);
	for (uint64_t i = 1; i < f->nsg; i++) {
		if (f->sg[i].file_sector == f->sg[i - 1].file_sector)
			return ferr(f, DEC_ECORRUPT, "VMDK: two grains share sector %llu",
			    (unsigned long long)f->sg[i].file_sector);
		if (f->sg[i].index < f->sg[i - 1].index)
			return ferr(f, DEC_ECORRUPT, "VMDK: grains are not stored in disk order "
			    "(convert the image with imgtool)");
	}
	f->sgi = 0;
	return vm_sparse_next(f);
}

/* streamOptimized with its grain directory up front (qemu-img writes it
 * so and may end the file without an end-of-stream marker): count the
 * allocated grains, so that a clean end of input is accepted only when
 * every one of them has arrived. */
static int
vm_count_grains(struct framed *f)
{
	uint64_t ngts = vmdk_n_gts(&f->vh), ngr = vmdk_n_grains(&f->vh), gd = f->vh.gd_offset;
	size_t len = f->acc_len;
	int64_t n = 0;

	if (gd * VMDK_SECTOR + ngts * 4 > len)
		return ferr(f, DEC_ECORRUPT, "VMDK: grain directory outside the metadata");
	for (uint64_t t = 0; t < ngts; t++) {
		const uint8_t *p = f->acc + gd * VMDK_SECTOR + t * 4;
		uint64_t gt = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
		    (uint64_t)p[3] << 24;

		if (gt == 0)
			continue;
		if (gt * VMDK_SECTOR + (uint64_t)VMDK_GTES_PER_GT * 4 > len)
			return ferr(f, DEC_ECORRUPT, "VMDK: grain table %llu outside the metadata",
			    (unsigned long long)t);
		for (uint64_t e = 0; e < VMDK_GTES_PER_GT && t * VMDK_GTES_PER_GT + e < ngr; e++) {
			const uint8_t *q = f->acc + gt * VMDK_SECTOR + e * 4;

			if ((q[0] | q[1] << 8 | q[2] << 16 | q[3] << 24) > 1)
				n++;
		}
	}
	f->grains_expected = n;
	f->st = VM_MARK;
	return want(f, VMDK_SECTOR);
}

static int
vm_step(struct framed *f)
{
	struct vmdk_marker m;
	char err[200];
	uLongf glen;
	uint64_t off;

	switch (f->st) {
	case VM_HDR:
		if (vmdk_parse_header(f->acc, f->acc_len, &f->vh, err, sizeof(err)) != 0)
			return ferr(f, DEC_ECORRUPT, "VMDK: %s", err);
		f->capacity = f->vh.capacity * VMDK_SECTOR;
		f->grain = (size_t)f->vh.grain_size * VMDK_SECTOR;
		if ((f->gbuf = malloc(f->grain)) == NULL)
			return ferr(f, DEC_ENOMEM, "VMDK: out of memory for a grain");
		if ((f->vh.flags & VMDK_FLAG_MARKERS) && (f->vh.flags & VMDK_FLAG_COMPRESSED)) {
			/* streamOptimized: markers and grains after the overhead. */
			f->stream = 1;
			f->grains_expected = -1;
			if (f->vh.gd_offset == VMDK_GD_AT_END || f->vh.gd_offset == 0 ||
			    f->vh.gd_offset >= f->vh.overhead ||
			    f->vh.overhead * VMDK_SECTOR > META_MAX) {
				f->st = VM_MARK;
				return skip_to(f, f->vh.overhead * VMDK_SECTOR,
				    "the first grain") ?: want(f, VMDK_SECTOR);
			}
		}
		if (!f->stream && (f->vh.flags & VMDK_FLAG_COMPRESSED))
			return ferr(f, DEC_EUNSUPPORTED, "VMDK: compressed without markers");
		if (f->vh.overhead * VMDK_SECTOR > META_MAX || f->vh.overhead < 1)
			return ferr(f, DEC_ECORRUPT, "VMDK: metadata of %llu sectors out of bounds",
			    (unsigned long long)f->vh.overhead);
		/* Keep the header: the metadata region counts from byte 0. */
		{
			uint8_t hdr[VMDK_SECTOR];
			int rc;

			memcpy(hdr, f->acc, VMDK_SECTOR);
			if ((rc = want(f, (size_t)f->vh.overhead * VMDK_SECTOR)) != DEC_OK)
				return rc;
			memcpy(f->acc, hdr, VMDK_SECTOR);
			f->acc_len = VMDK_SECTOR;
		}
		f->st = VM_META;
		return DEC_OK;
	case VM_META:
		return f->stream ? vm_count_grains(f) : vm_meta(f);
	case VM_SGRAIN:
		off = f->sg[f->sgi].index * f->grain;
		memcpy(f->gbuf, f->acc, f->grain);
		f->sgi++;
		{
			size_t n = off + f->grain > f->capacity ? (size_t)(f->capacity - off) :
			    f->grain;
			int rc = emit_at(f, off, f->gbuf, n, "a grain");

			if (rc != DEC_OK)
				return rc;
		}
		f->st = VM_SNEXT;	/* after the grain is flushed */
		return DEC_OK;
	case VM_SNEXT:
		return vm_sparse_next(f);
	case VM_MARK:
		(void)vmdk_parse_marker(f->acc, f->acc_len, &m);
		if (m.size > 0) {
			/* Grain marker: LBA, compressed size, deflate data, padded
			 * to a sector. */
			size_t total = ((size_t)12 + m.size + VMDK_SECTOR - 1) / VMDK_SECTOR *
			    VMDK_SECTOR;
			uint8_t first[VMDK_SECTOR];
			int rc;

			if (m.size > 2 * f->grain + 1024)
				return ferr(f, DEC_ECORRUPT, "VMDK: grain marker of %u bytes",
				    m.size);
			f->glba = m.value;
			f->grains_seen++;
			f->st = VM_GRAIN;
			if (total == VMDK_SECTOR)
				return vm_step(f);
			memcpy(first, f->acc, VMDK_SECTOR);
			if ((rc = want(f, total)) != DEC_OK)
				return rc;
			memcpy(f->acc, first, VMDK_SECTOR);
			f->acc_len = VMDK_SECTOR;
			return DEC_OK;
		}
		switch (m.type) {
		case VMDK_MARKER_EOS:
			f->done = 1;
			if (f->out_pos > f->capacity)
				return ferr(f, DEC_ECORRUPT, "VMDK: grains beyond the capacity");
			f->zeros += f->capacity - f->out_pos;
			f->out_pos = f->capacity;
			return DEC_OK;
		case VMDK_MARKER_GT:
		case VMDK_MARKER_GD:
		case VMDK_MARKER_FOOTER:
			/* Metadata we do not need: value sectors follow. */
			if (m.value > (1u << 20))
				return ferr(f, DEC_ECORRUPT, "VMDK: metadata marker of %llu sectors",
				    (unsigned long long)m.value);
			f->st = VM_MARK;
			return skip_to(f, f->pos + m.value * VMDK_SECTOR, "metadata") ?:
			    want(f, VMDK_SECTOR);
		default:
			return ferr(f, DEC_ECORRUPT, "VMDK: unknown marker type %u at byte %llu",
			    m.type, (unsigned long long)(f->pos - VMDK_SECTOR));
		}
	case VM_GRAIN: {
		uint32_t size = (uint32_t)f->acc[8] | (uint32_t)f->acc[9] << 8 |
		    (uint32_t)f->acc[10] << 16 | (uint32_t)f->acc[11] << 24;
		int zrc;

		glen = f->grain;
		zrc = uncompress(f->gbuf, &glen, f->acc + 12, size);
		if (zrc != Z_OK)
			return ferr(f, DEC_ECORRUPT, "VMDK: grain at LBA %llu does not inflate",
			    (unsigned long long)f->glba);
		if (f->glba > f->vh.capacity || glen > f->capacity - f->glba * VMDK_SECTOR)
			return ferr(f, DEC_ECORRUPT, "VMDK: grain at LBA %llu beyond the capacity",
			    (unsigned long long)f->glba);
		f->st = VM_MARK;
		return emit_at(f, f->glba * VMDK_SECTOR, f->gbuf, glen, "a grain") ?:
		    want(f, VMDK_SECTOR);
	}
	default:
		return ferr(f, DEC_ECORRUPT, "internal: bad state");
	}
}

/* ---- engine ---- */

int
framed_new(int vmdk, struct framed **out)
{
	struct framed *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (f == NULL)
		return DEC_ENOMEM;
	f->vmdk = vmdk;
	f->st = vmdk ? VM_HDR : SO_HDR;
	if (want(f, vmdk ? VMDK_SECTOR : SOSIMG_HDR_LEN) != DEC_OK) {
		free(f);
		return DEC_ENOMEM;
	}
	*out = f;
	return DEC_OK;
}

void
framed_free(struct framed *f)
{
	if (f == NULL)
		return;
	free(f->acc);
	free(f->ents);
	free(f->chunk);
	free(f->gbuf);
	free(f->sg);
	free(f);
}

int
framed_run(struct framed *f, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced)
{
	size_t i = 0, o = 0;
	int rc = DEC_OK;

	for (;;) {
		size_t n;

		if (f->zeros > 0) {
			n = f->zeros < outcap - o ? (size_t)f->zeros : outcap - o;
			memset(out + o, 0, n);
			o += n;
			f->zeros -= n;
			if (f->zeros > 0)
				break;
		}
		if (f->emit_left > 0) {
			n = f->emit_left < outcap - o ? f->emit_left : outcap - o;
			memcpy(out + o, f->emit, n);
			o += n;
			f->emit += n;
			f->emit_left -= n;
			if (f->emit_left > 0)
				break;
		}
		/* in == NULL: the input has ended.  A streamOptimized VMDK
		 * that ends cleanly between markers, after every grain its
		 * directory lists, is complete without an end-of-stream
		 * marker (qemu-img writes them so). */
		if (in == NULL && !f->done && f->vmdk && f->stream && f->st == VM_MARK &&
		    f->acc_len == 0 && f->skip == 0 && f->grains_expected >= 0 &&
		    (uint64_t)f->grains_expected == f->grains_seen) {
			f->done = 1;
			f->zeros = f->capacity - f->out_pos;
			f->out_pos = f->capacity;
			continue;
		}
		if (f->skip > 0) {
			n = f->skip < inlen - i ? (size_t)f->skip : inlen - i;
			i += n;
			f->pos += n;
			f->skip -= n;
			if (f->skip > 0)
				break;
		}
		if (f->done) {
			/* Writers pad the file after the end-of-stream marker
			 * (qemu-img rounds it up); zeros there are harmless,
			 * anything else means we misread the image. */
			for (; i < inlen; i++, f->pos++)
				if (in[i] != 0) {
					rc = ferr(f, DEC_ECORRUPT,
					    "data after the end of the image at byte %llu",
					    (unsigned long long)f->pos);
					break;
				}
			break;
		}
		if (f->acc_len < f->acc_need) {
			n = f->acc_need - f->acc_len < inlen - i ? f->acc_need - f->acc_len :
			    inlen - i;
			if (n > 0)
				memcpy(f->acc + f->acc_len, in + i, n);
			f->acc_len += n;
			i += n;
			f->pos += n;
			if (f->acc_len < f->acc_need)
				break;
		}
		f->acc_need = 0;
		if ((rc = f->vmdk ? vm_step(f) : so_step(f)) != DEC_OK)
			break;
	}
	*consumed = i;
	*produced = o;
	return rc;
}

int
framed_finish(struct framed *f)
{

	if (!f->done || f->zeros > 0 || f->emit_left > 0 || f->skip > 0)
		return ferr(f, DEC_ETRUNCATED, "the %s image ends early, at byte %llu",
		    f->vmdk ? "VMDK" : "sosimg", (unsigned long long)f->pos);
	return DEC_OK;
}

int
framed_image_sha256(const struct framed *f, uint8_t out[32])
{
	if (f->vmdk || f->st == SO_HDR)
		return 0;
	memcpy(out, f->sh.image_sha256, 32);
	return 1;
}

uint64_t
framed_disk_size(const struct framed *f)
{
	if (f->vmdk)
		return f->st == VM_HDR ? 0 : f->capacity;
	return f->st == SO_HDR ? 0 : f->sh.disk_size;
}

const char *
framed_errmsg(const struct framed *f)
{
	return f->msg;
}
