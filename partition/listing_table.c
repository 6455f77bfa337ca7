/* Column-aligned tables as AIX's lswpar prints them: a heading, a dashed
 * line as wide as the table, columns padded to their widest cell and two
 * blanks apart, no trailing blanks. */
#include <stdlib.h>
#include <string.h>

#include "partition/listing_int.h"

#define GAP 2

size_t lst_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

void lst_put_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
	}
}

void lst_table_init(struct lst_table *t, size_t n_cols, const char *const *titles)
{
	memset(t, 0, sizeof(*t));
	/* A table never has more columns than a section has fields. */
	t->n_cols = n_cols < CR_LIST_MAX_FIELDS ? n_cols : CR_LIST_MAX_FIELDS;
	t->titles = titles;
}

int lst_table_add(struct lst_table *t, const char *const *row, struct cr_error *err)
{
	if (t->n_rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		char **cells = realloc(t->cells, cap * t->n_cols * sizeof(*cells));
		if (!cells)
			return cr_error_set(err, ENOMEM, "out of memory building a table");
		t->cells = cells;
		t->cap = cap;
	}
	char **dst = t->cells + t->n_rows * t->n_cols;
	for (size_t c = 0; c < t->n_cols; c++) {
		dst[c] = strdup(row[c] ? row[c] : "");
		if (!dst[c]) {
			for (size_t k = 0; k < c; k++)
				free(dst[k]);
			return cr_error_set(err, ENOMEM, "out of memory building a table");
		}
	}
	t->n_rows++;
	return 0;
}

void lst_table_free(struct lst_table *t)
{
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Print one line: every cell but the last padded to its column's width. */
static void print_line(FILE *out, const char *const *cells, const size_t *widths, size_t n)
{
	size_t last = n;
	while (last > 0 && !cells[last - 1][0])
		last--; /* empty trailing cells would only add blanks */
	for (size_t c = 0; c < last; c++) {
		lst_put_text(out, cells[c]);
		if (c + 1 < last)
			fprintf(out, "%*s", (int)(widths[c] - lst_width(cells[c]) + GAP), "");
	}
	fputc('\n', out);
}

void lst_table_print(FILE *out, const struct lst_table *t, bool header)
{
	size_t widths[CR_LIST_MAX_FIELDS] = {0};
	size_t total = 0;
	for (size_t c = 0; c < t->n_cols; c++) {
		widths[c] = header ? lst_width(t->titles[c]) : 0;
		for (size_t r = 0; r < t->n_rows; r++) {
			size_t w = lst_width(t->cells[r * t->n_cols + c]);
			if (w > widths[c])
				widths[c] = w;
		}
		total += widths[c] + (c ? GAP : 0);
	}
	if (header) {
		print_line(out, t->titles, widths, t->n_cols);
		for (size_t i = 0; i < total; i++)
			fputc('-', out);
		fputc('\n', out);
	}
	for (size_t r = 0; r < t->n_rows; r++)
		print_line(out, (const char *const *)t->cells + r * t->n_cols, widths, t->n_cols);
}
