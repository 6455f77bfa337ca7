/* A tiny JSON writer: objects, arrays, strings (escaped, invalid UTF-8
 * replaced by U+FFFD), integers, booleans and null, into a heap string. */
#ifndef CORRAL_UTIL_JSON_WRITER_H
#define CORRAL_UTIL_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#define CR_JSON_MAX_DEPTH 16

struct cr_json {
	FILE *out;
	char *buf;
	size_t len;
	int depth;
	bool has_items[CR_JSON_MAX_DEPTH]; /* a comma is due before the next item */
	bool failed;                        /* too deep, unbalanced or out of memory */
};

int cr_json_init(struct cr_json *j, struct cr_error *err);
/* KEY is the member name inside an object, NULL inside an array or at the top. */
void cr_json_begin_object(struct cr_json *j, const char *key);
void cr_json_end_object(struct cr_json *j);
void cr_json_begin_array(struct cr_json *j, const char *key);
void cr_json_end_array(struct cr_json *j);
/* VALUE NULL writes null. */
void cr_json_string(struct cr_json *j, const char *key, const char *value);
void cr_json_int(struct cr_json *j, const char *key, int64_t value);
void cr_json_bool(struct cr_json *j, const char *key, bool value);
/* The text (heap, ends with a newline); -EINVAL/-ENOMEM if anything failed.
 * Releases the writer either way. */
int cr_json_finish(struct cr_json *j, char **ret_text, struct cr_error *err);
/* Release without a result (error paths); accepts a finished writer. */
void cr_json_free(struct cr_json *j);

/* Write S as a JSON string literal (with quotes) to OUT. */
void cr_json_write_escaped(FILE *out, const char *s);

#endif
