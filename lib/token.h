/* Per-node API tokens (DESIGN.md section 4): "NODE.HEX" where HEX is
 * HMAC-SHA256(secret, NODE "\n" EXPERIMENT) in lower-case hex.  A node
 * gets its token on its kernel command line; the master recomputes it
 * from its secret and the node's current experiment, so a token dies
 * when the node changes hands, and nothing but the secret needs storing.
 *
 * The secret is 32 random bytes kept hex-encoded in a file only root can
 * read (token_secret_load creates it on first use). */
#ifndef SPRINGOS_TOKEN_H
#define SPRINGOS_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_SECRET_LEN 32
#define TOKEN_MAX 160	/* node name (64) + "." + 64 hex + NUL, with room */

/* Load (or with create, make) the secret.  0 or -1 with err. */
int token_secret_load(const char *path, int create, uint8_t key[TOKEN_SECRET_LEN],
    char *err, size_t errlen);
/* Write the token of (node, experiment) to out.  0 or -1 (name too long). */
int token_make(const uint8_t key[TOKEN_SECRET_LEN], const char *node,
    const char *experiment, char *out, size_t outlen);
/* Split "NODE.HEX": copy NODE to node.  0, or -1 if malformed.  Pure. */
int token_node(const char *token, size_t len, char *node, size_t nodelen);
/* 1 if token is the valid token of (node, experiment), 0 otherwise;
 * compares in constant time. */
int token_check(const uint8_t key[TOKEN_SECRET_LEN], const char *token,
    const char *node, const char *experiment);

#endif
