/* spec: the kuroyuri experiment language of SpringOS/VM.
 *
 * An experiment description ("spec") declares node classes (what to
 * install and run on a node), node sets (how many nodes of a class) and,
 * as our extension, one top-level scenario that the master runs.  See
 * docs/language.md for the language reference.
 *
 * Pipeline, all pure functions over memory (no I/O):
 *   spec_parse()   bytes -> syntax tree, syntax errors
 *   spec_check()   syntax tree -> semantic errors (unknown class, ...)
 *   spec_demand()  what the experiment needs (nodes, VM hosts, VLANs)
 *   spec_plan()    demand + inventory -> which node does what (spec_plan.c)
 *   spec_fmt()     syntax tree -> canonical source text
 *
 * Errors are collected in a struct spec_diags (every error of a file, not
 * only the first) with line and column; spec_diags_print() renders them
 * as "FILE:LINE:COL: error: ..." with the source line and a caret.
 *
 * Ownership: a struct spec owns every node of its tree (one arena);
 * spec_free() releases all of it; spec_free(NULL) is a no-op.  Strings in
 * the tree are NUL-terminated copies, never pointers into the input. */
#ifndef SPRINGOS_SPEC_H
#define SPRINGOS_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Hard limits: the parser refuses, with an error naming the limit, any
 * input beyond them, so no input can exhaust memory or the stack. */
#define SPEC_MAX_SIZE (64u << 20)   /* bytes of one spec file */
#define SPEC_MAX_DEPTH 64           /* nested blocks, parentheses, operators */
#define SPEC_MAX_STRING 4096        /* bytes of one string literal */
#define SPEC_MAX_NAME 63            /* bytes of a class, set or variable name */
#define SPEC_MAX_NUM 1000000        /* largest count: num, maxvnodes */
#define SPEC_MAX_DIAGS 100          /* errors kept; then "too many errors" */
#define SPEC_MAX_NETIFS 16          /* interfaces of one class */

/* ---- diagnostics ---- */

enum spec_severity { SPEC_ERROR, SPEC_WARNING };

struct spec_diag {
	enum spec_severity severity;
	int line;   /* 1-based; 0 if not about a place in the file */
	int col;    /* 1-based, in bytes */
	char msg[240];
};

struct spec_diags {
	struct spec_diag *v;
	size_t n, cap;
	size_t nerrors, nwarnings;
	int truncated;  /* more than SPEC_MAX_DIAGS were reported */
};

void spec_diags_init(struct spec_diags *d);
void spec_diags_free(struct spec_diags *d);
void spec_diag_add(struct spec_diags *d, enum spec_severity sev, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Stable sort by position (parse and check errors interleave). */
void spec_diags_sort(struct spec_diags *d);
/* "FILE:LINE:COL: error: msg", then the source line and a caret under
 * the column.  buf/len is the source (may be NULL: no source lines). */
void spec_diags_print(FILE *out, const char *file, const char *buf, size_t len,
    const struct spec_diags *d);

/* ---- the syntax tree ---- */

enum spec_expr_kind {
	SPEC_E_INT,    /* ival */
	SPEC_E_STR,    /* str */
	SPEC_E_NAME,   /* name: variable, master-bound _var or node set */
	SPEC_E_SELF,   /* self */
	SPEC_E_FIELD,  /* a.name */
	SPEC_E_INDEX,  /* a[b] */
	SPEC_E_CALL,   /* name(args) */
	SPEC_E_BINOP,  /* a op b */
	SPEC_E_UNOP,   /* op a */
	SPEC_E_PAREN,  /* (a) kept so that formatting preserves it */
};

enum spec_op {
	SPEC_OP_NONE,
	SPEC_OP_ADD, SPEC_OP_SUB, SPEC_OP_MUL, SPEC_OP_DIV, SPEC_OP_MOD,
	SPEC_OP_EQ, SPEC_OP_NE, SPEC_OP_LT, SPEC_OP_LE, SPEC_OP_GT, SPEC_OP_GE,
	SPEC_OP_AND, SPEC_OP_OR, SPEC_OP_NOT, SPEC_OP_NEG,
};

struct spec_expr {
	enum spec_expr_kind kind;
	enum spec_op op;
	int line, col;
	long long ival;
	char *str;               /* STR value; NAME, FIELD and CALL name */
	struct spec_expr *a, *b; /* operands; FIELD/INDEX base in a, index in b */
	struct spec_expr *args;  /* CALL arguments */
	struct spec_expr *next;  /* next in an argument list */
};

enum spec_stmt_kind {
	SPEC_S_NETIFIT,   /* netifit ARG */
	SPEC_S_WAKE,      /* wake PATH ARGV0 ARGS... (background) */
	SPEC_S_WAKEWAIT,  /* wakewait PATH ARGV0 ARGS... (to completion) */
	SPEC_S_SEND,      /* node: send EXPR; top: send SET NAME EXPR */
	SPEC_S_RECV,      /* node: recv NAME; top: recv SET EXPR */
	SPEC_S_SLEEP,     /* sleep EXPR (seconds) */
	SPEC_S_PRINT,     /* print ARGS... */
	SPEC_S_ASSIGN,    /* NAME = EXPR, NAME += EXPR, NAME -= EXPR */
	SPEC_S_INCR,      /* NAME++ / NAME-- (op ADD / SUB) */
	SPEC_S_FOR,       /* for (init; cond; step) body */
	SPEC_S_IF,        /* if (cond) body [else els] */
};

struct spec_stmt {
	enum spec_stmt_kind kind;
	int line, col;
	enum spec_op op;          /* ASSIGN: NONE (=), ADD (+=), SUB (-=); INCR */
	char *set;                /* top-level send/recv: the node set */
	int set_line, set_col;
	char *name;               /* send/recv/assign/incr: the variable */
	int name_line, name_col;
	struct spec_expr *args;   /* netifit/wake/print args; send/recv/sleep/assign value */
	struct spec_stmt *init, *step;  /* for */
	struct spec_expr *cond;         /* for, if */
	struct spec_stmt *body, *els;   /* for, if; els is a block or one if */
	int els_is_if;
	int body_end, els_end;          /* lines of the closing braces */
	struct spec_stmt *next;
};

struct spec_netif {
	int line, col;
	char *media;
	long via;        /* host interface a VM interface is bridged to; -1 if none */
	int via_line, via_col;
	char *net;       /* experiment network name; NULL if none */
	int net_line, net_col;
	struct spec_netif *next;
};

/* One attribute's position, for messages; line 0 = not given. */
struct spec_pos { int line, col; };

struct spec_class {
	char *name;
	int line, col;
	long maxvnodes;  /* 0 = not given */
	char *vntype;    /* class of the VM host; makes this a VM class */
	char *ostype, *method, *disktype, *diskimage;
	long partition;  /* 0 = not given */
	struct spec_pos p_maxvnodes, p_vntype, p_ostype, p_method, p_disktype,
	    p_diskimage, p_partition, p_scenario;
	struct spec_netif *netifs;
	int nnetifs;
	struct spec_stmt *scenario;
	int has_scenario;
	int scenario_end, end_line;  /* lines of the closing braces */
};

struct spec_nodeset {
	char *name;
	int line, col;
	char *class_name;
	int class_line, class_col;
	long num;
	int num_line, num_col;
};

enum spec_item_kind { SPEC_I_CLASS, SPEC_I_NODESET, SPEC_I_SCENARIO };

/* Top-level items in file order (formatting keeps the order). */
struct spec_item {
	enum spec_item_kind kind;
	int line, col;
	struct spec_class *cls;
	struct spec_nodeset *set;
	struct spec_stmt *scenario;
	int end_line;                /* top-level scenario: its closing brace */
	struct spec_item *next;
};

struct spec_arena;

/* A comment, kept so that formatting does not lose it. */
struct spec_comment {
	int line;
	int own_line;  /* nothing but blanks before it on its line */
	char *text;    /* from '#' or "//" to the end of the line */
};

struct spec {
	struct spec_item *items;
	struct spec_comment *comments;  /* in file order */
	size_t ncomments;
	struct spec_arena *arena;
};

/* Parse buf[0..len).  Always returns a tree (possibly partial, after
 * error recovery) in *out unless memory runs out (-1, *out = NULL);
 * returns 0 if no syntax error was found, 1 if some were (in diags). */
int spec_parse(const char *buf, size_t len, struct spec **out, struct spec_diags *diags);
void spec_free(struct spec *spec);

/* Semantic checks; adds to diags.  Returns the number of errors added. */
size_t spec_check(const struct spec *spec, struct spec_diags *diags);

/* Lookups over the tree. */
const struct spec_class *spec_class_find(const struct spec *spec, const char *name);
const struct spec_nodeset *spec_nodeset_find(const struct spec *spec, const char *name);
const struct spec_stmt *spec_top_scenario(const struct spec *spec);

/* Canonical text.  Returns a malloc'ed NUL-terminated string (caller
 * frees) or NULL if memory runs out.  spec_fmt(parse(spec_fmt(t))) ==
 * spec_fmt(t), and parsing the output gives a tree equal to t. */
char *spec_fmt(const struct spec *spec);
/* Structural equality of two trees (positions ignored). */
int spec_equal(const struct spec *a, const struct spec *b);

/* Built-in functions: name and arity, for the checker and evaluator. */
struct spec_builtin {
	const char *name;
	int nargs;
	const char *doc;
};
const struct spec_builtin *spec_builtin_find(const char *name);
/* Master-bound variables (names start with '_'). */
int spec_master_var_known(const char *name);

/* ---- demand: what an experiment needs, independent of the inventory ---- */

struct spec_demand_class {
	const struct spec_class *cls;
	long nodes;       /* VM classes: VMs; physical: nodes in node sets */
	long hosts;       /* VM classes: hosts needed at maxvnodes per host */
};

struct spec_demand {
	struct spec_demand_class *classes;  /* classes used by node sets, in order */
	size_t nclasses;
	const char **nets;                  /* experiment networks, first use order */
	size_t nnets;
	long physical;                      /* physical nodes in total (incl. hosts) */
	long vms;
};

/* Only meaningful on a spec that passed spec_check.  Returns 0, or -1 if
 * memory runs out.  Free with spec_demand_free. */
int spec_demand(const struct spec *spec, struct spec_demand *out);
void spec_demand_free(struct spec_demand *d);
void spec_demand_print(FILE *out, const struct spec_demand *d);

/* ---- plan: the demand placed on a concrete inventory (spec_plan.c) ---- */

struct erm_node;

/* One node of the plan: a physical node of a node set, a VM, or a VM
 * host.  Pointers refer into the spec and the inventory given to
 * spec_plan(), which must outlive the plan. */
struct spec_plan_node {
	const struct erm_node *node;
	const struct spec_class *cls;
	const struct spec_nodeset *set;  /* NULL for VM hosts */
	long index;                      /* in its set; hosts: among hosts of the class */
	long host;                       /* VMs: plan index of the host, else -1 */
	long nvms;                       /* hosts: VMs placed on it */
	const struct spec_class *vmclass;/* hosts: the VM class they carry */
	int net[SPEC_MAX_NETIFS];        /* network index per interface, -1 if none */
	uint32_t addr[SPEC_MAX_NETIFS];  /* experiment address (host order), 0 if none */
};

struct spec_plan {
	struct spec_plan_node *nodes;
	size_t n;
	const char **nets;               /* network i gets 10.(i+1).0.0/16 */
	size_t nnets;
	const char *experiment;
};

#define SPEC_PLAN_MAX_NETS 254

/* Allocate the spec's node sets onto the free nodes of inv[0..ninv)
 * (erm_node_list order).  Returns 0, or -1 with why = one sentence saying
 * exactly what the testbed lacks (or "out of memory").  The spec must have
 * passed spec_check. */
int spec_plan(const struct spec *spec, const struct erm_node *inv, size_t ninv,
    const char *experiment, struct spec_plan *out, char *why, size_t whylen);
void spec_plan_free(struct spec_plan *plan);
/* Summary: hosts and their VMs, networks and VLAN ports; verbose adds
 * every node with its interfaces, addresses and switch ports. */
void spec_plan_print_summary(FILE *out, const struct spec_plan *plan, int verbose);
/* The master scenario and every node's scenario with every value the
 * plan knows resolved (only_node: just that node, NULL for all).
 * Returns 0, or -1 if only_node is not in the plan. */
int spec_plan_print_scenarios(FILE *out, const struct spec *spec,
    const struct spec_plan *plan, const char *only_node);

#endif
