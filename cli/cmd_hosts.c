/* corral hosts [--json]: every host of this host's fleet, as the store
 * knows them: state, relocation domain, partitions, load, lease age. */
#define LOG_PREFIX "hosts: "
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "fleet/fleet.h"
#include "util/cleanup.h"

static void human(uint64_t bytes, char out[16])
{
	static const char units[] = "BKMGTP";
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, 16, u ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static void print_table(const struct cr_fleet_host *h, size_t n)
{
	printf("%-16s %-16s %-10s %-22s %-5s %-5s %-15s %-6s %s\n", "NAME", "STATE", "DOMAIN", "ADDRESS",
	       "CPU", "CPUS", "MEMORY", "LEASE", "PARTITIONS");
	for (size_t i = 0; i < n; i++) {
		char used[16], total[16], mem[40], cpu[8] = "-", lease[16] = "-";
		human(h[i].mem_used, used);
		human(h[i].mem_total, total);
		snprintf(mem, sizeof mem, "%s/%s", used, total);
		if (h[i].online) {
			snprintf(cpu, sizeof cpu, "%.0f%%", h[i].cpu * 100);
			snprintf(lease, sizeof lease, "%llds", (long long)h[i].lease_age_s);
		}
		printf("%-16s %-16s %-10s %-22s %-5s %-5d %-15s %-6s %zu%s%s%s\n", h[i].name, h[i].state,
		       h[i].domain, h[i].address, cpu, h[i].cpus, h[i].online ? mem : "-", lease,
		       h[i].n_partitions, h[i].n_partitions ? " (" : "", h[i].partitions,
		       h[i].n_partitions ? ")" : "");
	}
}

static void print_json(const struct cr_fleet_host *h, size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++)
		printf("%s\n{\"name\":\"%s\",\"state\":\"%s\",\"online\":%s,\"lease_age_s\":%lld,"
		       "\"record\":%s,\"alive\":%s}",
		       i ? "," : "", h[i].name, h[i].state, h[i].online ? "true" : "false",
		       (long long)h[i].lease_age_s, h[i].record_json, h[i].alive_json ? h[i].alive_json : "null");
	printf("\n]\n");
}

int cmd_hosts(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage_error("hosts", v->usage, "unknown option");
		json = true;
	}
	if (optind != argc)
		return cli_usage_error("hosts", v->usage, "unexpected argument '%s'", argv[optind]);
	cleanup_fleet_conf struct cr_fleet_conf conf = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	struct cr_fleet_host *h = NULL;
	size_t n = 0;
	int r = cr_fleet_connect(&conf, &e, err);
	if (r == 0)
		r = cr_fleet_hosts(e, &conf, &h, &n, err);
	if (r < 0)
		return r;
	if (json)
		print_json(h, n);
	else
		print_table(h, n);
	cr_fleet_hosts_free(h, n);
	return 0;
}
