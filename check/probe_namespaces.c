/* Which namespaces exist and can be entered: /proc/self/ns/NAME is there and
 * unshare() into it works in a throw-away child. Without root the child first
 * makes a user namespace, which proves kernel support without privileges. */
#include "check/probes.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/child_wait.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define UNSHARE_TIMEOUT_MS 2000

static const struct {
	enum cr_probe_id id;
	const char *proc_name;
	int flag;
} kinds[] = {
	{CR_PROBE_NS_PID, "pid", CLONE_NEWPID},
	{CR_PROBE_NS_MNT, "mnt", CLONE_NEWNS},
	{CR_PROBE_NS_NET, "net", CLONE_NEWNET},
	{CR_PROBE_NS_UTS, "uts", CLONE_NEWUTS},
	{CR_PROBE_NS_IPC, "ipc", CLONE_NEWIPC},
	{CR_PROBE_NS_USER, "user", CLONE_NEWUSER},
	{CR_PROBE_NS_CGROUP, "cgroup", CLONE_NEWCGROUP},
	{CR_PROBE_NS_TIME, "time", CLONE_NEWTIME},
};

/* 0 when a child could unshare FLAGS, else a positive errno. */
static int try_unshare(int flags)
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(unshare(flags) == 0 ? 0 : (errno & 0xff ? errno & 0xff : EIO));
	int status = 0;
	struct cr_error werr = CR_ERROR_INIT;
	int r = cr_child_wait(pid, 0, UNSHARE_TIMEOUT_MS, "unshare child", &status, &werr);
	cr_error_clear(&werr);
	if (r < 0) {
		cr_child_kill(pid, 0);
		return -r;
	}
	if (!WIFEXITED(status))
		return EIO;
	return WEXITSTATUS(status);
}

int cr_probe_namespaces(struct cr_host_facts *f, struct cr_error *err)
{
	int as_user = geteuid() != 0 ? CLONE_NEWUSER : 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i].proc_name);
		int r;
		if (access(path, F_OK) < 0) {
			r = CR_PROBE_SET(f, kinds[i].id, CR_PROBE_MISSING, "no %s", path);
		} else {
			int e = try_unshare(kinds[i].flag | as_user);
			if (e == 0)
				r = CR_PROBE_SET(f, kinds[i].id, CR_PROBE_OK, "unshare works%s",
						 as_user ? " (inside a user namespace)" : "");
			else if ((e == EPERM || e == EACCES) && as_user)
				r = CR_PROBE_SET(f, kinds[i].id, CR_PROBE_SKIPPED,
						 "unshare not permitted without root: %s", strerror(e));
			else
				r = CR_PROBE_SET(f, kinds[i].id, CR_PROBE_MISSING, "unshare failed: %s",
						 strerror(e));
		}
		if (r < 0)
			return r;
	}
	return 0;
}
