/* DHCP sockets and raw replies; see dhcp_io.h. */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dhcp_io.h"
#include "log.h"
#include "util.h"

struct iface {
	char name[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	int has_mac;
	pcap_t *pcap;             /* NULL: fall back to broadcast */
};

static struct {
	struct event_base *base;
	struct dhcp_engine *engine;
	struct dhcp_io_hooks hooks;
	int fd67, fd4011;
	uint16_t port;
	struct event *ev67, *ev4011;
	struct iface ifaces[DHCP_IO_MAX_IFACES];
	size_t nifaces;
	int filter;               /* only serve the listed interfaces */
	struct dhcp_reply *queue; /* DHCP_IO_BURST durable replies */
	size_t nqueue;
	struct dhcp_msg *msg;
	struct log_ratelimit rl;
} io = { .fd67 = -1, .fd4011 = -1 };

static struct iface *
iface_by_index(int ifindex)
{
	for (size_t i = 0; i < io.nifaces; i++)
		if (io.ifaces[i].ifindex == ifindex)
			return &io.ifaces[i];
	return NULL;
}

static uint16_t
csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A complete Ethernet/IPv4/UDP frame from our port 67 to the client's
 * 68 at its hardware address: the client cannot answer ARP yet. */
static int
send_link(const struct dhcp_reply *r, struct iface *ifc)
{
	uint8_t frame[14 + 20 + 8 + DHCP_REPLY_MAX];
	uint8_t *ip = frame + 14, *udp = ip + 20;
	size_t udplen = 8 + r->out.len, iplen = 20 + udplen;
	uint32_t src = htonl(r->src_addr), dst = htonl(r->dst_addr), sum;
	uint8_t pseudo[12];
	uint16_t v;

	memcpy(frame, r->dst_mac, 6);
	memcpy(frame + 6, ifc->mac, 6);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	v = htons((uint16_t)iplen);
	memcpy(ip + 2, &v, 2);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	v = htons((uint16_t)~csum_add(0, ip, 20));
	memcpy(ip + 10, &v, 2);
	v = htons(67);
	memcpy(udp, &v, 2);
	v = htons(68);
	memcpy(udp + 2, &v, 2);
	v = htons((uint16_t)udplen);
	memcpy(udp + 4, &v, 2);
	memset(udp + 6, 0, 2);
	memcpy(udp + 8, r->out.buf, r->out.len);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	v = htons((uint16_t)udplen);
	memcpy(pseudo + 10, &v, 2);
	sum = csum_add(0, pseudo, 12);
	sum = csum_add(sum, udp, udplen);
	v = htons((uint16_t)(~sum ? ~sum : 0xffff));
	memcpy(udp + 6, &v, 2);
	if (pcap_inject(ifc->pcap, frame, 14 + iplen) < 0) {
		log_limited(&io.rl, LOG_WARNING, "dhcp: raw send on %s: %s", ifc->name,
		    pcap_geterr(ifc->pcap));
		return -1;
	}
	return 0;
}

void
dhcp_io_send(const struct dhcp_reply *r)
{
	struct sockaddr_in to;
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct cmsghdr *cm;
	struct in_pktinfo *pi;
	struct iface *ifc;
	char a[IPV4_STRLEN];
	int fd = io.fd67;

	if (r->dest == DEST_LINK) {
		if ((ifc = iface_by_index(r->ifindex)) != NULL && ifc->pcap != NULL &&
		    ifc->has_mac && send_link(r, ifc) == 0)
			return;
		/* No raw path on this interface: broadcast reaches it too. */
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)r->out.buf;
	iov.iov_len = r->out.len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &to;
	mh.msg_namelen = sizeof(to);
	if (r->dest == DEST_UNICAST) {
		to.sin_addr.s_addr = htonl(r->dst_addr);
		to.sin_port = htons(r->dst_port);
		if (r->dst_port != 67 && r->dst_port != 68 && io.fd4011 >= 0)
			fd = io.fd4011;
	} else {
		/* Limited broadcast out of the interface the request came in
		 * on; IP_PKTINFO picks the interface and source address. */
		to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
		to.sin_port = htons(68);
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		pi = (struct in_pktinfo *)(void *)CMSG_DATA(cm);
		pi->ipi_ifindex = r->ifindex;
		pi->ipi_spec_dst.s_addr = htonl(r->src_addr);
	}
	if (sendmsg(fd, &mh, 0) < 0) {
		ipv4_format(to.sin_addr.s_addr, a);
		log_limited(&io.rl, LOG_WARNING, "dhcp: sending %s to %s: %s",
		    dhcp_msgtype_name(r->msgtype), a, strerror(errno));
	}
}

static void
flush_queue(void)
{
	struct dhcp_reply *r = (struct dhcp_reply *)io.queue;

	if (io.hooks.submit == NULL) {
		for (size_t i = 0; i < io.nqueue; i++)
			dhcp_io_send(&r[i]);
	} else if (io.hooks.submit(io.hooks.ctx, r, io.nqueue) != 0) {
		log_limited(&io.rl, LOG_WARNING, "dhcp: lease writer busy: %zu replies dropped",
		    io.nqueue);
	}
	io.nqueue = 0;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	static struct dhcp_reply reply;
	uint8_t buf[DHCP_MAX_LEN + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct sockaddr_in from;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	struct dhcp_rx rx;
	struct timespec ts;
	enum dhcp_err perr;
	char a[IPV4_STRLEN];
	uint16_t dport = (uint16_t)(intptr_t)arg;
	ssize_t n;
	int i;

	(void)what;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < DHCP_IO_BURST; i++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		if ((n = recvmsg(fd, &mh, 0)) < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_limited(&io.rl, LOG_WARNING, "dhcp: recvmsg: %s",
				    strerror(errno));
			break;
		}
		memset(&rx, 0, sizeof(rx));
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				rx.ifindex = pi.ipi_ifindex;
				rx.local_addr = ntohl(pi.ipi_spec_dst.s_addr);
			}
		}
		if (io.filter && iface_by_index(rx.ifindex) == NULL)
			continue;
		rx.src_addr = ntohl(from.sin_addr.s_addr);
		rx.src_port = ntohs(from.sin_port);
		rx.dst_port = dport;
		rx.now = ts.tv_sec;
		ipv4_format(from.sin_addr.s_addr, a);
		if (mh.msg_flags & MSG_TRUNC) {
			log_limited(&io.rl, LOG_INFO, "dhcp: dropped a message from %s: %s", a,
			    dhcp_strerror(DHCP_E_GIANT));
			continue;
		}
		if ((perr = dhcp_parse(buf, (size_t)n, io.msg)) != DHCP_OK) {
			if (perr == DHCP_E_BADOPT)
				log_limited(&io.rl, LOG_INFO, "dhcp: dropped a message from %s: %s "
				    "(option %d)", a, dhcp_strerror(perr), io.msg->bad_opt);
			else
				log_limited(&io.rl, LOG_INFO, "dhcp: dropped a message from %s: %s",
				    a, dhcp_strerror(perr));
			continue;
		}
		if (dhcp_engine_handle(io.engine, io.msg, &rx, &reply) != 1)
			continue;
		if (reply.durable) {
			io.queue[io.nqueue++] = reply;
			if (io.nqueue == DHCP_IO_BURST)
				flush_queue();
		} else {
			dhcp_io_send(&reply);
		}
	}
	flush_queue();
}

static int
open_udp(uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	int fd, one = 1, rcvbuf = 4 << 20;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A deep queue rides out a slow lease commit; FORCE passes
	 * rmem_max when we are root, plain RCVBUF is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "setsockopt: %s", strerror(errno));
		close(fd);
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		snprintf(err, errlen, "binding UDP port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Open a pcap handle for sending only: the filter matches nothing, so
 * the kernel copies no received traffic to us. */
static pcap_t *
open_pcap(const char *name)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	pcap_t *p;

	if ((p = pcap_create(name, ebuf)) == NULL) {
		log_warn("dhcp: pcap on %s: %s; replies there will be broadcast", name, ebuf);
		return NULL;
	}
	(void)pcap_set_snaplen(p, 64);
	(void)pcap_set_buffer_size(p, 64 * 1024);
	if (pcap_activate(p) < 0) {
		log_warn("dhcp: pcap on %s: %s; replies there will be broadcast", name,
		    pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		pcap_close(p);
		return NULL;
	}
	if (pcap_compile(p, &prog, "less 1", 1, PCAP_NETMASK_UNKNOWN) == 0) {
		(void)pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
	}
	return p;
}

static int
collect_ifaces(const char *const *ifnames, char *err, size_t errlen)
{
	struct ifaddrs *ifa, *i;
	size_t k;

	if (getifaddrs(&ifa) != 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	io.filter = ifnames != NULL && ifnames[0] != NULL;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		struct iface *ifc;
		int want = 0;

		if (i->ifa_addr == NULL || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (io.filter) {
			for (k = 0; ifnames[k] != NULL; k++)
				if (strcmp(ifnames[k], i->ifa_name) == 0)
					want = 1;
			if (!want)
				continue;
		}
		if ((ifc = iface_by_index((int)if_nametoindex(i->ifa_name))) == NULL) {
			if (io.nifaces == DHCP_IO_MAX_IFACES)
				continue;
			ifc = &io.ifaces[io.nifaces++];
			memset(ifc, 0, sizeof(*ifc));
			str_copy(ifc->name, i->ifa_name, sizeof(ifc->name));
			ifc->ifindex = (int)if_nametoindex(i->ifa_name);
		}
		if (i->ifa_addr->sa_family == AF_PACKET) {
			struct sockaddr_ll *ll = (struct sockaddr_ll *)(void *)i->ifa_addr;

			if (ll->sll_halen == 6) {
				memcpy(ifc->mac, ll->sll_addr, 6);
				ifc->has_mac = 1;
			}
		}
	}
	freeifaddrs(ifa);
	if (io.filter) {
		for (k = 0; ifnames[k] != NULL; k++) {
			if (if_nametoindex(ifnames[k]) == 0 ||
			    iface_by_index((int)if_nametoindex(ifnames[k])) == NULL) {
				snprintf(err, errlen, "no interface named %s", ifnames[k]);
				return -1;
			}
		}
	}
	return 0;
}

int
dhcp_io_open(struct event_base *base, const char *const *ifnames, int proxy, uint16_t port,
    struct dhcp_engine *engine, const struct dhcp_io_hooks *hooks, char *err, size_t errlen)
{
	io.base = base;
	io.engine = engine;
	io.hooks = *hooks;
	io.port = port;
	io.rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 20);
	io.queue = calloc(DHCP_IO_BURST, sizeof(*io.queue));
	io.msg = malloc(sizeof(*io.msg));
	if (io.queue == NULL || io.msg == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (collect_ifaces(ifnames, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < io.nifaces; i++)
		if (io.ifaces[i].has_mac)
			io.ifaces[i].pcap = open_pcap(io.ifaces[i].name);
	if ((io.fd67 = open_udp(port, err, errlen)) < 0)
		goto fail;
	io.ev67 = event_new(base, io.fd67, EV_READ | EV_PERSIST, on_readable, (void *)(intptr_t)67);
	if (io.ev67 == NULL || event_add(io.ev67, NULL) != 0) {
		snprintf(err, errlen, "event_add failed");
		goto fail;
	}
	if (proxy) {
		if ((io.fd4011 = open_udp(port == 67 ? 4011 : (uint16_t)(port + 1), err,
		    errlen)) < 0)
			goto fail;
		io.ev4011 = event_new(base, io.fd4011, EV_READ | EV_PERSIST, on_readable,
		    (void *)(intptr_t)4011);
		if (io.ev4011 == NULL || event_add(io.ev4011, NULL) != 0) {
			snprintf(err, errlen, "event_add failed");
			goto fail;
		}
	}
	return 0;
fail:
	dhcp_io_close();
	return -1;
}

void
dhcp_io_close(void)
{
	if (io.ev67 != NULL)
		event_free(io.ev67);
	if (io.ev4011 != NULL)
		event_free(io.ev4011);
	io.ev67 = io.ev4011 = NULL;
	if (io.fd67 >= 0)
		close(io.fd67);
	if (io.fd4011 >= 0)
		close(io.fd4011);
	io.fd67 = io.fd4011 = -1;
	for (size_t i = 0; i < io.nifaces; i++)
		if (io.ifaces[i].pcap != NULL)
			pcap_close(io.ifaces[i].pcap);
	io.nifaces = 0;
	free(io.queue);
	free(io.msg);
	io.queue = NULL;
	io.msg = NULL;
}
