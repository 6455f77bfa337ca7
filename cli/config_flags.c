#include "cli/config_flags.h"

#include "spec/attrs.h"

static int set_general(struct cr_wpar_config *cfg, const char *key, const char *value,
		       struct cr_error *err)
{
	return cr_attr_set(cfg, CR_STANZA_GENERAL, key, value, err);
}

int cli_apply_config_flags(const struct cli_parsed *p, struct cr_wpar_config *cfg,
			   struct cr_error *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct cli_option *o = &p->opts[i];
		int r = 0;
		switch (o->flag) {
		case 'h': r = set_general(cfg, "hostname", o->arg, err); break;
		case 'd': r = set_general(cfg, "directory", o->arg, err); break;
		case 'u': r = set_general(cfg, "script", o->arg, err); break;
		case 'A': r = set_general(cfg, "auto", "yes", err); break;
		case 'c': r = set_general(cfg, "checkpointable", "yes", err); break;
		case 'l': r = set_general(cfg, "privateusr", "yes", err); break;
		case 'p': r = set_general(cfg, "preserve", "yes", err); break;
		case 'r': r = set_general(cfg, "copy_nameres", "yes", err); break;
		case 'M': r = cr_attrs_apply(cfg, "mount", o->words, o->n_words, err); break;
		case 'N': r = cr_attrs_apply(cfg, "network", o->words, o->n_words, err); break;
		case 'R': r = cr_attrs_apply(cfg, "resources", o->words, o->n_words, err); break;
		case 'S': r = cr_attrs_apply(cfg, "security", o->words, o->n_words, err); break;
		default: break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}
