/* The HTTP boot service: evhttp on the bootsrv loop.
 *
 *   GET /boot/MAC.ipxe   the node's iPXE script, from the testbed DB
 *   GET /boot.ipxe       a first-stage script that chains to the above
 *   GET /PATH            a file under http_root (iPXE, kernels, initrds),
 *                        with single-range requests (RFC 9110 14.1.2)
 *
 * Files go out with evbuffer_add_file (sendfile), so a 100 MB initrd
 * costs no copies and never blocks the loop.  Paths are checked like TFTP
 * names and opened beneath the root (bootfile_open). */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bootfile.h"
#include "bootscript.h"
#include "config.h"
#include "erm.h"
#include "httpboot.h"
#include "log.h"
#include "tftp_parse.h"
#include "util.h"

#define SECRET_MAX 256
#define SCRIPT_MAX 4096

struct httpboot {
	struct evhttp *http;
	struct erm *db;
	int rootfd;
	char http_url[256];
	char master_url[256];
	char kernel[256];
	char initrd[256];
	char cmdline[512];
	unsigned retry;
	uint8_t secret[SECRET_MAX];
	size_t secretlen;
	uint64_t n_requests;
};

static struct httpboot *service;
static struct log_ratelimit rl_http = LOG_RATELIMIT_INIT(10, 20);

static void
reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

/* The node token of the REST API (DESIGN.md section 4): HMAC-SHA256 over
 * "ID:EXPERIMENT", keyed by the master's secret, in lower-case hex. */
static void
node_token(const struct httpboot *hb, const struct erm_node *node, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char msg[32 + ERM_NAME_MAX];
	int n;

	out[0] = '\0';
	if (hb->secretlen == 0)
		return;
	n = snprintf(msg, sizeof(msg), "%" PRId64 ":%s", node->id, node->experiment);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return;
	if (HMAC(EVP_sha256(), hb->secret, (int)hb->secretlen, (unsigned char *)msg,
	    (size_t)n, md, &mdlen) == NULL || mdlen != 32)
		return;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
send_script(struct evhttp_request *req, const char *script, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	/* The answer changes with the node's boot mode: never cache it. */
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(b, script, len);
	else {
		char cl[24];
		snprintf(cl, sizeof(cl), "%zu", len);
		evhttp_add_header(h, "Content-Length", cl);
	}
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* The client's address, for the log. */
static const char *
peer_name(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port;

	if (c == NULL)
		return "?";
	evhttp_connection_get_peer(c, &addr, &port);
	return addr != NULL ? addr : "?";
}

static void
serve_node_script(struct httpboot *hb, struct evhttp_request *req, const char *mac)
{
	struct bootscript_params p;
	struct erm_node *node;
	char script[SCRIPT_MAX], token[65] = "";
	int rc, n;

	node = calloc(1, sizeof(*node));
	if (node == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	rc = erm_node_by_mac(hb->db, mac, node);
	if (rc == ERM_OK)
		node_token(hb, node, token);
	else if (rc != ERM_ENOENT) {
		log_limited(&rl_http, LOG_ERR, "http: boot script for %s: %s", mac,
		    erm_errmsg(hb->db));
		free(node);
		reply_text(req, HTTP_INTERNAL, "Internal Server Error",
		    "testbed database error");
		return;
	}
	p.http_url = hb->http_url;
	p.kernel = hb->kernel;
	p.initrd = hb->initrd;
	p.cmdline = hb->cmdline;
	p.master_url = hb->master_url;
	p.retry = hb->retry;
	n = bootscript_render(rc == ERM_OK ? node : NULL, mac, token, &p, script,
	    sizeof(script));
	if (n < 0) {
		log_limited(&rl_http, LOG_ERR, "http: boot script for %s: a value would break "
		    "the script (check the node's name and the [bootsrv] boot_* keys)", mac);
		free(node);
		reply_text(req, HTTP_INTERNAL, "Internal Server Error", "cannot build script");
		return;
	}
	log_info("http: boot script for %s%s%s (asked by %s): %s", mac,
	    rc == ERM_OK ? " node " : "", rc == ERM_OK ? node->name : "", peer_name(req),
	    rc == ERM_OK ? erm_boot_mode_name(node->boot) : "unknown");
	free(node);
	send_script(req, script, (size_t)n);
}

static const char *
content_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot != NULL && (strcmp(dot, ".ipxe") == 0 || strcmp(dot, ".txt") == 0 ||
	    strcmp(dot, ".cfg") == 0))
		return "text/plain; charset=utf-8";
	return "application/octet-stream";
}

static void
serve_file(struct httpboot *hb, struct evhttp_request *req, const char *path)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	struct stat st;
	const char *why, *range;
	char rel[TFTP_NAME_MAX + 1], hdr[96];
	uint64_t start = 0, len;
	int fd, code = HTTP_OK, r;

	if (tftp_path_check(path, rel, sizeof(rel), &why) < 0) {
		log_limited(&rl_http, LOG_INFO, "http: refused %.64s: %s", path, why);
		reply_text(req, 403, "Forbidden", why);
		return;
	}
	fd = bootfile_open(hb->rootfd, rel, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			reply_text(req, HTTP_NOTFOUND, "Not Found", "no such file");
		else
			reply_text(req, 403, "Forbidden", "access denied");
		return;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	len = (uint64_t)st.st_size;
	evhttp_add_header(out, "Content-Type", content_type(rel));
	evhttp_add_header(out, "Accept-Ranges", "bytes");
	range = evhttp_find_header(in, "Range");
	if (range != NULL) {
		r = http_range_parse(range, (uint64_t)st.st_size, &start, &len);
		if (r < 0) {
			close(fd);
			snprintf(hdr, sizeof(hdr), "bytes */%lld", (long long)st.st_size);
			evhttp_add_header(out, "Content-Range", hdr);
			reply_text(req, 416, "Range Not Satisfiable", "range not satisfiable");
			return;
		}
		if (r > 0) {
			code = 206;
			snprintf(hdr, sizeof(hdr), "bytes %llu-%llu/%lld",
			    (unsigned long long)start, (unsigned long long)(start + len - 1),
			    (long long)st.st_size);
			evhttp_add_header(out, "Content-Range", hdr);
		} else {
			start = 0;
			len = (uint64_t)st.st_size;
		}
	}
	b = evbuffer_new();
	if (b == NULL) {
		close(fd);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD || len == 0) {
		snprintf(hdr, sizeof(hdr), "%llu", (unsigned long long)len);
		evhttp_add_header(out, "Content-Length", hdr);
		close(fd);
	} else if (evbuffer_add_file(b, fd, (ev_off_t)start, (ev_off_t)len) < 0) {
		/* evbuffer_add_file owns fd from here, even on failure. */
		evbuffer_free(b);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	log_debug("http: %s %s %llu+%llu", evhttp_request_get_uri(req), rel,
	    (unsigned long long)start, (unsigned long long)len);
	evhttp_send_reply(req, code, code == 206 ? "Partial Content" : "OK", b);
	evbuffer_free(b);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct httpboot *hb = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *rawpath;
	char *path;
	char mac[MAC_STRLEN], script[512];
	int n;

	hb->n_requests++;
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "only GET and HEAD");
		return;
	}
	rawpath = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (rawpath == NULL || rawpath[0] != '/') {
		reply_text(req, HTTP_BADREQUEST, "Bad Request", "bad request path");
		return;
	}
	/* Decode %XX once; a NUL or a second layer of escapes stays refused
	 * by the path check. */
	path = evhttp_uridecode(rawpath, 0, NULL);
	if (path == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (strcmp(path, "/boot.ipxe") == 0) {
		n = bootscript_chain(hb->http_url, script, sizeof(script));
		if (n < 0)
			reply_text(req, HTTP_INTERNAL, "Internal Server Error",
			    "cannot build script");
		else
			send_script(req, script, (size_t)n);
	} else if (bootscript_path_mac(path, mac) == 0)
		serve_node_script(hb, req, mac);
	else if (strncmp(path, "/boot/", 6) == 0 && strstr(path, ".ipxe") != NULL &&
	    strchr(path + 6, '/') == NULL)
		reply_text(req, HTTP_BADREQUEST, "Bad Request",
		    "boot scripts are /boot/aa:bb:cc:dd:ee:ff.ipxe");
	else
		serve_file(hb, req, path + 1);
	free(path);
}

static int
read_secret(struct httpboot *hb, const char *file)
{
	ssize_t n;
	int fd;

	if (file[0] == '\0')
		return 0;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("http: token_secret_file %s: %s", file, strerror(errno));
		return -1;
	}
	n = read(fd, hb->secret, sizeof(hb->secret));
	close(fd);
	if (n <= 0) {
		log_err("http: token_secret_file %s: empty or unreadable", file);
		return -1;
	}
	/* A trailing newline is not part of the key. */
	while (n > 0 && (hb->secret[n - 1] == '\n' || hb->secret[n - 1] == '\r'))
		n--;
	hb->secretlen = (size_t)n;
	return 0;
}

int
http_service_start(struct event_base *base, const struct conf *conf, struct erm *db)
{
	struct httpboot *hb;
	struct sockaddr_in sin;
	char addr[IPV4_STRLEN];
	const char *listen, *v;

	if (conf_has(conf, "bootsrv", "http") ? !conf_bool(conf, "bootsrv", "http") :
	    !conf_has(conf, "bootsrv", "http_root")) {
		log_info("http: off (no http_root in [bootsrv])");
		return 0;
	}
	hb = calloc(1, sizeof(*hb));
	if (hb == NULL)
		return -1;
	hb->db = db;
	hb->rootfd = -1;
	listen = conf_str(conf, "bootsrv", "http_listen");
	if (hostport_parse(listen, &sin) < 0) {
		log_err("http: http_listen '%s' is not ADDR:PORT", listen);
		goto fail;
	}
	hb->rootfd = bootfile_root(conf_str(conf, "bootsrv", "http_root"));
	if (hb->rootfd < 0) {
		log_err("http: http_root %s: %s", conf_str(conf, "bootsrv", "http_root"),
		    strerror(errno));
		goto fail;
	}
	/* Nodes reach us at the management address unless told otherwise. */
	v = conf_str(conf, "bootsrv", "boot_url");
	if (v[0] != '\0')
		str_copy(hb->http_url, v, sizeof(hb->http_url));
	else {
		ipv4_format(sin.sin_addr.s_addr, addr);
		if (sin.sin_addr.s_addr == 0)
			str_copy(addr, conf_str(conf, "testbed", "mgmt_address"), sizeof(addr));
		snprintf(hb->http_url, sizeof(hb->http_url), "http://%s:%u", addr,
		    ntohs(sin.sin_port));
	}
	while (hb->http_url[0] != '\0' && hb->http_url[strlen(hb->http_url) - 1] == '/')
		hb->http_url[strlen(hb->http_url) - 1] = '\0';
	str_copy(hb->master_url, conf_str(conf, "bootsrv", "master_url"),
	    sizeof(hb->master_url));
	str_copy(hb->kernel, conf_str(conf, "bootsrv", "boot_kernel"), sizeof(hb->kernel));
	str_copy(hb->initrd, conf_str(conf, "bootsrv", "boot_initrd"), sizeof(hb->initrd));
	str_copy(hb->cmdline, conf_str(conf, "bootsrv", "boot_cmdline"), sizeof(hb->cmdline));
	hb->retry = (unsigned)conf_int(conf, "bootsrv", "boot_retry");
	if (read_secret(hb, conf_str(conf, "bootsrv", "token_secret_file")) < 0)
		goto fail;

	hb->http = evhttp_new(base);
	if (hb->http == NULL)
		goto fail;
	evhttp_set_allowed_methods(hb->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	/* Bounds on what a client can make us hold. */
	evhttp_set_max_headers_size(hb->http, 16384);
	evhttp_set_max_body_size(hb->http, 65536);
	evhttp_set_timeout(hb->http, 60);
	evhttp_set_gencb(hb->http, request_cb, hb);
	ipv4_format(sin.sin_addr.s_addr, addr);
	if (evhttp_bind_socket(hb->http, addr, ntohs(sin.sin_port)) < 0) {
		log_err("http: cannot listen on %s: %s", listen, strerror(errno));
		goto fail;
	}
	log_info("http: serving %s on %s, scripts name %s",
	    conf_str(conf, "bootsrv", "http_root"), listen, hb->http_url);
	service = hb;
	return 0;
fail:
	if (hb->http != NULL)
		evhttp_free(hb->http);
	if (hb->rootfd >= 0)
		close(hb->rootfd);
	free(hb);
	return -1;
}

void
http_service_stop(void)
{
	if (service == NULL)
		return;
	evhttp_free(service->http);
	close(service->rootfd);
	explicit_bzero(service->secret, sizeof(service->secret));
	free(service);
	service = NULL;
}
