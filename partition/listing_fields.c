/* The fields of each lswpar section: their -a names, their AIX titles and
 * how each value is rendered as text. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "partition/listing_int.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

const char *lst_type_letter(const struct cr_wpar *w)
{
	return w->config.type == CR_TYPE_APPLICATION ? "A" : "S";
}

void lst_format_bytes(int64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	if (v < 0) {
		snprintf(buf, len, "unlimited");
		return;
	}
	int u = -1;
	while (v && v % 1024 == 0 && u + 1 < (int)(sizeof(units) - 1)) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRId64, v);
	else
		snprintf(buf, len, "%" PRId64 "%c", v, units[u]);
}

void lst_format_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	buf[0] = '\0';
	if (t <= 0 || !localtime_r(&tt, &tm))
		return;
	if (strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		buf[0] = '\0';
}

static const char *count_or_unlimited(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		return "unlimited";
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

const char *lst_format_limits(int min, int soft, int hard, char *buf, size_t len)
{
	snprintf(buf, len, "%d%%-%d%%,%d%%", min < 0 ? 0 : min, soft < 0 ? 100 : soft,
		 hard < 0 ? 100 : hard);
	return buf;
}

#define GETTER(fn, expr)                                                        \
	static const char *fn(const struct cr_wpar *w, char *buf, size_t len)  \
	{                                                                       \
		(void)buf;                                                      \
		(void)len;                                                      \
		return (expr);                                                  \
	}

GETTER(get_name, or_empty(w->config.name))
GETTER(get_type, lst_type_letter(w))
GETTER(get_hostname, or_empty(w->config.hostname))
GETTER(get_directory, w->config.directory ? w->config.directory
			: w->config.type == CR_TYPE_APPLICATION ? "/" : "")
GETTER(get_owner, w->config.owner ? w->config.owner : "root")
GETTER(get_script, or_empty(w->config.script))
GETTER(get_auto, yes_no(w->config.autostart))
GETTER(get_privateusr, yes_no(w->config.private_usr))
GETTER(get_checkpointable, yes_no(w->config.checkpointable))
GETTER(get_active, yes_no(w->config.resources.active))
GETTER(get_rset, or_empty(w->config.resources.rset))
GETTER(get_cpu_shares, count_or_unlimited(w->config.resources.cpu_shares, buf, len))
GETTER(get_cpu, lst_format_limits(w->config.resources.cpu_min, w->config.resources.cpu_softmax,
		       w->config.resources.cpu_hardmax, buf, len))
GETTER(get_memory_shares, count_or_unlimited(w->config.resources.memory_shares, buf, len))
GETTER(get_memory, lst_format_limits(w->config.resources.memory_min, w->config.resources.memory_softmax,
			  w->config.resources.memory_hardmax, buf, len))
GETTER(get_total_processes, count_or_unlimited(w->config.resources.total_processes, buf, len))
GETTER(get_total_threads, count_or_unlimited(w->config.resources.total_threads, buf, len))
GETTER(get_privs, w->config.security.privs ? w->config.security.privs : "default")
GETTER(get_syscalls, w->config.security.syscalls ? w->config.security.syscalls : "default")
GETTER(get_operation, w->state.operation ? w->state.operation : "none")
GETTER(get_broken_reason, w->state.state == CR_STATE_BROKEN || w->state.broken_reason
			? (w->state.broken_reason ? w->state.broken_reason : "unknown") : "")

static const char *get_state(const struct cr_wpar *w, char *buf, size_t len)
{
	snprintf(buf, len, "%c", (char)w->state.state);
	return buf;
}

static const char *get_memory_limit(const struct cr_wpar *w, char *buf, size_t len)
{
	lst_format_bytes(w->config.resources.memory_limit, buf, len);
	return buf;
}

static const char *get_proc_virt_mem(const struct cr_wpar *w, char *buf, size_t len)
{
	lst_format_bytes(w->config.resources.proc_virt_mem, buf, len);
	return buf;
}

static const char *get_pid(const struct cr_wpar *w, char *buf, size_t len)
{
	if (w->state.init_pid <= 0)
		return "";
	snprintf(buf, len, "%d", (int)w->state.init_pid);
	return buf;
}

static const char *get_start_time(const struct cr_wpar *w, char *buf, size_t len)
{
	lst_format_time(w->state.start_time, buf, len);
	return buf;
}

#define FIELD(n, t, g) {.name = n, .title = t, .get = g, .col = -1}
#define COLUMN(n, t, c) {.name = n, .title = t, .get = NULL, .col = c}
#define NAME FIELD("name", "Name", get_name)
#define STATE FIELD("state", "State", get_state)

static const struct lst_field general[] = {
	NAME, STATE,
	FIELD("type", "Type", get_type),
	FIELD("hostname", "Hostname", get_hostname),
	FIELD("directory", "Directory", get_directory),
	FIELD("owner", "Owner", get_owner),
	FIELD("script", "Start/Stop Script", get_script),
	FIELD("auto", "Auto", get_auto),
	FIELD("privateusr", "Private /usr", get_privateusr),
	FIELD("checkpointable", "Checkpointable", get_checkpointable),
};

static const struct lst_field mounts[] = {
	NAME,
	COLUMN("mountpoint", "MountPoint", 0),
	COLUMN("device", "Device", 1),
	COLUMN("vfs", "Vfs", 2),
	COLUMN("nodename", "Nodename", 3),
	COLUMN("options", "Options", 4),
};

static const struct lst_field network[] = {
	NAME,
	COLUMN("interface", "Interface", 0),
	COLUMN("address", "Address(6)", 1),
	COLUMN("mask_prefix", "Mask/Prefix", 2),
	COLUMN("broadcast", "Broadcast", 3),
};

static const struct lst_field resources[] = {
	NAME, STATE,
	FIELD("active", "Active", get_active),
	FIELD("rset", "Resource Set", get_rset),
	FIELD("shares_CPU", "CPU Shares", get_cpu_shares),
	FIELD("CPU", "CPU Limits", get_cpu),
	FIELD("shares_memory", "Memory Shares", get_memory_shares),
	FIELD("memory", "Memory Limits", get_memory),
	FIELD("memoryLimit", "Memory Size Limit", get_memory_limit),
	FIELD("procVirtMem", "Per-Process Virtual Memory Limit", get_proc_virt_mem),
	FIELD("totalProcesses", "Total Processes", get_total_processes),
	FIELD("totalThreads", "Total Threads", get_total_threads),
};

static const struct lst_field security[] = {
	NAME, STATE,
	FIELD("privs", "Privileges", get_privs),
	FIELD("syscalls", "Allowed System Calls", get_syscalls),
};

static const struct lst_field operation[] = {
	NAME, STATE,
	FIELD("operation", "Operation", get_operation),
	FIELD("pid", "Process ID", get_pid),
	FIELD("startTime", "Start Time", get_start_time),
	{.name = "brokenReason", .title = "Broken reason", .get = get_broken_reason, .col = -1,
	 .optional = true},
};

static const struct lst_field devices[] = {
	NAME,
	COLUMN("devname", "Device Name", 0),
	COLUMN("devtype", "Type", 1),
};

/* AIX's -L shows the owner before the hostname, -c after the directory. */
static const int general_para[] = {2, 5, 3, 4, 6, 7, 8, 9};
_Static_assert(sizeof(general_para) / sizeof(general_para[0]) ==
		       sizeof(general) / sizeof(general[0]) - 2,
	       "every general field but name and state has a paragraph place");

#define DEF(t, f, i) {t, f, sizeof(f) / sizeof(f[0]), NULL, i}

static const struct lst_section_def defs[] = {
	[CR_LIST_TABLE] = {"GENERAL", general, sizeof(general) / sizeof(general[0]), general_para, NULL},
	[CR_LIST_LONG] = {"GENERAL", general, sizeof(general) / sizeof(general[0]), general_para, NULL},
	[CR_LIST_GENERAL] = {"GENERAL", general, sizeof(general) / sizeof(general[0]), general_para,
			     NULL},
	[CR_LIST_MOUNTS] = DEF("FILE SYSTEMS", mounts, lst_mount_items),
	[CR_LIST_NETWORK] = DEF("NETWORK", network, lst_network_items),
	[CR_LIST_RESOURCES] = DEF("RESOURCE CONTROLS", resources, NULL),
	[CR_LIST_SECURITY] = DEF("SECURITY SETTINGS", security, NULL),
	[CR_LIST_OPERATION] = DEF("OPERATION", operation, NULL),
	[CR_LIST_DEVICES] = DEF("DEVICE EXPORTS", devices, lst_device_items),
};

const struct lst_section_def *lst_section(enum cr_listing_section s)
{
	if ((size_t)s >= sizeof(defs) / sizeof(defs[0]))
		return &defs[CR_LIST_TABLE];
	return &defs[s];
}

const char *lst_value(const struct lst_field *f, const struct cr_wpar *w, char *const *row,
		      char *buf, size_t len)
{
	if (f->get)
		return f->get(w, buf, len);
	return row ? row[f->col] : "";
}

size_t lst_selected_fields(const struct cr_listing_opts *opts, int *ret)
{
	if (opts->n_fields) {
		memcpy(ret, opts->fields, opts->n_fields * sizeof(*ret));
		return opts->n_fields;
	}
	const struct lst_section_def *def = lst_section(opts->section);
	/* The default table is AIX's five columns; every other form shows all. */
	size_t n = opts->section == CR_LIST_TABLE && opts->format == CR_FORMAT_TEXT ? 5
										 : def->n_fields;
	for (size_t i = 0; i < n; i++)
		ret[i] = (int)i;
	return n;
}

static int add_row(struct lst_table *t, const struct lst_section_def *def, const int *fields,
		   size_t nf, const struct cr_wpar *w, char *const *item, struct cr_error *err)
{
	char bufs[CR_LIST_MAX_FIELDS][LST_BUF];
	const char *row[CR_LIST_MAX_FIELDS];
	for (size_t c = 0; c < nf; c++)
		row[c] = lst_value(&def->fields[fields[c]], w, item, bufs[c], LST_BUF);
	return lst_table_add(t, row, err);
}

int lst_collect_rows(struct lst_table *t, const struct lst_section_def *def, const int *fields,
		     size_t nf, const struct cr_wpar *w, struct cr_error *err)
{
	if (!def->items)
		return add_row(t, def, fields, nf, w, NULL, err);
	struct lst_table items;
	int r = def->items(w, &items, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < items.n_rows; i++)
		r = add_row(t, def, fields, nf, w, items.cells + i * items.n_cols, err);
	lst_table_free(&items);
	return r;
}

int lst_build_rows(const struct cr_wpar *list, size_t n, const struct cr_listing_opts *opts,
		   bool names, const char **heads, struct lst_table *ret, struct cr_error *err)
{
	const struct lst_section_def *def = lst_section(opts->section);
	int fields[CR_LIST_MAX_FIELDS];
	size_t nf = lst_selected_fields(opts, fields);
	for (size_t i = 0; i < nf; i++)
		heads[i] = names ? def->fields[fields[i]].name : def->fields[fields[i]].title;
	lst_table_init(ret, nf, heads);
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++)
		if (cr_listing_match(&list[i], opts))
			r = lst_collect_rows(ret, def, fields, nf, &list[i], err);
	if (r < 0)
		lst_table_free(ret);
	return r;
}
