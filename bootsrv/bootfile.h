/* Files served to booting nodes, shared by the TFTP and HTTP services:
 * opening a client-named path strictly inside a served root, and the
 * "ADDR:PORT" listen syntax of the [bootsrv] keys. */
#ifndef SPRINGOS_BOOTFILE_H
#define SPRINGOS_BOOTFILE_H

#include <sys/types.h>
#include <netinet/in.h>

/* Open the directory root for use with bootfile_open (O_PATH, close on
 * exec).  Returns the descriptor or -1 with errno. */
int bootfile_root(const char *root);

/* Open rel (already checked by tftp_path_check) beneath the root
 * descriptor.  Symlinks may be followed only while they stay inside the
 * root (openat2 RESOLVE_BENEATH; on kernels without openat2 no symlink
 * is followed at all).  flags: O_RDONLY, or O_WRONLY|O_CREAT|O_EXCL with
 * mode.  A read-only open also refuses anything but a regular file
 * (EACCES), and never blocks on a FIFO.  Returns the descriptor or -1
 * with errno (EXDEV or ELOOP for an escape). */
int bootfile_open(int rootfd, const char *rel, int flags, mode_t mode);

/* "A.B.C.D:PORT" (port 1-65535) into out; 0 or -1. */
int hostport_parse(const char *s, struct sockaddr_in *out);

#endif
