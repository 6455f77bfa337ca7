/* The verbs of the corral binary. Each lives in cli/cmd_<verb>.c, parses its
 * options, makes one engine call and reports errors once. */
#ifndef CORRAL_CLI_COMMANDS_H
#define CORRAL_CLI_COMMANDS_H

#include <stdbool.h>

#include "util/error.h"

/* Declared weak: a verb whose file is not in this build reports so. */
#define CR_VERB(name) int cmd_##name(int argc, char **argv) __attribute__((weak))
CR_VERB(mkwpar);
CR_VERB(lswpar);
CR_VERB(startwpar);
CR_VERB(stopwpar);
CR_VERB(rebootwpar);
CR_VERB(rmwpar);
CR_VERB(chwpar);
CR_VERB(wparexec);
CR_VERB(clogin);
CR_VERB(syncwpar);
CR_VERB(chkptwpar);
CR_VERB(restartwpar);
CR_VERB(movewpar);
CR_VERB(check);
CR_VERB(image);
CR_VERB(keygen);
CR_VERB(trust);
CR_VERB(monitor);
CR_VERB(autostart);
CR_VERB(resumewpar);
#undef CR_VERB

/* Print "PROG: message" for ERR to stderr and return exit status 1. */
int cli_report(const char *prog, const struct cr_error *err);

/* Print "PROG: formatted message" and a usage hint; return exit status 2. */
int cli_usage_error(const char *prog, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when standard output is a terminal (progress bars, colours). */
bool cli_stdout_is_tty(void);

#endif
