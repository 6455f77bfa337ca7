#include "util/json_writer.h"

#include <stdlib.h>
#include <string.h>

int cr_json_init(struct cr_json *j, struct cr_error *err)
{
	memset(j, 0, sizeof(*j));
	j->out = open_memstream(&j->buf, &j->len);
	if (!j->out)
		return cr_error_errno(err, "cannot start a JSON document");
	return 0;
}

/* Length of the valid UTF-8 sequence at S, or 0 if S does not start one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	unsigned min;
	unsigned cp;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void cr_json_write_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c == '\r') {
			fputs("\\r", out);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if (c >= 0x80) {
			size_t n = utf8_len(p);
			if (n == 0) {
				fputs("\\ufffd", out);
				n = 1;
			} else {
				fwrite(p, 1, n, out);
			}
			p += n;
			continue;
		} else {
			fputc(c, out);
		}
		p++;
	}
	fputc('"', out);
}

/* Comma, newline, indentation and "key": before a new item. */
static bool item(struct cr_json *j, const char *key)
{
	if (j->failed || !j->out)
		return false;
	if (j->depth > 0) {
		fputs(j->has_items[j->depth - 1] ? ",\n" : "\n", j->out);
		j->has_items[j->depth - 1] = true;
		fprintf(j->out, "%*s", j->depth * 2, "");
	}
	if (key) {
		cr_json_write_escaped(j->out, key);
		fputs(": ", j->out);
	}
	return true;
}

static void open_level(struct cr_json *j, const char *key, char c)
{
	if (!item(j, key))
		return;
	if (j->depth >= CR_JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	fputc(c, j->out);
	j->has_items[j->depth++] = false;
}

static void close_level(struct cr_json *j, char c)
{
	if (j->failed || !j->out)
		return;
	if (j->depth == 0) {
		j->failed = true;
		return;
	}
	bool had = j->has_items[--j->depth];
	if (had)
		fprintf(j->out, "\n%*s", j->depth * 2, "");
	fputc(c, j->out);
}

void cr_json_begin_object(struct cr_json *j, const char *key)
{
	open_level(j, key, '{');
}

void cr_json_end_object(struct cr_json *j)
{
	close_level(j, '}');
}

void cr_json_begin_array(struct cr_json *j, const char *key)
{
	open_level(j, key, '[');
}

void cr_json_end_array(struct cr_json *j)
{
	close_level(j, ']');
}

void cr_json_string(struct cr_json *j, const char *key, const char *value)
{
	if (!item(j, key))
		return;
	if (value)
		cr_json_write_escaped(j->out, value);
	else
		fputs("null", j->out);
}

void cr_json_int(struct cr_json *j, const char *key, int64_t value)
{
	if (item(j, key))
		fprintf(j->out, "%lld", (long long)value);
}

void cr_json_bool(struct cr_json *j, const char *key, bool value)
{
	if (item(j, key))
		fputs(value ? "true" : "false", j->out);
}

void cr_json_free(struct cr_json *j)
{
	if (j->out)
		fclose(j->out);
	j->out = NULL;
	free(j->buf);
	j->buf = NULL;
	j->len = 0;
}

int cr_json_finish(struct cr_json *j, char **ret_text, struct cr_error *err)
{
	bool bad = j->failed || j->depth != 0 || !j->out;
	if (!bad)
		fputc('\n', j->out);
	if (j->out && fclose(j->out) != 0)
		bad = true;
	j->out = NULL;
	if (bad || !j->buf) {
		cr_json_free(j);
		return cr_error_set(err, EINVAL,
				    "the JSON document is unbalanced, too deep or out of memory");
	}
	*ret_text = j->buf;
	j->buf = NULL;
	j->len = 0;
	return 0;
}
