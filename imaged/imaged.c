/* imaged: the image store.
 *
 *   imaged [-f] [-v] -c springos.ini
 *
 * Serves every image in [imaged] store over HTTP (GET/HEAD /images/NAME with
 * Range, GET /images as a JSON catalogue, PUT /images/NAME to upload a
 * captured image, GET /progress for multicast receivers) and every sosimg
 * image over receiver-driven multicast (mcast_srv.c).  Images are
 * registered in the testbed database.  See docs/imaged.md. */
#include <sys/stat.h>
#include <sys/types.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "config.h"
#include "erm.h"
#include "imgio.h"
#include "log.h"
#include "mcast_srv.h"
#include "sosimg.h"
#include "util.h"

#define MAX_IMAGES 1024

struct image {
	char name[ERM_NAME_MAX];
	char path[512];
	enum img_format fmt;
	uint64_t disk_size;   /* sosimg: disk bytes; others: file bytes */
	uint64_t file_size;
	char sha256[65];
	int mcast;
};

static struct {
	struct conf *conf;
	struct erm *db;
	struct event_base *base;
	struct evhttp *http;
	struct msrv *msrv;
	char store[512];
	struct image images[MAX_IMAGES];
	int n_images;
	uint16_t mcast_port;
} g;

static void
usage(FILE *f)
{
	fprintf(f, "usage: imaged [-f] [-v] -c springos.ini\n"
	    "  -f  stay in the foreground and log to stderr\n"
	    "  -v  debug logging\n");
}

/* Image names: [A-Za-z0-9._-], not starting with '.', 1..63 bytes. */
static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
file_sha256(const char *path, char out[65], char *err, size_t errlen)
{
	uint8_t buf[1 << 16], md[32];
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto done;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	sosimg_hex(md, 32, out);
	rc = 0;
done:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

static const char *
erm_format(enum img_format f)
{
	return f == IMG_VMDK_STREAM ? "vmdk" : img_format_name(f);
}

/* Describe the image at path, register it in the database and the
 * catalogue, and serve it by multicast if it is a sosimg. */
static int
add_image(const char *name, const char *path, char *err, size_t errlen)
{
	struct img_reader *r;
	struct erm_image ei, old;
	struct image im;
	uint8_t magic[8];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (g.n_images == MAX_IMAGES) {
		snprintf(err, errlen, "%s: the catalogue is full (%d images)", name, MAX_IMAGES);
		return -1;
	}
	memset(&im, 0, sizeof(im));
	str_copy(im.name, name, sizeof(im.name));
	if (str_copy(im.path, path, sizeof(im.path)) >= sizeof(im.path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, fd < 0 ? strerror(errno) :
		    "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memset(magic, 0, sizeof(magic));
	n = pread(fd, magic, sizeof(magic), 0);
	close(fd);
	im.fmt = img_format_sniff(magic, n > 0 ? (size_t)n : 0);
	im.file_size = (uint64_t)st.st_size;
	if (im.fmt == IMG_SOSIMG) {
		if (img_open(path, IMG_SOSIMG, NULL, &r, err, errlen) < 0)
			return -1;
		im.disk_size = img_size(r);
		sosimg_hex(img_sosimg_header(r)->image_sha256, 32, im.sha256);
		img_close(r);
	} else {
		im.disk_size = im.file_size;
		if (file_sha256(path, im.sha256, err, errlen) < 0)
			return -1;
	}
	memset(&ei, 0, sizeof(ei));
	str_copy(ei.name, name, sizeof(ei.name));
	str_copy(ei.path, path, sizeof(ei.path));
	str_copy(ei.format, erm_format(im.fmt), sizeof(ei.format));
	ei.size = (int64_t)im.disk_size;
	str_copy(ei.sha256, im.sha256, sizeof(ei.sha256));
	rc = erm_image_add(g.db, &ei);
	if (rc == ERM_EEXIST) {
		/* Known from an earlier run: keep the record, say if it changed. */
		if (erm_image_get(g.db, name, &old) == ERM_OK &&
		    (strcmp(old.sha256, ei.sha256) != 0 || strcmp(old.path, ei.path) != 0))
			log_warn("%s: database record (sha256 %.12s..., %s) differs from the "
			    "store (sha256 %.12s..., %s)", name, old.sha256, old.path,
			    ei.sha256, ei.path);
	} else if (rc != ERM_OK) {
		snprintf(err, errlen, "%s: database: %s", name, erm_errmsg(g.db));
		return -1;
	}
	if (im.fmt == IMG_SOSIMG) {
		if (msrv_add_image(g.msrv, name, path, err, errlen) < 0)
			return -1;
		im.mcast = 1;
	}
	g.images[g.n_images++] = im;
	log_info("image %s: %s, %llu bytes, sha256 %.16s...", name, img_format_name(im.fmt),
	    (unsigned long long)im.disk_size, im.sha256);
	return 0;
}

static struct image *
find_image(const char *name)
{
	int i;

	for (i = 0; i < g.n_images; i++)
		if (strcmp(g.images[i].name, name) == 0)
			return &g.images[i];
	return NULL;
}

static void
scan_store(void)
{
	char path[1024], err[512];
	struct dirent *de;
	DIR *d;

	d = opendir(g.store);
	if (d == NULL)
		fatalx("store %s: %s", g.store, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!valid_name(de->d_name))
			continue; /* dot files: uploads in progress, editor litter */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", g.store, de->d_name) >=
		    sizeof(path))
			continue;
		if (add_image(de->d_name, path, err, sizeof(err)) < 0)
			log_warn("store: %s (not served)", err);
	}
	closedir(d);
}

static void
send_json(struct evhttp_request *req, int code, json_t *j)
{
	struct evbuffer *b = evbuffer_new();
	char *s = json_dumps(j, JSON_INDENT(1));

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	if (s != NULL)
		evbuffer_add_printf(b, "%s\n", s);
	evhttp_send_reply(req, code, code == 200 ? "OK" : code == 201 ? "Created" : "Error", b);
	free(s);
	json_decref(j);
	evbuffer_free(b);
}

static void
send_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain");
	evbuffer_add_printf(b, "%s\n", msg);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void
serve_catalogue(struct evhttp_request *req)
{
	json_t *arr = json_array(), *o;
	char group[IPV4_STRLEN];
	int i;

	for (i = 0; i < g.n_images; i++) {
		struct image *im = &g.images[i];

		o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "name", im->name,
		    "format", img_format_name(im->fmt), "size", (json_int_t)im->disk_size,
		    "stored_size", (json_int_t)im->file_size, "sha256", im->sha256,
		    "url", "");
		{
			char url[128];

			snprintf(url, sizeof(url), "/images/%s", im->name);
			json_object_set_new(o, "url", json_string(url));
		}
		if (im->mcast) {
			ipv4_format(msrv_group(g.msrv, im->name), group);
			json_object_set_new(o, "multicast", json_pack("{s:s, s:i}", "group",
			    group, "port", (int)g.mcast_port));
		}
		json_array_append_new(arr, o);
	}
	send_json(req, 200, json_pack("{s:o}", "images", arr));
}

/* Range: bytes=A-B | bytes=A- | bytes=-N (RFC 9110 14.1.2); one range only.
 * Returns 1 with [*a, *b] set, 0 to serve the whole file (no or
 * unsupported header), -1 if unsatisfiable. */
static int
parse_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
	unsigned long long x, y;
	char *end;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
		return 0;
	h += 6;
	if (*h == '-') {
		errno = 0;
		y = strtoull(h + 1, &end, 10);
		if (errno || end == h + 1 || *end != '\0')
			return 0;
		if (y == 0 || size == 0)
			return -1;
		*a = y >= size ? 0 : size - y;
		*b = size - 1;
		return 1;
	}
	if (*h < '0' || *h > '9')
		return 0;
	errno = 0;
	x = strtoull(h, &end, 10);
	if (errno || *end != '-')
		return 0;
	h = end + 1;
	if (*h == '\0') {
		y = size ? size - 1 : 0;
	} else {
		if (*h < '0' || *h > '9')
			return 0;
		y = strtoull(h, &end, 10);
		if (errno || *end != '\0' || y < x)
			return 0;
	}
	if (x >= size)
		return -1;
	if (y >= size)
		y = size - 1;
	*a = x;
	*b = y;
	return 1;
}

static void
serve_image(struct evhttp_request *req, struct image *im)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	struct stat st;
	uint64_t a = 0, z = 0, size;
	char v[128];
	int fd, r;

	fd = open(im->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		send_error(req, 500, "Internal Server Error", "image unreadable");
		return;
	}
	size = (uint64_t)st.st_size;
	r = parse_range(evhttp_find_header(evhttp_request_get_input_headers(req), "Range"),
	    size, &a, &z);
	evhttp_add_header(oh, "Accept-Ranges", "bytes");
	evhttp_add_header(oh, "Content-Type", "application/octet-stream");
	snprintf(v, sizeof(v), "\"%s\"", im->sha256);
	evhttp_add_header(oh, "ETag", v);
	if (r < 0) {
		close(fd);
		snprintf(v, sizeof(v), "bytes */%llu", (unsigned long long)size);
		evhttp_add_header(oh, "Content-Range", v);
		send_error(req, 416, "Range Not Satisfiable", "range not satisfiable");
		return;
	}
	b = evbuffer_new();
	if (r == 0) {
		a = 0;
		z = size ? size - 1 : 0;
	}
	/* evbuffer_add_file owns fd from here (sendfile where it can). */
	if (size > 0)
		evbuffer_add_file(b, fd, (ev_off_t)a, (ev_off_t)(z - a + 1));
	else
		close(fd);
	if (r == 1) {
		snprintf(v, sizeof(v), "bytes %llu-%llu/%llu", (unsigned long long)a,
		    (unsigned long long)z, (unsigned long long)size);
		evhttp_add_header(oh, "Content-Range", v);
		evhttp_send_reply(req, 206, "Partial Content", b);
	} else {
		evhttp_send_reply(req, 200, "OK", b);
	}
	evbuffer_free(b);
}

/* PUT /images/NAME: the body (bounded by max_upload_mb) becomes a new
 * image.  It is written next to the store's images under a dot name,
 * checked, and renamed into place only if it is a readable image. */
static void
upload_image(struct evhttp_request *req, const char *name)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char tmp[1024], path[1024], err[512];
	struct img_reader *r;
	size_t len;
	int fd;

	if (find_image(name) != NULL) {
		send_error(req, 409, "Conflict", "an image of that name exists");
		return;
	}
	len = evbuffer_get_length(in);
	if (len == 0) {
		send_error(req, 400, "Bad Request", "empty body");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", g.store, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.upload.XXXXXX", g.store, name);
	fd = mkstemp(tmp);
	if (fd < 0) {
		send_error(req, 500, "Internal Server Error", "cannot create a file");
		return;
	}
	while (evbuffer_get_length(in) > 0) {
		if (evbuffer_write(in, fd) <= 0) {
			close(fd);
			unlink(tmp);
			send_error(req, 500, "Internal Server Error", "write failed");
			return;
		}
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		send_error(req, 500, "Internal Server Error", "sync failed");
		return;
	}
	close(fd);
	/* Structure check: header, index digest, VMDK tables, or the whole
	 * gzip/zstd stream.  sosimg chunks are checked by every receiver. */
	if (img_open(tmp, IMG_AUTO, g.store, &r, err, sizeof(err)) < 0) {
		unlink(tmp);
		log_warn("upload %s refused: %s", name, err);
		send_error(req, 422, "Unprocessable Content", err);
		return;
	}
	img_close(r);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		send_error(req, 500, "Internal Server Error", "rename failed");
		return;
	}
	if (add_image(name, path, err, sizeof(err)) < 0) {
		log_warn("upload %s: %s", name, err);
		unlink(path);
		send_error(req, 422, "Unprocessable Content", err);
		return;
	}
	log_info("upload %s: %zu bytes stored", name, len);
	{
		struct image *im = find_image(name);

		send_json(req, 201, json_pack("{s:s, s:s, s:I, s:s}", "name", name, "format",
		    img_format_name(im->fmt), "size", (json_int_t)im->disk_size, "sha256",
		    im->sha256));
	}
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evhttp_uri *u;
	const char *path;
	struct image *im;
	char name[128];

	(void)arg;
	u = evhttp_uri_parse(uri);
	path = u != NULL ? evhttp_uri_get_path(u) : NULL;
	if (path == NULL) {
		send_error(req, 400, "Bad Request", "bad URI");
		goto done;
	}
	if (strcmp(path, "/images") == 0 || strcmp(path, "/images/") == 0) {
		if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
			serve_catalogue(req);
		else
			send_error(req, 405, "Method Not Allowed", "GET only");
		goto done;
	}
	if (strcmp(path, "/progress") == 0) {
		send_json(req, 200, msrv_progress(g.msrv));
		goto done;
	}
	if (strncmp(path, "/images/", 8) != 0 ||
	    str_copy(name, path + 8, sizeof(name)) >= sizeof(name) || !valid_name(name)) {
		send_error(req, 404, "Not Found", "no such path");
		goto done;
	}
	if (cmd == EVHTTP_REQ_PUT) {
		upload_image(req, name);
		goto done;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		send_error(req, 405, "Method Not Allowed", "GET, HEAD or PUT");
		goto done;
	}
	im = find_image(name);
	if (im == NULL)
		send_error(req, 404, "Not Found", "no such image");
	else
		serve_image(req, im);
done:
	if (u != NULL)
		evhttp_uri_free(u);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(g.base);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *cfgpath = NULL, *listen;
	char err[512], host[64];
	struct msrv_cfg mc;
	struct event *sigs[3];
	struct event_config *ecfg;
	uint32_t a;
	long port;
	int ch, fg = 0, verbose = 0, i;
	const char *colon;

	while ((ch = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': cfgpath = optarg; break;
		case 'f': fg = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (cfgpath == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("imaged", fg, verbose);
	if (conf_load(cfgpath, &g.conf, err, sizeof(err)) < 0)
		fatalx("%s", err);
	str_copy(g.store, conf_str(g.conf, "imaged", "store"), sizeof(g.store));
	listen = conf_str(g.conf, "imaged", "listen");
	colon = strrchr(listen, ':');
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) ||
	    parse_long(colon + 1, 1, 65535, &port) < 0)
		fatalx("%s: [imaged] listen: '%s' is not ADDRESS:PORT", cfgpath, listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (erm_open(conf_str(g.conf, "testbed", "db"), 0, &g.db, err, sizeof(err)) != ERM_OK)
		fatalx("database: %s", err);
	signal(SIGPIPE, SIG_IGN);
	/* Precise timers (timerfd): the multicast pacer ticks every millisecond. */
	ecfg = event_config_new();
	if (ecfg == NULL)
		fatalx("event_config_new failed");
	event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	g.base = event_base_new_with_config(ecfg);
	event_config_free(ecfg);
	if (g.base == NULL)
		fatalx("event_base_new failed");
	memset(&mc, 0, sizeof(mc));
	ipv4_parse(conf_str(g.conf, "imaged", "mcast_address"), &mc.addr);
	ipv4_parse(conf_str(g.conf, "imaged", "mcast_group"), &a);
	mc.group_base = a;
	g.mcast_port = (uint16_t)conf_int(g.conf, "imaged", "mcast_port");
	mc.port = g.mcast_port;
	mc.rate_max_kbps = conf_int(g.conf, "imaged", "mcast_rate_max");
	mc.rate_start_kbps = conf_int(g.conf, "imaged", "mcast_rate_start");
	mc.ttl = (int)conf_int(g.conf, "imaged", "mcast_ttl");
	mc.loss_backoff_pct = (int)conf_int(g.conf, "imaged", "mcast_loss_backoff");
	mc.flow_floor_kbps = conf_int(g.conf, "imaged", "mcast_flow_floor");
	mc.gather_ms = (int)conf_int(g.conf, "imaged", "mcast_gather_ms");
	if (!IN_MULTICAST(ntohl(a)))
		fatalx("%s: [imaged] mcast_group: %s is not a multicast address", cfgpath,
		    conf_str(g.conf, "imaged", "mcast_group"));
	g.msrv = msrv_new(g.base, &mc, err, sizeof(err));
	if (g.msrv == NULL)
		fatalx("multicast: %s", err);
	scan_store();
	g.http = evhttp_new(g.base);
	if (g.http == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_max_body_size(g.http, (ev_ssize_t)conf_int(g.conf, "imaged",
	    "max_upload_mb") << 20);
	evhttp_set_allowed_methods(g.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT);
	evhttp_set_gencb(g.http, on_request, NULL);
	if (evhttp_bind_socket(g.http, host, (uint16_t)port) < 0)
		fatalx("cannot listen on %s", listen);
	sigs[0] = evsignal_new(g.base, SIGINT, on_signal, NULL);
	sigs[1] = evsignal_new(g.base, SIGTERM, on_signal, NULL);
	sigs[2] = evsignal_new(g.base, SIGHUP, on_signal, NULL);
	for (i = 0; i < 3; i++)
		evsignal_add(sigs[i], NULL);
	if (!fg && daemon(0, 0) < 0)
		fatalx("daemon: %s", strerror(errno));
	log_info("serving %d images from %s on http://%s, multicast port %u", g.n_images,
	    g.store, listen, g.mcast_port);
	event_base_dispatch(g.base);
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	evhttp_free(g.http);
	msrv_free(g.msrv);
	event_base_free(g.base);
	erm_close(g.db);
	conf_free(g.conf);
	return 0;
}
