/* The text forms of lswpar: tables (default, -M, -N, -D), paragraphs per
 * partition (-G, -R, -S, -T) and the long form (-L) that strings every
 * section together under a banner. */
#include <string.h>

#include "partition/listing_int.h"

#define BANNER "================================================================="

static bool is_per_partition_key(const struct lst_field *f)
{
	return f->get && (!strcmp(f->name, "name") || !strcmp(f->name, "state"));
}

static void banner(FILE *out, const struct cr_wpar *w)
{
	fputs(BANNER "\n", out);
	lst_put_text(out, w->config.name ? w->config.name : "");
	fprintf(out, " - %s\n" BANNER "\n", cr_state_name(w->state.state));
}

/* "Label:   value" lines, values aligned, name and state left to the banner. */
static void paragraph(FILE *out, const struct lst_section_def *def, const struct cr_wpar *w)
{
	char buf[LST_BUF];
	int order[CR_LIST_MAX_FIELDS];
	size_t n = 0, width = 0;
	if (def->para_order) {
		n = def->n_fields - 2;
		memcpy(order, def->para_order, n * sizeof(*order));
	} else {
		for (size_t i = 0; i < def->n_fields; i++)
			if (!is_per_partition_key(&def->fields[i]))
				order[n++] = (int)i;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = lst_width(def->fields[order[i]].title) + 1;
		if (l > width)
			width = l;
	}
	for (size_t i = 0; i < n; i++) {
		const struct lst_field *f = &def->fields[order[i]];
		const char *v = lst_value(f, w, NULL, buf, sizeof(buf));
		if (f->optional && !v[0])
			continue;
		fprintf(out, "%s:", f->title);
		if (v[0]) {
			fprintf(out, "%*s", (int)(width - lst_width(f->title)), "");
			lst_put_text(out, v);
		}
		fputc('\n', out);
	}
}

/* One partition's item table inside -L: every column but the name. */
static int long_table(FILE *out, enum cr_listing_section s, const struct cr_wpar *w,
		      struct cr_error *err)
{
	const struct lst_section_def *def = lst_section(s);
	int fields[CR_LIST_MAX_FIELDS];
	const char *titles[CR_LIST_MAX_FIELDS];
	size_t nf = 0;
	for (size_t i = 0; i < def->n_fields; i++) {
		if (is_per_partition_key(&def->fields[i]))
			continue;
		fields[nf] = (int)i;
		titles[nf++] = def->fields[i].title;
	}
	struct lst_table t;
	lst_table_init(&t, nf, titles);
	int r = lst_collect_rows(&t, def, fields, nf, w, err);
	if (r >= 0) {
		fprintf(out, "\n%s\n", def->title);
		lst_table_print(out, &t, true);
	}
	lst_table_free(&t);
	return r;
}

int lst_print_long(FILE *out, const struct cr_wpar *w, struct cr_error *err)
{
	static const enum cr_listing_section order[] = {
		CR_LIST_GENERAL, CR_LIST_NETWORK, CR_LIST_MOUNTS, CR_LIST_RESOURCES,
		CR_LIST_OPERATION, CR_LIST_SECURITY, CR_LIST_DEVICES,
	};
	banner(out, w);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct lst_section_def *def = lst_section(order[i]);
		if (def->items) {
			int r = long_table(out, order[i], w, err);
			if (r < 0)
				return r;
			continue;
		}
		fprintf(out, "%s%s\n", i ? "\n" : "", def->title);
		paragraph(out, def, w);
	}
	return 0;
}

static int print_table(FILE *out, const struct cr_wpar *list, size_t n,
		       const struct cr_listing_opts *opts, struct cr_error *err)
{
	const char *titles[CR_LIST_MAX_FIELDS];
	struct lst_table t;
	int r = lst_build_rows(list, n, opts, false, titles, &t, err);
	if (r < 0)
		return r;
	if (t.n_rows > 0)
		lst_table_print(out, &t, !opts->no_header);
	lst_table_free(&t);
	return 0;
}

int lst_print_text(FILE *out, const struct cr_wpar *list, size_t n,
		   const struct cr_listing_opts *opts, struct cr_error *err)
{
	const struct lst_section_def *def = lst_section(opts->section);
	if (opts->section == CR_LIST_TABLE || def->items)
		return print_table(out, list, n, opts, err);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!cr_listing_match(&list[i], opts))
			continue;
		if (!first)
			fputc('\n', out);
		first = false;
		if (opts->section == CR_LIST_LONG) {
			int r = lst_print_long(out, &list[i], err);
			if (r < 0)
				return r;
			continue;
		}
		banner(out, &list[i]);
		paragraph(out, def, &list[i]);
	}
	return 0;
}
