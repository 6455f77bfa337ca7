/* Requests over a real socket pair to cr_server_serve (the local-socket
 * mode, no handshake): the Hello exchange and its version rule (another
 * major refused with both versions named, a newer minor accepted), Ping,
 * PartitionExists, Preflight reasons, an unknown request, and the image
 * hand-over: Prepare with a verified stream, Commit, Abort, a corrupt image
 * refused while the connection stays usable; an image unpacked at once
 * (pipelined, its verdict read by the next call). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>
#include <sys/socket.h>

#include "formats/image_writer.h"
#include "relocate/arrival.h"
#include "relocate/landing.h"
#include "relocate/relocation_record.h"
#include "test_transport_util.h"
#include "transport/client.h"
#include "transport/server.h"
#include "util/fsutil.h"
#include "util/paths.h"

struct srv {
	pthread_t thread;
	struct cr_server_ctx ctx;
	struct cr_peer_info local;
	int fd, result;
	struct cr_error err;
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	s->result = cr_server_serve(&s->ctx, s->fd, true, "test", &s->err);
	return NULL;
}

struct fixture {
	char *root;
	struct srv srv;
	int fds[2];
};

static void start(struct fixture *f, uint32_t server_major)
{
	struct cr_error err = CR_ERROR_INIT;
	unsetenv(CR_PROTO_VERSION_ENV);
	memset(&f->srv, 0, sizeof(f->srv));
	if (cr_peer_info_local(&f->srv.local, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	f->srv.local.proto_major = server_major;
	f->srv.ctx = (struct cr_server_ctx){.local = &f->srv.local, .timeout_ms = T_TIMEOUT_MS,
					    .arrival = &cr_relocate_arrival,
					    .host_key_path = "/nonexistent/host.key",
					    .trust_path = "/nonexistent/trusted-peers"};
	t_socketpair(f->fds);
	f->srv.fd = f->fds[1];
	assert_int_equal(pthread_create(&f->srv.thread, NULL, srv_main, &f->srv), 0);
}

/* Connect a client; returns its result and leaves the error in ERR. */
static int connect_client(struct fixture *f, struct cr_peer **ret, struct cr_error *err)
{
	return cr_peer_open_fd(f->fds[0], "test server", NULL, NULL, T_TIMEOUT_MS, ret, err);
}

static void stop(struct fixture *f, struct cr_peer *p)
{
	if (p)
		cr_peer_close(p); /* closes fds[0]: the server sees a clean end */
	else
		close(f->fds[0]);
	assert_int_equal(pthread_join(f->srv.thread, NULL), 0);
	close(f->fds[1]);
	cr_peer_info_free(&f->srv.local);
	cr_error_clear(&f->srv.err);
	unsetenv(CR_PROTO_VERSION_ENV);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->root = t_fresh_root();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	t_rm_root(f->root);
	free(f);
	return 0;
}

static void test_hello(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	start(f, CR_PROTO_MAJOR);
	if (connect_client(f, &p, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	const struct cr_peer_info *i = cr_peer_hello(p);
	assert_int_equal(i->proto_major, CR_PROTO_MAJOR);
	assert_string_equal(i->corral_version, CORRAL_VERSION);
	assert_non_null(i->arch);
	assert_non_null(i->kernel);
	assert_int_equal(cr_peer_ping(p, &err), 0);
	stop(f, p);
	assert_int_equal(f->srv.result, 0);
}

static void test_client_major_refused(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	start(f, CR_PROTO_MAJOR);
	setenv(CR_PROTO_VERSION_ENV, "2.3", 1);
	assert_int_equal(connect_client(f, &p, &err), -EPROTONOSUPPORT);
	assert_null(p);
	/* Both versions named, on both sides. */
	assert_non_null(strstr(cr_error_msg(&err), "2.3"));
	assert_non_null(strstr(cr_error_msg(&err), "1.x (up to 1.4)"));
	assert_int_equal(pthread_join(f->srv.thread, NULL), 0);
	assert_int_equal(f->srv.result, -EPROTONOSUPPORT);
	assert_non_null(strstr(cr_error_msg(&f->srv.err), "2.3"));
	f->srv.thread = pthread_self();
	close(f->fds[1]);
	cr_peer_info_free(&f->srv.local);
	cr_error_clear(&f->srv.err);
	cr_error_clear(&err);
	unsetenv(CR_PROTO_VERSION_ENV);
}

static void test_server_major_refused(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	start(f, 3);
	/* The server (3.x) refuses the client (1.4) first; the client hears why. */
	assert_int_equal(connect_client(f, &p, &err), -EPROTONOSUPPORT);
	assert_non_null(strstr(cr_error_msg(&err), "protocol version 1.4 is not supported"));
	assert_non_null(strstr(cr_error_msg(&err), "3.x (up to 3."));
	assert_int_equal(pthread_join(f->srv.thread, NULL), 0);
	close(f->fds[1]);
	cr_peer_info_free(&f->srv.local);
	cr_error_clear(&f->srv.err);
	cr_error_clear(&err);
}

static void test_newer_minor_accepted(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	start(f, CR_PROTO_MAJOR);
	setenv(CR_PROTO_VERSION_ENV, "1.9", 1);
	if (connect_client(f, &p, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(cr_peer_ping(p, &err), 0);
	stop(f, p);
}

static void test_requests(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	char *spec_dir = NULL, *spec = NULL;
	assert_int_equal(cr_path(&spec_dir, &err, CR_SPEC_DIR), 0);
	assert_int_equal(cr_mkdir_p(spec_dir, 0755, &err), 0);
	assert_int_equal(cr_path(&spec, &err, CR_SPEC_DIR "/web.spec"), 0);
	assert_int_equal(cr_write_file_atomic(spec, "general:\n\tname = web\n", 21, 0644, &err), 0);
	start(f, CR_PROTO_MAJOR);
	if (connect_client(f, &p, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	bool exists = false;
	assert_int_equal(cr_peer_partition_exists(p, "web", &exists, &err), 0);
	assert_true(exists);
	assert_int_equal(cr_peer_partition_exists(p, "db", &exists, &err), 0);
	assert_false(exists);
	assert_int_equal(cr_peer_partition_exists(p, "a b;c", &exists, &err), -EINVAL);

	char *arch_need = NULL;
	assert_true(asprintf(&arch_need, "arch:%s", cr_peer_hello(p)->arch) > 0);
	const char *good[] = {arch_need, "absent:db", "space:1", "memory:1"};
	char **reasons = NULL;
	size_t n = 9;
	assert_int_equal(cr_peer_preflight(p, NULL, good, 4, &reasons, &n, &err), 0);
	assert_int_equal(n, 0);
	free(reasons);
	const char *bad[] = {"arch:sparc64", "absent:web", "teleport", "cpu:no-such-flag",
			     "space:18000000000000000000", "memory:18000000000000000000", "space:lots"};
	assert_int_equal(cr_peer_preflight(p, "general:\n\tbogus_attribute = 1\n", bad, 7,
					   &reasons, &n, &err), 0);
	assert_int_equal(n, 8);
	assert_non_null(strstr(reasons[1], "sparc64"));
	assert_non_null(strstr(reasons[2], "web already exists"));
	assert_non_null(strstr(reasons[3], "unknown need 'teleport'"));
	assert_non_null(strstr(reasons[4], "no-such-flag"));
	assert_non_null(strstr(reasons[5], "MiB needed"));
	assert_non_null(strstr(reasons[6], "MiB of memory available"));
	assert_non_null(strstr(reasons[7], "bad byte count 'lots'"));
	for (size_t i = 0; i < n; i++)
		free(reasons[i]);
	free(reasons);
	free(arch_need);

	/* A request this server does not know (a newer minor's): refused, and
	 * the connection goes on. */
	Crwire__Envelope unknown = CRWIRE__ENVELOPE__INIT;
	assert_int_equal(cr_peer_call(p, &unknown, NULL, &err), -EOPNOTSUPP);
	assert_int_equal(cr_peer_ping(p, &err), 0);
	stop(f, p);
	assert_int_equal(f->srv.result, 0);
	free(spec);
	free(spec_dir);
	cr_error_clear(&err);
}

static void make_image_spec(struct cr_image_membuf *mb, size_t data_len, const char *spec)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_mem(mb);
	struct cr_image_options o = {.protection = CR_IMAGE_PLAIN, .workers = 1};
	struct cr_image_info info = {.partition = "web", .spec_text = spec, .cpu_features = ""};
	struct cr_image_writer *w = NULL;
	uint8_t *data = malloc(data_len);
	for (size_t i = 0; i < data_len; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(cr_image_writer_open(&io, &o, &info, &w, &err), 0);
	assert_int_equal(cr_image_writer_add_buffer(w, "state", data, data_len, 0600, &err), 0);
	if (cr_image_writer_finish(w, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	cr_image_writer_free(w);
	free(data);
}

static void make_image(struct cr_image_membuf *mb, size_t data_len)
{
	make_image_spec(mb, data_len, NULL);
}

static int send_mem(struct cr_peer *p, const char *name, const struct cr_image_membuf *mb,
		    struct cr_error *err)
{
	int r = cr_peer_image_begin(p, name, mb->len, false, err);
	if (r < 0)
		return r;
	struct cr_image_io out = cr_peer_image_io(p);
	r = cr_io_write_all(&out, mb->data, mb->len, err);
	uint64_t bytes = 0;
	if (r == 0)
		r = cr_peer_image_finish(p, &bytes, err);
	if (r == 0)
		assert_int_equal(bytes, mb->len);
	return r;
}

static void test_image_handover(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	char *path = NULL;
	assert_int_equal(cr_incoming_path("web", &path, &err), 0);
	struct cr_image_membuf img = {0};
	make_image(&img, 3 * CR_PEER_IMAGE_CHUNK + 12345);
	start(f, CR_PROTO_MAJOR);
	if (connect_client(f, &p, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	if (send_mem(p, "web", &img, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	size_t len = 0;
	char *got = NULL;
	assert_int_equal(cr_read_file(path, 1u << 30, &got, &len, &err), 0);
	assert_int_equal(len, img.len);
	assert_memory_equal(got, img.data, len);
	free(got);
	assert_int_equal(cr_peer_commit(p, "web", NULL, &err), 0);
	assert_int_equal(cr_path_exists(path), 1);
	assert_int_equal(cr_peer_abort(p, "web", &err), 0);
	assert_int_equal(cr_path_exists(path), 0);
	assert_int_equal(cr_peer_commit(p, "web", NULL, &err), -ENOENT);

	/* A corrupt image is refused, nothing is kept, the connection goes on. */
	img.data[img.len / 2] ^= 0x40;
	assert_true(send_mem(p, "web", &img, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), "image not accepted"));
	assert_int_equal(cr_path_exists(path), 0);
	/* So is a cut one. */
	img.data[img.len / 2] ^= 0x40;
	img.len -= 100;
	assert_true(send_mem(p, "web", &img, &err) < 0);
	assert_int_equal(cr_path_exists(path), 0);
	assert_int_equal(cr_peer_ping(p, &err), 0);
	/* And a name that is not a partition name, before any byte is sent. */
	assert_int_equal(cr_peer_image_begin(p, "../etc", 0, false, &err), -EINVAL);
	assert_int_equal(cr_peer_ping(p, &err), 0);
	stop(f, p);
	assert_int_equal(f->srv.result, 0);
	cr_image_membuf_free(&img);
	free(path);
	cr_error_clear(&err);
}

/* Send MB to be unpacked, pipelined (protocol 1.2): no go-ahead waited
 * for, the verdict left to the next call. */
static int send_at_once(struct cr_peer *p, const char *name, const struct cr_image_membuf *mb, struct cr_error *err)
{
	int r = cr_peer_image_begin(p, name, mb->len, true, err);
	struct cr_image_io out = cr_peer_image_io(p);
	if (r == 0)
		r = cr_io_write_all(&out, mb->data, mb->len, err);
	uint64_t bytes = 0;
	if (r == 0 && (r = cr_peer_image_end(p, &bytes, err)) == 0)
		assert_int_equal(bytes, mb->len);
	return r;
}

/* An image to unpack streams at once and its verdict is read by the next
 * call: a good one is unpacked; a corrupt one, or one whose Prepare is
 * refused (its chunks then read and dropped), fails that next call, and the
 * connection stays in step for the one after. */
static void test_image_pipelined(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	char *unpacked = NULL, *spec = NULL, *record = NULL;
	assert_int_equal(cr_unpacked_path("web", &unpacked, &err), 0);
	assert_true(asprintf(&spec, "%s/spec", unpacked) > 0);
	assert_int_equal(cr_relocation_record_path("web", &record, &err), 0);
	struct cr_image_membuf img = {0};
	make_image_spec(&img, 2 * CR_PEER_IMAGE_CHUNK + 777, "general:\n\tname = web\n");
	start(f, CR_PROTO_MAJOR);
	if (connect_client(f, &p, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	if (send_at_once(p, "web", &img, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	if (cr_peer_ping(p, &err) < 0) /* reads the image's verdict first */
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(cr_path_exists(spec), 1);
	cr_unpacked_remove("web");

	img.data[img.len / 2] ^= 0x40;
	assert_int_equal(send_at_once(p, "web", &img, &err), 0);
	assert_true(cr_peer_ping(p, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), "image not accepted"));
	cr_error_clear(&err);
	assert_int_equal(cr_path_exists(unpacked), 0);
	assert_int_equal(cr_peer_ping(p, &err), 0);

	/* Refused before a byte is read: a relocation of web is pending here. */
	img.data[img.len / 2] ^= 0x40;
	char *dir = strdup(record);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(cr_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(cr_write_file_atomic(record, "peer a\n", 7, 0600, &err), 0);
	assert_int_equal(send_at_once(p, "web", &img, &err), 0);
	assert_int_equal(cr_peer_collect(p, &err), -EBUSY);
	assert_non_null(strstr(cr_error_msg(&err), "already in progress"));
	cr_error_clear(&err);
	assert_int_equal(cr_peer_ping(p, &err), 0);
	assert_int_equal(cr_path_exists(unpacked), 0);
	(void)unlink(record);
	stop(f, p);
	assert_int_equal(f->srv.result, 0);
	cr_image_membuf_free(&img);
	free(dir);
	free(unpacked);
	free(spec);
	free(record);
}

/* A peer that refused a pipelined request and then closed: the next
 * send breaks, and the error is the refusal it sent, not the broken pipe
 * (movewpar said "Broken pipe" when B refused a Prepare and went away). */
static void test_refusal_before_close_is_the_error(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	char *record = NULL;
	assert_int_equal(cr_relocation_record_path("web", &record, &err), 0);
	char *dir = strdup(record);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(cr_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(cr_write_file_atomic(record, "peer a\n", 7, 0600, &err), 0);
	struct cr_image_membuf img = {0};
	make_image_spec(&img, 777, "general:\n\tname = web\n");
	start(f, CR_PROTO_MAJOR);
	if (connect_client(f, &p, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(send_at_once(p, "web", &img, &err), 0);
	struct pollfd pf = {.fd = f->fds[0], .events = POLLIN};
	assert_int_equal(poll(&pf, 1, T_TIMEOUT_MS), 1); /* its refusal is here */
	assert_int_equal(shutdown(f->fds[1], SHUT_RDWR), 0); /* and it went away */
	assert_true(cr_peer_ping(p, &err) < 0);
	if (!strstr(cr_error_msg(&err), "already in progress"))
		fail_msg("the error is not the peer's refusal: %s", cr_error_msg(&err));
	cr_error_clear(&err);
	(void)unlink(record);
	stop(f, p);
	cr_image_membuf_free(&img);
	free(dir);
	free(record);
}

/* A relocation's Commit repeated (its first answer lost) is answered as
 * done; a Commit naming another relocation, or one not known here, is not. */
static void test_commit_repeated(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	char *record = NULL, *dir = NULL;
	const char *id = "0123456789abcdef0123456789abcdef";
	const char *text = "defined 0\nrootfs \npeer a\nid 0123456789abcdef0123456789abcdef\n";
	assert_int_equal(cr_relocation_record_path("web", &record, &err), 0);
	assert_int_equal(cr_path_name(&dir, CR_STATE_DIR, "web", "", &err), 0);
	assert_int_equal(cr_mkdir_p(dir, 0700, &err), 0);
	*strrchr(record, '/') = '\0';
	assert_int_equal(cr_mkdir_p(record, 0700, &err), 0);
	record[strlen(record)] = '/';
	assert_int_equal(cr_write_file_atomic(record, text, strlen(text), 0600, &err), 0);
	start(f, CR_PROTO_MAJOR);
	if (connect_client(f, &p, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(cr_peer_commit(p, "web", "feed", &err), -ESTALE);
	cr_error_clear(&err);
	assert_int_equal(cr_path_exists(record), 1);
	if (cr_peer_commit(p, "web", id, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(cr_path_exists(record), 0);
	if (cr_peer_commit(p, "web", id, &err) < 0)
		fail_msg("repeated commit refused: %s", cr_error_msg(&err));
	assert_int_equal(cr_peer_commit(p, "web", "feed", &err), -ENOENT);
	cr_error_clear(&err);
	assert_int_equal(cr_peer_commit(p, "db", id, &err), -ENOENT);
	cr_error_clear(&err);
	stop(f, p);
	assert_int_equal(f->srv.result, 0);
	free(record);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_major_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_major_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_minor_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_before_close_is_the_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_repeated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
