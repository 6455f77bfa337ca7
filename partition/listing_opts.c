/* lswpar's options as the engine sees them: the -s, -t and -a arguments,
 * the filters, and the choice of writer. */
#include <string.h>
#include <strings.h>

#include "partition/listing_int.h"

void cr_listing_opts_init(struct cr_listing_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->section = CR_LIST_TABLE;
	opts->format = CR_FORMAT_TEXT;
	opts->delim = ':';
}

int cr_listing_parse_states(const char *arg, struct cr_error *err)
{
	if (!arg || !arg[0])
		return cr_error_set(err, EINVAL, "-s needs at least one state letter (D, L, A, F, P, T, B)");
	for (const char *p = arg; *p; p++)
		if (!cr_state_letter_valid(*p))
			return cr_error_set(err, EINVAL,
					    "invalid state '%c' in -s %s: valid states are D, L, A, F, P, T and B",
					    *p, arg);
	return 0;
}

int cr_listing_parse_types(const char *arg, unsigned *ret_types, struct cr_error *err)
{
	unsigned types = 0;
	if (!arg || !arg[0])
		return cr_error_set(err, EINVAL, "-t needs at least one type letter (S, A, C)");
	for (const char *p = arg; *p; p++) {
		switch (*p) {
		case 'S': types |= CR_LIST_TYPE_S; break;
		case 'A': types |= CR_LIST_TYPE_A; break;
		case 'C': types |= CR_LIST_TYPE_C; break;
		default:
			return cr_error_set(err, EINVAL,
					    "invalid type '%c' in -t %s: valid types are S, A and C", *p, arg);
		}
	}
	*ret_types = types;
	return 0;
}

/* Other spellings users carry over from mkwpar's attribute names. */
static const char *const aliases[][2] = {
	{"dev", "device"},          {"mountopts", "options"},     {"mask", "mask_prefix"},
	{"netmask", "mask_prefix"}, {"prefixlen", "mask_prefix"}, {"address6", "address"},
};

static int find_field(const struct lst_section_def *def, const char *name, size_t len)
{
	for (size_t i = 0; i < def->n_fields; i++)
		if (strlen(def->fields[i].name) == len && !strncasecmp(def->fields[i].name, name, len))
			return (int)i;
	for (size_t a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++)
		if (strlen(aliases[a][0]) == len && !strncasecmp(aliases[a][0], name, len))
			return find_field(def, aliases[a][1], strlen(aliases[a][1]));
	return -1;
}

int cr_listing_parse_fields(struct cr_listing_opts *opts, const char *arg, struct cr_error *err)
{
	if (opts->section == CR_LIST_LONG)
		return cr_error_set(err, EINVAL, "-a cannot be used with the long form (-L)");
	const struct lst_section_def *def = lst_section(opts->section);
	size_t n = 0;
	const char *p = arg ? arg : "";
	for (;;) {
		size_t len = strcspn(p, ",");
		if (len == 0)
			return cr_error_set(err, EINVAL, "empty field name in -a '%s'", arg ? arg : "");
		int idx = find_field(def, p, len);
		if (idx < 0)
			return cr_error_set(err, EINVAL, "unknown field '%.*s' in -a", (int)len, p);
		if (n == CR_LIST_MAX_FIELDS)
			return cr_error_set(err, EINVAL, "too many fields in -a (at most %d)",
					    CR_LIST_MAX_FIELDS);
		opts->fields[n++] = idx;
		if (!p[len])
			break;
		p += len + 1;
	}
	opts->n_fields = n;
	return 0;
}

bool cr_listing_match(const struct cr_wpar *w, const struct cr_listing_opts *opts)
{
	if (opts->states && opts->states[0] && !strchr(opts->states, (char)w->state.state))
		return false;
	if (!opts->types)
		return true;
	bool app = w->config.type == CR_TYPE_APPLICATION;
	return ((opts->types & CR_LIST_TYPE_S) && !app) || ((opts->types & CR_LIST_TYPE_A) && app) ||
	       ((opts->types & CR_LIST_TYPE_C) && w->config.checkpointable);
}

int cr_listing_print(FILE *out, const struct cr_wpar *list, size_t n,
		     const struct cr_listing_opts *opts, struct cr_error *err)
{
	int r;
	switch (opts->format) {
	case CR_FORMAT_DELIMITED:
		r = lst_print_delimited(out, list, n, opts, err);
		break;
	case CR_FORMAT_JSON:
		r = lst_print_json(out, list, n, opts, err);
		break;
	default:
		r = lst_print_text(out, list, n, opts, err);
		break;
	}
	if (r < 0)
		return r;
	errno = 0;
	if (fflush(out) != 0 || ferror(out)) {
		if (!errno)
			errno = EIO;
		return cr_error_errno(err, "cannot write the partition listing");
	}
	return 0;
}
