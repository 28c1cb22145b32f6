/* Pure parsers of the API's request bodies (JSON, RFC 8259), kept apart
 * from the HTTP handlers so the fuzzer can reach them. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "util.h"

#define BODY_MAX (16 * 1024)

static json_t *
load(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (len > BODY_MAX) {
		snprintf(err, errlen, "body larger than %d bytes", BODY_MAX);
		return NULL;
	}
	if ((j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "bad JSON at line %d column %d: %s", je.line, je.column,
		    je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "body must be a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
get_int(json_t *o, const char *key, int required, int64_t min, int64_t max, int64_t *out,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		if (!required)
			return 0;
		snprintf(err, errlen, "\"%s\" is missing", key);
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "\"%s\" must be an integer from %lld to %lld", key,
		    (long long)min, (long long)max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
get_str(json_t *o, const char *key, int required, char *dst, size_t size, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		if (!required)
			return 0;
		snprintf(err, errlen, "\"%s\" is missing", key);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "\"%s\" must be a string", key);
		return -1;
	}
	/* Long reasons are cut, not refused: the failure matters more. */
	str_copy(dst, json_string_value(v), size);
	return 0;
}

int
api_parse_progress(const char *buf, size_t len, struct api_progress *out, char *err,
    size_t errlen)
{
	json_t *j, *rate;
	int64_t pct = -1;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((j = load(buf, len, err, errlen)) == NULL)
		return -1;
	if (get_int(j, "id", 1, 1, INT64_MAX, &out->id, err, errlen) != 0 ||
	    get_str(j, "state", 1, out->state, sizeof(out->state), err, errlen) != 0 ||
	    get_int(j, "percent", 0, -1, 100, &pct, err, errlen) != 0 ||
	    get_int(j, "bytes", 0, 0, INT64_MAX, &out->bytes, err, errlen) != 0)
		goto out;
	out->percent = (int)pct;
	rate = json_object_get(j, "rate");
	if (rate != NULL) {
		if (!json_is_number(rate) || json_number_value(rate) < 0) {
			snprintf(err, errlen, "\"rate\" must be a number >= 0");
			goto out;
		}
		out->rate = json_number_value(rate);
	}
	if (strcmp(out->state, "starting") != 0 && strcmp(out->state, "writing") != 0 &&
	    strcmp(out->state, "verifying") != 0) {
		/* ni's last progress call carries done/failed; the result call
		 * is what counts, so those are accepted and ignored. */
		if (strcmp(out->state, "done") != 0 && strcmp(out->state, "failed") != 0) {
			snprintf(err, errlen, "\"state\" must be starting, writing or verifying");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int
api_parse_result(const char *buf, size_t len, struct api_result *out, char *err,
    size_t errlen)
{
	json_t *j, *ok;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((j = load(buf, len, err, errlen)) == NULL)
		return -1;
	if (get_int(j, "id", 1, 1, INT64_MAX, &out->id, err, errlen) != 0 ||
	    get_str(j, "reason", 0, out->reason, sizeof(out->reason), err, errlen) != 0 ||
	    get_str(j, "sha256", 0, out->sha256, sizeof(out->sha256), err, errlen) != 0 ||
	    get_int(j, "bytes", 0, 0, INT64_MAX, &out->bytes, err, errlen) != 0)
		goto out;
	ok = json_object_get(j, "ok");
	if (!json_is_boolean(ok)) {
		snprintf(err, errlen, "\"ok\" must be true or false");
		goto out;
	}
	out->ok = json_is_true(ok);
	if (!out->ok && out->reason[0] == '\0')
		str_copy(out->reason, "no reason given", sizeof(out->reason));
	rc = 0;
out:
	json_decref(j);
	return rc;
}

const char *
api_bearer(const char *h)
{
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h != '\0' ? h : NULL;
}
