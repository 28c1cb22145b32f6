/* erm_vlan: VLAN ids from a range, ownership of VLANs and ports by
 * experiments, release, and two processes reserving at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "erm.h"
#include "erm_vlan.h"

struct fixture {
	char dir[64];
	char path[128];
	struct erm *erm;
	sqlite3 *db;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_erm_vlan.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/erm.db", f->dir);
	assert_int_equal(erm_open(f->path, 0, &f->erm, err, sizeof(err)), ERM_OK);
	assert_int_equal(erm_vlan_attach(f->erm, &f->db, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[192];

	erm_close(f->erm);
	const char *sfx[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
reserve(sqlite3 *db, const char *exp, int vmin, int vmax, struct erm_vlan_net *n, int cnt,
    char *err, size_t errlen)
{
	int rc;

	assert_int_equal(erm_vlan_begin(db, err, errlen), 0);
	rc = erm_vlan_reserve(db, "lab", exp, vmin, vmax, n, cnt, err, errlen);
	if (rc == 0)
		assert_int_equal(erm_vlan_commit(db, err, errlen), 0);
	else
		erm_vlan_rollback(db);
	return rc;
}

static struct erm_vlan_net
net(const char *name, int vlan, const int *ports, int n)
{
	struct erm_vlan_net x;

	memset(&x, 0, sizeof(x));
	snprintf(x.network, sizeof(x.network), "%s", name);
	x.vlan = vlan;
	x.ports = ports;
	x.nports = n;
	return x;
}

static int
count_cb(const struct erm_vlan_row *row, void *ctx)
{
	(*(int *)ctx) += 1 + row->nports * 100;
	return 0;
}

static void
test_reserve_release(void **state)
{
	struct fixture *f = *state;
	static const int p12[] = { 1, 2 }, p34[] = { 3, 4 }, p3[] = { 3 }, p5[] = { 5 };
	struct erm_vlan_net n[2];
	char err[256], owner[64];
	int c;

	n[0] = net("ethnet-0", 0, p12, 2);
	n[1] = net("ethnet-1", 0, p34, 2);
	assert_int_equal(reserve(f->db, "exp1", 100, 102, n, 2, err, sizeof(err)), 0);
	assert_int_equal(n[0].vlan, 100);
	assert_int_equal(n[1].vlan, 101);
	/* The same networks again keep their VLANs. */
	n[0].vlan = n[1].vlan = 0;
	assert_int_equal(reserve(f->db, "exp1", 100, 102, n, 2, err, sizeof(err)), 0);
	assert_int_equal(n[1].vlan, 101);
	assert_int_equal(erm_vlan_owner(f->db, "lab", 101, owner, sizeof(owner)), 1);
	assert_string_equal(owner, "exp1");
	assert_int_equal(erm_vlan_port_owner(f->db, "lab", 4, owner, sizeof(owner)), 1);
	assert_int_equal(erm_vlan_port_owner(f->db, "lab", 9, owner, sizeof(owner)), 0);

	/* exp2: a port of exp1's, a VLAN of exp1's, outside the range, none left. */
	n[0] = net("a", 0, p3, 1);
	assert_int_equal(reserve(f->db, "exp2", 100, 102, n, 1, err, sizeof(err)), -1);
	assert_string_equal(err, "switch lab: port 3 is held by experiment exp1");
	n[0] = net("a", 100, p5, 1);
	assert_int_equal(reserve(f->db, "exp2", 100, 102, n, 1, err, sizeof(err)), -1);
	assert_string_equal(err, "switch lab: VLAN 100 is held by experiment exp1 (network "
	    "'ethnet-0')");
	n[0] = net("a", 99, p5, 1);
	assert_int_equal(reserve(f->db, "exp2", 100, 102, n, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "VLAN 99 of network 'a' is outside the configured range "
	    "100-102"));
	n[0] = net("a", 0, p5, 1);
	n[1] = net("b", 0, NULL, 0);
	assert_int_equal(reserve(f->db, "exp2", 100, 102, n, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no free VLAN id left in 100-102 for network 'b'"));
	/* ...and the failed reservation left nothing behind. */
	assert_int_equal(erm_vlan_port_owner(f->db, "lab", 5, owner, sizeof(owner)), 0);
	assert_int_equal(erm_vlan_owner(f->db, "lab", 102, owner, sizeof(owner)), 0);

	c = 0;
	assert_int_equal(erm_vlan_list(f->db, "lab", "exp1", count_cb, &c, err, sizeof(err)), 0);
	assert_int_equal(c, 2 + 400);

	/* Release frees VLANs and ports; the lowest id is reused. */
	assert_int_equal(erm_vlan_begin(f->db, err, sizeof(err)), 0);
	assert_int_equal(erm_vlan_release(f->db, "lab", "exp1", err, sizeof(err)), 0);
	assert_int_equal(erm_vlan_commit(f->db, err, sizeof(err)), 0);
	c = 0;
	assert_int_equal(erm_vlan_list(f->db, "", "", count_cb, &c, err, sizeof(err)), 0);
	assert_int_equal(c, 0);
	n[0] = net("a", 0, p3, 1);
	assert_int_equal(reserve(f->db, "exp2", 100, 102, n, 1, err, sizeof(err)), 0);
	assert_int_equal(n[0].vlan, 100);
}

/* Two processes each reserve 20 networks on the same switch at once:
 * every network gets its own VLAN, nobody fails. */
static void
test_two_processes(void **state)
{
	struct fixture *f = *state;
	char err[256];
	int c = 0;

	for (int k = 0; k < 2; k++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			struct erm *erm;
			sqlite3 *db;
			char exp[16];

			snprintf(exp, sizeof(exp), "p%d", k);
			if (erm_open(f->path, 0, &erm, err, sizeof(err)) != ERM_OK ||
			    erm_vlan_attach(erm, &db, err, sizeof(err)) < 0)
				_exit(2);
			for (int i = 0; i < 20; i++) {
				struct erm_vlan_net n = net("", 0, NULL, 0);

				snprintf(n.network, sizeof(n.network), "n%d", i);
				if (erm_vlan_begin(db, err, sizeof(err)) < 0 ||
				    erm_vlan_reserve(db, "lab", exp, 100, 999, &n, 1, err,
				    sizeof(err)) < 0 || erm_vlan_commit(db, err, sizeof(err)) < 0)
					_exit(1);
			}
			erm_close(erm);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;

		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(erm_vlan_list(f->db, "lab", "", count_cb, &c, err, sizeof(err)), 0);
	assert_int_equal(c, 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserve_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("erm_vlan", tests, NULL, NULL);
}
