/* ni: the node installer.
 *
 * In the initrd, init starts `ni` with no arguments: it reads its
 * parameters from /proc/cmdline (ni.master, ni.token, or ni.image for a
 * standalone install), brings the management interface up with DHCP
 * (busybox udhcpc), asks the master for its install plan, runs the
 * fetch -> decode -> write -> verify pipeline, reports progress every
 * second and the result, and reboots.  On failure it reports why and
 * tries again with back-off; the master keeps the node in `install`.
 *
 * On any Linux machine it also runs standalone against a file or a disk:
 *   ni --image URL --disk PATH [--partition N] ... */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "master_client.h"
#include "params.h"
#include "pipeline.h"
#include "util.h"

struct progress_ctx {
	const struct ni_params *prm;
	const struct ni_plan *plan;
	double t0, last_t;
	uint64_t last_bytes;
	int quiet;
	int posted_fail_logged;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
stage_name(int stage)
{
	switch (stage) {
	case STAGE_START:
		return "starting";
	case STAGE_FETCH:
		return "writing";
	case STAGE_VERIFY:
		return "verifying";
	case STAGE_DONE:
		return "done";
	default:
		return "failed";
	}
}

/* Percent of the work: the decoded size when the plan knows it, else the
 * share of the source fetched; verification is the last 10 %. */
static int
percent(const struct ni_plan *plan, const struct pipe_progress *pr)
{
	uint64_t total = atomic_load(&pr->total), done;
	double f = -1;

	if (plan->size > 0)
		f = (double)atomic_load(&pr->written) / (double)plan->size;
	else if (total > 0)
		f = (double)atomic_load(&pr->fetched) / (double)total;
	if (atomic_load(&pr->stage) == STAGE_VERIFY) {
		done = atomic_load(&pr->written);
		return 90 + (done ? (int)(10.0 * (double)atomic_load(&pr->verified) /
		    (double)done) : 0);
	}
	if (atomic_load(&pr->stage) == STAGE_DONE)
		return 100;
	if (f < 0)
		return -1;
	return f > 1 ? 90 : (int)(f * 90);
}

static void
on_progress(void *arg, const struct pipe_progress *pr)
{
	struct progress_ctx *c = arg;
	double t = now_s(), rate;
	uint64_t bytes = atomic_load(&pr->written);
	int stage = atomic_load(&pr->stage), pct = percent(c->plan, pr);
	char body[512], err[256];

	if (atomic_load(&pr->stage) == STAGE_VERIFY)
		bytes = atomic_load(&pr->verified);
	rate = t > c->last_t ? (double)(bytes - c->last_bytes) / (t - c->last_t) : 0;
	if (bytes < c->last_bytes)
		rate = 0;
	c->last_t = t;
	c->last_bytes = bytes;
	if (!c->quiet)
		log_info("%s %d%% %.1f MB written %.1f MB/s", stage_name(stage), pct,
		    (double)atomic_load(&pr->written) / 1e6, rate / 1e6);
	if (c->prm == NULL || c->prm->standalone || c->prm->master[0] == '\0')
		return;
	snprintf(body, sizeof(body),
	    "{\"id\":%lld,\"state\":\"%s\",\"percent\":%d,\"bytes\":%llu,"
	    "\"fetched\":%llu,\"total\":%llu,\"rate\":%.0f}",
	    (long long)c->plan->id, stage_name(stage), pct,
	    (unsigned long long)atomic_load(&pr->written),
	    (unsigned long long)atomic_load(&pr->fetched),
	    (unsigned long long)atomic_load(&pr->total), rate);
	/* Progress is best effort: a lost update must not stop the install. */
	if (mc_post(c->prm->master, c->prm->token, "/api/v1/ni/progress", body, 2, err,
	    sizeof(err)) != 0 && !c->posted_fail_logged) {
		log_warn("progress: %s", err);
		c->posted_fail_logged = 1;
	}
}

/* "ide", "sata", "scsi" -> sd*, hd*; "virtio" -> vd*; "nvme" -> nvme*n*. */
static int
disk_matches(const char *name, const char *type)
{
	int sd = strncmp(name, "sd", 2) == 0 || strncmp(name, "hd", 2) == 0;
	int vd = strncmp(name, "vd", 2) == 0 || strncmp(name, "xvd", 3) == 0;
	int nv = strncmp(name, "nvme", 4) == 0 && strchr(name + 4, 'n') != NULL;

	if (type[0] == '\0')
		return sd || vd || nv;
	if (strcmp(type, "virtio") == 0)
		return vd;
	if (strcmp(type, "nvme") == 0)
		return nv;
	return sd;
}

/* The first disk of the wanted type, in name order (sda before sdb). */
static int
pick_disk(const char *type, char *out, size_t outlen)
{
	struct dirent **ents;
	int n, found = -1;

	if ((n = scandir("/sys/block", &ents, NULL, alphasort)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (found < 0 && disk_matches(ents[i]->d_name, type)) {
			if ((size_t)snprintf(out, outlen, "/dev/%.200s", ents[i]->d_name) <
			    outlen)
				found = 0;
		}
		free(ents[i]);
	}
	free(ents);
	return found;
}

static int
run_wait(char *const argv[])
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The management interface: ni.iface, else the one whose MAC iPXE gave
 * us in BOOTIF, else the first that is not loopback. */
static int
pick_iface(const struct ni_params *prm, char *out, size_t outlen)
{
	struct dirent **ents;
	int n, found = -1;

	if (prm->iface[0] != '\0') {
		str_copy(out, prm->iface, outlen);
		return 0;
	}
	if ((n = scandir("/sys/class/net", &ents, NULL, alphasort)) < 0)
		return -1;
	for (int pass = 0; pass < 2 && found < 0; pass++)
		for (int i = 0; i < n && found < 0; i++) {
			char path[320], mac[64] = "";
			FILE *f;

			if (ents[i]->d_name[0] == '.' || strcmp(ents[i]->d_name, "lo") == 0)
				continue;
			if (pass == 0) {
				if (prm->bootif[0] == '\0')
					break;
				snprintf(path, sizeof(path), "/sys/class/net/%s/address",
				    ents[i]->d_name);
				if ((f = fopen(path, "r")) == NULL)
					continue;
				if (fgets(mac, sizeof(mac), f) == NULL)
					mac[0] = '\0';
				fclose(f);
				mac[strcspn(mac, "\n")] = '\0';
				if (strcasecmp(mac, prm->bootif) != 0)
					continue;
			}
			str_copy(out, ents[i]->d_name, outlen);
			found = 0;
		}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return found;
}

static int
dhcp_up(const struct ni_params *prm)
{
	char ifname[32];

	if (pick_iface(prm, ifname, sizeof(ifname)) != 0) {
		log_err("no network interface to bring up");
		return -1;
	}
	log_info("bringing %s up with DHCP", ifname);
	{
		char *up[] = { "ip", "link", "set", ifname, "up", NULL };
		/* udhcpc: -n exit on failure, -q exit once bound, -t tries
		 * with -T seconds between; the script configures the address. */
		char *dh[] = { "udhcpc", "-i", ifname, "-n", "-q", "-t", "10", "-T", "3",
		    "-s", "/etc/udhcpc.script", NULL };

		(void)run_wait(up);
		if (run_wait(dh) != 0) {
			log_err("%s: no DHCP lease", ifname);
			return -1;
		}
	}
	return 0;
}

static void
post_result(const struct ni_params *prm, const struct ni_plan *plan,
    const struct pipe_result *r)
{
	json_t *o;
	char *body, err[256];

	o = json_pack("{s:I, s:b, s:s, s:s, s:I, s:I, s:f, s:s}", "id", (json_int_t)plan->id,
	    "ok", r->ok, "reason", r->ok ? "" : r->reason, "sha256", r->sha256, "bytes",
	    (json_int_t)r->bytes, "fetched", (json_int_t)r->fetched, "seconds", r->seconds,
	    "format", img_format_name(r->format));
	if (o == NULL || (body = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		log_err("result: cannot encode");
		return;
	}
	json_decref(o);
	/* The master must hear the result before the node reboots, or it
	 * would boot into the installer again: try for about a minute. */
	for (int i = 0; i < 12; i++) {
		if (mc_post(prm->master, prm->token, "/api/v1/ni/result", body, 5, err,
		    sizeof(err)) == 0)
			break;
		log_warn("result: %s (try %d)", err, i + 1);
		sleep(5);
	}
	free(body);
}

static void
print_json_result(const struct pipe_result *r, const struct pipe_opts *o)
{
	json_t *j = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f}", "ok",
	    r->ok, "reason", r->reason, "sha256", r->sha256, "format",
	    img_format_name(r->format), "bytes", (json_int_t)r->bytes, "fetched",
	    (json_int_t)r->fetched, "skipped", (json_int_t)r->skipped, "offset",
	    (json_int_t)r->target_offset, "seconds", r->seconds, "write_seconds",
	    r->write_seconds);

	(void)o;
	if (j != NULL) {
		json_dumpf(j, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(j);
	}
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ni [-v] [--cmdline FILE]\n"
	    "       ni --image URL --disk PATH [--partition N] [--format F] [--sha256 HEX]\n"
	    "          [--create] [--no-verify] [--retries N] [--bufsize KIB] [--json]\n"
	    "       ni --master URL --token TOKEN [--disk PATH] [--no-dhcp] [--no-reboot]\n"
	    "\n"
	    "Without --image or --master, ni reads ni.* parameters from the kernel\n"
	    "command line (/proc/cmdline): ni.master= ni.token= ni.image= ni.disk=\n"
	    "ni.disktype= ni.part= ni.format= ni.sha256= ni.iface= ni.retries=\n"
	    "ni.reboot=0|1 ni.dhcp=0|1, and BOOTIF=.  See docs/ni.md.\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cmdline", required_argument, NULL, 'C' },
		{ "image", required_argument, NULL, 'i' },
		{ "disk", required_argument, NULL, 'd' },
		{ "partition", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'F' },
		{ "sha256", required_argument, NULL, 'S' },
		{ "create", no_argument, NULL, 'c' },
		{ "no-verify", no_argument, NULL, 'N' },
		{ "retries", required_argument, NULL, 'r' },
		{ "bufsize", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "master", required_argument, NULL, 'm' },
		{ "token", required_argument, NULL, 't' },
		{ "no-dhcp", no_argument, NULL, 'D' },
		{ "no-reboot", no_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ni_params prm;
	struct ni_plan plan;
	struct pipe_opts po;
	struct pipe_result res;
	struct progress_ctx pc;
	const char *cmdline_file = "/proc/cmdline";
	char err[512], cmdline_opts[NI_CMDLINE_MAX * 2] = "";
	int ch, verbose = 0, from_args = 0, create = 0, verify = 1, json = 0, quiet = 0;
	int attempt, backoff = 2;
	long n, bufsize_k = 1024;

	ni_params_defaults(&prm);
	while ((ch = getopt_long(argc, argv, "vhq", longopts, NULL)) != -1) {
		const char *key = NULL;

		switch (ch) {
		case 'v':
			verbose = 1;
			break;
		case 'C':
			cmdline_file = optarg;
			break;
		case 'i': key = "ni.image"; break;
		case 'd': key = "ni.disk"; break;
		case 'p': key = "ni.part"; break;
		case 'F': key = "ni.format"; break;
		case 'S': key = "ni.sha256"; break;
		case 'r': key = "ni.retries"; break;
		case 'm': key = "ni.master"; break;
		case 't': key = "ni.token"; break;
		case 'c':
			create = 1;
			break;
		case 'N':
			verify = 0;
			break;
		case 'j':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'D':
			prm.dhcp = 0;
			break;
		case 'R':
			prm.reboot = 0;
			break;
		case 'b':
			if (parse_long(optarg, 4, 65536, &n) != 0) {
				fprintf(stderr, "ni: --bufsize: '%s' is not 4-65536 KiB\n", optarg);
				return 2;
			}
			bufsize_k = n;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (key != NULL) {
			/* Options are command-line words in disguise: one parser. */
			size_t l = strlen(cmdline_opts);

			if (strchr(optarg, '"') != NULL ||
			    (size_t)snprintf(cmdline_opts + l, sizeof(cmdline_opts) - l,
			    " %s=\"%s\"", key, optarg) >= sizeof(cmdline_opts) - l) {
				fprintf(stderr, "ni: %s: bad or too long value\n", key);
				return 2;
			}
			from_args = 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("ni", 1, verbose);
	if (from_args) {
		if (ni_cmdline_parse(cmdline_opts, strlen(cmdline_opts), &prm, err,
		    sizeof(err)) != 0) {
			log_err("%s", err);
			return 2;
		}
		if (prm.standalone) {
			prm.dhcp = 0;
			prm.reboot = 0;
		}
	} else {
		char *buf = calloc(1, NI_CMDLINE_MAX + 1);
		FILE *f;
		size_t len;

		if (buf == NULL || (f = fopen(cmdline_file, "r")) == NULL) {
			log_err("%s: %s", cmdline_file, strerror(errno));
			free(buf);
			return 2;
		}
		len = fread(buf, 1, NI_CMDLINE_MAX + 1, f);
		fclose(f);
		if (ni_cmdline_parse(buf, len, &prm, err, sizeof(err)) != 0) {
			log_err("%s: %s", cmdline_file, err);
			free(buf);
			return 2;
		}
		free(buf);
	}
	if (!prm.standalone && prm.master[0] == '\0') {
		log_err("nothing to do: give ni.image= (standalone) or ni.master= and ni.token=");
		return 2;
	}
	if (pipe_global_init() != 0)
		fatalx("cannot initialise libcurl");
	signal(SIGPIPE, SIG_IGN);

	if (prm.dhcp && dhcp_up(&prm) != 0 && !prm.standalone)
		log_warn("continuing without DHCP; the master may be unreachable");

	for (attempt = 1;; attempt++) {
		int have = 1;

		if (prm.standalone) {
			plan = prm.plan;
			if (ni_plan_check(&plan, err, sizeof(err)) != 0) {
				log_err("%s", err);
				return 2;
			}
		} else if ((have = mc_get_plan(prm.master, prm.token, &plan, err,
		    sizeof(err))) <= 0) {
			if (have == 0)
				log_info("the master has no install plan for this node yet");
			else
				log_err("%s", err);
			goto again;
		}
		if (plan.disk[0] == '\0' && prm.plan.disk[0] != '\0')
			str_copy(plan.disk, prm.plan.disk, sizeof(plan.disk));
		if (plan.disk[0] == '\0' &&
		    pick_disk(plan.disktype, plan.disk, sizeof(plan.disk)) != 0) {
			memset(&res, 0, sizeof(res));
			snprintf(res.reason, sizeof(res.reason), "no %s disk found",
			    plan.disktype[0] ? plan.disktype : "usable");
			log_err("%s", res.reason);
			if (!prm.standalone)
				post_result(&prm, &plan, &res);
			goto again;
		}
		log_info("installing %s (%s) onto %s%s%.0d", plan.url,
		    img_format_name(plan.format), plan.disk,
		    plan.partition ? " partition " : "", plan.partition);
		memset(&po, 0, sizeof(po));
		memset(&pc, 0, sizeof(pc));
		pc.prm = &prm;
		pc.plan = &plan;
		pc.t0 = pc.last_t = now_s();
		pc.quiet = quiet;
		po.plan = &plan;
		po.target = plan.disk;
		po.create = create;
		po.verify = verify;
		po.bufsize = (size_t)bufsize_k * 1024;
		po.progress = on_progress;
		po.progress_ctx = &pc;
		pipe_run(&po, &res);
		if (res.ok)
			log_info("installed %llu bytes (%s, sha256 %s) in %.1f s, %.1f MB/s%s",
			    (unsigned long long)res.bytes, img_format_name(res.format),
			    res.sha256, res.seconds,
			    res.write_seconds > 0 ? (double)res.bytes / res.write_seconds / 1e6 : 0,
			    verify ? ", verified" : "");
		else
			log_err("install failed: %s", res.reason);
		if (json)
			print_json_result(&res, &po);
		if (!prm.standalone)
			post_result(&prm, &plan, &res);
		if (res.ok)
			break;
again:
		if (prm.retries > 0 && attempt >= prm.retries) {
			log_err("giving up after %d attempts", attempt);
			return 1;
		}
		if (prm.standalone && prm.retries == 0)
			return 1;
		log_info("retrying in %d s", backoff);
		sleep((unsigned)backoff);
		backoff = backoff * 2 > 60 ? 60 : backoff * 2;
	}
	if (prm.reboot) {
		log_info("rebooting into the installed system");
		sync();
		reboot(RB_AUTOBOOT);
		log_err("reboot: %s", strerror(errno));
		return 1;
	}
	return 0;
}
