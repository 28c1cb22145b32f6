/* What a node booting into the installer needs on its kernel command
 * line: where the master is and the node's token.  bootsrv calls this
 * when it writes the iPXE script of a node whose boot mode is install:
 *
 *   kernel http://.../ni/vmlinuz initrd=initrd.img console=ttyS0 <ni_boot_args>
 */
#ifndef SPRINGOS_NI_BOOT_H
#define SPRINGOS_NI_BOOT_H

#include <stddef.h>

struct conf;

/* [master] secret_file, or STATE_DIR/master.secret. */
void master_secret_path(const struct conf *conf, char *out, size_t outlen);
/* [master] url, or http://MGMT_ADDRESS:PORT from [master] listen. */
void master_public_url(const struct conf *conf, char *out, size_t outlen);
/* "ni.master=URL ni.token=NODE.HEX" for (node, experiment); experiment is
 * the node's current one ("" if free).  0, or -1 with err. */
int ni_boot_args(const struct conf *conf, const char *node, const char *experiment,
    char *out, size_t outlen, char *err, size_t errlen);

#endif
