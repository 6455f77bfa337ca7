/* The host facts as JSON, for `corral check --json` and for scripts. */
#include "check/host_facts.h"

#include "util/json_writer.h"

int cr_host_facts_to_json(const struct cr_host_facts *f, char **ret_json, struct cr_error *err)
{
	struct cr_json j;
	int r = cr_json_init(&j, err);
	if (r < 0)
		return r;
	bool ready = cr_host_facts_ready(f);
	cr_json_begin_object(&j, NULL);
	cr_json_bool(&j, "ready", ready);
	cr_json_begin_array(&j, "reasons");
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		if (cr_probe_required(i) && f->probes[i].status != CR_PROBE_OK)
			cr_json_string(&j, NULL, cr_probe_name(i));
	cr_json_end_array(&j);
	cr_json_bool(&j, "cached", f->cached);
	cr_json_int(&j, "probed_at", f->probed_at);

	cr_json_begin_object(&j, "criu");
	cr_json_string(&j, "path", f->criu_path);
	cr_json_string(&j, "version", f->criu_version);
	cr_json_string(&j, "fault", f->criu_needs_fault ? CR_CRIU_FAULT_NO_BREAKPOINTS : NULL);
	cr_json_end_object(&j);

	cr_json_begin_object(&j, "cgroups");
	cr_json_string(&j, "mode", f->cgroup_mode);
	cr_json_string(&j, "v1_controllers", f->cgroup_v1);
	cr_json_string(&j, "v2_controllers", f->cgroup_v2);
	cr_json_end_object(&j);

	cr_json_begin_object(&j, "probes");
	for (int i = 0; i < CR_PROBE_COUNT; i++) {
		const struct cr_probe *p = &f->probes[i];
		cr_json_begin_object(&j, cr_probe_name(i));
		cr_json_string(&j, "status", cr_probe_status_name(p->status));
		cr_json_bool(&j, "required", cr_probe_required(i));
		cr_json_string(&j, "meaning", cr_probe_meaning(i, p->status));
		cr_json_string(&j, "detail", p->detail);
		cr_json_end_object(&j);
	}
	cr_json_end_object(&j);
	cr_json_end_object(&j);
	r = cr_json_finish(&j, ret_json, err);
	return r < 0 ? cr_error_wrap(err, "formatting the host facts") : 0;
}
