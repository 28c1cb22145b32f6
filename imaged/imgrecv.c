/* imgrecv: receive an image from imaged by multicast onto a file or disk.
 *
 *   imgrecv [-u] [-r] [-p] [-i LOCALADDR] [-t SECONDS] -s SERVER[:PORT] IMAGE OUT
 *
 * A thin command around the receiver library (lib/mcast_recv.h), which ni
 * uses the same way. */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcast_recv.h"
#include "sosimg.h"
#include "util.h"

static int show_progress;
static int out_fd = -1;

static void
usage(FILE *f)
{
	fprintf(f, "usage: imgrecv [-u] [-r] [-p] [-i LOCALADDR] [-t SECONDS] "
	    "-s SERVER[:PORT] IMAGE OUT\n"
	    "  -u  unicast only (do not join the group)\n"
	    "  -r  resume: keep the chunks OUT already holds (checked by SHA-256)\n"
	    "  -p  progress on stderr\n"
	    "  -i  local address to join the group on\n"
	    "  -t  give up after SECONDS (default 3600)\n");
}

static void
on_progress(void *ctx, const struct mcast_recv_stats *st)
{
	(void)ctx;
	if (show_progress)
		fprintf(stderr, "progress %llu/%llu bytes, %u/%u chunks\n",
		    (unsigned long long)st->bytes_done, (unsigned long long)st->bytes_total,
		    st->chunks_present + st->chunks_received, st->chunks_total);
}

static void
on_event(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "imgrecv: %s\n", msg);
}

int
main(int argc, char **argv)
{
	struct mcast_recv_cfg cfg;
	struct mcast_recv_stats st;
	char err[512], host[64], hex[65];
	const char *server = NULL, *colon;
	struct stat sb;
	int ch, resume = 0, fresh = 0, rc;
	long v, port = 7400;

	memset(&cfg, 0, sizeof(cfg));
	memset(&sb, 0, sizeof(sb));
	while ((ch = getopt(argc, argv, "uri:t:s:ph")) != -1) {
		switch (ch) {
		case 'u': cfg.unicast_only = 1; break;
		case 'r': resume = 1; break;
		case 'p': show_progress = 1; break;
		case 'i':
			if (ipv4_parse(optarg, &cfg.iface) < 0)
				goto bad;
			break;
		case 't':
			if (parse_long(optarg, 1, 86400, &v) < 0)
				goto bad;
			cfg.timeout_s = (int)v;
			break;
		case 's': server = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (server == NULL || argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	colon = strchr(server, ':');
	str_copy(host, server, sizeof(host));
	if (colon != NULL) {
		host[colon - server] = '\0';
		if (parse_long(colon + 1, 1, 65535, &port) < 0) {
			fprintf(stderr, "imgrecv: -s: bad port in '%s'\n", server);
			return 2;
		}
	}
	if (ipv4_parse(host, &cfg.server) < 0) {
		fprintf(stderr, "imgrecv: -s: '%s' is not an IPv4 address\n", host);
		return 2;
	}
	cfg.port = (uint16_t)port;
	cfg.image = argv[optind];
	cfg.progress = on_progress;
	cfg.event = on_event;
	if (stat(argv[optind + 1], &sb) < 0 && errno == ENOENT)
		fresh = 1;
	out_fd = open(argv[optind + 1], O_RDWR | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC),
	    0644);
	if (out_fd < 0) {
		fprintf(stderr, "imgrecv: %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	if (!resume && S_ISREG(sb.st_mode))
		fresh = 1; /* truncated to nothing: holes read as zeros */
	if (mcast_recv_fd_sink(out_fd, resume, fresh, &cfg.sink) < 0) {
		fprintf(stderr, "imgrecv: out of memory\n");
		return 1;
	}
	rc = mcast_recv_run(&cfg, &st, err, sizeof(err));
	if (rc == 0 && fstat(out_fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size != st.bytes_total &&
	    ftruncate(out_fd, (off_t)st.bytes_total) < 0) {
		snprintf(err, sizeof(err), "%s: truncate: %s", argv[optind + 1],
		    strerror(errno));
		rc = -1;
	}
	if (rc == 0 && fsync(out_fd) < 0 && errno != EINVAL) {
		snprintf(err, sizeof(err), "%s: fsync: %s", argv[optind + 1], strerror(errno));
		rc = -1;
	}
	mcast_recv_fd_sink_free(cfg.sink.ctx);
	close(out_fd);
	/* One machine-readable summary line for scripts and tests. */
	sosimg_hex(st.image_sha256, 32, hex);
	printf("imgrecv: %s %s chunks=%u present=%u received=%u corrupt=%u datagrams=%llu "
	    "useless=%llu evicted=%u unicast=%d sha256=%s\n", rc == 0 ? "done" : "failed", cfg.image,
	    st.chunks_total, st.chunks_present, st.chunks_received, st.chunks_corrupt,
	    (unsigned long long)st.datagrams, (unsigned long long)st.useless, st.evicted, st.unicast, hex);
	if (rc < 0) {
		fprintf(stderr, "imgrecv: %s\n", err);
		return 1;
	}
	return 0;
bad:
	fprintf(stderr, "imgrecv: -%c: bad value '%s'\n", ch, optarg);
	return 2;
}
