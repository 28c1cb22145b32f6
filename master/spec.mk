# master/spec.mk: the experiment language (parse, check, fmt, plan) and
# the `springos check|fmt|plan` command implementations.
LIB_SRCS += master/spec_lex.c master/spec_parse.c master/spec_check.c \
	master/spec_fmt.c
