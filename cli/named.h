/* What the verbs that act on named partitions share: a name is checked
 * before anything is printed about it, and a start is one function. */
#ifndef CORRAL_CLI_NAMED_H
#define CORRAL_CLI_NAMED_H

#include <stdbool.h>

/* 0 when NAME is a defined partition; else its error is reported as PROG's
 * and 1 is returned, before any "Starting ..." line was printed. */
int cli_named_known(const char *prog, const char *name);

/* startwpar NAME (also rebootwpar's second half): 0, or 1 after reporting. */
int cli_start_one(const char *prog, const char *name, bool verbose);

struct cli_verb;
/* stopwpar's flags and names; REBOOT starts each one again (rebootwpar).
 * Returns the exit status. */
int cli_stop_verb(const struct cli_verb *v, bool reboot, int argc, char **argv);

#endif
