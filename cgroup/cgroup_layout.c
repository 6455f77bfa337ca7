/* How cgroups are laid out on this host: a cgroup2 mount at the root (v2),
 * v1 controller mounts under a tmpfs (v1), or both with cgroup2 at
 * ROOT/unified (hybrid). $CORRAL_CGROUP_ROOT moves the root for tests.
 *
 * The v2 freezer (cgroup.freeze) exists only in non-root groups, so it is
 * reported when a non-root group we can see (our own, or a child of the
 * root) has that file. On an empty cgroup2 (this project's hybrid test VM)
 * the layout therefore does not claim it; the groups made by cr_cgroup_create
 * check for the file themselves and use it when it is there. */
#define LOG_PREFIX "cgroup: "
#include "cgroup/cgroup_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define DEFAULT_ROOT "/sys/fs/cgroup"

static const struct {
	const char *v1;      /* name in /proc/cgroups and in v1 mount options */
	const char *v2;      /* name in cgroup.controllers, NULL if not one */
	const char *display; /* name for cr_cgroup_controllers_str */
} ctrl_names[CG_NCTRL] = {
	{"cpu", "cpu", "cpu"},
	{"cpuacct", NULL, "cpuacct"},
	{"cpuset", "cpuset", "cpuset"},
	{"memory", "memory", "memory"},
	{"pids", "pids", "pids"},
	{"freezer", NULL, "freezer"},
	{"blkio", "io", "io"},
	{"devices", NULL, "devices"},
};

static int bit_index(unsigned bit)
{
	for (int i = 0; i < CG_NCTRL; i++)
		if (bit == 1u << i)
			return i;
	return -1;
}

const char *cg_ctrl_name(unsigned bit, bool v2)
{
	int i = bit_index(bit);
	if (i < 0)
		return NULL;
	return v2 ? ctrl_names[i].v2 : ctrl_names[i].v1;
}

const char *cr_cgroup_mode_name(enum cr_cgroup_mode mode)
{
	switch (mode) {
	case CR_CGROUP_V1:
		return "v1";
	case CR_CGROUP_V2:
		return "v2";
	case CR_CGROUP_HYBRID:
		return "hybrid";
	}
	return "unknown";
}

void cr_cgroup_controllers_str(unsigned mask, char *buf, size_t size)
{
	if (size == 0)
		return;
	buf[0] = '\0';
	size_t used = 0;
	for (int i = 0; i < CG_NCTRL; i++) {
		if (!(mask & (1u << i)))
			continue;
		int n = snprintf(buf + used, size - used, "%s%s", used ? "," : "",
				 ctrl_names[i].display);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = '\0'; /* keep whole names only */
			return;
		}
		used += (size_t)n;
	}
}

/* Bits named in a list of words separated by SEP ("cpu io memory"). */
static unsigned parse_names(const char *list, char sep, bool v2)
{
	unsigned mask = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		for (int i = 0; i < CG_NCTRL; i++) {
			const char *n = v2 ? ctrl_names[i].v2 : ctrl_names[i].v1;
			if (n && strlen(n) == len && strncmp(p, n, len) == 0)
				mask |= 1u << i;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return mask;
}

unsigned cg_parse_v2_list(const char *list)
{
	return parse_names(list, ' ', true);
}

/* Controllers enabled in /proc/cgroups and bound to a v1 hierarchy. */
static unsigned v1_enabled(void)
{
	cleanup_free char *data = NULL;
	if (cr_read_file("/proc/cgroups", 1u << 16, &data, NULL, NULL) < 0)
		return CG_ALL_CTRLS; /* no such file: trust the mounts */
	unsigned mask = 0;
	for (char *line = data; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char name[64];
		unsigned long hier = 0, num = 0, enabled = 0;
		if (line[0] != '#' &&
		    sscanf(line, "%63s %lu %lu %lu", name, &hier, &num, &enabled) == 4 &&
		    hier != 0 && enabled)
			mask |= parse_names(name, ',', false);
		line = nl ? nl + 1 : NULL;
	}
	return mask;
}

static int set_mount(struct cg_mounts *m, int i, const char *path)
{
	if (m->v1_mount[i])
		return 0;
	m->v1_mount[i] = strdup(path);
	return m->v1_mount[i] ? 0 : -ENOMEM;
}

/* v1 cgroup mounts below ROOT from /proc/self/mountinfo:
 * "36 25 0:31 / /sys/fs/cgroup/cpu rw,relatime shared:14 - cgroup cgroup rw,cpu".
 * Fields: 4 is the mount point; after "-": fstype, source, super options. */
static void scan_mountinfo_line(struct cg_mounts *m, char *line, const char *root,
				unsigned enabled, bool *oom)
{
	char *field[16], *save = NULL;
	int n = 0, dash = -1;
	for (char *t = strtok_r(line, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save)) {
		if (dash < 0 && strcmp(t, "-") == 0)
			dash = n;
		field[n++] = t;
	}
	if (dash < 5 || dash + 3 >= n || strcmp(field[dash + 1], "cgroup") != 0)
		return;
	const char *mnt = field[4];
	size_t rlen = strlen(root);
	if (strncmp(mnt, root, rlen) != 0 || mnt[rlen] != '/')
		return;
	unsigned mask = parse_names(field[dash + 3], ',', false) & enabled;
	for (int i = 0; i < CG_NCTRL; i++)
		if ((mask & (1u << i)) && set_mount(m, i, mnt) < 0)
			*oom = true;
}

int cg_scan_mountinfo(struct cg_mounts *m, char *text, const char *root, unsigned enabled)
{
	bool oom = false;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		scan_mountinfo_line(m, line, root, enabled, &oom);
		line = nl ? nl + 1 : NULL;
	}
	return oom ? -ENOMEM : 0;
}

static int scan_mountinfo(struct cg_mounts *m, const char *root, unsigned enabled)
{
	cleanup_free char *data = NULL;
	if (cr_read_file("/proc/self/mountinfo", 1u << 22, &data, NULL, NULL) < 0)
		return 0;
	return cg_scan_mountinfo(m, data, root, enabled);
}

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* Controllers mounted as ROOT/<name> that mountinfo did not show. */
static int scan_dirs(struct cg_mounts *m, const char *root, unsigned enabled)
{
	for (int i = 0; i < CG_NCTRL; i++) {
		if (!(enabled & (1u << i)) || m->v1_mount[i])
			continue;
		cleanup_free char *p = NULL;
		if (asprintf(&p, "%s/%s", root, ctrl_names[i].v1) < 0)
			return -ENOMEM;
		struct stat st;
		if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!is_fs(p, CGROUP_SUPER_MAGIC))
			continue;
		if (set_mount(m, i, p) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Is there a non-root group with cgroup.freeze: ours, or a child of ROOT? */
static bool v2_freezer_seen(const char *root)
{
	cleanup_free char *self = NULL;
	if (cr_read_file("/proc/self/cgroup", 1u << 16, &self, NULL, NULL) == 0) {
		char *p = strstr(self, "0::/");
		if (p && (p == self || p[-1] == '\n')) {
			p += 3;
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			cleanup_free char *dir = NULL;
			if (strcmp(p, "/") != 0 && asprintf(&dir, "%s%s", root, p) >= 0 &&
			    cg_has(dir, "cgroup.freeze"))
				return true;
		}
	}
	cleanup_dir DIR *d = opendir(root);
	if (!d)
		return false;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		cleanup_free char *dir = NULL;
		if (asprintf(&dir, "%s/%s", root, de->d_name) >= 0 && cg_has(dir, "cgroup.freeze"))
			return true;
	}
	return false;
}

unsigned cg_v2_listed(const char *dir)
{
	cleanup_free char *list = NULL;
	if (cg_read(dir, "cgroup.controllers", &list, NULL) < 0)
		return 0;
	return cg_parse_v2_list(list);
}

static unsigned v2_controllers(const char *dir)
{
	unsigned mask = cg_v2_listed(dir);
	if (v2_freezer_seen(dir))
		mask |= CR_CG_FREEZER;
	return mask;
}

void cg_mounts_clear(struct cg_mounts *m)
{
	for (int i = 0; i < CG_NCTRL; i++) {
		free(m->v1_mount[i]);
		m->v1_mount[i] = NULL;
	}
}

static int copy_path(char *dst, size_t size, const char *src, struct cr_error *err)
{
	if (strlen(src) >= size)
		return cr_error_set(err, ENAMETOOLONG, "cgroup path too long: %s", src);
	strcpy(dst, src);
	return 0;
}

static int detect_v1(struct cg_mounts *m, const char *root, struct cr_error *err)
{
	unsigned enabled = v1_enabled();
	if (scan_mountinfo(m, root, enabled) < 0 || scan_dirs(m, root, enabled) < 0)
		return cr_error_set(err, ENOMEM, "out of memory scanning %s", root);
	for (int i = 0; i < CG_NCTRL; i++)
		if (m->v1_mount[i])
			m->layout.v1_controllers |= 1u << i;

	cleanup_free char *unified = NULL;
	if (asprintf(&unified, "%s/unified", root) < 0)
		return cr_error_set(err, ENOMEM, "out of memory scanning %s", root);
	if (is_fs(unified, CGROUP2_SUPER_MAGIC)) {
		m->layout.mode = CR_CGROUP_HYBRID;
		m->layout.v2_controllers = v2_controllers(unified);
		return copy_path(m->layout.unified_path, sizeof(m->layout.unified_path), unified,
				 err);
	}
	if (!m->layout.v1_controllers)
		return cr_error_set(err, ENOENT, "no cgroup hierarchy is mounted under %s", root);
	m->layout.mode = CR_CGROUP_V1;
	return 0;
}

int cg_mounts_detect(struct cg_mounts *ret, struct cr_error *err)
{
	struct cg_mounts m;
	memset(&m, 0, sizeof(m));
	const char *env = getenv("CORRAL_CGROUP_ROOT");
	cleanup_free char *root = strdup(env && *env ? env : DEFAULT_ROOT);
	if (!root)
		return cr_error_set(err, ENOMEM, "out of memory detecting cgroups");
	for (size_t n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
		root[n - 1] = '\0';
	int r = copy_path(m.layout.mount_root, sizeof(m.layout.mount_root), root, err);
	if (r < 0)
		return r;

	struct statfs sf;
	if (statfs(root, &sf) < 0)
		return cr_error_errno(err, "cannot examine cgroup root %s", root);
	if ((long)sf.f_type == CGROUP2_SUPER_MAGIC) {
		m.layout.mode = CR_CGROUP_V2;
		m.layout.v2_controllers = v2_controllers(root);
		r = copy_path(m.layout.unified_path, sizeof(m.layout.unified_path), root, err);
	} else {
		r = detect_v1(&m, root, err);
	}
	if (r < 0) {
		cg_mounts_clear(&m);
		return r;
	}
	char v1[128], v2[128];
	cr_cgroup_controllers_str(m.layout.v1_controllers, v1, sizeof(v1));
	cr_cgroup_controllers_str(m.layout.v2_controllers, v2, sizeof(v2));
	cr_debug("layout %s at %s: v1 [%s], v2 [%s] at '%s'", cr_cgroup_mode_name(m.layout.mode),
		 m.layout.mount_root, v1, v2, m.layout.unified_path);
	*ret = m;
	return 0;
}

int cr_cgroup_layout_detect(struct cr_cgroup_layout *ret, struct cr_error *err)
{
	struct cg_mounts m;
	int r = cg_mounts_detect(&m, err);
	if (r < 0)
		return r;
	*ret = m.layout;
	cg_mounts_clear(&m);
	return 0;
}
