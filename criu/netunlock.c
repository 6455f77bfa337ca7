/* A dump killed at its deadline cannot undo its network lock: with
 * --network-lock nftables, CRIU adds a table "inet CRIU-<run id>" that drops
 * all output in the dumped tree's network namespace. The partition would run
 * on without network, so the caller removes the table (nft inside that
 * namespace). The run id is in the first lines of CRIU's log. */
#define LOG_PREFIX "criu: "

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu/criu_internal.h"
#include "util/child_wait.h"
#include "util/cleanup.h"
#include "util/log.h"

#define HEAD_BYTES 16384 /* CRIU logs its run id among its first lines */
#define NFT_TIMEOUT_MS 10000
#define CRIU_TABLE_NAME_MAX (32 - 1 - sizeof("inet ") + 1) /* 26 */

/* The last "CRIU run id = <uuid>" among the first lines of LOG_PATH (criu
 * swrk logs its own and then the request's), as a heap string, or NULL. */
static char *run_id_from_log(const char *log_path)
{
	cleanup_close int fd = open(log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char head[HEAD_BYTES + 1];
	ssize_t n = read(fd, head, HEAD_BYTES);
	if (n <= 0)
		return NULL;
	head[n] = '\0';
	static const char marker[] = "CRIU run id = ";
	char *last = NULL;
	for (char *p = strstr(head, marker); p; p = strstr(p + 1, marker))
		last = p + sizeof(marker) - 1;
	if (!last)
		return NULL;
	size_t len = strspn(last, "0123456789abcdefABCDEF-");
	if (len == 0 || (last[len] != '\n' && last[len] != '\0'))
		return NULL;
	return strndup(last, len);
}

/* In the child: enter PID's network namespace and delete TABLE. */
static __attribute__((noreturn)) void nft_delete_in(pid_t pid, const char *table)
{
	char ns[64];
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)pid);
	int fd = open(ns, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		_exit(126);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0)
		for (int i = 0; i < 3; i++)
			dup2(null_fd, i);
	execlp("nft", "nft", "delete", "table", "inet", table, (char *)NULL);
	_exit(127);
}

/* Run `nft delete table inet TABLE` in PID's network namespace: 1 when it
 * was deleted, 0 when it was not there (or the namespace is gone). */
static int nft_delete(pid_t pid, const char *table, struct cr_error *err)
{
	pid_t child = fork();
	if (child < 0)
		return cr_error_errno(err, "cannot fork to remove criu's network lock %s", table);
	if (child == 0)
		nft_delete_in(pid, table);
	int status = 0;
	int r = cr_child_wait(child, 0, NFT_TIMEOUT_MS, "nft", &status, err);
	if (r < 0) {
		cr_child_kill(child, 0);
		return cr_error_wrap(err, "removing criu's network lock %s", table);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return cr_error_set(err, ENOENT,
				    "cannot remove criu's network lock %s of pid %d: no nft program",
				    table, (int)pid);
	/* 126: the namespace is gone; 1: there was no such table. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int cr_criu_nft_unlock(pid_t pid, const char *log_path, struct cr_error *err)
{
	cleanup_free char *id = run_id_from_log(log_path);
	if (!id)
		return 0; /* criu had not started: nothing was locked */
	cleanup_free char *full = NULL;
	if (asprintf(&full, "CRIU-%s", id) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	/* CRIU 4.1 formats "inet CRIU-<id>" into 32 bytes, so the table's
	 * name is cut to 26 characters; a CRIU that does not cut uses FULL. */
	cleanup_free char *cut = strndup(full, CRIU_TABLE_NAME_MAX);
	if (!cut)
		return cr_error_set(err, ENOMEM, "out of memory");
	int removed = 0;
	const char *names[] = {cut, full};
	for (size_t i = 0; i < 2; i++) {
		if (i == 1 && strcmp(cut, full) == 0)
			break;
		int r = nft_delete(pid, names[i], err);
		if (r < 0)
			return r;
		removed |= r;
	}
	cr_debug("network lock %s of pid %d: %s", cut, (int)pid, removed ? "removed" : "not there");
	return removed;
}
