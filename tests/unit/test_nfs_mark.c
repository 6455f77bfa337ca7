/* NFS marks (nfs/mark.c) against a real server, from two "hosts": the
 * settings of tests/integration/lib/nfs_server.sh come from the environment
 * (NFS_ADDR, NFS_EXPORT_RW, NFS_EXPORT_RO, NFS_MOUNTOPTS), and
 * NFS_TEST_NETNS_A / NFS_TEST_NETNS_B name network namespaces
 * (/run/netns/NAME) the writer and the reader run in (else both run here).
 * integration/test_nfs_mark.sh runs it so; alone it skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "test_nfs_fixture.h"

#define NAME "marked"

static bool skip_all;

static int setup(void **state)
{
	(void)state;
	if (!getenv("NFS_ADDR") || !getenv("NFS_EXPORT_RW") || !getenv("NFS_MOUNTOPTS")) {
		fprintf(stderr, "skipped: run by integration/test_nfs_mark.sh\n");
		skip_all = true;
	}
	return 0;
}

#define NEED_SERVER()                                                                              \
	do {                                                                                       \
		if (skip_all)                                                                      \
			skip();                                                                    \
	} while (0)

/* A system partition NAME with "/" on EXPORT (and nothing else). */
static void config_on(struct cr_wpar_config *cfg, const char *export_path, const char *mountopts)
{
	nfs_fixture_config(cfg, NAME);
	nfs_fixture_stanza(cfg, "/", getenv("NFS_ADDR"), export_path, mountopts);
}

/* What a step in a namespace reports: its result, its error and a token. */
struct outcome {
	int r;
	int code;
	char msg[1024];
	char token[CR_NFS_MARK_TOKEN_LEN + 1];
};

enum step { WRITE, VERIFY, REMOVE };

static void do_step(enum step s, const struct cr_wpar_config *cfg, const char *token, struct outcome *o)
{
	struct cr_error err = CR_ERROR_INIT;
	char *made = NULL;
	memset(o, 0, sizeof(*o));
	if (s == WRITE)
		o->r = cr_nfs_mark_write(cfg, &made, &err);
	else if (s == VERIFY)
		o->r = cr_nfs_mark_verify(cfg, token, &err);
	else
		o->r = cr_nfs_mark_remove(cfg, &err);
	o->code = err.code;
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg ? err.msg : "");
	snprintf(o->token, sizeof(o->token), "%s", made ? made : "");
	free(made);
	cr_error_clear(&err);
}

/* Run step S in the network namespace of the environment variable NS_VAR
 * (in a child that joins it), or here when it is not set. */
static struct outcome step_in(const char *ns_var, enum step s, const struct cr_wpar_config *cfg,
			      const char *token)
{
	struct outcome o;
	const char *ns = getenv(ns_var);
	if (!ns || !*ns) {
		do_step(s, cfg, token, &o);
		return o;
	}
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(ns, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(2);
		do_step(s, cfg, token, &o);
		_exit(write(p[1], &o, sizeof(o)) == (ssize_t)sizeof(o) ? 0 : 3);
	}
	close(p[1]);
	ssize_t n = read(p[0], &o, sizeof(o));
	close(p[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, (ssize_t)sizeof(o));
	return o;
}

/* The mark file on the server's side (the export's directory here). */
static char *mark_path(const char *export_path)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/" CR_NFS_MARK_PREFIX NAME, export_path) > 0);
	return p;
}

static void write_then_verify_elsewhere(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_wpar_config cfg;
	config_on(&cfg, getenv("NFS_EXPORT_RW"), getenv("NFS_MOUNTOPTS"));
	struct outcome w = step_in("NFS_TEST_NETNS_A", WRITE, &cfg, NULL);
	assert_int_equal(w.r, 0);
	assert_int_equal(strlen(w.token), CR_NFS_MARK_TOKEN_LEN);
	cleanup_free char *path = mark_path(getenv("NFS_EXPORT_RW"));
	cleanup_free char *data = NULL;
	size_t len = 0;
	assert_int_equal(cr_read_file(path, 4096, &data, &len, NULL), 0);
	assert_int_equal(len, CR_NFS_MARK_TOKEN_LEN + 1);
	assert_memory_equal(data, w.token, CR_NFS_MARK_TOKEN_LEN);

	struct outcome v = step_in("NFS_TEST_NETNS_B", VERIFY, &cfg, w.token);
	assert_int_equal(v.r, 0);

	/* Another token (a stale or forged one) is refused, naming the export. */
	char other[CR_NFS_MARK_TOKEN_LEN + 1];
	memcpy(other, w.token, sizeof(other));
	other[0] = other[0] == '0' ? '1' : '0';
	v = step_in("NFS_TEST_NETNS_B", VERIFY, &cfg, other);
	assert_int_equal(v.r, -EXDEV);
	assert_non_null(strstr(v.msg, "another token"));
	assert_non_null(strstr(v.msg, getenv("NFS_EXPORT_RW")));
	assert_null(strchr(v.msg, '\n'));

	/* A second write replaces the mark: the first token no longer passes. */
	struct outcome w2 = step_in("NFS_TEST_NETNS_A", WRITE, &cfg, NULL);
	assert_int_equal(w2.r, 0);
	assert_string_not_equal(w.token, w2.token);
	assert_int_equal(step_in("NFS_TEST_NETNS_B", VERIFY, &cfg, w.token).r, -EXDEV);

	/* Removed on the other side: gone on the server, and removing twice is fine. */
	assert_int_equal(step_in("NFS_TEST_NETNS_B", REMOVE, &cfg, NULL).r, 0);
	assert_false(cr_path_exists(path));
	assert_int_equal(step_in("NFS_TEST_NETNS_A", REMOVE, &cfg, NULL).r, 0);
	v = step_in("NFS_TEST_NETNS_B", VERIFY, &cfg, w2.token);
	assert_int_equal(v.r, -ENOENT);
	cr_config_free(&cfg);
}

/* A host that mounts another export under the partition's name does not
 * see the mark: not the same file system. */
static void other_export_has_no_mark(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_wpar_config src, dst;
	config_on(&src, getenv("NFS_EXPORT_RW"), getenv("NFS_MOUNTOPTS"));
	config_on(&dst, getenv("NFS_EXPORT_RO"), getenv("NFS_MOUNTOPTS"));
	struct outcome w = step_in("NFS_TEST_NETNS_A", WRITE, &src, NULL);
	assert_int_equal(w.r, 0);
	struct outcome v = step_in("NFS_TEST_NETNS_B", VERIFY, &dst, w.token);
	assert_int_equal(v.r, -ENOENT);
	assert_non_null(strstr(v.msg, CR_NFS_MARK_PREFIX NAME));
	assert_non_null(strstr(v.msg, getenv("NFS_EXPORT_RO")));
	assert_int_equal(step_in("NFS_TEST_NETNS_A", REMOVE, &src, NULL).r, 0);
	cr_config_free(&src);
	cr_config_free(&dst);
}

/* A server nobody answers for: a one-line error within the stanza's timeout. */
static void unreachable_is_bounded(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_wpar_config cfg;
	config_on(&cfg, getenv("NFS_EXPORT_RW"), "port=1,mountport=1,timeout=2");
	char token[CR_NFS_MARK_TOKEN_LEN + 1];
	memset(token, 'a', CR_NFS_MARK_TOKEN_LEN);
	token[CR_NFS_MARK_TOKEN_LEN] = '\0';
	time_t start = time(NULL);
	struct outcome v = step_in("NFS_TEST_NETNS_B", VERIFY, &cfg, token);
	assert_true(v.r < 0);
	assert_non_null(strstr(v.msg, "unreachable"));
	assert_non_null(strstr(v.msg, "checking the NFS mark of " NAME " on /"));
	assert_true(time(NULL) - start < 20);
	struct outcome w = step_in("NFS_TEST_NETNS_A", WRITE, &cfg, NULL);
	assert_true(w.r < 0);
	assert_int_equal(w.token[0], '\0');
	cr_config_free(&cfg);
}

/* Checks that need no server: a malformed token, no NFS stanza at all. */
static void token_and_no_stanza(void **state)
{
	(void)state;
	struct cr_wpar_config cfg;
	nfs_fixture_config(&cfg, NAME);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_nfs_mark_verify(&cfg, "xyz", &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "malformed"));
	cr_error_clear(&err);
	assert_int_equal(cr_nfs_mark_verify(&cfg, NULL, &err), -EINVAL);
	cr_error_clear(&err);
	char *token = NULL;
	assert_int_equal(cr_nfs_mark_write(&cfg, &token, &err), 0);
	assert_non_null(token);
	assert_int_equal(cr_nfs_mark_verify(&cfg, token, &err), 0);
	assert_int_equal(cr_nfs_mark_remove(&cfg, &err), 0);
	free(token);
	cr_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_and_no_stanza),
		cmocka_unit_test(write_then_verify_elsewhere),
		cmocka_unit_test(other_export_has_no_mark),
		cmocka_unit_test(unreachable_is_bounded),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
