/* The verbs of the corral binary: ONE table (cli/verbs.c) gives each verb its
 * name, summary, usage text and handler. main.c dispatches on it and answers
 * --help and -? for every verb before the verb's own option parsing. Each
 * verb lives in cli/cmd_<verb>.c: option parsing plus one engine call. */
#ifndef CORRAL_CLI_COMMANDS_H
#define CORRAL_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "util/error.h"

struct cli_verb;

/* A handler returns its exit status (0, 2 after a usage error, a job's own
 * status), or a negative errno after filling ERR: main.c then reports ERR
 * once ("NAME: message") and exits with the verb's fail_status. A verb that
 * works through several names reports each one's failure with cli_report. */
typedef int cli_handler(const struct cli_verb *verb, int argc, char **argv, struct cr_error *err);

struct cli_verb {
	const char *name;
	const char *summary; /* NULL: internal, not listed by corral --help */
	const char *usage;   /* printed after "usage: "; continuation lines indented */
	cli_handler *run;
	int fail_status;     /* exit status when run fails with ERR: 1 (wparexec: 125) */
	bool runs_command;   /* the operands are a command: only argv[1] can ask for help */
};

/* The verb called NAME, or NULL. */
const struct cli_verb *cli_verb_find(const char *name);
/* Print corral's own usage: every listed verb with its summary. */
void cli_verbs_print(FILE *out);
/* True for a verb called by its own name (an AIX command: mkwpar, ...), a
 * link to the corral binary: its usage starts with its name, not "corral". */
bool cli_verb_is_link(const struct cli_verb *v);
/* Print the names of those verbs, one a line (corral --links, which the
 * build and the install use to make the links). */
void cli_verbs_print_links(FILE *out);

cli_handler cmd_mkwpar, cmd_lswpar, cmd_startwpar, cmd_stopwpar, cmd_rebootwpar, cmd_rmwpar,
	cmd_chwpar, cmd_wparexec, cmd_clogin, cmd_syncwpar, cmd_chkptwpar, cmd_restartwpar,
	cmd_movewpar, cmd_check, cmd_image, cmd_keygen, cmd_trust, cmd_monitor, cmd_autostart,
	cmd_resumewpar, cmd_fleet, cmd_hosts, cmd_evacuate, cmd_restore, cmd_history, cmd_schedule, cmd_policy;

/* Print "PROG: message" for ERR to stderr, on one line (control characters
 * escaped), and return exit status 1. */
int cli_report(const char *prog, const struct cr_error *err);

/* Print "PROG: formatted message" (one line) and "usage: USAGE" when USAGE
 * is not NULL; return exit status 2. */
int cli_usage_error(const char *prog, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The negative errno a handler returns for the failure ERR holds. */
static inline int cli_failed(const struct cr_error *err)
{
	return -(err->code > 0 ? err->code : EIO);
}

#endif
