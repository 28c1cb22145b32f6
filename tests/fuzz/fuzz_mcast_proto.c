/* libFuzzer: every multicast datagram parser over arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "mcast_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_item items[MP_REQ_MAX_ITEMS];
	uint8_t raw[MP_IDX_PER_DGRAM * SOSIMG_ENTRY_LEN];
	char name[MP_NAME_MAX + 1];
	struct mp_status st;
	struct mp_info info;
	struct mp_data d;
	struct mp_hdr h;
	uint32_t first;
	uint16_t count;
	size_t n;

	if (mp_parse_hdr(data, size, &h) < 0)
		return 0;
	(void)mp_parse_join(data, size, name);
	(void)mp_parse_info(data, size, &info);
	(void)mp_parse_idxreq(data, size, &first, &count);
	(void)mp_parse_idx(data, size, &first, raw, &count);
	(void)mp_parse_req(data, size, items, &n);
	if (mp_parse_data(data, size, &d) == 0 && d.len > 0) {
		/* The payload must lie inside the datagram. */
		volatile uint8_t x = d.data[d.len - 1];
		(void)x;
	}
	(void)mp_parse_status(data, size, &st);
	return 0;
}
