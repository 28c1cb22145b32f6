#include "master_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MAX (64 * 1024)

struct reply {
	char buf[REPLY_MAX + 1];
	size_t len;
	int overflow;
};

static size_t
reply_cb(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb;

	if (n > REPLY_MAX - r->len) {
		r->overflow = 1;
		return 0;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

/* One request; returns the HTTP status or -1 (err). */
static long
request(const char *master, const char *token, const char *path, const char *body,
    long timeout_s, struct reply *reply, char *err, size_t errlen)
{
	char url[NI_URL_MAX + 64], auth[NI_TOKEN_MAX + 32], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	CURL *c;
	CURLcode rc;
	long code = -1;
	size_t ml = strlen(master);

	/* "http://m:8080/" + "/api/v1/..." must not give "//api". */
	while (ml > 0 && master[ml - 1] == '/')
		ml--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)ml, master, path) >= sizeof(url) ||
	    (size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token) >=
	    sizeof(auth)) {
		snprintf(err, errlen, "master URL or token too long");
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	hdrs = curl_slist_append(hdrs, auth);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s: %s", url, reply->overflow ? "reply too large" :
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return code;
}

int
mc_get_plan(const char *master, const char *token, struct ni_plan *plan, char *err,
    size_t errlen)
{
	struct reply *r;
	long code;
	int rc = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	code = request(master, token, "/api/v1/ni/plan", NULL, 20, r, err, errlen);
	if (code == 200)
		rc = ni_plan_parse(r->buf, r->len, plan, err, errlen) == 0 ? 1 : -1;
	else if (code == 204 || code == 404)
		rc = 0;
	else if (code > 0)
		snprintf(err, errlen, "plan: the master answered HTTP %ld%s%.200s", code,
		    r->len > 0 ? ": " : "", r->buf);
	free(r);
	return rc;
}

int
mc_post(const char *master, const char *token, const char *path, const char *json,
    long timeout_s, char *err, size_t errlen)
{
	struct reply *r;
	long code;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	code = request(master, token, path, json, timeout_s, r, err, errlen);
	if (code > 0 && (code < 200 || code > 299))
		snprintf(err, errlen, "%s: the master answered HTTP %ld%s%.200s", path, code,
		    r->len > 0 ? ": " : "", r->buf);
	free(r);
	return code >= 200 && code <= 299 ? 0 : -1;
}
