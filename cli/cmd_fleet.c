/* corral fleet init|join|token|set|status|leave: this host's membership of a fleet
 * (fleet/fleet.h). The fleet's state is in its store (etcd); this host keeps
 * only how to reach it. */
#define LOG_PREFIX "fleet: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "fleet/fleet.h"
#include "util/cleanup.h"

/* The options init and join share; the name defaults to the host name. */
static int parse_member(const struct cli_verb *v, int argc, char **argv, struct cr_fleet_conf *c,
			int *ret_usage)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"store", required_argument, NULL, 's'},
		{"address", required_argument, NULL, 'a'},
		{"domain", required_argument, NULL, 'd'},
		{"load", required_argument, NULL, 'l'},
		{"ca", required_argument, NULL, 'C'},
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	static const size_t offs[] = {
		['n'] = offsetof(struct cr_fleet_conf, name),
		['s'] = offsetof(struct cr_fleet_conf, store),
		['a'] = offsetof(struct cr_fleet_conf, address),
		['d'] = offsetof(struct cr_fleet_conf, domain),
		['l'] = offsetof(struct cr_fleet_conf, load),
		['C'] = offsetof(struct cr_fleet_conf, ca_file),
		['c'] = offsetof(struct cr_fleet_conf, cert_file),
		['k'] = offsetof(struct cr_fleet_conf, key_file),
	};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == '?' || o < 0 || (size_t)o >= sizeof(offs) / sizeof(offs[0]) || !offs[o]) {
			*ret_usage = cli_usage_error("fleet", v->usage, "unknown option in 'corral fleet %s'", argv[0]);
			return -EINVAL;
		}
		char **slot = (char **)((char *)c + offs[o]);
		free(*slot);
		if (!(*slot = strdup(optarg)))
			return -ENOMEM;
	}
	if (!c->name) {
		char host[256] = "";
		if (gethostname(host, sizeof host - 1) < 0 || !(c->name = strdup(host)))
			return -ENOMEM;
	}
	if (!c->domain && !(c->domain = strdup("default")))
		return -ENOMEM;
	if (!c->store) {
		*ret_usage = cli_usage_error("fleet", v->usage, "--store URL[,URL...] is required");
		return -EINVAL;
	}
	if (!c->address) {
		*ret_usage = cli_usage_error("fleet", v->usage,
					     "--address IP[:PORT] is required (where this host's corrald "
					     "listens for its peers)");
		return -EINVAL;
	}
	return 0;
}

static int do_init(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	int usage = 2;
	if (argc < 2 || argv[1][0] == '-') {
		if (parse_member(v, argc, argv, &c, &usage) < 0)
			return usage;
		return cli_usage_error("fleet", v->usage, "corral fleet init needs the fleet's name");
	}
	if (!(c.fleet = strdup(argv[1])))
		return cr_error_set(err, ENOMEM, "out of memory");
	if (parse_member(v, argc - 1, argv + 1, &c, &usage) < 0)
		return usage;
	if (optind != argc - 1)
		return cli_usage_error("fleet", v->usage, "unexpected argument '%s'", argv[optind + 1]);
	int r = cr_fleet_init(&c, err);
	if (r < 0)
		return r;
	printf("Made fleet %s with this host as %s (store %s)\n", c.fleet, c.name, c.store);
	return 0;
}

static int do_join(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	int usage = 2;
	if (parse_member(v, argc, argv, &c, &usage) < 0)
		return usage;
	if (optind != argc - 1)
		return cli_usage_error("fleet", v->usage, "corral fleet join needs one join token");
	int r = cr_fleet_join(&c, argv[optind], err);
	if (r < 0)
		return r;
	printf("Joined fleet %s as %s\n", c.fleet, c.name);
	return 0;
}

static int do_token(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	if (argc > 3 || (argc >= 2 && strcmp(argv[1], "--list") && strcmp(argv[1], "--revoke")) ||
	    (argc == 2 && !strcmp(argv[1], "--revoke")) || (argc == 3 && strcmp(argv[1], "--revoke")))
		return cli_usage_error("fleet", v->usage, "corral fleet token [--list | --revoke TOKEN]");
	int r = cr_fleet_conf_load(&c, err);
	if (r < 0)
		return r;
	if (argc == 3)
		return cr_fleet_token_revoke(&c, argv[2], err);
	if (argc == 2) {
		char **lines = NULL;
		size_t n = 0;
		if ((r = cr_fleet_token_list(&c, &lines, &n, err)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			printf("%s\n", lines[i]);
			free(lines[i]);
		}
		free(lines);
		return 0;
	}
	cleanup_free char *token = NULL;
	if ((r = cr_fleet_token_new(&c, &token, err)) < 0)
		return r;
	printf("%s\n", token);
	return 0;
}

static int do_status(const struct cli_verb *v, int argc, struct cr_error *err)
{
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	if (argc != 1)
		return cli_usage_error("fleet", v->usage, "corral fleet status takes no argument");
	int r = cr_fleet_conf_load(&c, err);
	if (r < 0)
		return r;
	printf("fleet:   %s\nname:    %s\nstore:   %s\naddress: %s\ndomain:  %s\n", c.fleet, c.name, c.store,
	       c.address, c.domain);
	return 0;
}

/* corral fleet leave [--force] */
static int do_leave(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	bool force = argc == 2 && !strcmp(argv[1], "--force");
	if (argc > 2 || (argc == 2 && !force))
		return cli_usage_error("fleet", v->usage, "corral fleet leave takes only --force");
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	struct cr_fleet_leave_report rep;
	int r = cr_fleet_conf_load(&c, err);
	if (r == 0)
		r = cr_fleet_leave(&c, force, &rep, err);
	if (r < 0)
		return r;
	printf("Left fleet %s: %s works alone now%s\n", c.fleet, c.name,
	       rep.member ? "" : " (the store had no record of it already)");
	if (rep.partitions)
		printf("- its %zu partition%s (%s) stay%s here, run by this host alone\n", rep.partitions,
		       rep.partitions > 1 ? "s" : "", rep.partition_names, rep.partitions > 1 ? "" : "s");
	if (rep.evacuation[0] || rep.moves)
		printf("- its %s%s%zu fleet move%s in flight finish through their own hand-over, unrecorded\n",
		       rep.evacuation[0] ? rep.evacuation : "", rep.evacuation[0] ? " ends; " : "", rep.moves,
		       rep.moves == 1 ? "" : "s");
	if (rep.origins)
		printf("- %zu partition%s evacuated from it stay%s where %s run%s (no restore brings %s back)\n",
		       rep.origins, rep.origins > 1 ? "s" : "", rep.origins > 1 ? "" : "s",
		       rep.origins > 1 ? "they" : "it", rep.origins > 1 ? "" : "s", rep.origins > 1 ? "them" : "it");
	if (rep.was_leader)
		printf("- it led the fleet: another member takes over within a tick\n");
	printf("- the members stop trusting it within 2 s; it stopped trusting %zu member%s\n", rep.trust_removed,
	       rep.trust_removed == 1 ? "" : "s");
	if (rep.not_removed)
		printf("- %zu record%s naming it could not be removed from the store (they name a host no longer "
		       "in it)\n", rep.not_removed, rep.not_removed > 1 ? "s" : "");
	return 0;
}

/* corral fleet remove HOST [--force] */
static int do_remove(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	bool force = argc == 3 && !strcmp(argv[2], "--force");
	if (argc < 2 || argc > 3 || argv[1][0] == '-' || (argc == 3 && !force))
		return cli_usage_error("fleet", v->usage, "corral fleet remove HOST [--force]");
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	struct cr_fleet_leave_report rep;
	int r = cr_fleet_connect(&c, &e, err);
	if (r == 0)
		r = cr_fleet_remove(&c, argv[1], force, &rep, err);
	if (r < 0)
		return r;
	printf("Removed %s from fleet %s: the members stop trusting it within 2 s; if it comes back it acts "
	       "alone\n", argv[1], c.fleet);
	if (rep.evacuation[0] || rep.moves)
		printf("- its %s%s%zu fleet move%s in flight finish through their own hand-over, unrecorded\n",
		       rep.evacuation[0] ? rep.evacuation : "", rep.evacuation[0] ? " ends; " : "", rep.moves,
		       rep.moves == 1 ? "" : "s");
	if (rep.origins)
		printf("- %zu partition%s evacuated from it stay%s where %s run%s\n", rep.origins,
		       rep.origins > 1 ? "s" : "", rep.origins > 1 ? "" : "s", rep.origins > 1 ? "they" : "it",
		       rep.origins > 1 ? "" : "s");
	if (rep.owners)
		printf("- %zu owner record%s naming it removed\n", rep.owners, rep.owners > 1 ? "s" : "");
	return 0;
}

/* Does a host of the fleet list PARTITION (true when that cannot be told)? */
static bool runs_somewhere(const struct cr_fleet_conf *c, const char *partition)
{
	cleanup_etcd struct cr_etcd *e = NULL;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	struct cr_fleet_host *h = NULL;
	size_t n = 0;
	if (cr_fleet_open_store(c, &e, &err) < 0 || cr_fleet_hosts(e, c, &h, &n, &err) < 0)
		return true;
	bool found = false;
	for (size_t i = 0; i < n && !found; i++)
		for (size_t k = 0; k < h[i].n_parts && !found; k++)
			found = !strcmp(h[i].parts[k].name, partition);
	cr_fleet_hosts_free(h, n);
	return found;
}

/* corral fleet set PARTITION evacuate=live|static|stop|stay group=NAME|none */
static int do_set(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	if (argc < 3)
		return cli_usage_error("fleet", v->usage, "corral fleet set PARTITION attr=value ...");
	const char *evacuate = NULL, *group = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "evacuate=", 9)) {
			evacuate = argv[i] + 9;
			if (strcmp(evacuate, "live") && strcmp(evacuate, "static") && strcmp(evacuate, "stop") &&
			    strcmp(evacuate, "stay"))
				return cli_usage_error("fleet", v->usage, "evacuate= takes live, static, stop or stay");
		} else if (!strncmp(argv[i], "group=", 6)) {
			group = argv[i] + 6;
		} else {
			return cli_usage_error("fleet", v->usage, "unknown attribute '%.40s' (evacuate=, group=)", argv[i]);
		}
	}
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	int r = cr_fleet_name_check("partition name", argv[1], err);
	if (r == 0 && group && strcmp(group, "none"))
		r = cr_fleet_name_check("group name", group, err);
	if (r == 0)
		r = cr_fleet_conf_load(&c, err);
	if (r == 0)
		r = cr_fleet_partition_set(&c, argv[1], evacuate, group, err);
	if (r < 0)
		return r;
	printf("%s:%s%s%s%s (fleet-wide: it follows %s from host to host)\n", argv[1], evacuate ? " evacuate=" : "",
	       evacuate ? evacuate : "", group ? " group=" : "", group ? group : "", argv[1]);
	if (!runs_somewhere(&c, argv[1]))
		printf("note: no host of fleet %s runs a partition named %s now\n", c.fleet, argv[1]);
	return 0;
}

int cmd_fleet(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	if (argc < 2)
		return cli_usage_error("fleet", v->usage, "which: init, join, token, set, status, leave or remove?");
	const char *sub = argv[1];
	if (!strcmp(sub, "init"))
		return do_init(v, argc - 1, argv + 1, err);
	if (!strcmp(sub, "join"))
		return do_join(v, argc - 1, argv + 1, err);
	if (!strcmp(sub, "token"))
		return do_token(v, argc - 1, argv + 1, err);
	if (!strcmp(sub, "status"))
		return do_status(v, argc - 1, err);
	if (!strcmp(sub, "set"))
		return do_set(v, argc - 1, argv + 1, err);
	if (!strcmp(sub, "leave"))
		return do_leave(v, argc - 1, argv + 1, err);
	if (!strcmp(sub, "remove"))
		return do_remove(v, argc - 1, argv + 1, err);
	return cli_usage_error("fleet", v->usage, "unknown subcommand '%.40s'", sub);
}
