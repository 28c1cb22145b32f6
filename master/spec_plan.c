/* spec_plan: place an experiment on a concrete inventory, and show each
 * node's scenario with everything the plan knows resolved.
 *
 * Pure: the inventory is an array of erm nodes (from erm_node_list or an
 * inventory file); nothing here touches the database.
 *
 * Matching rules (docs/language.md, "Resolution"):
 *  - a physical class P takes free physical nodes whose inventory class
 *    is P if the inventory has any node of class P, otherwise any free
 *    physical node; nodes that can host VMs are taken last;
 *  - a VM class V (vntype H, maxvnodes M) needs hosts: free physical
 *    nodes matching H as above, with maxvnodes > 0, an inventory vntype
 *    that is empty or V, and free VM entries (kind = vm, host = it).  A
 *    host carries min(M, its maxvnodes, its free VM entries) VMs; hosts
 *    are filled in name order, so 40 VMs at 8 per host take 5 hosts;
 *  - every interface that joins a network must be cabled to a switch
 *    port (for a VM, the host interface it is bridged to via);
 *  - experiment network i (in order of first use) is one VLAN and gets
 *    the subnet 10.(i+1).0.0/16; its members are numbered from .0.1 in
 *    plan order. */
#include "spec_int.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "erm.h"

static void __attribute__((format(printf, 3, 4)))
say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* The host interface a VM interface is bridged to: its via, or by
 * default the host interface with the same number. */
static long
via_of(const struct spec_netif *f, long index)
{
	return f->via >= 0 ? f->via : index;
}

static const struct erm_iface *
iface(const struct erm_node *n, long index)
{
	for (int i = 0; i < n->n_ifaces && i < ERM_MAX_IFACES; i++)
		if (n->ifaces[i].index == index)
			return &n->ifaces[i];
	return NULL;
}

struct planner {
	const struct spec *spec;
	const struct erm_node *inv;
	size_t ninv;
	unsigned char *used;
	struct spec_plan *plan;
	size_t cap;
	char *why;
	size_t whylen;
};

static int
class_in_inventory(const struct planner *p, const char *cls)
{
	for (size_t i = 0; i < p->ninv; i++)
		if (p->inv[i].kind == ERM_PHYSICAL && strcmp(p->inv[i].node_class, cls) == 0)
			return 1;
	return 0;
}

static struct spec_plan_node *
add_node(struct planner *p)
{
	struct spec_plan_node *n;

	if (p->plan->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		struct spec_plan_node *nv = realloc(p->plan->nodes, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		p->plan->nodes = nv;
		p->cap = ncap;
	}
	n = &p->plan->nodes[p->plan->n++];
	memset(n, 0, sizeof(*n));
	n->host = -1;
	for (int i = 0; i < SPEC_MAX_NETIFS; i++)
		n->net[i] = -1;
	return n;
}

/* Is inventory node i usable for physical class k?  Returns NULL or a
 * reason it is not (for the message when nothing fits). */
static const char *
physical_fits(struct planner *p, size_t i, const struct spec_class *k, int by_class,
    char *buf, size_t len)
{
	const struct erm_node *n = &p->inv[i];

	if (n->kind != ERM_PHYSICAL || p->used[i])
		return "";
	if (n->experiment[0] != '\0') {
		snprintf(buf, len, "%s is allocated to experiment %s", n->name, n->experiment);
		return buf;
	}
	if (by_class && strcmp(n->node_class, k->name) != 0)
		return "";
	{
		int ni = 0;

		for (const struct spec_netif *f = k->netifs; f != NULL; f = f->next, ni++) {
			const struct erm_iface *e = iface(n, ni);

			if (e == NULL) {
				snprintf(buf, len, "%s has no experiment interface netif%d", n->name, ni);
				return buf;
			}
			if (f->net != NULL && e->sw[0] == '\0') {
				snprintf(buf, len, "%s netif%d is not cabled to a switch", n->name, ni);
				return buf;
			}
		}
	}
	return NULL;
}

/* Free VM entries registered on host h, in inventory order. */
static size_t
free_vms(struct planner *p, const struct erm_node *h, const struct spec_class *v,
    size_t *out, size_t max, char *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < p->ninv && n < max; i++) {
		const struct erm_node *m = &p->inv[i];

		if (m->kind != ERM_VM || p->used[i] || strcmp(m->host, h->name) != 0)
			continue;
		if (m->experiment[0] != '\0')
			continue;
		if (m->n_ifaces < v->nnetifs) {
			snprintf(buf, len, "VM %s has %d interface%s, class %s needs %d", m->name,
			    m->n_ifaces, m->n_ifaces == 1 ? "" : "s", v->name, v->nnetifs);
			continue;
		}
		out[n++] = i;
	}
	return n;
}

static int
place_vm_class(struct planner *p, const struct spec_class *v, long need,
    const struct spec_nodeset *const *sets, size_t nsets)
{
	const struct spec_class *h = spec_class_find(p->spec, v->vntype);
	int by_class = class_in_inventory(p, h->name);
	char reason[200] = "", buf[200];
	size_t *vms;
	long placed = 0, slots = 0, hostidx = 0;
	size_t seti = 0;
	long setpos = 0;

	if ((vms = calloc((size_t)v->maxvnodes, sizeof(*vms))) == NULL) {
		say(p->why, p->whylen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < p->ninv && placed < need; i++) {
		const struct erm_node *n = &p->inv[i];
		const char *r = physical_fits(p, i, h, by_class, buf, sizeof(buf));
		struct spec_plan_node *hn;
		size_t nv, cap;
		long hpos;

		if (r != NULL) {
			if (*r && !reason[0])
				str_copy(reason, r, sizeof(reason));
			continue;
		}
		if (n->maxvnodes <= 0)
			continue;
		if (n->vntype[0] != '\0' && strcmp(n->vntype, v->name) != 0) {
			if (!reason[0])
				snprintf(reason, sizeof(reason), "host %s runs VMs of class %s only",
				    n->name, n->vntype);
			continue;
		}
		/* Every host interface a VM is bridged to must be cabled. */
		r = NULL;
		long fi = 0;

		for (const struct spec_netif *f = v->netifs; f != NULL; f = f->next, fi++) {
			const struct erm_iface *e = iface(n, via_of(f, fi));

			if (f->net != NULL && (e == NULL || e->sw[0] == '\0')) {
				snprintf(buf, sizeof(buf), "host %s netif%ld (via of class %s) is not "
				    "cabled to a switch", n->name, via_of(f, fi), v->name);
				r = buf;
				break;
			}
		}
		if (r != NULL) {
			if (!reason[0])
				str_copy(reason, r, sizeof(reason));
			continue;
		}
		cap = (size_t)v->maxvnodes;
		if ((size_t)n->maxvnodes < cap)
			cap = (size_t)n->maxvnodes;
		nv = free_vms(p, n, v, vms, cap, buf, sizeof(buf));
		if (nv == 0) {
			if (!reason[0]) {
				if (buf[0] && strstr(buf, "VM ") == buf)
					str_copy(reason, buf, sizeof(reason));
				else
					snprintf(reason, sizeof(reason), "host %s has maxvnodes %d but no "
					    "free VM entries (kind = vm, host = %s)", n->name,
					    n->maxvnodes, n->name);
			}
			continue;
		}
		slots += (long)nv;
		p->used[i] = 1;
		hpos = (long)p->plan->n;
		if ((hn = add_node(p)) == NULL)
			goto oom;
		hn->node = n;
		hn->cls = h;
		hn->index = hostidx++;
		hn->vmclass = v;
		for (size_t k = 0; k < nv && placed < need; k++) {
			struct spec_plan_node *vn;

			/* need is the sum of the sets' num, so a set is left. */
			while (seti + 1 < nsets && setpos >= sets[seti]->num) {
				seti++;
				setpos = 0;
			}
			if ((vn = add_node(p)) == NULL)
				goto oom;
			hn = &p->plan->nodes[hpos]; /* add_node may move the array */
			p->used[vms[k]] = 1;
			vn->node = &p->inv[vms[k]];
			vn->cls = v;
			vn->set = sets[seti];
			vn->index = setpos++;
			vn->host = hpos;
			hn->nvms++;
			placed++;
		}
	}
	free(vms);
	if (placed < need) {
		say(p->why, p->whylen, "class %s needs %ld VM%s on hosts of class %s, but the free "
		    "VM hosts%s hold only %ld (%ld usable host%s)%s%s", v->name, need,
		    need == 1 ? "" : "s", h->name, by_class ? " of that class" : "", slots,
		    hostidx, hostidx == 1 ? "" : "s", reason[0] ? "; " : "", reason);
		return -1;
	}
	return 0;
oom:
	free(vms);
	say(p->why, p->whylen, "out of memory");
	return -1;
}

static int
place_physical(struct planner *p, const struct spec_nodeset *set, const struct spec_class *k)
{
	int by_class = class_in_inventory(p, k->name);
	char reason[200] = "", buf[200];
	long placed = 0;

	/* Pass 0 takes nodes that cannot host VMs; pass 1 the others. */
	for (int pass = 0; pass < 2 && placed < set->num; pass++) {
		for (size_t i = 0; i < p->ninv && placed < set->num; i++) {
			const char *r = physical_fits(p, i, k, by_class, buf, sizeof(buf));
			struct spec_plan_node *n;

			if (r != NULL) {
				if (*r && !reason[0])
					str_copy(reason, r, sizeof(reason));
				continue;
			}
			if ((p->inv[i].maxvnodes > 0) != pass)
				continue;
			if ((n = add_node(p)) == NULL) {
				say(p->why, p->whylen, "out of memory");
				return -1;
			}
			p->used[i] = 1;
			n->node = &p->inv[i];
			n->cls = k;
			n->set = set;
			n->index = placed++;
		}
	}
	if (placed < set->num) {
		say(p->why, p->whylen, "node set %s needs %ld physical node%s of class %s, but "
		    "only %ld free node%s%s fit%s%s%s", set->name, set->num,
		    set->num == 1 ? "" : "s", k->name, placed, placed == 1 ? "" : "s",
		    by_class ? " of inventory class " : "", by_class ? k->name : "",
		    reason[0] ? "; " : "", reason);
		return -1;
	}
	return 0;
}

static int
net_index(struct spec_plan *plan, const char *net, size_t *cap)
{
	for (size_t i = 0; i < plan->nnets; i++)
		if (strcmp(plan->nets[i], net) == 0)
			return (int)i;
	if (plan->nnets == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		const char **nv = realloc(plan->nets, ncap * sizeof(*nv));

		if (nv == NULL)
			return -2;
		plan->nets = nv;
		*cap = ncap;
	}
	plan->nets[plan->nnets] = net;
	return (int)plan->nnets++;
}

/* Networks and addresses, in plan order. */
static int
assign_networks(struct planner *p)
{
	struct spec_plan *plan = p->plan;
	size_t cap = 0;
	uint32_t *next = NULL;

	for (size_t i = 0; i < plan->n; i++) {
		struct spec_plan_node *n = &plan->nodes[i];
		int ni = 0;

		for (const struct spec_netif *f = n->cls->netifs; f != NULL; f = f->next, ni++) {
			const char *net = f->net;

			/* A host interface without its own network carries
			 * that of the VMs bridged to it. */
			if (net == NULL && n->vmclass != NULL) {
				long gi = 0;

				for (const struct spec_netif *g = n->vmclass->netifs; g;
				    g = g->next, gi++)
					if (via_of(g, gi) == ni && g->net) {
						net = g->net;
						break;
					}
			}
			if (net == NULL)
				continue;
			n->net[ni] = net_index(plan, net, &cap);
			if (n->net[ni] == -2)
				goto oom;
		}
	}
	if (plan->nnets > SPEC_PLAN_MAX_NETS) {
		say(p->why, p->whylen, "%zu experiment networks: at most %d are supported "
		    "(10.1.0.0/16 .. 10.254.0.0/16)", plan->nnets, SPEC_PLAN_MAX_NETS);
		return -1;
	}
	if ((next = calloc(plan->nnets + 1, sizeof(*next))) == NULL)
		goto oom;
	for (size_t i = 0; i < plan->n; i++) {
		struct spec_plan_node *n = &plan->nodes[i];

		for (int k = 0; k < SPEC_MAX_NETIFS; k++) {
			int net = n->net[k];

			if (net < 0)
				continue;
			if (++next[net] > 65534) {
				say(p->why, p->whylen, "network \"%s\" has more than 65534 members",
				    plan->nets[net]);
				free(next);
				return -1;
			}
			n->addr[k] = (10u << 24) | ((uint32_t)(net + 1) << 16) | next[net];
		}
	}
	free(next);
	return 0;
oom:
	free(next);
	say(p->why, p->whylen, "out of memory");
	return -1;
}

int
spec_plan(const struct spec *spec, const struct erm_node *inv, size_t ninv,
    const char *experiment, struct spec_plan *out, char *why, size_t whylen)
{
	struct planner p;
	struct spec_demand d;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->experiment = experiment;
	memset(&p, 0, sizeof(p));
	p.spec = spec;
	p.inv = inv;
	p.ninv = ninv;
	p.plan = out;
	p.why = why;
	p.whylen = whylen;
	if (spec_demand(spec, &d) != 0) {
		say(why, whylen, "out of memory");
		return -1;
	}
	if ((p.used = calloc(ninv + 1, 1)) == NULL) {
		say(why, whylen, "out of memory");
		goto out;
	}
	/* VM classes first: hosts are the scarcer resource. */
	for (size_t i = 0; i < d.nclasses; i++) {
		const struct spec_class *k = d.classes[i].cls;
		const struct spec_nodeset **sets;
		size_t nsets = 0;

		if (k->vntype == NULL || d.classes[i].nodes == 0)
			continue;
		for (const struct spec_item *it = spec->items; it != NULL; it = it->next)
			if (it->kind == SPEC_I_NODESET && strcmp(it->set->class_name, k->name) == 0)
				nsets++;
		if ((sets = calloc(nsets + 1, sizeof(*sets))) == NULL) {
			say(why, whylen, "out of memory");
			goto out;
		}
		nsets = 0;
		for (const struct spec_item *it = spec->items; it != NULL; it = it->next)
			if (it->kind == SPEC_I_NODESET && strcmp(it->set->class_name, k->name) == 0)
				sets[nsets++] = it->set;
		rc = place_vm_class(&p, k, d.classes[i].nodes, sets, nsets);
		free(sets);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next) {
		const struct spec_class *k;

		if (it->kind != SPEC_I_NODESET)
			continue;
		k = spec_class_find(spec, it->set->class_name);
		if (k == NULL || k->vntype != NULL)
			continue;
		if (place_physical(&p, it->set, k) != 0)
			goto out;
	}
	if (assign_networks(&p) != 0)
		goto out;
	rc = 0;
out:
	free(p.used);
	spec_demand_free(&d);
	if (rc != 0)
		spec_plan_free(out);
	return rc;
}

void
spec_plan_free(struct spec_plan *plan)
{
	free(plan->nodes);
	free(plan->nets);
	memset(plan, 0, sizeof(*plan));
}

static void
addr_text(uint32_t a, char *out, size_t len)
{
	char ip[IPV4_STRLEN];

	ipv4_format(htonl(a), ip);
	snprintf(out, len, "%s/16", ip);
}

static const char *
role(const struct spec_plan *plan, const struct spec_plan_node *n, char *buf, size_t len)
{
	if (n->set != NULL && n->host >= 0)
		snprintf(buf, len, "%s[%ld], class %s, VM on %s", n->set->name, n->index,
		    n->cls->name, plan->nodes[n->host].node->name);
	else if (n->set != NULL)
		snprintf(buf, len, "%s[%ld], class %s", n->set->name, n->index, n->cls->name);
	else
		snprintf(buf, len, "VM host %ld of class %s, %ld VM%s of class %s", n->index,
		    n->cls->name, n->nvms, n->nvms == 1 ? "" : "s", n->vmclass->name);
	return buf;
}

/* Where an interface of a plan node meets the switch. */
static void
port_text(const struct spec_plan *plan, const struct spec_plan_node *n, int ni, char *buf,
    size_t len)
{
	const struct erm_node *phys = n->node;
	long hi = ni;
	const struct erm_iface *e;

	if (n->host >= 0) {
		int k = 0;

		for (const struct spec_netif *f = n->cls->netifs; f; f = f->next, k++)
			if (k == ni)
				hi = via_of(f, k);
		phys = plan->nodes[n->host].node;
	}
	e = iface(phys, hi);
	if (e == NULL || e->sw[0] == '\0')
		snprintf(buf, len, "not cabled");
	else if (n->host >= 0)
		snprintf(buf, len, "via %s netif%ld, %s port %d", phys->name, hi, e->sw, e->port);
	else
		snprintf(buf, len, "%s port %d", e->sw, e->port);
}

void
spec_plan_print_summary(FILE *out, const struct spec_plan *plan, int verbose)
{
	size_t nphys = 0, nvm = 0, nhosts = 0;
	char buf[256], a[32];

	for (size_t i = 0; i < plan->n; i++) {
		if (plan->nodes[i].host >= 0)
			nvm++;
		else
			nphys++;
		if (plan->nodes[i].vmclass != NULL)
			nhosts++;
	}
	fprintf(out, "plan for experiment %s: %zu physical node%s (%zu VM host%s), %zu VM%s, "
	    "%zu network%s (%zu VLAN%s)\n", plan->experiment, nphys, nphys == 1 ? "" : "s",
	    nhosts, nhosts == 1 ? "" : "s", nvm, nvm == 1 ? "" : "s", plan->nnets,
	    plan->nnets == 1 ? "" : "s", plan->nnets, plan->nnets == 1 ? "" : "s");
	for (size_t i = 0; i < plan->n; i++) {
		const struct spec_plan_node *n = &plan->nodes[i];

		if (n->vmclass == NULL)
			continue;
		fprintf(out, "  host %s (class %s): %ld VM%s of class %s:", n->node->name,
		    n->cls->name, n->nvms, n->nvms == 1 ? "" : "s", n->vmclass->name);
		for (size_t j = 0; j < plan->n; j++)
			if (plan->nodes[j].host == (long)i)
				fprintf(out, " %s", plan->nodes[j].node->name);
		fputc('\n', out);
	}
	if (!verbose) {
		for (size_t i = 0; i < plan->n; i++) {
			const struct spec_plan_node *n = &plan->nodes[i];

			if (n->host < 0 && n->vmclass == NULL)
				fprintf(out, "  node %s: %s\n", n->node->name,
				    role(plan, n, buf, sizeof(buf)));
		}
	}
	if (verbose)
		fputs("nodes:\n", out);
	for (size_t i = 0; verbose && i < plan->n; i++) {
		const struct spec_plan_node *n = &plan->nodes[i];
		int ni = 0;

		fprintf(out, "  %s: %s\n", n->node->name, role(plan, n, buf, sizeof(buf)));
		for (const struct spec_netif *f = n->cls->netifs; f; f = f->next, ni++) {
			const struct erm_iface *e = iface(n->node, ni);
			char port[160];

			port_text(plan, n, ni, port, sizeof(port));
			if (n->net[ni] >= 0) {
				addr_text(n->addr[ni], a, sizeof(a));
				fprintf(out, "    netif[%d] %s net \"%s\" %s (%s)\n", ni,
				    e ? e->mac : "?", plan->nets[n->net[ni]], a, port);
			} else {
				fprintf(out, "    netif[%d] %s on no network\n", ni, e ? e->mac : "?");
			}
		}
	}
	fputs(plan->nnets ? "networks:\n" : "networks: none\n", out);
	for (size_t k = 0; k < plan->nnets; k++) {
		size_t nports = 0;

		fprintf(out, "  \"%s\": 10.%zu.0.0/16, one VLAN over switch ports", plan->nets[k],
		    k + 1);
		/* Physical ports only: a VM's port is its host's. */
		for (size_t i = 0; i < plan->n; i++) {
			const struct spec_plan_node *n = &plan->nodes[i];

			if (n->host >= 0)
				continue;
			for (int ni = 0; ni < SPEC_MAX_NETIFS; ni++) {
				const struct erm_iface *e;

				if (n->net[ni] != (int)k || (e = iface(n->node, ni)) == NULL ||
				    e->sw[0] == '\0')
					continue;
				fprintf(out, " %s:%d", e->sw, e->port);
				nports++;
			}
		}
		fprintf(out, "%s\n", nports ? "" : " none");
	}
}

/* ---- resolving scenarios ---- */

enum vkind { V_INT, V_STR, V_UNK, V_ERR };

struct val {
	enum vkind k;
	long long i;
	char *s;   /* STR value; UNK and ERR: the text to show */
};

#define VAL_MAX_STR (64u << 10)
#define MAX_UNROLL 4096

struct binding {
	const struct spec_nodeset *set;
	const char *name;
	struct val v;
};

struct var {
	const char *name;
	struct val v;
};

struct evalctx {
	const struct spec *spec;
	const struct spec_plan *plan;
	const struct spec_plan_node *self;  /* NULL: the master */
	struct var *vars;
	size_t nvars, capvars;
	struct binding *binds;      /* every value the master sends, in order */
	size_t nbinds, capbinds;
	struct var *recvd;          /* per node: how often it received NAME */
	size_t nrecvd, caprecvd;
	long iterations;
	FILE *out;
};

static struct val
vstr(enum vkind k, const char *s, size_t n)
{
	struct val v = { k, 0, NULL };

	if (n > VAL_MAX_STR) {
		v.k = V_ERR;
		n = strlen("string longer than 64 KiB");
		s = "string longer than 64 KiB";
	}
	v.s = malloc(n + 1);
	if (v.s == NULL) {
		v.k = V_ERR;
		v.s = NULL;
		return v;
	}
	memcpy(v.s, s, n);
	v.s[n] = '\0';
	return v;
}

static struct val __attribute__((format(printf, 2, 3)))
vfmt(enum vkind k, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	return vstr(k, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static struct val
vint(long long i)
{
	struct val v = { V_INT, i, NULL };

	return v;
}

static struct val
vcopy(const struct val *v)
{
	if (v->k == V_INT)
		return *v;
	return vstr(v->k, v->s ? v->s : "", v->s ? strlen(v->s) : 0);
}

static void
vfree(struct val *v)
{
	free(v->s);
	v->s = NULL;
}

static void
put_val(FILE *out, const struct val *v)
{
	switch (v->k) {
	case V_INT:
		fprintf(out, "%lld", v->i);
		break;
	case V_STR:
		fputc('"', out);
		for (const char *s = v->s; *s; s++) {
			if (*s == '"' || *s == '\\')
				fputc('\\', out);
			if (*s == '\n')
				fputs("\\n", out);
			else if (*s == '\t')
				fputs("\\t", out);
			else
				fputc(*s, out);
		}
		fputc('"', out);
		break;
	case V_UNK:
		fprintf(out, "<%s>", v->s ? v->s : "?");
		break;
	case V_ERR:
		fprintf(out, "<error: %s>", v->s ? v->s : "out of memory");
		break;
	}
}

static struct var *
var_find(struct evalctx *c, const char *name)
{
	for (size_t i = 0; i < c->nvars; i++)
		if (strcmp(c->vars[i].name, name) == 0)
			return &c->vars[i];
	return NULL;
}

/* Takes ownership of v. */
static void
var_set(struct evalctx *c, const char *name, struct val v)
{
	struct var *x = var_find(c, name);

	if (x != NULL) {
		vfree(&x->v);
		x->v = v;
		return;
	}
	if (c->nvars == c->capvars) {
		size_t ncap = c->capvars ? c->capvars * 2 : 16;
		struct var *nv = realloc(c->vars, ncap * sizeof(*nv));

		if (nv == NULL) {
			vfree(&v);
			return;
		}
		c->vars = nv;
		c->capvars = ncap;
	}
	c->vars[c->nvars].name = name;
	c->vars[c->nvars].v = v;
	c->nvars++;
}

static void
vars_clear(struct evalctx *c)
{
	for (size_t i = 0; i < c->nvars; i++)
		vfree(&c->vars[i].v);
	c->nvars = 0;
}

static const struct spec_plan_node *
set_member(const struct spec_plan *plan, const char *set, long long index)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->nodes[i].set != NULL && plan->nodes[i].index == index &&
		    strcmp(plan->nodes[i].set->name, set) == 0)
			return &plan->nodes[i];
	return NULL;
}

static struct val eval(struct evalctx *c, const struct spec_expr *e);

static int
has_top(const struct spec *spec)
{
	for (const struct spec_item *it = spec->items; it != NULL; it = it->next)
		if (it->kind == SPEC_I_SCENARIO)
			return 1;
	return 0;
}

/* A node reference: self or SET[i]; NULL with *err set otherwise. */
static const struct spec_plan_node *
eval_node(struct evalctx *c, const struct spec_expr *e, struct val *err)
{
	struct val ix;
	const struct spec_plan_node *n;

	err->k = V_INT;
	err->s = NULL;
	if (e->kind == SPEC_E_SELF) {
		if (c->self == NULL)
			*err = vfmt(V_ERR, "self in the master scenario");
		return c->self;
	}
	if (e->kind != SPEC_E_INDEX || e->a->kind != SPEC_E_NAME) {
		*err = vfmt(V_ERR, "not a node");
		return NULL;
	}
	ix = eval(c, e->b);
	if (ix.k != V_INT) {
		*err = ix.k == V_ERR ? ix : vfmt(V_UNK, "%s[%s]", e->a->str, ix.s ? ix.s : "?");
		if (ix.k != V_ERR)
			vfree(&ix);
		return NULL;
	}
	n = set_member(c->plan, e->a->str, ix.i);
	if (n == NULL)
		*err = vfmt(V_ERR, "%s[%lld] is not in the plan", e->a->str, ix.i);
	return n;
}

static struct val
eval_path(struct evalctx *c, const struct spec_expr *e)
{
	const struct spec_plan_node *n;
	struct val err, ix;
	const struct erm_iface *f;
	char a[32];

	if (e->kind == SPEC_E_FIELD && e->a->kind == SPEC_E_INDEX &&
	    e->a->a->kind == SPEC_E_FIELD && strcmp(e->a->a->str, "netif") == 0) {
		if ((n = eval_node(c, e->a->a->a, &err)) == NULL)
			return err;
		ix = eval(c, e->a->b);
		if (ix.k != V_INT) {
			vfree(&ix);
			return vfmt(V_UNK, "%s.netif[?].%s", n->node->name, e->str);
		}
		if (ix.i < 0 || ix.i >= n->cls->nnetifs)
			return vfmt(V_ERR, "%s has no netif[%lld]", n->node->name, ix.i);
		f = iface(n->node, (long)ix.i);
		if (strcmp(e->str, "ipaddr") == 0) {
			if (n->net[ix.i] < 0)
				return vfmt(V_ERR, "%s netif[%lld] is on no network", n->node->name,
				    ix.i);
			addr_text(n->addr[ix.i], a, sizeof(a));
			return vstr(V_STR, a, strlen(a));
		}
		if (strcmp(e->str, "net") == 0)
			return n->net[ix.i] < 0 ? vstr(V_STR, "", 0) :
			    vstr(V_STR, c->plan->nets[n->net[ix.i]], strlen(c->plan->nets[n->net[ix.i]]));
		if (strcmp(e->str, "mac") == 0)
			return f ? vstr(V_STR, f->mac, strlen(f->mac)) :
			    vfmt(V_ERR, "%s has no netif%lld", n->node->name, ix.i);
		/* rname: the OS's name for the interface, found on the node
		 * by netifit from its MAC. */
		return vfmt(V_UNK, "rname of %s", f ? f->mac : "?");
	}
	if (e->kind == SPEC_E_FIELD) {
		if ((n = eval_node(c, e->a, &err)) == NULL)
			return err;
		if (strcmp(e->str, "name") == 0)
			return vstr(V_STR, n->node->name, strlen(n->node->name));
		if (strcmp(e->str, "index") == 0)
			return vint(n->index);
	}
	return vfmt(V_ERR, "cannot resolve this path");
}

static int
parse_cidr(const char *s, uint32_t *addr, int *bits)
{
	char ip[IPV4_STRLEN];
	const char *slash = strchr(s, '/');
	long b = 32;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(ip))
		return -1;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (ipv4_parse(ip, addr) != 0)
		return -1;
	if (slash && parse_long(slash + 1, 0, 32, &b) != 0)
		return -1;
	*addr = ntohl(*addr);
	*bits = (int)b;
	return 0;
}

static struct val
eval_call(struct evalctx *c, const struct spec_expr *e)
{
	struct val a = eval(c, e->args), r;
	char ip[IPV4_STRLEN];
	uint32_t addr, m;
	int bits;

	if (a.k == V_ERR)
		return a;
	if (a.k == V_UNK) {
		r = vfmt(V_UNK, "%s(%s)", e->str, a.s ? a.s : "?");
		vfree(&a);
		return r;
	}
	if (strcmp(e->str, "toString") == 0) {
		if (a.k == V_STR)
			return a;
		return vfmt(V_STR, "%lld", a.i);
	}
	if (a.k != V_STR) {
		vfree(&a);
		return vfmt(V_ERR, "%s() needs a string", e->str);
	}
	if (strcmp(e->str, "len") == 0) {
		r = vint((long long)strlen(a.s));
		vfree(&a);
		return r;
	}
	if (parse_cidr(a.s, &addr, &bits) != 0) {
		r = vfmt(V_ERR, "%s(): \"%.60s\" is not an address A.B.C.D/N", e->str, a.s);
		vfree(&a);
		return r;
	}
	vfree(&a);
	m = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
	if (strcmp(e->str, "haddr") == 0)
		ipv4_format(htonl(addr), ip);
	else if (strcmp(e->str, "netaddr") == 0)
		ipv4_format(htonl(addr & m), ip);
	else if (strcmp(e->str, "mask") == 0)
		ipv4_format(htonl(m), ip);
	else
		return vfmt(V_ERR, "unknown function %s", e->str);
	return vstr(V_STR, ip, strlen(ip));
}

static int
truthy(const struct val *v)
{
	return v->k == V_INT ? v->i != 0 : v->s != NULL && v->s[0] != '\0';
}

static struct val
eval_binop(struct evalctx *c, const struct spec_expr *e)
{
	struct val a = eval(c, e->a), b, r;
	char *ea = NULL, *eb = NULL;

	/* && and || short-circuit like C. */
	if ((e->op == SPEC_OP_AND || e->op == SPEC_OP_OR) && (a.k == V_INT || a.k == V_STR)) {
		int t = truthy(&a);

		vfree(&a);
		if (t == (e->op == SPEC_OP_OR))
			return vint(t);
		b = eval(c, e->b);
		if (b.k == V_INT || b.k == V_STR) {
			t = truthy(&b);
			vfree(&b);
			return vint(t);
		}
		return b;
	}
	b = eval(c, e->b);
	if (a.k == V_ERR || b.k == V_ERR) {
		if (a.k == V_ERR) {
			vfree(&b);
			return a;
		}
		vfree(&a);
		return b;
	}
	if (a.k == V_UNK || b.k == V_UNK) {
		ea = spec_fmt_expr(e);
		r = vfmt(V_UNK, "%s", ea ? ea : "?");
		free(ea);
		free(eb);
		vfree(&a);
		vfree(&b);
		return r;
	}
	if (a.k == V_STR && b.k == V_STR) {
		int cmp = strcmp(a.s, b.s);

		switch (e->op) {
		case SPEC_OP_ADD: {
			size_t la = strlen(a.s), lb = strlen(b.s);

			if (la + lb > VAL_MAX_STR)
				r = vfmt(V_ERR, "string longer than 64 KiB");
			else if ((r.s = malloc(la + lb + 1)) == NULL)
				r = vfmt(V_ERR, "out of memory");
			else {
				r.k = V_STR;
				r.i = 0;
				memcpy(r.s, a.s, la);
				memcpy(r.s + la, b.s, lb + 1);
			}
			break;
		}
		case SPEC_OP_EQ: r = vint(cmp == 0); break;
		case SPEC_OP_NE: r = vint(cmp != 0); break;
		case SPEC_OP_LT: r = vint(cmp < 0); break;
		case SPEC_OP_LE: r = vint(cmp <= 0); break;
		case SPEC_OP_GT: r = vint(cmp > 0); break;
		case SPEC_OP_GE: r = vint(cmp >= 0); break;
		default: r = vfmt(V_ERR, "this operator needs integers"); break;
		}
	} else if (a.k == V_INT && b.k == V_INT) {
		long long x = a.i, y = b.i, z = 0;
		int ovf = 0;

		switch (e->op) {
		case SPEC_OP_ADD: ovf = __builtin_add_overflow(x, y, &z); break;
		case SPEC_OP_SUB: ovf = __builtin_sub_overflow(x, y, &z); break;
		case SPEC_OP_MUL: ovf = __builtin_mul_overflow(x, y, &z); break;
		case SPEC_OP_DIV:
		case SPEC_OP_MOD:
			if (y == 0) {
				vfree(&a);
				vfree(&b);
				return vfmt(V_ERR, "division by zero");
			}
			if (x == INT64_MIN && y == -1)
				ovf = 1;
			else
				z = e->op == SPEC_OP_DIV ? x / y : x % y;
			break;
		case SPEC_OP_EQ: z = x == y; break;
		case SPEC_OP_NE: z = x != y; break;
		case SPEC_OP_LT: z = x < y; break;
		case SPEC_OP_LE: z = x <= y; break;
		case SPEC_OP_GT: z = x > y; break;
		case SPEC_OP_GE: z = x >= y; break;
		default: break;
		}
		r = ovf ? vfmt(V_ERR, "integer overflow") : vint(z);
	} else {
		r = vfmt(V_ERR, e->op == SPEC_OP_ADD ?
		    "'+' of a string and an integer: use toString()" :
		    "an operator between a string and an integer");
	}
	vfree(&a);
	vfree(&b);
	return r;
}

static struct val
eval(struct evalctx *c, const struct spec_expr *e)
{
	struct val v, r;
	struct var *x;

	switch (e->kind) {
	case SPEC_E_INT:
		return vint(e->ival);
	case SPEC_E_STR:
		return vstr(V_STR, e->str, strlen(e->str));
	case SPEC_E_NAME:
		if (strcmp(e->str, "_launchvnodes") == 0 || strcmp(e->str, "_nvnodes") == 0)
			return vint(c->self ? c->self->nvms : 0);
		if (strcmp(e->str, "_experiment") == 0)
			return vstr(V_STR, c->plan->experiment, strlen(c->plan->experiment));
		if ((x = var_find(c, e->str)) != NULL)
			return vcopy(&x->v);
		return vfmt(V_UNK, "%s", e->str);
	case SPEC_E_SELF:
		return vfmt(V_ERR, "self is not a value");
	case SPEC_E_FIELD:
	case SPEC_E_INDEX:
		return eval_path(c, e);
	case SPEC_E_CALL:
		return eval_call(c, e);
	case SPEC_E_BINOP:
		return eval_binop(c, e);
	case SPEC_E_UNOP:
		v = eval(c, e->a);
		if (v.k == V_INT) {
			if (e->op == SPEC_OP_NEG && v.i == INT64_MIN)
				return vfmt(V_ERR, "integer overflow");
			return vint(e->op == SPEC_OP_NEG ? -v.i : !v.i);
		}
		if (v.k == V_STR && e->op == SPEC_OP_NOT) {
			r = vint(v.s[0] == '\0');
			vfree(&v);
			return r;
		}
		if (v.k == V_UNK) {
			r = vfmt(V_UNK, "%s%s", e->op == SPEC_OP_NEG ? "-" : "!", v.s);
			vfree(&v);
			return r;
		}
		vfree(&v);
		return vfmt(V_ERR, "'-' of a string");
	case SPEC_E_PAREN:
		return eval(c, e->a);
	}
	return vfmt(V_ERR, "?");
}

static void
indent(FILE *out, int level)
{
	for (int i = 0; i < level; i++)
		fputs("  ", out);
}

static void
put_exprs(struct evalctx *c, const struct spec_expr *a)
{
	for (; a != NULL; a = a->next) {
		struct val v = eval(c, a);

		fputc(' ', c->out);
		put_val(c->out, &v);
		vfree(&v);
	}
}

static void run_block(struct evalctx *c, const struct spec_stmt *s, int level);

static void
run_simple(struct evalctx *c, const struct spec_stmt *s)
{
	struct val v, old;
	struct var *x;

	if (s->kind == SPEC_S_ASSIGN && s->op == SPEC_OP_NONE) {
		var_set(c, s->name, eval(c, s->args));
		return;
	}
	x = var_find(c, s->name);
	old = x ? vcopy(&x->v) : vfmt(V_UNK, "%s", s->name);
	if (s->kind == SPEC_S_INCR)
		v = vint(1);
	else
		v = eval(c, s->args);
	if (old.k == V_INT && v.k == V_INT) {
		long long z;

		if ((s->op == SPEC_OP_ADD ? __builtin_add_overflow(old.i, v.i, &z) :
		    __builtin_sub_overflow(old.i, v.i, &z)))
			var_set(c, s->name, vfmt(V_ERR, "integer overflow"));
		else
			var_set(c, s->name, vint(z));
	} else if (old.k == V_STR && v.k == V_STR && s->op == SPEC_OP_ADD) {
		size_t la = strlen(old.s), lb = strlen(v.s);
		char *n = la + lb <= VAL_MAX_STR ? malloc(la + lb + 1) : NULL;

		if (n != NULL) {
			memcpy(n, old.s, la);
			memcpy(n + la, v.s, lb + 1);
			var_set(c, s->name, (struct val){ V_STR, 0, n });
		} else {
			var_set(c, s->name, vfmt(V_ERR, "string too long"));
		}
	} else {
		var_set(c, s->name, vfmt(V_UNK, "%s", s->name));
	}
	vfree(&old);
	vfree(&v);
}

/* The nth value (0-based) the master sends as `name` to `set`: a node's
 * first "recv name" gets the first, its second the second, and so on. */
static const struct binding *
binding_find(struct evalctx *c, const struct spec_nodeset *set, const char *name, long nth)
{
	for (size_t i = 0; i < c->nbinds; i++)
		if (c->binds[i].set == set && strcmp(c->binds[i].name, name) == 0 && nth-- == 0)
			return &c->binds[i];
	return NULL;
}

/* How many times this node has received `name` so far (then counts this
 * one). */
static long
recv_count(struct evalctx *c, const char *name)
{
	for (size_t i = 0; i < c->nrecvd; i++)
		if (strcmp(c->recvd[i].name, name) == 0)
			return c->recvd[i].v.i++;
	if (c->nrecvd == c->caprecvd) {
		size_t ncap = c->caprecvd ? c->caprecvd * 2 : 8;
		struct var *nv = realloc(c->recvd, ncap * sizeof(*nv));

		if (nv == NULL)
			return 0;
		c->recvd = nv;
		c->caprecvd = ncap;
	}
	c->recvd[c->nrecvd].name = name;
	c->recvd[c->nrecvd].v = vint(1);
	c->nrecvd++;
	return 0;
}

static void
run_stmt(struct evalctx *c, const struct spec_stmt *s, int level)
{
	FILE *out = c->out;
	struct val v;

	switch (s->kind) {
	case SPEC_S_NETIFIT:
	case SPEC_S_WAKE:
	case SPEC_S_WAKEWAIT:
	case SPEC_S_PRINT:
		indent(out, level);
		fputs(s->kind == SPEC_S_NETIFIT ? "netifit" : s->kind == SPEC_S_WAKE ? "wake" :
		    s->kind == SPEC_S_WAKEWAIT ? "wakewait" : "print", out);
		put_exprs(c, s->args);
		fputc('\n', out);
		return;
	case SPEC_S_SLEEP:
		indent(out, level);
		fputs("sleep", out);
		put_exprs(c, s->args);
		fputc('\n', out);
		return;
	case SPEC_S_SEND:
		indent(out, level);
		v = eval(c, s->args);
		if (s->set != NULL) {
			const struct spec_nodeset *set = spec_nodeset_find(c->spec, s->set);

			fprintf(out, "send %s %s ", s->set, s->name);
			if (set != NULL && c->nbinds < 100000) {
				if (c->nbinds == c->capbinds) {
					size_t ncap = c->capbinds ? c->capbinds * 2 : 16;
					struct binding *nb = realloc(c->binds, ncap * sizeof(*nb));

					if (nb != NULL) {
						c->binds = nb;
						c->capbinds = ncap;
					}
				}
				if (c->nbinds < c->capbinds) {
					c->binds[c->nbinds].set = set;
					c->binds[c->nbinds].name = s->name;
					c->binds[c->nbinds].v = vcopy(&v);
					c->nbinds++;
				}
			}
		} else {
			fputs("send ", out);
		}
		put_val(out, &v);
		fputc('\n', out);
		vfree(&v);
		return;
	case SPEC_S_RECV:
		indent(out, level);
		if (s->set != NULL) {
			fprintf(out, "recv %s", s->set);
			put_exprs(c, s->args);
			fputc('\n', out);
			return;
		}
		{
			long nth = recv_count(c, s->name);
			const struct binding *b = c->self && c->self->set ?
			    binding_find(c, c->self->set, s->name, nth) : NULL;

			fprintf(out, "recv %s", s->name);
			if (b != NULL) {
				fputs("  # = ", out);
				put_val(out, &b->v);
				var_set(c, s->name, vcopy(&b->v));
			} else {
				fputs(has_top(c->spec) ?
				    "  # the master scenario never sends it: this waits forever" :
				    "  # no master scenario sends it", out);
				var_set(c, s->name, vfmt(V_UNK, "%s", s->name));
			}
			fputc('\n', out);
		}
		return;
	case SPEC_S_ASSIGN:
	case SPEC_S_INCR:
		run_simple(c, s);
		return;
	case SPEC_S_FOR:
		if (s->init)
			run_simple(c, s->init);
		for (;;) {
			v = eval(c, s->cond);
			if (v.k != V_INT && v.k != V_STR) {
				char *t = spec_fmt_expr(s->cond);

				indent(out, level);
				fprintf(out, "# loop at line %d not unrolled: its condition (%s) is only "
				    "known at run time\n", s->line, t ? t : "?");
				free(t);
				vfree(&v);
				return;
			}
			if (!truthy(&v)) {
				vfree(&v);
				return;
			}
			vfree(&v);
			if (++c->iterations > MAX_UNROLL) {
				indent(out, level);
				fprintf(out, "# stopped unrolling after %d iterations\n", MAX_UNROLL);
				return;
			}
			run_block(c, s->body, level);
			if (s->step)
				run_simple(c, s->step);
		}
	case SPEC_S_IF:
		v = eval(c, s->cond);
		if (v.k == V_INT || v.k == V_STR) {
			int t = truthy(&v);

			vfree(&v);
			if (t)
				run_block(c, s->body, level);
			else if (s->els)
				run_block(c, s->els, level);
			return;
		}
		{
			char *t = spec_fmt_expr(s->cond);

			indent(out, level);
			fprintf(out, "if (%s) {  # decided at run time\n", t ? t : "?");
			free(t);
			run_block(c, s->body, level + 1);
			if (s->els) {
				indent(out, level);
				fputs("} else {\n", out);
				run_block(c, s->els, level + 1);
			}
			indent(out, level);
			fputs("}\n", out);
			vfree(&v);
		}
		return;
	}
}

static void
run_block(struct evalctx *c, const struct spec_stmt *s, int level)
{
	for (; s != NULL; s = s->next)
		run_stmt(c, s, level);
}

int
spec_plan_print_scenarios(FILE *out, const struct spec *spec, const struct spec_plan *plan,
    const char *only_node)
{
	struct evalctx c;
	const struct spec_stmt *top = spec_top_scenario(spec);
	FILE *devnull = NULL;
	int found = only_node == NULL;
	char buf[256];

	memset(&c, 0, sizeof(c));
	c.spec = spec;
	c.plan = plan;
	c.out = out;
	/* The master scenario binds what it sends; run it even when only
	 * one node is shown (into a sink), so recv values resolve. */
	if (only_node != NULL) {
		devnull = fopen("/dev/null", "w");
		if (devnull == NULL)
			devnull = out;
		c.out = devnull;
	}
	fprintf(c.out, "master scenario:\n");
	if (top == NULL)
		fprintf(c.out, "  # none\n");
	run_block(&c, top, 1);
	vars_clear(&c);
	c.out = out;
	if (devnull != NULL && devnull != out)
		fclose(devnull);
	for (size_t i = 0; i < plan->n; i++) {
		const struct spec_plan_node *n = &plan->nodes[i];

		if (only_node != NULL && strcmp(n->node->name, only_node) != 0)
			continue;
		found = 1;
		fprintf(out, "\nnode %s (%s):\n", n->node->name, role(plan, n, buf, sizeof(buf)));
		c.self = n;
		c.iterations = 0;
		c.nrecvd = 0;
		if (!n->cls->has_scenario)
			fputs("  # no scenario\n", out);
		run_block(&c, n->cls->scenario, 1);
		vars_clear(&c);
	}
	for (size_t i = 0; i < c.nbinds; i++)
		vfree(&c.binds[i].v);
	free(c.binds);
	free(c.vars);
	free(c.recvd);
	return found ? 0 : -1;
}
