/* erm_vlan: which experiment owns which VLAN id and which switch port.
 *
 * A separate module beside erm, over erm's SQLite handle (erm_sqlite).
 * Its tables are created by erm's schema migration 3 (lib/erm.c);
 * ERM_VLAN_SCHEMA is the same SQL, idempotent, which erm_vlan_attach()
 * also runs so a handle opened without migrating still works.
 *
 * Two experiments can never share a VLAN or a port: (switch, vlan) and
 * (switch, port) are primary keys, and every reservation checks the
 * owner first so the error can name it.  swconf holds one IMMEDIATE
 * transaction (erm_vlan_begin .. commit/rollback) around reserving and
 * configuring the switch: the reservation lands only if the switch took
 * the change, and two swconf runs on one switch are serialised (they
 * would otherwise race on read-modify-write of PortLists). */
#ifndef SPRINGOS_ERM_VLAN_H
#define SPRINGOS_ERM_VLAN_H

#include <sqlite3.h>
#include <stddef.h>

#define ERM_VLAN_SCHEMA \
	"CREATE TABLE IF NOT EXISTS vlan_allocations (\n" \
	"  switch     TEXT NOT NULL,\n" \
	"  vlan       INTEGER NOT NULL CHECK (vlan BETWEEN 1 AND 4094),\n" \
	"  experiment TEXT NOT NULL,\n" \
	"  network    TEXT NOT NULL,\n" \
	"  created    INTEGER NOT NULL,\n" \
	"  PRIMARY KEY (switch, vlan),\n" \
	"  UNIQUE (switch, experiment, network)\n" \
	");\n" \
	"CREATE TABLE IF NOT EXISTS port_allocations (\n" \
	"  switch     TEXT NOT NULL,\n" \
	"  port       INTEGER NOT NULL CHECK (port >= 1),\n" \
	"  experiment TEXT NOT NULL,\n" \
	"  vlan       INTEGER NOT NULL,\n" \
	"  PRIMARY KEY (switch, port),\n" \
	"  FOREIGN KEY (switch, vlan) REFERENCES vlan_allocations (switch, vlan)\n" \
	"    ON DELETE CASCADE\n" \
	");\n" \
	"CREATE INDEX IF NOT EXISTS vlan_allocations_experiment\n" \
	"  ON vlan_allocations (experiment);\n"


struct erm_vlan_net {
	char network[64];  /* the experiment's network name, "ethnet-0" */
	int vlan;          /* in: 0 = choose; out: the VLAN id */
	int nports;
	const int *ports;
};

struct erm_vlan_row {
	char sw[64];
	int vlan;
	char experiment[64];
	char network[64];
	int nports;
	int ports[512];
};

struct erm;
/* The handle of an open erm, with the VLAN tables present. */
int erm_vlan_attach(struct erm *erm, sqlite3 **out, char *err, size_t errlen);

int erm_vlan_begin(sqlite3 *db, char *err, size_t errlen);
int erm_vlan_commit(sqlite3 *db, char *err, size_t errlen);
void erm_vlan_rollback(sqlite3 *db);

/* Inside a transaction: give experiment the networks nets[0..n) on switch
 * sw.  A network it already holds keeps its VLAN; a new one without an id
 * gets the lowest free id in [vmin, vmax].  A VLAN or port held by another
 * experiment, or an id outside the range, is an error naming it. */
int erm_vlan_reserve(sqlite3 *db, const char *sw, const char *experiment, int vmin, int vmax,
    struct erm_vlan_net *nets, int n, char *err, size_t errlen);
/* Who holds a VLAN / a port: 1 and owner filled, 0 if free, -1 error. */
int erm_vlan_owner(sqlite3 *db, const char *sw, int vlan, char *owner, size_t olen);
int erm_vlan_port_owner(sqlite3 *db, const char *sw, int port, char *owner, size_t olen);
/* Every VLAN (with its ports) of experiment on sw ("" = every experiment),
 * in VLAN order; cb returning non-zero stops. */
typedef int (*erm_vlan_cb)(const struct erm_vlan_row *row, void *ctx);
int erm_vlan_list(sqlite3 *db, const char *sw, const char *experiment, erm_vlan_cb cb,
    void *ctx, char *err, size_t errlen);
/* Inside a transaction: forget everything experiment holds on sw. */
int erm_vlan_release(sqlite3 *db, const char *sw, const char *experiment, char *err,
    size_t errlen);

#endif
