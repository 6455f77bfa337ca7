/* Checkpointable application jobs: output file, relay, recorded end. */
#define LOG_PREFIX "app_job: "
#include "partition/app_job.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "partition/lifecycle.h"
#include "partition/state.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define END_FILE "end"
#define OUTPUT_FILE "output"
#define RELAY_POLL_MS 100
#define END_WAIT_MS 10000
/* What checkpoint.c logs before chkptwpar -k ends the partition. */
#define CHECKPOINT_KILL_MARK "checkpointed; ending the partition"

static int state_file(const char *name, const char *file, char **ret_path, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_state_dir(name, &dir, err);
	if (r < 0)
		return r;
	if (asprintf(ret_path, "%s/%s", dir, file) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_app_job_output_path(const char *name, char **ret_path, struct cr_error *err)
{
	return state_file(name, OUTPUT_FILE, ret_path, err);
}

int cr_app_job_output_prepare(const char *name, off_t *ret_size, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = cr_app_job_output_path(name, &path, err);
	if (r < 0)
		return r;
	cleanup_close int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cr_error_errno(err, "cannot open the output of job %s (%s)", name, path);
	if (ret_size)
		*ret_size = st.st_size;
	return 0;
}

off_t cr_app_job_log_mark(const char *name)
{
	cleanup_free char *path = NULL;
	struct stat st;
	if (cr_partition_log_path(name, &path, NULL) < 0 || stat(path, &st) < 0)
		return 0;
	return st.st_size;
}

/* Whether NAME's log says, past MARK, that chkptwpar -k ended it. */
static bool checkpointed_since(const char *name, off_t mark)
{
	cleanup_free char *path = NULL;
	if (cr_partition_log_path(name, &path, NULL) < 0)
		return false;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= mark || st.st_size - mark > (1 << 20))
		return false;
	size_t len = (size_t)(st.st_size - mark);
	cleanup_free char *buf = malloc(len + 1);
	if (!buf || pread(fd, buf, len, mark) != (ssize_t)len)
		return false;
	buf[len] = '\0';
	return strstr(buf, CHECKPOINT_KILL_MARK) != NULL;
}

int cr_app_job_record_end(const char *name, int status, off_t log_mark, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = state_file(name, END_FILE, &path, err);
	if (r < 0)
		return r;
	char line[32];
	if (WIFSIGNALED(status) && checkpointed_since(name, log_mark))
		snprintf(line, sizeof(line), "checkpointed\n");
	else
		snprintf(line, sizeof(line), "exit %d\n",
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
	return cr_write_file_atomic(path, line, strlen(line), 0600, err);
}

void cr_app_job_clear_end(const char *name)
{
	cleanup_free char *path = NULL;
	if (state_file(name, END_FILE, &path, NULL) == 0)
		unlink(path);
}

int cr_app_job_read_end(const char *name, struct cr_app_job_end *ret, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *data = NULL;
	size_t len;
	int r = state_file(name, END_FILE, &path, err);
	if (r < 0 || (r = cr_read_file(path, 64, &data, &len, err)) < 0)
		return r;
	struct cr_app_job_end end = {0};
	char *tail;
	if (strcmp(data, "checkpointed\n") == 0) {
		end.checkpointed = true;
	} else if (strncmp(data, "exit ", 5) == 0) {
		errno = 0;
		long code = strtol(data + 5, &tail, 10);
		if (errno || tail == data + 5 || strcmp(tail, "\n") != 0 || code < 0 || code > 255)
			return cr_error_set(err, EINVAL, "%s: not an exit status", path);
		end.exit_code = (int)code;
	} else {
		return cr_error_set(err, EINVAL, "%s: not a record of how job %s ended", path, name);
	}
	*ret = end;
	return 0;
}

/* Copy what FD holds past *OFFSET to OUT_FD. */
static void copy_new(int fd, off_t *offset, int out_fd)
{
	char buf[16384];
	ssize_t n;
	while ((n = pread(fd, buf, sizeof(buf), *offset)) > 0) {
		*offset += n;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out_fd, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return; /* nobody reads: the job goes on regardless */
			done += w;
		}
	}
}

void cr_app_job_relay(const char *path, off_t *offset, int out_fd, int stop_fd)
{
	cleanup_close int fd = -1;
	for (;;) {
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			copy_new(fd, offset, out_fd);
		struct pollfd p = {stop_fd, POLLIN, 0};
		int n = poll(&p, 1, RELAY_POLL_MS);
		if (n > 0)
			break;
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		copy_new(fd, offset, out_fd);
}

int cr_app_job_relay_start(const char *path, off_t offset, int out_fd, struct cr_app_job_relayer *ret,
			   struct cr_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot create a pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return cr_error_errno(err, "cannot fork the output relay");
	}
	if (pid == 0) {
		close(p[1]);
		/* ^C goes to the job through its monitor; the relay shows its last words. */
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		cr_app_job_relay(path, &offset, out_fd, p[0]);
		_exit(0);
	}
	close(p[0]);
	ret->pid = pid;
	ret->stop_fd = p[1];
	return 0;
}

void cr_app_job_relay_stop(struct cr_app_job_relayer *r)
{
	if (r->stop_fd >= 0)
		close(r->stop_fd);
	r->stop_fd = -1;
	if (r->pid > 0)
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
	r->pid = 0;
}

int cr_app_job_follow(const char *name, pid_t monitor, off_t offset, int out_fd, struct cr_app_job_end *ret_end,
		      struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = cr_app_job_output_path(name, &path, err);
	if (r < 0)
		return r;
	cleanup_close int pidfd = monitor > 0 ? (int)syscall(SYS_pidfd_open, monitor, 0) : -1;
	if (pidfd < 0 && errno != ESRCH && monitor > 0)
		return cr_error_errno(err, "cannot follow the monitor of %s (pid %d)", name, (int)monitor);
	if (pidfd >= 0) {
		cr_app_job_relay(path, &offset, out_fd, pidfd);
	} else {
		int never[2] = {-1, -1};
		if (pipe2(never, O_CLOEXEC) < 0)
			return cr_error_errno(err, "cannot create a pipe");
		close(never[1]); /* already ended: copy what is there */
		cr_app_job_relay(path, &offset, out_fd, never[0]);
		close(never[0]);
	}
	/* A monitor already gone by the time we looked may still be writing it. */
	r = cr_app_job_read_end(name, ret_end, err);
	for (int waited = 0; r == -ENOENT && pidfd < 0 && waited < END_WAIT_MS; waited += RELAY_POLL_MS) {
		cr_error_clear(err);
		(void)poll(NULL, 0, RELAY_POLL_MS);
		r = cr_app_job_read_end(name, ret_end, err);
	}
	if (r == -ENOENT) {
		cr_error_clear(err);
		return cr_error_set(err, ENOENT, "the monitor of job %s ended without recording how the job ended",
				    name);
	}
	return r;
}
