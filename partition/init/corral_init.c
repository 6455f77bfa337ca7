/* corral-init: pid 1 of a partition.
 *
 *   corral-init --system        start the services listed in /etc/corral/services,
 *                                reap orphans, respawn "respawn:" services,
 *                                shut everything down on SIGTERM.
 *   corral-init --exec CMD ...  (application partitions) run CMD, reap orphans,
 *                                and exit with CMD's status once CMD and every
 *                                process of the partition have ended (a daemon
 *                                CMD started goes on after CMD exits).
 *
 * On SIGTERM it sends SIGTERM to every process of the partition, waits up to
 * the grace period (CORRAL_STOP_GRACE seconds, default 10) and then SIGKILLs
 * what is left. Leaving pid 1 ends the partition.
 *
 * CMD's status waits in this process's memory until the last process is
 * gone: a checkpoint takes it along, so a job restarted after CMD had
 * already exited still ends with CMD's status. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SERVICES_FILE "/etc/corral/services"
#define SERVICES_LOG "/var/log/corral-services.log"
#define MAX_SERVICES 64
/* How often --exec looks whether the partition is empty once CMD has ended:
 * a process that entered it from outside (setns) is no child of ours, and
 * its end sends us no SIGCHLD. */
#define EMPTY_RECHECK_MS 500

struct service {
	char *command;
	bool respawn;
	pid_t pid;
	time_t last_start;
};

static struct service services[MAX_SERVICES];
static size_t n_services;

static void log_line(const char *fmt, const char *arg)
{
	int fd = open(SERVICES_LOG, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return;
	dprintf(fd, "corral-init: ");
	dprintf(fd, fmt, arg);
	dprintf(fd, "\n");
	close(fd);
}

static pid_t start_command(char *const argv[], bool to_log)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (to_log) {
		setsid();
		int fd = open(SERVICES_LOG, O_WRONLY | O_APPEND | O_CREAT, 0640);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	execvp(argv[0], argv);
	fprintf(stderr, "corral-init: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void start_service(struct service *s)
{
	char *argv[] = {"/bin/sh", "-c", s->command, NULL};
	s->pid = start_command(argv, true);
	s->last_start = time(NULL);
	log_line("started: %s", s->command);
}

static void load_services(void)
{
	FILE *f = fopen(SERVICES_FILE, "re");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) >= 0 && n_services < MAX_SERVICES) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		struct service *s = &services[n_services];
		if (!strncmp(p, "respawn:", 8)) {
			s->respawn = true;
			p += 8 + strspn(p + 8, " \t");
		}
		s->command = strdup(p);
		if (s->command)
			n_services++;
	}
	free(line);
	fclose(f);
}

static int grace_seconds(void)
{
	const char *v = getenv("CORRAL_STOP_GRACE");
	if (!v)
		return 10;
	char *end;
	long n = strtol(v, &end, 10);
	return (*end || n < 0 || n > 3600) ? 10 : (int)n;
}

/* Reap every child that has ended; returns the status of WATCH if it ended. */
static bool reap(pid_t watch, int *ret_status)
{
	bool watched = false;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == watch) {
			*ret_status = status;
			watched = true;
		}
		for (size_t i = 0; i < n_services; i++)
			if (services[i].pid == pid)
				services[i].pid = 0;
	}
	return watched;
}

static void shutdown_all(int sfd)
{
	kill(-1, SIGTERM);
	time_t deadline = time(NULL) + grace_seconds();
	int status;
	while (time(NULL) < deadline) {
		reap(0, &status);
		if (kill(-1, 0) < 0 && errno == ESRCH)
			return;
		struct signalfd_siginfo si;
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		while (read(sfd, &si, sizeof(si)) > 0)
			;
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
		;
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Whether no process but this one is left in the pid namespace (every
 * child reaped first): kill(-1) reaches all of them, and says ESRCH only
 * when there is none, not when one is out of reach (EPERM). */
static bool namespace_empty(void)
{
	return kill(-1, 0) < 0 && errno == ESRCH;
}

static void ignore_signal(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	bool exec_mode = argc >= 3 && !strcmp(argv[1], "--exec");
	if (!exec_mode && !(argc == 2 && !strcmp(argv[1], "--system"))) {
		fprintf(stderr, "usage: corral-init --system | --exec CMD [ARGS...]\n");
		return 2;
	}
	/* pid 1 of a namespace gets no signal whose disposition is the default:
	 * give them a handler, then take them through the signalfd. */
	struct sigaction sa = {.sa_handler = ignore_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("corral-init: signalfd");
		return 1;
	}
	pid_t main_pid = 0;
	if (exec_mode) {
		main_pid = start_command(argv + 2, false);
	} else {
		load_services();
		for (size_t i = 0; i < n_services; i++)
			start_service(&services[i]);
	}
	int status = 0;
	bool main_ended = false; /* --exec: CMD has exited with STATUS */
	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd pfd = {sfd, POLLIN, 0};
		int ready = poll(&pfd, 1, main_ended ? EMPTY_RECHECK_MS : -1);
		if (ready < 0)
			continue;
		if (ready > 0 && read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (ready > 0 && (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGHUP)) {
			/* stopwpar, or the caller's ^C: the whole partition ends. */
			shutdown_all(sfd);
			return exec_mode ? 128 + (int)si.ssi_signo : 0;
		}
		if (reap(main_ended ? 0 : main_pid, &status) && exec_mode)
			main_ended = true;
		/* The partition lives as long as any process CMD started. */
		if (main_ended && namespace_empty())
			return exit_code_of(status);
		time_t now = time(NULL);
		for (size_t i = 0; i < n_services; i++) {
			struct service *s = &services[i];
			if (s->respawn && s->pid == 0) {
				if (now - s->last_start < 1)
					sleep(1); /* do not spin on a service that dies at once */
				start_service(s);
			}
		}
	}
}
