/* Per-node API tokens (DESIGN.md section 4).
 *
 *   HEX = lower-case hex of HMAC-SHA256(secret, "ID:EXPERIMENT")
 *
 * ID is the node's erm id (decimal), EXPERIMENT the experiment it is
 * allocated to ("" if free), so a token dies when the node changes hands.
 * bootsrv writes HEX and the node's name on the kernel command line of a
 * node booting into the installer (springos.node=, springos.token=); the
 * node presents "Authorization: Bearer NAME.HEX" and the master
 * recomputes HEX from its secret.
 *
 * The secret is the content of a file only root reads, without trailing
 * newlines; token_secret_load creates it (64 random hex digits) on first
 * use.  bootsrv reads the same file ([bootsrv] token_secret_file). */
#ifndef SPRINGOS_TOKEN_H
#define SPRINGOS_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_MAX 256
#define TOKEN_HEX_LEN 64
#define TOKEN_MAX 160	/* "NAME.HEX": name (< 64) + "." + 64 hex + NUL */

struct token_key {
	uint8_t b[TOKEN_KEY_MAX];
	size_t len;
};

/* Load (or with create, make) the secret.  0 or -1 with err. */
int token_secret_load(const char *path, int create, struct token_key *key, char *err,
    size_t errlen);
/* HEX of (node id, experiment) into out (TOKEN_HEX_LEN + 1).  0 or -1. */
int token_hex(const struct token_key *key, int64_t node_id, const char *experiment,
    char out[TOKEN_HEX_LEN + 1]);
/* Split "NAME.HEX" (pure): copy NAME to node, point *hex into token.
 * 0, or -1 if malformed. */
int token_split(const char *token, size_t len, char *node, size_t nodelen);
/* 1 if bearer ("NAME.HEX") is valid for (node id, experiment); compares in
 * constant time. */
int token_check(const struct token_key *key, const char *bearer, int64_t node_id,
    const char *experiment);

#endif
