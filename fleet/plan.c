/* Placement of a host's partitions on the others (fleet/plan.h). */
#define LOG_PREFIX "plan: "
#include "fleet/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

struct target {
	const struct cr_plan_host *h;
	bool live_ok, static_ok; /* compatible with the source for such a move */
	char why_not[96];        /* when neither */
	uint64_t mem_planned;
	size_t n_planned; /* partitions this plan sends there */
	const char **planned_groups;
	size_t n_planned_groups;
};

const char *cr_plan_mode_name(enum cr_plan_mode m)
{
	static const char *names[] = {"live", "static", "stop", "stay", "none"};
	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static bool has(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (v[i] && !strcmp(v[i], s))
			return true;
	return false;
}

static bool listed(const char *const *only_to, size_t n_to, const char *name)
{
	return n_to == 0 || has(only_to, n_to, name);
}

static void judge(struct target *t, const struct cr_plan_host *src, const char *const *only_to, size_t n_to)
{
	const struct cr_plan_host *h = t->h;
	if (!listed(only_to, n_to, h->name))
		snprintf(t->why_not, sizeof t->why_not, "%s: not in --to", h->name);
	else if (!h->available)
		snprintf(t->why_not, sizeof t->why_not, "%s: offline or evacuating", h->name);
	else if (!same(h->domain, src->domain))
		snprintf(t->why_not, sizeof t->why_not, "%s: relocation domain %s", h->name, h->domain);
	else
		t->static_ok = true;
	if (!t->static_ok)
		return;
	if (!same(h->arch, src->arch))
		snprintf(t->why_not, sizeof t->why_not, "%s: architecture %s", h->name, h->arch ? h->arch : "?");
	else if (!same(h->cgroup, src->cgroup))
		snprintf(t->why_not, sizeof t->why_not, "%s: cgroup mode %s", h->name, h->cgroup ? h->cgroup : "?");
	else if (!h->criu)
		snprintf(t->why_not, sizeof t->why_not, "%s: no CRIU", h->name);
	else {
		for (size_t i = 0; i < src->n_cpu_features; i++)
			if (!has(h->cpu_features, h->n_cpu_features, src->cpu_features[i])) {
				snprintf(t->why_not, sizeof t->why_not, "%s: lacks CPU feature %s", h->name,
					 src->cpu_features[i]);
				return;
			}
		t->live_ok = true;
	}
}

static uint64_t mem_free(const struct target *t)
{
	uint64_t used = t->h->mem_used + t->mem_planned + CR_PLAN_MEM_MARGIN;
	return t->h->mem_total > used ? t->h->mem_total - used : 0;
}

static bool group_there(const struct target *t, const char *group)
{
	return group && (has(t->h->groups, t->h->n_groups, group) ||
			 has(t->planned_groups, t->n_planned_groups, group));
}

/* Is A a better target than B (NULL: any is)? */
static bool better(const struct target *a, const struct target *b)
{
	if (!b)
		return true;
	uint64_t fa = mem_free(a), fb = mem_free(b);
	uint64_t band = (fa > fb ? fa : fb) / CR_PLAN_MEM_TIE;
	if (fa > fb + band || fb > fa + band)
		return fa > fb;
	/* About as much room: spread the plan (its moves let go at once then
	 * restore on different hosts), then the CPU headroom decides. */
	if (a->n_planned != b->n_planned)
		return a->n_planned < b->n_planned;
	double ca = (1.0 - a->h->cpu) * a->h->cpus, cb = (1.0 - b->h->cpu) * b->h->cpus;
	if (ca != cb)
		return ca > cb;
	return strcmp(a->h->name, b->h->name) < 0;
}

static enum cr_plan_mode wanted_mode(const struct cr_plan_partition *p)
{
	const char *e = p->evacuate;
	if (e && !strcmp(e, "stay"))
		return CR_PLAN_STAY;
	if (e && !strcmp(e, "stop"))
		return CR_PLAN_STOP;
	if (e && !strcmp(e, "static"))
		return CR_PLAN_STATIC;
	if (!p->running)
		return CR_PLAN_STATIC; /* nothing runs: its files move */
	return p->checkpointable ? CR_PLAN_LIVE : CR_PLAN_STATIC;
}

static int place(const struct cr_plan_partition *p, struct target *t, size_t n, struct cr_plan_choice *c)
{
	struct target *best = NULL;
	const char *last_no = NULL;
	bool live = c->mode == CR_PLAN_LIVE;
	for (size_t i = 0; i < n; i++) {
		if (!(live ? t[i].live_ok : t[i].static_ok)) {
			last_no = t[i].why_not;
			continue;
		}
		if (group_there(&t[i], p->group)) {
			last_no = "every compatible host runs a partition of its anti-affinity group";
			continue;
		}
		if (p->mem && mem_free(&t[i]) < p->mem) {
			last_no = "no compatible host has room for its memory";
			continue;
		}
		if (better(&t[i], best))
			best = &t[i];
	}
	if (!best) {
		c->mode = CR_PLAN_NONE;
		snprintf(c->reason, sizeof c->reason, "no host can take it (%s)", last_no ? last_no : "no other host");
		return 0;
	}
	c->to = best->h->name;
	snprintf(c->reason, sizeof c->reason, "least loaded compatible host (%.0f MiB free)",
		 (double)mem_free(best) / (1 << 20));
	best->mem_planned += p->mem;
	best->n_planned++;
	if (p->group) {
		const char **g = realloc(best->planned_groups, (best->n_planned_groups + 1) * sizeof(*g));
		if (!g)
			return -ENOMEM;
		best->planned_groups = g;
		g[best->n_planned_groups++] = p->group;
	}
	return 0;
}

static int by_memory_desc(const void *a, const void *b, void *base)
{
	const struct cr_plan_partition *parts = base;
	const struct cr_plan_partition *pa = &parts[*(const size_t *)a], *pb = &parts[*(const size_t *)b];
	if (pa->mem != pb->mem)
		return pa->mem < pb->mem ? 1 : -1;
	return strcmp(pa->name, pb->name);
}

int cr_plan_evacuation(const struct cr_plan_host *src, const struct cr_plan_host *hosts, size_t n_hosts,
		       const char *const *only_to, size_t n_to, const struct cr_plan_partition *parts,
		       size_t n_parts, struct cr_plan_choice *ret, struct cr_error *err)
{
	cleanup_free struct target *t = calloc(n_hosts ? n_hosts : 1, sizeof(*t));
	cleanup_free size_t *order = calloc(n_parts ? n_parts : 1, sizeof(*order));
	if (!t || !order)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < n_hosts; i++) {
		if (same(hosts[i].name, src->name))
			continue;
		t[n].h = &hosts[i];
		judge(&t[n], src, only_to, n_to);
		n++;
	}
	for (size_t i = 0; i < n_parts; i++)
		order[i] = i;
	qsort_r(order, n_parts, sizeof(*order), by_memory_desc, (void *)parts);
	int r = 0;
	for (size_t k = 0; k < n_parts && r == 0; k++) {
		size_t i = order[k];
		struct cr_plan_choice *c = &ret[i];
		memset(c, 0, sizeof(*c));
		c->mode = wanted_mode(&parts[i]);
		if (c->mode == CR_PLAN_STAY || c->mode == CR_PLAN_STOP) {
			snprintf(c->reason, sizeof c->reason, "its evacuation setting is %s", cr_plan_mode_name(c->mode));
			continue;
		}
		r = place(&parts[i], t, n, c);
	}
	for (size_t i = 0; i < n; i++)
		free(t[i].planned_groups);
	return r < 0 ? cr_error_set(err, ENOMEM, "out of memory") : 0;
}
