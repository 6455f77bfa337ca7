/* Finding and ending the processes of a partition that its init did not start (see outsiders.h). */
#define LOG_PREFIX "outsiders: "
#include "ckpt/outsiders.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt/proc_task.h"
#include "partition/clogin.h"
#include "partition/liveness.h"
#include "util/cleanup.h"
#include "util/log.h"

#define END_WAIT_MS 5000

static pid_t parent_of(pid_t pid)
{
	struct cr_proc_task t;
	return cr_proc_task_read(pid, &t) == 0 ? t.ppid : -1;
}

/* Does PID descend from INIT (or is it INIT)? */
static bool in_tree(pid_t pid, pid_t init)
{
	for (int depth = 0; pid > 1 && depth < 4096; depth++) {
		if (pid == init)
			return true;
		pid = parent_of(pid);
	}
	return pid == init;
}

/* The clogin session PID belongs to, or NULL. */
static const struct cr_clogin_session *session_of(pid_t pid, const struct cr_clogin_session *s, size_t n)
{
	for (int depth = 0; pid > 1 && depth < 4096; depth++) {
		for (size_t i = 0; i < n; i++)
			if (s[i].pid == pid)
				return &s[i];
		pid = parent_of(pid);
	}
	return NULL;
}

void cr_outsiders_free(struct cr_outsider *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(o[i].what);
	free(o);
}

int cr_outsiders_find(const char *name, pid_t init, struct cr_cgroup *cg, struct cr_outsider **ret,
		      size_t *ret_n, struct cr_error *err)
{
	pid_t *pids = NULL;
	size_t n = 0, found = 0, n_sessions = 0;
	struct cr_clogin_session *sessions = NULL;
	struct cr_outsider *list = NULL;
	int r = cr_cgroup_pids(cg, &pids, &n, err);
	if (r < 0)
		return r;
	if ((r = cr_clogin_sessions(name, &sessions, &n_sessions, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (in_tree(pids[i], init) || !cr_pid_alive(pids[i]))
			continue;
		struct cr_proc_task t = {.comm = "?"};
		cr_proc_task_read(pids[i], &t);
		const char *comm = t.comm;
		const struct cr_clogin_session *s = session_of(pids[i], sessions, n_sessions);
		char *what = NULL;
		int w = s ? asprintf(&what, "pid %d (%s): clogin session of %s on %s", (int)pids[i], comm,
				     s->user ? s->user : "root", s->tty ? s->tty : "no terminal")
			  : asprintf(&what, "pid %d (%s): entered from outside the partition", (int)pids[i], comm);
		struct cr_outsider *nl = w < 0 ? NULL : realloc(list, (found + 1) * sizeof(*nl));
		if (!nl) {
			free(what);
			r = cr_error_set(err, ENOMEM, "out of memory");
			goto out;
		}
		list = nl;
		list[found].pid = pids[i];
		list[found++].what = what;
	}
	*ret = list;
	*ret_n = found;
	list = NULL;
	found = 0;
	r = 0;
out:
	cr_outsiders_free(list, found);
	cr_clogin_sessions_free(sessions, n_sessions);
	free(pids);
	return r;
}

char *cr_outsiders_describe(const struct cr_outsider *o, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(o[i].what) + 2;
	char *s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, "; ");
		strcat(s, o[i].what);
	}
	return s;
}

int cr_outsiders_end(const struct cr_outsider *o, size_t n, struct cr_error *err)
{
	for (size_t i = 0; i < n; i++)
		kill(o[i].pid, SIGKILL);
	for (int waited = 0; waited < END_WAIT_MS; waited += 20) {
		bool any = false;
		for (size_t i = 0; i < n; i++)
			any |= cr_pid_alive(o[i].pid);
		if (!any)
			return 0;
		poll(NULL, 0, 20);
	}
	return cr_error_set(err, EBUSY, "processes from outside the partition did not end within %d ms",
			    END_WAIT_MS);
}
