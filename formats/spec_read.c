/* Reading spec files: lines, stanza headers, key = "value" pairs and the
 * quotes people paste from web pages. Every value goes through the attribute
 * table (partition/attrs.c), the same path the command line takes. */
#include "formats/spec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "partition/attrs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* A stanza Corral knows by name but has no use for (AIX routes, devices). */
#define STANZA_IGNORED (-2)
#define STANZA_NONE (-1)

struct cursor {
	const char *p;
	const char *end;
};

/* Typographic quotes, UTF-8: “ ” ″ */
static const char *const curly_quotes[] = {"\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\xb3"};

static size_t curly_quote_at(const struct cursor *c)
{
	for (size_t i = 0; i < sizeof(curly_quotes) / sizeof(curly_quotes[0]); i++)
		if (c->end - c->p >= 3 && memcmp(c->p, curly_quotes[i], 3) == 0)
			return 3;
	return 0;
}

/* Blanks: space, tab and the no-break space (UTF-8 C2 A0) of web pages. */
static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end) {
		if (*c->p == ' ' || *c->p == '\t')
			c->p++;
		else if (c->end - c->p >= 2 && (unsigned char)c->p[0] == 0xc2 &&
			 (unsigned char)c->p[1] == 0xa0)
			c->p += 2;
		else
			break;
	}
}

static bool at_line_end(struct cursor *c)
{
	skip_blanks(c);
	return c->p == c->end || *c->p == '#';
}

static bool is_ident(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_';
}

/* Read the value at C into a new string *RET; errors are plain messages
 * (the caller adds file and line). */
static int read_value(struct cursor *c, char **ret, struct cr_error *err)
{
	cleanup_free char *out = malloc((size_t)(c->end - c->p) + 1);
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	size_t q = curly_quote_at(c);
	if (q || (c->p < c->end && *c->p == '"')) {
		bool straight = q == 0;
		c->p += straight ? 1 : q;
		for (;;) {
			if (c->p == c->end)
				return cr_error_set(err, EINVAL, "unterminated quoted value");
			if (straight && *c->p == '\\' && c->end - c->p >= 2 &&
			    (c->p[1] == '"' || c->p[1] == '\\')) {
				out[n++] = c->p[1];
				c->p += 2;
				continue;
			}
			if (*c->p == '"') {
				c->p++;
				break;
			}
			if (!straight && (q = curly_quote_at(c)) > 0) {
				c->p += q;
				break;
			}
			out[n++] = *c->p++;
		}
		if (!at_line_end(c))
			return cr_error_set(err, EINVAL, "unexpected text after the closing quote");
	} else {
		while (c->p < c->end && *c->p != '#')
			out[n++] = *c->p++;
		while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
			n--;
	}
	out[n] = '\0';
	*ret = steal_pointer(&out);
	return 0;
}

static int start_stanza(struct cr_wpar_config *cfg, const char *name, int *stanza,
			struct cr_error *err)
{
	if (strcasecmp(name, "route") == 0 || strcasecmp(name, "device") == 0) {
		*stanza = STANZA_IGNORED;
		return 0;
	}
	int s = cr_stanza_lookup(name);
	if (s < 0)
		return cr_error_set(err, EINVAL, "unknown stanza '%s'", name);
	size_t n = s == CR_STANZA_MOUNT ? cfg->n_mounts : cfg->n_netifs;
	if ((s == CR_STANZA_MOUNT || s == CR_STANZA_NETWORK) && n >= CR_SPEC_MAX_ENTRIES)
		return cr_error_set(err, EFBIG, "more than %d %s stanzas", CR_SPEC_MAX_ENTRIES, name);
	if ((s == CR_STANZA_MOUNT && !cr_config_add_mount(cfg)) ||
	    (s == CR_STANZA_NETWORK && !cr_config_add_netif(cfg)))
		return cr_error_set(err, ENOMEM, "out of memory");
	*stanza = s;
	return 0;
}

/* One line (without its newline): a blank or comment line, "stanza:" or
 * "key = value". */
static int parse_line(struct cr_wpar_config *cfg, struct cursor *c, int *stanza,
		      struct cr_error *err)
{
	if (memchr(c->p, '\0', (size_t)(c->end - c->p)))
		return cr_error_set(err, EINVAL, "NUL byte in line");
	if (at_line_end(c))
		return 0;
	const char *word = c->p;
	while (c->p < c->end && is_ident(*c->p))
		c->p++;
	if (c->p == word)
		return cr_error_set(err, EINVAL, "expected 'stanza:' or 'key = value'");
	cleanup_free char *key = strndup(word, (size_t)(c->p - word));
	if (!key)
		return cr_error_set(err, ENOMEM, "out of memory");
	skip_blanks(c);
	if (c->p < c->end && *c->p == ':') {
		c->p++;
		if (!at_line_end(c))
			return cr_error_set(err, EINVAL, "unexpected text after '%s:'", key);
		return start_stanza(cfg, key, stanza, err);
	}
	if (c->p == c->end || *c->p != '=')
		return cr_error_set(err, EINVAL, "expected '=' after '%s'", key);
	c->p++;
	skip_blanks(c);
	cleanup_free char *value = NULL;
	int r = read_value(c, &value, err);
	if (r < 0)
		return r;
	if (*stanza == STANZA_IGNORED)
		return 0;
	if (*stanza == STANZA_NONE)
		return cr_error_set(err, EINVAL, "attribute '%s' outside of a stanza (general:, "
				    "network:, mount:, resources:, security:)", key);
	return cr_attr_set(cfg, (enum cr_stanza)*stanza, key, value, err);
}

int cr_spec_parse(const char *text, size_t len, const char *origin, struct cr_wpar_config *ret,
		  struct cr_error *err)
{
	if (len > CR_SPEC_MAX)
		return cr_error_set(err, EFBIG, "%s: larger than %d bytes", origin, CR_SPEC_MAX);
	struct cr_wpar_config cfg;
	cr_config_init(&cfg);
	int stanza = STANZA_NONE;
	unsigned line = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		line++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct cursor c = {p, nl ? nl : end};
		if (c.end > c.p && c.end[-1] == '\r')
			c.end--;
		int r = parse_line(&cfg, &c, &stanza, err);
		if (r < 0) {
			cr_config_free(&cfg);
			return cr_error_wrap(err, "%s:%u", origin, line);
		}
		p = nl ? nl + 1 : end;
	}
	*ret = cfg;
	return 0;
}

int cr_spec_read_file(const char *path, struct cr_wpar_config *ret, struct cr_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r = cr_read_file(path, CR_SPEC_MAX, &text, &len, err);
	if (r < 0)
		return r;
	return cr_spec_parse(text, len, path, ret, err);
}
