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
	const char *names[CR_LIST_MAX_FIELDS];
	struct lst_table t;
	int r = lst_build_rows(list, n, opts, true, names, &t, err);
	if (r < 0)
		return r;
	if (t.n_rows > 0 && !opts->no_header)
		put_row(out, "#", (char *const *)names, t.n_cols, opts->delim);
	for (size_t i = 0; i < t.n_rows; i++)
		put_row(out, "", t.cells + i * t.n_cols, t.n_cols, opts->delim);
	lst_table_free(&t);
	return 0;
}
