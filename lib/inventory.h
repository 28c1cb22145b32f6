/* Inventory files: the testbed's nodes, one [node:NAME] section each,
 * with their management MAC and IP, power driver, boot mode, VM-host
 * capacity and experiment interfaces cabled to switch ports (see
 * docs/inventory.md).  Parsing is pure; importing is one transaction. */
#ifndef SPRINGOS_INVENTORY_H
#define SPRINGOS_INVENTORY_H

#include <stddef.h>

#include "config.h"
#include "erm.h"

struct inventory;

/* Parse buf[0..len); name is used in messages ("lab.ini:12: ...").  On
 * error returns -1 with err = "NAME:LINE: what"; nothing is allocated. */
int inventory_parse(const char *name, const char *buf, size_t len, struct inventory **out,
    char *err, size_t errlen);
int inventory_load(const char *path, struct inventory **out, char *err, size_t errlen);
void inventory_free(struct inventory *inv);

size_t inventory_count(const struct inventory *inv);
const struct erm_node *inventory_node(const struct inventory *inv, size_t i);

/* Register the switches of conf and every node of inv in one
 * transaction: all of it, or (on any error) nothing.  Physical nodes go
 * in before VMs, so a VM may name a host further down the file.  On
 * error err = "NAME:LINE: what", pointing at the offending key. */
int inventory_import(struct erm *db, const struct conf *conf, const struct inventory *inv,
    char *err, size_t errlen);

/* Register the [switch:NAME] sections of conf (inside the caller's
 * transaction, if any). */
int inventory_register_switches(struct erm *db, const struct conf *conf, char *err,
    size_t errlen);

#endif
