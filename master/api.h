/* The master's REST API, /api/v1 (docs/api.md). */
#ifndef MASTER_API_H
#define MASTER_API_H

#include <stddef.h>
#include <stdint.h>

#include "token.h"

struct conf;
struct erm;
struct evhttp;

struct master {
	const struct conf *conf;
	struct erm *db;
	struct token_key key;
};

/* Bodies of the node calls; pure parsers (fuzzed). */
struct api_progress {
	int64_t id;
	char state[16];
	int percent;
	int64_t bytes;
	double rate;
};

struct api_result {
	int64_t id;
	int ok;
	char reason[256];
	char sha256[65];
	int64_t bytes;
};

int api_parse_progress(const char *buf, size_t len, struct api_progress *out, char *err,
    size_t errlen);
int api_parse_result(const char *buf, size_t len, struct api_result *out, char *err,
    size_t errlen);
/* "Bearer NODE.HEX" -> the token; NULL if the header is not that. */
const char *api_bearer(const char *authorization);

/* Serve the API on http (one callback for every path). */
void api_attach(struct evhttp *http, struct master *m);

#endif
