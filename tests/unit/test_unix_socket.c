/* Descriptors passed over Unix sockets (util/unix_socket.h): the bytes that
 * go with one are bounded, and a receiver gets exactly one descriptor with
 * exactly the bytes it asked for, or an error and no descriptor left open
 * (several descriptors, cut control data, too few bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/unix_socket.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void pair(int sp[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
}

/* Raw: LEN bytes with NFDS copies of FD in one message. */
static void send_raw(int sock, const void *data, size_t len, int fd, int nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	for (int i = 0; i < nfds; i++)
		memcpy(CMSG_DATA(c) + (size_t)i * sizeof(int), &fd, sizeof(int));
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)len);
}

static void test_one_descriptor_with_its_bytes(void **state)
{
	(void)state;
	int sp[2], fd = -1;
	pair(sp);
	char big[CR_UNIX_FD_DATA_MAX], got[CR_UNIX_FD_DATA_MAX];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_unix_send_fd(sp[0], big, sizeof(big), sp[0], &err), 0);
	assert_int_equal(cr_unix_recv_fd(sp[1], 1000, got, sizeof(got), &fd, &err), 0);
	assert_memory_equal(big, got, sizeof(big));
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(sp[0]);
	close(sp[1]);
}

static void test_the_length_is_bounded(void **state)
{
	(void)state;
	int sp[2], fd = -1;
	pair(sp);
	static char big[CR_UNIX_FD_DATA_MAX + 1];
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_unix_send_fd(sp[0], big, sizeof(big), sp[0], &err), -EMSGSIZE);
	cr_error_clear(&err);
	assert_int_equal(cr_unix_send_fd(sp[0], big, 0, sp[0], &err), -EMSGSIZE);
	cr_error_clear(&err);
	assert_int_equal(cr_unix_recv_fd(sp[1], 10, big, sizeof(big), &fd, &err), -EMSGSIZE);
	cr_error_clear(&err);
	assert_int_equal(fd, -1);
	close(sp[0]);
	close(sp[1]);
}

/* Two descriptors, or four (more than the receiver's control room: the
 * kernel cuts them, MSG_CTRUNC): refused, none of them kept open. */
static void test_extra_descriptors_are_refused_and_closed(void **state)
{
	(void)state;
	for (int nfds = 2; nfds <= 4; nfds += 2) {
		int sp[2], fd = -1;
		pair(sp);
		int before = open_fds();
		char data[16] = "sixteen bytes...", got[16];
		send_raw(sp[0], data, sizeof(data), sp[0], nfds);
		struct cr_error err = CR_ERROR_INIT;
		assert_int_equal(cr_unix_recv_fd(sp[1], 1000, got, sizeof(got), &fd, &err), -EPROTO);
		assert_non_null(strstr(cr_error_msg(&err), nfds == 2 ? "more than one" : "cut"));
		cr_error_clear(&err);
		assert_int_equal(fd, -1);
		assert_int_equal(open_fds(), before);
		close(sp[0]);
		close(sp[1]);
	}
}

static void test_too_few_bytes_or_no_descriptor(void **state)
{
	(void)state;
	int sp[2], fd = -1;
	pair(sp);
	int before = open_fds();
	char got[32];
	struct cr_error err = CR_ERROR_INIT;
	send_raw(sp[0], "short", 5, sp[0], 1);
	assert_int_equal(cr_unix_recv_fd(sp[1], 1000, got, sizeof(got), &fd, &err), -EPROTO);
	cr_error_clear(&err);
	assert_int_equal(open_fds(), before);
	assert_int_equal(write(sp[0], got, sizeof(got)), (ssize_t)sizeof(got));
	assert_int_equal(cr_unix_recv_fd(sp[1], 1000, got, sizeof(got), &fd, &err), -EPROTO);
	assert_non_null(strstr(cr_error_msg(&err), "no descriptor"));
	cr_error_clear(&err);
	close(sp[0]);
	assert_int_equal(cr_unix_recv_fd(sp[1], 1000, got, sizeof(got), &fd, &err), -EPROTO);
	cr_error_clear(&err);
	assert_int_equal(cr_unix_recv_fd(sp[1], 0, got, sizeof(got), &fd, &err), -EPROTO);
	cr_error_clear(&err);
	assert_int_equal(fd, -1);
	close(sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_descriptor_with_its_bytes),
		cmocka_unit_test(test_the_length_is_bounded),
		cmocka_unit_test(test_extra_descriptors_are_refused_and_closed),
		cmocka_unit_test(test_too_few_bytes_or_no_descriptor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
