/* spec_parse: hand-written recursive descent over the token list.
 *
 * Every rule function starts with its grammar rule.  Errors name what was
 * expected and, for an open construct, where it began ("'}' expected (to
 * close '{' at line 3)").  After an error the parser skips to the end of
 * the line (or of a block) and carries on, so one run reports every
 * error of a file; a second error on the line of the previous one is
 * dropped as a likely consequence of the first.  Nesting is capped at
 * SPEC_MAX_DEPTH, so no input can exhaust the stack. */
#include "spec_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *buf;
	const struct token *t;
	size_t n, pos;
	struct spec_arena *a;
	struct spec_diags *d;
	int depth;
	int paren;      /* > 0: inside ( ) or [ ], newlines are blanks */
	int fatal;      /* stop: depth limit or out of memory */
	int oom;
	int last_err_line;
	int nerr;
	int close_line;   /* line of the '}' that ended the last block */
	char sbuf[SPEC_MAX_STRING + 1];
};

static const struct token *
cur(struct parser *p)
{
	if (p->paren > 0)
		while (p->t[p->pos].type == T_NEWLINE)
			p->pos++;
	return &p->t[p->pos];
}

static const struct token *
advance(struct parser *p)
{
	const struct token *t = cur(p);

	if (t->type != T_EOF)
		p->pos++;
	return t;
}

static int
is(struct parser *p, enum tok type)
{
	return cur(p)->type == type;
}

static int
is_word(struct parser *p, const struct token *t, const char *w)
{
	size_t n = strlen(w);

	return t->type == T_IDENT && t->len == n && memcmp(p->buf + t->off, w, n) == 0;
}

static void __attribute__((format(printf, 3, 4)))
error_at(struct parser *p, const struct token *t, const char *fmt, ...)
{
	char msg[sizeof(((struct spec_diag *)0)->msg)];
	va_list ap;

	p->nerr++;
	if (t->line == p->last_err_line)
		return;
	p->last_err_line = t->line;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	spec_diag_add(p->d, SPEC_ERROR, t->line, t->col, "%s", msg);
}

/* A printable description of a token for messages: "name 'foo'",
 * "string \"x\"", "'}'". */
static const char *
describe(struct parser *p, const struct token *t, char *out, size_t outlen)
{
	int n = (int)(t->len > 40 ? 40 : t->len);

	switch (t->type) {
	case T_IDENT:
		snprintf(out, outlen, "'%.*s'", n, p->buf + t->off);
		break;
	case T_INT:
	case T_REAL:
		snprintf(out, outlen, "number %.*s", n, p->buf + t->off);
		break;
	case T_STRING:
		snprintf(out, outlen, "string %.*s%s", n, p->buf + t->off,
		    t->len > 40 ? "...\"" : "");
		break;
	default:
		snprintf(out, outlen, "%s", spec_tok_name(t->type));
		break;
	}
	return out;
}

static void *
xalloc(struct parser *p, size_t size)
{
	void *v = spec_alloc(p->a, size);

	if (v == NULL) {
		p->oom = p->fatal = 1;
	}
	return v;
}

static char *
tok_str(struct parser *p, const struct token *t)
{
	char *s = spec_strndup(p->a, p->buf + t->off, t->len);

	if (s == NULL)
		p->oom = p->fatal = 1;
	return s;
}

static char *
tok_string_value(struct parser *p, const struct token *t)
{
	size_t n = spec_unquote(p->buf + t->off, t->len, p->sbuf);
	char *s = spec_strndup(p->a, p->sbuf, n);

	if (s == NULL)
		p->oom = p->fatal = 1;
	return s;
}

static int
enter(struct parser *p, const struct token *t)
{
	if (++p->depth > SPEC_MAX_DEPTH) {
		if (!p->fatal) {
			p->last_err_line = 0;
			error_at(p, t, "nesting too deep (limit %d)", SPEC_MAX_DEPTH);
		}
		p->fatal = 1;
		return -1;
	}
	return 0;
}

static void
leave(struct parser *p)
{
	p->depth--;
}

/* Error recovery: skip to the end of the current line, over whole
 * blocks, without consuming a '}' that closes an enclosing block. */
static void
skip_line(struct parser *p)
{
	int braces = 0;

	p->paren = 0;
	for (;;) {
		const struct token *t = &p->t[p->pos];

		if (t->type == T_EOF)
			return;
		if (t->type == T_NEWLINE && braces == 0)
			return;
		if (t->type == T_RBRACE) {
			if (braces == 0)
				return;
			braces--;
		} else if (t->type == T_LBRACE) {
			braces++;
		}
		p->pos++;
	}
}

static int
expect(struct parser *p, enum tok type, const char *what)
{
	char d[80];

	if (is(p, type)) {
		advance(p);
		return 0;
	}
	error_at(p, cur(p), "%s expected, got %s", what, describe(p, cur(p), d, sizeof(d)));
	return -1;
}

static void
skip_newlines(struct parser *p)
{
	while (is(p, T_NEWLINE) || is(p, T_SEMI))
		advance(p);
}

/* A closing token: report where the construct opened if it is missing. */
static int
close_with(struct parser *p, enum tok type, const struct token *open)
{
	char d[80];

	if (is(p, type)) {
		advance(p);
		return 0;
	}
	error_at(p, cur(p), "%s expected (to close %s at line %d), got %s",
	    spec_tok_name(type), spec_tok_name(open->type), open->line,
	    describe(p, cur(p), d, sizeof(d)));
	return -1;
}

/* ---- expressions ---- */

static struct spec_expr *parse_expr(struct parser *p);

static struct spec_expr *
new_expr(struct parser *p, enum spec_expr_kind k, const struct token *t)
{
	struct spec_expr *e = xalloc(p, sizeof(*e));

	if (e != NULL) {
		e->kind = k;
		e->line = t->line;
		e->col = t->col;
	}
	return e;
}

static int
int_value(struct parser *p, const struct token *t, long long *out)
{
	char tmp[32];
	char *end;

	for (size_t i = 0; i < t->len; i++)
		if (p->buf[t->off + i] < '0' || p->buf[t->off + i] > '9')
			return -1; /* "4x": the lexer reported it */
	if (t->len >= sizeof(tmp)) {
		error_at(p, t, "integer too large: %.*s...", 20, p->buf + t->off);
		return -1;
	}
	memcpy(tmp, p->buf + t->off, t->len);
	tmp[t->len] = '\0';
	errno = 0;
	*out = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0') {
		error_at(p, t, "integer too large: %s", tmp);
		return -1;
	}
	return 0;
}

/* callargs -> '(' [ expr { ',' expr } ] ')' */
static struct spec_expr *
parse_callargs(struct parser *p, struct spec_expr *call)
{
	const struct token *open = advance(p);
	struct spec_expr **tail = &call->args;

	p->paren++;
	if (!is(p, T_RPAREN)) {
		for (;;) {
			struct spec_expr *e = parse_expr(p);

			if (e == NULL) {
				p->paren--;
				return NULL;
			}
			*tail = e;
			tail = &e->next;
			if (!is(p, T_COMMA))
				break;
			advance(p);
		}
	}
	if (close_with(p, T_RPAREN, open) != 0) {
		p->paren--;
		return NULL;
	}
	p->paren--;
	return call;
}

/* primary -> INT | STRING | 'self' | NAME | NAME callargs | '(' expr ')'
 * postfix -> primary { '.' NAME | '[' expr ']' } */
static struct spec_expr *
parse_postfix(struct parser *p)
{
	const struct token *t = cur(p);
	struct spec_expr *e = NULL;
	char d[80];

	if (p->fatal || enter(p, t) != 0)
		return NULL;
	switch (t->type) {
	case T_INT:
		advance(p);
		if ((e = new_expr(p, SPEC_E_INT, t)) != NULL && int_value(p, t, &e->ival) != 0)
			e = NULL;
		break;
	case T_REAL:
		advance(p);
		error_at(p, t, "only whole numbers are supported, got %.*s",
		    (int)(t->len > 40 ? 40 : t->len), p->buf + t->off);
		break;
	case T_STRING:
		advance(p);
		if ((e = new_expr(p, SPEC_E_STR, t)) != NULL)
			e->str = tok_string_value(p, t);
		break;
	case T_IDENT:
		advance(p);
		if (is_word(p, t, "self")) {
			e = new_expr(p, SPEC_E_SELF, t);
			break;
		}
		/* A call is a name directly followed by '(' (no blank):
		 * "x.rname (expr)" in an argument list is two arguments. */
		if (cur(p)->type == T_LPAREN && !cur(p)->space_before) {
			if ((e = new_expr(p, SPEC_E_CALL, t)) == NULL ||
			    (e->str = tok_str(p, t)) == NULL)
				break;
			e = parse_callargs(p, e);
			break;
		}
		if ((e = new_expr(p, SPEC_E_NAME, t)) != NULL)
			e->str = tok_str(p, t);
		break;
	case T_LPAREN: {
		struct spec_expr *in;

		advance(p);
		p->paren++;
		in = parse_expr(p);
		if (in != NULL && close_with(p, T_RPAREN, t) == 0 &&
		    (e = new_expr(p, SPEC_E_PAREN, t)) != NULL)
			e->a = in;
		p->paren--;
		break;
	}
	default:
		error_at(p, t, "expression expected, got %s", describe(p, t, d, sizeof(d)));
		break;
	}
	while (e != NULL && !p->fatal) {
		const struct token *op = cur(p);

		if (op->type == T_DOT) {
			const struct token *name;
			struct spec_expr *f;

			advance(p);
			name = cur(p);
			if (name->type != T_IDENT) {
				error_at(p, name, "field name expected after '.', got %s",
				    describe(p, name, d, sizeof(d)));
				e = NULL;
				break;
			}
			advance(p);
			if ((f = new_expr(p, SPEC_E_FIELD, name)) == NULL)
				break;
			f->a = e;
			f->str = tok_str(p, name);
			e = f;
		} else if (op->type == T_LBRACKET) {
			struct spec_expr *ix, *f;

			advance(p);
			p->paren++;
			ix = parse_expr(p);
			if (ix == NULL || close_with(p, T_RBRACKET, op) != 0) {
				p->paren--;
				e = NULL;
				break;
			}
			p->paren--;
			if ((f = new_expr(p, SPEC_E_INDEX, op)) == NULL)
				break;
			f->a = e;
			f->b = ix;
			e = f;
		} else {
			break;
		}
	}
	leave(p);
	return e;
}

/* unary -> ('-' | '!') unary | postfix */
static struct spec_expr *
parse_unary(struct parser *p)
{
	const struct token *t = cur(p);
	struct spec_expr *e, *in;

	if (t->type != T_MINUS && t->type != T_NOT)
		return parse_postfix(p);
	if (p->fatal || enter(p, t) != 0)
		return NULL;
	advance(p);
	in = parse_unary(p);
	leave(p);
	if (in == NULL || (e = new_expr(p, SPEC_E_UNOP, t)) == NULL)
		return NULL;
	e->op = t->type == T_MINUS ? SPEC_OP_NEG : SPEC_OP_NOT;
	e->a = in;
	return e;
}

static enum spec_op
binop(enum tok t, int level)
{
	switch (level) {
	case 0: return t == T_OR ? SPEC_OP_OR : SPEC_OP_NONE;
	case 1: return t == T_AND ? SPEC_OP_AND : SPEC_OP_NONE;
	case 2:
		switch (t) {
		case T_EQ: return SPEC_OP_EQ;
		case T_NE: return SPEC_OP_NE;
		case T_LT: return SPEC_OP_LT;
		case T_LE: return SPEC_OP_LE;
		case T_GT: return SPEC_OP_GT;
		case T_GE: return SPEC_OP_GE;
		default: return SPEC_OP_NONE;
		}
	case 3:
		return t == T_PLUS ? SPEC_OP_ADD : t == T_MINUS ? SPEC_OP_SUB : SPEC_OP_NONE;
	case 4:
		return t == T_STAR ? SPEC_OP_MUL : t == T_SLASH ? SPEC_OP_DIV :
		    t == T_PERCENT ? SPEC_OP_MOD : SPEC_OP_NONE;
	}
	return SPEC_OP_NONE;
}

/* or -> and { '||' and };  and -> cmp { '&&' cmp };
 * cmp -> add [ ('=='|'!='|'<'|'<='|'>'|'>=') add ];
 * add -> mul { ('+'|'-') mul };  mul -> unary { ('*'|'/'|'%') unary } */
static struct spec_expr *
parse_level(struct parser *p, int level)
{
	struct spec_expr *lhs;

	lhs = level == 5 ? parse_unary(p) : parse_level(p, level + 1);
	while (lhs != NULL && !p->fatal) {
		const struct token *t = cur(p);
		enum spec_op op = binop(t->type, level);
		struct spec_expr *rhs, *e;

		if (op == SPEC_OP_NONE)
			break;
		advance(p);
		rhs = level == 5 ? parse_unary(p) : parse_level(p, level + 1);
		if (rhs == NULL || (e = new_expr(p, SPEC_E_BINOP, t)) == NULL)
			return NULL;
		e->op = op;
		e->a = lhs;
		e->b = rhs;
		lhs = e;
		if (level == 2 && binop(cur(p)->type, 2) != SPEC_OP_NONE) {
			error_at(p, cur(p), "comparisons do not chain: use '&&'");
			return NULL;
		}
	}
	return lhs;
}

static struct spec_expr *
parse_expr(struct parser *p)
{
	return parse_level(p, 0);
}

static int
ends_stmt(const struct token *t)
{
	return t->type == T_NEWLINE || t->type == T_SEMI || t->type == T_RBRACE ||
	    t->type == T_EOF;
}

/* args -> { unary }: program arguments are juxtaposed values; an
 * operator between them must be inside parentheses. */
static struct spec_expr *
parse_args(struct parser *p, const struct token *kw, int min, int max, const char *need)
{
	struct spec_expr *head = NULL, **tail = &head;
	int n = 0;
	char d[80];

	while (!ends_stmt(cur(p))) {
		const struct token *t = cur(p);
		struct spec_expr *e;

		if (t->type != T_MINUS && t->type != T_NOT &&
		    (binop(t->type, 0) || binop(t->type, 1) || binop(t->type, 2) ||
		    binop(t->type, 3) || binop(t->type, 4))) {
			error_at(p, t, "operator %s between arguments: put the expression in "
			    "parentheses", spec_tok_name(t->type));
			return NULL;
		}
		if (t->type == T_COMMA) {
			error_at(p, t, "arguments are separated by blanks, not ','");
			return NULL;
		}
		if (max > 0 && n == max) {
			error_at(p, t, "too many arguments to '%.*s': %s, got %s",
			    (int)kw->len, p->buf + kw->off, need, describe(p, t, d, sizeof(d)));
			return NULL;
		}
		if ((e = parse_unary(p)) == NULL)
			return NULL;
		*tail = e;
		tail = &e->next;
		n++;
	}
	if (n < min) {
		error_at(p, cur(p), "'%.*s' needs %s", (int)kw->len, p->buf + kw->off, need);
		return NULL;
	}
	return head; /* not NULL: every caller asks for at least one */
}

/* ---- statements ---- */

static struct spec_stmt *parse_block(struct parser *p, int top, const struct token **open);

static struct spec_stmt *
new_stmt(struct parser *p, enum spec_stmt_kind k, const struct token *t)
{
	struct spec_stmt *s = xalloc(p, sizeof(*s));

	if (s != NULL) {
		s->kind = k;
		s->line = t->line;
		s->col = t->col;
	}
	return s;
}

static int
take_name(struct parser *p, const char *what, char **out, int *line, int *col)
{
	const struct token *t = cur(p);
	char d[80];

	if (t->type != T_IDENT) {
		error_at(p, t, "%s expected, got %s", what, describe(p, t, d, sizeof(d)));
		return -1;
	}
	advance(p);
	*line = t->line;
	*col = t->col;
	*out = tok_str(p, t);
	return *out == NULL ? -1 : 0;
}

/* simple -> NAME ('=' | '+=' | '-=') expr | NAME '++' | NAME '--' */
static struct spec_stmt *
parse_simple(struct parser *p)
{
	const struct token *name = cur(p), *op;
	struct spec_stmt *s;
	char d[80];

	if (name->type != T_IDENT) {
		error_at(p, name, "statement expected, got %s", describe(p, name, d, sizeof(d)));
		return NULL;
	}
	advance(p);
	op = cur(p);
	switch (op->type) {
	case T_INC:
	case T_DEC:
		advance(p);
		if ((s = new_stmt(p, SPEC_S_INCR, name)) == NULL)
			return NULL;
		s->op = op->type == T_INC ? SPEC_OP_ADD : SPEC_OP_SUB;
		break;
	case T_ASSIGN:
	case T_PLUSEQ:
	case T_MINUSEQ:
		advance(p);
		if ((s = new_stmt(p, SPEC_S_ASSIGN, name)) == NULL)
			return NULL;
		s->op = op->type == T_ASSIGN ? SPEC_OP_NONE :
		    op->type == T_PLUSEQ ? SPEC_OP_ADD : SPEC_OP_SUB;
		if ((s->args = parse_expr(p)) == NULL)
			return NULL;
		break;
	default:
		error_at(p, name, "unknown statement '%.*s' (expected netifit, wake, wakewait, "
		    "send, recv, sleep, print, for, if or an assignment)",
		    (int)name->len, p->buf + name->off);
		return NULL;
	}
	s->name = tok_str(p, name);
	s->name_line = name->line;
	s->name_col = name->col;
	return s;
}

static struct spec_stmt *parse_stmt(struct parser *p, int top);

/* ifstat -> 'if' '(' expr ')' block [ 'else' ( ifstat | block ) ] */
static struct spec_stmt *
parse_if(struct parser *p, int top)
{
	const struct token *kw = advance(p), *open, *bopen;
	struct spec_stmt *s = new_stmt(p, SPEC_S_IF, kw);
	size_t save;

	if (s == NULL)
		return NULL;
	open = cur(p);
	if (expect(p, T_LPAREN, "'(' after 'if'") != 0)
		return NULL;
	p->paren++;
	s->cond = parse_expr(p);
	if (s->cond == NULL || close_with(p, T_RPAREN, open) != 0) {
		p->paren--;
		return NULL;
	}
	p->paren--;
	if ((s->body = parse_block(p, top, &bopen)) == NULL && p->fatal)
		return NULL;
	s->body_end = p->close_line;
	if (bopen == NULL)
		return NULL;
	/* 'else' may start the next line. */
	save = p->pos;
	while (is(p, T_NEWLINE))
		advance(p);
	if (!is_word(p, cur(p), "else")) {
		p->pos = save;
		return s;
	}
	advance(p);
	if (is_word(p, cur(p), "if")) {
		if (enter(p, cur(p)) != 0)
			return NULL;
		s->els = parse_if(p, top);
		leave(p);
		s->els_is_if = 1;
		return s->els == NULL ? NULL : s;
	}
	s->els = parse_block(p, top, &bopen);
	if (bopen == NULL)
		return NULL;
	s->els_end = p->close_line;
	return s;
}

/* forstat -> 'for' '(' [simple] ';' expr ';' [simple] ')' block */
static struct spec_stmt *
parse_for(struct parser *p, int top)
{
	const struct token *kw = advance(p), *open, *bopen;
	struct spec_stmt *s = new_stmt(p, SPEC_S_FOR, kw);

	if (s == NULL)
		return NULL;
	open = cur(p);
	if (expect(p, T_LPAREN, "'(' after 'for'") != 0)
		return NULL;
	p->paren++;
	if (!is(p, T_SEMI) && (s->init = parse_simple(p)) == NULL)
		goto fail;
	if (expect(p, T_SEMI, "';' after the loop's initialisation") != 0)
		goto fail;
	if ((s->cond = parse_expr(p)) == NULL)
		goto fail;
	if (expect(p, T_SEMI, "';' after the loop's condition") != 0)
		goto fail;
	if (!is(p, T_RPAREN) && (s->step = parse_simple(p)) == NULL)
		goto fail;
	if (close_with(p, T_RPAREN, open) != 0)
		goto fail;
	p->paren--;
	s->body = parse_block(p, top, &bopen);
	if (bopen == NULL)
		return NULL;
	s->body_end = p->close_line;
	return s;
fail:
	p->paren--;
	return NULL;
}

/* stmt -> 'netifit' arg | ('wake'|'wakewait') arg arg {arg}
 *       | 'send' expr                      (node scenario)
 *       | 'send' NAME NAME expr            (top-level: set, value name, value)
 *       | 'recv' NAME                      (node scenario)
 *       | 'recv' NAME expr                 (top-level: set, message)
 *       | 'sleep' expr | 'print' arg {arg} | forstat | ifstat | simple */
static struct spec_stmt *
parse_stmt(struct parser *p, int top)
{
	const struct token *kw = cur(p);
	struct spec_stmt *s = NULL;

	if (kw->type != T_IDENT)
		return parse_simple(p);
	if (is_word(p, kw, "netifit")) {
		advance(p);
		if ((s = new_stmt(p, SPEC_S_NETIFIT, kw)) != NULL &&
		    (s->args = parse_args(p, kw, 1, 1, "the path of the interface scanner")) == NULL)
			s = NULL;
	} else if (is_word(p, kw, "wake") || is_word(p, kw, "wakewait")) {
		advance(p);
		s = new_stmt(p, kw->len == 4 ? SPEC_S_WAKE : SPEC_S_WAKEWAIT, kw);
		if (s != NULL && (s->args = parse_args(p, kw, 2, 0,
		    "a program path and its argv[0]")) == NULL)
			s = NULL;
	} else if (is_word(p, kw, "send")) {
		advance(p);
		if ((s = new_stmt(p, SPEC_S_SEND, kw)) == NULL)
			return NULL;
		if (top) {
			if (take_name(p, "node set name after 'send'", &s->set, &s->set_line,
			    &s->set_col) != 0 ||
			    take_name(p, "value name after the node set", &s->name,
			    &s->name_line, &s->name_col) != 0)
				return NULL;
		}
		if ((s->args = parse_expr(p)) == NULL)
			return NULL;
	} else if (is_word(p, kw, "recv")) {
		advance(p);
		if ((s = new_stmt(p, SPEC_S_RECV, kw)) == NULL)
			return NULL;
		if (top) {
			if (take_name(p, "node set name after 'recv'", &s->set, &s->set_line,
			    &s->set_col) != 0 || (s->args = parse_expr(p)) == NULL)
				return NULL;
		} else if (take_name(p, "value name after 'recv'", &s->name, &s->name_line,
		    &s->name_col) != 0) {
			return NULL;
		}
	} else if (is_word(p, kw, "sleep")) {
		advance(p);
		if ((s = new_stmt(p, SPEC_S_SLEEP, kw)) != NULL &&
		    (s->args = parse_expr(p)) == NULL)
			s = NULL;
	} else if (is_word(p, kw, "print")) {
		advance(p);
		if ((s = new_stmt(p, SPEC_S_PRINT, kw)) != NULL &&
		    (s->args = parse_args(p, kw, 1, 0, "something to print")) == NULL)
			s = NULL;
	} else if (is_word(p, kw, "for")) {
		s = parse_for(p, top);
	} else if (is_word(p, kw, "if")) {
		s = parse_if(p, top);
	} else if (is_word(p, kw, "else")) {
		error_at(p, kw, "'else' without 'if'");
	} else {
		s = parse_simple(p);
	}
	return s;
}

static int
starts_toplevel(struct parser *p, const struct token *t)
{
	return is_word(p, t, "nodeclass") || is_word(p, t, "nodeset");
}

/* block -> '{' { stmt (NEWLINE | ';') } '}'
 * Returns the statement list (NULL if empty); *open is the '{' token, or
 * NULL if there was none (an error was reported). */
static struct spec_stmt *
parse_block(struct parser *p, int top, const struct token **open)
{
	struct spec_stmt *head = NULL, **tail = &head;
	const struct token *o;
	int saved_paren = p->paren;
	char d[80];

	*open = NULL;
	p->paren = 0;
	while (is(p, T_NEWLINE))
		advance(p);
	o = cur(p);
	if (o->type != T_LBRACE) {
		error_at(p, o, "'{' expected, got %s", describe(p, o, d, sizeof(d)));
		p->paren = saved_paren;
		return NULL;
	}
	if (enter(p, o) != 0)
		return NULL;
	advance(p);
	*open = o;
	for (;;) {
		const struct token *t;
		struct spec_stmt *s;

		skip_newlines(p);
		t = cur(p);
		if (p->fatal)
			break;
		if (t->type == T_RBRACE) {
			p->close_line = t->line;
			advance(p);
			break;
		}
		if (t->type == T_EOF || starts_toplevel(p, t)) {
			/* Report at the end (or at the next class), naming
			 * where the block began. */
			p->close_line = t->line;
			p->last_err_line = 0;
			close_with(p, T_RBRACE, o);
			break;
		}
		s = parse_stmt(p, top);
		if (s == NULL) {
			if (p->fatal)
				break;
			skip_line(p);
			continue;
		}
		*tail = s;
		tail = &s->next;
		if (!ends_stmt(cur(p))) {
			error_at(p, cur(p), "unexpected %s after the statement (one statement "
			    "per line, or separate them with ';')", describe(p, cur(p), d, sizeof(d)));
			skip_line(p);
		}
	}
	leave(p);
	p->paren = saved_paren;
	return head;
}

/* ---- node classes ---- */

static const char *const class_attrs =
    "maxvnodes, vntype, ostype, method, disktype, partition, diskimage, netif or scenario";

static int
dup_attr(struct parser *p, const struct token *t, struct spec_pos *pos, const char *cls)
{
	if (pos->line != 0) {
		error_at(p, t, "duplicate '%.*s' in nodeclass '%s' (first at line %d)",
		    (int)t->len, p->buf + t->off, cls, pos->line);
		return -1;
	}
	pos->line = t->line;
	pos->col = t->col;
	return 0;
}

/* count -> ['-'] INT, within [min, max] */
static int
parse_count(struct parser *p, const char *what, long min, long max, long *out)
{
	const struct token *t = cur(p), *n;
	char d[80];
	long long v;
	int neg = 0;

	if (t->type == T_MINUS) {
		neg = 1;
		advance(p);
	}
	n = cur(p);
	if (n->type == T_REAL) {
		advance(p);
		error_at(p, t, "'%s' must be a whole number, got %s%.*s", what, neg ? "-" : "",
		    (int)(n->len > 40 ? 40 : n->len), p->buf + n->off);
		return -1;
	}
	if (n->type != T_INT) {
		error_at(p, n, "'%s' expects an integer, got %s", what,
		    describe(p, n, d, sizeof(d)));
		return -1;
	}
	advance(p);
	if (int_value(p, n, &v) != 0)
		return -1;
	if (neg)
		v = -v;
	if (v < min || v > max) {
		if (v < 0)
			error_at(p, t, "'%s' must not be negative, got %lld", what, v);
		else
			error_at(p, t, "'%s' must be between %ld and %ld, got %lld", what, min, max, v);
		return -1;
	}
	*out = (long)v;
	return 0;
}

static int
parse_string_attr(struct parser *p, const char *what, char **out)
{
	const struct token *t = cur(p);
	char d[80];

	if (t->type != T_STRING) {
		error_at(p, t, "'%s' expects a string, got %s", what, describe(p, t, d, sizeof(d)));
		return -1;
	}
	advance(p);
	*out = tok_string_value(p, t);
	return *out == NULL ? -1 : 0;
}

/* netif -> 'netif' { 'media' NAME | 'via' INT | 'net' STRING } */
static struct spec_netif *
parse_netif(struct parser *p, const struct token *kw)
{
	struct spec_netif *ni = xalloc(p, sizeof(*ni));
	int have_media = 0, have_via = 0, have_net = 0;
	char d[80];

	if (ni == NULL)
		return NULL;
	ni->line = kw->line;
	ni->col = kw->col;
	ni->via = -1;
	while (!ends_stmt(cur(p))) {
		const struct token *t = cur(p);
		int *seen;

		if (is_word(p, t, "media"))
			seen = &have_media;
		else if (is_word(p, t, "via"))
			seen = &have_via;
		else if (is_word(p, t, "net"))
			seen = &have_net;
		else {
			error_at(p, t, "unknown netif option %s (expected media, via or net)",
			    describe(p, t, d, sizeof(d)));
			return NULL;
		}
		if (*seen) {
			error_at(p, t, "duplicate '%.*s' in netif", (int)t->len, p->buf + t->off);
			return NULL;
		}
		*seen = 1;
		advance(p);
		if (seen == &have_media) {
			const struct token *m = cur(p);

			if (m->type != T_IDENT) {
				error_at(p, m, "'media' expects a media name such as fastethernet, "
				    "got %s", describe(p, m, d, sizeof(d)));
				return NULL;
			}
			advance(p);
			if ((ni->media = tok_str(p, m)) == NULL)
				return NULL;
		} else if (seen == &have_via) {
			ni->via_line = cur(p)->line;
			ni->via_col = cur(p)->col;
			if (parse_count(p, "via", 0, SPEC_MAX_NETIFS - 1, &ni->via) != 0)
				return NULL;
		} else {
			ni->net_line = cur(p)->line;
			ni->net_col = cur(p)->col;
			if (parse_string_attr(p, "net", &ni->net) != 0)
				return NULL;
			if (ni->net[0] == '\0') {
				error_at(p, t, "'net' expects a network name, got an empty string");
				return NULL;
			}
		}
	}
	if (!have_media) {
		error_at(p, kw, "netif needs 'media' (e.g. netif media fastethernet)");
		return NULL;
	}
	return ni;
}

/* attr -> 'maxvnodes' count | 'vntype' NAME | 'ostype' STRING
 *       | 'method' STRING | 'disktype' STRING | 'partition' count
 *       | 'diskimage' STRING | netif | 'scenario' block */
static int
parse_attr(struct parser *p, struct spec_class *c)
{
	const struct token *t = cur(p), *open;
	struct spec_netif **tail;
	char d[80];

	if (t->type != T_IDENT) {
		error_at(p, t, "attribute expected in nodeclass '%s' (%s), got %s", c->name,
		    class_attrs, describe(p, t, d, sizeof(d)));
		return -1;
	}
	advance(p);
	if (is_word(p, t, "maxvnodes")) {
		if (dup_attr(p, t, &c->p_maxvnodes, c->name) != 0)
			return -1;
		return parse_count(p, "maxvnodes", 1, SPEC_MAX_NUM, &c->maxvnodes);
	}
	if (is_word(p, t, "partition")) {
		if (dup_attr(p, t, &c->p_partition, c->name) != 0)
			return -1;
		return parse_count(p, "partition", 1, 128, &c->partition);
	}
	if (is_word(p, t, "vntype")) {
		const struct token *v;

		if (dup_attr(p, t, &c->p_vntype, c->name) != 0)
			return -1;
		v = cur(p);
		if (v->type != T_IDENT) {
			error_at(p, v, "'vntype' expects a class name, got %s",
			    describe(p, v, d, sizeof(d)));
			return -1;
		}
		advance(p);
		c->p_vntype.line = v->line;
		c->p_vntype.col = v->col;
		return (c->vntype = tok_str(p, v)) == NULL ? -1 : 0;
	}
	if (is_word(p, t, "ostype"))
		return dup_attr(p, t, &c->p_ostype, c->name) != 0 ? -1 :
		    parse_string_attr(p, "ostype", &c->ostype);
	if (is_word(p, t, "method"))
		return dup_attr(p, t, &c->p_method, c->name) != 0 ? -1 :
		    parse_string_attr(p, "method", &c->method);
	if (is_word(p, t, "disktype"))
		return dup_attr(p, t, &c->p_disktype, c->name) != 0 ? -1 :
		    parse_string_attr(p, "disktype", &c->disktype);
	if (is_word(p, t, "diskimage"))
		return dup_attr(p, t, &c->p_diskimage, c->name) != 0 ? -1 :
		    parse_string_attr(p, "diskimage", &c->diskimage);
	if (is_word(p, t, "netif")) {
		struct spec_netif *ni;

		if (c->nnetifs == SPEC_MAX_NETIFS) {
			error_at(p, t, "too many interfaces in nodeclass '%s' (limit %d)", c->name,
			    SPEC_MAX_NETIFS);
			return -1;
		}
		if ((ni = parse_netif(p, t)) == NULL)
			return -1;
		for (tail = &c->netifs; *tail != NULL; tail = &(*tail)->next)
			;
		*tail = ni;
		c->nnetifs++;
		return 0;
	}
	if (is_word(p, t, "scenario")) {
		if (dup_attr(p, t, &c->p_scenario, c->name) != 0)
			return -1;
		c->scenario = parse_block(p, 0, &open);
		if (open == NULL)
			return -1;
		c->scenario_end = p->close_line;
		c->has_scenario = 1;
		return 0;
	}
	error_at(p, t, "unknown attribute '%.*s' in nodeclass '%s' (expected %s)",
	    (int)t->len, p->buf + t->off, c->name, class_attrs);
	return -1;
}

/* nodeclass -> 'nodeclass' NAME '{' { attr (NEWLINE | ';') } '}' */
static struct spec_class *
parse_class(struct parser *p)
{
	const struct token *name, *open;
	struct spec_class *c;
	char d[80];

	advance(p);
	name = cur(p);
	if (name->type != T_IDENT) {
		error_at(p, name, "class name expected after 'nodeclass', got %s",
		    describe(p, name, d, sizeof(d)));
		return NULL;
	}
	advance(p);
	if ((c = xalloc(p, sizeof(*c))) == NULL || (c->name = tok_str(p, name)) == NULL)
		return NULL;
	c->line = name->line;
	c->col = name->col;
	while (is(p, T_NEWLINE))
		advance(p);
	open = cur(p);
	if (open->type != T_LBRACE) {
		error_at(p, open, "'{' expected after 'nodeclass %s', got %s", c->name,
		    describe(p, open, d, sizeof(d)));
		return NULL;
	}
	advance(p);
	for (;;) {
		const struct token *t;

		skip_newlines(p);
		t = cur(p);
		if (p->fatal)
			return c;
		if (t->type == T_RBRACE) {
			c->end_line = t->line;
			advance(p);
			return c;
		}
		if (t->type == T_EOF || starts_toplevel(p, t)) {
			p->last_err_line = 0;
			close_with(p, T_RBRACE, open);
			c->end_line = t->line;
			return c;
		}
		if (parse_attr(p, c) != 0) {
			if (p->fatal)
				return c;
			skip_line(p);
			continue;
		}
		if (!ends_stmt(cur(p))) {
			error_at(p, cur(p), "unexpected %s after '%.*s' (one attribute per line)",
			    describe(p, cur(p), d, sizeof(d)), (int)t->len, p->buf + t->off);
			skip_line(p);
		}
	}
}

/* nodeset -> 'nodeset' NAME 'class' NAME 'num' count */
static struct spec_nodeset *
parse_nodeset(struct parser *p)
{
	struct spec_nodeset *s;
	const struct token *t;
	char d[80];

	advance(p);
	if ((s = xalloc(p, sizeof(*s))) == NULL)
		return NULL;
	if (take_name(p, "node set name after 'nodeset'", &s->name, &s->line, &s->col) != 0)
		return NULL;
	t = cur(p);
	if (!is_word(p, t, "class")) {
		error_at(p, t, "'class' expected after 'nodeset %s', got %s", s->name,
		    describe(p, t, d, sizeof(d)));
		return NULL;
	}
	advance(p);
	if (take_name(p, "class name after 'class'", &s->class_name, &s->class_line,
	    &s->class_col) != 0)
		return NULL;
	t = cur(p);
	if (!is_word(p, t, "num")) {
		error_at(p, t, "'num' expected after 'class %s', got %s", s->class_name,
		    describe(p, t, d, sizeof(d)));
		return NULL;
	}
	advance(p);
	s->num_line = cur(p)->line;
	s->num_col = cur(p)->col;
	if (parse_count(p, "num", 1, SPEC_MAX_NUM, &s->num) != 0)
		return NULL;
	return s;
}

/* spec -> { nodeclass | nodeset | 'scenario' block } */
int
spec_parse(const char *buf, size_t len, struct spec **out, struct spec_diags *diags)
{
	struct token_list toks;
	struct parser p;
	struct spec *spec;
	struct spec_item **tail;
	size_t nerr0 = diags->nerrors;

	*out = NULL;
	if ((spec = calloc(1, sizeof(*spec))) == NULL)
		return -1;
	if ((spec->arena = spec_arena_new()) == NULL) {
		free(spec);
		return -1;
	}
	if (spec_lex(buf, len, &toks, diags) != 0) {
		spec_tokens_free(&toks);
		spec_free(spec);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.t = toks.v;
	p.n = toks.n;
	p.a = spec->arena;
	p.d = diags;
	tail = &spec->items;
	while (!p.fatal) {
		const struct token *t;
		struct spec_item *it;
		char d[80];

		skip_newlines(&p);
		t = cur(&p);
		if (t->type == T_EOF)
			break;
		if ((it = xalloc(&p, sizeof(*it))) == NULL)
			break;
		it->line = t->line;
		it->col = t->col;
		if (is_word(&p, t, "nodeclass")) {
			it->kind = SPEC_I_CLASS;
			it->cls = parse_class(&p);
			if (it->cls == NULL) {
				skip_line(&p);
				continue;
			}
		} else if (is_word(&p, t, "nodeset")) {
			it->kind = SPEC_I_NODESET;
			if ((it->set = parse_nodeset(&p)) == NULL) {
				skip_line(&p);
				continue;
			}
		} else if (is_word(&p, t, "scenario")) {
			const struct token *open;

			advance(&p);
			it->kind = SPEC_I_SCENARIO;
			it->scenario = parse_block(&p, 1, &open);
			if (open == NULL) {
				skip_line(&p);
				continue;
			}
			it->end_line = p.close_line;
		} else if (t->type == T_RBRACE) {
			error_at(&p, t, "unexpected '}' (no '{' is open)");
			advance(&p);
			continue;
		} else {
			error_at(&p, t, "'nodeclass', 'nodeset' or 'scenario' expected, got %s",
			    describe(&p, t, d, sizeof(d)));
			skip_line(&p);
			if (is(&p, T_RBRACE))
				advance(&p);
			continue;
		}
		if (p.fatal)
			break;
		*tail = it;
		tail = &it->next;
		if (!ends_stmt(cur(&p)) || is(&p, T_RBRACE)) {
			if (is(&p, T_RBRACE)) {
				error_at(&p, cur(&p), "unexpected '}' (no '{' is open)");
				advance(&p);
			} else {
				error_at(&p, cur(&p), "unexpected %s after the %s (one per line)",
				    describe(&p, cur(&p), d, sizeof(d)),
				    it->kind == SPEC_I_NODESET ? "nodeset" : "block");
				skip_line(&p);
			}
		}
	}
	if (!p.oom && toks.ncomments > 0) {
		spec->comments = spec_alloc(spec->arena, toks.ncomments * sizeof(*spec->comments));
		if (spec->comments == NULL)
			p.oom = 1;
		for (size_t i = 0; !p.oom && i < toks.ncomments; i++) {
			const struct token *c = &toks.comments[i];

			spec->comments[i].line = c->line;
			spec->comments[i].own_line = (int)c->space_before;
			spec->comments[i].text = spec_strndup(spec->arena, buf + c->off, c->len);
			if (spec->comments[i].text == NULL)
				p.oom = 1;
		}
		spec->ncomments = toks.ncomments;
	}
	spec_tokens_free(&toks);
	if (p.oom) {
		spec_free(spec);
		return -1;
	}
	*out = spec;
	return diags->nerrors > nerr0 ? 1 : 0;
}

void
spec_free(struct spec *spec)
{
	if (spec == NULL)
		return;
	spec_arena_free(spec->arena);
	free(spec);
}
