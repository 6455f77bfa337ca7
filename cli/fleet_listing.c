/* lswpar --fleet (cli/fleet_listing.h). */
#define LOG_PREFIX "lswpar: "
#include "cli/fleet_listing.h"

#include <stdio.h>
#include <string.h>

#include "fleet/fleet.h"
#include "util/cleanup.h"

static bool wanted(const char *name, char **names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return n == 0;
}

int cli_lswpar_fleet(bool json, char **names, int n, struct cr_error *err)
{
	cleanup_fleet_conf struct cr_fleet_conf conf = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	struct cr_fleet_host *h = NULL;
	size_t nh = 0;
	int r = cr_fleet_connect(&conf, &e, err);
	if (r == 0)
		r = cr_fleet_hosts(e, &conf, &h, &nh, err);
	if (r < 0)
		return r;
	if (json)
		printf("[");
	else
		printf("%-20s %-6s %-16s %-9s %-14s %s\n", "Name", "State", "Host", "Host is", "Checkpointable",
		       "Memory");
	size_t shown = 0;
	for (size_t i = 0; i < nh; i++) {
		for (size_t k = 0; k < h[i].n_parts; k++) {
			const struct cr_fleet_partition *p = &h[i].parts[k];
			if (!wanted(p->name, names, n))
				continue;
			if (json)
				printf("%s\n{\"name\":\"%s\",\"state\":\"%c\",\"host\":\"%s\",\"host_state\":\"%s\","
				       "\"checkpointable\":%s,\"memory\":%llu}",
				       shown ? "," : "", p->name, p->state, h[i].name, h[i].state,
				       p->checkpointable ? "true" : "false", (unsigned long long)p->mem);
			else
				printf("%-20s %-6c %-16s %-9s %-14s %.1f MiB\n", p->name, p->state, h[i].name, h[i].state,
				       p->checkpointable ? "yes" : "no", (double)p->mem / (1 << 20));
			shown++;
		}
	}
	if (json)
		printf("\n]\n");
	cr_fleet_hosts_free(h, nh);
	if (n > 0 && shown == 0)
		return cr_error_set(err, ENOENT, "0960-419 Could not find a workload partition called %s in fleet %s.",
				    names[0], conf.fleet);
	return 0;
}
