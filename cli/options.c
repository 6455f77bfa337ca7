/* AIX-style option parsing for the verbs (cli/options.h). */
#define LOG_PREFIX "cli: "
#include "cli/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "spec/attrs.h"

static char kind_of(const char *spec, char flag)
{
	const char *p = flag ? strchr(spec, flag) : NULL;
	if (!p || flag == ':' || flag == '*')
		return 0;
	return p[1] == ':' || p[1] == '*' ? p[1] : 's';
}

static int add(struct cli_parsed *p, struct cli_option o)
{
	struct cli_option *n = realloc(p->opts, (p->n + 1) * sizeof(*n));
	if (!n)
		return -1;
	p->opts = n;
	p->opts[p->n++] = o;
	return 0;
}

int cli_parse_options(const char *prog, const char *usage, const char *spec, int argc,
		      char **argv, struct cli_parsed *ret)
{
	struct cli_parsed p = {NULL, 0, argc};
	int i = 1;
	for (; i < argc; i++) {
		char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		for (char *c = a + 1; *c; c++) {
			char kind = kind_of(spec, *c);
			struct cli_option o = {*c, NULL, NULL, 0};
			if (!kind) {
				cli_parsed_free(&p);
				return cli_usage_error(prog, usage, "unknown flag -%c", *c);
			}
			if (kind == ':') {
				if (c[1]) {
					o.arg = c + 1;
				} else if (i + 1 < argc) {
					o.arg = argv[++i];
				} else {
					cli_parsed_free(&p);
					return cli_usage_error(prog, usage, "flag -%c needs a value", *c);
				}
				c += strlen(c) - 1;
			} else if (kind == '*') {
				if (c[1]) {
					cli_parsed_free(&p);
					return cli_usage_error(prog, usage, "flag -%c takes attribute=value words after a blank", *c);
				}
				o.n_words = cr_attrs_count_words(argv, argc, i + 1);
				if (!o.n_words) {
					cli_parsed_free(&p);
					return cli_usage_error(prog, usage, "flag -%c needs attribute=value words", *c);
				}
				o.words = argv + i + 1;
				i += (int)o.n_words;
			}
			if (add(&p, o) < 0) {
				cli_parsed_free(&p);
				return cli_usage_error(prog, NULL, "out of memory");
			}
		}
	}
	p.first_operand = i;
	*ret = p;
	return 0;
}

void cli_parsed_free(struct cli_parsed *p)
{
	free(p->opts);
	p->opts = NULL;
	p->n = 0;
}

const char *cli_option_arg(const struct cli_parsed *p, char flag)
{
	const char *v = NULL;
	for (size_t i = 0; i < p->n; i++)
		if (p->opts[i].flag == flag)
			v = p->opts[i].arg;
	return v;
}

size_t cli_option_count(const struct cli_parsed *p, char flag)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += p->opts[i].flag == flag;
	return n;
}

int cli_parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*ret = v;
	return 0;
}
