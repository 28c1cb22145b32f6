#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erm.h"

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

int
token_secret_load(const char *path, int create, uint8_t key[TOKEN_SECRET_LEN],
    char *err, size_t errlen)
{
	char buf[2 * TOKEN_SECRET_LEN + 2];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == ENOENT && create) {
		uint8_t fresh[TOKEN_SECRET_LEN];

		if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
			snprintf(err, errlen, "no randomness for a new secret");
			return -1;
		}
		hex(fresh, sizeof(fresh), buf);
		buf[2 * TOKEN_SECRET_LEN] = '\n';
		/* O_EXCL: two programs starting at once must not each write
		 * their own secret; the loser reads the winner's. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (write(fd, buf, 2 * TOKEN_SECRET_LEN + 1) != 2 * TOKEN_SECRET_LEN + 1 ||
			    fsync(fd) != 0) {
				snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
				close(fd);
				unlink(path);
				return -1;
			}
			close(fd);
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
			return -1;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 2 * TOKEN_SECRET_LEN || (n > 2 * TOKEN_SECRET_LEN &&
	    buf[2 * TOKEN_SECRET_LEN] != '\n') ||
	    unhex(buf, key, TOKEN_SECRET_LEN) != 0) {
		snprintf(err, errlen, "%s: not a secret (%d hex digits and a newline)", path,
		    2 * TOKEN_SECRET_LEN);
		return -1;
	}
	return 0;
}

static int
mac_of(const uint8_t key[TOKEN_SECRET_LEN], const char *node, const char *experiment,
    uint8_t md[32])
{
	char msg[2 * ERM_NAME_MAX + 2];
	unsigned mdlen = 0;
	int n;

	n = snprintf(msg, sizeof(msg), "%s\n%s", node, experiment ? experiment : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	if (HMAC(EVP_sha256(), key, TOKEN_SECRET_LEN, (const unsigned char *)msg, (size_t)n,
	    md, &mdlen) == NULL || mdlen != 32)
		return -1;
	return 0;
}

int
token_make(const uint8_t key[TOKEN_SECRET_LEN], const char *node, const char *experiment,
    char *out, size_t outlen)
{
	uint8_t md[32];
	char h[65];

	if (node[0] == '\0' || strlen(node) >= ERM_NAME_MAX || strchr(node, '.') != NULL ||
	    mac_of(key, node, experiment, md) != 0)
		return -1;
	hex(md, sizeof(md), h);
	if ((size_t)snprintf(out, outlen, "%s.%s", node, h) >= outlen)
		return -1;
	return 0;
}

int
token_node(const char *token, size_t len, char *node, size_t nodelen)
{
	size_t dot;

	/* The node name never contains a dot; the HMAC is exactly 64 hex. */
	for (dot = 0; dot < len && token[dot] != '.'; dot++)
		;
	if (dot == 0 || dot >= len || len - dot - 1 != 64 || dot >= nodelen ||
	    dot >= ERM_NAME_MAX)
		return -1;
	for (size_t i = 0; i < dot; i++)
		if ((unsigned char)token[i] <= ' ' || token[i] == 0x7f)
			return -1;
	for (size_t i = dot + 1; i < len; i++) {
		char c = token[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
	}
	memcpy(node, token, dot);
	node[dot] = '\0';
	return 0;
}

int
token_check(const uint8_t key[TOKEN_SECRET_LEN], const char *token, const char *node,
    const char *experiment)
{
	char want[TOKEN_MAX];
	size_t n = strlen(token);

	if (token_make(key, node, experiment, want, sizeof(want)) != 0 || n != strlen(want))
		return 0;
	return CRYPTO_memcmp(want, token, n) == 0;
}
