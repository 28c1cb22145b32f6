/* Internals shared by the spec_*.c files: tokens and the arena.  Not
 * for use outside master/spec_*.c. */
#ifndef SPRINGOS_SPEC_INT_H
#define SPRINGOS_SPEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

enum tok {
	T_EOF, T_NEWLINE, T_IDENT, T_INT, T_REAL, T_STRING,
	T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET,
	T_DOT, T_COMMA, T_SEMI,
	T_ASSIGN, T_PLUSEQ, T_MINUSEQ, T_INC, T_DEC,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR, T_NOT,
	T_ERROR, /* a byte the lexer could not use; already reported */
};

/* 20 bytes: a 10 MB spec has millions of tokens.  Offsets fit in 32
 * bits because a spec is at most SPEC_MAX_SIZE bytes. */
struct token {
	uint32_t off, len;     /* raw text in the source */
	int line, col;
	uint8_t type;          /* enum tok */
	uint8_t space_before;  /* whitespace or line start precedes it */
};

struct token_list {
	struct token *v;
	size_t n, cap;
	struct token *comments;  /* type T_EOF; space_before = own line */
	size_t ncomments, capcomments;
};

/* Split buf into tokens (always ends with T_EOF).  Lexical errors are
 * added to diags and the lexer carries on.  Returns -1 only if memory
 * runs out. */
int spec_lex(const char *buf, size_t len, struct token_list *out, struct spec_diags *diags);
void spec_tokens_free(struct token_list *t);
const char *spec_tok_name(enum tok t);

/* Decode a string token's text (with its quotes) into dst (room for
 * SPEC_MAX_STRING + 1); returns the decoded length. */
size_t spec_unquote(const char *raw, size_t rawlen, char *dst);

/* Arena: every tree node and string of one spec. */
struct spec_arena *spec_arena_new(void);
void spec_arena_free(struct spec_arena *a);
void *spec_alloc(struct spec_arena *a, size_t size); /* zeroed; NULL on OOM */
char *spec_strndup(struct spec_arena *a, const char *s, size_t n);

/* The canonical text of one expression (malloc'ed; NULL on OOM). */
char *spec_fmt_expr(const struct spec_expr *e);

#endif
