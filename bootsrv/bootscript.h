/* The per-node iPXE script (GET /boot/MAC.ipxe) and the HTTP Range
 * header: pure functions, no I/O, fuzzed. */
#ifndef SPRINGOS_BOOTSCRIPT_H
#define SPRINGOS_BOOTSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "erm.h"

struct bootscript_params {
	const char *http_url;    /* base URL of bootsrv's HTTP service, no trailing '/' */
	const char *kernel;      /* ni kernel: path under http_root or a full URL */
	const char *initrd;      /* ni initrd: the same */
	const char *cmdline;     /* extra kernel arguments from the configuration */
	const char *master_url;  /* given to ni as springos.master= */
	unsigned retry;          /* seconds an unknown node waits before asking again */
};

/* Render the script for the node owning mac (node NULL: unknown MAC).
 * token is the node's API token ("" for none).  Returns the script
 * length, or -1 if it does not fit in out or a value would break the
 * script (whitespace, quotes or '$' in a name, URL or token). */
int bootscript_render(const struct erm_node *node, const char *mac, const char *token,
    const struct bootscript_params *p, char *out, size_t outlen);

/* The generic first-stage script (GET /boot.ipxe, or a file in the
 * TFTP root): chain to this machine's own script by its MAC. */
int bootscript_chain(const char *http_url, char *out, size_t outlen);

/* "/boot/02:00:00:00:01:00.ipxe" (or with '-'): the canonical MAC into
 * mac.  Returns 0, or -1 if path is not such a request. */
int bootscript_path_mac(const char *path, char mac[MAC_STRLEN]);

/* A single "bytes=" range of RFC 9110 section 14.1.2 against a
 * representation of size bytes.  Returns 1 with *start and *len set,
 * 0 when the header should be ignored (malformed, or several ranges:
 * the whole file is sent), -1 when it is unsatisfiable (416). */
int http_range_parse(const char *h, uint64_t size, uint64_t *start, uint64_t *len);

#endif
