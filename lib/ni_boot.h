/* Where the master is and how a node proves who it is, for the kernel
 * command line of a node booting into the installer.  bootsrv renders
 * the same arguments itself (springos.master=, springos.node=,
 * springos.token=); ni_boot_args is for everything else that boots ni
 * (tests, a manual PXE setup). */
#ifndef SPRINGOS_NI_BOOT_H
#define SPRINGOS_NI_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct conf;

/* [master] secret_file, or STATE_DIR/master.secret. */
void master_secret_path(const struct conf *conf, char *out, size_t outlen);
/* [master] url, or http://MGMT_ADDRESS:PORT from [master] listen. */
void master_public_url(const struct conf *conf, char *out, size_t outlen);
/* "springos.master=URL springos.node=NAME springos.token=HEX" for the
 * node (id, name) in experiment ("" if free).  0, or -1 with err. */
int ni_boot_args(const struct conf *conf, int64_t node_id, const char *node,
    const char *experiment, char *out, size_t outlen, char *err, size_t errlen);

#endif
