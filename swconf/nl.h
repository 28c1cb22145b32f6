/* nl: the few rtnetlink requests vswitch-agent needs to realise VLANs as
 * Linux bridges (one bridge per VLAN, access ports enslaved to it).
 * Each call waits for the kernel's acknowledgement; -1 with errno set on
 * failure. */
#ifndef SWCONF_NL_H
#define SWCONF_NL_H

int nl_open(void);
void nl_close(int fd);
/* Create bridge `name` (an existing one is fine) and bring it up. */
int nl_bridge_add(int fd, const char *name);
int nl_link_del(int fd, const char *name);
/* Enslave ifname to master_ifindex (0 = release it) and bring it up. */
int nl_link_set_master(int fd, const char *ifname, int master_ifindex);

#endif
