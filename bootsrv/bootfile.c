/* Opening client-named files strictly inside a served root. */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <unistd.h>

#include "bootfile.h"
#include "util.h"

int
bootfile_root(const char *root)
{
	return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Without openat2: walk the path one component at a time with
 * O_NOFOLLOW, so no symlink is ever followed. */
static int
open_walk(int rootfd, const char *rel, int flags, mode_t mode)
{
	char comp[256];
	const char *p = rel, *slash;
	int dirfd = rootfd, fd, saved;
	size_t n;

	for (;;) {
		slash = strchr(p, '/');
		if (slash == NULL)
			break;
		n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof(comp)) {
			errno = EINVAL;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		fd = openat(dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		if (dirfd != rootfd)
			close(dirfd);
		dirfd = fd;
		p = slash + 1;
	}
	fd = openat(dirfd, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	saved = errno;
	if (dirfd != rootfd)
		close(dirfd);
	errno = saved;
	return fd;
fail:
	saved = errno;
	if (dirfd != rootfd)
		close(dirfd);
	errno = saved;
	return -1;
}

int
bootfile_open(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how;
	struct stat st;
	int fd, rdonly = (flags & O_ACCMODE) == O_RDONLY;

	if (rdonly)
		flags |= O_NONBLOCK | O_NOCTTY;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.mode = (flags & O_CREAT) ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open_walk(rootfd, rel, flags, mode);
	if (fd < 0)
		return -1;
	if (rdonly) {
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			errno = EACCES;
			return -1;
		}
		/* Regular files never block; clear O_NONBLOCK for clarity. */
		(void)fcntl(fd, F_SETFL, 0);
	}
	return fd;
}

int
hostport_parse(const char *s, struct sockaddr_in *out)
{
	char host[IPV4_STRLEN];
	const char *colon = strrchr(s, ':');
	uint32_t addr;
	long port;
	size_t n;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (ipv4_parse(host, &addr) < 0 || parse_long(colon + 1, 1, 65535, &port) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_addr.s_addr = addr;
	out->sin_port = htons((uint16_t)port);
	return 0;
}
