/* corral check [--json] [--refresh]: what this host can do for Corral, one
 * line per probe. Exit 0 when checkpoint and restart can work here. */
#define LOG_PREFIX "check: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/host_facts.h"
#include "cli/commands.h"
#include "util/cleanup.h"

static void print_text(const struct cr_host_facts *f)
{
	for (int i = 0; i < CR_PROBE_COUNT; i++) {
		const struct cr_probe *p = &f->probes[i];
		printf("%-8s %-15s %s", cr_probe_status_name(p->status), cr_probe_name(i),
		       cr_probe_meaning(i, p->status));
		if (p->detail && *p->detail)
			printf(" [%s]", p->detail);
		putchar('\n');
	}
	putchar('\n');
	if (f->cached) {
		char when[64] = "";
		time_t t = (time_t)f->probed_at;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("(cached facts probed %s; corral check --refresh probes again)\n", when);
	}
	if (cr_host_facts_ready(f)) {
		printf("checkpoint and restart: possible on this host%s\n",
		       f->criu_needs_fault ? " (every CRIU call runs with CRIU_FAULT=130)" : "");
		return;
	}
	printf("checkpoint and restart: NOT possible on this host:\n");
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		if (cr_probe_required(i) && f->probes[i].status != CR_PROBE_OK)
			printf("  %s: %s\n", cr_probe_name(i),
			       cr_probe_meaning(i, f->probes[i].status));
}

int cmd_check(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"refresh", no_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	bool json = false, refresh = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jr", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'r':
			refresh = true;
			break;
		default:
			return cli_usage_error("corral check", v->usage, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("corral check", v->usage, "unexpected argument '%s'",
				       argv[optind]);

	struct cr_host_facts f;
	if (cr_host_facts_get(refresh, &f, err) < 0)
		return cli_failed(err);
	int status = 0;
	if (json) {
		cleanup_free char *text = NULL;
		if (cr_host_facts_to_json(&f, &text, err) < 0)
			status = cli_report("corral check", err);
		else
			fputs(text, stdout);
	} else {
		print_text(&f);
	}
	if (status == 0 && !cr_host_facts_ready(&f)) {
		fprintf(stderr, "corral check: this host cannot checkpoint or restart partitions:");
		for (int i = 0, n = 0; i < CR_PROBE_COUNT; i++)
			if (cr_probe_required(i) && f.probes[i].status != CR_PROBE_OK)
				fprintf(stderr, "%s %s", n++ ? "," : "", cr_probe_name(i));
		fputc('\n', stderr);
		status = 1;
	}
	cr_host_facts_free(&f);
	if (fflush(stdout) != 0 && status == 0)
		status = 1;
	return status;
}
