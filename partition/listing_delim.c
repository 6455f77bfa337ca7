/* Delimited output (-c, -d D): "#name:state:..." then one line per row.
 * A value holding the delimiter or a backslash gets a backslash before it,
 * a newline is written as \n, so every row stays one line with a fixed
 * number of fields. */
#include "partition/listing_int.h"

static void put_escaped(FILE *out, const char *s, char delim)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == (unsigned char)delim || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\r')
			fputs("\\r", out);
		else
			fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
	}
}

static void put_row(FILE *out, const char *prefix, char *const *cells, size_t n, char delim)
{
	fputs(prefix, out);
	for (size_t c = 0; c < n; c++) {
		if (c)
			fputc(delim, out);
		put_escaped(out, cells[c], delim);
	}
	fputc('\n', out);
}

int lst_print_delimited(FILE *out, const struct cr_wpar *list, size_t n,
			const struct cr_listing_opts *opts, struct cr_error *err)
{
	if (opts->section == CR_LIST_LONG)
		return cr_error_set(err, EINVAL, "the long form (-L) has no delimited output");
	const struct lst_section_def *def = lst_section(opts->section);
	int fields[CR_LIST_MAX_FIELDS];
	const char *names[CR_LIST_MAX_FIELDS];
	size_t nf = lst_selected_fields(opts, fields);
	for (size_t i = 0; i < nf; i++)
		names[i] = def->fields[fields[i]].name;
	struct lst_table t;
	lst_table_init(&t, nf, names);
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++)
		if (cr_listing_match(&list[i], opts))
			r = lst_collect_rows(&t, def, fields, nf, &list[i], err);
	if (r >= 0 && t.n_rows > 0) {
		if (!opts->no_header)
			put_row(out, "#", (char *const *)names, nf, opts->delim);
		for (size_t i = 0; i < t.n_rows; i++)
			put_row(out, "", t.cells + i * nf, nf, opts->delim);
	}
	lst_table_free(&t);
	return r;
}
