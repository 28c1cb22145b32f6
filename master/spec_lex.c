/* spec_lex: the kuroyuri language's tokens, diagnostics and the arena.
 *
 * Newlines end scenario statements, so the lexer keeps them (one
 * T_NEWLINE per run of line ends).  A backslash (or two, as printed on
 * the SpringOS slides) before the end of a line continues the line: no
 * T_NEWLINE is produced.  Comments run from '#' or "//" to the end of the
 * line.  Each token remembers whether whitespace preceded it, because a
 * call is a name *directly* followed by '(' ("haddr(x)"), while "x (y)"
 * is two arguments. */
#include "spec_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- diagnostics ---- */

void
spec_diags_init(struct spec_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
spec_diags_free(struct spec_diags *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void
spec_diag_add(struct spec_diags *d, enum spec_severity sev, int line, int col,
    const char *fmt, ...)
{
	struct spec_diag *nv;
	va_list ap;

	if (sev == SPEC_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	if (d->n >= SPEC_MAX_DIAGS) {
		d->truncated = 1;
		return;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;

		nv = realloc(d->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			d->truncated = 1;
			return;
		}
		d->v = nv;
		d->cap = ncap;
	}
	d->v[d->n].severity = sev;
	d->v[d->n].line = line;
	d->v[d->n].col = col;
	va_start(ap, fmt);
	vsnprintf(d->v[d->n].msg, sizeof(d->v[d->n].msg), fmt, ap);
	va_end(ap);
	d->n++;
}

void
spec_diags_sort(struct spec_diags *d)
{
	/* Insertion sort: stable, and n is at most SPEC_MAX_DIAGS. */
	for (size_t i = 1; i < d->n; i++) {
		struct spec_diag t = d->v[i];
		size_t j = i;

		while (j > 0 && (d->v[j - 1].line > t.line ||
		    (d->v[j - 1].line == t.line && d->v[j - 1].col > t.col))) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = t;
	}
}

/* Find line number `line` (1-based) in buf. */
static int
find_line(const char *buf, size_t len, int line, const char **start, size_t *n)
{
	const char *p = buf, *end = buf + len, *nl;

	for (int l = 1; l < line; l++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return -1;
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*start = p;
	*n = (size_t)((nl ? nl : end) - p);
	return 0;
}

void
spec_diags_print(FILE *out, const char *file, const char *buf, size_t len,
    const struct spec_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct spec_diag *g = &d->v[i];
		const char *sev = g->severity == SPEC_ERROR ? "error" : "warning";
		const char *ls;
		size_t ln;

		if (g->line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", file, g->line, g->col, sev, g->msg);
		else
			fprintf(out, "%s: %s: %s\n", file, sev, g->msg);
		if (buf == NULL || g->line <= 0 ||
		    find_line(buf, len, g->line, &ls, &ln) != 0)
			continue;
		if (ln > 200)
			ln = 200;
		fputs("  ", out);
		for (size_t k = 0; k < ln; k++) {
			unsigned char c = (unsigned char)ls[k];

			/* Keep the caret aligned: tabs stay tabs, other
			 * control bytes become '?'. */
			fputc(c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0x80 ? c : '?', out);
		}
		fputs("\n  ", out);
		for (int k = 1; k < g->col && (size_t)k <= ln; k++)
			fputc(ls[k - 1] == '\t' ? '\t' : ' ', out);
		fputs("^\n", out);
	}
	if (d->truncated)
		fprintf(out, "%s: too many errors (%zu errors, %zu warnings; first %d shown)\n",
		    file, d->nerrors, d->nwarnings, SPEC_MAX_DIAGS);
}

/* ---- arena ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct spec_arena {
	struct arena_chunk *head;
};

#define ARENA_CHUNK (64u << 10)

struct spec_arena *
spec_arena_new(void)
{
	return calloc(1, sizeof(struct spec_arena));
}

void
spec_arena_free(struct spec_arena *a)
{
	struct arena_chunk *c, *n;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void *
spec_alloc(struct spec_arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	const size_t align = sizeof(max_align_t);
	void *p;

	size = (size + align - 1) / align * align;
	if (c == NULL || c->size - c->used < size) {
		size_t csize = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		c = malloc(sizeof(*c) + csize);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->size = csize;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *
spec_strndup(struct spec_arena *a, const char *s, size_t n)
{
	char *d = spec_alloc(a, n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- tokens ---- */

const char *
spec_tok_name(enum tok t)
{
	static const char *names[] = {
		[T_EOF] = "end of file", [T_NEWLINE] = "end of line",
		[T_IDENT] = "name", [T_INT] = "integer", [T_REAL] = "number",
		[T_STRING] = "string", [T_LBRACE] = "'{'", [T_RBRACE] = "'}'",
		[T_LPAREN] = "'('", [T_RPAREN] = "')'", [T_LBRACKET] = "'['",
		[T_RBRACKET] = "']'", [T_DOT] = "'.'", [T_COMMA] = "','",
		[T_SEMI] = "';'", [T_ASSIGN] = "'='", [T_PLUSEQ] = "'+='",
		[T_MINUSEQ] = "'-='", [T_INC] = "'++'", [T_DEC] = "'--'",
		[T_PLUS] = "'+'", [T_MINUS] = "'-'", [T_STAR] = "'*'",
		[T_SLASH] = "'/'", [T_PERCENT] = "'%'", [T_EQ] = "'=='",
		[T_NE] = "'!='", [T_LT] = "'<'", [T_LE] = "'<='", [T_GT] = "'>'",
		[T_GE] = "'>='", [T_AND] = "'&&'", [T_OR] = "'||'", [T_NOT] = "'!'",
		[T_ERROR] = "bad character",
	};

	return (size_t)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "token";
}

void
spec_tokens_free(struct token_list *t)
{
	free(t->v);
	free(t->comments);
	memset(t, 0, sizeof(*t));
}

static int
push(struct token_list *t, enum tok type, int line, int col, unsigned sp, size_t off,
    size_t len)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct token *nv = realloc(t->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = (struct token){ .off = (uint32_t)off, .len = (uint32_t)len,
	    .line = line, .col = col, .type = (uint8_t)type, .space_before = (uint8_t)sp };
	return 0;
}

static int
push_comment(struct token_list *t, int line, int col, unsigned own, size_t off, size_t len)
{
	if (t->ncomments == t->capcomments) {
		size_t ncap = t->capcomments ? t->capcomments * 2 : 32;
		struct token *nv = realloc(t->comments, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		t->comments = nv;
		t->capcomments = ncap;
	}
	t->comments[t->ncomments++] = (struct token){ .off = (uint32_t)off,
	    .len = (uint32_t)len, .line = line, .col = col, .type = T_EOF,
	    .space_before = (uint8_t)own };
	return 0;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

size_t
spec_unquote(const char *raw, size_t rawlen, char *dst)
{
	size_t i = 1, n = 0;
	size_t end = rawlen;

	/* raw includes the opening quote and, if the string was
	 * terminated, the closing one.  (An unterminated string ending in
	 * an escaped quote loses it here; it is an error anyway.) */
	if (end >= 2 && raw[end - 1] == '"')
		end--;
	while (i < end && n < SPEC_MAX_STRING) {
		char c = raw[i++];

		if (c == '\\' && i < end) {
			c = raw[i++];
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			default: break; /* \" \\ and (reported) unknown escapes */
			}
		}
		dst[n++] = c;
	}
	dst[n] = '\0';
	return n;
}

int
spec_lex(const char *buf, size_t len, struct token_list *out, struct spec_diags *diags)
{
	size_t i = 0, line_start = 0;
	int line = 1;
	unsigned sp = 1;

	memset(out, 0, sizeof(*out));
	if (len > SPEC_MAX_SIZE) {
		spec_diag_add(diags, SPEC_ERROR, 0, 0, "file too large: %zu bytes (limit %u MiB)",
		    len, SPEC_MAX_SIZE >> 20);
		return push(out, T_EOF, 1, 1, 1, 0, 0);
	}
#define COL() ((int)(i - line_start) + 1)
	while (i < len) {
		unsigned char c = (unsigned char)buf[i];
		size_t start = i;
		int col = COL();
		enum tok t;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			i++;
			sp = 1;
			continue;
		}
		if (c == '\n') {
			if (out->n == 0 || out->v[out->n - 1].type != T_NEWLINE)
				if (push(out, T_NEWLINE, line, col, sp, i, 1) != 0)
					return -1;
			i++;
			line++;
			line_start = i;
			sp = 1;
			continue;
		}
		if (c == '#' || (c == '/' && i + 1 < len && buf[i + 1] == '/')) {
			int own = out->n == 0 || out->v[out->n - 1].type == T_NEWLINE ||
			    out->v[out->n - 1].line != line;

			while (i < len && buf[i] != '\n')
				i++;
			/* Trailing blanks and a CR are not part of it; nor is
			 * anything from a NUL byte on (comments are kept as C
			 * strings). */
			{
				const char *nul = memchr(buf + start, '\0', i - start);
				size_t e = nul ? (size_t)(nul - buf) : i;

				while (e > start && (buf[e - 1] == ' ' || buf[e - 1] == '\t' ||
				    buf[e - 1] == '\r'))
					e--;
				if (push_comment(out, line, col, (unsigned)own, start, e - start) != 0)
					return -1;
			}
			sp = 1;
			continue;
		}
		if (c == '\\') {
			/* Line continuation: "\" or "\\", then optional blanks,
			 * then the end of the line. */
			size_t j = i + 1;

			if (j < len && buf[j] == '\\')
				j++;
			while (j < len && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\r'))
				j++;
			if (j < len && buf[j] == '\n') {
				i = j + 1;
				line++;
				line_start = i;
				sp = 1;
				continue;
			}
			if (j >= len) {
				i = j;
				continue;
			}
			spec_diag_add(diags, SPEC_ERROR, line, col,
			    "stray '\\': a backslash only continues a line when it ends it");
			i = j;
			sp = 1;
			continue;
		}
		if (c == '"') {
			size_t dec = 0;
			int closed = 0;

			i++;
			while (i < len && buf[i] != '\n') {
				if (buf[i] == '"') {
					i++;
					closed = 1;
					break;
				}
				if (buf[i] == '\\' && i + 1 < len && buf[i + 1] != '\n') {
					char e = buf[i + 1];

					if (e != '"' && e != '\\' && e != 'n' && e != 't')
						spec_diag_add(diags, SPEC_ERROR, line, COL(),
						    "unknown escape '\\%c' in string (use \\\", \\\\, \\n or \\t)",
						    e >= 0x20 && e < 0x7f ? e : '?');
					i += 2;
				} else {
					if (buf[i] == '\0')
						spec_diag_add(diags, SPEC_ERROR, line, COL(),
						    "NUL byte in string");
					i++;
				}
				dec++;
			}
			if (!closed)
				spec_diag_add(diags, SPEC_ERROR, line, col,
				    "unterminated string (a string ends on the line it starts)");
			if (dec > SPEC_MAX_STRING)
				spec_diag_add(diags, SPEC_ERROR, line, col,
				    "string too long: %zu bytes (limit %d)", dec, SPEC_MAX_STRING);
			if (push(out, T_STRING, line, col, sp, start, i - start) != 0)
				return -1;
			sp = 0;
			continue;
		}
		if (is_digit(c)) {
			t = T_INT;
			while (i < len && is_digit((unsigned char)buf[i]))
				i++;
			if (i + 1 < len && buf[i] == '.' && is_digit((unsigned char)buf[i + 1])) {
				t = T_REAL;
				i++;
				while (i < len && is_digit((unsigned char)buf[i]))
					i++;
			}
			if (i < len && (is_alpha((unsigned char)buf[i]))) {
				while (i < len && (is_alpha((unsigned char)buf[i]) ||
				    is_digit((unsigned char)buf[i])))
					i++;
				spec_diag_add(diags, SPEC_ERROR, line, col, "malformed number '%.*s'",
				    (int)(i - start > 40 ? 40 : i - start), buf + start);
			}
			if (push(out, t, line, col, sp, start, i - start) != 0)
				return -1;
			sp = 0;
			continue;
		}
		if (is_alpha(c)) {
			while (i < len && (is_alpha((unsigned char)buf[i]) ||
			    is_digit((unsigned char)buf[i])))
				i++;
			if (i - start > SPEC_MAX_NAME)
				spec_diag_add(diags, SPEC_ERROR, line, col,
				    "name too long: %zu bytes (limit %d)", i - start, SPEC_MAX_NAME);
			if (push(out, T_IDENT, line, col, sp, start, i - start) != 0)
				return -1;
			sp = 0;
			continue;
		}
		{
			char n1 = i + 1 < len ? buf[i + 1] : '\0';
			size_t l = 1;

			switch (c) {
			case '{': t = T_LBRACE; break;
			case '}': t = T_RBRACE; break;
			case '(': t = T_LPAREN; break;
			case ')': t = T_RPAREN; break;
			case '[': t = T_LBRACKET; break;
			case ']': t = T_RBRACKET; break;
			case '.': t = T_DOT; break;
			case ',': t = T_COMMA; break;
			case ';': t = T_SEMI; break;
			case '*': t = T_STAR; break;
			case '/': t = T_SLASH; break;
			case '%': t = T_PERCENT; break;
			case '+':
				t = n1 == '+' ? T_INC : n1 == '=' ? T_PLUSEQ : T_PLUS;
				l = t == T_PLUS ? 1 : 2;
				break;
			case '-':
				t = n1 == '-' ? T_DEC : n1 == '=' ? T_MINUSEQ : T_MINUS;
				l = t == T_MINUS ? 1 : 2;
				break;
			case '=':
				t = n1 == '=' ? T_EQ : T_ASSIGN;
				l = t == T_EQ ? 2 : 1;
				break;
			case '!':
				t = n1 == '=' ? T_NE : T_NOT;
				l = t == T_NE ? 2 : 1;
				break;
			case '<':
				t = n1 == '=' ? T_LE : T_LT;
				l = t == T_LE ? 2 : 1;
				break;
			case '>':
				t = n1 == '=' ? T_GE : T_GT;
				l = t == T_GE ? 2 : 1;
				break;
			case '&':
			case '|':
				if (n1 == (char)c) {
					t = c == '&' ? T_AND : T_OR;
					l = 2;
					break;
				}
				/* FALLTHROUGH */
			default:
				if (c >= 0x20 && c < 0x7f)
					spec_diag_add(diags, SPEC_ERROR, line, col,
					    "unexpected character '%c'", c);
				else
					spec_diag_add(diags, SPEC_ERROR, line, col,
					    "unexpected byte 0x%02x", c);
				i++;
				sp = 1;
				continue;
			}
			if (push(out, t, line, col, sp, start, l) != 0)
				return -1;
			i += l;
			sp = 0;
		}
	}
#undef COL
	if (out->n == 0 || out->v[out->n - 1].type != T_NEWLINE)
		if (push(out, T_NEWLINE, line, (int)(i - line_start) + 1, sp, len, 0) != 0)
			return -1;
	return push(out, T_EOF, line, (int)(i - line_start) + 1, 1, len, 0);
}
