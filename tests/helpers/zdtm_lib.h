/* The zdtm protocol shared by tests/helpers/zdtm_*.c (after CRIU's
 * test/zdtm/static): usage `zdtm_<name> DIR`.
 *
 * The program becomes a session leader (it runs as pid 1 of a new pid
 * namespace), reopens its stdio on /dev/null inside its own mount namespace
 * and closes every other descriptor (CRIU cannot dump descriptors of mounts
 * outside that namespace), builds its state, writes DIR/ready, then keeps its
 * state alive until SIGUSR1. It then verifies the state and writes "PASS\n"
 * or "FAIL: why\n" to DIR/result and exits.
 *
 * With a second argument "--private-mounts" (only in a private mount
 * namespace, as `unshare --mount` makes) it first detaches every mount but /,
 * /proc, /sys, /dev and those holding DIR or the program: what else the host
 * has mounted (other tests' FUSE file systems...) is not its state and CRIU
 * may not be able to dump it. */
#ifndef CORRAL_TESTS_ZDTM_LIB_H
#define CORRAL_TESTS_ZDTM_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t zdtm_go;
static const char *zdtm_dir;

static inline void zdtm_on_usr1(int sig)
{
	(void)sig;
	zdtm_go = 1;
}

/* Write TEXT to DIR/NAME atomically (temp file and rename). */
static inline void zdtm_put(const char *name, const char *text)
{
	char *tmp = NULL, *path = NULL;
	if (asprintf(&tmp, "%s/.%s.tmp", zdtm_dir, name) < 0 ||
	    asprintf(&path, "%s/%s", zdtm_dir, name) < 0)
		_exit(3);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		_exit(3);
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || close(fd) < 0 || rename(tmp, path) < 0)
		_exit(3);
	free(tmp);
	free(path);
}

/* True when mount point MP is one of the kept ones for DIR and EXE. */
static inline int zdtm_keep_mount(const char *mp, const char *dir, const char *exe)
{
	static const char *const keep[] = {"/proc", "/sys", "/dev"};
	if (strcmp(mp, "/") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		size_t n = strlen(keep[i]);
		if (strncmp(mp, keep[i], n) == 0 && (mp[n] == '\0' || mp[n] == '/'))
			return 1;
	}
	const char *paths[] = {dir, exe};
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(mp);
		if (strncmp(paths[i], mp, n) == 0 && paths[i][n] == '/')
			return 1;
	}
	return 0;
}

/* Detach the mounts zdtm_keep_mount does not keep, deepest first. */
static inline void zdtm_private_mounts(const char *dir, const char *exe)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		exit(3);
	char *line = NULL, **mps = NULL;
	size_t cap = 0, n = 0;
	while (getline(&line, &cap, f) > 0) {
		char *mp = NULL;
		if (sscanf(line, "%*s %*s %*s %*s %ms", &mp) != 1)
			continue;
		char **grown = realloc(mps, (n + 1) * sizeof(*mps));
		if (!grown)
			exit(3);
		mps = grown;
		mps[n++] = mp;
	}
	free(line);
	fclose(f);
	for (size_t i = n; i-- > 0;) {
		if (mps[i] && !zdtm_keep_mount(mps[i], dir, exe))
			umount2(mps[i], MNT_DETACH);
		free(mps[i]);
	}
	free(mps);
}

static inline void zdtm_init(int argc, char **argv)
{
	if (argc != 2 && !(argc == 3 && strcmp(argv[2], "--private-mounts") == 0)) {
		fprintf(stderr, "usage: %s DIR [--private-mounts]\n", argv[0]);
		exit(2);
	}
	zdtm_dir = argv[1];
	if (argc == 3) {
		char *exe = realpath("/proc/self/exe", NULL);
		if (!exe)
			exit(3);
		zdtm_private_mounts(zdtm_dir, exe);
		free(exe);
	}
	setsid();
	int null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0)
		exit(3);
	for (int fd = 0; fd < 3; fd++)
		dup2(null_fd, fd);
	int max = (int)sysconf(_SC_OPEN_MAX);
	for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		close(fd);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = zdtm_on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static inline void zdtm_ready(void)
{
	zdtm_put("ready", "ready\n");
}

/* Sleep until SIGUSR1 (CRIU interrupts and restarts the wait). */
static inline void zdtm_wait(void)
{
	while (!zdtm_go) {
		struct timespec nap = {0, 5 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

static inline __attribute__((noreturn)) void zdtm_pass(void)
{
	zdtm_put("result", "PASS\n");
	exit(0);
}

static inline __attribute__((noreturn, format(printf, 1, 2))) void zdtm_fail(const char *fmt,
									      ...)
{
	char *why = NULL, *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	if (asprintf(&text, "FAIL: %s\n", why ? why : "?") < 0)
		_exit(1);
	zdtm_put("result", text);
	exit(1);
}

/* The byte at offset I of the test pattern SEED. */
static inline unsigned char zdtm_byte(uint64_t i, unsigned seed)
{
	uint64_t x = (i + seed) * 0x9E3779B97F4A7C15ull;
	return (unsigned char)(x >> 56);
}

static inline void zdtm_fill(unsigned char *buf, size_t len, uint64_t start, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = zdtm_byte(start + i, seed);
}

/* Index of the first byte of BUF that differs from the pattern, or -1. */
static inline long zdtm_check(const unsigned char *buf, size_t len, uint64_t start, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != zdtm_byte(start + i, seed))
			return (long)i;
	return -1;
}

/* Read exactly LEN bytes from the non-blocking FD into BUF: 0, or -1 when
 * fewer were there. */
static inline int zdtm_read_all(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

#endif
