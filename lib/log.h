/* Logging for every springos program: stderr in the foreground, syslog
 * for daemons.  Human text is produced here, at the edge; library code
 * returns errors and lets its caller decide what to say. */
#ifndef SPRINGOS_LOG_H
#define SPRINGOS_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* ident: program name; to_stderr: foreground mode; verbosity: 0 = info,
 * 1 = debug. */
void log_init(const char *ident, int to_stderr, int verbosity);

/* Send every line, debug included, formatted but without the program
 * name, to sink instead of stderr or syslog: tests that assert what an
 * operator would read, fuzzers that must stay quiet.  NULL restores. */
typedef void (*log_sink_fn)(void *ctx, int prio, const char *line);
void log_set_sink(log_sink_fn sink, void *ctx);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log at LOG_CRIT and exit(1): start-up and configuration errors only. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A rate limiter for log lines caused by the network (bad packets,
 * unknown clients): at most `burst` lines per `interval` seconds; the
 * lines it suppressed are counted and reported with the next one let
 * through. */
struct log_ratelimit {
	unsigned interval;
	unsigned burst;
	long window_start;
	unsigned in_window;
	unsigned long suppressed;
};
#define LOG_RATELIMIT_INIT(interval, burst) { (interval), (burst), 0, 0, 0 }
void log_limited(struct log_ratelimit *rl, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
