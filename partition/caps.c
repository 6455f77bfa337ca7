#define LOG_PREFIX "caps: "
#include "partition/caps.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "seccomp/filter.h"
#include "util/cleanup.h"

static const cap_value_t dropped[] = {
	CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_TIME, CAP_SYS_RAWIO, CAP_MKNOD, CAP_SYS_BOOT,
	CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_SYSLOG, CAP_AUDIT_CONTROL, CAP_AUDIT_READ,
	CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND, CAP_LINUX_IMMUTABLE, CAP_SYS_PACCT,
	CAP_DAC_READ_SEARCH, CAP_SYS_RESOURCE, CAP_BPF, CAP_PERFMON, CAP_CHECKPOINT_RESTORE,
	CAP_SYS_TTY_CONFIG, CAP_LEASE,
};

static bool listed(const char *list, cap_value_t cap)
{
	if (!list)
		return false;
	cleanup_free char *copy = strdup(list);
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t; t = strtok_r(NULL, ", ", &save)) {
		cap_value_t v;
		if (cap_from_name(t, &v) == 0 && v == cap)
			return true;
	}
	return false;
}

int cr_caps_validate_list(const char *list, struct cr_error *err)
{
	if (!list)
		return 0;
	cleanup_free char *copy = strdup(list);
	if (!copy)
		return cr_error_set(err, ENOMEM, "out of memory");
	char *save = NULL;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		cap_value_t v;
		if (cap_from_name(t, &v) < 0)
			return cr_error_set(err, EINVAL, "unknown capability '%s' in privs", t);
	}
	return 0;
}

int cr_caps_drop_for_partition(const char *keep, struct cr_error *err)
{
	cap_t caps = cap_get_proc();
	if (!caps)
		return cr_error_errno(err, "cannot read the process capabilities");
	int r = 0;
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		cap_value_t c = dropped[i];
		if (!CAP_IS_SUPPORTED(c) || listed(keep, c))
			continue;
		if (cap_drop_bound(c) < 0) {
			r = cr_error_errno(err, "cannot drop capability %s from the bounding set", cap_to_name(c));
			goto out;
		}
		cap_value_t one[1] = {c};
		if (cap_set_flag(caps, CAP_EFFECTIVE, 1, one, CAP_CLEAR) < 0 ||
		    cap_set_flag(caps, CAP_PERMITTED, 1, one, CAP_CLEAR) < 0 ||
		    cap_set_flag(caps, CAP_INHERITABLE, 1, one, CAP_CLEAR) < 0) {
			r = cr_error_errno(err, "cannot clear capability %s", cap_to_name(c));
			goto out;
		}
	}
	if (cap_set_proc(caps) < 0) {
		r = cr_error_errno(err, "cannot apply the partition's capabilities");
		goto out;
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
out:
	cap_free(caps);
	return r;
}

int cr_caps_confine(const struct cr_security *sec, struct cr_error *err)
{
	int r = cr_seccomp_apply(sec->privs, sec->syscalls, err);
	if (r < 0)
		return r;
	return cr_caps_drop_for_partition(sec->privs, err);
}

int cr_caps_validate_security(const struct cr_security *sec, struct cr_error *err)
{
	int r = cr_caps_validate_list(sec->privs, err);
	if (r < 0)
		return r;
	return cr_seccomp_validate_list(sec->syscalls, err);
}
