/* Writing spec files: AIX-style stanzas with tab-indented key = "value"
 * lines, only the values that differ from the defaults. What is written is
 * parsed back before it is handed out, so a file we write we can read. */
#include "spec/spec_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/attrs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

struct writer {
	FILE *f;
	enum cr_stanza stanza;
	bool header_done;
};

static int write_attr(const char *key, const char *value, void *data, struct cr_error *err)
{
	struct writer *w = data;
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cr_error_set(err, EINVAL, "%s attribute %s holds a control character",
					    cr_stanza_name(w->stanza), key);
	if (!w->header_done) {
		fprintf(w->f, "%s%s:\n", w->stanza == CR_STANZA_GENERAL ? "" : "\n",
			cr_stanza_name(w->stanza));
		w->header_done = true;
	}
	fprintf(w->f, "\t%s = \"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', w->f);
		fputc(*p, w->f);
	}
	fputs("\"\n", w->f);
	return 0;
}

/* One stanza (entry INDEX for network and mount); nothing when all of it
 * holds defaults, except that a network or mount entry always appears. */
static int write_stanza(FILE *f, const struct cr_wpar_config *cfg, enum cr_stanza s,
			size_t index, struct cr_error *err)
{
	struct writer w = {f, s, false};
	if (s == CR_STANZA_NETWORK || s == CR_STANZA_MOUNT) {
		fprintf(f, "\n%s:\n", cr_stanza_name(s));
		w.header_done = true;
	}
	return cr_attrs_foreach(cfg, s, index, write_attr, &w, err);
}

static int write_all_stanzas(FILE *f, const struct cr_wpar_config *cfg, struct cr_error *err)
{
	int r;
	fputs("# Corral partition specification, see wpar-spec(5).\n", f);
	if ((r = write_stanza(f, cfg, CR_STANZA_GENERAL, 0, err)) < 0)
		return r;
	for (size_t i = 0; i < cfg->n_netifs; i++)
		if ((r = write_stanza(f, cfg, CR_STANZA_NETWORK, i, err)) < 0)
			return r;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if ((r = write_stanza(f, cfg, CR_STANZA_MOUNT, i, err)) < 0)
			return r;
	if ((r = write_stanza(f, cfg, CR_STANZA_RESOURCES, 0, err)) < 0)
		return r;
	return write_stanza(f, cfg, CR_STANZA_SECURITY, 0, err);
}

int cr_spec_write(const struct cr_wpar_config *cfg, char **ret_text, struct cr_error *err)
{
	const char *name = cfg->name ? cfg->name : "a partition";
	cleanup_free char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return cr_error_errno(err, "cannot write the spec of %s", name);
	int r = write_all_stanzas(f, cfg, err);
	if (fclose(f) != 0 && r >= 0)
		r = cr_error_errno(err, "cannot write the spec of %s", name);
	if (r < 0)
		return cr_error_wrap(err, "cannot write the spec of %s", name);

	struct cr_wpar_config back;
	r = cr_spec_parse(text, len, "generated spec", &back, err);
	if (r < 0)
		return cr_error_wrap(err, "cannot write the spec of %s", name);
	cr_config_free(&back);
	*ret_text = steal_pointer(&text);
	return 0;
}

int cr_spec_write_file(const char *path, const struct cr_wpar_config *cfg, struct cr_error *err)
{
	cleanup_free char *text = NULL;
	int r = cr_spec_write(cfg, &text, err);
	if (r < 0)
		return r;
	return cr_write_file_atomic(path, text, strlen(text), 0644, err);
}
