/* recvshim: an LD_PRELOAD test shim on the receiving side of UDP sockets,
 * standing in for a lossy network (this kernel has no netem).
 *
 *   RECVSHIM_DROP_PPM=N      drop N per million datagrams, at random
 *   RECVSHIM_CORRUPT_NTH=N   flip the last byte of the Nth datagram longer
 *                            than 1000 bytes (a DATA block) on a socket bound
 *                            to a multicast address
 *   RECVSHIM_DROP_MCAST=1    drop everything on sockets bound to a multicast
 *                            address (multicast "does not arrive")
 *   RECVSHIM_SLOW_US=N       a slow receiver: sleep N microseconds for every
 *                            datagram taken from a multicast-bound socket
 *   RECVSHIM_RCVBUF=N        a small receive buffer: SO_RCVBUF and
 *                            SO_RCVBUFFORCE ask for at most N bytes
 * Dropped datagrams are consumed and the next one is returned, so blocking
 * and non-blocking callers both behave as on a lossy link. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static int (*real_recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static long drop_ppm = -1, corrupt_nth, drop_mcast, slow_us, rcvbuf_max;
static unsigned long big_seen;
static uint64_t rng;

static void
init(void)
{
	const char *s;

	real_recvfrom = (ssize_t (*)(int, void *, size_t, int, struct sockaddr *,
	    socklen_t *))dlsym(RTLD_NEXT, "recvfrom");
	real_recvmmsg = (int (*)(int, struct mmsghdr *, unsigned int, int,
	    struct timespec *))dlsym(RTLD_NEXT, "recvmmsg");
	s = getenv("RECVSHIM_DROP_PPM");
	drop_ppm = s ? strtol(s, NULL, 10) : 0;
	s = getenv("RECVSHIM_CORRUPT_NTH");
	corrupt_nth = s ? strtol(s, NULL, 10) : 0;
	s = getenv("RECVSHIM_DROP_MCAST");
	drop_mcast = s ? strtol(s, NULL, 10) : 0;
	s = getenv("RECVSHIM_SLOW_US");
	slow_us = s ? strtol(s, NULL, 10) : 0;
	s = getenv("RECVSHIM_RCVBUF");
	rcvbuf_max = s ? strtol(s, NULL, 10) : 0;
	real_setsockopt = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT,
	    "setsockopt");
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
		if (mc && slow_us > 0)
			usleep((useconds_t)slow_us);
		return n;
	}
}

/* The same for a batch: dropped datagrams are removed and the ones after
 * them moved up (callers here give each message one buffer). */
int
recvmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags, struct timespec *timeout)
{
	unsigned int i, k;
	int n, udp, mc;

	if (drop_ppm < 0)
		init();
	udp = is_udp(fd);
	mc = udp && is_mcast_bound(fd);
	for (;;) {
		n = real_recvmmsg(fd, msgs, vlen, flags, timeout);
		if (n <= 0 || !udp)
			return n;
		for (i = 0, k = 0; i < (unsigned int)n; i++) {
			struct msghdr *h = &msgs[i].msg_hdr;
			unsigned int len = msgs[i].msg_len;

			if (mc && drop_mcast)
				continue;
			if (drop_ppm > 0 && next_rand() % 1000000 < (uint32_t)drop_ppm)
				continue;
			if (mc && len > 1000 && corrupt_nth > 0 &&
			    ++big_seen == (unsigned long)corrupt_nth)
				((unsigned char *)h->msg_iov[0].iov_base)[len - 1] ^= 0x5a;
			if (k != i) {
				memcpy(msgs[k].msg_hdr.msg_iov[0].iov_base, h->msg_iov[0].iov_base, len);
				msgs[k].msg_len = len;
			}
			k++;
		}
		if (mc && slow_us > 0)
			usleep((useconds_t)(slow_us * n));
		if (k > 0)
			return (int)k;
	}
}

int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int v;

	if (drop_ppm < 0)
		init();
	if (rcvbuf_max > 0 && level == SOL_SOCKET && (name == SO_RCVBUF ||
	    name == SO_RCVBUFFORCE) && len == sizeof(int)) {
		memcpy(&v, val, sizeof(v));
		if (v > rcvbuf_max)
			v = (int)rcvbuf_max;
		return real_setsockopt(fd, level, name, &v, sizeof(v));
	}
	return real_setsockopt(fd, level, name, val, len);
}
