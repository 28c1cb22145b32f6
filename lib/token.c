#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

int
token_secret_load(const char *path, int create, struct token_key *key, char *err,
    size_t errlen)
{
	char buf[TOKEN_KEY_MAX + 2];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == ENOENT && create) {
		uint8_t fresh[32];

		if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
			snprintf(err, errlen, "no randomness for a new secret");
			return -1;
		}
		hex(fresh, sizeof(fresh), buf);
		buf[64] = '\n';
		/* O_EXCL: two programs starting at once must not each write
		 * their own secret; the loser reads the winner's. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (write(fd, buf, 65) != 65 || fsync(fd) != 0) {
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
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	/* A short key makes every token guessable; a long file is not one. */
	if (n < 16 || n > TOKEN_KEY_MAX) {
		snprintf(err, errlen, "%s: not a secret (16 to %d bytes expected)", path,
		    TOKEN_KEY_MAX);
		return -1;
	}
	memcpy(key->b, buf, (size_t)n);
	key->len = (size_t)n;
	return 0;
}

int
token_hex(const struct token_key *key, int64_t node_id, const char *experiment,
    char out[TOKEN_HEX_LEN + 1])
{
	char msg[32 + ERM_NAME_MAX];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int n;

	n = snprintf(msg, sizeof(msg), "%" PRId64 ":%s", node_id, experiment ? experiment : "");
	if (n < 0 || (size_t)n >= sizeof(msg) || key->len == 0)
		return -1;
	if (HMAC(EVP_sha256(), key->b, (int)key->len, (const unsigned char *)msg, (size_t)n,
	    md, &mdlen) == NULL || mdlen != 32)
		return -1;
	hex(md, 32, out);
	return 0;
}

int
token_split(const char *token, size_t len, char *node, size_t nodelen)
{
	size_t dot;

	/* "NAME.HEX": the HEX part is exactly 64 lower-case hex digits
	 * after the last dot (names may not hold one, but be strict). */
	if (len < TOKEN_HEX_LEN + 2)
		return -1;
	dot = len - TOKEN_HEX_LEN - 1;
	if (token[dot] != '.' || dot >= nodelen || dot >= ERM_NAME_MAX)
		return -1;
	for (size_t i = 0; i < dot; i++)
		if ((unsigned char)token[i] <= ' ' || token[i] == 0x7f || token[i] == '.')
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
token_check(const struct token_key *key, const char *bearer, int64_t node_id,
    const char *experiment)
{
	char want[TOKEN_HEX_LEN + 1];
	size_t n = strlen(bearer);

	if (n < TOKEN_HEX_LEN + 2 || token_hex(key, node_id, experiment, want) != 0)
		return 0;
	return CRYPTO_memcmp(want, bearer + n - TOKEN_HEX_LEN, TOKEN_HEX_LEN) == 0;
}
