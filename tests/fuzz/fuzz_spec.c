/* libFuzzer harness for the experiment language: any bytes must parse
 * (with or without errors) without crashing or leaking; a spec without
 * errors must format to text that parses to an equal tree and formats
 * to itself; planning it on a small inventory and resolving every
 * node's scenario must terminate cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erm.h"
#include "../../master/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct erm_node inv[12];
static size_t ninv;
static FILE *sink;

/* Two VM hosts with three VMs each, and four plain nodes. */
static void
setup(void)
{
	for (int h = 0; h < 2; h++) {
		struct erm_node *n = &inv[ninv++];

		snprintf(n->name, sizeof(n->name), "h%d", h);
		n->kind = ERM_PHYSICAL;
		n->maxvnodes = 3;
		n->n_ifaces = 2;
		for (int i = 0; i < 2; i++) {
			n->ifaces[i].index = i;
			snprintf(n->ifaces[i].mac, sizeof(n->ifaces[i].mac), "02:00:00:00:0%d:0%d", h, i);
			snprintf(n->ifaces[i].sw, sizeof(n->ifaces[i].sw), "sw");
			n->ifaces[i].port = h * 2 + i + 1;
		}
		for (int v = 0; v < 3; v++) {
			struct erm_node *m = &inv[ninv++];

			snprintf(m->name, sizeof(m->name), "h%d-v%d", h, v);
			m->kind = ERM_VM;
			snprintf(m->host, sizeof(m->host), "h%d", h);
			m->n_ifaces = 2;
			for (int i = 0; i < 2; i++) {
				m->ifaces[i].index = i;
				snprintf(m->ifaces[i].mac, sizeof(m->ifaces[i].mac),
				    "02:01:00:0%d:0%d:0%d", h, v, i);
			}
		}
	}
	for (int p = 0; p < 4; p++) {
		struct erm_node *n = &inv[ninv++];

		snprintf(n->name, sizeof(n->name), "p%d", p);
		n->kind = ERM_PHYSICAL;
		n->n_ifaces = 3;
		for (int i = 0; i < 3; i++) {
			n->ifaces[i].index = i;
			snprintf(n->ifaces[i].mac, sizeof(n->ifaces[i].mac), "02:02:00:00:0%d:0%d", p, i);
			if (p != 3) {
				snprintf(n->ifaces[i].sw, sizeof(n->ifaces[i].sw), "sw");
				n->ifaces[i].port = 10 + p * 3 + i;
			}
		}
	}
	sink = fopen("/dev/null", "w");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec_diags d;
	struct spec *spec, *again;
	struct spec_demand dem;
	struct spec_plan plan;
	char *t1, *t2, why[512];

	if (sink == NULL)
		setup();
	spec_diags_init(&d);
	if (spec_parse((const char *)data, size, &spec, &d) < 0) {
		spec_diags_free(&d);
		return 0;
	}
	spec_check(spec, &d);
	spec_diags_sort(&d);
	spec_diags_print(sink, "fuzz", (const char *)data, size, &d);
	if (d.nerrors == 0) {
		t1 = spec_fmt(spec);
		if (t1 != NULL) {
			struct spec_diags d2;

			spec_diags_init(&d2);
			if (spec_parse(t1, strlen(t1), &again, &d2) >= 0) {
				if (d2.nerrors != 0 || !spec_equal(spec, again))
					abort();
				t2 = spec_fmt(again);
				if (t2 != NULL && strcmp(t1, t2) != 0)
					abort();
				free(t2);
				spec_free(again);
			}
			spec_diags_free(&d2);
			free(t1);
		}
		if (spec_demand(spec, &dem) == 0) {
			spec_demand_print(sink, &dem);
			spec_demand_free(&dem);
		}
		if (spec_plan(spec, inv, ninv, "fuzz", &plan, why, sizeof(why)) == 0) {
			spec_plan_print_summary(sink, &plan, 1);
			spec_plan_print_scenarios(sink, spec, &plan, NULL);
			spec_plan_free(&plan);
		}
	}
	spec_diags_free(&d);
	spec_free(spec);
	return 0;
}
