/* An image is a stream: written into one end of a socket pair by a thread
 * while the other end is read and verified, with no seeking; a peer that
 * goes away is an error (EPIPE), not a SIGPIPE that kills the process; a
 * peer that stalls is a timeout, not a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/socket.h>

#include "test_image_util.h"

static uint8_t payload[1 << 20];

struct writer_arg {
	int fd;
	int result;
	char *msg;
};

static void *write_image(void *p)
{
	struct writer_arg *a = p;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_fd(a->fd);
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	struct cr_image_writer *w = NULL;
	a->result = cr_image_writer_open(&io, &opts, NULL, &w, &err);
	if (a->result == 0)
		a->result = cr_image_writer_add_buffer(w, "pages", payload, sizeof(payload), 0600,
						       &err);
	if (a->result == 0)
		a->result = cr_image_writer_finish(w, &err);
	cr_image_writer_free(w);
	a->msg = err.msg;
	shutdown(a->fd, SHUT_WR);
	return NULL;
}

static int on_data(void *ctx, const struct cr_image_entry *e, const void *data, size_t len,
		   struct cr_error *err)
{
	(void)e;
	(void)err;
	size_t *off = ctx;
	assert_memory_equal(data, payload + *off, len);
	*off += len;
	return 0;
}

static void image_through_a_socket(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	t_fill(payload, sizeof(payload), 11);
	struct writer_arg a = {.fd = sv[0]};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, write_image, &a), 0);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_fd(sv[1]);
	struct cr_image_reader *r = NULL;
	size_t off = 0;
	struct cr_image_visitor v = {NULL, on_data, NULL, &off};
	struct cr_image_trailer tr;
	if (cr_image_reader_open(&io, NULL, &r, &err) < 0 ||
	    cr_image_reader_read_all(r, &v, 0, &tr, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(off, sizeof(payload));
	assert_int_equal(tr.data_bytes, sizeof(payload));
	cr_image_reader_free(r);
	pthread_join(t, NULL);
	assert_int_equal(a.result, 0);
	free(a.msg);
	close(sv[0]);
	close(sv[1]);
}

static void closed_peer_is_an_error(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	struct writer_arg a = {.fd = sv[0]};
	write_image(&a);
	assert_int_equal(a.result, -EPIPE);
	assert_non_null(strstr(a.msg, "cannot write image"));
	free(a.msg);
	close(sv[0]);
}

static void stalled_peer_times_out(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(write(sv[0], "\x89" "CRL", 4), 4); /* then nothing more */
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_fd_timeout(sv[1], 200);
	struct cr_image_reader *r = NULL;
	t_expect_error(cr_image_reader_open(&io, NULL, &r, &err), &err, "no progress for 200 ms");
	assert_int_equal(err.code, ETIMEDOUT);
	cr_error_clear(&err);
	close(sv[0]);
	close(sv[1]);
}

/* A write bigger than the socket's room must not block past the timeout
 * (a blocking send waits for all of it: forever when the peer is gone). */
static void stalled_reader_times_out_a_big_write(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	size_t len = 8u << 20;
	char *buf = calloc(1, len);
	assert_non_null(buf);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_fd_timeout(sv[0], 200);
	alarm(20); /* a hang ends the test instead of the ctest timeout */
	t_expect_error(cr_io_write_all(&io, buf, len, &err), &err, "no progress for 200 ms");
	alarm(0);
	assert_int_equal(err.code, ETIMEDOUT);
	cr_error_clear(&err);
	free(buf);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_through_a_socket),
		cmocka_unit_test(closed_peer_is_an_error),
		cmocka_unit_test(stalled_peer_times_out),
		cmocka_unit_test(stalled_reader_times_out_a_big_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
