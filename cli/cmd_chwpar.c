/* chwpar: change the attributes of a partition (silent on success, like AIX).
 * "-K" removes the attribute named by the flag that follows it:
 *   chwpar -K -R totalProcesses web     chwpar -K -N address=10.0.0.5 web
 *   chwpar -K -A web                    chwpar -K -u web */
#define LOG_PREFIX "chwpar: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/options.h"
#include "partition/change.h"
#include "spec/attrs.h"

static const char spec[] = "AcKh:d:n:M*N*R*S*u:v";

/* argv rewritten so the option parser sees what -K means: "-K -u" gets an
 * empty script argument, and the bare attribute names after "-K -R" (all
 * but the last word, the partition name) become "attr=" words. */
struct kargv {
	char **argv;
	int argc;
	char **owned;
	size_t n_owned;
};

static void kargv_free(struct kargv *k)
{
	for (size_t i = 0; i < k->n_owned; i++)
		free(k->owned[i]);
	free(k->owned);
	free(k->argv);
}

static int push(struct kargv *k, char *word)
{
	k->argv[k->argc++] = word;
	return 0;
}

static int push_owned(struct kargv *k, char *word)
{
	if (!word)
		return -1;
	k->owned[k->n_owned++] = word;
	return push(k, word);
}

static bool is_word_flag(const char *a)
{
	return a[0] == '-' && a[1] && strchr("MNRS", a[1]) && !a[2];
}

static int rewrite_k(int argc, char **argv, struct kargv *k)
{
	/* At most one extra word per argument. */
	k->argv = calloc((size_t)argc * 2 + 1, sizeof(char *));
	k->owned = calloc((size_t)argc * 2 + 1, sizeof(char *));
	if (!k->argv || !k->owned)
		return -1;
	push(k, argv[0]);
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (!strcmp(a, "--") || a[0] != '-') {
			for (; i < argc; i++)
				push(k, argv[i]);
			break;
		}
		char *next = NULL;
		if (!strcmp(a, "-K")) {
			push(k, a);
			if (i + 1 >= argc)
				continue;
			next = argv[++i];
		} else if (a[1] == 'K' && a[2] && !a[3]) {
			char flag[3] = {'-', a[2], '\0'};
			push(k, "-K");
			if (!(next = strdup(flag)))
				return -1;
			k->owned[k->n_owned++] = next;
		} else {
			push(k, a);
			continue;
		}
		push(k, next);
		if (!strcmp(next, "-u")) {
			push(k, "");
		} else if (is_word_flag(next)) {
			for (; i + 2 < argc && argv[i + 1][0] != '-'; i++) {
				char *w = argv[i + 1];
				if (strchr(w, '='))
					push(k, w);
				else if (asprintf(&w, "%s=", argv[i + 1]) < 0 || push_owned(k, w) < 0)
					return -1;
			}
		}
	}
	k->argv[k->argc] = NULL;
	return 0;
}

static const char *stanza_of(char flag)
{
	switch (flag) {
	case 'M': return "mount";
	case 'N': return "network";
	case 'R': return "resources";
	case 'S': return "security";
	}
	return NULL;
}

static int remove_one(struct cr_wpar_config *cfg, const struct cli_option *o, struct cr_error *err)
{
	static const struct {
		char flag;
		const char *key;
	} general[] = {{'A', "auto"}, {'c', "checkpointable"}, {'h', "hostname"}, {'u', "script"}};
	for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++)
		if (general[i].flag == o->flag)
			return cr_attrs_remove(cfg, "general", general[i].key, err);
	const char *stanza = stanza_of(o->flag);
	if (!stanza)
		return cr_error_set(err, EINVAL, "-K cannot remove what -%c sets", o->flag);
	if (!o->n_words)
		return cr_error_set(err, EINVAL, "-K -%c: name the attribute to remove", o->flag);
	for (size_t i = 0; i < o->n_words; i++) {
		int r = cr_attrs_remove(cfg, stanza, o->words[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Apply the options in command-line order, each -K to the flag after it. */
static int apply_options(struct cr_wpar_config *cfg, void *data, struct cr_error *err)
{
	const struct cli_parsed *p = data;
	bool remove = false;
	for (size_t i = 0; i < p->n; i++) {
		struct cli_option o = p->opts[i];
		struct cli_parsed one = {&o, 1, 0};
		int r = 0;
		if (o.flag == 'K') {
			remove = true;
			continue;
		}
		if (remove)
			r = remove_one(cfg, &o, err);
		else if (o.flag == 'n')
			r = cr_attr_set(cfg, CR_STANZA_GENERAL, "name", o.arg, err);
		else
			r = cli_apply_config_flags(&one, cfg, err);
		remove = false;
		if (r < 0)
			return r;
	}
	return 0;
}

static void report_verbose(const char *name, const struct cr_change_result *res)
{
	if (!res->changed)
		printf("chwpar: %s: nothing to change.\n", name);
	if (res->hostname_live)
		printf("chwpar: %s: hostname changed in the running partition.\n", name);
	if (res->resources_live)
		printf("chwpar: %s: resource controls applied to the running partition.\n", name);
	if (res->directory_moved)
		printf("chwpar: %s: root part moved to the new base directory.\n", name);
	if (res->renamed)
		printf("chwpar: %s: renamed.\n", name);
	if (res->changed)
		printf("chwpar: %s: specification saved.\n", name);
}

int cmd_chwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *prog = v->name, *usage = v->usage;
	struct kargv k = {NULL, 0, NULL, 0};
	struct cli_parsed p = {NULL, 0, 0};
	int rc;
	if (rewrite_k(argc, argv, &k) < 0) {
		kargv_free(&k);
		return cli_usage_error(prog, NULL, "out of memory");
	}
	if ((rc = cli_parse_options(prog, usage, spec, k.argc, k.argv, &p)) != 0)
		goto out;
	if (p.first_operand != k.argc - 1) {
		rc = cli_usage_error(prog, usage, p.first_operand >= k.argc ? "name the partition to change"
									 : "give one partition name");
		goto out;
	}
	if (p.n && p.opts[p.n - 1].flag == 'K') {
		rc = cli_usage_error(prog, usage, "-K needs the flag of the attribute to remove");
		goto out;
	}
	if (p.n == cli_option_count(&p, 'v')) {
		rc = cli_usage_error(prog, usage, "nothing to change: give an attribute flag for %s",
				     k.argv[p.first_operand]);
		goto out;
	}
	const char *name = k.argv[p.first_operand];
	struct cr_change_result res;
	if (cr_partition_change(name, apply_options, &p, &res, err) < 0)
		rc = cli_failed(err);
	else if (cli_option_count(&p, 'v'))
		report_verbose(name, &res);
out:
	cli_parsed_free(&p);
	kargv_free(&k);
	return rc;
}
