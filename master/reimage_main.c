/* springos-reimage [-c springos.ini] NODE... --image NAME ...: the same
 * as `springos node reimage`, for use until that command is wired into
 * the springos CLI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_reimage.h"
#include "config.h"
#include "erm.h"

int
main(int argc, char **argv)
{
	const char *conf_path = getenv("SPRINGOS_CONF");
	struct conf *conf;
	struct erm *db;
	char err[512];
	int rc, first = 1;

	if (conf_path == NULL || conf_path[0] == '\0')
		conf_path = "/etc/springos/springos.ini";
	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		conf_path = argv[2];
		first = 3;
	}
	if (argc > first && (strcmp(argv[first], "-h") == 0 ||
	    strcmp(argv[first], "--help") == 0))
		return cmd_node_reimage(NULL, NULL, 0, NULL) == 2 ? 0 : 1;
	if (conf_load(conf_path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "springos: %s\n", err);
		return 1;
	}
	if (erm_open(conf_str(conf, "testbed", "db"), 0, &db, err, sizeof(err)) != ERM_OK) {
		fprintf(stderr, "springos: %s\n", err);
		conf_free(conf);
		return 1;
	}
	rc = cmd_node_reimage(db, conf, argc - first, argv + first);
	erm_close(db);
	conf_free(conf);
	return rc;
}
