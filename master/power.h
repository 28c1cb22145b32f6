/* Power drivers: make a node boot again (from the network when its boot
 * mode says so).
 *   qemu    power_params = path of the VM's QMP socket (the lab's VMs):
 *           system_reset, and cont if the VM was stopped or shut down.
 *   ipmi    power_params = BMC address; [power:ipmi] user, password_file:
 *           ipmitool chassis bootdev pxe, then chassis power cycle.
 *   manual  prints what the operator has to do. */
#ifndef MASTER_POWER_H
#define MASTER_POWER_H

#include <stddef.h>

struct conf;
struct erm_node;

/* 0 on success, -1 with a sentence in err. */
int power_cycle(const struct conf *conf, const struct erm_node *node, char *err,
    size_t errlen);
/* QMP: run one command ("system_reset") on the socket; the reply's
 * "return" or "error" decides.  Exposed for tests. */
int qmp_command(const char *socket_path, const char *command, char *err, size_t errlen);
/* QMP query-status: copies the VM's status ("running", "shutdown" ...). */
int qmp_status(const char *socket_path, char *status, size_t statuslen, char *err,
    size_t errlen);

#endif
