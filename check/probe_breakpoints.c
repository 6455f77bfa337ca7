/* Do hardware breakpoints fire? CRIU stops a task at the end of a syscall with
 * a debug-register execution breakpoint; in some VMs it never traps and
 * `criu dump` waits forever. Try exactly that on a child of ours. */
#define LOG_PREFIX "check: "
#include "check/probes.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/child_wait.h"
#include "util/log.h"

#define BREAKPOINT_TIMEOUT_MS 2000

#if defined(__x86_64__)

static volatile int target_calls;

/* GCC could otherwise call a specialised copy at another address. */
#if defined(__has_attribute)
#if __has_attribute(noclone)
#define NOCLONE __attribute__((noclone))
#endif
#endif
#ifndef NOCLONE
#define NOCLONE
#endif

/* The child calls this after the parent armed DR0 with its address. */
__attribute__((noinline, used)) NOCLONE static void breakpoint_target(void)
{
	target_calls++;
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noreturn)) void child_body(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(2);
	raise(SIGSTOP);
	breakpoint_target();
	_exit(0);
}

/* Returns 1 (trapped), 0 (ran past it) or -1 (could not try). *WHY says
 * what happened; *ERRNO_OUT the system error behind it, or 0. */
static int try_breakpoint(pid_t pid, const char **why, int *errno_out)
{
	int status = 0;
	struct cr_error werr = CR_ERROR_INIT;
	*errno_out = 0;
	int r = cr_child_wait(pid, __WALL, BREAKPOINT_TIMEOUT_MS, "breakpoint child", &status, &werr);
	cr_error_clear(&werr);
	if (r < 0 || !WIFSTOPPED(status)) {
		*why = "the child did not stop for tracing (is ptrace allowed?)";
		*errno_out = r < 0 ? -r : 0;
		return -1;
	}
	(void)ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_EXITKILL);
	/* DR0 = the target's address; DR7: L0 enable, RW0=00 (execute), LEN0=00. */
	if (ptrace(PTRACE_POKEUSER, pid, (void *)offsetof(struct user, u_debugreg[0]),
		   (void *)(uintptr_t)breakpoint_target) < 0 ||
	    ptrace(PTRACE_POKEUSER, pid, (void *)offsetof(struct user, u_debugreg[7]),
		   (void *)1UL) < 0) {
		*why = "the debug registers cannot be set";
		*errno_out = errno;
		return -1;
	}
	if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0) {
		*why = "the child cannot be continued";
		*errno_out = errno;
		return -1;
	}
	r = cr_child_wait(pid, __WALL, BREAKPOINT_TIMEOUT_MS, "breakpoint child", &status, &werr);
	cr_error_clear(&werr);
	if (r == -ETIMEDOUT) {
		*why = "no trap within 2 s";
		return 0;
	}
	if (r < 0) {
		*why = "waiting for the child failed";
		*errno_out = -r;
		return -1;
	}
	if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP) {
		errno = 0;
		long dr6 = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user, u_debugreg[6]),
				  NULL);
		if (errno == 0 && !(dr6 & 1)) {
			*why = "a SIGTRAP arrived but DR6 does not name breakpoint 0";
			return 0;
		}
		return 1;
	}
	*why = WIFEXITED(status) ? "the child ran through the breakpoint without a trap"
				 : "the child stopped for another reason than the breakpoint";
	return 0;
}

int cr_probe_breakpoints(struct cr_host_facts *f, struct cr_error *err)
{
	pid_t pid = fork();
	if (pid < 0) {
		f->criu_needs_fault = true; /* cannot tell: the safe choice never hangs */
		return CR_PROBE_SET(f, CR_PROBE_HW_BREAKPOINTS, CR_PROBE_SKIPPED,
				    "cannot fork: %s; CRIU_FAULT=130 applied to be safe",
				    strerror(errno));
	}
	if (pid == 0)
		child_body();
	const char *why = "";
	int e = 0;
	int r = try_breakpoint(pid, &why, &e);
	cr_child_kill(pid, 0);
	cr_debug("breakpoint probe: %d (%s)", r, why);
	if (r == 1) {
		f->criu_needs_fault = false;
		return CR_PROBE_SET(f, CR_PROBE_HW_BREAKPOINTS, CR_PROBE_OK,
				    "a DR0 execution breakpoint trapped");
	}
	/* Not firing, or no way to tell: the fault never hangs, so it is the safe side. */
	f->criu_needs_fault = true;
	return CR_PROBE_SET(f, CR_PROBE_HW_BREAKPOINTS, CR_PROBE_MISSING,
			    "%s%s%s%s; CRIU_FAULT=130 applied", why, e ? " (" : "", e ? strerror(e) : "", e ? ")" : "");
}

#else

int cr_probe_breakpoints(struct cr_host_facts *f, struct cr_error *err)
{
	f->criu_needs_fault = false;
	return CR_PROBE_SET(f, CR_PROBE_HW_BREAKPOINTS, CR_PROBE_SKIPPED,
			    "probed on x86_64 only; CRIU runs without CRIU_FAULT");
}

#endif
