/* bootsrv: the boot services of the management node (DHCP, TFTP, HTTP
 * boot) on one libevent loop, answering from the testbed database.
 *
 * This main is the TFTP/HTTP branch's; the DHCP branch has its own and
 * the two are merged.  All logic lives in the service files. */
#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "erm.h"
#include "httpboot.h"
#include "log.h"
#include "tftp.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bootsrv [-fv] [-c FILE]\n"
	    "  -c FILE   springos.ini (default /etc/springos/springos.ini)\n"
	    "  -f        stay in the foreground and log to stderr\n"
	    "  -v        debug logging\n"
	    "  --help    this text\n"
	    "Serves TFTP ([bootsrv] tftp_*), HTTP boot and per-node iPXE scripts\n"
	    "([bootsrv] http_*, boot_*) from the testbed database ([testbed] db).\n");
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct event_base *base = arg;

	(void)ev;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(base, NULL);
}

/* Hundreds of concurrent transfers each hold a socket: use what we may. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* After every socket and file is open (OpenBSD daemon order). */
static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("[bootsrv] user: no such user '%s'", user);
	if (setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		fatalx("cannot drop privileges to %s: %s", user, strerror(errno));
	log_info("running as %s", user);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfpath = "/etc/springos/springos.ini";
	struct event_base *base;
	struct event *ev_int, *ev_term;
	struct conf *conf;
	struct erm *db;
	char err[512];
	int ch, fg = 0, verbose = 0;

	while ((ch = getopt_long(argc, argv, "c:fv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfpath = optarg;
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
	log_init("bootsrv", fg, verbose);
	if (conf_load(cfpath, &conf, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (erm_open(conf_str(conf, "testbed", "db"), 0, &db, err, sizeof(err)) != ERM_OK)
		fatalx("[testbed] db: %s", err);
	if (!fg && daemon(0, 0) < 0)
		fatalx("daemon: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ev_int = evsignal_new(base, SIGINT, signal_cb, base);
	ev_term = evsignal_new(base, SIGTERM, signal_cb, base);
	if (ev_int == NULL || ev_term == NULL || evsignal_add(ev_int, NULL) < 0 ||
	    evsignal_add(ev_term, NULL) < 0)
		fatalx("cannot set up signal events");

	if (tftp_service_start(base, conf) < 0)
		fatalx("TFTP service failed to start");
	if (http_service_start(base, conf, db) < 0)
		fatalx("HTTP service failed to start");
	drop_privileges(conf_str(conf, "bootsrv", "user"));
	log_info("bootsrv ready");
	event_base_dispatch(base);

	event_free(ev_int);
	event_free(ev_term);
	event_base_free(base);
	erm_close(db);
	conf_free(conf);
	return 0;
}
