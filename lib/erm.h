/* erm: the testbed database.
 *
 * The only shared state of springos: nodes, their interfaces and cabling,
 * switches, VM-host capacity, images, experiments and their allocations,
 * DHCP leases.  SQLite in WAL mode (readers never block the writer); the
 * schema is versioned and migrated forward on open.  No other code issues
 * SQL: everything goes through this interface.
 *
 * Errors: functions return ERM_OK (0) or a negative ERM_E* code, and leave
 * a human-readable sentence in erm_errmsg(db) that names the object at
 * fault ("MAC 02:00:00:00:01:00 is already node n01's management MAC").
 * Strings in the structs are NUL-terminated and truncated to their
 * fields; names longer than ERM_NAME_MAX are refused, never truncated.
 *
 * Concurrency: every write is one IMMEDIATE transaction (or part of one
 * opened with erm_begin), so two processes can never both allocate the
 * same node; a writer waits up to the busy timeout for another. */
#ifndef SPRINGOS_ERM_H
#define SPRINGOS_ERM_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define ERM_SCHEMA_VERSION 4
#define ERM_NAME_MAX 64
#define ERM_MAX_IFACES 16
#define ERM_BUSY_TIMEOUT_MS 10000

enum erm_err {
	ERM_OK = 0,
	ERM_EDB = -1,      /* SQLite failed: I/O, corruption, busy too long */
	ERM_ENOENT = -2,   /* no such node, switch, image, experiment */
	ERM_EEXIST = -3,   /* a name, MAC, IP or port is already taken */
	ERM_EINVAL = -4,   /* a malformed or out-of-range value */
	ERM_ENOSPACE = -5, /* not enough free nodes to allocate */
	ERM_EVERSION = -6, /* the database is newer than this program */
};

enum erm_node_kind { ERM_PHYSICAL, ERM_VM };
enum erm_boot_mode { ERM_BOOT_NONE, ERM_BOOT_INSTALL, ERM_BOOT_LOCAL };

struct erm;

struct erm_iface {
	int index;               /* experiment interface number: netif0, netif1 ... */
	char mac[MAC_STRLEN];    /* canonical lower-case "aa:bb:cc:dd:ee:ff" */
	char media[32];          /* "ethernet", "fastethernet", ... */
	char sw[ERM_NAME_MAX];   /* switch it is cabled to, "" if none */
	int port;                /* switch port number (1-based), 0 if none */
};

struct erm_node {
	int64_t id;
	char name[ERM_NAME_MAX];
	enum erm_node_kind kind;
	char node_class[ERM_NAME_MAX];
	char mac[MAC_STRLEN];        /* management interface */
	char ip[IPV4_STRLEN];        /* reserved management address, "" if none */
	char power[32];              /* power driver: qemu, ipmi, manual */
	char power_params[256];
	enum erm_boot_mode boot;
	char state[32];              /* free-form lifecycle state: "new", "installing" ... */
	char host[ERM_NAME_MAX];     /* VMs: the physical node that runs them */
	int maxvnodes;               /* VM hosts: how many VMs fit, 0 otherwise */
	char vntype[ERM_NAME_MAX];   /* VM hosts: the VM class they run */
	char experiment[ERM_NAME_MAX]; /* allocated to, "" if free (read only) */
	int n_ifaces;
	struct erm_iface ifaces[ERM_MAX_IFACES];
};

struct erm_switch {
	char name[ERM_NAME_MAX];
	char driver[32];   /* qbridge, cisco */
	char address[128]; /* SNMP peer, e.g. "udp:127.0.0.1:1161" */
	int ports;         /* number of ports, 0 if unknown */
};

struct erm_image {
	char name[ERM_NAME_MAX];
	char path[512];
	char format[16];   /* raw, gzip, zstd, vmdk, sosimg */
	int64_t size;
	char sha256[65];   /* lower-case hex */
	int64_t added;     /* unix time */
};

struct erm_lease {
	char ip[IPV4_STRLEN];
	char mac[MAC_STRLEN];
	int64_t expires;   /* unix time */
	char state[16];    /* offered, bound, released, declined */
};

/* Open (creating if absent) and migrate to ERM_SCHEMA_VERSION.
 * ERM_OPEN_NO_MIGRATE leaves the schema as found (tests of migrations).
 * On failure returns an error, sets *out to NULL and writes a sentence to
 * err (err may be NULL). */
#define ERM_OPEN_NO_MIGRATE 0x1
int erm_open(const char *path, int flags, struct erm **out, char *err, size_t errlen);
void erm_close(struct erm *db); /* erm_close(NULL) is a no-op */
const char *erm_errmsg(const struct erm *db);
/* The input field the last error is about: "name", "mac", "ip", "host",
 * "netif3", ... or "" (lets an importer point at the right line). */
const char *erm_errfield(const struct erm *db);

int erm_schema_version(struct erm *db, int *version);
/* Apply migrations up to `version` (1 .. ERM_SCHEMA_VERSION). */
int erm_migrate(struct erm *db, int version);

/* Group several writes into one transaction (e.g. an inventory import:
 * all of it or none of it).  Calls inside it do not open their own. */
int erm_begin(struct erm *db);
int erm_commit(struct erm *db);
void erm_rollback(struct erm *db);

/* Switches. */
int erm_switch_add(struct erm *db, const struct erm_switch *sw);
int erm_switch_get(struct erm *db, const char *name, struct erm_switch *out);
typedef int (*erm_switch_cb)(const struct erm_switch *sw, void *ctx);
int erm_switch_list(struct erm *db, erm_switch_cb cb, void *ctx);

/* Nodes.  erm_node_add checks every constraint itself so that its error
 * names the conflict: name, management MAC or IP, any interface MAC
 * (across nodes and management MACs), unknown switch, port out of range
 * or already cabled, unknown VM host. */
int erm_node_add(struct erm *db, const struct erm_node *node);
int erm_node_get(struct erm *db, const char *name, struct erm_node *out);
/* Look a node up by any of its MACs (management or experiment). */
int erm_node_by_mac(struct erm *db, const char *mac, struct erm_node *out);
typedef int (*erm_node_cb)(const struct erm_node *node, void *ctx);
/* Calls cb for every node in name order; a non-zero return stops. */
int erm_node_list(struct erm *db, erm_node_cb cb, void *ctx);
int erm_node_set_boot(struct erm *db, const char *name, enum erm_boot_mode mode);
int erm_node_set_state(struct erm *db, const char *name, const char *state);
int erm_node_delete(struct erm *db, const char *name);

const char *erm_boot_mode_name(enum erm_boot_mode mode);
int erm_boot_mode_parse(const char *s, enum erm_boot_mode *out);
const char *erm_node_kind_name(enum erm_node_kind kind);
int erm_node_kind_parse(const char *s, enum erm_node_kind *out);

/* Images. */
int erm_image_add(struct erm *db, const struct erm_image *img);
int erm_image_get(struct erm *db, const char *name, struct erm_image *out);
typedef int (*erm_image_cb)(const struct erm_image *img, void *ctx);
int erm_image_list(struct erm *db, erm_image_cb cb, void *ctx);

/* Experiments and allocation.  erm_allocate gives the experiment `count`
 * free nodes of class node_class ("" = any class) in one transaction:
 * all of them or, with ERM_ENOSPACE, none.  The chosen node ids are
 * written to ids (room for count).  A node belongs to at most one
 * experiment at a time, even with allocators in several processes. */
int erm_experiment_create(struct erm *db, const char *name, const char *owner);
int erm_experiment_delete(struct erm *db, const char *name); /* releases its nodes */
int erm_allocate(struct erm *db, const char *experiment, const char *node_class,
    int count, int64_t *ids);
int erm_release(struct erm *db, const char *experiment);

/* DHCP leases for addresses outside the reserved ones. */
int erm_lease_get_by_mac(struct erm *db, const char *mac, struct erm_lease *out);
int erm_lease_get_by_ip(struct erm *db, const char *ip, struct erm_lease *out);
int erm_lease_put(struct erm *db, const struct erm_lease *lease);
int erm_lease_delete(struct erm *db, const char *ip);

/* The SQLite handle, for lib/erm_*.c modules that extend the schema
 * (VLAN ownership, install plans).  Nothing outside lib/ may use it. */
struct sqlite3;
struct sqlite3 *erm_sqlite(struct erm *db);

#endif
