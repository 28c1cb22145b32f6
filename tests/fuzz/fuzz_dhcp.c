/* libFuzzer harness for the DHCP parser and the reply builder: any
 * bytes, no crash, no out-of-bounds access, and the parsed options stay
 * inside the message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../bootsrv/dhcp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_msg msg;
	static struct dhcp_out out;
	const uint8_t *v;
	size_t len;

	if (dhcp_parse(data, size, &msg) != DHCP_OK)
		return 0;
	if (msg.optbuf_len > size)
		abort();
	for (int code = 0; code < 256; code++) {
		if ((v = dhcp_opt_get(&msg, (uint8_t)code, &len)) == NULL)
			continue;
		if (v < msg.optbuf || v + len > msg.optbuf + msg.optbuf_len)
			abort();
	}
	/* Echo some of it back the way the engine does. */
	dhcp_out_init(&out, &msg, 2);
	if ((v = dhcp_opt_get(&msg, DHO_CLIENT_UUID, &len)) != NULL)
		(void)dhcp_out_opt(&out, DHO_CLIENT_UUID, v, len);
	if ((v = dhcp_opt_get(&msg, DHO_PARAM_LIST, &len)) != NULL)
		(void)dhcp_out_opt(&out, 250, v, len);
	dhcp_out_finish(&out);
	if (out.len > out.cap + DHCP_REPLY_MIN)
		abort();
	return 0;
}
