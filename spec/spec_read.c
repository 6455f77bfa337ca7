/* Reading spec files: lines, stanza headers, key = "value" pairs and the
 * quotes people paste from web pages. Every value goes through the attribute
 * table (spec/attrs.c), the same path the command line takes. */
#define LOG_PREFIX "spec: "
#include "spec/spec_file.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/attrs.h"
#include "util/cleanup.h"
#include "util/escape.h"
#include "util/fsutil.h"

/* A stanza Corral knows by name but has no use for (AIX routes, devices). */
#define STANZA_IGNORED (-2)
#define STANZA_NONE (-1)
#define N_STANZAS (CR_STANZA_SECURITY + 1)

struct cursor {
	const char *p;
	const char *end;
};

/* Where the reader is: the stanza, the line each single stanza began on
 * (general, resources and security may appear once; mount and network once
 * per entry) and the keys of the current stanza with their lines (a key
 * given twice is refused, not silently overridden). */
struct reader {
	int stanza;
	unsigned line;
	unsigned stanza_line[N_STANZAS];
	char *keys[CR_SPEC_MAX_KEYS];
	unsigned key_line[CR_SPEC_MAX_KEYS];
	size_t n_keys;
};

static void reader_forget_keys(struct reader *rd)
{
	for (size_t i = 0; i < rd->n_keys; i++)
		free(rd->keys[i]);
	rd->n_keys = 0;
}

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

static int start_stanza(struct cr_wpar_config *cfg, struct reader *rd, const char *name,
			struct cr_error *err)
{
	reader_forget_keys(rd);
	if (strcasecmp(name, "route") == 0 || strcasecmp(name, "device") == 0) {
		rd->stanza = STANZA_IGNORED;
		return 0;
	}
	int s = cr_stanza_lookup(name);
	char shown[CR_SHOWN_SIZE];
	if (s < 0)
		return cr_error_set(err, EINVAL, "unknown stanza '%s'", cr_shown(name, shown));
	bool entry = s == CR_STANZA_MOUNT || s == CR_STANZA_NETWORK;
	if (!entry && rd->stanza_line[s])
		return cr_error_set(err, EINVAL,
				    "a second %s: stanza (the first is on line %u; only mount: and "
				    "network: stanzas repeat)",
				    cr_stanza_name((enum cr_stanza)s), rd->stanza_line[s]);
	size_t n = s == CR_STANZA_MOUNT ? cfg->n_mounts : cfg->n_netifs;
	if (entry && n >= CR_SPEC_MAX_ENTRIES)
		return cr_error_set(err, EFBIG, "more than %d %s stanzas", CR_SPEC_MAX_ENTRIES,
				    cr_stanza_name((enum cr_stanza)s));
	if ((s == CR_STANZA_MOUNT && !cr_config_add_mount(cfg)) ||
	    (s == CR_STANZA_NETWORK && !cr_config_add_netif(cfg)))
		return cr_error_set(err, ENOMEM, "out of memory");
	rd->stanza = s;
	rd->stanza_line[s] = rd->line;
	return 0;
}

/* Remember KEY for the current stanza; a key seen before is an error. */
static int note_key(struct reader *rd, const char *key, struct cr_error *err)
{
	char shown[CR_SHOWN_SIZE];
	for (size_t i = 0; i < rd->n_keys; i++)
		if (strcasecmp(rd->keys[i], key) == 0)
			return cr_error_set(err, EINVAL,
					    "'%s' is given twice in this stanza (first on line %u)",
					    cr_shown(key, shown), rd->key_line[i]);
	if (rd->n_keys == CR_SPEC_MAX_KEYS)
		return cr_error_set(err, EFBIG, "more than %d attributes in one stanza",
				    CR_SPEC_MAX_KEYS);
	if (!(rd->keys[rd->n_keys] = strdup(key)))
		return cr_error_set(err, ENOMEM, "out of memory");
	rd->key_line[rd->n_keys++] = rd->line;
	return 0;
}

/* One line (without its newline, holding no NUL byte): a blank or comment
 * line, "stanza:" or "key = value". */
static int parse_line(struct cr_wpar_config *cfg, struct cursor *c, struct reader *rd,
		      struct cr_error *err)
{
	if (at_line_end(c))
		return 0;
	const char *word = c->p;
	while (c->p < c->end && is_ident(*c->p))
		c->p++;
	if (c->p == word)
		return cr_error_set(err, EINVAL, "expected 'stanza:' or 'key = value'");
	char shown[CR_SHOWN_SIZE];
	cleanup_free char *key = strndup(word, (size_t)(c->p - word));
	if (!key)
		return cr_error_set(err, ENOMEM, "out of memory");
	skip_blanks(c);
	if (c->p < c->end && *c->p == ':') {
		c->p++;
		if (!at_line_end(c))
			return cr_error_set(err, EINVAL, "unexpected text after '%s:'",
					    cr_shown(key, shown));
		return start_stanza(cfg, rd, key, err);
	}
	if (c->p == c->end || *c->p != '=')
		return cr_error_set(err, EINVAL, "expected '=' after '%s'", cr_shown(key, shown));
	c->p++;
	skip_blanks(c);
	cleanup_free char *value = NULL;
	int r = read_value(c, &value, err);
	if (r < 0)
		return r;
	if (rd->stanza == STANZA_IGNORED)
		return 0;
	if (rd->stanza == STANZA_NONE)
		return cr_error_set(err, EINVAL, "attribute '%s' outside of a stanza (general:, "
				    "network:, mount:, resources:, security:)", cr_shown(key, shown));
	if ((r = note_key(rd, key, err)) < 0)
		return r;
	return cr_attr_set(cfg, (enum cr_stanza)rd->stanza, key, value, err);
}

int cr_spec_parse(const char *text, size_t len, const char *origin, struct cr_wpar_config *ret,
		  struct cr_error *err)
{
	char shown[CR_SHOWN_SIZE];
	if (len > CR_SPEC_MAX)
		return cr_error_set(err, EFBIG, "%s: larger than %d bytes", cr_shown(origin, shown),
				    CR_SPEC_MAX);
	struct cr_wpar_config cfg;
	cr_config_init(&cfg);
	struct reader rd = {.stanza = STANZA_NONE};
	int r = 0;
	for (size_t off = 0; off < len && r == 0;) {
		rd.line++;
		const char *p = text + off;
		size_t rest = len - off;
		const char *nl = memchr(p, '\n', rest);
		size_t n = nl ? (size_t)(nl - p) : rest;
		off += nl ? n + 1 : n;
		if (memchr(p, '\0', n)) {
			r = cr_error_set(err, EINVAL, "NUL byte in line");
			break;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--;
		struct cursor c = {p, p + n};
		r = parse_line(&cfg, &c, &rd, err);
	}
	reader_forget_keys(&rd);
	if (r < 0) {
		cr_config_free(&cfg);
		return cr_error_wrap(err, "%s:%u", cr_shown(origin, shown), rd.line);
	}
	*ret = cfg;
	return 0;
}

/* Standard input for "-", else a regular file only: opened without
 * blocking (a FIFO or a device must not hang mkwpar -f) and checked before
 * a byte is read. */
static int open_spec(const char *path, int *ret_fd, struct cr_error *err)
{
	if (strcmp(path, "-") == 0) {
		*ret_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (*ret_fd < 0)
			return cr_error_errno(err, "cannot read the spec file from standard input");
		return 0;
	}
	cleanup_close int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cr_error_errno(err, "cannot look at %s", path);
	if (!S_ISREG(st.st_mode))
		return cr_error_set(err, EINVAL, "%s is not a regular file: a spec file must be one "
				    "(or '-' for standard input)", path);
	if (st.st_size > CR_SPEC_MAX)
		return cr_error_set(err, EFBIG, "%s is larger than %d bytes", path, CR_SPEC_MAX);
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

int cr_spec_read_file(const char *path, struct cr_wpar_config *ret, struct cr_error *err)
{
	cleanup_close int fd = -1;
	int r = open_spec(path, &fd, err);
	if (r < 0)
		return r;
	const char *origin = strcmp(path, "-") == 0 ? "standard input" : path;
	cleanup_free char *text = NULL;
	size_t len = 0;
	if ((r = cr_read_fd(fd, origin, CR_SPEC_MAX, &text, &len, err)) < 0)
		return r;
	return cr_spec_parse(text, len, origin, ret, err);
}
