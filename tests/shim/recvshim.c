/* recvshim: an LD_PRELOAD test shim on the receiving side of UDP sockets,
 * standing in for a lossy network (this kernel has no netem).
 *
 *   RECVSHIM_DROP_PPM=N      drop N per million datagrams, at random
 *   RECVSHIM_CORRUPT_NTH=N   flip the last byte of the Nth datagram longer
 *                            than 1000 bytes (a DATA block) on a socket bound
 *                            to a multicast address
 *   RECVSHIM_DROP_MCAST=1    drop everything on sockets bound to a multicast
 *                            address (multicast "does not arrive")
 * Dropped datagrams are consumed and the next one is returned, so blocking
 * and non-blocking callers both behave as on a lossy link. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static long drop_ppm = -1, corrupt_nth, drop_mcast;
static unsigned long big_seen;
static uint64_t rng;

static void
init(void)
{
	const char *s;

	real_recvfrom = (ssize_t (*)(int, void *, size_t, int, struct sockaddr *,
	    socklen_t *))dlsym(RTLD_NEXT, "recvfrom");
	s = getenv("RECVSHIM_DROP_PPM");
	drop_ppm = s ? strtol(s, NULL, 10) : 0;
	s = getenv("RECVSHIM_CORRUPT_NTH");
	corrupt_nth = s ? strtol(s, NULL, 10) : 0;
	s = getenv("RECVSHIM_DROP_MCAST");
	drop_mcast = s ? strtol(s, NULL, 10) : 0;
	rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull + 1;
}

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int
is_udp(int fd)
{
	int type = 0;
	socklen_t l = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_DGRAM;
}

static int
is_mcast_bound(int fd)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);

	return getsockname(fd, (struct sockaddr *)&sa, &l) == 0 && sa.sin_family == AF_INET &&
	    IN_MULTICAST(ntohl(sa.sin_addr.s_addr));
}

ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fl)
{
	ssize_t n;
	int udp, mc;

	if (drop_ppm < 0)
		init();
	udp = is_udp(fd);
	mc = udp && is_mcast_bound(fd);
	for (;;) {
		n = real_recvfrom(fd, buf, len, flags, from, fl);
		if (n < 0 || !udp)
			return n;
		if (mc && drop_mcast)
			continue;
		if (drop_ppm > 0 && next_rand() % 1000000 < (uint32_t)drop_ppm)
			continue;
		if (mc && n > 1000 && corrupt_nth > 0 && ++big_seen == (unsigned long)corrupt_nth)
			((unsigned char *)buf)[n - 1] ^= 0x5a;
		return n;
	}
}
