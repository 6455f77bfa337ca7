/* lswpar --json: one object per partition with every field, keyed by the
 * -a field names; yes/no as booleans, counts as numbers, unset or
 * unlimited as null; mounts, addresses and devices as arrays of objects.
 * Strings are escaped and invalid UTF-8 becomes U+FFFD (util/json_writer),
 * so the output always parses. */
#include <inttypes.h>
#include <string.h>

#include "partition/listing_int.h"
#include "util/json_writer.h"

static void key(FILE *out, const char *k)
{
	fputc(',', out);
	cr_json_write_escaped(out, k);
	fputc(':', out);
}

static void kv_str(FILE *out, const char *k, const char *v)
{
	key(out, k);
	if (v)
		cr_json_write_escaped(out, v);
	else
		fputs("null", out);
}

static void kv_bool(FILE *out, const char *k, bool v)
{
	key(out, k);
	fputs(v ? "true" : "false", out);
}

/* A count, null when negative (unset, unlimited) or zero for a pid. */
static void kv_num(FILE *out, const char *k, int64_t v, int64_t min)
{
	key(out, k);
	if (v < min)
		fputs("null", out);
	else
		fprintf(out, "%" PRId64, v);
}

/* "KEY":[{...},...] from a per-item section's rows, keyed by its column names. */
static int kv_items(FILE *out, const char *k, enum cr_listing_section s, const struct cr_wpar *w,
		    struct cr_error *err)
{
	const struct lst_section_def *def = lst_section(s);
	struct lst_table it;
	int r = def->items(w, &it, err);
	if (r < 0)
		return r;
	key(out, k);
	fputc('[', out);
	for (size_t i = 0; i < it.n_rows; i++) {
		fputs(i ? ",{" : "{", out);
		bool first = true;
		for (size_t f = 0; f < def->n_fields; f++) {
			if (def->fields[f].get)
				continue; /* the partition's name, already given */
			if (!first)
				fputc(',', out);
			first = false;
			cr_json_write_escaped(out, def->fields[f].name);
			fputc(':', out);
			cr_json_write_escaped(out, it.cells[i * it.n_cols + def->fields[f].col]);
		}
		fputc('}', out);
	}
	fputc(']', out);
	lst_table_free(&it);
	return 0;
}

static int one(FILE *out, const struct cr_wpar *w, struct cr_error *err)
{
	const struct cr_wpar_config *c = &w->config;
	const struct cr_resources *res = &c->resources;
	char buf[LST_BUF];
	char state[2] = {(char)w->state.state, '\0'};
	fputs("{\"name\":", out);
	cr_json_write_escaped(out, c->name ? c->name : "");
	kv_str(out, "state", state);
	kv_str(out, "stateName", cr_state_name(w->state.state));
	kv_str(out, "type", lst_type_letter(w));
	kv_str(out, "hostname", c->hostname);
	kv_str(out, "directory", c->directory);
	kv_str(out, "owner", c->owner ? c->owner : "root");
	kv_str(out, "script", c->script);
	kv_bool(out, "auto", c->autostart);
	kv_bool(out, "privateusr", c->private_usr);
	kv_bool(out, "checkpointable", c->checkpointable);
	kv_bool(out, "active", res->active);
	kv_str(out, "rset", res->rset);
	kv_num(out, "shares_CPU", res->cpu_shares, 0);
	kv_str(out, "CPU", lst_format_limits(res->cpu_min, res->cpu_softmax, res->cpu_hardmax,
					      buf, sizeof(buf)));
	kv_num(out, "shares_memory", res->memory_shares, 0);
	kv_str(out, "memory", lst_format_limits(res->memory_min, res->memory_softmax,
						 res->memory_hardmax, buf, sizeof(buf)));
	kv_num(out, "memoryLimit", res->memory_limit, 0);
	kv_num(out, "procVirtMem", res->proc_virt_mem, 0);
	kv_num(out, "totalProcesses", res->total_processes, 0);
	kv_num(out, "totalThreads", res->total_threads, 0);
	kv_str(out, "privs", c->security.privs);
	kv_str(out, "syscalls", c->security.syscalls);
	kv_str(out, "operation", w->state.operation ? w->state.operation : "none");
	kv_num(out, "pid", w->state.init_pid, 1);
	kv_num(out, "startTime", w->state.start_time, 1);
	kv_str(out, "brokenReason", w->state.broken_reason);
	int r = kv_items(out, "mounts", CR_LIST_MOUNTS, w, err);
	if (r >= 0)
		r = kv_items(out, "network", CR_LIST_NETWORK, w, err);
	if (r >= 0)
		r = kv_items(out, "devices", CR_LIST_DEVICES, w, err);
	fputc('}', out);
	return r;
}

int lst_print_json(FILE *out, const struct cr_wpar *list, size_t n,
		   const struct cr_listing_opts *opts, struct cr_error *err)
{
	bool first = true;
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		if (!cr_listing_match(&list[i], opts))
			continue;
		fputs(first ? "\n" : ",\n", out);
		first = false;
		int r = one(out, &list[i], err);
		if (r < 0)
			return r;
	}
	fputs(first ? "]\n" : "\n]\n", out);
	return 0;
}
