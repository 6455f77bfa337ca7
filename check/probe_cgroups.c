/* The cgroup layout (cgroup/cgroup.c detects it) and whether a partition
 * can be frozen: the v1 freezer controller or cgroup.freeze on cgroup2. */
#include "check/probes.h"

#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"

#define CONTROLLERS_MAX 256

int cr_probe_cgroups(struct cr_host_facts *f, struct cr_error *err)
{
	struct cr_cgroup_layout l;
	struct cr_error derr = CR_ERROR_INIT;
	if (cr_cgroup_layout_detect(&l, &derr) < 0) {
		int r = CR_PROBE_SET(f, CR_PROBE_CGROUPS, CR_PROBE_MISSING, "%s", cr_error_msg(&derr));
		cr_error_clear(&derr);
		if (r == 0)
			r = CR_PROBE_SET(f, CR_PROBE_FREEZER, CR_PROBE_MISSING, "no cgroup layout");
		return r;
	}
	char v1[CONTROLLERS_MAX], v2[CONTROLLERS_MAX];
	cr_cgroup_controllers_str(l.v1_controllers, v1, sizeof(v1));
	cr_cgroup_controllers_str(l.v2_controllers, v2, sizeof(v2));
	free(f->cgroup_mode);
	free(f->cgroup_v1);
	free(f->cgroup_v2);
	f->cgroup_mode = strdup(cr_cgroup_mode_name(l.mode));
	f->cgroup_v1 = strdup(v1);
	f->cgroup_v2 = strdup(v2);
	if (!f->cgroup_mode || !f->cgroup_v1 || !f->cgroup_v2)
		return cr_error_set(err, ENOMEM, "out of memory recording the cgroup layout");

	int r = CR_PROBE_SET(f, CR_PROBE_CGROUPS, CR_PROBE_OK, "%s under %s: v1 [%s], cgroup2 %s%s [%s]",
			     f->cgroup_mode, l.mount_root, v1, *l.unified_path ? "at " : "none",
			     l.unified_path, v2);
	if (r < 0)
		return r;
	if (l.v1_controllers & CR_CG_FREEZER)
		return CR_PROBE_SET(f, CR_PROBE_FREEZER, CR_PROBE_OK, "v1 freezer controller");
	if (l.v2_controllers & CR_CG_FREEZER)
		return CR_PROBE_SET(f, CR_PROBE_FREEZER, CR_PROBE_OK, "cgroup2 cgroup.freeze");
	return CR_PROBE_SET(f, CR_PROBE_FREEZER, CR_PROBE_MISSING,
			    "no v1 freezer hierarchy and no cgroup.freeze on cgroup2");
}
