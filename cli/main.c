/* corral: one binary answering to the AIX command names (dispatch on argv[0])
 * and to "corral VERB ...". */
#include <libgen.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "util/fsutil.h"

struct verb {
	const char *name;
	const char *summary;
};

/* Pointers to the weak symbols: NULL when a verb is not in this build. */
#define VERB(n, s) {#n, s}
static struct verb verbs[] = {
	VERB(mkwpar, "create a partition"),
	VERB(lswpar, "list partitions"),
	VERB(startwpar, "start a system partition"),
	VERB(stopwpar, "stop a partition"),
	VERB(rebootwpar, "stop and start a system partition"),
	VERB(rmwpar, "remove a partition"),
	VERB(chwpar, "change a partition's attributes"),
	VERB(wparexec, "run a command in an application partition"),
	VERB(clogin, "log in to or run a command in a partition"),
	VERB(syncwpar, "synchronise a partition's root part with the host"),
	VERB(chkptwpar, "checkpoint a partition to an image"),
	VERB(restartwpar, "restart a partition from an image"),
	VERB(movewpar, "relocate a running partition to another host"),
	VERB(check, "probe this host for what Corral needs"),
	VERB(image, "inspect, verify or extract a checkpoint image"),
	VERB(keygen, "make this host's key pair"),
	VERB(trust, "trust a peer host's key"),
	VERB(resumewpar, "resume a Paused partition"),
	VERB(autostart, "start every partition made with -A (run at boot)"),
	VERB(monitor, NULL), /* internal: the process that follows a partition */
};
#undef VERB

static int (*handler_of(const char *name))(int, char **)
{
#define H(n) if (!strcmp(name, #n)) return cmd_##n
	H(mkwpar); H(lswpar); H(startwpar); H(stopwpar); H(rebootwpar); H(rmwpar);
	H(chwpar); H(wparexec); H(clogin); H(syncwpar); H(chkptwpar); H(restartwpar);
	H(movewpar); H(check); H(image); H(keygen); H(trust); H(monitor);
	H(autostart); H(resumewpar);
#undef H
	return NULL;
}

static bool is_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name))
			return true;
	return false;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: corral VERB [ARGS...]   (or call a verb by its name, e.g. lswpar)\n\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (!verbs[i].summary)
			continue;
		fprintf(out, "  %-12s %s%s\n", verbs[i].name, verbs[i].summary,
			handler_of(verbs[i].name) ? "" : " (not in this build yet)");
	}
	fprintf(out, "\n  corral --version   print the version\n");
}

static int run_verb(const char *name, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].name, name))
			continue;
		int (*h)(int, char **) = handler_of(name);
		if (!h) {
			fprintf(stderr, "corral: %s is not available in this build yet\n", name);
			return 2;
		}
		return h(argc, argv);
	}
	fprintf(stderr, "corral: unknown command '%s'\n", name);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	cr_stdio_ensure_open();
	char *self = argc > 0 ? basename(argv[0]) : "corral";
	if (strcmp(self, "corral") != 0 && strcmp(self, "monitor") != 0 && is_verb(self))
		return run_verb(self, argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("corral %s\n", CORRAL_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	return run_verb(argv[1], argc - 1, argv + 1);
}
