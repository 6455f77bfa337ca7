/* corral policy [set DOMAIN [cpu=PCT] [mem=PCT] [period=SECONDS] [cooldown=SECONDS] | rm DOMAIN]
 * Policy relocation per relocation domain (fleet/policy.h); without
 * arguments: the policies, and what each would do now, host by host. */
#define LOG_PREFIX "policy: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "fleet/fleet.h"
#include "fleet/policy.h"
#include "util/cleanup.h"

static int number(const char *text, double lo, double hi, double *ret)
{
	char *end = NULL;
	double v = strtod(text, &end);
	if (!*text || (*end && strcmp(end, "%")) || !(v >= lo && v <= hi))
		return -1;
	*ret = v;
	return 0;
}

static int do_set(const struct cli_verb *v, int argc, char **argv, struct cr_etcd *e, struct cr_fleet_conf *c,
		  struct cr_error *err)
{
	struct cr_policy p = {.domain = argv[2], .cpu = 0.80, .mem = 0.90, .period_s = 300, .cooldown_s = 600};
	int r = cr_fleet_name_check("relocation domain", p.domain, err);
	if (r < 0)
		return r;
	for (int i = 3; i < argc; i++) {
		double n = 0;
		const char *eq = strchr(argv[i], '=');
		if (!eq)
			return cli_usage_error("policy", v->usage, "expected attr=value, not '%.40s'", argv[i]);
		size_t klen = (size_t)(eq - argv[i]);
		if (!strncmp(argv[i], "cpu", klen) && klen == 3 && number(eq + 1, 0, 100, &n) == 0)
			p.cpu = n / 100;
		else if (!strncmp(argv[i], "mem", klen) && klen == 3 && number(eq + 1, 0, 100, &n) == 0)
			p.mem = n / 100;
		else if (!strncmp(argv[i], "period", klen) && klen == 6 && number(eq + 1, 1, 86400, &n) == 0)
			p.period_s = (int)n;
		else if (!strncmp(argv[i], "cooldown", klen) && klen == 8 && number(eq + 1, 0, 604800, &n) == 0)
			p.cooldown_s = (int)n;
		else
			return cli_usage_error("policy", v->usage,
					       "bad '%.40s' (cpu=0..100, mem=0..100, period=1..86400, cooldown=0..604800)",
					       argv[i]);
	}
	if ((r = cr_policy_set(e, c, &p, err)) < 0)
		return r;
	printf("policy of %s: CPU above %.3g%% or memory above %.3g%% for %d s moves a partition; cooldown %d s\n",
	       p.domain, p.cpu * 100, p.mem * 100, p.period_s, p.cooldown_s);
	/* A domain no host is in yet may be meant (hosts join later): said, not refused. */
	struct cr_fleet_host *h = NULL;
	size_t n = 0;
	cleanup_error struct cr_error ignored = CR_ERROR_INIT;
	bool any = cr_fleet_hosts(e, c, &h, &n, &ignored) < 0;
	for (size_t i = 0; i < n && !any; i++)
		any = h[i].domain && !strcmp(h[i].domain, p.domain);
	cr_fleet_hosts_free(h, n);
	if (!any)
		printf("note: no host of fleet %s is in relocation domain %s now\n", c->fleet, p.domain);
	return 0;
}

static int show(struct cr_etcd *e, struct cr_fleet_conf *c, struct cr_error *err)
{
	struct cr_policy *pol = NULL;
	struct cr_fleet_host *h = NULL;
	size_t n_pol = 0, n = 0;
	int r = cr_policy_list(e, c, &pol, &n_pol, err);
	if (r == 0)
		r = cr_fleet_hosts(e, c, &h, &n, err);
	if (r < 0) {
		cr_policy_list_free(pol, n_pol);
		return r;
	}
	if (!n_pol)
		printf("no policy: no partition moves by load (corral policy set DOMAIN ...)\n");
	int64_t now = (int64_t)time(NULL);
	for (size_t k = 0; r == 0 && k < n_pol; k++) {
		printf("%s: CPU %.3g%%, memory %.3g%%, period %d s, cooldown %d s\n", pol[k].domain, pol[k].cpu * 100,
		       pol[k].mem * 100, pol[k].period_s, pol[k].cooldown_s);
		for (size_t i = 0; r == 0 && i < n; i++) {
			if (strcmp(h[i].domain, pol[k].domain))
				continue;
			if (!h[i].online || strcmp(h[i].state, "online")) {
				printf("  %-16s %s: not watched\n", h[i].name, h[i].state);
				continue;
			}
			struct cr_policy_state st;
			struct cr_policy_verdict v;
			if ((r = cr_policy_state_get(e, c, h[i].name, &st, err)) == 0 &&
			    (r = cr_policy_judge(&pol[k], h, n, &h[i], &st, now, &v, err)) == 0)
				printf("  %-16s %s%s\n", h[i].name, v.act ? "would act now: " : "", v.why);
		}
	}
	cr_fleet_hosts_free(h, n);
	cr_policy_list_free(pol, n_pol);
	return r;
}

int cmd_policy(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	bool set = argc >= 3 && !strcmp(argv[1], "set"), rm = argc == 3 && !strcmp(argv[1], "rm");
	if (argc != 1 && !set && !rm)
		return cli_usage_error("policy", v->usage, "corral policy [set DOMAIN attr=value ... | rm DOMAIN]");
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	int r = cr_fleet_connect(&c, &e, err);
	if (r < 0)
		return r;
	if (set)
		return do_set(v, argc, argv, e, &c, err);
	if (rm)
		return cr_policy_remove(e, &c, argv[2], err);
	return show(e, &c, err);
}
