/* Whether partitions can get their system-call filter: a throw-away child
 * loads the very filter partitions get (seccomp/filter.h) and must then be
 * refused add_key with EPERM. A proof, not a kernel flag: the result says
 * what the child saw. Partitions do not start without the filter. */
#define LOG_PREFIX "probe_seccomp: "
#include "check/probes.h"

#include <linux/keyctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp/filter.h"
#include "util/child_wait.h"

#define SECCOMP_PROBE_TIMEOUT_MS 2000
#define LOAD_FAILED 100 /* exit status base: 100 + errno of the load */
#define NOT_REFUSED 99  /* add_key went through (or failed otherwise) */

static void __attribute__((noreturn)) child(void)
{
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_seccomp_apply(NULL, NULL, &err);
	if (r < 0)
		_exit(LOAD_FAILED + (-r > 150 ? 150 : -r));
	long k = syscall(SYS_add_key, "user", "corral-check-seccomp", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	_exit(k < 0 && errno == EPERM ? 0 : NOT_REFUSED);
}

int cr_probe_seccomp(struct cr_host_facts *f, struct cr_error *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return CR_PROBE_SET(f, CR_PROBE_SECCOMP, CR_PROBE_SKIPPED, "cannot fork: %s", strerror(errno));
	if (pid == 0)
		child();
	int status = 0;
	struct cr_error werr = CR_ERROR_INIT;
	int r = cr_child_wait(pid, 0, SECCOMP_PROBE_TIMEOUT_MS, "seccomp probe child", &status, &werr);
	if (r < 0) {
		cr_child_kill(pid, 0);
		r = CR_PROBE_SET(f, CR_PROBE_SECCOMP, CR_PROBE_SKIPPED, "%s", cr_error_msg(&werr));
		cr_error_clear(&werr);
		return r;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CR_PROBE_SET(f, CR_PROBE_SECCOMP, CR_PROBE_OK,
				    "a child loaded the partition filter and add_key got EPERM");
	if (WIFEXITED(status) && WEXITSTATUS(status) >= LOAD_FAILED)
		return CR_PROBE_SET(f, CR_PROBE_SECCOMP, CR_PROBE_MISSING,
				    "the kernel refused the filter: %s",
				    strerror(WEXITSTATUS(status) - LOAD_FAILED));
	return CR_PROBE_SET(f, CR_PROBE_SECCOMP, CR_PROBE_MISSING,
			    "a child loaded the filter but add_key was not refused");
}
