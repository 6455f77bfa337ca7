/* lswpar: list partitions in AIX's forms (partition/listing.h formats). */
#define LOG_PREFIX "lswpar: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/fleet_listing.h"
#include "partition/listing.h"
#include "partition/registry.h"

/* Errors are one line naming what is wrong; --help gives the synopsis. */
#define usage_error(...) cli_usage_error("lswpar", NULL, __VA_ARGS__)

static const struct {
	char flag;
	enum cr_listing_section section;
} section_flags[] = {
	{'G', CR_LIST_GENERAL},   {'L', CR_LIST_LONG},     {'M', CR_LIST_MOUNTS},
	{'N', CR_LIST_NETWORK},   {'R', CR_LIST_RESOURCES}, {'S', CR_LIST_SECURITY},
	{'T', CR_LIST_OPERATION}, {'D', CR_LIST_DEVICES},
};

/* The command line as given, before it is checked as a whole. */
struct flags {
	char section; /* the section flag letter, 0 for the default table */
	bool colon, quiet, json, fleet;
	const char *delim, *fields, *states, *types;
};

static int section_flag(struct flags *f, char c, struct cr_listing_opts *opts)
{
	for (size_t i = 0; i < sizeof(section_flags) / sizeof(section_flags[0]); i++) {
		if (section_flags[i].flag != c)
			continue;
		if (f->section && f->section != c)
			return usage_error("-%c and -%c cannot be combined", f->section, c);
		f->section = c;
		opts->section = section_flags[i].section;
	}
	return 0;
}

/* Options may come before or after the names (GNU getopt permutes). */
static int parse_flags(int argc, char **argv, struct flags *f, struct cr_listing_opts *opts)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'J'},
		{"fleet", no_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	int c, rc = 0;
	optind = 0; /* a full re-initialisation: the dispatcher may have used getopt */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":a:cd:DGLMNqRSs:Tt:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': f->fields = optarg; break;
		case 'c': f->colon = true; break;
		case 'd': f->delim = optarg; break;
		case 'q': f->quiet = true; break;
		case 's': f->states = optarg; break;
		case 't': f->types = optarg; break;
		case 'J': f->json = true; break;
		case 'F': f->fleet = true; break;
		case ':':
			rc = usage_error("flag -%c needs a value", optopt);
			break;
		case '?':
			if (optopt)
				rc = usage_error("unknown flag -%c", optopt);
			else
				rc = usage_error("unknown option %s", argv[optind - 1]);
			break;
		default:
			rc = section_flag(f, (char)c, opts);
			break;
		}
	}
	return rc;
}

/* Check the flags as a whole and fill OPTS; 0, or 2 after a usage error. */
static int build_opts(const struct flags *f, struct cr_listing_opts *opts)
{
	struct cr_error err = CR_ERROR_INIT;
	if (f->colon && f->delim)
		return usage_error("-c and -d cannot be combined");
	if (f->delim && strlen(f->delim) != 1)
		return usage_error("-d takes one character, not '%s'", f->delim);
	if (f->colon || f->delim) {
		opts->format = CR_FORMAT_DELIMITED;
		opts->delim = f->delim ? f->delim[0] : ':';
	}
	if (f->json) {
		if (opts->format == CR_FORMAT_DELIMITED || f->section || f->fields || f->quiet)
			return usage_error("--json lists every field: it takes only -s, -t and names");
		opts->format = CR_FORMAT_JSON;
	}
	bool paragraph = f->section && strchr("LGRST", f->section);
	if (opts->format == CR_FORMAT_TEXT && paragraph && (f->fields || f->quiet))
		return usage_error("-a and -q apply to tables and delimited output, not to -%c",
				   f->section);
	if (opts->format == CR_FORMAT_DELIMITED && opts->section == CR_LIST_LONG)
		return usage_error("-L cannot be combined with -c or -d");
	opts->no_header = f->quiet;
	int r = 0;
	if (f->states && (r = cr_listing_parse_states(f->states, &err)) == 0)
		opts->states = f->states;
	if (r == 0 && f->types)
		r = cr_listing_parse_types(f->types, &opts->types, &err);
	if (r == 0 && f->fields)
		r = cr_listing_parse_fields(opts, f->fields, &err);
	int rc = r < 0 ? usage_error("%s", cr_error_msg(&err)) : 0;
	cr_error_clear(&err);
	return rc;
}

/* Load the partitions named in NAMES, in that order; *RET_RC becomes 1 for
 * each one that cannot be listed (reported here). */
static int load_named(char **names, int n, struct cr_wpar **ret_list, size_t *ret_n, int *ret_rc)
{
	struct cr_wpar *list = calloc(n > 0 ? (size_t)n : 1, sizeof(*list));
	size_t got = 0;
	if (!list) {
		fprintf(stderr, "lswpar: out of memory\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct cr_error err = CR_ERROR_INIT;
		int r = cr_name_validate(names[i], NULL) < 0 ? -ENOENT
							     : cr_registry_load(names[i], &list[got], &err);
		if (r == -ENOENT)
			cr_error_set(&err, ENOENT, "0960-419 Could not find a workload partition called %s.",
				     names[i]);
		if (r < 0) {
			*ret_rc = cli_report("lswpar", &err);
		} else {
			got++;
		}
		cr_error_clear(&err);
	}
	*ret_list = list;
	*ret_n = got;
	return 0;
}

/* Give hand-written spec files the defaults mkwpar would have recorded
 * (hostname = name, base directory, owner) so they list as AIX would. */
static void complete_all(struct cr_wpar *list, size_t n, int *ret_rc)
{
	for (size_t i = 0; i < n; i++) {
		struct cr_error err = CR_ERROR_INIT;
		struct cr_wpar_config *c = &list[i].config;
		/* An application partition shares the host's file systems. */
		if (c->type == CR_TYPE_APPLICATION && !c->directory)
			c->directory = strdup("/");
		if (cr_config_complete(c, &err) < 0)
			*ret_rc = cli_report("lswpar", &err);
		cr_error_clear(&err);
	}
}

int cmd_lswpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	(void)v;
	struct flags f = {0};
	struct cr_listing_opts opts;
	cr_listing_opts_init(&opts);
	int rc = parse_flags(argc, argv, &f, &opts);
	if (rc)
		return rc;
	if (f.fleet) {
		if (f.section || f.colon || f.delim || f.fields || f.quiet || f.states || f.types)
			return usage_error("--fleet lists names, states and hosts: it takes only --json and names");
		return cli_lswpar_fleet(f.json, argv + optind, argc - optind, err);
	}
	rc = build_opts(&f, &opts);
	if (rc)
		return rc;

	struct cr_wpar *list = NULL;
	size_t n = 0;
	if (optind < argc) {
		if (load_named(argv + optind, argc - optind, &list, &n, &rc) < 0)
			return 1;
	} else if (cr_registry_list(&list, &n, err) < 0) {
		return cli_failed(err);
	}
	complete_all(list, n, &rc);
	if (cr_listing_print(stdout, list, n, &opts, err) < 0)
		rc = cli_failed(err);
	cr_wpar_list_free(list, n);
	return rc;
}
