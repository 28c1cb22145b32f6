/* cmd_spec: the experimenter's commands of springos over the experiment
 * language (see docs/language.md):
 *
 *   springos check SPEC [--inventory FILE] [--experiment NAME]
 *   springos fmt SPEC [--check]
 *   springos plan SPEC [--node NAME] [--inventory FILE] [--experiment NAME]
 *
 * Each function takes the configuration path (for the testbed database;
 * may be NULL) and the arguments after the command word (argv[0] is the
 * first of them).  They print to stdout/stderr and return the process
 * exit status: 0 ok, 1 the spec is wrong or cannot be placed, 2 usage. */
#ifndef SPRINGOS_CMD_SPEC_H
#define SPRINGOS_CMD_SPEC_H

int cmd_spec_check(const char *conf_path, int argc, char **argv);
int cmd_spec_fmt(const char *conf_path, int argc, char **argv);
int cmd_spec_plan(const char *conf_path, int argc, char **argv);

#endif
