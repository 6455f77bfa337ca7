/* corrald's listening sockets: the Unix socket is 0600 and only root's; a
 * stale socket file is replaced, a live one is not taken over; the TCP
 * listener takes an IP literal with or without a port and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/un.h>

#include "test_transport_util.h"
#include "transport/daemon_internal.h"

static void test_unix_socket(void **state)
{
	(void)state;
	char *root = t_fresh_root();
	struct cr_error err = CR_ERROR_INIT;
	char *path = NULL;
	assert_int_equal(cr_corrald_socket_path(&path, &err), 0);
	assert_non_null(strstr(path, root));
	int fd = -1;
	if (cr_daemon_listen_unix(path, &fd, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A second daemon must not steal a live socket. */
	int fd2 = -1;
	assert_int_equal(cr_daemon_listen_unix(path, &fd2, &err), -EADDRINUSE);
	assert_non_null(strstr(cr_error_msg(&err), "another corrald"));
	/* Once the first is gone, its socket file is stale and replaced. */
	close(fd);
	if (cr_daemon_listen_unix(path, &fd2, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	close(fd2);
	cr_error_clear(&err);
	free(path);
	t_rm_root(root);
}

static void test_tcp_listen(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	int fd = -1;
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", 20000 + (int)(getpid() % 20000));
	if (cr_daemon_listen_tcp(addr, &fd, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	/* A second listener on the same address fails and says where. */
	int fd2 = -1;
	assert_true(cr_daemon_listen_tcp(addr, &fd2, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), addr));
	close(fd);
	assert_int_equal(cr_daemon_listen_tcp("localhost:7711", &fd, &err), -EINVAL);
	assert_int_equal(cr_daemon_listen_tcp("127.0.0.1:0x10", &fd, &err), -EINVAL);
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_tcp_listen),
	};
	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
