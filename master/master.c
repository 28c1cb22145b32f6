/* master: the springos management daemon.
 *
 *   master [-f] [-v] [-c springos.ini]
 *
 * Serves the REST API (/api/v1, docs/api.md) from one libevent loop:
 * the node installer's calls (plan, progress, result) now, the
 * experiment runner's later.  State lives in the testbed database;
 * the HMAC key of the node tokens in [master] secret_file. */
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "erm.h"
#include "erm_install.h"
#include "log.h"
#include "ni_boot.h"
#include "util.h"

#define DEFAULT_CONF "/etc/springos/springos.ini"

static void
usage(FILE *f)
{
	fputs("usage: master [-f] [-v] [-c FILE]\n"
	    "  -c, --config FILE   springos.ini (default $SPRINGOS_CONF or " DEFAULT_CONF ")\n"
	    "  -f, --foreground    stay in the foreground and log to stderr\n"
	    "  -v, --verbose       log debug messages\n"
	    "  -h, --help          this text\n"
	    "Serves /api/v1 on [master] listen; see docs/api.md.\n", f);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(arg);
}

/* "ADDR:PORT" (IPv4 or a name) into host and port. */
static int
split_listen(const char *s, char *host, size_t hostlen, ev_uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	long p;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= hostlen ||
	    parse_long(colon + 1, 1, 65535, &p) != 0)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (ev_uint16_t)p;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = getenv("SPRINGOS_CONF");
	struct master m;
	struct conf *conf;
	struct event_base *base;
	struct event *sigint, *sigterm;
	struct evhttp *http;
	char err[512], host[256], secret[512];
	ev_uint16_t port;
	int ch, fg = 0, verbose = 0;

	if (conf_path == NULL || conf_path[0] == '\0')
		conf_path = DEFAULT_CONF;
	while ((ch = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			fg = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("master", 1, verbose);
	if (conf_load(conf_path, &conf, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (split_listen(conf_str(conf, "master", "listen"), host, sizeof(host), &port) != 0)
		fatalx("%s: [master] listen: '%s' is not ADDRESS:PORT", conf_path,
		    conf_str(conf, "master", "listen"));
	memset(&m, 0, sizeof(m));
	m.conf = conf;
	master_secret_path(conf, secret, sizeof(secret));
	if (token_secret_load(secret, 1, &m.key, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (erm_open(conf_str(conf, "testbed", "db"), 0, &m.db, err, sizeof(err)) != ERM_OK)
		fatalx("%s", err);
	if (erm_install_init(m.db, err, sizeof(err)) != ERM_OK)
		fatalx("%s", err);
	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) == NULL)
		fatalx("cannot set up the event loop");
	if (evhttp_bind_socket(http, host, port) != 0)
		fatalx("cannot listen on %s:%u: %s", host, port, strerror(errno));
	api_attach(http, &m);
	signal(SIGPIPE, SIG_IGN);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) != 0 ||
	    evsignal_add(sigterm, NULL) != 0)
		fatalx("cannot install signal handlers");
	if (!fg) {
		if (daemon(0, 0) != 0)
			fatalx("daemon: %s", strerror(errno));
		log_init("master", 0, verbose);
		event_reinit(base);
	}
	log_info("serving /api/v1 on %s:%u", host, port);
	event_base_dispatch(base);
	event_free(sigint);
	event_free(sigterm);
	evhttp_free(http);
	event_base_free(base);
	erm_close(m.db);
	conf_free(conf);
	return 0;
}
