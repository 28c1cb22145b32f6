#include "power.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "erm.h"
#include "util.h"

#define QMP_TIMEOUT_MS 5000
#define QMP_LINE_MAX (64 * 1024)

struct qmp {
	int fd;
	char buf[QMP_LINE_MAX];
	size_t len;
};

/* Next JSON line from QEMU, skipping asynchronous events; NULL on error. */
static json_t *
qmp_read(struct qmp *q, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);

		if (nl != NULL) {
			size_t n = (size_t)(nl - q->buf) + 1;
			json_t *j = json_loadb(q->buf, n - 1, 0, NULL);

			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (j == NULL) {
				snprintf(err, errlen, "QMP: unreadable reply");
				return NULL;
			}
			if (json_object_get(j, "event") != NULL) {
				json_decref(j);
				continue;
			}
			return j;
		}
		if (q->len == sizeof(q->buf)) {
			snprintf(err, errlen, "QMP: reply line too long");
			return NULL;
		}
		{
			struct pollfd pfd = { q->fd, POLLIN, 0 };
			ssize_t r;

			if (poll(&pfd, 1, QMP_TIMEOUT_MS) <= 0) {
				snprintf(err, errlen, "QMP: no reply within %d ms", QMP_TIMEOUT_MS);
				return NULL;
			}
			r = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
			if (r <= 0) {
				snprintf(err, errlen, "QMP: connection closed");
				return NULL;
			}
			q->len += (size_t)r;
		}
	}
}

static json_t *
qmp_exec(struct qmp *q, const char *cmd, char *err, size_t errlen)
{
	char line[256];
	json_t *j, *e;
	int n = snprintf(line, sizeof(line), "{\"execute\":\"%s\"}\n", cmd);

	if (n < 0 || (size_t)n >= sizeof(line) || write(q->fd, line, (size_t)n) != n) {
		snprintf(err, errlen, "QMP: cannot send %s", cmd);
		return NULL;
	}
	if ((j = qmp_read(q, err, errlen)) == NULL)
		return NULL;
	if ((e = json_object_get(j, "error")) != NULL) {
		snprintf(err, errlen, "QMP %s: %s", cmd,
		    json_string_value(json_object_get(e, "desc")) ?
		    json_string_value(json_object_get(e, "desc")) : "error");
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
qmp_open(struct qmp *q, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	json_t *j;

	memset(q, 0, sizeof(*q));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, path, sizeof(sun.sun_path)) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "QMP socket path too long: %s", path);
		return -1;
	}
	if ((q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "QMP %s: %s (is the VM running?)", path, strerror(errno));
		if (q->fd >= 0)
			close(q->fd);
		return -1;
	}
	/* The greeting, then capabilities negotiation (QMP spec, "Capabilities
	 * Negotiation"): commands are refused before it. */
	if ((j = qmp_read(q, err, errlen)) == NULL)
		goto fail;
	json_decref(j);
	if ((j = qmp_exec(q, "qmp_capabilities", err, errlen)) == NULL)
		goto fail;
	json_decref(j);
	return 0;
fail:
	close(q->fd);
	return -1;
}

int
qmp_command(const char *path, const char *command, char *err, size_t errlen)
{
	struct qmp *q = malloc(sizeof(*q));
	json_t *j;

	if (q == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (qmp_open(q, path, err, errlen) != 0) {
		free(q);
		return -1;
	}
	j = qmp_exec(q, command, err, errlen);
	close(q->fd);
	free(q);
	json_decref(j);
	return j != NULL ? 0 : -1;
}

int
qmp_status(const char *path, char *status, size_t statuslen, char *err, size_t errlen)
{
	struct qmp *q = malloc(sizeof(*q));
	json_t *j;
	const char *s;

	if (q == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (qmp_open(q, path, err, errlen) != 0) {
		free(q);
		return -1;
	}
	j = qmp_exec(q, "query-status", err, errlen);
	close(q->fd);
	free(q);
	if (j == NULL)
		return -1;
	s = json_string_value(json_object_get(json_object_get(j, "return"), "status"));
	str_copy(status, s ? s : "unknown", statuslen);
	json_decref(j);
	return 0;
}

static int
power_qemu(const struct erm_node *node, char *err, size_t errlen)
{
	char status[32];

	if (node->power_params[0] == '\0') {
		snprintf(err, errlen, "node %s: power qemu needs power_params = QMP socket path",
		    node->name);
		return -1;
	}
	if (qmp_status(node->power_params, status, sizeof(status), err, errlen) != 0)
		return -1;
	if (qmp_command(node->power_params, "system_reset", err, errlen) != 0)
		return -1;
	/* A VM that powered itself off (-no-shutdown) or was stopped needs
	 * "cont" to run again after the reset. */
	if (strcmp(status, "running") != 0 &&
	    qmp_command(node->power_params, "cont", err, errlen) != 0)
		return -1;
	return 0;
}

/* Run argv with a deadline; 0 if it exited 0.  what names it in errors. */
static int
run_bounded(char *const argv[], const char *what, int seconds, char *err, size_t errlen)
{
	pid_t pid;
	int st;
	time_t end = time(NULL) + seconds;

	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (time(NULL) > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(err, errlen, "%s: no answer within %d s", what, seconds);
			return -1;
		}
		usleep(50 * 1000);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "%s failed (exit %d)", what,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	return 0;
}

static int
power_ipmi(const struct conf *conf, const struct erm_node *node, char *err, size_t errlen)
{
	const char *user = "", *pwfile = "";
	char host[256];
	const char *names[16];
	size_t n = conf_instances(conf, "power", names, ARRAY_LEN(names));

	/* Credentials: the [power:NAME] whose driver is ipmi (the first). */
	for (size_t i = 0; i < n; i++) {
		char sec[128];

		snprintf(sec, sizeof(sec), "power:%s", names[i]);
		if (strcmp(conf_str(conf, sec, "driver"), "ipmi") == 0) {
			user = conf_str(conf, sec, "user");
			pwfile = conf_str(conf, sec, "password_file");
			break;
		}
	}
	if (str_copy(host, node->power_params, sizeof(host)) >= sizeof(host) ||
	    host[0] == '\0' || host[0] == '-') {
		snprintf(err, errlen, "node %s: power ipmi needs power_params = BMC address",
		    node->name);
		return -1;
	}
	{
		char *boot[16], *cycle[16];
		int k = 0;

		boot[k++] = "ipmitool";
		boot[k++] = "-I";
		boot[k++] = "lanplus";
		boot[k++] = "-H";
		boot[k++] = host;
		if (user[0] != '\0') {
			boot[k++] = "-U";
			boot[k++] = (char *)(uintptr_t)user;
		}
		if (pwfile[0] != '\0') {
			boot[k++] = "-f";
			boot[k++] = (char *)(uintptr_t)pwfile;
		}
		memcpy(cycle, boot, sizeof(boot));
		boot[k] = "chassis";
		boot[k + 1] = "bootdev";
		boot[k + 2] = "pxe";
		boot[k + 3] = NULL;
		cycle[k] = "chassis";
		cycle[k + 1] = "power";
		cycle[k + 2] = "cycle";
		cycle[k + 3] = NULL;
		if (run_bounded(boot, "ipmitool chassis bootdev pxe", 30, err, errlen) != 0)
			return -1;
		return run_bounded(cycle, "ipmitool chassis power cycle", 30, err, errlen);
	}
}

int
power_cycle(const struct conf *conf, const struct erm_node *node, char *err, size_t errlen)
{
	if (strcmp(node->power, "qemu") == 0)
		return power_qemu(node, err, errlen);
	if (strcmp(node->power, "ipmi") == 0)
		return power_ipmi(conf, node, err, errlen);
	if (strcmp(node->power, "manual") == 0 || node->power[0] == '\0') {
		fprintf(stderr, "springos: node %s has manual power: reset it now so that it "
		    "boots from the network (management MAC %s)\n", node->name, node->mac);
		return 0;
	}
	snprintf(err, errlen, "node %s: unknown power driver '%s'", node->name, node->power);
	return -1;
}
