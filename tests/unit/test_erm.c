/* erm: the testbed database, through its C interface and the inventory
 * importer: round trips, every bad-input case with its message, the
 * all-or-nothing import, migration from schema 1, and two processes
 * allocating at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "erm.h"
#include "inventory.h"

struct fixture {
	char dir[64];
	char path[128];
	struct erm *db;
	struct conf *conf;
};

static const char conf_text[] =
    "[testbed]\n"
    "db = unused\n"
    "[switch:lab]\n"
    "address = udp:127.0.0.1:16100\n"
    "ports = 8\n"
    "[switch:core]\n"
    "driver = cisco\n"
    "address = udp:127.0.0.1:16101\n";

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_erm.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/erm.db", f->dir);
	assert_int_equal(erm_open(f->path, 0, &f->db, err, sizeof(err)), ERM_OK);
	assert_int_equal(conf_parse("test.ini", conf_text, strlen(conf_text), &f->conf, err,
	    sizeof(err)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	erm_close(f->db);
	conf_free(f->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Parse and import text as inventory "inv.ini"; returns 0 or -1 with err. */
static int
import(struct fixture *f, const char *text, char *err, size_t errlen)
{
	struct inventory *inv;
	int rc;

	if (inventory_parse("inv.ini", text, strlen(text), &inv, err, errlen) != 0)
		return -1;
	rc = inventory_import(f->db, f->conf, inv, err, errlen);
	inventory_free(inv);
	return rc;
}

static int
count_cb(const struct erm_node *n, void *ctx)
{
	(void)n;
	(*(int *)ctx)++;
	return 0;
}

static int
node_count(struct fixture *f)
{
	int n = 0;

	assert_int_equal(erm_node_list(f->db, count_cb, &n), ERM_OK);
	return n;
}

static const char good_inventory[] =
    "[node:n01]\n"
    "class = pc\n"
    "mac = 02:00:00:00:01:00\n"
    "ip = 10.99.0.11\n"
    "power = qemu\n"
    "power_params = /run/lab/n01.qmp\n"
    "boot = install\n"
    "maxvnodes = 8\n"
    "vntype = clC\n"
    "netif0 = 02:00:00:00:01:01 media=fastethernet switch=lab port=1\n"
    "netif1 = 02:00:00:00:01:02 switch=lab port=2\n"
    "\n"
    "[node:vm01]\n"            /* line 13: a VM before... */
    "kind = vm\n"
    "host = n03\n"             /* ...its host, further down */
    "class = clC\n"
    "mac = 02:00:00:00:03:00\n"
    "\n"
    "[node:n03]\n"
    "mac = 02:00:00:00:02:00\n"
    "ip = 10.99.0.12\n"
    "netif0 = 02:00:00:00:02:01 switch=core port=7\n";

static void
test_fresh_database(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st;
	int version;

	assert_int_equal(erm_schema_version(f->db, &version), ERM_OK);
	assert_int_equal(version, ERM_SCHEMA_VERSION);
	assert_int_equal(sqlite3_prepare_v2(erm_sqlite(f->db), "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
}

static void
test_import_round_trip(void **state)
{
	struct fixture *f = *state;
	struct erm_switch sw;
	struct erm_node n;
	char err[512];

	assert_int_equal(import(f, good_inventory, err, sizeof(err)), 0);
	assert_int_equal(node_count(f), 3);

	assert_int_equal(erm_node_get(f->db, "n01", &n), ERM_OK);
	assert_int_equal(n.kind, ERM_PHYSICAL);
	assert_string_equal(n.node_class, "pc");
	assert_string_equal(n.mac, "02:00:00:00:01:00");
	assert_string_equal(n.ip, "10.99.0.11");
	assert_string_equal(n.power, "qemu");
	assert_string_equal(n.power_params, "/run/lab/n01.qmp");
	assert_int_equal(n.boot, ERM_BOOT_INSTALL);
	assert_int_equal(n.maxvnodes, 8);
	assert_string_equal(n.vntype, "clC");
	assert_string_equal(n.state, "new");
	assert_int_equal(n.n_ifaces, 2);
	assert_int_equal(n.ifaces[0].index, 0);
	assert_string_equal(n.ifaces[0].mac, "02:00:00:00:01:01");
	assert_string_equal(n.ifaces[0].media, "fastethernet");
	assert_string_equal(n.ifaces[0].sw, "lab");
	assert_int_equal(n.ifaces[0].port, 1);
	assert_string_equal(n.ifaces[1].media, "ethernet");
	assert_int_equal(n.ifaces[1].port, 2);

	assert_int_equal(erm_node_get(f->db, "vm01", &n), ERM_OK);
	assert_int_equal(n.kind, ERM_VM);
	assert_string_equal(n.host, "n03");
	assert_string_equal(n.ip, "");
	assert_int_equal(n.boot, ERM_BOOT_NONE);

	/* By management MAC, and by an experiment interface's MAC in any case. */
	assert_int_equal(erm_node_by_mac(f->db, "02:00:00:00:02:00", &n), ERM_OK);
	assert_string_equal(n.name, "n03");
	assert_int_equal(erm_node_by_mac(f->db, "02-00-00-00-01-02", &n), ERM_OK);
	assert_string_equal(n.name, "n01");
	assert_int_equal(erm_node_by_mac(f->db, "02:00:00:00:09:09", &n), ERM_ENOENT);

	/* The switches came from springos.ini. */
	assert_int_equal(erm_switch_get(f->db, "core", &sw), ERM_OK);
	assert_string_equal(sw.driver, "cisco");
	assert_string_equal(sw.address, "udp:127.0.0.1:16101");
}

struct bad_case {
	const char *name;
	const char *text;
	const char *error; /* the whole message */
};

/* Each case is a whole file; n00 at its top is always good, so a failing
 * import that left anything behind would show as one node more. */
#define GOOD_N00 "[node:n00]\nmac = 02:00:00:00:00:00\nip = 10.99.0.10\n" \
	"netif0 = 02:00:00:00:00:01 switch=lab port=8\n"

static const struct bad_case bad_cases[] = {
	{ "duplicate management MAC",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:00:00\n",
	  "inv.ini:6: node a: duplicate MAC 02:00:00:00:00:00: already the management MAC "
	  "of node n00" },
	{ "MAC of another node's interface",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0A:00\nnetif0 = 02:00:00:00:00:01\n",
	  "inv.ini:7: node a netif0: duplicate MAC 02:00:00:00:00:01: already netif0 of node n00" },
	{ "MAC already in the database",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:AA:00\n",
	  "inv.ini:6: node a: duplicate MAC 02:00:00:00:aa:00: already the management MAC "
	  "of node old" },
	{ "malformed MAC",
	  GOOD_N00 "[node:a]\nclass = pc\nmac = 02:00:00:00:00\n",
	  "inv.ini:7: node a: malformed MAC '02:00:00:00:00'" },
	{ "malformed interface MAC",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nnetif1 = 02:00:zz:00:00:01 switch=lab port=3\n",
	  "inv.ini:7: node a netif1: malformed MAC '02:00:zz:00:00:01'" },
	{ "malformed IP",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nip = 10.99.0.300\n",
	  "inv.ini:7: node a: malformed IPv4 address '10.99.0.300'" },
	{ "duplicate IP",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nip = 10.99.0.10\n",
	  "inv.ini:7: node a: IP 10.99.0.10 is already reserved for node n00" },
	{ "unknown switch",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nnetif0 = 02:00:00:00:0a:01 switch=sw9 port=1\n",
	  "inv.ini:7: node a netif0: unknown switch 'sw9'" },
	{ "port used twice",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nnetif0 = 02:00:00:00:0a:01 switch=lab port=8\n",
	  "inv.ini:7: node a netif0: port lab/8 is already cabled to node n00 netif0" },
	{ "port used twice within a node",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\n"
	  "netif0 = 02:00:00:00:0a:01 switch=lab port=3\nnetif1 = 02:00:00:00:0a:02 switch=lab port=3\n",
	  "inv.ini:8: node a: port lab/3 is given to both netif0 and netif1" },
	{ "port out of range",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nnetif0 = 02:00:00:00:0a:01 switch=lab port=9\n",
	  "inv.ini:7: node a netif0: port 9 is out of range for switch lab (1..8)" },
	{ "switch without port",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nnetif0 = 02:00:00:00:0a:01 switch=lab\n",
	  "inv.ini:7: node a netif0: give both switch= and port=, or neither" },
	{ "node repeated",
	  GOOD_N00 "[node:n00]\nmac = 02:00:00:00:0a:00\n",
	  "inv.ini:5: section [node:n00] repeated (first at line 1)" },
	{ "node already in the database",
	  GOOD_N00 "[node:old]\nmac = 02:00:00:00:0b:00\n",
	  "inv.ini:5: node old already exists" },
	{ "unknown key",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nipaddr = 10.99.0.20\n",
	  "inv.ini:7: node a: unknown key 'ipaddr' (kind, class, mac, ip, power, power_params, "
	  "boot, host, maxvnodes, vntype, netif0..netif15)" },
	{ "no MAC",
	  GOOD_N00 "[node:a]\nip = 10.99.0.20\n",
	  "inv.ini:5: node a: no management mac given" },
	{ "unknown host",
	  GOOD_N00 "[node:v]\nkind = vm\nhost = nosuch\nmac = 02:00:00:00:0a:00\n",
	  "inv.ini:7: node v: unknown host node 'nosuch'" },
	{ "bad boot mode",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nboot = pxe\n",
	  "inv.ini:7: node a: boot mode 'pxe' is not install, local or none" },
	{ "switch section in inventory",
	  "[switch:x]\naddress = y\n",
	  "inv.ini:1: unknown section [switch:x]: an inventory has [node:NAME] sections "
	  "(switches are declared in springos.ini)" },
	{ "negative capacity",
	  GOOD_N00 "[node:a]\nmac = 02:00:00:00:0a:00\nmaxvnodes = -1\n",
	  "inv.ini:7: node a: maxvnodes '-1' is not a number in 0..4096" },
};

static void
test_bad_inputs(void **state)
{
	struct fixture *f = *state;
	char err[512];

	assert_int_equal(import(f,
	    "[node:old]\nmac = 02:00:00:00:aa:00\nip = 10.99.0.99\n", err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		err[0] = '\0';
		if (import(f, c->text, err, sizeof(err)) == 0)
			fail_msg("case '%s' was accepted", c->name);
		if (strcmp(err, c->error) != 0)
			fail_msg("case '%s':\n got:  %s\n want: %s", c->name, err, c->error);
		/* All or nothing: only "old" is there. */
		if (node_count(f) != 1)
			fail_msg("case '%s' left %d nodes", c->name, node_count(f));
	}
}

static void
test_node_updates(void **state)
{
	struct fixture *f = *state;
	struct erm_node n;
	char err[512];

	assert_int_equal(import(f, good_inventory, err, sizeof(err)), 0);
	assert_int_equal(erm_node_set_boot(f->db, "n03", ERM_BOOT_LOCAL), ERM_OK);
	assert_int_equal(erm_node_set_state(f->db, "n03", "installed"), ERM_OK);
	assert_int_equal(erm_node_get(f->db, "n03", &n), ERM_OK);
	assert_int_equal(n.boot, ERM_BOOT_LOCAL);
	assert_string_equal(n.state, "installed");
	assert_int_equal(erm_node_set_boot(f->db, "nosuch", ERM_BOOT_LOCAL), ERM_ENOENT);
	assert_string_equal(erm_errmsg(f->db), "no node named nosuch");
	/* A host that still has a VM cannot go. */
	assert_int_equal(erm_node_delete(f->db, "n03"), ERM_EDB);
	assert_int_equal(erm_node_delete(f->db, "vm01"), ERM_OK);
	assert_int_equal(erm_node_delete(f->db, "n03"), ERM_OK);
	assert_int_equal(node_count(f), 1);
	/* Its MACs are free again. */
	assert_int_equal(erm_node_by_mac(f->db, "02:00:00:00:02:01", &n), ERM_ENOENT);
}

static void
test_images(void **state)
{
	struct fixture *f = *state;
	struct erm_image img = { .name = "deb12", .path = "/srv/deb12.img", .format = "raw",
		.size = 1048576,
		.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" };
	struct erm_image got;

	assert_int_equal(erm_image_add(f->db, &img), ERM_OK);
	assert_int_equal(erm_image_add(f->db, &img), ERM_EEXIST);
	assert_string_equal(erm_errmsg(f->db), "image deb12 already exists");
	assert_int_equal(erm_image_get(f->db, "deb12", &got), ERM_OK);
	assert_string_equal(got.path, img.path);
	assert_int_equal(got.size, img.size);
	assert_string_equal(got.sha256, img.sha256);
	assert_true(got.added > 0);
	str_copy(img.name, "bad", sizeof(img.name));
	str_copy(img.format, "iso", sizeof(img.format));
	assert_int_equal(erm_image_add(f->db, &img), ERM_EINVAL);
	str_copy(img.format, "raw", sizeof(img.format));
	str_copy(img.sha256, "E3B0", sizeof(img.sha256));
	assert_int_equal(erm_image_add(f->db, &img), ERM_EINVAL);
}

static void
test_allocation(void **state)
{
	struct fixture *f = *state;
	struct erm_node n;
	int64_t ids[4];
	char err[512];

	assert_int_equal(import(f, good_inventory, err, sizeof(err)), 0);
	assert_int_equal(erm_experiment_create(f->db, "e1", "alice"), ERM_OK);
	assert_int_equal(erm_experiment_create(f->db, "e2", "bob"), ERM_OK);
	assert_int_equal(erm_experiment_create(f->db, "e1", "x"), ERM_EEXIST);
	assert_int_equal(erm_allocate(f->db, "e1", "pc", 1, ids), ERM_OK);
	assert_int_equal(erm_node_get(f->db, "n01", &n), ERM_OK);
	assert_int_equal(ids[0], n.id);
	assert_string_equal(n.experiment, "e1");
	/* The only pc is taken: all or nothing. */
	assert_int_equal(erm_allocate(f->db, "e2", "pc", 1, ids), ERM_ENOSPACE);
	assert_string_equal(erm_errmsg(f->db),
	    "experiment e2 wants 1 nodes of class pc, only 0 are free");
	assert_int_equal(erm_allocate(f->db, "e2", "", 3, ids), ERM_ENOSPACE);
	assert_int_equal(erm_allocate(f->db, "e2", "", 2, ids), ERM_OK);
	assert_int_equal(erm_allocate(f->db, "nosuch", "", 1, ids), ERM_ENOENT);
	assert_int_equal(erm_release(f->db, "e1"), ERM_OK);
	assert_int_equal(erm_node_get(f->db, "n01", &n), ERM_OK);
	assert_string_equal(n.experiment, "");
	assert_int_equal(erm_experiment_delete(f->db, "e2"), ERM_OK);
	assert_int_equal(erm_allocate(f->db, "e1", "", 3, ids), ERM_OK);
}

static void
test_leases(void **state)
{
	struct fixture *f = *state;
	struct erm_lease l = { .ip = "10.99.1.5", .mac = "02:00:00:00:77:00", .expires = 1000 };
	struct erm_lease got;

	assert_int_equal(erm_lease_put(f->db, &l), ERM_OK);
	assert_int_equal(erm_lease_get_by_mac(f->db, "02:00:00:00:77:00", &got), ERM_OK);
	assert_string_equal(got.ip, "10.99.1.5");
	assert_string_equal(got.state, "bound");
	l.expires = 2000;
	assert_int_equal(erm_lease_put(f->db, &l), ERM_OK);
	assert_int_equal(erm_lease_get_by_ip(f->db, "10.99.1.5", &got), ERM_OK);
	assert_int_equal(got.expires, 2000);
	assert_int_equal(erm_lease_delete(f->db, "10.99.1.5"), ERM_OK);
	assert_int_equal(erm_lease_get_by_ip(f->db, "10.99.1.5", &got), ERM_ENOENT);
	str_copy(l.ip, "10.99.1", sizeof(l.ip));
	assert_int_equal(erm_lease_put(f->db, &l), ERM_EINVAL);
}

/* A database written by schema 1 (before VM hosts, images, experiments)
 * opens, migrates to the current schema, and keeps its data. */
static void
test_migration_from_v1(void **state)
{
	struct fixture *f = *state;
	char path[160], err[256];
	struct erm_node n;
	struct erm *db;
	int version;
	int64_t ids[1];

	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	assert_int_equal(erm_open(path, ERM_OPEN_NO_MIGRATE, &db, err, sizeof(err)), ERM_OK);
	assert_int_equal(erm_migrate(db, 1), ERM_OK);
	assert_int_equal(erm_schema_version(db, &version), ERM_OK);
	assert_int_equal(version, 1);
	/* What a version-1 springos wrote (its own SQL, as it was then). */
	assert_int_equal(sqlite3_exec(erm_sqlite(db),
	    "INSERT INTO switches (name, driver, address, ports) VALUES ('lab', 'qbridge', 'x', 4);"
	    "INSERT INTO nodes (name, kind, class, mgmt_mac, mgmt_ip, boot, state) VALUES "
	    "  ('old1', 'physical', 'pc', '02:00:00:00:00:01', '10.0.0.1', 'local', 'installed');"
	    "INSERT INTO interfaces (node_id, idx, mac, media, switch_id, port) VALUES "
	    "  (1, 0, '02:00:00:00:00:02', 'ethernet', 1, 3);", NULL, NULL, NULL), SQLITE_OK);
	erm_close(db);

	assert_int_equal(erm_open(path, 0, &db, err, sizeof(err)), ERM_OK);
	assert_int_equal(erm_schema_version(db, &version), ERM_OK);
	assert_int_equal(version, ERM_SCHEMA_VERSION);
	assert_int_equal(erm_node_get(db, "old1", &n), ERM_OK);
	assert_string_equal(n.ip, "10.0.0.1");
	assert_int_equal(n.boot, ERM_BOOT_LOCAL);
	assert_string_equal(n.state, "installed");
	assert_int_equal(n.maxvnodes, 0);
	assert_int_equal(n.n_ifaces, 1);
	assert_string_equal(n.ifaces[0].sw, "lab");
	assert_int_equal(n.ifaces[0].port, 3);
	/* What version 2 added works on the old data. */
	assert_int_equal(erm_experiment_create(db, "e", ""), ERM_OK);
	assert_int_equal(erm_allocate(db, "e", "pc", 1, ids), ERM_OK);
	assert_int_equal(ids[0], n.id);
	erm_close(db);

	/* A database from a newer springos is refused, not damaged. */
	assert_int_equal(erm_open(path, ERM_OPEN_NO_MIGRATE, &db, err, sizeof(err)), ERM_OK);
	assert_int_equal(sqlite3_exec(erm_sqlite(db), "PRAGMA user_version = 99", NULL, NULL,
	    NULL), SQLITE_OK);
	erm_close(db);
	assert_int_equal(erm_open(path, 0, &db, err, sizeof(err)), ERM_EVERSION);
	assert_null(db);
	assert_non_null(strstr(err, "schema version 99, newer than this program's"));
}

#define RACE_NODES 40
#define RACE_MAX_ROUNDS 200

/* One allocator process: experiments of 1 or 2 nodes until none are
 * free; writes every node id it was given to fd, one per line. */
static void
race_child(const char *path, int who, int fd, int start)
{
	char name[32], err[256], line[32], go;
	struct erm *db;
	int64_t ids[2];

	if (erm_open(path, 0, &db, err, sizeof(err)) != ERM_OK)
		_exit(10);
	/* Both allocators start together: the parent closes the pipe. */
	if (read(start, &go, 1) != 0)
		_exit(14);
	for (int round = 0; round < RACE_MAX_ROUNDS; round++) {
		int want = 1 + (round + who) % 2, rc;

		snprintf(name, sizeof(name), "p%d-%d", who, round);
		if (erm_experiment_create(db, name, "") != ERM_OK)
			_exit(11);
		rc = erm_allocate(db, name, "", want, ids);
		if (rc == ERM_ENOSPACE && want == 2)
			rc = erm_allocate(db, name, "", want = 1, ids);
		if (rc == ERM_ENOSPACE)
			break;
		if (rc != ERM_OK) {
			dprintf(2, "allocator %d: %s\n", who, erm_errmsg(db));
			_exit(12);
		}
		for (int i = 0; i < want; i++) {
			int len = snprintf(line, sizeof(line), "%lld\n", (long long)ids[i]);

			if (write(fd, line, (size_t)len) != len)
				_exit(13);
		}
		/* A real allocator does other work between experiments; without
		 * a pause SQLite's backing-off busy handler lets one process take
		 * every node before the other wakes up, and nothing races. */
		usleep(2000);
	}
	erm_close(db);
	_exit(0);
}

/* One race: both allocators at once until no node is free.  Asserts that
 * every node went to exactly one experiment; returns how many nodes each
 * process got. */
static void
race_once(struct fixture *f, int round, int per_child[2])
{
	int count[RACE_NODES + 1] = { 0 };
	char path[2][160];
	pid_t pid[2];
	int start[2];

	assert_int_equal(pipe(start), 0);
	for (int c = 0; c < 2; c++) {
		int fd;

		snprintf(path[c], sizeof(path[c]), "%s/child%d", f->dir, c);
		fd = open(path[c], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		pid[c] = fork();
		assert_true(pid[c] >= 0);
		if (pid[c] == 0) {
			close(start[1]);
			race_child(f->path, c + 2 * round, fd, start[0]);
		}
		close(fd);
	}
	close(start[0]);
	usleep(100 * 1000); /* let both open the database */
	close(start[1]);
	for (int c = 0; c < 2; c++) {
		int status;
		FILE *in;
		long long id;

		per_child[c] = 0;
		assert_int_equal(waitpid(pid[c], &status, 0), pid[c]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		in = fopen(path[c], "r");
		assert_non_null(in);
		while (fscanf(in, "%lld", &id) == 1) {
			assert_true(id >= 1 && id <= RACE_NODES);
			count[id]++;
			per_child[c]++;
		}
		fclose(in);
	}
	/* Every node handed out exactly once, across both processes. */
	for (int i = 1; i <= RACE_NODES; i++) {
		if (count[i] != 1)
			fail_msg("node id %d was allocated %d times", i, count[i]);
	}
	assert_int_equal(per_child[0] + per_child[1], RACE_NODES);
}

static int
release_cb(const struct erm_node *n, void *ctx)
{
	struct erm *db = ctx;

	if (n->experiment[0] != '\0')
		(void)erm_experiment_delete(db, n->experiment);
	return 0;
}

static void
test_concurrent_allocation(void **state)
{
	struct fixture *f = *state;
	int per_child[2] = { 0, 0 };
	char text[8192];
	size_t off = 0;

	for (int i = 1; i <= RACE_NODES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "[node:r%02d]\nmac = 02:00:00:01:00:%02x\n", i, i);
	assert_int_equal(import(f, text, text + 4096, 1024), 0);

	/* The race only means something if both processes really got nodes;
	 * on a loaded machine one may be descheduled for a whole round, so a
	 * round where one starved is run again (up to 5 rounds). */
	for (int round = 0; round < 5; round++) {
		race_once(f, round, per_child);
		if (per_child[0] > 0 && per_child[1] > 0)
			break;
		assert_int_equal(erm_node_list(f->db, release_cb, f->db), ERM_OK);
	}
	assert_true(per_child[0] > 0 && per_child[1] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_allocation, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("erm", tests, NULL, NULL);
}
