/* lswpar's formatting engine: turns partitions (struct cr_wpar) into the AIX
 * listings (table, long, paragraph, delimited) or JSON on a FILE *. It knows
 * nothing of the command line or the registry, so it is tested on
 * hand-built partitions; pass an open_memstream() stream to get a buffer. */
#ifndef CORRAL_PARTITION_LISTING_H
#define CORRAL_PARTITION_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "partition/registry.h"
#include "util/error.h"

/* What to list: the AIX flag that selects it. */
enum cr_listing_section {
	CR_LIST_TABLE,     /* none: Name State Type Hostname Directory */
	CR_LIST_LONG,      /* -L: every section, paragraph per partition */
	CR_LIST_GENERAL,   /* -G */
	CR_LIST_MOUNTS,    /* -M */
	CR_LIST_NETWORK,   /* -N */
	CR_LIST_RESOURCES, /* -R */
	CR_LIST_SECURITY,  /* -S */
	CR_LIST_OPERATION, /* -T */
	CR_LIST_DEVICES,   /* -D */
};

enum cr_listing_format {
	CR_FORMAT_TEXT,      /* AIX table or paragraph, per section */
	CR_FORMAT_DELIMITED, /* -c / -d D: "#field:field" header, escaped values */
	CR_FORMAT_JSON,      /* --json: an array with every field of every partition */
};

/* Filter bits for -t: one per type letter. */
#define CR_LIST_TYPE_S 0x1u
#define CR_LIST_TYPE_A 0x2u
#define CR_LIST_TYPE_C 0x4u /* checkpointable, whatever the base type */

#define CR_LIST_MAX_FIELDS 32

struct cr_listing_opts {
	enum cr_listing_section section;
	enum cr_listing_format format;
	char delim;         /* delimited output: ':' for -c */
	bool no_header;     /* -q */
	const char *states; /* -s: state letters to keep ("AD"); NULL or "" keeps all */
	unsigned types;     /* -t: CR_LIST_TYPE_* bits; 0 keeps all */
	size_t n_fields;    /* -a: 0 means the section's default fields */
	int fields[CR_LIST_MAX_FIELDS]; /* field indices, from cr_listing_parse_fields */
};

/* Text, the default section, ':' as delimiter, no filters. */
void cr_listing_opts_init(struct cr_listing_opts *opts);

/* Check an -s argument: every letter one of DLAFPTB, at least one.
 * -EINVAL naming the bad letter. */
int cr_listing_parse_states(const char *arg, struct cr_error *err);

/* Parse a -t argument (letters S, A, C) into CR_LIST_TYPE_* bits. */
int cr_listing_parse_types(const char *arg, unsigned *ret_types, struct cr_error *err);

/* Parse an -a argument ("name,state") against OPTS->section's fields (case
 * does not matter) into OPTS->fields. -EINVAL naming an unknown field or a
 * section that takes no -a (-L). */
int cr_listing_parse_fields(struct cr_listing_opts *opts, const char *arg, struct cr_error *err);

/* True when W passes the -s and -t filters of OPTS. */
bool cr_listing_match(const struct cr_wpar *w, const struct cr_listing_opts *opts);

/* Write the listing of the partitions of LIST that match OPTS to OUT.
 * Nothing at all is written when none match (text and delimited); JSON
 * writes "[]". -EINVAL for a combination that has no output form (-L
 * delimited), -EIO when OUT fails, -ENOMEM. */
int cr_listing_print(FILE *out, const struct cr_wpar *list, size_t n,
		     const struct cr_listing_opts *opts, struct cr_error *err);

#endif
