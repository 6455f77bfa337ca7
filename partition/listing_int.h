/* Internals shared by the partition/listing_*.c files: the field tables of
 * each section, the rows derived from a configuration (mounts, addresses,
 * devices) and the column-aligned table printer. Not for other modules:
 * they call partition/listing.h. */
#ifndef CORRAL_PARTITION_LISTING_INT_H
#define CORRAL_PARTITION_LISTING_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "partition/listing.h"

/* A table printed with columns padded to the widest cell, two blanks apart,
 * under a heading and a dashed line as wide as the table. */
struct lst_table {
	size_t n_cols;
	const char *const *titles; /* borrowed; NULL for a table of items */
	char **cells;              /* owned copies, n_rows x n_cols */
	size_t n_rows;
	size_t cap;
};

void lst_table_init(struct lst_table *t, size_t n_cols, const char *const *titles);
int lst_table_add(struct lst_table *t, const char *const *row, struct cr_error *err);
void lst_table_print(FILE *out, const struct lst_table *t, bool header);
void lst_table_free(struct lst_table *t);

/* The rows a partition contributes to a per-item section (-M, -N, -D) come
 * as a table without titles (free it with lst_table_free). */

/* The file systems a partition sees, sorted by mount point: the implicit
 * ones of a system partition (/, /home, /tmp, /var private; /usr, /opt from
 * the host unless private /usr; /proc) overridden or extended by its mount
 * stanzas. Columns: mount point on the host, device, vfs, node, options. */
int lst_mount_items(const struct cr_wpar *w, struct lst_table *ret, struct cr_error *err);

/* One row per address (IPv4 and IPv6 of one stanza give two rows).
 * Columns: interface, address, mask or prefix, broadcast. */
int lst_network_items(const struct cr_wpar *w, struct lst_table *ret, struct cr_error *err);

/* The devices every partition is given. Columns: device, type. */
int lst_device_items(const struct cr_wpar *w, struct lst_table *ret, struct cr_error *err);

/* Size of the scratch buffer a field getter may format into. */
#define LST_BUF 96

struct lst_field {
	const char *name;  /* -a name and delimited header */
	const char *title; /* table heading and paragraph label */
	/* The partition's value; NULL for an item column, read from the row. */
	const char *(*get)(const struct cr_wpar *w, char *buf, size_t len);
	int col;           /* item column when get is NULL */
	bool optional;     /* paragraph: no line at all when the value is empty */
};

struct lst_section_def {
	const char *title;              /* heading in -L ("GENERAL") */
	const struct lst_field *fields;
	size_t n_fields;
	/* Paragraph order (indices into fields), when it differs from the
	 * delimited order; N_FIELDS - 2 entries (no name, no state). */
	const int *para_order;
	/* Rows of a per-item section (-M, -N, -D); NULL: one row per partition. */
	int (*items)(const struct cr_wpar *w, struct lst_table *ret, struct cr_error *err);
};

const struct lst_section_def *lst_section(enum cr_listing_section s);

/* The value of F for W, in ROW (an item's cells) for item columns. */
const char *lst_value(const struct lst_field *f, const struct cr_wpar *w, char *const *row,
		      char *buf, size_t len);

/* The fields to print: OPTS->fields, else the section's defaults for the
 * format. Returns the count written to RET (at most CR_LIST_MAX_FIELDS). */
size_t lst_selected_fields(const struct cr_listing_opts *opts, int *ret);

/* Values shared with the JSON writer. */
const char *lst_type_letter(const struct cr_wpar *w);
void lst_format_bytes(int64_t v, char *buf, size_t len);
void lst_format_time(int64_t t, char *buf, size_t len);
/* AIX's "min%-softmax%,hardmax%", unset parts at their defaults 0, 100, 100. */
const char *lst_format_limits(int min, int soft, int hard, char *buf, size_t len);

/* Append W's rows (one, or one per item of a per-item section) holding the
 * values of FIELDS (indices into DEF->fields) to T. */
int lst_collect_rows(struct lst_table *t, const struct lst_section_def *def, const int *fields,
		     size_t nf, const struct cr_wpar *w, struct cr_error *err);

/* The rows of every partition of LIST matching OPTS, in the selected fields,
 * into RET, headed by their titles (or -a names when NAMES): HEADS (room for
 * CR_LIST_MAX_FIELDS) receives the headings and must outlive RET. */
int lst_build_rows(const struct cr_wpar *list, size_t n, const struct cr_listing_opts *opts,
		   bool names, const char **heads, struct lst_table *ret, struct cr_error *err);

/* Text output: control characters become '?' so a value keeps its line. */
void lst_put_text(FILE *out, const char *s);
/* Display width: UTF-8 code points. */
size_t lst_width(const char *s);

int lst_print_text(FILE *out, const struct cr_wpar *list, size_t n,
		   const struct cr_listing_opts *opts, struct cr_error *err);
int lst_print_long(FILE *out, const struct cr_wpar *w, struct cr_error *err);
int lst_print_delimited(FILE *out, const struct cr_wpar *list, size_t n,
			const struct cr_listing_opts *opts, struct cr_error *err);
int lst_print_json(FILE *out, const struct cr_wpar *list, size_t n,
		   const struct cr_listing_opts *opts, struct cr_error *err);

#endif
