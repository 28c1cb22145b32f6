/* spec_check: the semantic checks of an experiment description, and the
 * demand it makes on the testbed.
 *
 * Every check adds a diagnostic and carries on, so that one run names
 * every problem.  Definition order does not matter: a class may be used
 * before the nodeclass that defines it. */
#include "spec_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct spec_builtin builtins[] = {
	{ "toString", 1, "the decimal text of an integer (strings pass through)" },
	{ "haddr", 1, "the host address of \"A.B.C.D/N\": \"A.B.C.D\"" },
	{ "netaddr", 1, "the network address of \"A.B.C.D/N\"" },
	{ "mask", 1, "the netmask of \"A.B.C.D/N\" in dotted form" },
	{ "len", 1, "the length of a string in bytes" },
};

const struct spec_builtin *
spec_builtin_find(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

/* Variables the master binds before a node's scenario runs. */
static const char *const master_vars[] = { "_launchvnodes", "_experiment", "_nvnodes" };

int
spec_master_var_known(const char *name)
{
	for (size_t i = 0; i < sizeof(master_vars) / sizeof(master_vars[0]); i++)
		if (strcmp(master_vars[i], name) == 0)
			return 1;
	return 0;
}

/* ---- a small name table (open addressing), so that checking a spec
 * with many thousands of classes stays linear ---- */

struct name_map {
	const char **keys;
	const void **vals;
	size_t cap, n;
};

static size_t
hash_name(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static int
map_init(struct name_map *m, size_t n)
{
	m->cap = 16;
	while (m->cap < n * 2 + 1)
		m->cap *= 2;
	m->n = 0;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = calloc(m->cap, sizeof(*m->vals));
	return m->keys && m->vals ? 0 : -1;
}

static void
map_free(struct name_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static const void *
map_get(const struct name_map *m, const char *k)
{
	if (m->cap == 0 || k == NULL)
		return NULL;
	for (size_t i = hash_name(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == NULL)
			return NULL;
		if (strcmp(m->keys[i], k) == 0)
			return m->vals[i];
	}
}

/* Insert unless present; returns the existing value or NULL. */
static const void *
map_put(struct name_map *m, const char *k, const void *v)
{
	size_t i;

	for (i = hash_name(k) & (m->cap - 1); m->keys[i] != NULL; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], k) == 0)
			return m->vals[i];
	m->keys[i] = k;
	m->vals[i] = v;
	m->n++;
	return NULL;
}

/* ---- lookups ---- */

const struct spec_class *
spec_class_find(const struct spec *spec, const char *name)
{
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next)
		if (it->kind == SPEC_I_CLASS && strcmp(it->cls->name, name) == 0)
			return it->cls;
	return NULL;
}

const struct spec_nodeset *
spec_nodeset_find(const struct spec *spec, const char *name)
{
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next)
		if (it->kind == SPEC_I_NODESET && strcmp(it->set->name, name) == 0)
			return it->set;
	return NULL;
}

const struct spec_stmt *
spec_top_scenario(const struct spec *spec)
{
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next)
		if (it->kind == SPEC_I_SCENARIO)
			return it->scenario;
	return NULL;
}

/* ---- checking ---- */

struct checker {
	const struct spec *spec;
	struct spec_diags *d;
	size_t nerr;
	struct name_map classes, sets;
	/* scenario context */
	int top;
	const struct spec_class *cls;
	const char **vars;
	size_t nvars, capvars;
	int has_top;   /* the spec has a top-level scenario */
	struct name_map sent_any, sent_cls;
	char **keys;
	size_t nkeys, capkeys;
};

#define ERR(c, l, col, ...) do { \
	(c)->nerr++; \
	spec_diag_add((c)->d, SPEC_ERROR, (l), (col), __VA_ARGS__); \
} while (0)
#define WARN(c, l, col, ...) spec_diag_add((c)->d, SPEC_WARNING, (l), (col), __VA_ARGS__)

static const struct spec_class *
cls_get(struct checker *c, const char *name)
{
	return map_get(&c->classes, name);
}

static const struct spec_nodeset *
set_get(struct checker *c, const char *name)
{
	return map_get(&c->sets, name);
}

static int
var_defined(struct checker *c, const char *name)
{
	for (size_t i = 0; i < c->nvars; i++)
		if (strcmp(c->vars[i], name) == 0)
			return 1;
	return 0;
}

static void
var_define(struct checker *c, const char *name)
{
	if (var_defined(c, name))
		return;
	if (c->nvars == c->capvars) {
		size_t ncap = c->capvars ? c->capvars * 2 : 16;
		const char **nv = realloc(c->vars, ncap * sizeof(*nv));

		if (nv == NULL)
			return; /* only costs a later "undefined" message */
		c->vars = nv;
		c->capvars = ncap;
	}
	c->vars[c->nvars++] = name;
}

static int
const_int(const struct spec_expr *e, long long *v)
{
	while (e->kind == SPEC_E_PAREN)
		e = e->a;
	if (e->kind == SPEC_E_INT) {
		*v = e->ival;
		return 1;
	}
	if (e->kind == SPEC_E_UNOP && e->op == SPEC_OP_NEG && e->a->kind == SPEC_E_INT) {
		*v = -e->a->ival;
		return 1;
	}
	return 0;
}

static void check_expr(struct checker *c, const struct spec_expr *e);

/* A node reference: "self" or "SET[i]".  Returns the class of the node
 * (NULL if unknown, already reported). */
static const struct spec_class *
check_node_ref(struct checker *c, const struct spec_expr *e, int *ok)
{
	*ok = 1;
	if (e->kind == SPEC_E_SELF) {
		if (c->top) {
			ERR(c, e->line, e->col, "'self' is only defined in a node's scenario");
			*ok = 0;
			return NULL;
		}
		return c->cls;
	}
	if (e->kind == SPEC_E_INDEX && e->a->kind == SPEC_E_NAME) {
		const struct spec_nodeset *s = set_get(c, e->a->str);
		long long ix;

		if (s == NULL) {
			if (var_defined(c, e->a->str))
				ERR(c, e->a->line, e->a->col, "'%s' is a variable: only node sets and "
				    "netif can be indexed", e->a->str);
			else if (cls_get(c, e->a->str) != NULL)
				ERR(c, e->a->line, e->a->col, "'%s' is a class; index a node set "
				    "(nodeset NAME class %s ...)", e->a->str, e->a->str);
			else
				ERR(c, e->a->line, e->a->col, "unknown node set '%s'", e->a->str);
			*ok = 0;
			return NULL;
		}
		check_expr(c, e->b);
		if (const_int(e->b, &ix) && (ix < 0 || ix >= s->num))
			ERR(c, e->b->line, e->b->col, "index %lld out of range: node set '%s' has "
			    "%ld node%s", ix, s->name, s->num, s->num == 1 ? "" : "s");
		return cls_get(c, s->class_name);
	}
	*ok = 0;
	return NULL;
}

/* FIELD and INDEX chains: NODE.name, NODE.index, NODE.netif[i].F */
static void
check_path(struct checker *c, const struct spec_expr *e)
{
	const struct spec_class *cls;
	const struct spec_expr *node, *ix;
	int ok;

	if (e->kind == SPEC_E_INDEX) {
		/* A node reference alone, or netif[i] without a field. */
		if (e->a->kind == SPEC_E_FIELD && strcmp(e->a->str, "netif") == 0) {
			ERR(c, e->line, e->col, "netif[i] needs a field: .rname, .ipaddr, .mac or .net");
			return;
		}
		if (e->a->kind == SPEC_E_NAME) {
			check_node_ref(c, e, &ok);
			if (ok)
				ERR(c, e->line, e->col, "a node is not a value: use a field such as "
				    "%s[...].name or .netif[i].ipaddr", e->a->str);
			return;
		}
		ERR(c, e->line, e->col, "only node sets and netif can be indexed");
		return;
	}
	/* e is a FIELD. */
	if (e->a->kind == SPEC_E_INDEX && e->a->a->kind == SPEC_E_FIELD &&
	    strcmp(e->a->a->str, "netif") == 0) {
		node = e->a->a->a;
		ix = e->a->b;
		cls = check_node_ref(c, node, &ok);
		if (!ok) {
			if (node->kind != SPEC_E_SELF && node->kind != SPEC_E_INDEX)
				ERR(c, node->line, node->col, "netif belongs to a node: self.netif[i] "
				    "or SET[i].netif[j]");
			return;
		}
		check_expr(c, ix);
		if (strcmp(e->str, "rname") != 0 && strcmp(e->str, "ipaddr") != 0 &&
		    strcmp(e->str, "mac") != 0 && strcmp(e->str, "net") != 0) {
			ERR(c, e->line, e->col, "unknown field '%s' of netif (expected rname, ipaddr, "
			    "mac or net)", e->str);
			return;
		}
		{
			long long v;

			if (cls != NULL && const_int(ix, &v) && (v < 0 || v >= cls->nnetifs))
				ERR(c, ix->line, ix->col, "netif index %lld out of range: class '%s' "
				    "has %d interface%s", v, cls->name, cls->nnetifs,
				    cls->nnetifs == 1 ? "" : "s");
		}
		return;
	}
	if (e->a->kind == SPEC_E_SELF || (e->a->kind == SPEC_E_INDEX &&
	    e->a->a->kind == SPEC_E_NAME)) {
		check_node_ref(c, e->a, &ok);
		if (!ok)
			return;
		if (strcmp(e->str, "netif") == 0) {
			ERR(c, e->line, e->col, "netif needs an index and a field: netif[i].ipaddr");
			return;
		}
		if (strcmp(e->str, "name") != 0 && strcmp(e->str, "index") != 0)
			ERR(c, e->line, e->col, "unknown field '%s' of a node (expected name, index "
			    "or netif[i])", e->str);
		return;
	}
	if (e->a->kind == SPEC_E_FIELD && strcmp(e->a->str, "netif") == 0) {
		ERR(c, e->a->line, e->a->col, "netif needs an index: netif[i].%s", e->str);
		return;
	}
	if (e->a->kind == SPEC_E_NAME && set_get(c, e->a->str) != NULL) {
		ERR(c, e->a->line, e->a->col, "node set '%s' needs an index: %s[i].%s",
		    e->a->str, e->a->str, e->str);
		return;
	}
	ERR(c, e->line, e->col, "field '.%s' of something that is not a node", e->str);
}

static void
check_expr(struct checker *c, const struct spec_expr *e)
{
	const struct spec_builtin *b;
	int n;

	switch (e->kind) {
	case SPEC_E_INT:
	case SPEC_E_STR:
		return;
	case SPEC_E_SELF:
		if (c->top)
			ERR(c, e->line, e->col, "'self' is only defined in a node's scenario");
		else
			ERR(c, e->line, e->col, "'self' is not a value: use self.name, self.index "
			    "or self.netif[i].ipaddr");
		return;
	case SPEC_E_NAME:
		if (e->str[0] == '_') {
			if (!spec_master_var_known(e->str))
				ERR(c, e->line, e->col, "unknown master-bound variable '%s' (known: "
				    "_launchvnodes, _nvnodes, _experiment)", e->str);
			else if (c->top && strcmp(e->str, "_experiment") != 0)
				ERR(c, e->line, e->col, "'%s' is bound per node; it is not defined in "
				    "the top-level scenario", e->str);
			return;
		}
		if (var_defined(c, e->str))
			return;
		if (set_get(c, e->str) != NULL)
			ERR(c, e->line, e->col, "node set '%s' is not a value: use %s[i].name or "
			    "%s[i].netif[j].ipaddr", e->str, e->str, e->str);
		else if (cls_get(c, e->str) != NULL)
			ERR(c, e->line, e->col, "'%s' is a class, not a value", e->str);
		else
			ERR(c, e->line, e->col, "undefined variable '%s'%s", e->str,
			    c->top ? "" : " (not assigned or received before this point)");
		return;
	case SPEC_E_FIELD:
	case SPEC_E_INDEX:
		check_path(c, e);
		return;
	case SPEC_E_CALL:
		n = 0;
		for (const struct spec_expr *a = e->args; a != NULL; a = a->next) {
			check_expr(c, a);
			n++;
		}
		if ((b = spec_builtin_find(e->str)) == NULL) {
			ERR(c, e->line, e->col, "unknown function '%s' (built-ins: toString, haddr, "
			    "netaddr, mask, len)", e->str);
			return;
		}
		if (n != b->nargs)
			ERR(c, e->line, e->col, "%s() takes %d argument%s, got %d", b->name, b->nargs,
			    b->nargs == 1 ? "" : "s", n);
		return;
	case SPEC_E_BINOP:
		check_expr(c, e->a);
		check_expr(c, e->b);
		return;
	case SPEC_E_UNOP:
	case SPEC_E_PAREN:
		check_expr(c, e->a);
		return;
	}
}

/* What the top-level scenario sends, indexed once (a spec with thousands
 * of classes and sends stays linear): sent_any holds every value name,
 * sent_cls every "CLASS\x01NAME" pair. */
static void
index_sends(struct checker *c, const struct spec_stmt *s)
{
	for (; s != NULL; s = s->next) {
		if (s->kind == SPEC_S_SEND && s->name != NULL) {
			const struct spec_nodeset *set = set_get(c, s->set);
			size_t n;
			char *k;

			if (map_get(&c->sent_any, s->name) == NULL)
				map_put(&c->sent_any, s->name, s);
			if (set != NULL && c->nkeys < c->capkeys) {
				n = strlen(set->class_name) + strlen(s->name) + 2;
				if ((k = malloc(n)) != NULL) {
					snprintf(k, n, "%s\x01%s", set->class_name, s->name);
					if (map_get(&c->sent_cls, k) == NULL) {
						map_put(&c->sent_cls, k, s);
						c->keys[c->nkeys++] = k;
					} else {
						free(k);
					}
				}
			}
		}
		index_sends(c, s->body);
		if (s->els)
			index_sends(c, s->els);
	}
}

static size_t
count_sends(const struct spec_stmt *s)
{
	size_t n = 0;

	for (; s != NULL; s = s->next) {
		n += s->kind == SPEC_S_SEND;
		n += count_sends(s->body);
		if (s->els)
			n += count_sends(s->els);
	}
	return n;
}

/* Does the top-level scenario send `name` to a node set of class cls
 * (or, with any_set, to any set)? */
static int
top_sends(struct checker *c, const char *name, const struct spec_class *cls, int any_set)
{
	char k[2 * (SPEC_MAX_NAME + 1) + 2];

	if (any_set)
		return map_get(&c->sent_any, name) != NULL;
	snprintf(k, sizeof(k), "%s\x01%s", cls->name, name);
	return map_get(&c->sent_cls, k) != NULL;
}

/* Node-side: does class scenario s receive `name`? */
static int
node_recvs(const struct spec_stmt *s, const char *name)
{
	for (; s != NULL; s = s->next) {
		if (s->kind == SPEC_S_RECV && s->name != NULL && strcmp(s->name, name) == 0)
			return 1;
		if (node_recvs(s->body, name) || (s->els && node_recvs(s->els, name)))
			return 1;
	}
	return 0;
}

/* Node-side sends: returns 1 if some send may send msg (a non-constant
 * send may send anything), 0 if none can; *nsend counts sends. */
static int
node_may_send(const struct spec_stmt *s, const char *msg, int *nsend)
{
	for (; s != NULL; s = s->next) {
		if (s->kind == SPEC_S_SEND && s->set == NULL) {
			const struct spec_expr *e = s->args;

			(*nsend)++;
			while (e->kind == SPEC_E_PAREN)
				e = e->a;
			if (e->kind != SPEC_E_STR || msg == NULL || strcmp(e->str, msg) == 0)
				return 1;
		}
		if (node_may_send(s->body, msg, nsend) || (s->els &&
		    node_may_send(s->els, msg, nsend)))
			return 1;
	}
	return 0;
}

static void check_block(struct checker *c, const struct spec_stmt *s);

static void
check_assign_target(struct checker *c, const struct spec_stmt *s)
{
	if (s->name[0] == '_')
		ERR(c, s->name_line, s->name_col, "cannot assign '%s': names starting with '_' "
		    "are bound by the master", s->name);
	else if (strcmp(s->name, "self") == 0)
		ERR(c, s->name_line, s->name_col, "cannot assign 'self'");
	else if (set_get(c, s->name) != NULL)
		ERR(c, s->name_line, s->name_col, "cannot assign '%s': it is a node set", s->name);
	else if ((s->kind == SPEC_S_INCR || s->op != SPEC_OP_NONE) && !var_defined(c, s->name))
		ERR(c, s->name_line, s->name_col, "undefined variable '%s'", s->name);
	else if (s->kind == SPEC_S_ASSIGN)
		var_define(c, s->name);
}

static void
check_stmt(struct checker *c, const struct spec_stmt *s)
{
	static const char *const names[] = {
		[SPEC_S_NETIFIT] = "netifit", [SPEC_S_WAKE] = "wake",
		[SPEC_S_WAKEWAIT] = "wakewait",
	};
	long long v;

	switch (s->kind) {
	case SPEC_S_NETIFIT:
	case SPEC_S_WAKE:
	case SPEC_S_WAKEWAIT:
		if (c->top)
			ERR(c, s->line, s->col, "'%s' runs on nodes: it is not allowed in the "
			    "top-level scenario", names[s->kind]);
		for (const struct spec_expr *a = s->args; a != NULL; a = a->next)
			check_expr(c, a);
		return;
	case SPEC_S_PRINT:
		for (const struct spec_expr *a = s->args; a != NULL; a = a->next)
			check_expr(c, a);
		return;
	case SPEC_S_SLEEP:
		check_expr(c, s->args);
		if (const_int(s->args, &v) && v < 0)
			ERR(c, s->args->line, s->args->col, "sleep needs a non-negative number of "
			    "seconds, got %lld", v);
		return;
	case SPEC_S_SEND:
		check_expr(c, s->args);
		if (c->top) {
			const struct spec_nodeset *set = set_get(c, s->set);
			const struct spec_class *cls;

			if (set == NULL) {
				ERR(c, s->set_line, s->set_col, "unknown node set '%s' in send", s->set);
				return;
			}
			cls = cls_get(c, set->class_name);
			if (cls != NULL && !node_recvs(cls->scenario, s->name))
				WARN(c, s->name_line, s->name_col, "class '%s' of node set '%s' never "
				    "receives '%s'", cls->name, set->name, s->name);
		}
		return;
	case SPEC_S_RECV:
		if (c->top) {
			const struct spec_nodeset *set = set_get(c, s->set);
			const struct spec_class *cls;
			const struct spec_expr *m = s->args;
			int nsend = 0;

			check_expr(c, s->args);
			if (set == NULL) {
				ERR(c, s->set_line, s->set_col, "unknown node set '%s' in recv", s->set);
				return;
			}
			cls = cls_get(c, set->class_name);
			while (m->kind == SPEC_E_PAREN)
				m = m->a;
			if (cls == NULL)
				return;
			if (!node_may_send(cls->scenario, m->kind == SPEC_E_STR ? m->str : NULL,
			    &nsend)) {
				if (nsend == 0)
					ERR(c, s->line, s->col, "recv %s: class '%s' never sends "
					    "anything, this would wait forever", set->name, cls->name);
				else
					ERR(c, s->line, s->col, "recv %s \"%s\": class '%s' never sends "
					    "\"%s\", this would wait forever", set->name, m->str,
					    cls->name, m->str);
			}
			return;
		}
		if (!c->has_top)
			WARN(c, s->name_line, s->name_col, "recv '%s': there is no top-level "
			    "scenario to send it, nodes will wait for it", s->name);
		else if (!top_sends(c, s->name, c->cls, 0)) {
			if (top_sends(c, s->name, c->cls, 1))
				ERR(c, s->name_line, s->name_col, "recv '%s': the top-level scenario "
				    "sends '%s' only to node sets of other classes than '%s'",
				    s->name, s->name, c->cls->name);
			else
				ERR(c, s->name_line, s->name_col, "recv '%s': no top-level scenario "
				    "sends '%s'", s->name, s->name);
		}
		var_define(c, s->name);
		return;
	case SPEC_S_ASSIGN:
		check_expr(c, s->args);
		check_assign_target(c, s);
		return;
	case SPEC_S_INCR:
		check_assign_target(c, s);
		return;
	case SPEC_S_FOR:
		if (s->init)
			check_stmt(c, s->init);
		check_expr(c, s->cond);
		if (s->step)
			check_stmt(c, s->step);
		check_block(c, s->body);
		return;
	case SPEC_S_IF:
		check_expr(c, s->cond);
		check_block(c, s->body);
		if (s->els)
			check_block(c, s->els);
		return;
	}
}

static void
check_block(struct checker *c, const struct spec_stmt *s)
{
	for (; s != NULL; s = s->next)
		check_stmt(c, s);
}

static void
check_scenario(struct checker *c, const struct spec_class *cls, const struct spec_stmt *s)
{
	c->top = cls == NULL;
	c->cls = cls;
	c->nvars = 0;
	check_block(c, s);
}

/* Interface ni of class k; host is k's (valid) host class or NULL.  A VM
 * interface without via is bridged to the host interface with its own
 * number. */
static void
check_netif(struct checker *c, const struct spec_class *k, const struct spec_class *host,
    const struct spec_netif *n, long ni)
{
	long via = n->via >= 0 ? n->via : ni;
	long mi = 0;

	if (n->via >= 0 && k->vntype == NULL) {
		ERR(c, n->via_line, n->via_col, "'via' is only for VM classes (nodeclass "
		    "'%s' has no vntype)", k->name);
		return;
	}
	if (k->vntype == NULL || host == NULL)
		return;
	if (via >= host->nnetifs) {
		if (n->via < 0) {
			if (n->net != NULL)
				ERR(c, n->line, n->col, "netif %ld of VM class '%s' has no via, so it "
				    "is bridged to host interface %ld, but host class '%s' has %d "
				    "interface%s", ni, k->name, ni, host->name, host->nnetifs,
				    host->nnetifs == 1 ? "" : "s");
		} else if (host->nnetifs == 0) {
			ERR(c, n->via_line, n->via_col, "via %ld out of range: host class '%s' "
			    "has no interfaces", n->via, host->name);
		} else {
			ERR(c, n->via_line, n->via_col, "via %ld out of range: host class '%s' "
			    "has %d interface%s (0..%d)", n->via, host->name, host->nnetifs,
			    host->nnetifs == 1 ? "" : "s", host->nnetifs - 1);
		}
		return;
	}
	/* One host interface is one switch port in one VLAN. */
	for (const struct spec_netif *m = k->netifs; m != n; m = m->next, mi++) {
		long mvia = m->via >= 0 ? m->via : mi;

		if (mvia == via && n->net && m->net && strcmp(m->net, n->net) != 0) {
			ERR(c, n->net_line, n->net_col, "netif via %ld joins \"%s\" but the netif "
			    "at line %d, also via %ld, joins \"%s\": a host interface carries one "
			    "network", via, n->net, m->line, via, m->net);
			return;
		}
	}
	if (n->net != NULL) {
		const struct spec_netif *h = host->netifs;

		for (long i = 0; i < via && h != NULL; i++)
			h = h->next;
		if (h != NULL && h->net != NULL && strcmp(h->net, n->net) != 0)
			ERR(c, n->net_line, n->net_col, "netif via %ld joins \"%s\" but interface "
			    "%ld of host class '%s' joins \"%s\"", via, n->net, via, host->name,
			    h->net);
	}
}

static void
check_class(struct checker *c, const struct spec_class *k)
{
	const struct spec_class *host = NULL;

	if (k->vntype != NULL) {
		host = cls_get(c, k->vntype);
		if (host == NULL) {
			ERR(c, k->p_vntype.line, k->p_vntype.col, "unknown class '%s' (vntype of "
			    "nodeclass '%s')", k->vntype, k->name);
		} else if (host->vntype != NULL) {
			ERR(c, k->p_vntype.line, k->p_vntype.col, "vntype '%s' of nodeclass '%s' "
			    "names a VM class; it must name the physical class of the VM host",
			    k->vntype, k->name);
			host = NULL;
		}
		if (k->maxvnodes == 0)
			ERR(c, k->line, k->col, "VM nodeclass '%s' needs maxvnodes (how many of its "
			    "VMs one host runs)", k->name);
		if (k->method != NULL)
			ERR(c, k->p_method.line, k->p_method.col, "'method' is for physical classes; "
			    "'%s' is a VM class (it has vntype)", k->name);
		if (k->partition != 0)
			ERR(c, k->p_partition.line, k->p_partition.col, "'partition' is for physical "
			    "classes; '%s' is a VM class (it has vntype)", k->name);
		if (k->disktype != NULL)
			ERR(c, k->p_disktype.line, k->p_disktype.col, "'disktype' is for physical "
			    "classes; '%s' is a VM class (it has vntype)", k->name);
	} else if (k->maxvnodes != 0) {
		ERR(c, k->p_maxvnodes.line, k->p_maxvnodes.col, "maxvnodes without vntype: "
		    "nodeclass '%s' is not a VM class", k->name);
	}
	if (k->method != NULL && strcmp(k->method, "HDD") != 0 &&
	    strcmp(k->method, "diskless") != 0)
		ERR(c, k->p_method.line, k->p_method.col, "unknown method \"%s\" (expected \"HDD\" "
		    "or \"diskless\")", k->method);
	{
		long ni = 0;

		for (const struct spec_netif *n = k->netifs; n != NULL; n = n->next, ni++)
			check_netif(c, k, host, n, ni);
	}
	if (k->has_scenario)
		check_scenario(c, k, k->scenario);
}

size_t
spec_check(const struct spec *spec, struct spec_diags *diags)
{
	struct checker c;
	size_t nclasses = 0, nsets = 0;
	const struct spec_item *first_top = NULL;

	memset(&c, 0, sizeof(c));
	c.spec = spec;
	c.d = diags;
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next) {
		if (it->kind == SPEC_I_CLASS)
			nclasses++;
		else if (it->kind == SPEC_I_NODESET)
			nsets++;
	}
	if (map_init(&c.classes, nclasses) != 0 || map_init(&c.sets, nsets) != 0) {
		ERR(&c, 0, 0, "out of memory while checking");
		goto out;
	}
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next) {
		const struct spec_class *k;
		const struct spec_nodeset *s;

		if (it->kind == SPEC_I_CLASS &&
		    (k = map_put(&c.classes, it->cls->name, it->cls)) != NULL)
			ERR(&c, it->cls->line, it->cls->col, "duplicate nodeclass '%s' (first at "
			    "line %d)", it->cls->name, k->line);
		if (it->kind == SPEC_I_NODESET &&
		    (s = map_put(&c.sets, it->set->name, it->set)) != NULL)
			ERR(&c, it->set->line, it->set->col, "duplicate nodeset '%s' (first at "
			    "line %d)", it->set->name, s->line);
		if (it->kind == SPEC_I_SCENARIO) {
			if (first_top != NULL)
				ERR(&c, it->line, it->col, "duplicate top-level scenario (first at "
				    "line %d)", first_top->line);
			else
				first_top = it;
		}
	}
	c.has_top = first_top != NULL;
	if (first_top != NULL) {
		size_t n = count_sends(first_top->scenario);

		if (map_init(&c.sent_any, n) != 0 || map_init(&c.sent_cls, n) != 0 ||
		    (c.keys = calloc(n + 1, sizeof(*c.keys))) == NULL) {
			ERR(&c, 0, 0, "out of memory while checking");
			goto out;
		}
		c.capkeys = n;
		index_sends(&c, first_top->scenario);
	}
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next) {
		if (it->kind == SPEC_I_CLASS) {
			if (map_get(&c.classes, it->cls->name) == it->cls)
				check_class(&c, it->cls);
		} else if (it->kind == SPEC_I_NODESET) {
			if (cls_get(&c, it->set->class_name) == NULL)
				ERR(&c, it->set->class_line, it->set->class_col, "unknown class '%s' "
				    "(class of nodeset '%s')", it->set->class_name, it->set->name);
		} else if (it == first_top) {
			check_scenario(&c, NULL, it->scenario);
		}
	}
out:
	map_free(&c.classes);
	map_free(&c.sets);
	map_free(&c.sent_any);
	map_free(&c.sent_cls);
	for (size_t i = 0; i < c.nkeys; i++)
		free(c.keys[i]);
	free(c.keys);
	free(c.vars);
	return c.nerr;
}

/* ---- demand ---- */

/* Name maps keep the demand of a spec with many thousands of classes
 * and sets linear. */
struct demand_ctx {
	struct spec_demand *d;
	size_t ccap, ncap;
	struct name_map classes;   /* name -> class */
	struct name_map entries;   /* class name -> entry index + 1 */
	struct name_map nets;      /* net -> 1 */
};

static struct spec_demand_class *
demand_entry(struct demand_ctx *c, const struct spec_class *k)
{
	struct spec_demand *d = c->d;
	uintptr_t ix = (uintptr_t)map_get(&c->entries, k->name);

	if (ix != 0)
		return &d->classes[ix - 1];
	if (d->nclasses == c->ccap) {
		size_t ncap = c->ccap ? c->ccap * 2 : 8;
		struct spec_demand_class *nv = realloc(d->classes, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		d->classes = nv;
		c->ccap = ncap;
	}
	map_put(&c->entries, k->name, (const void *)(uintptr_t)(d->nclasses + 1));
	d->classes[d->nclasses] = (struct spec_demand_class){ k, 0, 0 };
	return &d->classes[d->nclasses++];
}

static int
add_net(struct demand_ctx *c, const char *net)
{
	struct spec_demand *d = c->d;

	if (map_get(&c->nets, net) != NULL)
		return 0;
	if (d->nnets == c->ncap) {
		size_t ncap = c->ncap ? c->ncap * 2 : 8;
		const char **nv = realloc(d->nets, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		d->nets = nv;
		c->ncap = ncap;
	}
	map_put(&c->nets, net, net);
	d->nets[d->nnets++] = net;
	return 0;
}

int
spec_demand(const struct spec *spec, struct spec_demand *d)
{
	struct demand_ctx c;
	size_t nitems = 0, nnetifs = 0;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	memset(&c, 0, sizeof(c));
	c.d = d;
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next) {
		nitems++;
		if (it->kind == SPEC_I_CLASS)
			nnetifs += (size_t)it->cls->nnetifs;
	}
	if (map_init(&c.classes, nitems) != 0 || map_init(&c.entries, nitems) != 0 ||
	    map_init(&c.nets, nnetifs) != 0)
		goto out;
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next)
		if (it->kind == SPEC_I_CLASS)
			map_put(&c.classes, it->cls->name, it->cls);
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next) {
		const struct spec_class *k;
		struct spec_demand_class *e;

		if (it->kind != SPEC_I_NODESET)
			continue;
		if ((k = map_get(&c.classes, it->set->class_name)) == NULL)
			continue;
		if ((e = demand_entry(&c, k)) == NULL)
			goto out;
		e->nodes += it->set->num;
	}
	/* VM classes add their hosts to the host class's physical nodes. */
	for (size_t i = 0, n = d->nclasses; i < n; i++) {
		const struct spec_class *k = d->classes[i].cls, *h;
		struct spec_demand_class *e;
		long hosts;

		if (k->vntype == NULL || k->maxvnodes <= 0 ||
		    (h = map_get(&c.classes, k->vntype)) == NULL || h->vntype != NULL)
			continue;
		hosts = (d->classes[i].nodes + k->maxvnodes - 1) / k->maxvnodes;
		d->classes[i].hosts = hosts;
		if ((e = demand_entry(&c, h)) == NULL)
			goto out;
		e->hosts += hosts;
	}
	for (size_t i = 0; i < d->nclasses; i++) {
		const struct spec_class *k = d->classes[i].cls;

		if (k->vntype != NULL)
			d->vms += d->classes[i].nodes;
		else
			d->physical += d->classes[i].nodes + d->classes[i].hosts;
		for (const struct spec_netif *n = k->netifs; n != NULL; n = n->next)
			if (n->net != NULL && add_net(&c, n->net) != 0)
				goto out;
	}
	rc = 0;
out:
	map_free(&c.classes);
	map_free(&c.entries);
	map_free(&c.nets);
	if (rc != 0)
		spec_demand_free(d);
	return rc;
}

void
spec_demand_free(struct spec_demand *d)
{
	free(d->classes);
	free(d->nets);
	memset(d, 0, sizeof(*d));
}

void
spec_demand_print(FILE *out, const struct spec_demand *d)
{
	for (size_t i = 0; i < d->nclasses; i++) {
		const struct spec_demand_class *e = &d->classes[i];

		if (e->cls->vntype != NULL)
			fprintf(out, "  class %s: %ld VM%s on %ld host%s of class %s (%ld per host)\n",
			    e->cls->name, e->nodes, e->nodes == 1 ? "" : "s", e->hosts,
			    e->hosts == 1 ? "" : "s", e->cls->vntype, e->cls->maxvnodes);
		else if (e->hosts > 0)
			fprintf(out, "  class %s: %ld physical node%s (%ld as VM hosts)\n",
			    e->cls->name, e->nodes + e->hosts, e->nodes + e->hosts == 1 ? "" : "s",
			    e->hosts);
		else
			fprintf(out, "  class %s: %ld physical node%s\n", e->cls->name, e->nodes,
			    e->nodes == 1 ? "" : "s");
	}
	fprintf(out, "  total: %ld physical node%s, %ld VM%s\n", d->physical,
	    d->physical == 1 ? "" : "s", d->vms, d->vms == 1 ? "" : "s");
	if (d->nnets == 0) {
		fputs("  experiment networks: none\n", out);
		return;
	}
	fprintf(out, "  experiment networks: %zu (", d->nnets);
	for (size_t i = 0; i < d->nnets; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "", d->nets[i]);
	fprintf(out, "), %zu VLAN%s\n", d->nnets, d->nnets == 1 ? "" : "s");
}
