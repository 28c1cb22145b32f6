#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nl.h"

#define NL_BUF 4096

struct nl_req {
	struct nlmsghdr n;
	struct ifinfomsg i;
	char attrs[512];
};

static uint32_t nl_seq;

int
nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void
nl_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

static struct rtattr *
add_attr(struct nl_req *r, int type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->n.nlmsg_len);
	struct rtattr *a = (struct rtattr *)((char *)r + off);

	if (off + RTA_SPACE(len) > sizeof(*r))
		return NULL;
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->n.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return a;
}

static void
init_req(struct nl_req *r, int type, int flags)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r->n.nlmsg_type = (uint16_t)type;
	r->n.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->n.nlmsg_seq = ++nl_seq;
	r->i.ifi_family = AF_UNSPEC;
}

/* Send and read the acknowledgement (a NLMSG_ERROR with error 0). */
static int
talk(int fd, struct nl_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[NL_BUF];
	ssize_t n;

	if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->n.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					errno = EPROTO;
					return -1;
				}
				if (e->error == 0)
					return 0;
				errno = -e->error;
				return -1;
			}
		}
	}
}

static int
set_up(int fd, int ifindex)
{
	struct nl_req r;

	init_req(&r, RTM_NEWLINK, 0);
	r.i.ifi_index = ifindex;
	r.i.ifi_flags = IFF_UP;
	r.i.ifi_change = IFF_UP;
	return talk(fd, &r);
}

int
nl_bridge_add(int fd, const char *name)
{
	struct nl_req r;
	struct rtattr *li;
	unsigned idx;

	if (strlen(name) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((idx = if_nametoindex(name)) == 0) {
		init_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
		add_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
		li = add_attr(&r, IFLA_LINKINFO, NULL, 0);
		add_attr(&r, IFLA_INFO_KIND, "bridge", 6);
		li->rta_len = (unsigned short)((char *)&r + r.n.nlmsg_len - (char *)li);
		if (talk(fd, &r) < 0 && errno != EEXIST)
			return -1;
		if ((idx = if_nametoindex(name)) == 0)
			return -1;
	}
	return set_up(fd, (int)idx);
}

int
nl_link_del(int fd, const char *name)
{
	struct nl_req r;
	unsigned idx = if_nametoindex(name);

	if (idx == 0)
		return 0;
	init_req(&r, RTM_DELLINK, 0);
	r.i.ifi_index = (int)idx;
	return talk(fd, &r);
}

int
nl_link_set_master(int fd, const char *ifname, int master)
{
	struct nl_req r;
	unsigned idx = if_nametoindex(ifname);
	uint32_t m = (uint32_t)master;

	if (idx == 0)
		return -1;
	init_req(&r, RTM_NEWLINK, 0);
	r.i.ifi_index = (int)idx;
	r.i.ifi_flags = IFF_UP;
	r.i.ifi_change = IFF_UP;
	add_attr(&r, IFLA_MASTER, &m, sizeof(m));
	return talk(fd, &r);
}
