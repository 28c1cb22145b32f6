#include "ni_boot.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "token.h"

void
master_secret_path(const struct conf *conf, char *out, size_t outlen)
{
	const char *s = conf_str(conf, "master", "secret_file");

	if (s[0] != '\0')
		snprintf(out, outlen, "%s", s);
	else
		snprintf(out, outlen, "%s/master.secret", conf_str(conf, "testbed", "state_dir"));
}

void
master_public_url(const struct conf *conf, char *out, size_t outlen)
{
	const char *u = conf_str(conf, "master", "url");
	const char *listen = conf_str(conf, "master", "listen");
	const char *colon = strrchr(listen, ':');

	if (u[0] != '\0')
		snprintf(out, outlen, "%s", u);
	else
		snprintf(out, outlen, "http://%s:%s", conf_str(conf, "testbed", "mgmt_address"),
		    colon != NULL ? colon + 1 : "8080");
}

int
ni_boot_args(const struct conf *conf, int64_t node_id, const char *node,
    const char *experiment, char *out, size_t outlen, char *err, size_t errlen)
{
	struct token_key key;
	char path[512], url[512], hex[TOKEN_HEX_LEN + 1];

	master_secret_path(conf, path, sizeof(path));
	if (token_secret_load(path, 1, &key, err, errlen) != 0)
		return -1;
	if (token_hex(&key, node_id, experiment, hex) != 0) {
		snprintf(err, errlen, "cannot compute the token of node %s", node);
		return -1;
	}
	master_public_url(conf, url, sizeof(url));
	if ((size_t)snprintf(out, outlen, "springos.master=%s springos.node=%s springos.token=%s",
	    url, node, hex) >= outlen) {
		snprintf(err, errlen, "kernel arguments too long");
		return -1;
	}
	return 0;
}
