/* HTTP handlers of /api/v1.  Node calls are authenticated by their token
 * (lib/token.h) before anything else is looked at: a missing or wrong
 * token gets 401 with no detail and changes nothing.
 *
 * The handlers run in the event loop and call erm, which is SQLite on a
 * local file: short transactions, WAL mode, so no reader waits on a
 * writer; the busy timeout bounds the rare wait for another writer. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <string.h>

#include "api.h"
#include "erm.h"
#include "erm_install.h"
#include "log.h"
#include "util.h"

static struct log_ratelimit auth_rl = LOG_RATELIMIT_INIT(10, 5);
static struct log_ratelimit bad_rl = LOG_RATELIMIT_INIT(10, 5);

static void
reply_json(struct evhttp_request *req, int code, const char *reason, json_t *j)
{
	struct evbuffer *b = evbuffer_new();
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (b == NULL) {
		free(s);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control",
	    "no-store");
	if (s != NULL) {
		evbuffer_add(b, s, strlen(s));
		evbuffer_add(b, "\n", 1);
	}
	free(s);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void
reply_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}

static void
reply_unauthorized(struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
	    "Bearer realm=\"springos\"");
	reply_error(req, 401, "Unauthorized", "unauthorized");
}

/* The node the request's token belongs to, or -1 (401 already sent). */
static int
authenticate(struct master *m, struct evhttp_request *req, struct erm_node *node)
{
	const char *tok = api_bearer(evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization"));
	char name[ERM_NAME_MAX];
	const char *peer = "?";
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(evhttp_request_get_connection(req), (char **)&peer, &port);
	if (tok == NULL || token_split(tok, strlen(tok), name, sizeof(name)) != 0 ||
	    erm_node_get(m->db, name, node) != ERM_OK ||
	    !token_check(&m->key, tok, node->id, node->experiment)) {
		log_limited(&auth_rl, LOG_WARNING, "%s: %s: refused (%s token)", peer,
		    evhttp_request_get_uri(req), tok == NULL ? "no" : "bad");
		reply_unauthorized(req);
		return -1;
	}
	return 0;
}

/* The request body, NUL-terminated, or NULL (reply sent). */
static char *
read_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *s;

	if (n > 16 * 1024) {
		reply_error(req, 413, "Payload Too Large", "body too large");
		return NULL;
	}
	if ((s = malloc(n + 1)) == NULL) {
		reply_error(req, 500, "Internal Server Error", "out of memory");
		return NULL;
	}
	evbuffer_copyout(in, s, n);
	s[n] = '\0';
	*len = n;
	return s;
}

/* GET /api/v1/ni/plan */
static void
ni_plan(struct master *m, struct evhttp_request *req, const struct erm_node *node)
{
	struct erm_install p;
	char err[256];
	int rc;

	if (node->boot != ERM_BOOT_INSTALL) {
		reply_json(req, 204, "No Content", NULL);
		return;
	}
	rc = erm_install_get(m->db, node->name, &p, err, sizeof(err));
	if (rc == ERM_ENOENT || (rc == ERM_OK && strcmp(p.state, "done") == 0)) {
		reply_json(req, 204, "No Content", NULL);
		return;
	}
	if (rc != ERM_OK) {
		log_err("plan for %s: %s", node->name, err);
		reply_error(req, 503, "Service Unavailable", "database error");
		return;
	}
	log_info("%s: plan %lld: %s -> %s%s", node->name, (long long)p.id, p.url,
	    p.disk[0] ? p.disk : p.disktype[0] ? p.disktype : "first disk",
	    p.partition ? " partition" : "");
	reply_json(req, 200, "OK", json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s}",
	    "id", (json_int_t)p.id, "node", node->name, "image", p.image, "url", p.url,
	    "format", p.format, "disk", p.disk, "disktype", p.disktype, "partition",
	    p.partition, "size", (json_int_t)p.size, "sha256", p.sha256));
}

/* POST /api/v1/ni/progress */
static void
ni_progress(struct master *m, struct evhttp_request *req, const struct erm_node *node)
{
	struct api_progress pr;
	char *body, err[256];
	size_t len;
	int rc;

	if ((body = read_body(req, &len)) == NULL)
		return;
	rc = api_parse_progress(body, len, &pr, err, sizeof(err));
	free(body);
	if (rc != 0) {
		log_limited(&bad_rl, LOG_WARNING, "%s: progress: %s", node->name, err);
		reply_error(req, 400, "Bad Request", err);
		return;
	}
	if (strcmp(pr.state, "done") == 0 || strcmp(pr.state, "failed") == 0) {
		/* The result call decides; this is only the last progress line. */
		reply_json(req, 202, "Accepted", json_pack("{s:b}", "ok", 1));
		return;
	}
	rc = erm_install_progress(m->db, node->name, pr.id, pr.state, pr.percent, pr.bytes,
	    pr.rate, err, sizeof(err));
	if (rc == ERM_ENOENT) {
		reply_error(req, 409, "Conflict", err);
		return;
	}
	if (rc != ERM_OK) {
		log_err("%s: progress: %s", node->name, err);
		reply_error(req, 503, "Service Unavailable", "database error");
		return;
	}
	log_debug("%s: %s %d%% %lld bytes %.1f MB/s", node->name, pr.state, pr.percent,
	    (long long)pr.bytes, pr.rate / 1e6);
	reply_json(req, 200, "OK", json_pack("{s:b}", "ok", 1));
}

/* POST /api/v1/ni/result */
static void
ni_result(struct master *m, struct evhttp_request *req, const struct erm_node *node)
{
	struct api_result r;
	struct erm_install p;
	char *body, err[256];
	size_t len;
	int rc;

	if ((body = read_body(req, &len)) == NULL)
		return;
	rc = api_parse_result(body, len, &r, err, sizeof(err));
	free(body);
	if (rc != 0) {
		log_limited(&bad_rl, LOG_WARNING, "%s: result: %s", node->name, err);
		reply_error(req, 400, "Bad Request", err);
		return;
	}
	/* A success must name what was written: when the plan knows the
	 * image's SHA-256, ni's must match it, or the disk is wrong. */
	if (r.ok && erm_install_get(m->db, node->name, &p, err, sizeof(err)) == ERM_OK &&
	    p.id == r.id && p.sha256[0] != '\0' && strcasecmp(p.sha256, r.sha256) != 0) {
		r.ok = 0;
		snprintf(r.reason, sizeof(r.reason), "reported sha256 %.64s, the image's is %s",
		    r.sha256, p.sha256);
	}
	rc = erm_install_result(m->db, node->name, r.id, r.ok, r.reason, r.bytes, err,
	    sizeof(err));
	if (rc == ERM_ENOENT) {
		reply_error(req, 409, "Conflict", err);
		return;
	}
	if (rc != ERM_OK) {
		log_err("%s: result: %s", node->name, err);
		reply_error(req, 503, "Service Unavailable", "database error");
		return;
	}
	if (r.ok)
		log_info("%s: plan %lld installed; next boot local", node->name,
		    (long long)r.id);
	else
		log_warn("%s: plan %lld failed: %s", node->name, (long long)r.id, r.reason);
	reply_json(req, 200, "OK", json_pack("{s:b, s:s}", "ok", 1, "boot",
	    r.ok ? "local" : "install"));
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct master *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct erm_node node;
	static const struct {
		const char *path;
		enum evhttp_cmd_type method;
		void (*fn)(struct master *, struct evhttp_request *, const struct erm_node *);
	} routes[] = {
		{ "/api/v1/ni/plan", EVHTTP_REQ_GET, ni_plan },
		{ "/api/v1/ni/progress", EVHTTP_REQ_POST, ni_progress },
		{ "/api/v1/ni/result", EVHTTP_REQ_POST, ni_result },
	};

	if (path == NULL) {
		reply_error(req, 400, "Bad Request", "bad request URI");
		return;
	}
	if (strcmp(path, "/api/v1/health") == 0) {
		reply_json(req, 200, "OK", json_pack("{s:b, s:s}", "ok", 1, "api", "v1"));
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
		if (strcmp(path, routes[i].path) != 0)
			continue;
		/* Authentication first: an unauthenticated caller learns
		 * nothing, not even whether its method was right. */
		if (authenticate(m, req, &node) != 0)
			return;
		if (method != routes[i].method) {
			reply_error(req, 405, "Method Not Allowed", "method not allowed");
			return;
		}
		routes[i].fn(m, req, &node);
		return;
	}
	reply_error(req, 404, "Not Found", "no such API path");
}

void
api_attach(struct evhttp *http, struct master *m)
{
	evhttp_set_gencb(http, handle, m);
	evhttp_set_max_body_size(http, 16 * 1024);
	evhttp_set_max_headers_size(http, 16 * 1024);
	evhttp_set_timeout(http, 30);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
}
