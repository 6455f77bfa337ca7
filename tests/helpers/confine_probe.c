/* confine_probe: from inside a partition, try the system calls its filter
 * must refuse and print one line per call: "NAME ERRNO" (EPERM, ENOSYS, ...)
 * or "NAME OK" when the call succeeded.
 *
 *   confine_probe            every refused call; add_key targets the user
 *                            keyring shared with the host's root (the escape
 *                            the filter closes), named corral-confine-probe
 *   confine_probe relaxed    the same, but add_key and keyctl use this
 *                            process's own keyring (gone when it exits):
 *                            for a partition made with -S
 *                            syscalls+=keyctl,add_key, where they succeed
 * Exits 0 after printing; the caller judges the lines. */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DESCRIPTION "corral-confine-probe"

static void report(const char *name, long r)
{
	printf("%s %s\n", name, r < 0 ? strerrorname_np(errno) : "OK");
}

/* unshare or clone with CLONE_NEWUSER in a child: the child's errno comes
 * back as its exit status (0: it got a user namespace). */
static void in_child(const char *name, int use_clone)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		report(name, -1);
		return;
	}
	if (pid == 0) {
		long r;
		if (use_clone) {
			r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0);
			if (r == 0)
				_exit(0); /* the grandchild, in a new user namespace */
			if (r > 0)
				waitpid((pid_t)r, NULL, 0);
		} else {
			r = syscall(SYS_unshare, CLONE_NEWUSER);
		}
		_exit(r < 0 ? (errno & 0xff) : 0);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		printf("%s CRASHED\n", name);
		return;
	}
	errno = WEXITSTATUS(status);
	report(name, errno ? -1 : 0);
}

#ifdef __x86_64__
/* add_key through the other ABIs of an x86-64 kernel: the i386 one (int
 * 0x80, number 286) and x32 (the x86-64 number with bit 30 set). ENOSYS:
 * the kernel has no such ABI; EPERM: the filter covers it. */
static void other_abis(void)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(286L), "b"((long)"user"), "c"((long)DESCRIPTION), "d"((long)"x"), "S"(1L),
			   "D"((long)KEY_SPEC_USER_KEYRING)
			 : "memory");
	errno = (int)-ret;
	report("add_key_i386", ret < 0 && ret > -4096 ? -1 : 0);
	report("add_key_x32", syscall(0x40000000L | SYS_add_key, "user", DESCRIPTION, "x", 1,
				      KEY_SPEC_USER_KEYRING));
}
#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	bool relaxed = argc > 1 && strcmp(argv[1], "relaxed") == 0;
	long keyring = relaxed ? KEY_SPEC_PROCESS_KEYRING : KEY_SPEC_USER_KEYRING;
	const char *description = relaxed ? "corral-confine-own" : DESCRIPTION;
	report("add_key", syscall(SYS_add_key, "user", description, "x", 1, keyring));
	report("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, keyring, 0));
	report("request_key", syscall(SYS_request_key, "user", DESCRIPTION "-none", NULL, 0));
	report("bpf", syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0));
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	report("perf_event_open", fd);
	if (fd >= 0)
		close((int)fd);
	in_child("unshare_newuser", 0);
	in_child("clone_newuser", 1);
	report("kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
	report("init_module", syscall(SYS_init_module, NULL, 0UL, ""));
	struct {
		unsigned int bytes;
		int type;
		unsigned char data[8];
	} handle = {8, 1, {0}};
	report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY));
	report("personality", syscall(SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */));
#ifdef __x86_64__
	other_abis();
#endif
	return 0;
}
