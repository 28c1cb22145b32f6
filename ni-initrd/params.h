/* ni's parameters: from the kernel command line (the initrd case), from
 * its own options (standalone), and the install plan the master returns.
 * The parsers are pure functions over (buf, len). */
#ifndef NI_PARAMS_H
#define NI_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define NI_URL_MAX 1024
#define NI_TOKEN_MAX 256
#define NI_PATH_MAX 256
#define NI_CMDLINE_MAX 4096	/* Linux's COMMAND_LINE_SIZE on x86 is 2048 */

/* One install: what to fetch and where to write it. */
struct ni_plan {
	int64_t id;			/* plan id on the master, 0 standalone */
	char image[64];			/* image name, for messages */
	char url[NI_URL_MAX];		/* http https ftp tftp file, or mcast://GROUP:PORT/NAME */
	enum img_format format;
	char disk[NI_PATH_MAX];		/* /dev/sda, or a file; "" = pick by disktype */
	char disktype[16];		/* ide sata scsi virtio nvme; "" = any */
	int partition;			/* 0 = whole disk */
	char sha256[65];		/* of the decoded image (what lands on disk), "" = unknown */
	int64_t size;			/* decoded size in bytes, 0 = unknown */
};

struct ni_params {
	char master[NI_URL_MAX];	/* ni.master=http://10.99.0.1:8080 */
	char token[NI_TOKEN_MAX];	/* ni.token=NODE.HEX, or springos.node + springos.token */
	char node[64];			/* springos.node=NAME (bootsrv) */
	char iface[32];			/* ni.iface=eth0 */
	char bootif[18];		/* BOOTIF=01-aa-bb-.. from iPXE/pxelinux, as aa:bb:.. */
	int retries;			/* ni.retries=N, 0 = for ever */
	int reboot;			/* ni.reboot=0 keeps the node up after install */
	int dhcp;			/* ni.dhcp=0 skips bringing the interface up */
	int standalone;			/* ni.image= given: no master */
	struct ni_plan plan;		/* standalone: from ni.image, ni.disk ... */
};

void ni_params_defaults(struct ni_params *p);
/* Parse a kernel command line: words split by blanks, a value may be
 * double-quoted.  Words not starting with "ni." (and not BOOTIF= or the
 * springos.master/node/token/mac/ip= that bootsrv writes) belong to the
 * kernel and are ignored; an unknown ni.* key or a bad value is an error
 * naming it.  springos.X is the same as ni.X; a bare hex token is joined
 * with the node name into NODE.HEX. */
int ni_cmdline_parse(const char *buf, size_t len, struct ni_params *p, char *err,
    size_t errlen);
/* Parse the master's plan (JSON, see docs/api.md). */
int ni_plan_parse(const char *buf, size_t len, struct ni_plan *plan, char *err,
    size_t errlen);
/* Check a plan is complete and sane before acting on it. */
int ni_plan_check(const struct ni_plan *plan, char *err, size_t errlen);

#endif
