/* Hand-built partitions and an output catcher for the lswpar formatting
 * tests (test_listing*.c). */
#ifndef CORRAL_TEST_LISTING_FIXTURE_H
#define CORRAL_TEST_LISTING_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition/listing.h"

static inline char *fx_dup(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	return d;
}

/* A partition named NAME in STATE with the defaults cr_config_complete
 * would give it (hostname = name, directory = /wpars/NAME, owner root). */
static inline void fx_wpar(struct cr_wpar *w, const char *name, enum cr_state state,
			   enum cr_wpar_type type)
{
	cr_config_init(&w->config);
	cr_state_init(&w->state);
	w->config.name = fx_dup(name);
	w->config.hostname = fx_dup(name);
	char *dir = NULL;
	assert_true(asprintf(&dir, "/wpars/%s", name) > 0);
	w->config.directory = dir;
	w->config.owner = fx_dup("root");
	w->config.type = type;
	w->state.state = state;
}

static inline void fx_free(struct cr_wpar *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cr_config_free(&list[i].config);
		cr_state_free(&list[i].state);
	}
}

static inline struct cr_mount *fx_mount(struct cr_wpar *w, const char *dir, const char *vfs,
					const char *dev, const char *host, const char *opts)
{
	struct cr_mount *m = cr_config_add_mount(&w->config);
	assert_non_null(m);
	m->directory = fx_dup(dir);
	m->vfs = vfs ? fx_dup(vfs) : NULL;
	m->dev = dev ? fx_dup(dev) : NULL;
	m->host = host ? fx_dup(host) : NULL;
	m->mountopts = opts ? fx_dup(opts) : NULL;
	return m;
}

/* Options for SECTION in FORMAT, everything else at its default. */
static inline struct cr_listing_opts fx_opts(enum cr_listing_section section,
					     enum cr_listing_format format)
{
	struct cr_listing_opts o;
	cr_listing_opts_init(&o);
	o.section = section;
	o.format = format;
	return o;
}

/* Run cr_listing_print and return what it wrote (caller frees); the
 * return code goes to *RET_R and a message, if any, is dropped. */
static inline char *fx_print_r(const struct cr_wpar *list, size_t n,
			       const struct cr_listing_opts *opts, int *ret_r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	struct cr_error err = CR_ERROR_INIT;
	*ret_r = cr_listing_print(f, list, n, opts, &err);
	cr_error_clear(&err);
	assert_int_equal(fclose(f), 0);
	return text;
}

static inline char *fx_print(const struct cr_wpar *list, size_t n,
			     const struct cr_listing_opts *opts)
{
	int r;
	char *text = fx_print_r(list, n, opts, &r);
	assert_int_equal(r, 0);
	return text;
}

/* Assert that TEXT has a line equal to LINE. */
static inline void fx_assert_line(const char *text, const char *line)
{
	size_t l = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, l) && (p[l] == '\n' || p[l] == '\0'))
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

/* TEXT with every run of blanks squeezed to one, in place: compares
 * content without counting padding. */
static inline char *fx_squeeze(char *text)
{
	char *d = text;
	for (const char *s = text; *s; s++)
		if (!(*s == ' ' && d > text && d[-1] == ' '))
			*d++ = *s;
	*d = '\0';
	return text;
}

#endif
