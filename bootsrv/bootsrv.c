/* bootsrv: the boot services of a springos testbed (DHCP/proxyDHCP/PXE,
 * and TFTP/HTTP boot serving) on one libevent loop.
 *
 * Start-up order follows the OpenBSD daemons: read the configuration,
 * open the database and every socket, then drop privileges; only start-up
 * errors are fatal, a bad packet is logged and dropped. */
#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "dhcp_service.h"
#include "erm.h"
#include "httpboot.h"
#include "log.h"
#include "tftp.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bootsrv [-fv] [-c springos.ini]\n"
	    "  -c FILE  configuration (default /etc/springos/springos.ini)\n"
	    "  -f       stay in the foreground and log to stderr\n"
	    "  -v       log debug messages too\n"
	    "  --help   this text\n"
	    "Serves DHCP (or proxyDHCP) with PXE/iPXE boot answers, TFTP, and HTTP boot\n"
	    "with per-node iPXE scripts, from the testbed database named by [testbed] db;\n"
	    "see docs/bootsrv.md and docs/bootsrv-tftp-http.md.\n");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(base);
}

/* Hundreds of concurrent TFTP transfers each hold a socket: allow what
 * the hard limit allows. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Give up root after the sockets are open (OpenBSD order: groups, gid,
 * uid), so a bug in packet handling cannot be used for more. */
static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("[bootsrv] user: no such user '%s'", user);
	if (setgroups(1, &pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		fatalx("dropping privileges to %s: %s", user, strerror(errno));
	log_info("running as %s", user);
}

int
main(int argc, char **argv)
{
	const char *path = "/etc/springos/springos.ini";
	struct event *sigs[3];
	static const int signos[3] = { SIGINT, SIGTERM, SIGHUP };
	struct event_base *base;
	struct conf *conf;
	struct erm *db;
	char err[512];
	int fg = 0, verbose = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "-f") == 0) {
			fg = 1;
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
		} else if (strcmp(argv[i], "-fv") == 0 || strcmp(argv[i], "-vf") == 0) {
			fg = verbose = 1;
		} else {
			usage(stderr);
			return 2;
		}
	}
	log_init("bootsrv", fg, verbose);
	if (conf_load(path, &conf, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (erm_open(conf_str(conf, "testbed", "db"), 0, &db, err, sizeof(err)) != ERM_OK)
		fatalx("%s", err);
	if (!fg && daemon(0, 0) != 0)
		fatalx("daemon: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(base, signos[i], on_signal, base);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) != 0)
			fatalx("cannot install signal handlers");
	}
	if (dhcp_service_start(base, conf, db) != 0)
		fatalx("the DHCP service could not start");
	if (tftp_service_start(base, conf) != 0)
		fatalx("the TFTP service could not start");
	if (http_service_start(base, conf, db) != 0)
		fatalx("the HTTP boot service could not start");
	drop_privileges(conf_str(conf, "bootsrv", "user"));
	log_info("ready");
	event_base_dispatch(base);
	dhcp_service_stop();
	tftp_service_stop();
	http_service_stop();
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_base_free(base);
	erm_close(db);
	conf_free(conf);
	return 0;
}
