/* The one verb table of the corral binary: name, summary, usage, handler.
 * corral --help, VERB --help and every usage error read it. */
#define LOG_PREFIX "cli: "
#include <string.h>

#include "cli/commands.h"

#define SYSTEM_FLAGS "[-M attr=value ...] [-N attr=value ...] [-R attr=value ...] [-S attr=value ...]"

static const struct cli_verb verbs[] = {
	{"mkwpar", "create a partition",
	 "mkwpar -n name [-h hostname] [-d directory] [-A] [-c] [-s] [-r] [-l] [-p] [-u script]\n"
	 "              " SYSTEM_FLAGS "\n"
	 "              [-f specfile] [-o outspec [-w]] [-v]",
	 cmd_mkwpar, 1, false},
	{"lswpar", "list partitions",
	 "lswpar [-G | -L | -M | -N | -R | -S | -T | -D] [-c | -d delim] [-a field[,field...]]\n"
	 "              [-q] [-s states] [-t types] [--json] [name ...]\n"
	 "       lswpar --fleet [--json] [name ...]",
	 cmd_lswpar, 1, false},
	{"startwpar", "start a system partition", "startwpar [-v] name ...", cmd_startwpar, 1, false},
	{"stopwpar", "stop a partition",
	 "stopwpar [-F] [-h] [-r] [-t seconds | -N] [-v] name ...", cmd_stopwpar, 1, false},
	{"rebootwpar", "stop and start a system partition",
	 "rebootwpar [-F] [-h] [-t seconds | -N] [-v] name ...", cmd_rebootwpar, 1, false},
	{"rmwpar", "remove a partition", "rmwpar [-F] [-p] [-s] [-v] name ...", cmd_rmwpar, 1, false},
	{"chwpar", "change a partition's attributes",
	 "chwpar [-A] [-c] [-h hostname] [-d directory] [-n newname] [-u script]\n"
	 "              " SYSTEM_FLAGS "\n"
	 "              [-K -A | -K -c | -K -h | -K -u | -K -M attr=value ... | -K -N attr=value ...\n"
	 "               | -K -R attr ... | -K -S attr ...] [-v] name",
	 cmd_chwpar, 1, false},
	{"wparexec", "run a command in an application partition",
	 "wparexec [-n name] [-c] [-h hostname] [-N attr=value ...] [-R attr=value ...]\n"
	 "                [-S attr=value ...] [-v] [--] command [args...]",
	 cmd_wparexec, 125, true},
	{"clogin", "log in to or run a command in a partition",
	 "clogin name [-l user] [command [args...]]", cmd_clogin, 1, true},
	{"syncwpar", "synchronise a partition's root part with the host",
	 "syncwpar [-p] [-v] -A | name ...", cmd_syncwpar, 1, false},
	{"chkptwpar", "checkpoint a partition to an image",
	 "chkptwpar [-k | -p] [-F] (-d directory | -o file) [-l logfile] [-K keyfile | -s pubkeyfile]\n"
	 "                 [-v] name",
	 cmd_chkptwpar, 1, false},
	{"restartwpar", "restart a partition from an image",
	 "restartwpar (-d directory | -i file) [-p] [-K keyfile] [-H hostkeyfile] [-v] name",
	 cmd_restartwpar, 1, false},
	{"movewpar", "relocate a running partition to another host",
	 "movewpar [--static | --mode auto|post-copy|stop-copy] [--dry-run] [-F] [-t seconds] [-v] name host", cmd_movewpar, 1, false},
	{"resumewpar", "resume a Paused partition", "resumewpar [-F] name ...", cmd_resumewpar, 1,
	 false},
	{"check", "probe this host for what Corral needs", "corral check [--json] [--refresh]",
	 cmd_check, 1, false},
	{"image", "inspect, verify or extract a checkpoint image",
	 "corral image info|ls|verify FILE [--key-file F] [--host-key[=KEY]]\n"
	 "       corral image extract FILE DIR [--key-file F] [--host-key[=KEY]]\n"
	 "       corral image create FILE DIR [--key-file F | --seal-to PUBKEY-FILE]\n"
	 "FILE may be - for standard input or output",
	 cmd_image, 1, false},
	{"keygen", "make this host's key pair", "corral keygen [--force] [--hex]", cmd_keygen, 1,
	 false},
	{"trust", "trust a peer host's key",
	 "corral trust NAME ADDR PUBKEY   (PUBKEY: key text or a host.pub file)\n"
	 "       corral trust --list\n"
	 "       corral trust --remove NAME",
	 cmd_trust, 1, false},
	{"fleet", "make, join or show this host's fleet",
	 "corral fleet init FLEET --store URL[,URL...] --address IP[:PORT] [--name NAME]\n"
	 "                         [--domain DOMAIN] [--load host|partitions]\n"
	 "                         [--ca FILE --cert FILE --key FILE]\n"
	 "       corral fleet token [--list | --revoke TOKEN]\n"
	 "       corral fleet join --store URL[,URL...] --address IP[:PORT] [--name NAME]\n"
	 "                         [--domain DOMAIN] [--load host|partitions]\n"
	 "                         [--ca FILE --cert FILE --key FILE] TOKEN\n"
	 "       corral fleet set PARTITION [evacuate=live|static|stop|stay] [group=NAME|none]\n"
	 "       corral fleet status\n"
	 "       corral fleet leave [--force]\n"
	 "       corral fleet remove HOST [--force]",
	 cmd_fleet, 1, false},
	{"hosts", "list the hosts of this host's fleet", "corral hosts [--json]", cmd_hosts, 1, false},
	{"evacuate", "empty a host of the fleet before its maintenance",
	 "corral evacuate HOST [--dry-run] [--parallel N] [--to HOST[,HOST...]] [--timeout SECONDS]\n"
	 "       corral evacuate --cancel HOST [--timeout SECONDS]",
	 cmd_evacuate, 1, false},
	{"restore", "bring back the partitions an evacuation moved away",
	 "corral restore HOST [--parallel N] [--timeout SECONDS]\n"
	 "       corral restore HOST --skip   (placements again, nothing moved back)\n"
	 "       corral restore --cancel HOST [--timeout SECONDS]",
	 cmd_restore, 1, false},
	{"schedule", "relocate or evacuate at a time or on a cron schedule",
	 "corral schedule add (--at YYYY-MM-DDTHH:MM[:SS]Z | --in SECONDS | --cron \"M H DOM MON DOW\")\n"
	 "                           [--parallel N] (evacuate HOST | move PARTITION [HOST])\n"
	 "       corral schedule list\n"
	 "       corral schedule rm ID",
	 cmd_schedule, 1, false},
	{"policy", "move partitions off hosts that stay too loaded",
	 "corral policy\n"
	 "       corral policy set DOMAIN [cpu=PCT] [mem=PCT] [period=SECONDS] [cooldown=SECONDS]\n"
	 "       corral policy rm DOMAIN",
	 cmd_policy, 1, false},
	{"history", "the fleet's moves: who asked, what moved where, downtime",
	 "corral history [--json] [-n N]", cmd_history, 1, false},
	{"autostart", "start every partition made with -A (run at boot)",
	 "corral autostart [-s] [-t seconds]", cmd_autostart, 1, false},
	/* internal: the process that follows a partition */
	{"monitor", NULL, "corral monitor NAME FD [--restore IMAGES_DIR [--paused] [--lazy] [--go FD]]   (internal)",
	 cmd_monitor, 1, false},
};

const struct cli_verb *cli_verb_find(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

bool cli_verb_is_link(const struct cli_verb *v)
{
	size_t n = strlen(v->name);
	return v->summary && !strncmp(v->usage, v->name, n) && v->usage[n] == ' ';
}

void cli_verbs_print_links(FILE *out)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (cli_verb_is_link(&verbs[i]))
			fprintf(out, "%s\n", verbs[i].name);
}

void cli_verbs_print(FILE *out)
{
	fprintf(out, "usage: corral VERB [ARGS...]   (or call a verb by its name, e.g. lswpar)\n\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].summary)
			fprintf(out, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out, "\n  corral VERB --help   a verb's usage\n  corral --version     print the version\n");
}
