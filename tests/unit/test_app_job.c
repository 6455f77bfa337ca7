/* wparexec -c jobs: how a job ended is recorded and read back (a checkpoint
 * by chkptwpar -k only when the partition log says so after the mark), bad
 * records are refused, and the relay copies what the output file gains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "partition/app_job.h"
#include "partition/lifecycle.h"
#include "util/fsutil.h"

static char tmp_root[] = "/tmp/corral-test-app-job-XXXXXX";

/* A wait(2) status: exited with CODE, or killed by SIG. */
static int exited(int code)
{
	return (code & 0xff) << 8;
}

static int killed(int sig)
{
	return sig & 0x7f;
}

static void exit_status_round_trips(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_app_job_end end;
	assert_int_equal(cr_app_job_record_end("j1", exited(7), cr_app_job_log_mark("j1"), &err), 0);
	assert_int_equal(cr_app_job_read_end("j1", &end, &err), 0);
	assert_false(end.checkpointed);
	assert_int_equal(end.exit_code, 7);
	assert_true(WIFEXITED(exited(7)) && WEXITSTATUS(exited(7)) == 7);

	/* Killed, with no checkpoint in the log: 128 + the signal. */
	assert_int_equal(cr_app_job_record_end("j1", killed(SIGKILL), cr_app_job_log_mark("j1"), &err), 0);
	assert_int_equal(cr_app_job_read_end("j1", &end, &err), 0);
	assert_false(end.checkpointed);
	assert_int_equal(end.exit_code, 128 + SIGKILL);

	cr_app_job_clear_end("j1");
	assert_int_equal(cr_app_job_read_end("j1", &end, &err), -ENOENT);
	cr_error_clear(&err);
}

static void checkpoint_counts_only_after_the_mark(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_app_job_end end;
	cr_partition_log("j2", "checkpointed; ending the partition (-k)");
	off_t mark = cr_app_job_log_mark("j2");
	assert_true(mark > 0);
	/* An earlier run's checkpoint does not make this kill one. */
	assert_int_equal(cr_app_job_record_end("j2", killed(SIGKILL), mark, &err), 0);
	assert_int_equal(cr_app_job_read_end("j2", &end, &err), 0);
	assert_false(end.checkpointed);

	cr_partition_log("j2", "checkpointed; ending the partition (-k)");
	assert_int_equal(cr_app_job_record_end("j2", killed(SIGKILL), mark, &err), 0);
	assert_int_equal(cr_app_job_read_end("j2", &end, &err), 0);
	assert_true(end.checkpointed);

	/* A command that exited on its own was not taken away, whatever the log says. */
	assert_int_equal(cr_app_job_record_end("j2", exited(3), mark, &err), 0);
	assert_int_equal(cr_app_job_read_end("j2", &end, &err), 0);
	assert_false(end.checkpointed);
	assert_int_equal(end.exit_code, 3);
	cr_error_clear(&err);
}

static void write_end(const char *name, const char *text)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/var/lib/corral/%s/end", tmp_root, name) > 0);
	assert_int_equal(cr_write_file_atomic(path, text, strlen(text), 0600, NULL), 0);
	free(path);
}

static void bad_records_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {"", "exit\n", "exit 256\n", "exit -1\n", "exit 7x\n", "exit 7", "done\n", "checkpointed"};
	struct cr_error err = CR_ERROR_INIT;
	struct cr_app_job_end end = {.exit_code = 42};
	assert_int_equal(cr_app_job_output_prepare("j3", NULL, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_end("j3", bad[i]);
		assert_int_equal(cr_app_job_read_end("j3", &end, &err), -EINVAL);
		assert_non_null(strstr(cr_error_msg(&err), "/j3/end"));
		cr_error_clear(&err);
	}
	assert_int_equal(end.exit_code, 42); /* untouched on failure */
}

static void relay_copies_what_the_output_gains(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *output = NULL;
	off_t size = -1;
	assert_int_equal(cr_app_job_output_prepare("j4", &size, &err), 0);
	assert_int_equal(size, 0);
	assert_int_equal(cr_app_job_output_path("j4", &output, &err), 0);
	int out = open(output, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(out >= 0);
	assert_int_equal(write(out, "shown before\n", 13), 13);

	int seen[2], stop[2];
	assert_int_equal(pipe(seen), 0);
	assert_int_equal(pipe(stop), 0);
	assert_int_equal(write(out, "new line\n", 9), 9);
	close(stop[1]); /* already ended: the relay copies what is there and returns */
	off_t offset = 13;
	cr_app_job_relay(output, &offset, seen[1], stop[0]);
	close(seen[1]);
	char buf[64] = {0};
	assert_int_equal(read(seen[0], buf, sizeof(buf) - 1), 9);
	assert_string_equal(buf, "new line\n");
	assert_int_equal(offset, 22);

	/* In a child: it goes on until told to stop, then copies the rest. */
	int seen2[2];
	assert_int_equal(pipe(seen2), 0);
	struct cr_app_job_relayer r;
	assert_int_equal(cr_app_job_relay_start(output, offset, seen2[1], &r, &err), 0);
	close(seen2[1]);
	assert_int_equal(write(out, "later\n", 6), 6);
	cr_app_job_relay_stop(&r);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(seen2[0], buf, sizeof(buf) - 1), 6);
	assert_string_equal(buf, "later\n");
	close(seen[0]), close(seen2[0]), close(stop[0]), close(out);
	free(output);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmp_root))
		return -1;
	setenv("CORRAL_ROOT", tmp_root, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return cr_rm_rf(tmp_root, NULL) < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_status_round_trips),
		cmocka_unit_test(checkpoint_counts_only_after_the_mark),
		cmocka_unit_test(bad_records_are_refused),
		cmocka_unit_test(relay_copies_what_the_output_gains),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
