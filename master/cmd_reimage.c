/* springos node reimage: record an install plan for each node, set its
 * boot mode to install, power-cycle it, then follow the installs that ni
 * reports to the master (through the database) with a line per node,
 * until every node is installed or failed. */
#include "cmd_reimage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "erm.h"
#include "erm_install.h"
#include "power.h"
#include "util.h"

#define MAX_NODES 1024

static const char usage_text[] =
    "usage: springos node reimage NODE... (--image NAME | --url URL)\n"
    "           [--partition N] [--format F] [--disk PATH] [--disktype T]\n"
    "           [--mcast] [--attempts N] [--timeout SECONDS] [--no-power] [--no-wait]\n"
    "  --image NAME   an image of the catalogue, fetched from imaged by HTTP,\n"
    "                 or by multicast with --mcast (sosimg images)\n"
    "  --url URL      any http https ftp tftp file mcast URL instead\n";

struct watch {
	char name[ERM_NAME_MAX];
	int64_t id;
	char last[128];
	int finished;	/* 1 installed, -1 failed */
};

static int
usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static void
line_of(const struct erm_install *p, char *out, size_t outlen)
{
	char pct[16] = "  ?";

	if (p->percent >= 0)
		snprintf(pct, sizeof(pct), "%3d", p->percent);
	if (strcmp(p->state, "failed") == 0)
		snprintf(out, outlen, "%-10s %3s%% attempt %d: %.80s", p->state, pct,
		    p->attempts, p->reason);
	else if (strcmp(p->state, "pending") == 0) /* ni has not reported yet */
		snprintf(out, outlen, "%-10s waiting for the node to boot the installer", p->state);
	else if (strcmp(p->state, "done") == 0) /* a rate of the past means nothing */
		snprintf(out, outlen, "%-10s %s%% %8.1f MB", p->state, pct,
		    (double)p->bytes / 1e6);
	else
		snprintf(out, outlen, "%-10s %s%% %8.1f MB %7.1f MB/s", p->state, pct,
		    (double)p->bytes / 1e6, p->rate / 1e6);
}

int
cmd_node_reimage(struct erm *db, const struct conf *conf, int argc, char **argv)
{
	struct erm_install plan;
	struct erm_image img;
	struct erm_node node;
	struct watch *w = NULL;
	const char *image = NULL, *url = NULL, *format = NULL, *disk = "", *disktype = "";
	char err[512];
	long partition = 0, attempts = 3, timeout = -1;
	int nnodes = 0, power = 1, wait = 1, mcast = 0, failed = 0, tty = isatty(1), rc = 1;
	time_t start;

	if ((w = calloc(MAX_NODES, sizeof(*w))) == NULL) {
		fprintf(stderr, "springos: out of memory\n");
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;

		if (strcmp(a, "--image") == 0 && v)
			image = v;
		else if (strcmp(a, "--url") == 0 && v)
			url = v;
		else if (strcmp(a, "--format") == 0 && v)
			format = v;
		else if (strcmp(a, "--disk") == 0 && v)
			disk = v;
		else if (strcmp(a, "--disktype") == 0 && v)
			disktype = v;
		else if (strcmp(a, "--partition") == 0 && v) {
			if (parse_long(v, 0, 128, &partition) != 0) {
				fprintf(stderr, "springos: --partition: '%s' is not 0-128\n", v);
				goto out_usage;
			}
		} else if (strcmp(a, "--attempts") == 0 && v) {
			if (parse_long(v, 1, 1000, &attempts) != 0) {
				fprintf(stderr, "springos: --attempts: '%s' is not 1-1000\n", v);
				goto out_usage;
			}
		} else if (strcmp(a, "--timeout") == 0 && v) {
			if (parse_long(v, 1, 86400 * 7, &timeout) != 0) {
				fprintf(stderr, "springos: --timeout: '%s' is not a number of "
				    "seconds\n", v);
				goto out_usage;
			}
		} else if (strcmp(a, "--no-power") == 0) {
			power = 0;
			takes = 0;
		} else if (strcmp(a, "--mcast") == 0) {
			mcast = 1;
			takes = 0;
		} else if (strcmp(a, "--no-wait") == 0) {
			wait = 0;
			takes = 0;
		} else if (a[0] == '-') {
			fprintf(stderr, "springos: node reimage: unknown option or missing value: %s\n",
			    a);
			goto out_usage;
		} else {
			if (nnodes == MAX_NODES) {
				fprintf(stderr, "springos: at most %d nodes at once\n", MAX_NODES);
				goto out_usage;
			}
			if (str_copy(w[nnodes].name, a, sizeof(w[0].name)) >= sizeof(w[0].name)) {
				fprintf(stderr, "springos: node name too long: %s\n", a);
				goto out_usage;
			}
			nnodes++;
			takes = 0;
		}
		i += takes;
	}
	if (nnodes == 0 || (image == NULL) == (url == NULL) || (mcast && image == NULL) ||
	    (disktype[0] != '\0' && strcmp(disktype, "ide") != 0 && strcmp(disktype, "sata") != 0 &&
	    strcmp(disktype, "scsi") != 0 && strcmp(disktype, "virtio") != 0 &&
	    strcmp(disktype, "nvme") != 0))
		goto out_usage;
	if (timeout < 0)
		timeout = conf_int(conf, "master", "install_timeout");
	if (erm_install_init(db, err, sizeof(err)) != ERM_OK) {
		fprintf(stderr, "springos: %s\n", err);
		goto out;
	}

	/* The plan every node gets. */
	memset(&plan, 0, sizeof(plan));
	if (image != NULL) {
		const char *base = conf_str(conf, "master", "image_url");

		if (erm_image_get(db, image, &img) != ERM_OK) {
			fprintf(stderr, "springos: %s\n", erm_errmsg(db));
			goto out;
		}
		str_copy(plan.image, img.name, sizeof(plan.image));
		const char *listen = conf_str(conf, "imaged", "listen");
		const char *colon = strrchr(listen, ':');
		const char *maddr = conf_str(conf, "imaged", "mcast_address");

		if (mcast) {
			/* imaged's multicast control address and port. */
			if (strcmp(maddr, "0.0.0.0") == 0)
				maddr = conf_str(conf, "testbed", "mgmt_address");
			snprintf(plan.url, sizeof(plan.url), "mcast://%s:%ld/%s", maddr,
			    conf_int(conf, "imaged", "mcast_port"), img.name);
		} else if (base[0] != '\0') {
			snprintf(plan.url, sizeof(plan.url), "%s/%s", base, img.name);
		} else {
			/* imaged serves GET /images/NAME on its listen port. */
			snprintf(plan.url, sizeof(plan.url), "http://%s:%s/images/%s",
			    conf_str(conf, "testbed", "mgmt_address"),
			    colon != NULL ? colon + 1 : "8070", img.name);
		}
		str_copy(plan.format, img.format, sizeof(plan.format));
		/* The catalogue's SHA-256 is of the file; it is also what
		 * lands on the disk only when the file is raw. */
		if (strcmp(img.format, "raw") == 0) {
			str_copy(plan.sha256, img.sha256, sizeof(plan.sha256));
			plan.size = img.size;
		}
	} else {
		const char *slash = strrchr(url, '/');

		str_copy(plan.image, slash && slash[1] ? slash + 1 : url, sizeof(plan.image));
		if (str_copy(plan.url, url, sizeof(plan.url)) >= sizeof(plan.url)) {
			fprintf(stderr, "springos: --url too long\n");
			goto out;
		}
		str_copy(plan.format, "auto", sizeof(plan.format));
	}
	if (format != NULL)
		str_copy(plan.format, format, sizeof(plan.format));
	str_copy(plan.disk, disk, sizeof(plan.disk));
	str_copy(plan.disktype, disktype, sizeof(plan.disktype));
	plan.partition = (int)partition;

	/* Record every plan before touching any power: a typo in the last
	 * node name must not leave the first ones rebooting. */
	for (int i = 0; i < nnodes; i++)
		if (erm_node_get(db, w[i].name, &node) != ERM_OK) {
			fprintf(stderr, "springos: %s\n", erm_errmsg(db));
			goto out;
		}
	for (int i = 0; i < nnodes; i++) {
		str_copy(plan.node, w[i].name, sizeof(plan.node));
		if (erm_install_put(db, &plan, err, sizeof(err)) != ERM_OK) {
			fprintf(stderr, "springos: %s\n", err);
			goto out;
		}
		w[i].id = plan.id;
	}
	for (int i = 0; i < nnodes && power; i++) {
		if (erm_node_get(db, w[i].name, &node) != ERM_OK ||
		    power_cycle(conf, &node, err, sizeof(err)) != 0) {
			fprintf(stderr, "springos: %s: %s\n", w[i].name, err);
			w[i].finished = -1;
			failed++;
		} else {
			printf("%-16s power-cycled (%s)\n", w[i].name, node.power);
		}
	}
	fflush(stdout);
	if (!wait) {
		rc = failed ? 1 : 0;
		goto out;
	}

	/* Follow: one line per node, redrawn in place on a terminal, printed
	 * on change otherwise (logs, tests). */
	start = time(NULL);
	for (int round = 0;; round++) {
		int open = 0;

		if (tty && round > 0)
			printf("\033[%dA", nnodes);
		for (int i = 0; i < nnodes; i++) {
			char line[128];

			if (w[i].finished != 0 && !tty)
				continue;
			if (w[i].finished == 0) {
				if (erm_install_get(db, w[i].name, &plan, err, sizeof(err)) != ERM_OK) {
					snprintf(line, sizeof(line), "error: %.100s", err);
					w[i].finished = -1;
				} else if (plan.id != w[i].id) {
					snprintf(line, sizeof(line), "superseded by plan %lld",
					    (long long)plan.id);
					w[i].finished = -1;
				} else {
					line_of(&plan, line, sizeof(line));
					if (strcmp(plan.state, "done") == 0)
						w[i].finished = 1;
					else if (strcmp(plan.state, "failed") == 0 &&
					    plan.attempts >= attempts)
						w[i].finished = -1;
				}
				if (w[i].finished == 0 && time(NULL) - start > timeout) {
					snprintf(line, sizeof(line), "timed out after %ld s", timeout);
					w[i].finished = -1;
				}
				if (w[i].finished < 0)
					failed++;
			} else {
				str_copy(line, w[i].last, sizeof(line));
			}
			if (tty)
				printf("\033[2K%-16s %s\n", w[i].name, line);
			else if (strcmp(line, w[i].last) != 0)
				printf("%-16s %s\n", w[i].name, line);
			str_copy(w[i].last, line, sizeof(w[i].last));
			if (w[i].finished == 0)
				open++;
		}
		fflush(stdout);
		if (open == 0)
			break;
		sleep(1);
	}
	printf("%d of %d node(s) installed%s\n", nnodes - failed, nnodes,
	    failed ? "; see the failures above" : "");
	rc = failed ? 1 : 0;
	goto out;
out_usage:
	rc = usage();
out:
	free(w);
	return rc;
}
