/* erm: the testbed database over SQLite (see erm.h). */
#include "erm.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct erm {
	sqlite3 *sql;
	int in_tx;        /* inside erm_begin .. erm_commit */
	char msg[512];
	char field[32];   /* which input field the last error is about */
};

/*
 * Migrations, in order: migrations[i] takes the schema from version i to
 * version i + 1.  Never edit a released one; add the next.
 */
static const char *const migrations[] = {
	/* 1: the inventory: switches, nodes, their experiment interfaces. */
	"CREATE TABLE switches ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  driver TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  ports INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE nodes ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('physical', 'vm')),"
	"  class TEXT NOT NULL DEFAULT '',"
	"  mgmt_mac TEXT NOT NULL UNIQUE,"
	"  mgmt_ip TEXT UNIQUE,"
	"  power TEXT NOT NULL DEFAULT 'manual',"
	"  power_params TEXT NOT NULL DEFAULT '',"
	"  boot TEXT NOT NULL DEFAULT 'none' CHECK (boot IN ('none', 'install', 'local')),"
	"  state TEXT NOT NULL DEFAULT 'new');"
	"CREATE TABLE interfaces ("
	"  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  mac TEXT NOT NULL UNIQUE,"
	"  media TEXT NOT NULL DEFAULT 'ethernet',"
	"  switch_id INTEGER REFERENCES switches(id),"
	"  port INTEGER,"
	"  PRIMARY KEY (node_id, idx),"
	"  UNIQUE (switch_id, port));",

	/* 2: VM hosts and VMs, images, experiments and allocations, leases. */
	"ALTER TABLE nodes ADD COLUMN host_id INTEGER REFERENCES nodes(id);"
	"ALTER TABLE nodes ADD COLUMN maxvnodes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE nodes ADD COLUMN vntype TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE images ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  path TEXT NOT NULL,"
	"  format TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  added INTEGER NOT NULL);"
	"CREATE TABLE experiments ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  owner TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL);"
	/* The primary key on node_id is what makes double allocation
	 * impossible, whatever the callers do. */
	"CREATE TABLE allocations ("
	"  node_id INTEGER PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,"
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,"
	"  since INTEGER NOT NULL);"
	"CREATE INDEX allocations_experiment ON allocations(experiment_id);"
	"CREATE TABLE leases ("
	"  ip TEXT PRIMARY KEY,"
	"  mac TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'bound');"
	"CREATE INDEX leases_mac ON leases(mac);",

	/* 3: which experiment owns which VLAN id and switch port (swconf,
	 * lib/erm_vlan.c). */
	"CREATE TABLE vlan_allocations ("
	"  switch TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL CHECK (vlan BETWEEN 1 AND 4094),"
	"  experiment TEXT NOT NULL,"
	"  network TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (switch, vlan),"
	"  UNIQUE (switch, experiment, network));"
	"CREATE TABLE port_allocations ("
	"  switch TEXT NOT NULL,"
	"  port INTEGER NOT NULL CHECK (port >= 1),"
	"  experiment TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL,"
	"  PRIMARY KEY (switch, port),"
	"  FOREIGN KEY (switch, vlan) REFERENCES vlan_allocations (switch, vlan)"
	"    ON DELETE CASCADE);"
	"CREATE INDEX vlan_allocations_experiment ON vlan_allocations (experiment);",

	/* 4: install plans and their progress (ni, the master's API and
	 * `springos node reimage`; lib/erm_install.c). */
	"CREATE TABLE install_plans ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  node_id INTEGER NOT NULL UNIQUE REFERENCES nodes(id) ON DELETE CASCADE,"
	"  image TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  format TEXT NOT NULL DEFAULT 'auto',"
	"  disk TEXT NOT NULL DEFAULT '',"
	"  disktype TEXT NOT NULL DEFAULT '',"
	"  part INTEGER NOT NULL DEFAULT 0 CHECK (part BETWEEN 0 AND 128),"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  sha256 TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN "
	"    ('pending', 'starting', 'writing', 'verifying', 'done', 'failed')),"
	"  percent INTEGER NOT NULL DEFAULT 0,"
	"  bytes INTEGER NOT NULL DEFAULT 0,"
	"  rate REAL NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == ERM_SCHEMA_VERSION,
    "one migration per schema version");

static int __attribute__((format(printf, 4, 5)))
set_err(struct erm *db, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof(db->msg), fmt, ap);
	va_end(ap);
	str_copy(db->field, field ? field : "", sizeof(db->field));
	return code;
}

static int
sql_err(struct erm *db, const char *what)
{
	return set_err(db, ERM_EDB, NULL, "database error while %s: %s", what,
	    sqlite3_errmsg(db->sql));
}

const char *
erm_errmsg(const struct erm *db)
{
	return db->msg;
}

const char *
erm_errfield(const struct erm *db)
{
	return db->field;
}

static int
exec(struct erm *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_err(db, what);
	return ERM_OK;
}

static int
prepare(struct erm *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db->sql, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return sql_err(db, "preparing a query");
	}
	return ERM_OK;
}

/* Bind text, or NULL for an empty string when null_if_empty. */
static void
bind_text(sqlite3_stmt *st, int i, const char *s, int null_if_empty)
{
	if (null_if_empty && (s == NULL || *s == '\0'))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_TRANSIENT);
}

/* Reads the current row of a statement into out. */
typedef void (*row_reader)(sqlite3_stmt *st, void *out);

/* A SELECT with one text parameter, arg, that finds at most one row: read
 * it into out.  No row: ERM_ENOENT with field and the message missing. */
static int
get_row(struct erm *db, const char *sql, const char *arg, row_reader read, void *out,
    const char *field, const char *missing, const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(db, &st, sql)) != ERM_OK)
		return rc;
	bind_text(st, 1, arg, 0);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		read(st, out);
		break;
	case SQLITE_DONE:
		rc = set_err(db, ERM_ENOENT, field, "%s", missing);
		break;
	default:
		rc = sql_err(db, what);
	}
	sqlite3_finalize(st);
	return rc;
}

static void
col_text(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	str_copy(dst, s ? (const char *)s : "", size);
}

/*
 * Transactions: a write opens its own IMMEDIATE transaction unless the
 * caller already holds one (erm_begin).  IMMEDIATE takes the write lock
 * up front, so two allocators serialise instead of both reading the same
 * free node and one failing late.
 */
static int
tx_begin(struct erm *db, int *opened)
{
	*opened = 0;
	if (db->in_tx)
		return ERM_OK;
	if (sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sql_err(db, "starting a transaction");
	*opened = 1;
	return ERM_OK;
}

static int
tx_end(struct erm *db, int opened, int rc)
{
	if (!opened)
		return rc;
	if (rc == ERM_OK) {
		if (sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			rc = sql_err(db, "committing");
			sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
		}
	} else {
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

int
erm_begin(struct erm *db)
{
	int opened;
	int rc;

	if (db->in_tx)
		return set_err(db, ERM_EINVAL, NULL, "a transaction is already open");
	rc = tx_begin(db, &opened);
	if (rc == ERM_OK)
		db->in_tx = 1;
	return rc;
}

int
erm_commit(struct erm *db)
{
	db->in_tx = 0;
	return tx_end(db, 1, ERM_OK);
}

void
erm_rollback(struct erm *db)
{
	if (!db->in_tx)
		return;
	db->in_tx = 0;
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int
erm_schema_version(struct erm *db, int *version)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(db, &st, "PRAGMA user_version")) != ERM_OK)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sql_err(db, "reading the schema version");
	}
	*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return ERM_OK;
}

int
erm_migrate(struct erm *db, int version)
{
	char sql[64];
	int cur, rc, opened;

	if (version < 1 || version > ERM_SCHEMA_VERSION)
		return set_err(db, ERM_EINVAL, NULL, "no schema version %d (this program knows 1..%d)",
		    version, ERM_SCHEMA_VERSION);
	/* The version is read inside the write transaction, so two programs
	 * opening a fresh database at once migrate it exactly once. */
	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	if ((rc = erm_schema_version(db, &cur)) != ERM_OK)
		return tx_end(db, opened, rc);
	if (cur > ERM_SCHEMA_VERSION) {
		rc = set_err(db, ERM_EVERSION, NULL,
		    "the database has schema version %d, newer than this program's %d; "
		    "upgrade springos", cur, ERM_SCHEMA_VERSION);
		return tx_end(db, opened, rc);
	}
	for (; cur < version && rc == ERM_OK; cur++) {
		rc = exec(db, migrations[cur], "migrating the schema");
		if (rc == ERM_OK) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", cur + 1);
			rc = exec(db, sql, "recording the schema version");
		}
	}
	return tx_end(db, opened, rc);
}

int
erm_open(const char *path, int flags, struct erm **out, char *err, size_t errlen)
{
	struct erm *db;
	int rc;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "%s: out of memory", path);
		return ERM_EDB;
	}
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL) != SQLITE_OK) {
		rc = set_err(db, ERM_EDB, NULL, "%s: cannot open the database: %s", path,
		    db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->sql, ERM_BUSY_TIMEOUT_MS);
	/* WAL: readers never block the writer.  synchronous=FULL: a commit
	 * that returned is on disk, which leases and allocations rely on. */
	if ((rc = exec(db, "PRAGMA journal_mode = WAL", "enabling WAL")) != ERM_OK ||
	    (rc = exec(db, "PRAGMA synchronous = FULL", "setting synchronous")) != ERM_OK ||
	    (rc = exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys")) != ERM_OK)
		goto fail;
	if (!(flags & ERM_OPEN_NO_MIGRATE) &&
	    (rc = erm_migrate(db, ERM_SCHEMA_VERSION)) != ERM_OK)
		goto fail;
	*out = db;
	return ERM_OK;
fail:
	if (err != NULL)
		snprintf(err, errlen, "%s", db->msg);
	erm_close(db);
	return rc;
}

void
erm_close(struct erm *db)
{
	if (db == NULL)
		return;
	if (db->in_tx)
		erm_rollback(db);
	sqlite3_close(db->sql);
	free(db);
}

/* Names of nodes, switches, images, experiments: what a shell, a file
 * name and a DNS label can all carry. */
static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= ERM_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	}
	return 1;
}

static int
check_name(struct erm *db, const char *what, const char *s)
{
	if (valid_name(s))
		return ERM_OK;
	return set_err(db, ERM_EINVAL, "name",
	    "%s name '%.*s' is invalid (1-%d characters of A-Z a-z 0-9 - _ .)", what,
	    ERM_NAME_MAX, s, ERM_NAME_MAX - 1);
}

/* ---- switches ------------------------------------------------------- */

int
erm_switch_add(struct erm *db, const struct erm_switch *sw)
{
	sqlite3_stmt *st;
	int rc, opened;

	if ((rc = check_name(db, "switch", sw->name)) != ERM_OK)
		return rc;
	if (sw->ports < 0 || sw->ports > 65535)
		return set_err(db, ERM_EINVAL, "ports", "switch %s: %d ports is out of range",
		    sw->name, sw->ports);
	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	/* Adding a switch that exists updates it: springos.ini is where
	 * switches are declared, and it is re-read on every import. */
	rc = prepare(db, &st,
	    "INSERT INTO switches (name, driver, address, ports) VALUES (?, ?, ?, ?) "
	    "ON CONFLICT (name) DO UPDATE SET driver = excluded.driver, "
	    "address = excluded.address, ports = excluded.ports");
	if (rc == ERM_OK) {
		bind_text(st, 1, sw->name, 0);
		bind_text(st, 2, sw->driver, 0);
		bind_text(st, 3, sw->address, 0);
		sqlite3_bind_int(st, 4, sw->ports);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "adding a switch");
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

static void
switch_from_row(sqlite3_stmt *st, void *arg)
{
	struct erm_switch *out = arg;

	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->name, sizeof(out->name));
	col_text(st, 1, out->driver, sizeof(out->driver));
	col_text(st, 2, out->address, sizeof(out->address));
	out->ports = sqlite3_column_int(st, 3);
}

int
erm_switch_get(struct erm *db, const char *name, struct erm_switch *out)
{
	char missing[ERM_NAME_MAX + 32];

	snprintf(missing, sizeof(missing), "unknown switch '%s'", name);
	return get_row(db, "SELECT name, driver, address, ports FROM switches WHERE name = ?",
	    name, switch_from_row, out, "switch", missing, "reading a switch");
}

int
erm_switch_list(struct erm *db, erm_switch_cb cb, void *ctx)
{
	struct erm_switch sw;
	sqlite3_stmt *st;
	int rc, step;

	rc = prepare(db, &st, "SELECT name, driver, address, ports FROM switches ORDER BY name");
	if (rc != ERM_OK)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		switch_from_row(st, &sw);
		if (cb(&sw, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sql_err(db, "listing switches");
	sqlite3_finalize(st);
	return rc;
}

/* ---- nodes ---------------------------------------------------------- */

static const char *const boot_names[] = { "none", "install", "local" };
static const char *const kind_names[] = { "physical", "vm" };

const char *
erm_boot_mode_name(enum erm_boot_mode mode)
{
	return (unsigned)mode < ARRAY_LEN(boot_names) ? boot_names[mode] : "?";
}

int
erm_boot_mode_parse(const char *s, enum erm_boot_mode *out)
{
	for (size_t i = 0; i < ARRAY_LEN(boot_names); i++) {
		if (strcmp(s, boot_names[i]) == 0) {
			*out = (enum erm_boot_mode)i;
			return 0;
		}
	}
	return -1;
}

const char *
erm_node_kind_name(enum erm_node_kind kind)
{
	return (unsigned)kind < ARRAY_LEN(kind_names) ? kind_names[kind] : "?";
}

int
erm_node_kind_parse(const char *s, enum erm_node_kind *out)
{
	for (size_t i = 0; i < ARRAY_LEN(kind_names); i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum erm_node_kind)i;
			return 0;
		}
	}
	return -1;
}

/* Who already has this MAC, as a phrase ("the management MAC of node n01",
 * "netif1 of node n02"); 0 when nobody does. */
static int
mac_owner(struct erm *db, const char *mac, char *who, size_t wholen, int *found)
{
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	rc = prepare(db, &st,
	    "SELECT name, -1 FROM nodes WHERE mgmt_mac = ?1 UNION ALL "
	    "SELECT n.name, i.idx FROM interfaces i JOIN nodes n ON n.id = i.node_id "
	    "WHERE i.mac = ?1 LIMIT 1");
	if (rc != ERM_OK)
		return rc;
	bind_text(st, 1, mac, 0);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*found = 1;
		if (sqlite3_column_int(st, 1) < 0)
			snprintf(who, wholen, "the management MAC of node %s",
			    (const char *)sqlite3_column_text(st, 0));
		else
			snprintf(who, wholen, "netif%d of node %s", sqlite3_column_int(st, 1),
			    (const char *)sqlite3_column_text(st, 0));
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = sql_err(db, "looking up a MAC");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Looks up one text value with one text parameter; *found says if a row came. */
static int
lookup_text(struct erm *db, const char *sql, const char *arg, char *out, size_t outlen,
    int *found)
{
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if ((rc = prepare(db, &st, sql)) != ERM_OK)
		return rc;
	bind_text(st, 1, arg, 0);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*found = 1;
		col_text(st, 0, out, outlen);
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = sql_err(db, "looking up");
	}
	sqlite3_finalize(st);
	return rc;
}

static int
lookup_id(struct erm *db, const char *sql, const char *arg, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if ((rc = prepare(db, &st, sql)) != ERM_OK)
		return rc;
	bind_text(st, 1, arg, 0);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*id = sqlite3_column_int64(st, 0);
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = sql_err(db, "looking up");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Everything about a node that does not need the database. */
static int
node_check_fields(struct erm *db, const struct erm_node *n)
{
	char canon[MAC_STRLEN], mgmt[MAC_STRLEN];
	uint32_t ip;
	int rc;

	if ((rc = check_name(db, "node", n->name)) != ERM_OK)
		return rc;
	if ((unsigned)n->kind > ERM_VM)
		return set_err(db, ERM_EINVAL, "kind", "node %s: bad kind", n->name);
	if ((unsigned)n->boot > ERM_BOOT_LOCAL)
		return set_err(db, ERM_EINVAL, "boot", "node %s: bad boot mode", n->name);
	if (mac_normalize(n->mac, mgmt) != 0)
		return set_err(db, ERM_EINVAL, "mac", "node %s: malformed MAC '%s'", n->name, n->mac);
	if (n->ip[0] != '\0' && ipv4_parse(n->ip, &ip) != 0)
		return set_err(db, ERM_EINVAL, "ip", "node %s: malformed IPv4 address '%s'",
		    n->name, n->ip);
	if (n->maxvnodes < 0 || n->maxvnodes > 4096)
		return set_err(db, ERM_EINVAL, "maxvnodes", "node %s: maxvnodes %d is out of range",
		    n->name, n->maxvnodes);
	if (n->kind == ERM_VM && n->host[0] == '\0')
		return set_err(db, ERM_EINVAL, "host", "node %s: a vm needs a host", n->name);
	if (n->kind == ERM_PHYSICAL && n->host[0] != '\0')
		return set_err(db, ERM_EINVAL, "host", "node %s: only a vm has a host", n->name);
	if (n->n_ifaces < 0 || n->n_ifaces > ERM_MAX_IFACES)
		return set_err(db, ERM_EINVAL, "netif", "node %s: at most %d interfaces", n->name,
		    ERM_MAX_IFACES);
	for (int i = 0; i < n->n_ifaces; i++) {
		const struct erm_iface *f = &n->ifaces[i];
		char field[16];

		snprintf(field, sizeof(field), "netif%d", f->index);
		if (f->index < 0 || f->index >= ERM_MAX_IFACES)
			return set_err(db, ERM_EINVAL, field, "node %s: interface number %d out of range",
			    n->name, f->index);
		if (mac_normalize(f->mac, canon) != 0)
			return set_err(db, ERM_EINVAL, field, "node %s netif%d: malformed MAC '%s'",
			    n->name, f->index, f->mac);
		if ((f->sw[0] == '\0') != (f->port == 0))
			return set_err(db, ERM_EINVAL, field,
			    "node %s netif%d: give both switch and port, or neither", n->name, f->index);
		for (int j = 0; j < i; j++) {
			char other[MAC_STRLEN];

			mac_normalize(n->ifaces[j].mac, other);
			if (n->ifaces[j].index == f->index)
				return set_err(db, ERM_EEXIST, field, "node %s: netif%d given twice",
				    n->name, f->index);
			if (strcmp(other, canon) == 0)
				return set_err(db, ERM_EEXIST, field,
				    "node %s: MAC %s is used by both netif%d and netif%d", n->name,
				    canon, n->ifaces[j].index, f->index);
			if (f->port != 0 && strcmp(n->ifaces[j].sw, f->sw) == 0 &&
			    n->ifaces[j].port == f->port)
				return set_err(db, ERM_EEXIST, field,
				    "node %s: port %s/%d is given to both netif%d and netif%d", n->name,
				    f->sw, f->port, n->ifaces[j].index, f->index);
		}
		if (strcmp(canon, mgmt) == 0)
			return set_err(db, ERM_EEXIST, field,
			    "node %s: netif%d has the management MAC %s", n->name, f->index, canon);
	}
	return ERM_OK;
}

/* The checks that need the database: uniqueness and references.  Done
 * before the INSERT so that the error names the conflict instead of
 * quoting a constraint. */
static int
node_check_conflicts(struct erm *db, const struct erm_node *n, int64_t *host_id,
    int64_t *switch_ids)
{
	char canon[MAC_STRLEN], who[128], owner[ERM_NAME_MAX];
	int rc, found;
	int64_t id;

	if ((rc = lookup_id(db, "SELECT id FROM nodes WHERE name = ?", n->name, &id)) != ERM_OK)
		return rc;
	if (id != 0)
		return set_err(db, ERM_EEXIST, "name", "node %s already exists", n->name);
	mac_normalize(n->mac, canon);
	if ((rc = mac_owner(db, canon, who, sizeof(who), &found)) != ERM_OK)
		return rc;
	if (found)
		return set_err(db, ERM_EEXIST, "mac", "node %s: duplicate MAC %s: already %s",
		    n->name, canon, who);
	if (n->ip[0] != '\0') {
		rc = lookup_text(db, "SELECT name FROM nodes WHERE mgmt_ip = ?", n->ip, owner,
		    sizeof(owner), &found);
		if (rc != ERM_OK)
			return rc;
		if (found)
			return set_err(db, ERM_EEXIST, "ip",
			    "node %s: IP %s is already reserved for node %s", n->name, n->ip, owner);
	}
	*host_id = 0;
	if (n->kind == ERM_VM) {
		sqlite3_stmt *st;

		rc = prepare(db, &st, "SELECT id, kind FROM nodes WHERE name = ?");
		if (rc != ERM_OK)
			return rc;
		bind_text(st, 1, n->host, 0);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*host_id = sqlite3_column_int64(st, 0);
			found = strcmp((const char *)sqlite3_column_text(st, 1), "physical") == 0;
		} else {
			found = -1;
		}
		sqlite3_finalize(st);
		if (found < 0)
			return set_err(db, ERM_ENOENT, "host", "node %s: unknown host node '%s'",
			    n->name, n->host);
		if (!found)
			return set_err(db, ERM_EINVAL, "host", "node %s: host %s is not a physical node",
			    n->name, n->host);
	}
	for (int i = 0; i < n->n_ifaces; i++) {
		const struct erm_iface *f = &n->ifaces[i];
		struct erm_switch sw;
		char field[16];

		snprintf(field, sizeof(field), "netif%d", f->index);
		mac_normalize(f->mac, canon);
		if ((rc = mac_owner(db, canon, who, sizeof(who), &found)) != ERM_OK)
			return rc;
		if (found)
			return set_err(db, ERM_EEXIST, field,
			    "node %s netif%d: duplicate MAC %s: already %s", n->name, f->index, canon, who);
		switch_ids[i] = 0;
		if (f->port == 0)
			continue;
		rc = erm_switch_get(db, f->sw, &sw);
		if (rc == ERM_ENOENT)
			return set_err(db, ERM_ENOENT, field, "node %s netif%d: unknown switch '%s'",
			    n->name, f->index, f->sw);
		if (rc != ERM_OK)
			return rc;
		if (f->port < 1 || (sw.ports > 0 && f->port > sw.ports))
			return set_err(db, ERM_EINVAL, field,
			    "node %s netif%d: port %d is out of range for switch %s (1..%d)", n->name,
			    f->index, f->port, sw.name, sw.ports);
		if ((rc = lookup_id(db, "SELECT id FROM switches WHERE name = ?", f->sw,
		    &switch_ids[i])) != ERM_OK)
			return rc;
		{
			sqlite3_stmt *st;

			rc = prepare(db, &st,
			    "SELECT n.name, i.idx FROM interfaces i JOIN nodes n ON n.id = i.node_id "
			    "WHERE i.switch_id = ? AND i.port = ?");
			if (rc != ERM_OK)
				return rc;
			sqlite3_bind_int64(st, 1, switch_ids[i]);
			sqlite3_bind_int(st, 2, f->port);
			if (sqlite3_step(st) == SQLITE_ROW) {
				rc = set_err(db, ERM_EEXIST, field,
				    "node %s netif%d: port %s/%d is already cabled to node %s netif%d",
				    n->name, f->index, f->sw, f->port,
				    (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
			}
			sqlite3_finalize(st);
			if (rc != ERM_OK)
				return rc;
		}
	}
	return ERM_OK;
}

static int
node_insert(struct erm *db, const struct erm_node *n, int64_t host_id, const int64_t *switch_ids)
{
	char canon[MAC_STRLEN];
	sqlite3_stmt *st;
	int64_t node_id;
	int rc;

	rc = prepare(db, &st,
	    "INSERT INTO nodes (name, kind, class, mgmt_mac, mgmt_ip, power, power_params, "
	    "boot, state, host_id, maxvnodes, vntype) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	if (rc != ERM_OK)
		return rc;
	mac_normalize(n->mac, canon);
	bind_text(st, 1, n->name, 0);
	bind_text(st, 2, erm_node_kind_name(n->kind), 0);
	bind_text(st, 3, n->node_class, 0);
	bind_text(st, 4, canon, 0);
	bind_text(st, 5, n->ip, 1);
	bind_text(st, 6, n->power[0] ? n->power : "manual", 0);
	bind_text(st, 7, n->power_params, 0);
	bind_text(st, 8, erm_boot_mode_name(n->boot), 0);
	bind_text(st, 9, n->state[0] ? n->state : "new", 0);
	if (host_id != 0)
		sqlite3_bind_int64(st, 10, host_id);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int(st, 11, n->maxvnodes);
	bind_text(st, 12, n->vntype, 0);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sql_err(db, "adding a node");
	sqlite3_finalize(st);
	if (rc != ERM_OK)
		return rc;
	node_id = sqlite3_last_insert_rowid(db->sql);

	for (int i = 0; i < n->n_ifaces && rc == ERM_OK; i++) {
		const struct erm_iface *f = &n->ifaces[i];

		rc = prepare(db, &st,
		    "INSERT INTO interfaces (node_id, idx, mac, media, switch_id, port) "
		    "VALUES (?,?,?,?,?,?)");
		if (rc != ERM_OK)
			break;
		mac_normalize(f->mac, canon);
		sqlite3_bind_int64(st, 1, node_id);
		sqlite3_bind_int(st, 2, f->index);
		bind_text(st, 3, canon, 0);
		bind_text(st, 4, f->media[0] ? f->media : "ethernet", 0);
		if (f->port != 0) {
			sqlite3_bind_int64(st, 5, switch_ids[i]);
			sqlite3_bind_int(st, 6, f->port);
		} else {
			sqlite3_bind_null(st, 5);
			sqlite3_bind_null(st, 6);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "adding an interface");
		sqlite3_finalize(st);
	}
	return rc;
}

int
erm_node_add(struct erm *db, const struct erm_node *node)
{
	int64_t host_id = 0, switch_ids[ERM_MAX_IFACES] = { 0 };
	int rc, opened;

	if ((rc = node_check_fields(db, node)) != ERM_OK)
		return rc;
	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	rc = node_check_conflicts(db, node, &host_id, switch_ids);
	if (rc == ERM_OK)
		rc = node_insert(db, node, host_id, switch_ids);
	return tx_end(db, opened, rc);
}

#define NODE_COLUMNS \
	"n.id, n.name, n.kind, n.class, n.mgmt_mac, COALESCE(n.mgmt_ip, ''), n.power, " \
	"n.power_params, n.boot, n.state, COALESCE(h.name, ''), n.maxvnodes, n.vntype, " \
	"COALESCE(e.name, '') FROM nodes n LEFT JOIN nodes h ON h.id = n.host_id " \
	"LEFT JOIN allocations a ON a.node_id = n.id " \
	"LEFT JOIN experiments e ON e.id = a.experiment_id "

static void
node_from_row(sqlite3_stmt *st, void *arg)
{
	struct erm_node *n = arg;
	char buf[32];

	memset(n, 0, sizeof(*n));
	n->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, n->name, sizeof(n->name));
	col_text(st, 2, buf, sizeof(buf));
	erm_node_kind_parse(buf, &n->kind);
	col_text(st, 3, n->node_class, sizeof(n->node_class));
	col_text(st, 4, n->mac, sizeof(n->mac));
	col_text(st, 5, n->ip, sizeof(n->ip));
	col_text(st, 6, n->power, sizeof(n->power));
	col_text(st, 7, n->power_params, sizeof(n->power_params));
	col_text(st, 8, buf, sizeof(buf));
	erm_boot_mode_parse(buf, &n->boot);
	col_text(st, 9, n->state, sizeof(n->state));
	col_text(st, 10, n->host, sizeof(n->host));
	n->maxvnodes = sqlite3_column_int(st, 11);
	col_text(st, 12, n->vntype, sizeof(n->vntype));
	col_text(st, 13, n->experiment, sizeof(n->experiment));
}

static int
node_load_ifaces(struct erm *db, struct erm_node *n)
{
	sqlite3_stmt *st;
	int rc, step;

	rc = prepare(db, &st,
	    "SELECT i.idx, i.mac, i.media, COALESCE(s.name, ''), COALESCE(i.port, 0) "
	    "FROM interfaces i LEFT JOIN switches s ON s.id = i.switch_id "
	    "WHERE i.node_id = ? ORDER BY i.idx");
	if (rc != ERM_OK)
		return rc;
	sqlite3_bind_int64(st, 1, n->id);
	n->n_ifaces = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW && n->n_ifaces < ERM_MAX_IFACES) {
		struct erm_iface *f = &n->ifaces[n->n_ifaces++];

		f->index = sqlite3_column_int(st, 0);
		col_text(st, 1, f->mac, sizeof(f->mac));
		col_text(st, 2, f->media, sizeof(f->media));
		col_text(st, 3, f->sw, sizeof(f->sw));
		f->port = sqlite3_column_int(st, 4);
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sql_err(db, "reading interfaces");
	sqlite3_finalize(st);
	return rc;
}

static int
node_get_where(struct erm *db, const char *where, const char *arg, struct erm_node *out,
    const char *what)
{
	char sql[1024], missing[ERM_NAME_MAX + 64];
	int rc;

	snprintf(sql, sizeof(sql), "SELECT " NODE_COLUMNS "WHERE %s", where);
	snprintf(missing, sizeof(missing), "no node with %s %s", what, arg);
	rc = get_row(db, sql, arg, node_from_row, out, "name", missing, "reading a node");
	if (rc == ERM_OK)
		rc = node_load_ifaces(db, out);
	return rc;
}

int
erm_node_get(struct erm *db, const char *name, struct erm_node *out)
{
	return node_get_where(db, "n.name = ?1", name, out, "name");
}

int
erm_node_by_mac(struct erm *db, const char *mac, struct erm_node *out)
{
	char canon[MAC_STRLEN];

	if (mac_normalize(mac, canon) != 0)
		return set_err(db, ERM_EINVAL, "mac", "malformed MAC '%s'", mac);
	return node_get_where(db,
	    "n.mgmt_mac = ?1 OR n.id = (SELECT node_id FROM interfaces WHERE mac = ?1)", canon,
	    out, "MAC");
}

int
erm_node_list(struct erm *db, erm_node_cb cb, void *ctx)
{
	struct erm_node *n;
	sqlite3_stmt *st;
	int rc, step;

	n = malloc(sizeof(*n));
	if (n == NULL)
		return set_err(db, ERM_EDB, NULL, "out of memory");
	rc = prepare(db, &st, "SELECT " NODE_COLUMNS "ORDER BY n.name");
	if (rc != ERM_OK) {
		free(n);
		return rc;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		node_from_row(st, n);
		if ((rc = node_load_ifaces(db, n)) != ERM_OK || cb(n, ctx) != 0)
			break;
	}
	if (rc == ERM_OK && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sql_err(db, "listing nodes");
	sqlite3_finalize(st);
	free(n);
	return rc;
}

/* UPDATE nodes SET column = value WHERE name = name, in its own transaction. */
static int
node_update(struct erm *db, const char *sql, const char *value, const char *name)
{
	sqlite3_stmt *st;
	int rc, opened;

	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	if ((rc = prepare(db, &st, sql)) == ERM_OK) {
		bind_text(st, 1, value, 0);
		bind_text(st, 2, name, 0);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "updating a node");
		else if (sqlite3_changes(db->sql) == 0)
			rc = set_err(db, ERM_ENOENT, "name", "no node named %s", name);
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

int
erm_node_set_boot(struct erm *db, const char *name, enum erm_boot_mode mode)
{
	if ((unsigned)mode > ERM_BOOT_LOCAL)
		return set_err(db, ERM_EINVAL, "boot", "bad boot mode");
	return node_update(db, "UPDATE nodes SET boot = ?1 WHERE name = ?2",
	    erm_boot_mode_name(mode), name);
}

int
erm_node_set_state(struct erm *db, const char *name, const char *state)
{
	if (strlen(state) >= sizeof(((struct erm_node *)0)->state))
		return set_err(db, ERM_EINVAL, "state", "state '%s' is too long", state);
	return node_update(db, "UPDATE nodes SET state = ?1 WHERE name = ?2", state, name);
}

int
erm_node_delete(struct erm *db, const char *name)
{
	sqlite3_stmt *st;
	int rc, opened;

	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	if ((rc = prepare(db, &st, "DELETE FROM nodes WHERE name = ?")) == ERM_OK) {
		bind_text(st, 1, name, 0);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "deleting a node (does a vm still name it as host?)");
		else if (sqlite3_changes(db->sql) == 0)
			rc = set_err(db, ERM_ENOENT, "name", "no node named %s", name);
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

/* ---- images --------------------------------------------------------- */

static int
valid_sha256(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
erm_image_add(struct erm *db, const struct erm_image *img)
{
	static const char *const formats[] = { "raw", "gzip", "zstd", "vmdk", "sosimg" };
	sqlite3_stmt *st;
	int rc, opened, known = 0;
	int64_t id;

	if ((rc = check_name(db, "image", img->name)) != ERM_OK)
		return rc;
	for (size_t i = 0; i < ARRAY_LEN(formats); i++)
		known |= strcmp(img->format, formats[i]) == 0;
	if (!known)
		return set_err(db, ERM_EINVAL, "format",
		    "image %s: unknown format '%s' (raw, gzip, zstd, vmdk, sosimg)", img->name,
		    img->format);
	if (img->path[0] == '\0' || img->size < 0)
		return set_err(db, ERM_EINVAL, "path", "image %s: needs a path and a size", img->name);
	if (!valid_sha256(img->sha256))
		return set_err(db, ERM_EINVAL, "sha256",
		    "image %s: sha256 must be 64 lower-case hex digits", img->name);
	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	rc = lookup_id(db, "SELECT id FROM images WHERE name = ?", img->name, &id);
	if (rc == ERM_OK && id != 0)
		rc = set_err(db, ERM_EEXIST, "name", "image %s already exists", img->name);
	if (rc == ERM_OK && (rc = prepare(db, &st,
	    "INSERT INTO images (name, path, format, size, sha256, added) VALUES (?,?,?,?,?,?)"))
	    == ERM_OK) {
		bind_text(st, 1, img->name, 0);
		bind_text(st, 2, img->path, 0);
		bind_text(st, 3, img->format, 0);
		sqlite3_bind_int64(st, 4, img->size);
		bind_text(st, 5, img->sha256, 0);
		sqlite3_bind_int64(st, 6, img->added ? img->added : (int64_t)time(NULL));
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "adding an image");
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

static void
image_from_row(sqlite3_stmt *st, void *arg)
{
	struct erm_image *img = arg;

	memset(img, 0, sizeof(*img));
	col_text(st, 0, img->name, sizeof(img->name));
	col_text(st, 1, img->path, sizeof(img->path));
	col_text(st, 2, img->format, sizeof(img->format));
	img->size = sqlite3_column_int64(st, 3);
	col_text(st, 4, img->sha256, sizeof(img->sha256));
	img->added = sqlite3_column_int64(st, 5);
}

int
erm_image_get(struct erm *db, const char *name, struct erm_image *out)
{
	char missing[ERM_NAME_MAX + 32];

	snprintf(missing, sizeof(missing), "no image named %s", name);
	return get_row(db,
	    "SELECT name, path, format, size, sha256, added FROM images WHERE name = ?", name,
	    image_from_row, out, "name", missing, "reading an image");
}

int
erm_image_list(struct erm *db, erm_image_cb cb, void *ctx)
{
	struct erm_image img;
	sqlite3_stmt *st;
	int rc, step;

	rc = prepare(db, &st,
	    "SELECT name, path, format, size, sha256, added FROM images ORDER BY name");
	if (rc != ERM_OK)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		image_from_row(st, &img);
		if (cb(&img, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sql_err(db, "listing images");
	sqlite3_finalize(st);
	return rc;
}

/* ---- experiments and allocation ------------------------------------- */

int
erm_experiment_create(struct erm *db, const char *name, const char *owner)
{
	sqlite3_stmt *st;
	int rc, opened;
	int64_t id;

	if ((rc = check_name(db, "experiment", name)) != ERM_OK)
		return rc;
	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	rc = lookup_id(db, "SELECT id FROM experiments WHERE name = ?", name, &id);
	if (rc == ERM_OK && id != 0)
		rc = set_err(db, ERM_EEXIST, "name", "experiment %s already exists", name);
	if (rc == ERM_OK && (rc = prepare(db, &st,
	    "INSERT INTO experiments (name, owner, created) VALUES (?, ?, ?)")) == ERM_OK) {
		bind_text(st, 1, name, 0);
		bind_text(st, 2, owner ? owner : "", 0);
		sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "creating an experiment");
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

static int
experiment_id(struct erm *db, const char *name, int64_t *id)
{
	int rc = lookup_id(db, "SELECT id FROM experiments WHERE name = ?", name, id);

	if (rc == ERM_OK && *id == 0)
		rc = set_err(db, ERM_ENOENT, "experiment", "no experiment named %s", name);
	return rc;
}

/* Runs one statement with one int64 parameter. */
static int
exec_id(struct erm *db, const char *sql, int64_t id, const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(db, &st, sql)) != ERM_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sql_err(db, what);
	sqlite3_finalize(st);
	return rc;
}

int
erm_experiment_delete(struct erm *db, const char *name)
{
	int rc, opened;
	int64_t id;

	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	rc = experiment_id(db, name, &id);
	if (rc == ERM_OK)
		rc = exec_id(db, "DELETE FROM allocations WHERE experiment_id = ?", id,
		    "releasing nodes");
	if (rc == ERM_OK)
		rc = exec_id(db, "DELETE FROM experiments WHERE id = ?", id, "deleting an experiment");
	return tx_end(db, opened, rc);
}

int
erm_allocate(struct erm *db, const char *experiment, const char *node_class, int count,
    int64_t *ids)
{
	sqlite3_stmt *st;
	int rc, opened, got = 0, step;
	int64_t exp_id;

	if (count <= 0)
		return set_err(db, ERM_EINVAL, "count", "allocate: count must be positive");
	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	if ((rc = experiment_id(db, experiment, &exp_id)) != ERM_OK)
		return tx_end(db, opened, rc);
	/* Inside the write transaction nobody else can allocate between
	 * this SELECT and the INSERTs below. */
	rc = prepare(db, &st,
	    "SELECT n.id FROM nodes n WHERE (?1 = '' OR n.class = ?1) AND "
	    "NOT EXISTS (SELECT 1 FROM allocations a WHERE a.node_id = n.id) "
	    "ORDER BY n.name LIMIT ?2");
	if (rc != ERM_OK)
		return tx_end(db, opened, rc);
	bind_text(st, 1, node_class ? node_class : "", 0);
	sqlite3_bind_int(st, 2, count);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		ids[got++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return tx_end(db, opened, sql_err(db, "finding free nodes"));
	if (got < count) {
		rc = set_err(db, ERM_ENOSPACE, "count",
		    "experiment %s wants %d nodes%s%s, only %d are free", experiment, count,
		    node_class && *node_class ? " of class " : "", node_class ? node_class : "", got);
		return tx_end(db, opened, rc);
	}
	for (int i = 0; i < got && rc == ERM_OK; i++) {
		if ((rc = prepare(db, &st,
		    "INSERT INTO allocations (node_id, experiment_id, since) VALUES (?, ?, ?)"))
		    != ERM_OK)
			break;
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, exp_id);
		sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "allocating a node");
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

int
erm_release(struct erm *db, const char *experiment)
{
	int rc, opened;
	int64_t id;

	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	rc = experiment_id(db, experiment, &id);
	if (rc == ERM_OK)
		rc = exec_id(db, "DELETE FROM allocations WHERE experiment_id = ?", id,
		    "releasing nodes");
	return tx_end(db, opened, rc);
}

/* ---- leases --------------------------------------------------------- */

static void
lease_from_row(sqlite3_stmt *st, void *arg)
{
	struct erm_lease *out = arg;

	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->ip, sizeof(out->ip));
	col_text(st, 1, out->mac, sizeof(out->mac));
	out->expires = sqlite3_column_int64(st, 2);
	col_text(st, 3, out->state, sizeof(out->state));
}

static int
lease_get(struct erm *db, const char *where, const char *arg, struct erm_lease *out)
{
	char sql[256], missing[128];

	snprintf(sql, sizeof(sql), "SELECT ip, mac, expires, state FROM leases WHERE %s", where);
	snprintf(missing, sizeof(missing), "no lease for %s", arg);
	return get_row(db, sql, arg, lease_from_row, out, NULL, missing, "reading a lease");
}

int
erm_lease_get_by_mac(struct erm *db, const char *mac, struct erm_lease *out)
{
	char canon[MAC_STRLEN];

	if (mac_normalize(mac, canon) != 0)
		return set_err(db, ERM_EINVAL, "mac", "malformed MAC '%s'", mac);
	return lease_get(db, "mac = ?1 ORDER BY expires DESC LIMIT 1", canon, out);
}

int
erm_lease_get_by_ip(struct erm *db, const char *ip, struct erm_lease *out)
{
	return lease_get(db, "ip = ?1", ip, out);
}

int
erm_lease_put(struct erm *db, const struct erm_lease *lease)
{
	char canon[MAC_STRLEN];
	sqlite3_stmt *st;
	uint32_t a;
	int rc, opened;

	if (ipv4_parse(lease->ip, &a) != 0)
		return set_err(db, ERM_EINVAL, "ip", "lease: malformed IP '%s'", lease->ip);
	if (mac_normalize(lease->mac, canon) != 0)
		return set_err(db, ERM_EINVAL, "mac", "lease: malformed MAC '%s'", lease->mac);
	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	rc = prepare(db, &st,
	    "INSERT INTO leases (ip, mac, expires, state) VALUES (?,?,?,?) "
	    "ON CONFLICT (ip) DO UPDATE SET mac = excluded.mac, expires = excluded.expires, "
	    "state = excluded.state");
	if (rc == ERM_OK) {
		bind_text(st, 1, lease->ip, 0);
		bind_text(st, 2, canon, 0);
		sqlite3_bind_int64(st, 3, lease->expires);
		bind_text(st, 4, lease->state[0] ? lease->state : "bound", 0);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "writing a lease");
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

int
erm_lease_delete(struct erm *db, const char *ip)
{
	sqlite3_stmt *st;
	int rc, opened;

	if ((rc = tx_begin(db, &opened)) != ERM_OK)
		return rc;
	if ((rc = prepare(db, &st, "DELETE FROM leases WHERE ip = ?")) == ERM_OK) {
		bind_text(st, 1, ip, 0);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, "deleting a lease");
		sqlite3_finalize(st);
	}
	return tx_end(db, opened, rc);
}

sqlite3 *
erm_sqlite(struct erm *db)
{
	return db->sql;
}
