/* spec_fmt: canonical text of an experiment description, and
 * structural equality of two trees.
 *
 * The canonical form: two-space indentation; class attributes in a fixed
 * order (maxvnodes, vntype, method, disktype, partition, ostype,
 * diskimage, netif..., scenario), which is the order of both examples on
 * the SpringOS slides; one statement per line, no continuation lines;
 * blanks around binary operators; a blank line around blocks.
 * Parentheses written by the experimenter are kept (they are tree nodes),
 * and none are added: the tree already encodes precedence.  Comments are
 * kept: a comment on a line of its own is printed before the next thing
 * written after it, at that thing's indentation; a comment after code
 * stays at the end of that line. */
#include "spec_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	char *s;
	size_t n, cap;
	int oom;
	const struct spec_comment *cm;  /* comments still to place */
	size_t ncm, ci;
};

/* The output of a spec no larger than SPEC_MAX_SIZE is bounded by a
 * small multiple of it; refuse to grow past that. */
#define FMT_MAX ((size_t)SPEC_MAX_SIZE * 4)

static void
put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *ns;

		while (ncap < b->n + n + 1)
			ncap *= 2;
		if (ncap > FMT_MAX || (ns = realloc(b->s, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void
indent(struct sbuf *b, int level)
{
	for (int i = 0; i < level; i++)
		put(b, "  ", 2);
}

/* Comments that came before source line `line`, on lines of their own. */
static void
flush_comments(struct sbuf *b, int line, int level)
{
	while (b->ci < b->ncm && (line <= 0 || b->cm[b->ci].line < line)) {
		indent(b, level);
		puts_(b, b->cm[b->ci].text);
		put(b, "\n", 1);
		b->ci++;
	}
}

/* A comment at the end of source line `line`. */
static void
trailing_comment(struct sbuf *b, int line)
{
	while (b->ci < b->ncm && b->cm[b->ci].line == line && !b->cm[b->ci].own_line) {
		put(b, "  ", 2);
		puts_(b, b->cm[b->ci].text);
		b->ci++;
	}
}

static void
put_string(struct sbuf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		switch (*s) {
		case '"': put(b, "\\\"", 2); break;
		case '\\': put(b, "\\\\", 2); break;
		case '\n': put(b, "\\n", 2); break;
		case '\t': put(b, "\\t", 2); break;
		default: put(b, s, 1); break;
		}
	}
	put(b, "\"", 1);
}

static const char *
op_text(enum spec_op op)
{
	switch (op) {
	case SPEC_OP_ADD: return "+";
	case SPEC_OP_SUB: return "-";
	case SPEC_OP_MUL: return "*";
	case SPEC_OP_DIV: return "/";
	case SPEC_OP_MOD: return "%";
	case SPEC_OP_EQ: return "==";
	case SPEC_OP_NE: return "!=";
	case SPEC_OP_LT: return "<";
	case SPEC_OP_LE: return "<=";
	case SPEC_OP_GT: return ">";
	case SPEC_OP_GE: return ">=";
	case SPEC_OP_AND: return "&&";
	case SPEC_OP_OR: return "||";
	case SPEC_OP_NOT: return "!";
	case SPEC_OP_NEG: return "-";
	case SPEC_OP_NONE: break;
	}
	return "?";
}

static void
put_expr(struct sbuf *b, const struct spec_expr *e)
{
	switch (e->kind) {
	case SPEC_E_INT:
		putf(b, "%lld", e->ival);
		break;
	case SPEC_E_STR:
		put_string(b, e->str);
		break;
	case SPEC_E_NAME:
		puts_(b, e->str);
		break;
	case SPEC_E_SELF:
		puts_(b, "self");
		break;
	case SPEC_E_FIELD:
		put_expr(b, e->a);
		put(b, ".", 1);
		puts_(b, e->str);
		break;
	case SPEC_E_INDEX:
		put_expr(b, e->a);
		put(b, "[", 1);
		put_expr(b, e->b);
		put(b, "]", 1);
		break;
	case SPEC_E_CALL:
		puts_(b, e->str);
		put(b, "(", 1);
		for (const struct spec_expr *a = e->args; a != NULL; a = a->next) {
			put_expr(b, a);
			if (a->next)
				put(b, ", ", 2);
		}
		put(b, ")", 1);
		break;
	case SPEC_E_BINOP:
		put_expr(b, e->a);
		put(b, " ", 1);
		puts_(b, op_text(e->op));
		put(b, " ", 1);
		put_expr(b, e->b);
		break;
	case SPEC_E_UNOP:
		puts_(b, op_text(e->op));
		/* "- -x" must not become "--x" (the decrement token). */
		if (e->a->kind == SPEC_E_UNOP && e->op == SPEC_OP_NEG && e->a->op == SPEC_OP_NEG)
			put(b, " ", 1);
		put_expr(b, e->a);
		break;
	case SPEC_E_PAREN:
		put(b, "(", 1);
		put_expr(b, e->a);
		put(b, ")", 1);
		break;
	}
}

static void
put_args(struct sbuf *b, const struct spec_expr *a)
{
	for (; a != NULL; a = a->next) {
		put(b, " ", 1);
		put_expr(b, a);
	}
}

static void put_block(struct sbuf *b, const struct spec_stmt *s, int level, int end);

static void
put_simple(struct sbuf *b, const struct spec_stmt *s)
{
	puts_(b, s->name);
	if (s->kind == SPEC_S_INCR) {
		puts_(b, s->op == SPEC_OP_ADD ? "++" : "--");
		return;
	}
	puts_(b, s->op == SPEC_OP_NONE ? " = " : s->op == SPEC_OP_ADD ? " += " : " -= ");
	put_expr(b, s->args);
}

static void
put_if(struct sbuf *b, const struct spec_stmt *s, int level)
{
	puts_(b, "if (");
	put_expr(b, s->cond);
	puts_(b, ") ");
	put_block(b, s->body, level, s->body_end);
	if (s->els != NULL || s->els_is_if) {
		puts_(b, " else ");
		if (s->els_is_if)
			put_if(b, s->els, level);
		else
			put_block(b, s->els, level, s->els_end);
	}
}

static void
put_stmt(struct sbuf *b, const struct spec_stmt *s, int level)
{
	flush_comments(b, s->line, level);
	indent(b, level);
	switch (s->kind) {
	case SPEC_S_NETIFIT:
		puts_(b, "netifit");
		put_args(b, s->args);
		break;
	case SPEC_S_WAKE:
		puts_(b, "wake");
		put_args(b, s->args);
		break;
	case SPEC_S_WAKEWAIT:
		puts_(b, "wakewait");
		put_args(b, s->args);
		break;
	case SPEC_S_PRINT:
		puts_(b, "print");
		put_args(b, s->args);
		break;
	case SPEC_S_SEND:
		puts_(b, "send ");
		if (s->set != NULL) {
			puts_(b, s->set);
			put(b, " ", 1);
			puts_(b, s->name);
			put(b, " ", 1);
		}
		put_expr(b, s->args);
		break;
	case SPEC_S_RECV:
		puts_(b, "recv ");
		if (s->set != NULL) {
			puts_(b, s->set);
			put(b, " ", 1);
			put_expr(b, s->args);
		} else {
			puts_(b, s->name);
		}
		break;
	case SPEC_S_SLEEP:
		puts_(b, "sleep ");
		put_expr(b, s->args);
		break;
	case SPEC_S_ASSIGN:
	case SPEC_S_INCR:
		put_simple(b, s);
		break;
	case SPEC_S_FOR:
		puts_(b, "for (");
		if (s->init)
			put_simple(b, s->init);
		puts_(b, "; ");
		put_expr(b, s->cond);
		puts_(b, ";");
		if (s->step) {
			put(b, " ", 1);
			put_simple(b, s->step);
		}
		puts_(b, ") ");
		put_block(b, s->body, level, s->body_end);
		break;
	case SPEC_S_IF:
		put_if(b, s, level);
		break;
	}
	if (s->kind != SPEC_S_FOR && s->kind != SPEC_S_IF)
		trailing_comment(b, s->line);
	put(b, "\n", 1);
}

/* "{", the statements one level deeper, then "}" at this level (no
 * newline after it: the caller decides). */
static void
put_block(struct sbuf *b, const struct spec_stmt *s, int level, int end)
{
	puts_(b, "{\n");
	for (; s != NULL; s = s->next)
		put_stmt(b, s, level + 1);
	if (end > 0)
		flush_comments(b, end, level + 1);
	indent(b, level);
	puts_(b, "}");
}

static void
put_class(struct sbuf *b, const struct spec_class *k)
{
	putf(b, "nodeclass %s {", k->name);
	trailing_comment(b, k->line);
	puts_(b, "\n");
#define ATTR_START(pos) do { \
	flush_comments(b, (pos).line, 1); \
	indent(b, 1); \
} while (0)
#define ATTR_END(pos) do { \
	trailing_comment(b, (pos).line); \
	puts_(b, "\n"); \
} while (0)
	if (k->maxvnodes) {
		ATTR_START(k->p_maxvnodes);
		putf(b, "maxvnodes %ld", k->maxvnodes);
		ATTR_END(k->p_maxvnodes);
	}
	if (k->vntype) {
		ATTR_START(k->p_vntype);
		puts_(b, "vntype ");
		puts_(b, k->vntype);
		ATTR_END(k->p_vntype);
	}
#define STRATTR(field) \
	if (k->field) { \
		ATTR_START(k->p_##field); \
		puts_(b, #field " "); \
		put_string(b, k->field); \
		ATTR_END(k->p_##field); \
	}
	STRATTR(method)
	STRATTR(disktype)
	if (k->partition) {
		ATTR_START(k->p_partition);
		putf(b, "partition %ld", k->partition);
		ATTR_END(k->p_partition);
	}
	STRATTR(ostype)
	STRATTR(diskimage)
#undef STRATTR
	for (const struct spec_netif *n = k->netifs; n != NULL; n = n->next) {
		struct spec_pos pos = { n->line, n->col };

		ATTR_START(pos);
		puts_(b, "netif media ");
		puts_(b, n->media);
		if (n->via >= 0)
			putf(b, " via %ld", n->via);
		if (n->net) {
			puts_(b, " net ");
			put_string(b, n->net);
		}
		ATTR_END(pos);
	}
	if (k->has_scenario) {
		ATTR_START(k->p_scenario);
		puts_(b, "scenario ");
		put_block(b, k->scenario, 1, k->scenario_end);
		puts_(b, "\n");
	}
#undef ATTR_START
#undef ATTR_END
	if (k->end_line > 0)
		flush_comments(b, k->end_line, 1);
	puts_(b, "}\n");
}

char *
spec_fmt(const struct spec *spec)
{
	struct sbuf b = { NULL, 0, 0, 0, spec->comments, spec->ncomments, 0 };
	int prev_block = -1;

	put(&b, "", 0);
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next) {
		int block = it->kind != SPEC_I_NODESET;

		if (prev_block >= 0 && (block || prev_block))
			puts_(&b, "\n");
		flush_comments(&b, it->line, 0);
		switch (it->kind) {
		case SPEC_I_CLASS:
			put_class(&b, it->cls);
			break;
		case SPEC_I_NODESET:
			putf(&b, "nodeset %s class %s num %ld", it->set->name,
			    it->set->class_name, it->set->num);
			trailing_comment(&b, it->line);
			puts_(&b, "\n");
			break;
		case SPEC_I_SCENARIO:
			puts_(&b, "scenario ");
			put_block(&b, it->scenario, 0, it->end_line);
			puts_(&b, "\n");
			break;
		}
		prev_block = block;
	}
	if (b.ci < b.ncm && prev_block >= 0)
		puts_(&b, "\n");
	flush_comments(&b, 0, 0);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	if (b.s == NULL)
		b.s = calloc(1, 1);
	return b.s;
}

char *
spec_fmt_expr(const struct spec_expr *e)
{
	struct sbuf b = { NULL, 0, 0, 0, NULL, 0, 0 };

	put(&b, "", 0);
	put_expr(&b, e);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* ---- equality ---- */

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
expr_eq(const struct spec_expr *a, const struct spec_expr *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->kind != b->kind || a->op != b->op || a->ival != b->ival ||
		    !str_eq(a->str, b->str))
			return 0;
		if ((a->a == NULL) != (b->a == NULL) || (a->a && !expr_eq(a->a, b->a)))
			return 0;
		if ((a->b == NULL) != (b->b == NULL) || (a->b && !expr_eq(a->b, b->b)))
			return 0;
		if (!expr_eq(a->args, b->args))
			return 0;
		/* a->a and a->b are single expressions: their next is NULL. */
	}
	return a == NULL && b == NULL;
}

static int
stmt_eq(const struct spec_stmt *a, const struct spec_stmt *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->kind != b->kind || a->op != b->op || a->els_is_if != b->els_is_if ||
		    !str_eq(a->set, b->set) || !str_eq(a->name, b->name) ||
		    !expr_eq(a->args, b->args) || !expr_eq(a->cond, b->cond) ||
		    !stmt_eq(a->init, b->init) || !stmt_eq(a->step, b->step) ||
		    !stmt_eq(a->body, b->body) || !stmt_eq(a->els, b->els))
			return 0;
	}
	return a == NULL && b == NULL;
}

static int
class_eq(const struct spec_class *a, const struct spec_class *b)
{
	const struct spec_netif *x, *y;

	if (!str_eq(a->name, b->name) || a->maxvnodes != b->maxvnodes ||
	    !str_eq(a->vntype, b->vntype) || !str_eq(a->ostype, b->ostype) ||
	    !str_eq(a->method, b->method) || !str_eq(a->disktype, b->disktype) ||
	    !str_eq(a->diskimage, b->diskimage) || a->partition != b->partition ||
	    a->nnetifs != b->nnetifs || a->has_scenario != b->has_scenario ||
	    !stmt_eq(a->scenario, b->scenario))
		return 0;
	for (x = a->netifs, y = b->netifs; x && y; x = x->next, y = y->next)
		if (!str_eq(x->media, y->media) || x->via != y->via || !str_eq(x->net, y->net))
			return 0;
	return x == NULL && y == NULL;
}

int
spec_equal(const struct spec *a, const struct spec *b)
{
	const struct spec_item *x, *y;

	for (x = a->items, y = b->items; x && y; x = x->next, y = y->next) {
		if (x->kind != y->kind)
			return 0;
		switch (x->kind) {
		case SPEC_I_CLASS:
			if (!class_eq(x->cls, y->cls))
				return 0;
			break;
		case SPEC_I_NODESET:
			if (!str_eq(x->set->name, y->set->name) ||
			    !str_eq(x->set->class_name, y->set->class_name) ||
			    x->set->num != y->set->num)
				return 0;
			break;
		case SPEC_I_SCENARIO:
			if (!stmt_eq(x->scenario, y->scenario))
				return 0;
			break;
		}
	}
	return x == NULL && y == NULL;
}
