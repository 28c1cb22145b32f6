#include "erm_vlan.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "erm.h"
#include "util.h"

int
erm_vlan_attach(struct erm *erm, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = erm_sqlite(erm);
	char *msg = NULL;

	*out = NULL;
	if (sqlite3_exec(db, ERM_VLAN_SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database: creating the VLAN tables: %s",
		    msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	*out = db;
	return 0;
}

static int
exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
erm_vlan_begin(sqlite3 *db, char *err, size_t errlen)
{
	return exec(db, "BEGIN IMMEDIATE", err, errlen);
}

int
erm_vlan_commit(sqlite3 *db, char *err, size_t errlen)
{
	return exec(db, "COMMIT", err, errlen);
}

void
erm_vlan_rollback(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

static int
owner_of(sqlite3 *db, const char *sql, const char *sw, int key, char *owner, size_t olen,
    char *net, size_t nlen)
{
	sqlite3_stmt *st;
	char err[128];
	int rc;

	if ((st = prep(db, sql, err, sizeof(err))) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, sw, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		str_copy(owner, (const char *)sqlite3_column_text(st, 0), olen);
		if (net)
			str_copy(net, (const char *)sqlite3_column_text(st, 1), nlen);
		rc = 1;
	} else
		rc = rc == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

int
erm_vlan_owner(sqlite3 *db, const char *sw, int vlan, char *owner, size_t olen)
{
	return owner_of(db, "SELECT experiment, network FROM vlan_allocations "
	    "WHERE switch = ?1 AND vlan = ?2", sw, vlan, owner, olen, NULL, 0);
}

int
erm_vlan_port_owner(sqlite3 *db, const char *sw, int port, char *owner, size_t olen)
{
	return owner_of(db, "SELECT experiment, vlan FROM port_allocations "
	    "WHERE switch = ?1 AND port = ?2", sw, port, owner, olen, NULL, 0);
}

/* The VLAN experiment already holds for network, or 0. */
static int
held_vlan(sqlite3 *db, const char *sw, const char *experiment, const char *network)
{
	sqlite3_stmt *st;
	char err[128];
	int v = 0;

	if ((st = prep(db, "SELECT vlan FROM vlan_allocations WHERE switch = ?1 AND "
	    "experiment = ?2 AND network = ?3", err, sizeof(err))) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, sw, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, experiment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, network, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The lowest id in [vmin, vmax] nobody holds, or 0. */
static int
free_vlan(sqlite3 *db, const char *sw, int vmin, int vmax)
{
	sqlite3_stmt *st;
	char err[128];
	int next = vmin;

	if ((st = prep(db, "SELECT vlan FROM vlan_allocations WHERE switch = ?1 AND "
	    "vlan BETWEEN ?2 AND ?3 ORDER BY vlan", err, sizeof(err))) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, sw, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, vmin);
	sqlite3_bind_int(st, 3, vmax);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int v = sqlite3_column_int(st, 0);

		if (v > next)
			break;
		next = v + 1;
	}
	sqlite3_finalize(st);
	return next <= vmax ? next : 0;
}

int
erm_vlan_reserve(sqlite3 *db, const char *sw, const char *experiment, int vmin, int vmax,
    struct erm_vlan_net *nets, int n, char *err, size_t errlen)
{
	sqlite3_stmt *ins_vlan = NULL, *ins_port = NULL;
	char owner[64], net[64];
	int rc = -1;

	ins_vlan = prep(db, "INSERT INTO vlan_allocations (switch, vlan, experiment, network, "
	    "created) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (switch, vlan) DO UPDATE SET "
	    "network = excluded.network", err, errlen);
	ins_port = prep(db, "INSERT INTO port_allocations (switch, port, experiment, vlan) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (switch, port) DO UPDATE SET vlan = excluded.vlan",
	    err, errlen);
	if (ins_vlan == NULL || ins_port == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		struct erm_vlan_net *nt = &nets[i];
		int held = held_vlan(db, sw, experiment, nt->network);

		if (held < 0)
			goto dberr;
		if (nt->vlan == 0)
			nt->vlan = held;
		if (nt->vlan == 0 && (nt->vlan = free_vlan(db, sw, vmin, vmax)) <= 0) {
			snprintf(err, errlen, "switch %s: no free VLAN id left in %d-%d for network "
			    "'%s' of experiment %s", sw, vmin, vmax, nt->network, experiment);
			goto out;
		}
		if (nt->vlan < vmin || nt->vlan > vmax) {
			snprintf(err, errlen, "switch %s: VLAN %d of network '%s' is outside the "
			    "configured range %d-%d", sw, nt->vlan, nt->network, vmin, vmax);
			goto out;
		}
		if (held != 0 && held != nt->vlan) {
			snprintf(err, errlen, "switch %s: network '%s' of experiment %s already has "
			    "VLAN %d, not %d", sw, nt->network, experiment, held, nt->vlan);
			goto out;
		}
		switch (owner_of(db, "SELECT experiment, network FROM vlan_allocations WHERE "
		    "switch = ?1 AND vlan = ?2", sw, nt->vlan, owner, sizeof(owner), net,
		    sizeof(net))) {
		case -1:
			goto dberr;
		case 1:
			if (strcmp(owner, experiment) != 0) {
				snprintf(err, errlen, "switch %s: VLAN %d is held by experiment %s "
				    "(network '%s')", sw, nt->vlan, owner, net);
				goto out;
			}
			if (strcmp(net, nt->network) != 0) {
				snprintf(err, errlen, "switch %s: VLAN %d is already experiment %s's "
				    "network '%s'", sw, nt->vlan, experiment, net);
				goto out;
			}
		}
		sqlite3_reset(ins_vlan);
		sqlite3_bind_text(ins_vlan, 1, sw, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins_vlan, 2, nt->vlan);
		sqlite3_bind_text(ins_vlan, 3, experiment, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_vlan, 4, nt->network, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins_vlan, 5, (sqlite3_int64)time(NULL));
		if (sqlite3_step(ins_vlan) != SQLITE_DONE)
			goto dberr;
		for (int k = 0; k < nt->nports; k++) {
			int p = nt->ports[k];

			switch (erm_vlan_port_owner(db, sw, p, owner, sizeof(owner))) {
			case -1:
				goto dberr;
			case 1:
				if (strcmp(owner, experiment) != 0) {
					snprintf(err, errlen, "switch %s: port %d is held by experiment %s",
					    sw, p, owner);
					goto out;
				}
			}
			sqlite3_reset(ins_port);
			sqlite3_bind_text(ins_port, 1, sw, -1, SQLITE_STATIC);
			sqlite3_bind_int(ins_port, 2, p);
			sqlite3_bind_text(ins_port, 3, experiment, -1, SQLITE_STATIC);
			sqlite3_bind_int(ins_port, 4, nt->vlan);
			if (sqlite3_step(ins_port) != SQLITE_DONE)
				goto dberr;
		}
	}
	rc = 0;
	goto out;
dberr:
	snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(ins_vlan);
	sqlite3_finalize(ins_port);
	return rc;
}

int
erm_vlan_list(sqlite3 *db, const char *sw, const char *experiment, erm_vlan_cb cb, void *ctx,
    char *err, size_t errlen)
{
	sqlite3_stmt *st, *ps;
	struct erm_vlan_row row;
	int rc = 0, s;

	st = prep(db, "SELECT switch, vlan, experiment, network FROM vlan_allocations WHERE "
	    "(?1 = '' OR switch = ?1) AND (?2 = '' OR experiment = ?2) ORDER BY switch, vlan",
	    err, errlen);
	ps = prep(db, "SELECT port FROM port_allocations WHERE switch = ?1 AND vlan = ?2 "
	    "ORDER BY port", err, errlen);
	if (st == NULL || ps == NULL) {
		sqlite3_finalize(st);
		sqlite3_finalize(ps);
		return -1;
	}
	sqlite3_bind_text(st, 1, sw, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, experiment, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		str_copy(row.sw, (const char *)sqlite3_column_text(st, 0), sizeof(row.sw));
		row.vlan = sqlite3_column_int(st, 1);
		str_copy(row.experiment, (const char *)sqlite3_column_text(st, 2),
		    sizeof(row.experiment));
		str_copy(row.network, (const char *)sqlite3_column_text(st, 3), sizeof(row.network));
		sqlite3_reset(ps);
		sqlite3_bind_text(ps, 1, row.sw, -1, SQLITE_STATIC);
		sqlite3_bind_int(ps, 2, row.vlan);
		while (sqlite3_step(ps) == SQLITE_ROW && row.nports < (int)ARRAY_LEN(row.ports))
			row.ports[row.nports++] = sqlite3_column_int(ps, 0);
		if ((rc = cb(&row, ctx)) != 0)
			break;
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ps);
	return rc;
}

int
erm_vlan_release(sqlite3 *db, const char *sw, const char *experiment, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = 0;

	if ((st = prep(db, "DELETE FROM vlan_allocations WHERE switch = ?1 AND experiment = ?2",
	    err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, sw, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, experiment, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	if (rc == 0) {
		/* The foreign key cascades; delete explicitly too in case a
		 * connection runs without foreign_keys. */
		if ((st = prep(db, "DELETE FROM port_allocations WHERE switch = ?1 AND "
		    "experiment = ?2", err, errlen)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, sw, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, experiment, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
			rc = -1;
		}
		sqlite3_finalize(st);
	}
	return rc;
}
