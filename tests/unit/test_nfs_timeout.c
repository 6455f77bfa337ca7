/* No NFS call hangs: a server that accepts connections and never answers
 * makes the probe and the FUSE client fail within their timeout, with a
 * message naming the export (no NFS server needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfs/nfs.h"

/* A listening socket on 127.0.0.1 that never accepts: the kernel completes
 * the handshakes, nobody ever answers. */
static int silent_server(int *ret_port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*ret_port = ntohs(a.sin_port);
	return fd;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void probe_of_a_silent_server_times_out(void **state)
{
	(void)state;
	int port;
	int fd = silent_server(&port);
	char opts_text[96];
	snprintf(opts_text, sizeof(opts_text), "port=%d,mountport=%d,timeout=2", port, port);
	struct cr_nfs_options o;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_nfs_options_parse(opts_text, &o, &err), 0);
	struct cr_nfs_export_info info;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = cr_nfs_probe_export("127.0.0.1", "/silent", &o, &info, &err);
	double took = seconds_since(&t0);
	assert_true(r == -ETIMEDOUT || r == -EHOSTUNREACH);
	assert_non_null(strstr(cr_error_msg(&err), "127.0.0.1:/silent: server unreachable"));
	assert_true(took >= 1.0 && took < 10.0);
	cr_error_clear(&err);
	close(fd);
}

static void fuse_mount_of_a_silent_server_fails_in_time(void **state)
{
	(void)state;
	int port;
	int fd = silent_server(&port);
	char opts_text[96];
	snprintf(opts_text, sizeof(opts_text), "port=%d,mountport=%d,timeout=1", port, port);
	struct cr_mount m = {.directory = "/home", .vfs = "nfs", .host = "127.0.0.1", .dev = "/silent",
			     .mountopts = opts_text};
	char mp[] = "/tmp/corral-nfs-silent.XXXXXX";
	assert_non_null(mkdtemp(mp));
	struct cr_error err = CR_ERROR_INIT;
	pid_t server = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = cr_nfs_fuse_mount(&m, mp, &server, &err);
	double took = seconds_since(&t0);
	assert_true(r < 0);
	assert_non_null(strstr(cr_error_msg(&err), "127.0.0.1:/silent"));
	assert_int_equal(server, 0);
	assert_true(took < 15.0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* the server process is reaped */
	assert_int_equal(rmdir(mp), 0);                   /* and nothing is mounted there */
	cr_error_clear(&err);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_of_a_silent_server_times_out),
		cmocka_unit_test(fuse_mount_of_a_silent_server_fails_in_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
