/*
 * springos: the operator's and experimenter's command line.
 *
 *   springos [-c springos.ini] [--json] COMMAND ...
 *
 * The inventory part: db init, node import/add/list/show/boot, image
 * add/list.  Every command reads springos.ini (for the database path and
 * the switches) and talks to the testbed database only through lib/erm.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_reimage.h"
#include "cmd_spec.h"
#include "config.h"
#include "erm.h"
#include "inventory.h"
#include "sosimg.h"
#include "util.h"

#define DEFAULT_CONF "/etc/springos/springos.ini"

struct cli {
	const char *conf_path;
	int json;
	struct conf *conf;
	struct erm *db;
};

static void
usage(FILE *f)
{
	fputs("usage: springos [-c FILE] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "Testbed inventory:\n"
	    "  db init                      create or migrate the testbed database\n"
	    "  node import FILE             register the nodes of an inventory file (all or none)\n"
	    "  node add NAME KEY=VALUE...   register one node (keys as in an inventory)\n"
	    "  node list                    every node, its addresses, boot mode and state\n"
	    "  node show NAME               one node with its interfaces and cabling\n"
	    "  node boot NAME MODE          set the next boot: install, local or none\n"
	    "  node reimage NODE... --image NAME|--url URL [--partition N] [--mcast] ...\n"
	    "                               install an image on nodes: plan, power-cycle, live progress\n"
	    "  image add NAME FILE          register an image file (size, format, SHA-256)\n"
	    "  image list                   the registered images\n"
	    "\n"
	    "Experiments (see docs/language.md):\n"
	    "  check SPEC [--inventory FILE] [--experiment NAME]\n"
	    "                               every error of an experiment description, or what it needs\n"
	    "  fmt SPEC [--check]           print it canonically formatted (comments kept)\n"
	    "  plan SPEC [--node NAME] [--inventory FILE] [--experiment NAME]\n"
	    "                               hosts, VMs, addresses and each node's resolved scenario\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE   configuration (default $SPRINGOS_CONF or " DEFAULT_CONF ")\n"
	    "  -j, --json          machine-readable output\n"
	    "  -h, --help          this text\n"
	    "\n"
	    "See springos(1), docs/operator-guide.md and docs/inventory.md.\n", f);
}

static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("springos: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Loads the configuration and opens (creating and migrating) the database. */
static int
cli_open(struct cli *cli)
{
	char err[512];

	if (conf_load(cli->conf_path, &cli->conf, err, sizeof(err)) != 0)
		return fail("%s", err);
	if (erm_open(conf_str(cli->conf, "testbed", "db"), 0, &cli->db, err, sizeof(err)) != ERM_OK)
		return fail("%s", err);
	return 0;
}

static int
print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (s == NULL)
		return fail("out of memory");
	puts(s);
	free(s);
	return 0;
}

/* ---- db ------------------------------------------------------------- */

static int
cmd_db_init(struct cli *cli, int argc, char **argv)
{
	char err[512];
	int version;

	(void)argv;
	if (argc != 0)
		return fail("usage: springos db init");
	if (cli_open(cli) != 0)
		return 1;
	if (erm_begin(cli->db) != ERM_OK ||
	    inventory_register_switches(cli->db, cli->conf, err, sizeof(err)) != 0) {
		erm_rollback(cli->db);
		return fail("%s", err);
	}
	if (erm_commit(cli->db) != ERM_OK || erm_schema_version(cli->db, &version) != ERM_OK)
		return fail("%s", erm_errmsg(cli->db));
	if (cli->json)
		return print_json(json_pack("{s:s, s:i}", "db", conf_str(cli->conf, "testbed", "db"),
		    "schema_version", version));
	printf("database %s ready (schema version %d)\n", conf_str(cli->conf, "testbed", "db"),
	    version);
	return 0;
}

/* ---- nodes ---------------------------------------------------------- */

static json_t *
node_json(const struct erm_node *n)
{
	json_t *ifaces = json_array();
	json_t *j;

	for (int i = 0; i < n->n_ifaces; i++) {
		const struct erm_iface *f = &n->ifaces[i];
		json_t *fj = json_pack("{s:i, s:s, s:s}", "index", f->index, "mac", f->mac,
		    "media", f->media);

		if (f->port != 0) {
			json_object_set_new(fj, "switch", json_string(f->sw));
			json_object_set_new(fj, "port", json_integer(f->port));
		}
		json_array_append_new(ifaces, fj);
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "name", n->name, "kind", erm_node_kind_name(n->kind), "class", n->node_class,
	    "mac", n->mac, "ip", n->ip, "power", n->power, "power_params", n->power_params,
	    "boot", erm_boot_mode_name(n->boot), "state", n->state,
	    "experiment", n->experiment);
	if (n->kind == ERM_VM)
		json_object_set_new(j, "host", json_string(n->host));
	if (n->maxvnodes > 0) {
		json_object_set_new(j, "maxvnodes", json_integer(n->maxvnodes));
		json_object_set_new(j, "vntype", json_string(n->vntype));
	}
	json_object_set_new(j, "interfaces", ifaces);
	return j;
}

static int
cmd_node_import(struct cli *cli, int argc, char **argv)
{
	struct inventory *inv;
	char err[768];

	if (argc != 1)
		return fail("usage: springos node import FILE");
	if (inventory_load(argv[0], &inv, err, sizeof(err)) != 0)
		return fail("%s", err);
	if (cli_open(cli) != 0) {
		inventory_free(inv);
		return 1;
	}
	if (inventory_import(cli->db, cli->conf, inv, err, sizeof(err)) != 0) {
		inventory_free(inv);
		return fail("%s (nothing was imported)", err);
	}
	if (cli->json)
		print_json(json_pack("{s:s, s:i}", "imported", argv[0], "nodes",
		    (int)inventory_count(inv)));
	else
		printf("imported %zu nodes from %s\n", inventory_count(inv), argv[0]);
	inventory_free(inv);
	return 0;
}

/* node add NAME key=value ...: the same keys as an inventory section, so
 * the same parser checks them; "line N" in its errors is argument N. */
static int
cmd_node_add(struct cli *cli, int argc, char **argv)
{
	struct inventory *inv;
	char *text = NULL, err[768];
	size_t len = 0;
	FILE *f;
	int rc = 1;

	if (argc < 2)
		return fail("usage: springos node add NAME mac=MAC [ip=IP] [KEY=VALUE]...");
	f = open_memstream(&text, &len);
	if (f == NULL)
		return fail("out of memory");
	fprintf(f, "[node:%s]\n", argv[0]);
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (eq == NULL || strchr(argv[i], '\n') != NULL) {
			fclose(f);
			free(text);
			return fail("node add: argument '%s' is not KEY=VALUE", argv[i]);
		}
		fprintf(f, "%.*s = \"%s\"\n", (int)(eq - argv[i]), argv[i], eq + 1);
	}
	fclose(f);
	if (inventory_parse("node add (argument line)", text, len, &inv, err, sizeof(err)) != 0) {
		free(text);
		return fail("%s", err);
	}
	free(text);
	if (cli_open(cli) == 0) {
		if (inventory_import(cli->db, cli->conf, inv, err, sizeof(err)) != 0)
			fail("%s", err);
		else {
			rc = 0;
			if (!cli->json)
				printf("added node %s\n", argv[0]);
			else
				print_json(json_pack("{s:s}", "added", argv[0]));
		}
	}
	inventory_free(inv);
	return rc;
}

struct table {
	json_t *rows; /* array of arrays of strings */
	size_t ncols;
	size_t width[16];
};

static void
table_row(struct table *t, const char **cells)
{
	json_t *row = json_array();

	for (size_t i = 0; i < t->ncols; i++) {
		size_t w = strlen(cells[i]);

		if (w > t->width[i])
			t->width[i] = w;
		json_array_append_new(row, json_string(cells[i]));
	}
	json_array_append_new(t->rows, row);
}

static void
table_print(struct table *t)
{
	size_t r;
	json_t *row;

	json_array_foreach(t->rows, r, row) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = json_string_value(json_array_get(row, i));

			if (i + 1 == t->ncols)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int)t->width[i], s);
		}
	}
}

struct list_ctx {
	struct cli *cli;
	json_t *json;
	struct table table;
};

/* A list command's output: a JSON array (--json), else a table that starts
 * with its header row.  0, or 1 when the database cannot be opened. */
static int
list_begin(struct cli *cli, struct list_ctx *ctx, const char **header, size_t ncols)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cli = cli;
	ctx->table.ncols = ncols;
	if (cli_open(cli) != 0)
		return 1;
	if (cli->json) {
		ctx->json = json_array();
	} else {
		ctx->table.rows = json_array();
		table_row(&ctx->table, header);
	}
	return 0;
}

/* Print what the lister (which returned rc) put in ctx, or its error. */
static int
list_end(struct cli *cli, struct list_ctx *ctx, int rc)
{
	if (rc != ERM_OK) {
		json_decref(ctx->json);
		json_decref(ctx->table.rows);
		return fail("%s", erm_errmsg(cli->db));
	}
	if (cli->json)
		return print_json(ctx->json);
	table_print(&ctx->table);
	json_decref(ctx->table.rows);
	return 0;
}

static int
list_node(const struct erm_node *n, void *arg)
{
	struct list_ctx *ctx = arg;
	char nif[16];

	if (ctx->json != NULL) {
		json_array_append_new(ctx->json, node_json(n));
		return 0;
	}
	snprintf(nif, sizeof(nif), "%d", n->n_ifaces);
	table_row(&ctx->table, (const char *[]){ n->name, erm_node_kind_name(n->kind),
	    n->node_class[0] ? n->node_class : "-", n->mac, n->ip[0] ? n->ip : "-",
	    erm_boot_mode_name(n->boot), n->state, n->power,
	    n->experiment[0] ? n->experiment : "-", nif });
	return 0;
}

static int
cmd_node_list(struct cli *cli, int argc, char **argv)
{
	const char *head[] = { "NAME", "KIND", "CLASS", "MAC", "IP", "BOOT", "STATE", "POWER",
	    "EXPERIMENT", "NETIFS" };
	struct list_ctx ctx;

	(void)argv;
	if (argc != 0)
		return fail("usage: springos node list");
	if (list_begin(cli, &ctx, head, ARRAY_LEN(head)) != 0)
		return 1;
	return list_end(cli, &ctx, erm_node_list(cli->db, list_node, &ctx));
}

static int
cmd_node_show(struct cli *cli, int argc, char **argv)
{
	struct erm_node n;

	if (argc != 1)
		return fail("usage: springos node show NAME");
	if (cli_open(cli) != 0)
		return 1;
	if (erm_node_get(cli->db, argv[0], &n) != ERM_OK)
		return fail("%s", erm_errmsg(cli->db));
	if (cli->json)
		return print_json(node_json(&n));
	printf("name:        %s\n", n.name);
	printf("kind:        %s%s%s\n", erm_node_kind_name(n.kind), n.kind == ERM_VM ? " on " : "",
	    n.kind == ERM_VM ? n.host : "");
	printf("class:       %s\n", n.node_class[0] ? n.node_class : "-");
	printf("mgmt mac:    %s\n", n.mac);
	printf("mgmt ip:     %s\n", n.ip[0] ? n.ip : "-");
	printf("power:       %s%s%s\n", n.power, n.power_params[0] ? " " : "", n.power_params);
	printf("boot:        %s\n", erm_boot_mode_name(n.boot));
	printf("state:       %s\n", n.state);
	printf("experiment:  %s\n", n.experiment[0] ? n.experiment : "-");
	if (n.maxvnodes > 0)
		printf("vm host:     up to %d VMs of class %s\n", n.maxvnodes,
		    n.vntype[0] ? n.vntype : "-");
	for (int i = 0; i < n.n_ifaces; i++) {
		const struct erm_iface *f = &n.ifaces[i];

		printf("netif%-2d      %s  %-12s", f->index, f->mac, f->media);
		if (f->port != 0)
			printf("  switch %s port %d", f->sw, f->port);
		putchar('\n');
	}
	return 0;
}

static int
cmd_node_boot(struct cli *cli, int argc, char **argv)
{
	enum erm_boot_mode mode;

	if (argc != 2)
		return fail("usage: springos node boot NAME install|local|none");
	if (erm_boot_mode_parse(argv[1], &mode) != 0)
		return fail("boot mode '%s' is not install, local or none", argv[1]);
	if (cli_open(cli) != 0)
		return 1;
	if (erm_node_set_boot(cli->db, argv[0], mode) != ERM_OK)
		return fail("%s", erm_errmsg(cli->db));
	if (cli->json)
		return print_json(json_pack("{s:s, s:s}", "node", argv[0], "boot", argv[1]));
	printf("node %s will boot: %s\n", argv[0], argv[1]);
	return 0;
}

/* node reimage: master/cmd_reimage.c does the work (plans, power, progress). */
static int
cmd_node_reimage_cli(struct cli *cli, int argc, char **argv)
{
	if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0))
		return cmd_node_reimage(NULL, NULL, 0, NULL) == 2 ? 0 : 1;
	if (cli_open(cli) != 0)
		return 1;
	return cmd_node_reimage(cli->db, cli->conf, argc, argv);
}

/* ---- images --------------------------------------------------------- */

/* The format, from the first bytes of the file. */
static const char *
sniff_format(const unsigned char *b, size_t n)
{
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return "gzip";
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return "zstd";
	if (n >= 4 && memcmp(b, "KDMV", 4) == 0)
		return "vmdk";
	if (n >= strlen(SOSIMG_MAGIC) && memcmp(b, SOSIMG_MAGIC, strlen(SOSIMG_MAGIC)) == 0)
		return "sosimg";
	return "raw";
}

/* Size, format and SHA-256 of a file, read once. */
static int
image_digest(const char *path, struct erm_image *img)
{
	static unsigned char buf[1 << 20];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int fd, first = 1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("image add: %s: %s", path, strerror(errno));
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		close(fd);
		EVP_MD_CTX_free(ctx);
		return fail("image add: cannot start SHA-256");
	}
	img->size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first) {
			str_copy(img->format, sniff_format(buf, (size_t)n), sizeof(img->format));
			first = 0;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		img->size += n;
	}
	close(fd);
	if (n < 0) {
		EVP_MD_CTX_free(ctx);
		return fail("image add: %s: read error at byte %lld: %s", path,
		    (long long)img->size, strerror(errno));
	}
	if (first)
		str_copy(img->format, "raw", sizeof(img->format));
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(img->sha256 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* A chunked image is recorded as imaged records it: the size and SHA-256
 * of the disk it holds (its header's digest, which is what ni verifies),
 * not of the file. */
static int
sosimg_digest(const char *path, struct erm_image *img)
{
	uint8_t buf[SOSIMG_HDR_LEN];
	struct sosimg_header h;
	char err[256];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("image add: %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || sosimg_parse_header(buf, (size_t)n, &h, err, sizeof(err)) != 0)
		return fail("image add: %s: %s", path, n < 0 ? strerror(errno) : err);
	img->size = (int64_t)h.disk_size;
	sosimg_hex(h.image_sha256, 32, img->sha256);
	return 0;
}

static int
cmd_image_add(struct cli *cli, int argc, char **argv)
{
	struct erm_image img = { 0 };
	char real[PATH_MAX];

	if (argc != 2)
		return fail("usage: springos image add NAME FILE");
	if (realpath(argv[1], real) == NULL)
		return fail("image add: %s: %s", argv[1], strerror(errno));
	if (str_copy(img.name, argv[0], sizeof(img.name)) >= sizeof(img.name))
		return fail("image add: name '%s' is too long", argv[0]);
	if (str_copy(img.path, real, sizeof(img.path)) >= sizeof(img.path))
		return fail("image add: path %s is too long", real);
	if (cli_open(cli) != 0 || image_digest(real, &img) != 0)
		return 1;
	if (strcmp(img.format, "sosimg") == 0 && sosimg_digest(real, &img) != 0)
		return 1;
	if (erm_image_add(cli->db, &img) != ERM_OK)
		return fail("%s", erm_errmsg(cli->db));
	if (cli->json)
		return print_json(json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", img.name, "path",
		    img.path, "format", img.format, "size", (json_int_t)img.size, "sha256",
		    img.sha256));
	printf("image %s: %s, %s, %lld bytes, sha256 %s\n", img.name, img.path, img.format,
	    (long long)img.size, img.sha256);
	return 0;
}

static int
list_image(const struct erm_image *img, void *arg)
{
	struct list_ctx *ctx = arg;
	char size[32];

	if (ctx->json != NULL) {
		json_array_append_new(ctx->json, json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}",
		    "name", img->name, "path", img->path, "format", img->format,
		    "size", (json_int_t)img->size, "sha256", img->sha256,
		    "added", (json_int_t)img->added));
		return 0;
	}
	snprintf(size, sizeof(size), "%lld", (long long)img->size);
	table_row(&ctx->table, (const char *[]){ img->name, img->format, size, img->sha256,
	    img->path });
	return 0;
}

static int
cmd_image_list(struct cli *cli, int argc, char **argv)
{
	const char *head[] = { "NAME", "FORMAT", "SIZE", "SHA256", "PATH" };
	struct list_ctx ctx;

	(void)argv;
	if (argc != 0)
		return fail("usage: springos image list");
	if (list_begin(cli, &ctx, head, ARRAY_LEN(head)) != 0)
		return 1;
	return list_end(cli, &ctx, erm_image_list(cli->db, list_image, &ctx));
}

/* ---- dispatch ------------------------------------------------------- */

/* One-word commands over the experiment language (master/cmd_spec.c). */
static const struct spec_command {
	const char *name;
	int (*run)(const char *conf_path, int argc, char **argv);
} spec_commands[] = {
	{ "check", cmd_spec_check },
	{ "fmt", cmd_spec_fmt },
	{ "plan", cmd_spec_plan },
};

static const struct command {
	const char *group;
	const char *name;
	int (*run)(struct cli *, int, char **);
} commands[] = {
	{ "db", "init", cmd_db_init },
	{ "node", "import", cmd_node_import },
	{ "node", "add", cmd_node_add },
	{ "node", "list", cmd_node_list },
	{ "node", "show", cmd_node_show },
	{ "node", "boot", cmd_node_boot },
	{ "node", "reimage", cmd_node_reimage_cli },
	{ "image", "add", cmd_image_add },
	{ "image", "list", cmd_image_list },
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	int ch, rc;

	cli.conf_path = getenv("SPRINGOS_CONF");
	if (cli.conf_path == NULL || *cli.conf_path == '\0')
		cli.conf_path = DEFAULT_CONF;
	/* '+': options stop at the command, so its own arguments pass through. */
	while ((ch = getopt_long(argc, argv, "+c:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.conf_path = optarg;
			break;
		case 'j':
			cli.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	for (size_t i = 0; argc >= 1 && i < ARRAY_LEN(spec_commands); i++) {
		if (strcmp(argv[0], spec_commands[i].name) == 0)
			return spec_commands[i].run(cli.conf_path, argc - 1, argv + 1);
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		if (strcmp(argv[0], commands[i].group) == 0 && strcmp(argv[1], commands[i].name) == 0) {
			rc = commands[i].run(&cli, argc - 2, argv + 2);
			erm_close(cli.db);
			conf_free(cli.conf);
			return rc;
		}
	}
	fail("unknown command '%s %s' (springos --help lists them)", argv[0], argv[1]);
	return 2;
}
