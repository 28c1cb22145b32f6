/* libFuzzer: every image reader (sosimg, VMDK sparse and stream, gzip,
 * zstd) over arbitrary bytes in a memfd, reading the whole disk. */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../imaged/imgio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img_reader *r;
	static uint8_t buf[1 << 16];
	uint64_t off, total;
	char err[256];
	size_t n;
	int fd;

	fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size &&
	    img_open_fd(fd, "fuzz", IMG_AUTO, "/tmp", &r, err, sizeof(err)) == 0) {
		total = img_size(r);
		/* Bound the work: a tiny input may declare a huge sparse disk. */
		for (off = 0; off < total && off < (8u << 20); off += n) {
			n = total - off < sizeof(buf) ? (size_t)(total - off) : sizeof(buf);
			if (img_known_zero(r, off, n))
				continue;
			if (img_read(r, off, buf, n, err, sizeof(err)) < 0)
				break;
		}
		img_close(r);
	}
	close(fd);
	return 0;
}
