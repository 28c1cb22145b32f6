#include "erm_install.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define COLS "p.id, n.name, p.image, p.url, p.format, p.disk, p.disktype, p.part, " \
	"p.size, p.sha256, p.state, p.percent, p.bytes, p.rate, p.attempts, p.reason, " \
	"p.created, p.updated"

static int
dberr(struct erm *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "database error while %s: %s", what,
	    sqlite3_errmsg(erm_sqlite(db)));
	return ERM_EDB;
}

static void
col(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	str_copy(dst, s ? (const char *)s : "", size);
}

static void
row(sqlite3_stmt *st, struct erm_install *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	col(st, 1, p->node, sizeof(p->node));
	col(st, 2, p->image, sizeof(p->image));
	col(st, 3, p->url, sizeof(p->url));
	col(st, 4, p->format, sizeof(p->format));
	col(st, 5, p->disk, sizeof(p->disk));
	col(st, 6, p->disktype, sizeof(p->disktype));
	p->partition = sqlite3_column_int(st, 7);
	p->size = sqlite3_column_int64(st, 8);
	col(st, 9, p->sha256, sizeof(p->sha256));
	col(st, 10, p->state, sizeof(p->state));
	p->percent = sqlite3_column_int(st, 11);
	p->bytes = sqlite3_column_int64(st, 12);
	p->rate = sqlite3_column_double(st, 13);
	p->attempts = sqlite3_column_int(st, 14);
	col(st, 15, p->reason, sizeof(p->reason));
	p->created = sqlite3_column_int64(st, 16);
	p->updated = sqlite3_column_int64(st, 17);
}

int
erm_install_init(struct erm *db, char *err, size_t errlen)
{
	if (sqlite3_exec(erm_sqlite(db), ERM_INSTALL_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(db, "creating the install_plans table", err, errlen);
	return ERM_OK;
}

int
erm_install_put(struct erm *db, struct erm_install *p, char *err, size_t errlen)
{
	sqlite3 *sql = erm_sqlite(db);
	sqlite3_stmt *st = NULL;
	struct erm_node node;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (p->partition < 0 || p->partition > 128 || p->url[0] == '\0') {
		snprintf(err, errlen, "plan for %s: bad partition or empty URL", p->node);
		return ERM_EINVAL;
	}
	if ((rc = erm_begin(db)) != ERM_OK) {
		snprintf(err, errlen, "%s", erm_errmsg(db));
		return rc;
	}
	if ((rc = erm_node_get(db, p->node, &node)) != ERM_OK) {
		snprintf(err, errlen, "%s", erm_errmsg(db));
		goto fail;
	}
	/* Delete then insert: the new plan gets a new id (AUTOINCREMENT never
	 * reuses one), so a report from an ni still working on the old plan
	 * is recognised as stale and refused. */
	if (sqlite3_prepare_v2(sql, "DELETE FROM install_plans WHERE node_id = ?", -1, &st,
	    NULL) != SQLITE_OK)
		goto dbfail;
	sqlite3_bind_int64(st, 1, node.id);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(sql, "INSERT INTO install_plans (node_id, image, url, format, "
	    "disk, disktype, part, size, sha256, state, percent, created, updated) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto dbfail;
	sqlite3_bind_int64(st, 1, node.id);
	sqlite3_bind_text(st, 2, p->image, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, p->url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, p->format[0] ? p->format : "auto", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, p->disk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, p->disktype, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 7, p->partition);
	sqlite3_bind_int64(st, 8, p->size);
	sqlite3_bind_text(st, 9, p->sha256, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_int64(st, 11, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(st);
	st = NULL;
	p->id = sqlite3_last_insert_rowid(sql);
	if ((rc = erm_node_set_boot(db, p->node, ERM_BOOT_INSTALL)) != ERM_OK ||
	    (rc = erm_node_set_state(db, p->node, "install-pending")) != ERM_OK) {
		snprintf(err, errlen, "%s", erm_errmsg(db));
		goto fail;
	}
	if ((rc = erm_commit(db)) != ERM_OK) {
		snprintf(err, errlen, "%s", erm_errmsg(db));
		return rc;
	}
	return ERM_OK;
dbfail:
	rc = dberr(db, "recording the install plan", err, errlen);
	sqlite3_finalize(st);
fail:
	erm_rollback(db);
	return rc;
}

int
erm_install_get(struct erm *db, const char *node, struct erm_install *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(erm_sqlite(db), "SELECT " COLS " FROM install_plans p "
	    "JOIN nodes n ON n.id = p.node_id WHERE n.name = ?", -1, &st, NULL) != SQLITE_OK)
		return dberr(db, "reading an install plan", err, errlen);
	sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row(st, out);
		rc = ERM_OK;
	} else if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "node %s has no install plan", node);
		rc = ERM_ENOENT;
	} else {
		rc = dberr(db, "reading an install plan", err, errlen);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run one UPDATE on the node's current plan `id`; ERM_ENOENT if it
 * touched nothing. */
static int
update_plan(struct erm *db, sqlite3_stmt *st, const char *node, int64_t id, char *err,
    size_t errlen)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		return dberr(db, "updating an install plan", err, errlen);
	if (sqlite3_changes(erm_sqlite(db)) == 0) {
		snprintf(err, errlen, "plan %lld is not node %s's current install plan",
		    (long long)id, node);
		return ERM_ENOENT;
	}
	return ERM_OK;
}

int
erm_install_progress(struct erm *db, const char *node, int64_t id, const char *state,
    int percent, int64_t bytes, double rate, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (strcmp(state, "starting") != 0 && strcmp(state, "writing") != 0 &&
	    strcmp(state, "verifying") != 0) {
		snprintf(err, errlen, "progress state must be starting, writing or verifying");
		return ERM_EINVAL;
	}
	if (percent < -1 || percent > 100)
		percent = -1;
	/* A plan that already has its result keeps it. */
	if (sqlite3_prepare_v2(erm_sqlite(db), "UPDATE install_plans SET state = ?, "
	    "percent = ?, bytes = ?, rate = ?, updated = ? WHERE id = ? AND state NOT IN "
	    "('done') AND node_id = (SELECT id FROM nodes WHERE name = ?)", -1, &st,
	    NULL) != SQLITE_OK)
		return dberr(db, "updating an install plan", err, errlen);
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, percent);
	sqlite3_bind_int64(st, 3, bytes);
	sqlite3_bind_double(st, 4, rate);
	sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 6, id);
	sqlite3_bind_text(st, 7, node, -1, SQLITE_TRANSIENT);
	rc = update_plan(db, st, node, id, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

int
erm_install_result(struct erm *db, const char *node, int64_t id, int ok,
    const char *reason, int64_t bytes, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = erm_begin(db)) != ERM_OK) {
		snprintf(err, errlen, "%s", erm_errmsg(db));
		return rc;
	}
	if (sqlite3_prepare_v2(erm_sqlite(db), "UPDATE install_plans SET state = ?, "
	    "percent = CASE WHEN ? THEN 100 ELSE percent END, reason = ?, "
	    "attempts = attempts + 1, updated = ?, "
	    "bytes = CASE WHEN ? > 0 THEN ? ELSE bytes END WHERE id = ? AND "
	    "node_id = (SELECT id FROM nodes WHERE name = ?)", -1, &st, NULL) != SQLITE_OK) {
		rc = dberr(db, "updating an install plan", err, errlen);
		goto fail;
	}
	sqlite3_bind_text(st, 1, ok ? "done" : "failed", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ok);
	sqlite3_bind_text(st, 3, ok ? "" : reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 5, ok ? bytes : 0);
	sqlite3_bind_int64(st, 6, bytes);
	sqlite3_bind_int64(st, 7, id);
	sqlite3_bind_text(st, 8, node, -1, SQLITE_TRANSIENT);
	if ((rc = update_plan(db, st, node, id, err, errlen)) != ERM_OK)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (ok)
		rc = erm_node_set_boot(db, node, ERM_BOOT_LOCAL);
	if (rc == ERM_OK)
		rc = erm_node_set_state(db, node, ok ? "installed" : "install-failed");
	if (rc != ERM_OK) {
		snprintf(err, errlen, "%s", erm_errmsg(db));
		goto fail;
	}
	if ((rc = erm_commit(db)) != ERM_OK)
		snprintf(err, errlen, "%s", erm_errmsg(db));
	return rc;
fail:
	sqlite3_finalize(st);
	erm_rollback(db);
	return rc;
}

int
erm_install_list(struct erm *db, erm_install_cb cb, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct erm_install p;
	int rc;

	if (sqlite3_prepare_v2(erm_sqlite(db), "SELECT " COLS " FROM install_plans p "
	    "JOIN nodes n ON n.id = p.node_id ORDER BY n.name", -1, &st, NULL) != SQLITE_OK)
		return dberr(db, "listing install plans", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row(st, &p);
		if (cb(&p, ctx) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = dberr(db, "listing install plans", err, errlen);
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	return ERM_OK;
}
