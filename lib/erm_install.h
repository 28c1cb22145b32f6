/* erm_install: install plans and their progress, in the erm database.
 *
 * One current plan per node: what image to write where, and how far ni
 * has got.  `springos node reimage` (or the experiment runner) records a
 * plan and sets the node's boot mode to install in one transaction; the
 * master hands the plan to ni, records its progress, and on a verified
 * success sets the boot mode to local, again in one transaction.
 *
 * Schema: created by erm's migration 4 (lib/erm.c).  ERM_INSTALL_SCHEMA
 * below is the same SQL, idempotent; erm_install_init() also runs it so a
 * handle opened without migrating still works. */
#ifndef SPRINGOS_ERM_INSTALL_H
#define SPRINGOS_ERM_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include "erm.h"

#define ERM_INSTALL_SCHEMA \
	"CREATE TABLE IF NOT EXISTS install_plans (" \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  node_id INTEGER NOT NULL UNIQUE REFERENCES nodes(id) ON DELETE CASCADE," \
	"  image TEXT NOT NULL," \
	"  url TEXT NOT NULL," \
	"  format TEXT NOT NULL DEFAULT 'auto'," \
	"  disk TEXT NOT NULL DEFAULT ''," \
	"  disktype TEXT NOT NULL DEFAULT ''," \
	"  part INTEGER NOT NULL DEFAULT 0 CHECK (part BETWEEN 0 AND 128)," \
	"  size INTEGER NOT NULL DEFAULT 0," \
	"  sha256 TEXT NOT NULL DEFAULT ''," \
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN " \
	"    ('pending', 'starting', 'writing', 'verifying', 'done', 'failed'))," \
	"  percent INTEGER NOT NULL DEFAULT 0," \
	"  bytes INTEGER NOT NULL DEFAULT 0," \
	"  rate REAL NOT NULL DEFAULT 0," \
	"  attempts INTEGER NOT NULL DEFAULT 0," \
	"  reason TEXT NOT NULL DEFAULT ''," \
	"  created INTEGER NOT NULL," \
	"  updated INTEGER NOT NULL);"

struct erm_install {
	int64_t id;
	char node[ERM_NAME_MAX];
	char image[ERM_NAME_MAX];
	char url[1024];
	char format[16];	/* auto raw gzip zstd vmdk sosimg */
	char disk[256];		/* "" = ni picks the first disk of disktype */
	char disktype[16];	/* ide sata scsi virtio nvme, "" = any */
	int partition;		/* 0 = whole disk */
	int64_t size;		/* decoded bytes, 0 = unknown */
	char sha256[65];	/* of the decoded image, "" = unknown */
	char state[16];
	int percent;		/* -1 = unknown */
	int64_t bytes;
	double rate;		/* bytes/s */
	int attempts;		/* results received, failed ones included */
	char reason[256];	/* last failure */
	int64_t created, updated;
};

/* Create the table if needed.  Call after erm_open. */
int erm_install_init(struct erm *db, char *err, size_t errlen);
/* Replace the node's plan with `plan` (node, image, url ... fields) and
 * set its boot mode to install, in one transaction.  Sets plan->id. */
int erm_install_put(struct erm *db, struct erm_install *plan, char *err, size_t errlen);
int erm_install_get(struct erm *db, const char *node, struct erm_install *out,
    char *err, size_t errlen);
/* Record progress of plan `id` of `node`.  ERM_ENOENT if that is not the
 * node's current plan (a stale ni), and nothing changes. */
int erm_install_progress(struct erm *db, const char *node, int64_t id, const char *state,
    int percent, int64_t bytes, double rate, char *err, size_t errlen);
/* Record the result.  Success: state done, the bytes written (when > 0:
 * a short install may never have reported progress), node boot local and
 * state "installed"; failure: state failed, attempts + 1, reason kept,
 * boot stays install.  One transaction.  ERM_ENOENT as above. */
int erm_install_result(struct erm *db, const char *node, int64_t id, int ok,
    const char *reason, int64_t bytes, char *err, size_t errlen);
typedef int (*erm_install_cb)(const struct erm_install *plan, void *ctx);
int erm_install_list(struct erm *db, erm_install_cb cb, void *ctx, char *err,
    size_t errlen);

#endif
