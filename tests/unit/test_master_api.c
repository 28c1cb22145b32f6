/* The master's pieces below HTTP: node tokens, install plans in erm
 * (plan, progress, result, stale plans, boot modes), request bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erm.h"
#include "erm_install.h"
#include "token.h"
#include "../../master/api.h"

#define KNOWN_HEX "be1b44f1d4f704701e995bc1685f5677b2f99e4ff01eb31cd759d1a32033e3b1"

struct fixture {
	char dir[64];
	char path[96];
	struct erm *db;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct erm_node n;
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_master_api.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/erm.db", f->dir);
	assert_int_equal(erm_open(f->path, 0, &f->db, err, sizeof(err)), ERM_OK);
	assert_int_equal(erm_install_init(f->db, err, sizeof(err)), ERM_OK);
	/* Idempotent. */
	assert_int_equal(erm_install_init(f->db, err, sizeof(err)), ERM_OK);
	memset(&n, 0, sizeof(n));
	str_copy(n.name, "n01", sizeof(n.name));
	str_copy(n.mac, "02:00:00:00:01:00", sizeof(n.mac));
	str_copy(n.power, "manual", sizeof(n.power));
	assert_int_equal(erm_node_add(f->db, &n), ERM_OK);
	str_copy(n.name, "n02", sizeof(n.name));
	str_copy(n.mac, "02:00:00:00:02:00", sizeof(n.mac));
	assert_int_equal(erm_node_add(f->db, &n), ERM_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	erm_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_token(void **state)
{
	struct fixture *f = *state;
	struct token_key key, key2;
	char hex[TOKEN_HEX_LEN + 1], tok[TOKEN_MAX], node[ERM_NAME_MAX], path[128], err[256];
	struct stat st;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/secret", f->dir);
	assert_int_equal(token_secret_load(path, 0, &key, err, sizeof(err)), -1);
	assert_int_equal(token_secret_load(path, 1, &key, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(key.len, 64);	/* the newline is not part of it */
	/* The second load reads the same secret back. */
	assert_int_equal(token_secret_load(path, 1, &key2, err, sizeof(err)), 0);
	assert_memory_equal(key.b, key2.b, key.len);

	/* Shape and dependence on every input; a known value below. */
	assert_int_equal(token_hex(&key, 1, "", hex), 0);
	assert_int_equal(strlen(hex), 64);
	snprintf(tok, sizeof(tok), "n01.%s", hex);
	assert_true(token_check(&key, tok, 1, ""));
	assert_false(token_check(&key, tok, 2, ""));
	assert_false(token_check(&key, tok, 1, "exp1"));	/* node changed hands */
	key2.b[0] ^= 1;
	assert_false(token_check(&key2, tok, 1, ""));
	tok[10] = tok[10] == 'a' ? 'b' : 'a';
	assert_false(token_check(&key, tok, 1, ""));
	assert_int_equal(token_split(tok, strlen(tok), node, sizeof(node)), 0);
	assert_string_equal(node, "n01");
	assert_int_equal(token_split("n01", 3, node, sizeof(node)), -1);
	assert_int_equal(token_split(tok + 3, strlen(tok + 3), node, sizeof(node)), -1);
	tok[10] = 'G';
	assert_int_equal(token_split(tok, strlen(tok), node, sizeof(node)), -1);

	/* A known value: key "0123456789abcdef", node 7, experiment "exp"
	 * (computed with: printf '7:exp' | openssl dgst -sha256 -hmac
	 * 0123456789abcdef). */
	fp = fopen(path, "w");
	fputs("0123456789abcdef\n", fp);
	fclose(fp);
	assert_int_equal(token_secret_load(path, 1, &key, err, sizeof(err)), 0);
	assert_int_equal(token_hex(&key, 7, "exp", hex), 0);
	assert_string_equal(hex, KNOWN_HEX);

	/* A damaged secret file is refused, not used. */
	fp = fopen(path, "w");
	fputs("short\n", fp);
	fclose(fp);
	assert_int_equal(token_secret_load(path, 1, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a secret"));
}

static void
test_plans(void **state)
{
	struct fixture *f = *state;
	struct erm_install p, got;
	struct erm_node n;
	char err[256];
	int64_t first;

	memset(&p, 0, sizeof(p));
	str_copy(p.node, "n01", sizeof(p.node));
	str_copy(p.image, "deb", sizeof(p.image));
	str_copy(p.url, "http://10.99.0.1:8081/images/deb", sizeof(p.url));
	str_copy(p.format, "gzip", sizeof(p.format));
	p.partition = 4;
	assert_int_equal(erm_install_get(f->db, "n01", &got, err, sizeof(err)), ERM_ENOENT);
	assert_int_equal(erm_install_put(f->db, &p, err, sizeof(err)), ERM_OK);
	first = p.id;
	assert_true(first > 0);
	assert_int_equal(erm_node_get(f->db, "n01", &n), ERM_OK);
	assert_int_equal(n.boot, ERM_BOOT_INSTALL);
	assert_int_equal(erm_install_get(f->db, "n01", &got, err, sizeof(err)), ERM_OK);
	assert_string_equal(got.state, "pending");
	assert_int_equal(got.partition, 4);
	assert_string_equal(got.url, p.url);

	/* Progress of the current plan is recorded; of another, refused. */
	assert_int_equal(erm_install_progress(f->db, "n01", first, "writing", 40, 4000, 1e6,
	    err, sizeof(err)), ERM_OK);
	assert_int_equal(erm_install_progress(f->db, "n02", first, "writing", 50, 1, 1, err,
	    sizeof(err)), ERM_ENOENT);
	assert_int_equal(erm_install_progress(f->db, "n01", first, "bogus", 50, 1, 1, err,
	    sizeof(err)), ERM_EINVAL);
	assert_int_equal(erm_install_get(f->db, "n01", &got, err, sizeof(err)), ERM_OK);
	assert_string_equal(got.state, "writing");
	assert_int_equal(got.percent, 40);
	assert_int_equal(got.bytes, 4000);

	/* A failure keeps the node in install and counts the attempt. */
	assert_int_equal(erm_install_result(f->db, "n01", first, 0, "disk on fire", 77,
	    err, sizeof(err)), ERM_OK);
	assert_int_equal(erm_node_get(f->db, "n01", &n), ERM_OK);
	assert_int_equal(n.boot, ERM_BOOT_INSTALL);
	assert_string_equal(n.state, "install-failed");
	assert_int_equal(erm_install_get(f->db, "n01", &got, err, sizeof(err)), ERM_OK);
	assert_string_equal(got.state, "failed");
	assert_string_equal(got.reason, "disk on fire");
	assert_int_equal(got.attempts, 1);
	assert_int_equal(got.bytes, 4000); /* a failure keeps the last progress */

	/* A new plan replaces the old with a new id; the old id is stale. */
	assert_int_equal(erm_install_put(f->db, &p, err, sizeof(err)), ERM_OK);
	assert_true(p.id > first);
	assert_int_equal(erm_install_result(f->db, "n01", first, 1, "", 0, err, sizeof(err)),
	    ERM_ENOENT);
	assert_int_equal(erm_node_get(f->db, "n01", &n), ERM_OK);
	assert_int_equal(n.boot, ERM_BOOT_INSTALL);

	/* Success: boot local, state installed, plan done. */
	assert_int_equal(erm_install_result(f->db, "n01", p.id, 1, "", 123456789, err,
	    sizeof(err)), ERM_OK);
	assert_int_equal(erm_node_get(f->db, "n01", &n), ERM_OK);
	assert_int_equal(n.boot, ERM_BOOT_LOCAL);
	assert_string_equal(n.state, "installed");
	assert_int_equal(erm_install_get(f->db, "n01", &got, err, sizeof(err)), ERM_OK);
	assert_string_equal(got.state, "done");
	assert_int_equal(got.percent, 100);
	/* The result's byte count, though no progress came for this plan. */
	assert_int_equal(got.bytes, 123456789);
	/* Late progress from a slow ni does not undo done. */
	assert_int_equal(erm_install_progress(f->db, "n01", p.id, "writing", 10, 1, 1, err,
	    sizeof(err)), ERM_ENOENT);

	/* Unknown node: nothing recorded. */
	str_copy(p.node, "n99", sizeof(p.node));
	assert_int_equal(erm_install_put(f->db, &p, err, sizeof(err)), ERM_ENOENT);
	p.partition = 129;
	str_copy(p.node, "n02", sizeof(p.node));
	assert_int_equal(erm_install_put(f->db, &p, err, sizeof(err)), ERM_EINVAL);
}

static void
test_bodies(void **state)
{
	struct api_progress pr;
	struct api_result r;
	char err[256];
	const char *s;

	(void)state;
	s = "{\"id\":3,\"state\":\"writing\",\"percent\":12,\"bytes\":99,\"rate\":1.5e6}";
	assert_int_equal(api_parse_progress(s, strlen(s), &pr, err, sizeof(err)), 0);
	assert_int_equal(pr.id, 3);
	assert_int_equal(pr.percent, 12);
	assert_int_equal(pr.bytes, 99);
	s = "{\"id\":3,\"state\":\"sleeping\"}";
	assert_int_equal(api_parse_progress(s, strlen(s), &pr, err, sizeof(err)), -1);
	s = "{\"state\":\"writing\"}";
	assert_int_equal(api_parse_progress(s, strlen(s), &pr, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"id\""));
	s = "{\"id\":3,\"state\":\"writing\",\"percent\":101}";
	assert_int_equal(api_parse_progress(s, strlen(s), &pr, err, sizeof(err)), -1);
	s = "{\"id\":3,\"state\":\"writing\",\"rate\":-1}";
	assert_int_equal(api_parse_progress(s, strlen(s), &pr, err, sizeof(err)), -1);

	s = "{\"id\":3,\"ok\":false,\"reason\":\"no disk\"}";
	assert_int_equal(api_parse_result(s, strlen(s), &r, err, sizeof(err)), 0);
	assert_false(r.ok);
	assert_string_equal(r.reason, "no disk");
	s = "{\"id\":3,\"ok\":\"yes\"}";
	assert_int_equal(api_parse_result(s, strlen(s), &r, err, sizeof(err)), -1);
	s = "{\"id\":0,\"ok\":true}";
	assert_int_equal(api_parse_result(s, strlen(s), &r, err, sizeof(err)), -1);
	s = "not json";
	assert_int_equal(api_parse_result(s, strlen(s), &r, err, sizeof(err)), -1);

	assert_string_equal(api_bearer("Bearer n01.ff"), "n01.ff");
	assert_string_equal(api_bearer("bearer   n01.ff"), "n01.ff");
	assert_null(api_bearer("Basic abc"));
	assert_null(api_bearer("Bearer "));
	assert_null(api_bearer(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
		cmocka_unit_test(test_bodies),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("master_api", tests, NULL, NULL);
}
