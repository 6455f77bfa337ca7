/* The streamers against a stand-in for CRIU speaking its protocol
 * (criu/img-streamer.c). Capture: two files open at once, written in turns
 * through their pipes, come out whole in the streamed image; a dump that
 * failed, a CRIU that never came, a file left open and bad requests are
 * errors; an image that cannot be written still drains CRIU. Serve: files asked for in any order, several open at once, come
 * back byte for byte from the image; a file not in it is answered so; a
 * file offered over two pipes (CRIU patch 0011) is taken so and comes back
 * byte for byte when its pipes are read in turns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "formats/image_stream_writer.h"
#include "stream/capture.h"
#include "stream/serve.h"
#include "stream/streamer_proto.h"
#include "test_fd_util.h"
#include "test_image_util.h"

struct fixture {
	char *dir, *image;
	int image_fd;
	struct cr_image_stream_writer *sw;
	struct cr_capture *cap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = t_mkdtemp();
	f->image = t_join(f->dir, "img.crimg");
	f->image_fd = open(f->image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(f->image_fd >= 0);
	struct cr_image_io io = cr_image_io_fd(f->image_fd);
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	struct cr_image_info info = {.partition = "p", .hostname = "h", .kernel = "k", .arch = "a", .cpu_features = ""};
	struct cr_error err = CR_ERROR_INIT;
	if (cr_image_stream_open(&io, &opts, &info, &f->sw, &err) < 0 ||
	    cr_capture_start(f->dir, "criu", f->sw, &f->cap, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cr_capture_free(f->cap);
	cr_image_stream_free(f->sw);
	close(f->image_fd);
	t_rm_rf(f->dir);
	free(f->dir);
	free(f->image);
	free(f);
	return 0;
}

/* CRIU's side: connect, and per file a request and a pipe's write end. */
static int criu_connect_to(const char *dir, const char *sock)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, sock);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return s;
}

static int criu_connect(const char *dir)
{
	return criu_connect_to(dir, CR_STREAMER_CAPTURE_SOCK);
}

static void send_raw(int s, const void *data, size_t len)
{
	assert_int_equal(send(s, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Ask for NAME (protobuf field 1, a string). */
static void criu_request(int s, const char *name)
{
	uint8_t msg[300];
	size_t n = strlen(name);
	msg[4] = 0x0a;
	msg[5] = (uint8_t)n;
	memcpy(msg + 6, name, n);
	uint32_t size = (uint32_t)(2 + n);
	memcpy(msg, &size, 4);
	send_raw(s, msg, 6 + n);
}

static size_t put_varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;
	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

/* Ask for NAME over PIPES pipes in turns of CHUNK bytes (fields 2 and 3). */
static void criu_request_pipes(int s, const char *name, uint32_t pipes, uint32_t chunk)
{
	uint8_t msg[320];
	size_t n = strlen(name), len = 2 + n;
	msg[4] = 0x0a;
	msg[5] = (uint8_t)n;
	memcpy(msg + 6, name, n);
	msg[4 + len++] = 0x10;
	len += put_varint(msg + 4 + len, pipes);
	msg[4 + len++] = 0x18;
	len += put_varint(msg + 4 + len, chunk);
	uint32_t size = (uint32_t)len;
	memcpy(msg, &size, 4);
	send_raw(s, msg, 4 + len);
}

/* Hand over one end of a new pipe (WRITER: its write end, as a dump does)
 * and return the other. */
static int criu_pipe(int s, bool writer)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char dummy = 0;
	struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[writer ? 0 : 1], sizeof(int));
	assert_int_equal(sendmsg(s, &mh, MSG_NOSIGNAL), 1);
	close(p[writer ? 0 : 1]);
	return p[writer ? 1 : 0];
}

/* Dump: a file's request and its pipe's write end. */
static int criu_open(int s, const char *name)
{
	criu_request(s, name);
	return criu_pipe(s, true);
}

static void interleaved_files_come_out_whole(void **state)
{
	struct fixture *f = *state;
	size_t big = 3u << 20, small = 9000;
	uint8_t *a = malloc(big), *b = malloc(small);
	t_fill(a, big, 5);
	t_fill(b, small, 6);
	int s = criu_connect(f->dir);
	int pa = criu_open(s, "pages-1.img");
	int pb = criu_open(s, "pagemap-1.img");
	for (size_t i = 0; i < 30; i++) {
		t_write_all(pa, a + i * (big / 30), big / 30);
		t_write_all(pb, b + i * (small / 30), small / 30);
	}
	close(pa);
	close(pb);
	int pi = criu_open(s, "inventory.img");
	t_write_all(pi, (const uint8_t *)"inventory", 9);
	close(pi);
	close(s);
	struct cr_error err = CR_ERROR_INIT;
	/* Taken (the partition may thaw), then everything in the image. */
	if (cr_capture_taken(f->cap, 5000, &err) < 0 || cr_capture_finish(f->cap, true, 5000, &err) < 0 ||
	    cr_image_stream_finish(f->sw, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(cr_capture_files(f->cap), 3);
	assert_int_equal(cr_capture_bytes(f->cap), big / 30 * 30 + small / 30 * 30 + 9);
	int fd = open(f->image, O_RDONLY | O_CLOEXEC);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_reader *r = NULL;
	if (cr_image_reader_open(&io, NULL, &r, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	assert_int_equal(m->n_entries, 3);
	uint8_t *got = malloc(big);
	size_t n = 0;
	for (size_t e = 0; e < m->n_entries; e++) {
		const uint8_t *want = strstr(m->entries[e].path, "pages") ? a : strstr(m->entries[e].path, "pagemap") ? b
												: (const uint8_t *)"inventory";
		assert_int_equal(cr_image_file_pread(r, e, 0, got, big, &n, &err), 0);
		assert_int_equal(n, m->entries[e].size);
		assert_memory_equal(got, want, n);
	}
	assert_non_null(strstr(m->entries[2].path, "criu/inventory.img"));
	cr_image_reader_free(r);
	close(fd);
	free(got);
	free(a);
	free(b);
}

static void failed_dump_and_absent_criu_are_errors(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	t_expect_error(cr_capture_finish(f->cap, true, 1000, &err), &err, "criu did not stream its images");
	cr_capture_free(f->cap);
	assert_int_equal(cr_capture_start(f->dir, "criu", f->sw, &f->cap, &err), 0);
	int s = criu_connect(f->dir);
	int p = criu_open(s, "core-1.img");
	t_expect_error(cr_capture_finish(f->cap, false, 1000, &err), &err, "the dump failed");
	close(p);
	close(s);
	cr_error_clear(&err);
}

/* An image write that fails after a quarter MiB (a relocation's peer gone). */
static ssize_t failing_write(void *ctx, const void *buf, size_t len, struct cr_error *err)
{
	size_t *left = ctx;
	(void)buf;
	if (*left == 0)
		return cr_error_set(err, ECONNRESET, "the peer went away");
	size_t n = len < *left ? len : *left;
	*left -= n;
	return (ssize_t)n;
}

/* Once the image cannot be written CRIU's bytes are still drained (CRIU
 * ends its dump as it would have, never stuck on a full pipe), and the
 * capture's outcome is that first error. */
static void a_broken_image_still_drains_criu(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	cr_capture_free(f->cap);
	cr_image_stream_free(f->sw);
	size_t left = 256 * 1024;
	struct cr_image_io io = {.write = failing_write, .ctx = &left, .fd = -1};
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	struct cr_image_info info = {.partition = "p", .hostname = "h", .kernel = "k", .arch = "a", .cpu_features = ""};
	if (cr_image_stream_open(&io, &opts, &info, &f->sw, &err) < 0 ||
	    cr_capture_start(f->dir, "criu", f->sw, &f->cap, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	size_t big = 8u << 20;
	uint8_t *a = malloc(big);
	t_fill(a, big, 7);
	int s = criu_connect(f->dir);
	int pa = criu_open(s, "pages-1.img");
	t_write_all(pa, a, big); /* 8 MiB through a 1 MiB pipe: drained throughout */
	close(pa);
	int pi = criu_open(s, "inventory.img");
	t_write_all(pi, (const uint8_t *)"inventory", 9);
	close(pi);
	close(s);
	t_expect_error(cr_capture_finish(f->cap, true, 5000, &err), &err, "the peer went away");
	assert_int_equal(cr_capture_files(f->cap), 2);
	free(a);
	cr_error_clear(&err);
}

static void file_left_open_times_out(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	int s = criu_connect(f->dir);
	int p = criu_open(s, "core-1.img");
	close(s);
	t_expect_error(cr_capture_finish(f->cap, true, 300, &err), &err, "1 of its image files stayed open");
	close(p);
	cr_error_clear(&err);
}

static void bad_requests_are_refused(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *name = NULL;
	static const uint8_t slash[] = {0x0a, 4, '.', '.', '/', 'x'};
	t_expect_error(cr_streamer_parse_request(slash, sizeof(slash), &name, &err), &err, "bad name");
	static const uint8_t dots[] = {0x0a, 2, '.', '.'};
	t_expect_error(cr_streamer_parse_request(dots, sizeof(dots), &name, &err), &err, "bad name");
	static const uint8_t junk[] = {0xff, 0xff, 0xff};
	t_expect_error(cr_streamer_parse_request(junk, sizeof(junk), &name, &err), &err, "not a valid message");
	/* pages-1.img over 5 pipes; over 2 in turns of 4 KiB (too small), of 1 MiB + 1 (not whole pages) */
	static const uint8_t five[] = {0x0a, 1, 'p', 0x10, 5, 0x18, 0x80, 0x80, 0x40};
	t_expect_error(cr_streamer_parse_request(five, sizeof(five), &name, &err), &err, "over 5 pipes");
	static const uint8_t small[] = {0x0a, 1, 'p', 0x10, 2, 0x18, 0x80, 0x20};
	t_expect_error(cr_streamer_parse_request(small, sizeof(small), &name, &err), &err, "in turns of 4096");
	static const uint8_t odd[] = {0x0a, 1, 'p', 0x10, 2, 0x18, 0x81, 0x80, 0x40};
	t_expect_error(cr_streamer_parse_request(odd, sizeof(odd), &name, &err), &err, "in turns of 1048577");
	struct cr_streamer_in in;
	cr_streamer_in_init(&in);
	uint32_t huge = 100000;
	memcpy(in.buf, &huge, 4);
	in.len = 4;
	t_expect_error(cr_streamer_take_request(&in, &name, &err), &err, "exceeds");
	static const uint8_t ok[] = {6, 0, 0, 0, 0x0a, 4, 'a', '.', 'i', 'm', 0};
	cr_streamer_in_init(&in);
	memcpy(in.buf, ok, sizeof(ok));
	in.len = sizeof(ok);
	assert_int_equal(cr_streamer_take_request(&in, &name, &err), 1);
	assert_string_equal(name, "a.im");
	free(name);
	int fd = -1;
	t_expect_error(cr_streamer_take_fd(&in, &fd, &err), &err, "no pipe");
	cr_error_clear(&err);
}

/* Restore: the streamer's answer (u32 length, Reply {exists}). */
static bool criu_exists(int s)
{
	uint8_t b[6];
	t_read_all(s, b, sizeof(b));
	uint32_t size;
	memcpy(&size, b, 4);
	assert_int_equal(size, 2);
	assert_int_equal(b[4], 0x08);
	return b[5] != 0;
}

/* Restore, a request over several pipes: the streamer's answer must be
 * Reply {exists = 1, pipes = PIPES}, taking the offer. */
static void criu_exists_over(int s, uint8_t pipes)
{
	uint8_t b[8];
	t_read_all(s, b, sizeof(b));
	static const uint8_t size4[] = {4, 0, 0, 0};
	assert_memory_equal(b, size4, 4);
	const uint8_t want[] = {0x08, 1, 0x10, pipes};
	assert_memory_equal(b + 4, want, 4);
}

static uint8_t *read_pipe(int fd, size_t *ret_len)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(fd, buf + len, cap - len);
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*ret_len = len;
	return buf;
}

/* Invert a byte inside the first chunk of entry PATH of the image FILE
 * (reader R, opened on it); returns the entry's number. */
static size_t damage_entry(const char *file, struct cr_image_reader *r, const char *path)
{
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	size_t e = 0;
	while (e < m->n_entries && strcmp(m->entries[e].path, path) != 0)
		e++;
	assert_true(e < m->n_entries);
	size_t c = 0;
	while (c < m->n_chunks && m->chunks[c].entry != e)
		c++;
	assert_true(c < m->n_chunks);
	int fd = open(file, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	uint8_t b = 0;
	off_t at = (off_t)m->chunks[c].offset + 6; /* past the length, inside the record */
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b = (uint8_t)~b;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
	return e;
}

/* cr_image_check_frames on FILE afresh, skipping what SRV served whole. */
static int check_again(const char *file, struct cr_serve *srv)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_reader *r = NULL;
	struct cr_error err = CR_ERROR_INIT;
	int rc = cr_image_reader_open(&io, NULL, &r, &err);
	assert_int_equal(rc, 0);
	rc = cr_image_check_frames(r, srv ? cr_serve_whole : NULL, srv, &err);
	cr_image_reader_free(r);
	close(fd);
	cr_error_clear(&err);
	return rc;
}

/* An image of F's stream with criu/pages-1.img (SIZE bytes of seed SEED),
 * criu/inventory.img ("inv") and other/inventory2.img, checked, served to
 * criu as a CRIU connected on S would see it. */
struct served {
	uint8_t *pages;
	size_t size;
	int fd, s;
	char *dir;
	struct cr_image_reader *r;
	struct cr_serve *srv;
};

static void serve_pages(struct fixture *f, size_t size, uint64_t seed, struct served *ret)
{
	struct served v = {.pages = malloc(size), .size = size};
	t_fill(v.pages, size, seed);
	struct cr_error err = CR_ERROR_INIT;
	uint32_t fa = 0;
	assert_int_equal(cr_capture_finish(f->cap, false, 0, &err) < 0, 1);
	assert_int_equal(cr_image_stream_file_open(f->sw, "criu/pages-1.img", 0600, &fa, &err), 0);
	assert_int_equal(cr_image_stream_file_write(f->sw, fa, v.pages, size, &err), 0);
	assert_int_equal(cr_image_stream_file_close(f->sw, fa, &err), 0);
	assert_int_equal(cr_image_stream_add_buffer(f->sw, "criu/inventory.img", "inv", 3, 0600, &err), 0);
	assert_int_equal(cr_image_stream_add_buffer(f->sw, "other/inventory2.img", "x", 1, 0600, &err), 0);
	assert_int_equal(cr_image_stream_finish(f->sw, &err), 0);
	v.fd = open(f->image, O_RDONLY | O_CLOEXEC);
	struct cr_image_io io = cr_image_io_fd(v.fd);
	v.dir = t_join(f->dir, "serve");
	assert_int_equal(mkdir(v.dir, 0700), 0);
	if (cr_image_reader_open(&io, NULL, &v.r, &err) < 0 || cr_image_check_frames(v.r, NULL, NULL, &err) < 0 ||
	    cr_serve_start(v.dir, "criu", v.r, &v.srv, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	v.s = criu_connect_to(v.dir, CR_STREAMER_SERVE_SOCK);
	cr_error_clear(&err); /* the capture's, finished as failed */
	*ret = v;
}

/* CRIU hangs up; the serve thread must end without an error, having served
 * FILES whole. */
static void served_finish(struct served *v, unsigned files)
{
	struct cr_error err = CR_ERROR_INIT;
	close(v->s);
	if (cr_serve_finish(v->srv, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(cr_serve_files(v->srv), files);
}

static void served_free(struct served *v)
{
	cr_serve_free(v->srv);
	cr_image_reader_free(v->r);
	close(v->fd);
	free(v->dir);
	free(v->pages);
}

static void served_files_come_back_whole(void **state)
{
	struct fixture *f = *state;
	struct served v;
	serve_pages(f, (5u << 20) + 3 * 4096, 7, &v); /* round a ring of three pipe-sized blocks, the last one short */
	int s = v.s;
	criu_request(s, "inventory.img");
	assert_true(criu_exists(s));
	int pi = criu_pipe(s, false);
	criu_request(s, "inventory2.img");
	assert_false(criu_exists(s));
	criu_request(s, "pages-1.img");
	assert_true(criu_exists(s));
	int pp = criu_pipe(s, false);
	size_t len = 0;
	uint8_t *got = read_pipe(pp, &len);
	assert_int_equal(len, v.size);
	assert_memory_equal(got, v.pages, v.size);
	free(got);
	got = read_pipe(pi, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(got, "inv", 3);
	free(got);
	served_finish(&v, 2);
	/* What criu read whole was checked as it was served: a later check
	 * skips it, and still finds damage in what criu never read. */
	size_t ep = damage_entry(f->image, v.r, "criu/pages-1.img");
	assert_true(cr_serve_whole(v.srv, ep));
	assert_int_equal(check_again(f->image, v.srv), 0);
	assert_true(check_again(f->image, NULL) < 0);
	size_t eo = damage_entry(f->image, v.r, "other/inventory2.img");
	assert_false(cr_serve_whole(v.srv, eo));
	assert_int_equal(check_again(f->image, v.srv), -EBADMSG);
	served_free(&v);
}

/* A pages file offered over two pipes in turns of 64 KiB: read turn by turn,
 * alternating pipes, every turn holds the file's bytes at its offset (a serve
 * that dealt the turns wrong, or filled one pipe with the whole file, fails
 * here or blocks until the test's timeout); both pipes end at the file's
 * end; a small file asked for at the same time over one pipe still comes
 * whole; both files are counted served whole. */
static void a_file_over_two_pipes_comes_in_turns(void **state)
{
	struct fixture *f = *state;
	const size_t turn = 64u << 10;
	struct served v;
	serve_pages(f, (3u << 20) + 5 * 4096, 11, &v); /* 48 turns and a short last one */
	criu_request_pipes(v.s, "pages-1.img", 2, (uint32_t)turn);
	criu_exists_over(v.s, 2);
	int pp[2] = {criu_pipe(v.s, false), criu_pipe(v.s, false)};
	criu_request(v.s, "inventory.img");
	assert_true(criu_exists(v.s));
	int pi = criu_pipe(v.s, false);
	uint8_t *got = malloc(turn);
	for (size_t off = 0, k = 0; off < v.size; off += turn, k++) {
		size_t n = v.size - off < turn ? v.size - off : turn;
		t_read_all(pp[k % 2], got, n);
		assert_memory_equal(got, v.pages + off, n);
	}
	uint8_t extra;
	assert_int_equal(read(pp[0], &extra, 1), 0);
	assert_int_equal(read(pp[1], &extra, 1), 0);
	close(pp[0]);
	close(pp[1]);
	free(got);
	size_t len = 0;
	got = read_pipe(pi, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(got, "inv", 3);
	free(got);
	served_finish(&v, 2);
	served_free(&v);
}

/* An images directory whose path is longer than sun_path (a test's
 * temporary tree, a long state directory): the socket is still made, and CRIU
 * reaches it the way it does, through /proc/PID/fd/N of the directory. */
static void a_long_directory_path_still_listens(void **state)
{
	(void)state;
	char *top = t_mkdtemp(), *dir = strdup(top);
	while (strlen(dir) <= 120) {
		char *next = t_join(dir, "a-rather-long-directory-name");
		assert_int_equal(mkdir(next, 0700), 0);
		free(dir);
		dir = next;
	}
	struct cr_error err = CR_ERROR_INIT;
	char *path = NULL;
	int lfd = -1;
	if (cr_streamer_listen(dir, CR_STREAMER_CAPTURE_SOCK, &path, &lfd, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_true(strlen(path) > sizeof(((struct sockaddr_un *)0)->sun_path));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	char via[64];
	snprintf(via, sizeof(via), "/proc/self/fd/%d", dfd);
	int s = criu_connect_to(via, CR_STREAMER_CAPTURE_SOCK);
	close(s);
	close(dfd);
	close(lfd);
	free(path);
	t_rm_rf(top);
	free(top);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(interleaved_files_come_out_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_dump_and_absent_criu_are_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(file_left_open_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(a_broken_image_still_drains_criu, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_requests_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(served_files_come_back_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(a_file_over_two_pipes_comes_in_turns, setup, teardown),
		cmocka_unit_test(a_long_directory_path_still_listens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
