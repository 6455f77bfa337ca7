/* AIX-style option parsing: flags may be grouped (-As), take an argument
 * (-n NAME or -nNAME), or take the key=value words that follow them
 * (-M directory=/ vfs=nfs host=h). Stops at "--" or the first operand. */
#ifndef CORRAL_CLI_OPTIONS_H
#define CORRAL_CLI_OPTIONS_H

#include <stddef.h>

/* SPEC lists the flags: "x" a switch, "x:" takes an argument, "x*" takes
 * key=value words (at least one). */
struct cli_option {
	char flag;
	char *arg;      /* for "x:" */
	char **words;   /* for "x*": points into argv */
	size_t n_words;
};

struct cli_parsed {
	struct cli_option *opts;
	size_t n;
	int first_operand;  /* index in argv */
};

/* Parse; on a usage error print it (with USAGE) and return 2, else 0. */
int cli_parse_options(const char *prog, const char *usage, const char *spec, int argc,
		      char **argv, struct cli_parsed *ret);
void cli_parsed_free(struct cli_parsed *p);

/* The last argument given to FLAG, or NULL; how many times FLAG was given. */
const char *cli_option_arg(const struct cli_parsed *p, char flag);
size_t cli_option_count(const struct cli_parsed *p, char flag);

/* Parse a decimal number in [MIN, MAX]; returns 0 or -1. */
int cli_parse_long(const char *s, long min, long max, long *ret);

#endif
