# master/: the springos CLI (inventory part).
PROGRAMS += springos
springos_SRCS := master/springos.c
springos_LIBS := -ljansson -lcrypto
