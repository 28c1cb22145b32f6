# master/: the springos CLI (inventory part).
PROGRAMS += springos
springos_SRCS := master/springos.c master/cmd_reimage.c master/power.c
springos_LIBS := -ljansson -lcrypto
