#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *log_ident = "springos";
static int log_to_stderr = 1;
static int log_verbosity;
static log_sink_fn log_sink;
static void *log_sink_ctx;

void
log_set_sink(log_sink_fn sink, void *ctx)
{
	log_sink = sink;
	log_sink_ctx = ctx;
}

void
log_init(const char *ident, int to_stderr, int verbosity)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	log_verbosity = verbosity;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	if (log_sink != NULL) {
		char line[1024];

		vsnprintf(line, sizeof(line), fmt, ap);
		log_sink(log_sink_ctx, prio, line);
		return;
	}
	if (prio == LOG_DEBUG && log_verbosity < 1)
		return;
	if (!log_to_stderr) {
		vsyslog(prio, fmt, ap);
		return;
	}
	fprintf(stderr, "%s: ", log_ident);
	if (prio <= LOG_ERR)
		fputs("error: ", stderr);
	else if (prio == LOG_WARNING)
		fputs("warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_limited(struct log_ratelimit *rl, int prio, const char *fmt, ...)
{
	struct timespec now;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - rl->window_start >= (long)rl->interval) {
		rl->window_start = now.tv_sec;
		rl->in_window = 0;
	}
	if (rl->in_window >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->in_window++;
	if (rl->suppressed > 0) {
		log_msg(prio, "(%lu similar messages suppressed)", rl->suppressed);
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}
