/* spec-tool: drives the experiment-language commands before (and
 * independently of) their wiring into springos:
 *
 *   spec-tool [-c springos.ini] check|fmt|plan SPEC [options]
 *
 * It is what the golden tests run; `springos check|fmt|plan` calls the
 * same functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_spec.h"

int
main(int argc, char **argv)
{
	const char *conf = getenv("SPRINGOS_CONF");
	int i = 1;

	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		conf = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		fputs("usage: spec-tool [-c springos.ini] check|fmt|plan SPEC [options]\n"
		    "  check SPEC [--inventory FILE] [--experiment NAME]\n"
		    "  fmt SPEC [--check]\n"
		    "  plan SPEC [--node NAME] [--inventory FILE] [--experiment NAME]\n",
		    i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if (strcmp(argv[i], "check") == 0)
		return cmd_spec_check(conf, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "fmt") == 0)
		return cmd_spec_fmt(conf, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "plan") == 0)
		return cmd_spec_plan(conf, argc - i - 1, argv + i + 1);
	fprintf(stderr, "spec-tool: unknown command '%s'\n", argv[i]);
	return 2;
}
