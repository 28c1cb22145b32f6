/* springos node reimage NODE... --image NAME [--partition N] ...
 * (wired into master/springos.c's command table). */
#ifndef MASTER_CMD_REIMAGE_H
#define MASTER_CMD_REIMAGE_H

struct conf;
struct erm;

/* argv[0] is the first argument after "reimage".  Returns the exit code:
 * 0 when every node installed and verified, 1 if any failed, 2 on usage. */
int cmd_node_reimage(struct erm *db, const struct conf *conf, int argc, char **argv);

#endif
