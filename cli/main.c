/* corral: one binary answering to the AIX command names (dispatch on argv[0])
 * and to "corral VERB ...". The verbs come from the one table in verbs.c;
 * --help and -? are answered here for every verb, and a verb's failure is
 * reported here, once. */
#define LOG_PREFIX "cli: "
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/fsutil.h"

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-?");
}

/* --help or -? among the flags (before "--"); only as the first argument of
 * a verb whose operands are a command to run (clogin NAME ls --help). */
static bool asks_help(const struct cli_verb *v, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (is_help(argv[i]))
			return true;
		if (v->runs_command)
			break;
	}
	return false;
}

static int run_verb(const struct cli_verb *v, int argc, char **argv)
{
	if (asks_help(v, argc, argv)) {
		printf("usage: %s\n", v->usage);
		return fflush(stdout) != 0;
	}
	struct cr_error err = CR_ERROR_INIT;
	int rc = v->run(v, argc, argv, &err);
	if (rc < 0) {
		cli_report(v->name, &err);
		rc = v->fail_status;
	}
	cr_error_clear(&err);
	return rc;
}

int main(int argc, char **argv)
{
	cr_stdio_ensure_open();
	char *self = argc > 0 ? basename(argv[0]) : "corral";
	const struct cli_verb *v = cli_verb_find(self);
	if (v && cli_verb_is_link(v)) /* an AIX name; the others only as corral VERB */
		return run_verb(v, argc, argv);
	if (argc < 2) {
		cli_verbs_print(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--links")) { /* for the build: cli/links.cmake */
		cli_verbs_print_links(stdout);
		return fflush(stdout) != 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("corral %s\n", CORRAL_VERSION);
		return 0;
	}
	if (is_help(argv[1]) || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (v = cli_verb_find(argv[2])) != NULL) {
			printf("usage: %s\n", v->usage);
			return fflush(stdout) != 0;
		}
		cli_verbs_print(stdout);
		return 0;
	}
	if ((v = cli_verb_find(argv[1])) != NULL)
		return run_verb(v, argc - 1, argv + 1);
	cli_usage_error("corral", NULL, "unknown command '%s'", argv[1]);
	cli_verbs_print(stderr);
	return 2;
}
