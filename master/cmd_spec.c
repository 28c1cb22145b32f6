/* cmd_spec: `springos check|fmt|plan SPEC`: read a spec file, report its
 * errors with the source line and a caret, and print its canonical form
 * or its plan against the testbed's inventory (the database named by
 * springos.ini, or an inventory file given with --inventory). */
#include "cmd_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "erm.h"
#include "inventory.h"
#include "spec.h"

struct spec_opts {
	const char *file;
	const char *inventory;
	const char *node;
	const char *experiment;
	int check_only;
};

static int
usage_err(const char *cmd, const char *msg)
{
	fprintf(stderr, "springos %s: %s\n", cmd, msg);
	if (strcmp(cmd, "fmt") == 0)
		fprintf(stderr, "usage: springos fmt SPEC [--check]\n");
	else
		fprintf(stderr, "usage: springos %s SPEC%s [--inventory FILE] [--experiment NAME]\n",
		    cmd, strcmp(cmd, "plan") == 0 ? " [--node NAME]" : "");
	return 2;
}

static int
parse_opts(const char *cmd, int argc, char **argv, struct spec_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (strcmp(a, "--inventory") == 0 && strcmp(cmd, "fmt") != 0)
			val = &o->inventory;
		else if (strcmp(a, "--experiment") == 0 && strcmp(cmd, "fmt") != 0)
			val = &o->experiment;
		else if (strcmp(a, "--node") == 0 && strcmp(cmd, "plan") == 0)
			val = &o->node;
		else if (strcmp(a, "--check") == 0 && strcmp(cmd, "fmt") == 0) {
			o->check_only = 1;
			continue;
		} else if (a[0] == '-' && a[1] != '\0') {
			char m[160];

			snprintf(m, sizeof(m), "unknown option '%s'", a);
			return usage_err(cmd, m);
		} else if (o->file == NULL) {
			o->file = a;
			continue;
		} else {
			return usage_err(cmd, "only one SPEC file");
		}
		if (i + 1 >= argc) {
			char m[160];

			snprintf(m, sizeof(m), "option '%s' needs a value", a);
			return usage_err(cmd, m);
		}
		*val = argv[++i];
	}
	if (o->file == NULL)
		return usage_err(cmd, "which SPEC file?");
	return 0;
}

/* Read a whole file ("-" = stdin), at most SPEC_MAX_SIZE bytes. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL, *nb;

	if (f == NULL) {
		fprintf(stderr, "springos: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (n == cap || buf == NULL) {
			if (buf != NULL)
				cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "springos: %s: out of memory\n", path);
				goto fail;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n > SPEC_MAX_SIZE) {
			fprintf(stderr, "springos: %s: larger than %u MiB\n", path,
			    SPEC_MAX_SIZE >> 20);
			goto fail;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "springos: %s: read error\n", path);
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
fail:
	if (f != stdin)
		fclose(f);
	free(buf);
	return NULL;
}

struct loaded {
	char *buf;
	size_t len;
	struct spec *spec;
	struct spec_diags diags;
};

static void
loaded_free(struct loaded *l)
{
	free(l->buf);
	spec_free(l->spec);
	spec_diags_free(&l->diags);
}

/* Parse and check; print the diagnostics.  Returns 0 (no error), 1
 * (errors, printed) or -1 (could not read). */
static int
load_spec(const char *file, struct loaded *l, int check)
{
	memset(l, 0, sizeof(*l));
	spec_diags_init(&l->diags);
	if ((l->buf = read_file(file, &l->len)) == NULL)
		return -1;
	if (spec_parse(l->buf, l->len, &l->spec, &l->diags) < 0) {
		fprintf(stderr, "springos: %s: out of memory\n", file);
		return -1;
	}
	if (check)
		spec_check(l->spec, &l->diags);
	spec_diags_sort(&l->diags);
	spec_diags_print(stderr, file, l->buf, l->len, &l->diags);
	if (l->diags.nerrors > 0) {
		fprintf(stderr, "%s: %zu error%s\n", file, l->diags.nerrors,
		    l->diags.nerrors == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

struct inv {
	struct erm_node *nodes;
	size_t n, cap;
	struct inventory *file;
};

static int
collect(const struct erm_node *node, void *ctx)
{
	struct inv *inv = ctx;

	if (inv->n == inv->cap) {
		size_t ncap = inv->cap ? inv->cap * 2 : 64;
		struct erm_node *nv = realloc(inv->nodes, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		inv->nodes = nv;
		inv->cap = ncap;
	}
	inv->nodes[inv->n++] = *node;
	return 0;
}

/* The inventory: --inventory FILE, else the database of springos.ini.
 * Returns 0, 1 (none available; only if !required) or -1 (error,
 * printed). */
static int
load_inventory(const char *conf_path, const struct spec_opts *o, struct inv *inv,
    int required)
{
	char err[512];
	struct conf *conf = NULL;
	struct erm *db = NULL;
	int rc;

	memset(inv, 0, sizeof(*inv));
	if (o->inventory != NULL) {
		if (inventory_load(o->inventory, &inv->file, err, sizeof(err)) != 0) {
			fprintf(stderr, "springos: %s\n", err);
			return -1;
		}
		for (size_t i = 0; i < inventory_count(inv->file); i++)
			if (collect(inventory_node(inv->file, i), inv) != 0) {
				fprintf(stderr, "springos: out of memory\n");
				return -1;
			}
		return 0;
	}
	if (conf_path == NULL || access(conf_path, F_OK) != 0) {
		if (!required)
			return 1;
		fprintf(stderr, "springos: no inventory: give --inventory FILE, or -c "
		    "springos.ini naming a testbed database (%s: %s)\n",
		    conf_path ? conf_path : "no configuration",
		    conf_path ? strerror(errno) : "none given");
		return -1;
	}
	if (conf_load(conf_path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "springos: %s\n", err);
		return -1;
	}
	if (erm_open(conf_str(conf, "testbed", "db"), 0, &db, err, sizeof(err)) != ERM_OK) {
		fprintf(stderr, "springos: %s\n", err);
		conf_free(conf);
		return -1;
	}
	rc = erm_node_list(db, collect, inv);
	if (rc != ERM_OK)
		fprintf(stderr, "springos: %s\n", erm_errmsg(db));
	erm_close(db);
	conf_free(conf);
	return rc == ERM_OK ? 0 : -1;
}

static void
inv_free(struct inv *inv)
{
	free(inv->nodes);
	inventory_free(inv->file);
}

/* The experiment's default name: the spec file's base name without its
 * extension. */
static const char *
experiment_name(const struct spec_opts *o, char *buf, size_t len)
{
	const char *b;
	char *dot;

	if (o->experiment != NULL)
		return o->experiment;
	b = strrchr(o->file, '/');
	b = b ? b + 1 : o->file;
	snprintf(buf, len, "%s", strcmp(b, "-") == 0 ? "stdin" : b);
	if ((dot = strrchr(buf, '.')) != NULL && dot != buf)
		*dot = '\0';
	return buf;
}

int
cmd_spec_check(const char *conf_path, int argc, char **argv)
{
	struct spec_opts o;
	struct loaded l;
	struct spec_demand d;
	struct spec_plan plan;
	struct inv inv;
	char why[512], name[128];
	int rc;

	if ((rc = parse_opts("check", argc, argv, &o)) != 0)
		return rc;
	rc = load_spec(o.file, &l, 1);
	if (rc != 0) {
		loaded_free(&l);
		return 1;
	}
	if (spec_demand(l.spec, &d) != 0) {
		fprintf(stderr, "springos: out of memory\n");
		loaded_free(&l);
		return 1;
	}
	printf("%s: ok\n", o.file);
	printf("demand:\n");
	spec_demand_print(stdout, &d);
	spec_demand_free(&d);
	rc = load_inventory(conf_path, &o, &inv, 0);
	if (rc == 0) {
		if (spec_plan(l.spec, inv.nodes, inv.n, experiment_name(&o, name, sizeof(name)),
		    &plan, why, sizeof(why)) != 0) {
			fprintf(stderr, "%s: error: the testbed cannot run this experiment: %s\n",
			    o.file, why);
			rc = 1;
		} else {
			spec_plan_print_summary(stdout, &plan, 0);
			spec_plan_free(&plan);
		}
		inv_free(&inv);
	} else if (rc == 1) {
		printf("(no testbed database: demand only; springos plan places it)\n");
		rc = 0;
	} else {
		rc = 1;
	}
	loaded_free(&l);
	return rc;
}

int
cmd_spec_fmt(const char *conf_path, int argc, char **argv)
{
	struct spec_opts o;
	struct loaded l;
	char *text;
	int rc;

	(void)conf_path;
	if ((rc = parse_opts("fmt", argc, argv, &o)) != 0)
		return rc;
	/* Formatting needs a tree without syntax errors; semantic errors
	 * (an unknown class, say) do not stop it. */
	if (load_spec(o.file, &l, 0) != 0) {
		loaded_free(&l);
		return 1;
	}
	if ((text = spec_fmt(l.spec)) == NULL) {
		fprintf(stderr, "springos: out of memory\n");
		loaded_free(&l);
		return 1;
	}
	rc = 0;
	if (o.check_only) {
		if (strlen(text) != l.len || memcmp(text, l.buf, l.len) != 0) {
			fprintf(stderr, "%s: not in canonical form (springos fmt %s shows it)\n",
			    o.file, o.file);
			rc = 1;
		}
	} else {
		fputs(text, stdout);
	}
	free(text);
	loaded_free(&l);
	return rc;
}

int
cmd_spec_plan(const char *conf_path, int argc, char **argv)
{
	struct spec_opts o;
	struct loaded l;
	struct spec_plan plan;
	struct inv inv;
	char why[512], name[128];
	int rc;

	if ((rc = parse_opts("plan", argc, argv, &o)) != 0)
		return rc;
	if (load_spec(o.file, &l, 1) != 0) {
		loaded_free(&l);
		return 1;
	}
	if (load_inventory(conf_path, &o, &inv, 1) != 0) {
		loaded_free(&l);
		return 1;
	}
	if (spec_plan(l.spec, inv.nodes, inv.n, experiment_name(&o, name, sizeof(name)), &plan,
	    why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: error: the testbed cannot run this experiment: %s\n", o.file,
		    why);
		rc = 1;
	} else {
		if (o.node == NULL) {
			spec_plan_print_summary(stdout, &plan, 1);
			fputc('\n', stdout);
		}
		if (spec_plan_print_scenarios(stdout, l.spec, &plan, o.node) != 0) {
			fprintf(stderr, "springos plan: node %s is not in the plan of %s\n", o.node,
			    o.file);
			rc = 1;
		}
		spec_plan_free(&plan);
	}
	inv_free(&inv);
	loaded_free(&l);
	return rc;
}
