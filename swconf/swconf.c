/* swconf: experiment topologies as switch VLANs, over SNMP.
 *
 *   swconf [-c springos.ini] [-v] [--stats] [--naive] COMMAND ...
 *     show SWITCH                  VLANs, names, member ports, owners
 *     vlan create SWITCH ID [NAME] / vlan delete SWITCH ID
 *     port set SWITCH PORT VLAN    make PORT an access port of VLAN
 *     apply PLAN.json              an experiment's networks, all at once
 *     release SWITCH EXPERIMENT    give back its VLANs and ports
 *     list [SWITCH]                VLANs and ports held by experiments
 *
 * Every change is a transaction (swdev.h); VLAN and port ownership lives in
 * the testbed database (erm_vlan.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "erm.h"
#include "erm_vlan.h"
#include "log.h"
#include "swcfg.h"
#include "swdev.h"
#include "swplan.h"
#include "util.h"

#define ERRLEN 1024

static const char *conf_file = "/etc/springos/springos.ini";
static int opt_stats, opt_naive, opt_verbose;
static struct timespec t_start;

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
	    "usage: swconf [-c springos.ini] [-v] [--stats] [--naive] COMMAND\n"
	    "  show SWITCH                    VLANs, names, member ports and owners\n"
	    "  vlan create SWITCH ID [NAME]   create a VLAN (id within the switch's range)\n"
	    "  vlan delete SWITCH ID          delete a VLAN; its ports go to VLAN 1\n"
	    "  port set SWITCH PORT VLAN      make PORT an access port of VLAN\n"
	    "  apply PLAN.json                configure an experiment's networks ('-' = stdin)\n"
	    "  release SWITCH EXPERIMENT      free an experiment's VLANs and ports\n"
	    "  list [SWITCH]                  VLANs and ports held by experiments\n"
	    "options:\n"
	    "  -c FILE    configuration (default /etc/springos/springos.ini)\n"
	    "  -v         log every retry and rollback step\n"
	    "  --stats    print PDUs sent and elapsed time on stderr\n"
	    "  --naive    one SET request per port (benchmark baseline)\n");
	exit(rc);
}

struct ctx {
	struct swcfg cfg;
	struct sw_dev dev;
	struct erm *erm;
	sqlite3 *db;
};

static int
db_open(const char *path, struct erm **erm, sqlite3 **db, char *err, size_t errlen)
{
	if (erm_open(path, 0, erm, err, errlen) != ERM_OK)
		return -1;
	if (erm_vlan_attach(*erm, db, err, errlen) < 0) {
		erm_close(*erm);
		*erm = NULL;
		return -1;
	}
	return 0;
}

static int
open_switch(struct ctx *c, const char *name, int want_db, char *err, size_t errlen)
{
	struct snmpio_opts o;

	memset(c, 0, sizeof(*c));
	if (swcfg_load(conf_file, name, &c->cfg, err, errlen) < 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.name = c->cfg.name;
	o.peer = c->cfg.address;
	o.version = c->cfg.version;
	o.community = c->cfg.community;
	o.user = c->cfg.user;
	o.auth_proto = c->cfg.auth_proto;
	o.auth_pass = c->cfg.auth_pass;
	o.priv_proto = c->cfg.priv_proto;
	o.priv_pass = c->cfg.priv_pass;
	o.timeout_ms = c->cfg.timeout_ms;
	o.retries = c->cfg.retries;
	if (want_db && db_open(c->cfg.db, &c->erm, &c->db, err, errlen) < 0)
		return -1;
	if (snmpio_open(&o, &c->dev.io, err, errlen) < 0)
		return -1;
	c->dev.drv = sw_driver_find(c->cfg.driver);
	str_copy(c->dev.name, c->cfg.name, sizeof(c->dev.name));
	c->dev.nports = c->cfg.ports;
	c->dev.max_varbinds = c->cfg.max_varbinds;
	str_copy(c->dev.owner, c->cfg.owner, sizeof(c->dev.owner));
	c->dev.poll_ms = c->cfg.poll_ms;
	c->dev.naive = opt_naive;
	return 0;
}

static void
close_switch(struct ctx *c)
{
	if (opt_stats && c->dev.io) {
		const struct snmpio_stats *s = snmpio_stats(c->dev.io);
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		fprintf(stderr, "swconf: stats: pdus=%lu sets=%lu retries=%lu seconds=%.3f "
		    "snmp_seconds=%.4f set_seconds=%.4f\n", s->pdus, s->sets, s->retries,
		    (double)(now.tv_sec - t_start.tv_sec) +
		    (double)(now.tv_nsec - t_start.tv_nsec) / 1e9, s->seconds, s->set_seconds);
	}
	snmpio_close(c->dev.io);
	erm_close(c->erm);
}

struct owner_map {
	char vlan_owner[SW_VLAN_MAX + 1][48];
};

static int
owner_cb(const struct erm_vlan_row *row, void *ctx)
{
	struct owner_map *m = ctx;

	if (row->vlan >= 1 && row->vlan <= SW_VLAN_MAX)
		snprintf(m->vlan_owner[row->vlan], sizeof(m->vlan_owner[0]), "%.23s/%.23s",
		    row->experiment, row->network);
	return 0;
}

static int
cmd_show(const char *name)
{
	struct ctx c;
	struct sw_state *st = NULL;
	struct owner_map *m = NULL;
	char err[ERRLEN];
	int rc = 1;

	if (open_switch(&c, name, 0, err, sizeof(err)) < 0 ||
	    sw_dev_read(&c.dev, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "swconf: %s\n", err);
		goto out;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto out;
	/* Owners are shown when the database is there; show works without. */
	if (db_open(c.cfg.db, &c.erm, &c.db, err, sizeof(err)) == 0)
		(void)erm_vlan_list(c.db, name, "", owner_cb, m, err, sizeof(err));
	printf("switch %s (%s, %s), %d ports\n", name, c.cfg.driver, c.cfg.address, st->nports);
	printf("%-5s %-20s %-24s %-16s %s\n", "VLAN", "NAME", "ACCESS PORTS", "TAGGED", "OWNER");
	for (int v = SW_VLAN_MIN; v <= SW_VLAN_MAX; v++) {
		const struct sw_vlan *vl = &st->vlan[v];
		uint8_t access[SW_PORTLIST_LEN], tagged[SW_PORTLIST_LEN];
		char a[512], t[512];

		if (!vl->present)
			continue;
		memset(access, 0, sizeof(access));
		for (int p = 1; p <= st->nports; p++)
			sw_port_set(access, p, st->pvid[p] == v && sw_port_get(vl->untagged, p));
		for (size_t i = 0; i < SW_PORTLIST_LEN; i++)
			tagged[i] = vl->egress[i] & (uint8_t)~vl->untagged[i];
		sw_portlist_format(access, st->nports, a, sizeof(a));
		sw_portlist_format(tagged, st->nports, t, sizeof(t));
		printf("%-5d %-20s %-24s %-16s %s\n", v, vl->name[0] ? vl->name : "-",
		    a[0] ? a : "-", t[0] ? t : "-", m->vlan_owner[v][0] ? m->vlan_owner[v] : "-");
	}
	rc = 0;
out:
	free(m);
	sw_state_free(st);
	close_switch(&c);
	return rc;
}

/* Read, change with fn, transact. */
static int
change(struct ctx *c, int (*fn)(struct sw_state *, void *, char *, size_t), void *arg,
    char *err, size_t errlen)
{
	struct sw_state *before = NULL, *target = NULL;
	struct sw_txn_result res;
	int rc = -1;

	if (sw_dev_read(&c->dev, &before, err, errlen) < 0)
		return -1;
	if ((target = sw_state_new(c->dev.nports)) == NULL)
		goto out;
	sw_state_copy(target, before);
	if (fn(target, arg, err, errlen) < 0)
		goto out;
	if (sw_transact(&c->dev, before, target, &res, err, errlen) < 0)
		goto out;
	if (opt_verbose)
		log_info("switch %s: %d changes applied and read back", c->dev.name, res.changes);
	rc = 0;
out:
	sw_state_free(before);
	sw_state_free(target);
	return rc;
}

struct vlan_arg {
	int vlan;
	const char *name;
	int port;
	const struct sw_plan *plan;
	const struct erm_vlan_row *rows;
	int nrows;
};

static int
fn_vlan_create(struct sw_state *t, void *arg, char *err, size_t errlen)
{
	struct vlan_arg *a = arg;

	(void)err;
	(void)errlen;
	t->vlan[a->vlan].present = 1;
	if (a->name)
		str_copy(t->vlan[a->vlan].name, a->name, sizeof(t->vlan[0].name));
	return 0;
}

static int
fn_vlan_delete(struct sw_state *t, void *arg, char *err, size_t errlen)
{
	struct vlan_arg *a = arg;

	if (!t->vlan[a->vlan].present) {
		snprintf(err, errlen, "VLAN %d does not exist", a->vlan);
		return -1;
	}
	sw_remove_vlan(t, a->vlan);
	return 0;
}

static int
fn_port_set(struct sw_state *t, void *arg, char *err, size_t errlen)
{
	struct vlan_arg *a = arg;

	if (!t->vlan[a->vlan].present) {
		snprintf(err, errlen, "VLAN %d does not exist (vlan create it first)", a->vlan);
		return -1;
	}
	sw_make_access(t, a->port, a->vlan);
	return 0;
}

static int
parse_num(const char *s, long min, long max, const char *what, long *out)
{
	if (parse_long(s, min, max, out) < 0) {
		fprintf(stderr, "swconf: %s: expected an integer %ld-%ld, got '%s'\n", what, min, max,
		    s);
		return -1;
	}
	return 0;
}

/* vlan create/delete and port set: operator commands, which must not
 * take a VLAN or port an experiment holds. */
static int
cmd_simple(const char *what, const char *name, struct vlan_arg *a)
{
	struct ctx c;
	char err[ERRLEN], owner[64];
	int rc = 1, (*fn)(struct sw_state *, void *, char *, size_t);

	if (open_switch(&c, name, 1, err, sizeof(err)) < 0)
		goto fail;
	if (a->port > c.cfg.ports) {
		snprintf(err, sizeof(err), "switch %s has ports 1-%d, not %d", name, c.cfg.ports,
		    a->port);
		goto fail;
	}
	if (strcmp(what, "port") != 0 && (a->vlan < c.cfg.vlan_min || a->vlan > c.cfg.vlan_max)) {
		snprintf(err, sizeof(err), "switch %s: VLAN %d is outside the configured range %d-%d",
		    name, a->vlan, c.cfg.vlan_min, c.cfg.vlan_max);
		goto fail;
	}
	if (erm_vlan_begin(c.db, err, sizeof(err)) < 0)
		goto fail;
	if (erm_vlan_owner(c.db, name, a->vlan, owner, sizeof(owner)) == 1) {
		snprintf(err, sizeof(err), "switch %s: VLAN %d is held by experiment %s", name,
		    a->vlan, owner);
		goto fail_db;
	}
	if (a->port && erm_vlan_port_owner(c.db, name, a->port, owner, sizeof(owner)) == 1) {
		snprintf(err, sizeof(err), "switch %s: port %d is held by experiment %s", name,
		    a->port, owner);
		goto fail_db;
	}
	fn = strcmp(what, "create") == 0 ? fn_vlan_create : strcmp(what, "delete") == 0 ?
	    fn_vlan_delete : fn_port_set;
	if (change(&c, fn, a, err, sizeof(err)) < 0)
		goto fail_db;
	erm_vlan_rollback(c.db);
	rc = 0;
	goto out;
fail_db:
	erm_vlan_rollback(c.db);
fail:
	fprintf(stderr, "swconf: %s\n", err);
out:
	close_switch(&c);
	return rc;
}

static int
fn_apply(struct sw_state *t, void *arg, char *err, size_t errlen)
{
	const struct sw_plan *p = ((struct vlan_arg *)arg)->plan;

	(void)err;
	(void)errlen;
	for (int i = 0; i < p->nnets; i++) {
		const struct plan_net *n = &p->nets[i];

		t->vlan[n->vlan].present = 1;
		str_copy(t->vlan[n->vlan].name, n->name, sizeof(t->vlan[0].name));
		for (int k = 0; k < n->nports; k++)
			sw_make_access(t, n->ports[k], n->vlan);
	}
	return 0;
}

static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t cap = PLAN_MAX_SIZE + 1;

	*buf = NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((*buf = malloc(cap)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*len = fread(*buf, 1, cap, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (*len >= cap) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, PLAN_MAX_SIZE);
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	return 0;
fail:
	free(*buf);
	*buf = NULL;
	if (f != stdin)
		fclose(f);
	return -1;
}

static int
cmd_apply(const char *path)
{
	struct ctx c;
	struct sw_plan *plan = NULL;
	struct erm_vlan_net nets[PLAN_MAX_NETS];
	struct vlan_arg a;
	char err[ERRLEN], *buf = NULL;
	size_t len;
	int rc = 1;

	memset(&c, 0, sizeof(c));
	if (read_file(path, &buf, &len, err, sizeof(err)) < 0)
		goto fail;
	{
		char perr[512];

		if (plan_parse(buf, len, &plan, perr, sizeof(perr)) < 0) {
			snprintf(err, sizeof(err), "%.300s: %s", path, perr);
			goto fail;
		}
	}
	if (open_switch(&c, plan->sw, 1, err, sizeof(err)) < 0)
		goto fail;
	for (int i = 0; i < plan->nnets; i++) {
		struct plan_net *n = &plan->nets[i];

		if (n->vlan != 0 && (n->vlan < c.cfg.vlan_min || n->vlan > c.cfg.vlan_max)) {
			snprintf(err, sizeof(err), "%s: network '%s': VLAN %d is outside switch %s's "
			    "range %d-%d", path, n->name, n->vlan, plan->sw, c.cfg.vlan_min,
			    c.cfg.vlan_max);
			goto fail;
		}
		for (int k = 0; k < n->nports; k++)
			if (n->ports[k] > c.cfg.ports) {
				snprintf(err, sizeof(err), "%s: network '%s': switch %s has ports 1-%d, "
				    "not %d", path, n->name, plan->sw, c.cfg.ports, n->ports[k]);
				goto fail;
			}
		memset(&nets[i], 0, sizeof(nets[i]));
		str_copy(nets[i].network, n->name, sizeof(nets[i].network));
		nets[i].vlan = n->vlan;
		nets[i].nports = n->nports;
		nets[i].ports = n->ports;
	}
	if (erm_vlan_begin(c.db, err, sizeof(err)) < 0)
		goto fail;
	if (erm_vlan_reserve(c.db, plan->sw, plan->experiment, c.cfg.vlan_min, c.cfg.vlan_max,
	    nets, plan->nnets, err, sizeof(err)) < 0)
		goto fail_db;
	for (int i = 0; i < plan->nnets; i++)
		plan->nets[i].vlan = nets[i].vlan;
	memset(&a, 0, sizeof(a));
	a.plan = plan;
	if (change(&c, fn_apply, &a, err, sizeof(err)) < 0)
		goto fail_db;
	if (erm_vlan_commit(c.db, err, sizeof(err)) < 0)
		goto fail_db;
	for (int i = 0; i < plan->nnets; i++) {
		uint8_t l[SW_PORTLIST_LEN];
		char ps[512];

		memset(l, 0, sizeof(l));
		for (int k = 0; k < plan->nets[i].nports; k++)
			sw_port_set(l, plan->nets[i].ports[k], 1);
		sw_portlist_format(l, SW_MAX_PORTS, ps, sizeof(ps));
		printf("%s %s %s vlan=%d ports=%s\n", plan->experiment, plan->sw,
		    plan->nets[i].name, plan->nets[i].vlan, ps[0] ? ps : "-");
	}
	rc = 0;
	goto out;
fail_db:
	erm_vlan_rollback(c.db);
fail:
	fprintf(stderr, "swconf: %s\n", err);
out:
	close_switch(&c);
	plan_free(plan);
	free(buf);
	return rc;
}

struct rows {
	struct erm_vlan_row *row;
	int n, cap;
};

static int
collect_cb(const struct erm_vlan_row *row, void *ctx)
{
	struct rows *r = ctx;

	if (r->n >= r->cap)
		return 1;
	r->row[r->n++] = *row;
	return 0;
}

static int
fn_release(struct sw_state *t, void *arg, char *err, size_t errlen)
{
	struct vlan_arg *a = arg;

	(void)err;
	(void)errlen;
	for (int i = 0; i < a->nrows; i++) {
		for (int k = 0; k < a->rows[i].nports; k++)
			if (t->vlan[SW_DEFAULT_VLAN].present)
				sw_make_access(t, a->rows[i].ports[k], SW_DEFAULT_VLAN);
		sw_remove_vlan(t, a->rows[i].vlan);
	}
	return 0;
}

static int
cmd_release(const char *name, const char *experiment)
{
	struct ctx c;
	struct rows r = { NULL, 0, 0 };
	struct vlan_arg a;
	char err[ERRLEN];
	int rc = 1;

	if (open_switch(&c, name, 1, err, sizeof(err)) < 0)
		goto fail;
	r.cap = SW_VLAN_MAX;
	if ((r.row = calloc((size_t)r.cap, sizeof(*r.row))) == NULL)
		goto fail;
	if (erm_vlan_begin(c.db, err, sizeof(err)) < 0)
		goto fail;
	if (erm_vlan_list(c.db, name, experiment, collect_cb, &r, err, sizeof(err)) < 0)
		goto fail_db;
	memset(&a, 0, sizeof(a));
	a.rows = r.row;
	a.nrows = r.n;
	if (r.n > 0 && change(&c, fn_release, &a, err, sizeof(err)) < 0)
		goto fail_db;
	if (erm_vlan_release(c.db, name, experiment, err, sizeof(err)) < 0 ||
	    erm_vlan_commit(c.db, err, sizeof(err)) < 0)
		goto fail_db;
	printf("released %d VLANs of experiment %s on switch %s\n", r.n, experiment, name);
	rc = 0;
	goto out;
fail_db:
	erm_vlan_rollback(c.db);
fail:
	fprintf(stderr, "swconf: %s\n", err);
out:
	free(r.row);
	close_switch(&c);
	return rc;
}

static int
list_cb(const struct erm_vlan_row *row, void *ctx)
{
	uint8_t l[SW_PORTLIST_LEN];
	char ps[512];

	(void)ctx;
	memset(l, 0, sizeof(l));
	for (int k = 0; k < row->nports; k++)
		sw_port_set(l, row->ports[k], 1);
	sw_portlist_format(l, SW_MAX_PORTS, ps, sizeof(ps));
	printf("%s %d %s %s ports=%s\n", row->sw, row->vlan, row->experiment, row->network,
	    ps[0] ? ps : "-");
	return 0;
}

static int
cmd_list(const char *name)
{
	struct swcfg cfg;
	struct erm *erm = NULL;
	sqlite3 *db = NULL;
	char err[ERRLEN];

	if (swcfg_load(conf_file, name, &cfg, err, sizeof(err)) < 0 ||
	    db_open(cfg.db, &erm, &db, err, sizeof(err)) < 0 ||
	    erm_vlan_list(db, name, "", list_cb, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "swconf: %s\n", err);
		erm_close(erm);
		return 1;
	}
	erm_close(erm);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "stats", no_argument, NULL, 'S' },
		{ "naive", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct vlan_arg a;
	long v, p;
	int ch;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	while ((ch = getopt_long(argc, argv, "+c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_file = optarg; break;
		case 'v': opt_verbose = 1; break;
		case 'S': opt_stats = 1; break;
		case 'N': opt_naive = 1; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	log_init("swconf", 1, opt_verbose);
	if (argc < 1)
		usage(2);
	memset(&a, 0, sizeof(a));
	if (strcmp(argv[0], "show") == 0 && argc == 2)
		return cmd_show(argv[1]);
	if (strcmp(argv[0], "apply") == 0 && argc == 2)
		return cmd_apply(argv[1]);
	if (strcmp(argv[0], "release") == 0 && argc == 3)
		return cmd_release(argv[1], argv[2]);
	if (strcmp(argv[0], "list") == 0 && argc == 2)
		return cmd_list(argv[1]);
	if (strcmp(argv[0], "vlan") == 0 && argc >= 4 && strcmp(argv[1], "create") == 0 &&
	    argc <= 5) {
		if (parse_num(argv[3], SW_VLAN_MIN, SW_VLAN_MAX, "VLAN", &v) < 0)
			return 2;
		if (argc == 5 && strlen(argv[4]) > SW_NAME_MAX) {
			fprintf(stderr, "swconf: VLAN name longer than %d bytes\n", SW_NAME_MAX);
			return 2;
		}
		a.vlan = (int)v;
		a.name = argc == 5 ? argv[4] : NULL;
		return cmd_simple("create", argv[2], &a);
	}
	if (strcmp(argv[0], "vlan") == 0 && argc == 4 && strcmp(argv[1], "delete") == 0) {
		if (parse_num(argv[3], SW_VLAN_MIN, SW_VLAN_MAX, "VLAN", &v) < 0)
			return 2;
		a.vlan = (int)v;
		return cmd_simple("delete", argv[2], &a);
	}
	if (strcmp(argv[0], "port") == 0 && argc == 5 && strcmp(argv[1], "set") == 0) {
		if (parse_num(argv[3], 1, SW_MAX_PORTS, "port", &p) < 0 ||
		    parse_num(argv[4], SW_VLAN_MIN, SW_VLAN_MAX, "VLAN", &v) < 0)
			return 2;
		a.vlan = (int)v;
		a.port = (int)p;
		return cmd_simple("port", argv[2], &a);
	}
	usage(2);
}
