/* A page transfer resumed over a new connection (transport/page_relay.h,
 * transport/page_resume.h). Two relays, a source and a destination, run in
 * threads between a fake dump page server and a fake criu lazy-pages that
 * checks every page it gets; their connection is cut mid-transfer (with
 * bytes in flight lost), both relays are rewound to the other's count and go
 * on over a new one: every page arrives once, in order, intact. Acknowledged
 * bytes are no longer kept, unacknowledged ones only up to a bound (then
 * the page server waits); counts a side cannot resume from are refused.
 * The hand-over of an encrypted connection between processes is played by
 * two threads: the holder talks on the connection as if it had made it, and
 * a connection of another peer is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto_stream.h"
#include "transport_wire.pb-c.h"
#include "transport/page_relay.h"
#include "transport/page_resume.h"
#include "util/unix_socket.h"

#define T_MS 10000
#define REQS 48
#define PAGES 64 /* per request: 256 KiB answers, several in flight */
#define PAGE 4096

struct side {
	struct cr_page_relay rl;
	struct cr_conn conn;
	int local; /* the relay's end of its criu socket */
	int resume_fd; /* > 0: where its resume waits (0: none, as calloc leaves it) */
	struct cr_page_relay_stats st;
	struct cr_error err;
	int r;
	pthread_t th;
};

static void *relay_main(void *arg)
{
	struct side *s = arg;
	const struct cr_page_relay_opts o = {.idle_ms = T_MS, .resume_fd = s->resume_fd > 0 ? &s->resume_fd : NULL};
	s->r = cr_page_relay_run(&s->rl, &s->conn, s->local, &o, &s->st, NULL, &s->err);
	return NULL;
}

static void fill_page(uint8_t *p, uint64_t vaddr)
{
	for (size_t i = 0; i < PAGE; i += 8) {
		uint64_t v = vaddr * 2654435761u + i;
		memcpy(p + i, &v, 8);
	}
}

static int read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* The dump's page server: each GET answered with its pages, until EOF. */
static void *page_server(void *arg)
{
	int fd = *(int *)arg;
	uint8_t *page = malloc(PAGE);
	uint32_t req[6];
	while (read_all(fd, req, sizeof(req)) == 0) {
		uint64_t vaddr;
		memcpy(&vaddr, req + 2, 8);
		uint32_t hdr[6] = {req[0], req[1]};
		memcpy(hdr + 2, &vaddr, 8);
		assert_int_equal(write(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
		for (uint32_t i = 0; i < req[1]; i++) {
			fill_page(page, vaddr + (uint64_t)i * PAGE);
			assert_int_equal(write(fd, page, PAGE), PAGE);
		}
	}
	free(page);
	shutdown(fd, SHUT_RDWR); /* its end, whatever copies of the socket there are */
	close(fd);
	return NULL;
}

/* criu lazy-pages: REQS push requests, every page checked; then it ends. */
struct lazy {
	int fd;
	volatile int answered;
	int bad;
};

static void *lazy_pages(void *arg)
{
	struct lazy *l = arg;
	uint8_t *page = malloc(PAGE), *want = malloc(PAGE);
	for (int i = 0; i < REQS; i++) {
		uint64_t vaddr = 0x100000 + (uint64_t)i * PAGES * PAGE;
		uint32_t req[6] = {7, PAGES};
		memcpy(req + 2, &vaddr, 8);
		assert_int_equal(write(l->fd, req, sizeof(req)), (ssize_t)sizeof(req));
		uint32_t hdr[6];
		assert_int_equal(read_all(l->fd, hdr, sizeof(hdr)), 0);
		uint64_t got_vaddr;
		memcpy(&got_vaddr, hdr + 2, 8);
		if (got_vaddr != vaddr)
			l->bad++;
		for (uint32_t p = 0; p < hdr[1]; p++) {
			assert_int_equal(read_all(l->fd, page, PAGE), 0);
			fill_page(want, got_vaddr + (uint64_t)p * PAGE);
			if (memcmp(page, want, PAGE) != 0)
				l->bad++;
		}
		__atomic_add_fetch(&l->answered, 1, __ATOMIC_RELEASE);
	}
	free(page);
	free(want);
	shutdown(l->fd, SHUT_WR);
	char c;
	while (read(l->fd, &c, 1) > 0)
		;
	return NULL;
}

static void connect_sides(struct side *a, struct side *b)
{
	int c[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c), 0);
	cr_conn_init(&a->conn, c[0], T_MS);
	a->conn.peer_name = strdup("b");
	cr_conn_init(&b->conn, c[1], T_MS);
	b->conn.peer_name = strdup("a");
	a->err = (struct cr_error)CR_ERROR_INIT;
	b->err = (struct cr_error)CR_ERROR_INIT;
	assert_int_equal(pthread_create(&a->th, NULL, relay_main, a), 0);
	assert_int_equal(pthread_create(&b->th, NULL, relay_main, b), 0);
}

static void join_sides(struct side *a, struct side *b)
{
	pthread_join(a->th, NULL);
	pthread_join(b->th, NULL);
	close(a->conn.io.fd);
	close(b->conn.io.fd);
	cr_conn_release(&a->conn);
	cr_conn_release(&b->conn);
}

static void test_a_cut_connection_resumes(void **state)
{
	(void)state;
	struct side *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int la[2], lb[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, la), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lb), 0);
	cr_page_relay_init(&a->rl, true, 0, true); /* the default cap: 128 pages */
	cr_page_relay_init(&b->rl, false, 0, true);
	a->local = la[0];
	b->local = lb[0];
	struct lazy l = {.fd = lb[1]};
	pthread_t ps, lp;
	assert_int_equal(pthread_create(&ps, NULL, page_server, &la[1]), 0);
	assert_int_equal(pthread_create(&lp, NULL, lazy_pages, &l), 0);
	connect_sides(a, b);
	while (__atomic_load_n(&l.answered, __ATOMIC_ACQUIRE) < REQS / 2)
		usleep(1000);
	/* Cut: what either side wrote and the other did not read is lost. */
	shutdown(a->conn.io.fd, SHUT_RDWR);
	shutdown(b->conn.io.fd, SHUT_RDWR);
	join_sides(a, b);
	assert_true(a->r < 0 && a->st.conn_failed);
	assert_true(b->r < 0 && b->st.conn_failed);
	cr_error_clear(&a->err);
	cr_error_clear(&b->err);
	assert_true(l.answered < REQS);
	/* Each side goes on from the other's count (LazyPages.resume_from one
	 * way, the destination's PageData.acked the other). */
	struct cr_error err = CR_ERROR_INIT;
	uint64_t a_got = a->rl.received, b_got = b->rl.received;
	assert_int_equal(cr_page_relay_rewind(&a->rl, b_got, &err), 0);
	assert_int_equal(cr_page_relay_rewind(&b->rl, a_got, &err), 0);
	connect_sides(a, b);
	join_sides(a, b);
	pthread_join(lp, NULL);
	pthread_join(ps, NULL);
	if (a->r < 0)
		fail_msg("source: %s", cr_error_msg(&a->err));
	if (b->r < 0)
		fail_msg("destination: %s", cr_error_msg(&b->err));
	assert_int_equal(l.bad, 0);
	assert_int_equal(a->rl.sent, b->rl.received);
	assert_int_equal(b->rl.sent, a->rl.received);
	assert_int_equal(b->st.pages.pushed_pages, (uint64_t)REQS * PAGES);
	/* What the other acknowledged is not kept. */
	assert_true(a->rl.sent - a->rl.kept_base < 2 * CR_PAGE_RELAY_ACK_EVERY);
	assert_int_equal(a->rl.kept.len - a->rl.kept.off, a->rl.sent - a->rl.kept_base);
	close(la[0]);
	close(lb[0]);
	close(lb[1]);
	cr_page_relay_release(&a->rl);
	cr_page_relay_release(&b->rl);
	free(a);
	free(b);
}

static void test_counts_it_cannot_resume_from(void **state)
{
	(void)state;
	struct cr_page_relay *rl = calloc(1, sizeof(*rl));
	struct cr_error err = CR_ERROR_INIT;
	cr_page_relay_init(rl, true, 0, true);
	rl->sent = 1000;
	rl->resend_from = 1000;
	rl->kept_base = 600;
	rl->kept.len = 400;
	rl->kept.data = calloc(1, 400);
	rl->kept.cap = 400;
	assert_int_equal(cr_page_relay_rewind(rl, 1001, &err), -EPROTO);
	assert_int_equal(cr_page_relay_rewind(rl, 599, &err), -EPROTO);
	assert_int_equal(cr_page_relay_rewind(rl, 800, &err), 0);
	assert_int_equal(rl->kept_base, 800);
	assert_int_equal(rl->resend_from, 800);
	cr_error_clear(&err);
	cr_page_relay_release(rl);
	cr_page_relay_init(rl, true, 0, false);
	assert_int_equal(cr_page_relay_rewind(rl, 0, &err), -EPROTO);
	cr_error_clear(&err);
	free(rl);
}

/* One PageData from the destination's side: LEN bytes, an acked count. */
static void b_sends(struct cr_conn *c, const void *data, size_t len, const uint64_t *acked, bool final)
{
	Crwire__PageData pd = CRWIRE__PAGE_DATA__INIT;
	pd.has_data = len > 0;
	pd.data.data = (uint8_t *)data;
	pd.data.len = len;
	pd.has_acked = acked != NULL;
	pd.acked = acked ? *acked : 0;
	pd.has_final = pd.final = final;
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_PAGE_DATA;
	m.page_data = &pd;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_conn_send(c, &m, &err), 0);
}

/* The source's next PageData's bytes; *FINAL when it ended its stream. */
static size_t b_reads(struct cr_conn *c, bool *final)
{
	Crwire__Envelope *m = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_conn_recv(c, &m, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(m->body_case, CRWIRE__ENVELOPE__BODY_PAGE_DATA);
	size_t n = m->page_data->has_data ? m->page_data->data.len : 0;
	*final = m->page_data->has_final && m->page_data->final;
	crwire__envelope__free_unpacked(m, NULL);
	return n;
}

/* A source relay alone (resumable, running in its thread): its page
 * server's socket in LA, *B the destination's end of its connection. */
static struct side *source_alone(int la[2], struct cr_conn *b)
{
	struct side *a = calloc(1, sizeof(*a));
	int c[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, la), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c), 0);
	cr_page_relay_init(&a->rl, true, 0, true);
	a->local = la[0];
	cr_conn_init(&a->conn, c[0], T_MS);
	a->conn.peer_name = strdup("b");
	a->err = (struct cr_error)CR_ERROR_INIT;
	cr_conn_init(b, c[1], T_MS);
	b->peer_name = strdup("a");
	return a;
}

static void source_alone_free(struct side *a, int la[2], struct cr_conn *b)
{
	int fds[] = {a->conn.io.fd, b->io.fd, la[0], la[1]};
	for (size_t i = 0; i < 4; i++)
		close(fds[i]);
	cr_conn_release(&a->conn);
	cr_conn_release(b);
	cr_error_clear(&a->err);
	cr_page_relay_release(&a->rl);
	free(a);
}

/* A destination that acknowledges nothing: the source keeps at most
 * CR_PAGE_RELAY_KEPT_MAX bytes (plus one read of its page server), then
 * its page server waits; an acknowledgement lets the rest go. */
static void test_unacknowledged_bytes_are_bounded(void **state)
{
	(void)state;
	enum { N = 64, NR = 128 }; /* 32 MiB of answers, at the default cap */
	int la[2];
	struct cr_conn b;
	struct side *a = source_alone(la, &b);
	pthread_t ps;
	int server_fd = dup(la[1]); /* the page server closes its own */
	assert_int_equal(pthread_create(&ps, NULL, page_server, &server_fd), 0);
	assert_int_equal(pthread_create(&a->th, NULL, relay_main, a), 0);
	uint32_t reqs[N][6];
	for (int i = 0; i < N; i++) {
		uint64_t vaddr = 0x100000 + (uint64_t)i * NR * PAGE;
		uint32_t r[6] = {7, NR};
		memcpy(r + 2, &vaddr, 8);
		memcpy(reqs[i], r, sizeof(r));
	}
	b_sends(&b, reqs, sizeof(reqs), NULL, false);
	uint64_t got = 0, total = (uint64_t)N * (24 + NR * PAGE);
	bool final = false;
	while (got < CR_PAGE_RELAY_KEPT_MAX)
		got += b_reads(&b, &final);
	usleep(500 * 1000);
	uint64_t sent = __atomic_load_n(&a->rl.sent, __ATOMIC_ACQUIRE);
	assert_true(sent >= CR_PAGE_RELAY_KEPT_MAX && sent < CR_PAGE_RELAY_KEPT_MAX + CR_PAGE_RELAY_CHUNK);
	assert_true(sent < total);
	b_sends(&b, NULL, 0, &got, false);
	while (got < total)
		got += b_reads(&b, &final);
	assert_int_equal(got, total);
	b_sends(&b, NULL, 0, &got, true); /* criu lazy-pages ended: so does the dump's page server */
	while (!final)
		got += b_reads(&b, &final);
	pthread_join(a->th, NULL);
	pthread_join(ps, NULL);
	if (a->r < 0)
		fail_msg("%s", cr_error_msg(&a->err));
	assert_int_equal(a->rl.kept.len - a->rl.kept.off, a->rl.sent - a->rl.kept_base);
	source_alone_free(a, la, &b);
}

/* A peer that acknowledges more than was sent is refused. */
static void test_an_impossible_ack_is_refused(void **state)
{
	(void)state;
	int la[2];
	struct cr_conn b;
	struct side *a = source_alone(la, &b);
	assert_int_equal(pthread_create(&a->th, NULL, relay_main, a), 0);
	uint64_t acked = 1;
	b_sends(&b, NULL, 0, &acked, false);
	pthread_join(a->th, NULL);
	assert_int_equal(a->r, -EPROTO);
	assert_false(a->st.conn_failed);
	assert_non_null(strstr(cr_error_msg(&a->err), "b acknowledged 1 bytes of page data, of 0 sent"));
	source_alone_free(a, la, &b);
}

/* An encrypted connection pair over a socketpair, as after a handshake. */
static void secure_pair(struct cr_conn *x, struct cr_conn *y, uint8_t pk)
{
	int c[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c), 0);
	cr_conn_init(x, c[0], T_MS);
	cr_conn_init(y, c[1], T_MS);
	uint8_t k1[CR_STREAM_KEYBYTES], k2[CR_STREAM_KEYBYTES], h1[CR_STREAM_HEADERBYTES], h2[CR_STREAM_HEADERBYTES];
	struct cr_error err = CR_ERROR_INIT;
	cr_random_bytes(k1, sizeof(k1));
	cr_random_bytes(k2, sizeof(k2));
	assert_int_equal(cr_stream_push_new(k1, h1, &x->tx, &err), 0);
	assert_int_equal(cr_stream_pull_new(k1, h1, &y->rx, &err), 0);
	assert_int_equal(cr_stream_push_new(k2, h2, &y->tx, &err), 0);
	assert_int_equal(cr_stream_pull_new(k2, h2, &x->rx, &err), 0);
	memset(x->peer_pk, pk, sizeof(x->peer_pk));
	memset(y->peer_pk, 0x55, sizeof(y->peer_pk));
	x->peer_name = strdup("a");
	y->peer_name = strdup("b");
}

/* TEXT from FROM arrives at TO, as a Ping. */
static void ping(struct cr_conn *from, struct cr_conn *to, const char *text)
{
	Crwire__Ping p = CRWIRE__PING__INIT;
	p.has_payload = true;
	p.payload = (ProtobufCBinaryData){.len = strlen(text), .data = (uint8_t *)text};
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_PING;
	m.ping = &p;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_conn_send(from, &m, &err), 0);
	Crwire__Envelope *got = NULL;
	if (cr_conn_recv(to, &got, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(got->body_case, CRWIRE__ENVELOPE__BODY_PING);
	assert_memory_equal(got->ping->payload.data, text, strlen(text));
	crwire__envelope__free_unpacked(got, NULL);
}

/* The holders' directory, under a root of this test's own. */
static char root[] = "/tmp/corral-page-resume.XXXXXX";
static char *resume_dir;

static char *socket_path(const char *reloc)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/pages-%s", resume_dir, reloc) > 0);
	return p;
}

/* The text of PATH, for the caller to free. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char *text = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	assert_true(n >= 0);
	return text;
}

/* As uid 65534, connect to RELOC's holder: 0 and then wait for GO to close
 * (-1: do not wait), or -errno. */
static int knock_as_nobody(const char *reloc, int go)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *path = socket_path(reloc);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return -EPERM;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	char c = 0;
	if (go >= 0)
		(void)read(go, &c, 1); /* held open, silent, until the parent is done */
	return 0;
}

struct hand {
	const char *relocation;
	struct cr_conn *c;
	int r;
	struct cr_error err;
};

static void *hand_over(void *arg)
{
	struct hand *h = arg;
	h->r = cr_page_resume_hand_over(h->relocation, h->c, 4242, 2000, &h->err);
	return NULL;
}

static void test_the_holder_takes_the_connection_over(void **state)
{
	(void)state;
	const char *reloc = "0123456789abcdef0123456789abcdef";
	struct cr_error err = CR_ERROR_INIT;
	struct cr_page_resume_listener l = CR_PAGE_RESUME_LISTENER_INIT, again = CR_PAGE_RESUME_LISTENER_INIT;
	assert_int_equal(cr_page_resume_listen(reloc, &l, &err), 0);
	int lfd = l.fd;
	assert_int_equal(cr_page_resume_listen(reloc, &again, &err), -EADDRINUSE);
	cr_error_clear(&err);
	assert_int_equal(cr_page_resume_listen("../x", &again, &err), -EINVAL);
	cr_error_clear(&err);
	assert_int_equal(again.fd, -1);
	/* In a directory of root's alone, not in the abstract namespace any
	 * user could connect to. */
	struct stat st;
	assert_int_equal(stat(resume_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	char *unix_sockets = slurp("/proc/net/unix");
	bool abstract = strstr(unix_sockets, "@corral-pages-") != NULL;
	free(unix_sockets);
	assert_false(abstract);
	/* The holder's own (broken) connection, from peer 0x11. */
	struct cr_conn old_b, old_a;
	secure_pair(&old_b, &old_a, 0x11);
	/* Another peer's connection is refused; nothing waits: -ENOENT. */
	struct cr_conn other_b, other_a;
	secure_pair(&other_b, &other_a, 0x22);
	struct hand h = {.relocation = reloc, .c = &other_b, .err = CR_ERROR_INIT};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, hand_over, &h), 0);
	uint64_t from = 0;
	assert_int_equal(cr_page_resume_take(lfd, 500, &old_b, &from, &err), -ETIMEDOUT);
	cr_error_clear(&err);
	pthread_join(th, NULL);
	assert_int_equal(h.r, -EACCES);
	cr_error_clear(&h.err);
	assert_int_equal(cr_page_resume_hand_over("feedface", &other_b, 1, 200, &h.err), -ENOENT);
	cr_error_clear(&h.err);
	/* The same peer's new connection: the holder talks on it. */
	struct cr_conn new_b, new_a;
	secure_pair(&new_b, &new_a, 0x11);
	ping(&new_a, &new_b, "before"); /* the LazyPages the new process read */
	h = (struct hand){.relocation = reloc, .c = &new_b, .err = CR_ERROR_INIT};
	assert_int_equal(pthread_create(&th, NULL, hand_over, &h), 0);
	int old_fd = old_b.io.fd;
	if (cr_page_resume_take(lfd, 2000, &old_b, &from, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	pthread_join(th, NULL);
	assert_int_equal(h.r, 0);
	assert_int_equal(from, 4242);
	assert_int_equal(old_b.io.fd, old_fd);
	ping(&new_a, &old_b, "to the holder");
	ping(&old_b, &new_a, "from the holder");
	struct cr_conn *all[] = {&old_b, &old_a, &other_b, &other_a, &new_b, &new_a};
	for (size_t i = 0; i < 6; i++) {
		close(all[i]->io.fd);
		cr_conn_release(all[i]);
	}
	char *path = socket_path(reloc);
	assert_int_equal(access(path, F_OK), 0);
	cr_page_resume_unlisten(&l);
	assert_int_equal(l.fd, -1);
	assert_int_equal(access(path, F_OK), -1); /* the name goes with the listener */
	cr_page_resume_unlisten(&l); /* twice is harmless */
	free(path);
}

/* A resume knocks while the destination's connection still looks whole
 * (the source saw it break first): its relay ends at once, the connection
 * untouched, so that the resume is taken without waiting for the idle
 * timeout. */
static void test_a_knocking_resume_ends_the_relay(void **state)
{
	(void)state;
	const char *reloc = "00112233445566778899aabbccddeeff";
	struct cr_error err = CR_ERROR_INIT;
	struct side *b = calloc(1, sizeof(*b));
	int lb[2], c[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lb), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c), 0);
	struct cr_page_resume_listener l = CR_PAGE_RESUME_LISTENER_INIT;
	assert_int_equal(cr_page_resume_listen(reloc, &l, &err), 0);
	b->resume_fd = l.fd;
	cr_page_relay_init(&b->rl, false, 0, true);
	b->local = lb[0];
	cr_conn_init(&b->conn, c[0], T_MS);
	b->conn.peer_name = strdup("a");
	b->err = (struct cr_error)CR_ERROR_INIT;
	assert_int_equal(pthread_create(&b->th, NULL, relay_main, b), 0);
	struct cr_conn nb, na;
	secure_pair(&nb, &na, 0x11);
	struct hand h = {.relocation = reloc, .c = &nb, .err = CR_ERROR_INIT};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, hand_over, &h), 0);
	pthread_join(b->th, NULL);
	assert_true(b->r < 0 && b->st.conn_failed && b->st.resume_knock);
	assert_non_null(strstr(cr_error_msg(&b->err), "a resumes the page transfer on a new connection"));
	pthread_join(th, NULL); /* nobody took it: the hand-over gives up */
	assert_true(h.r < 0);
	cr_error_clear(&h.err);
	cr_error_clear(&b->err);
	int fds[] = {c[0], c[1], lb[0], lb[1], nb.io.fd, na.io.fd};
	for (size_t i = 0; i < 6; i++)
		close(fds[i]);
	cr_page_resume_unlisten(&l);
	cr_conn_release(&b->conn);
	cr_conn_release(&nb);
	cr_conn_release(&na);
	cr_page_relay_release(&b->rl);
	free(b);
}

/* A user that is not root cannot reach a holder at all: its directory is
 * root's alone. */
static void test_another_user_cannot_reach_the_holder(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	const char *reloc = "00112233445566778899aabbccddee00";
	struct cr_error err = CR_ERROR_INIT;
	struct cr_page_resume_listener l = CR_PAGE_RESUME_LISTENER_INIT;
	assert_int_equal(cr_page_resume_listen(reloc, &l, &err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(knock_as_nobody(reloc, -1) == -EACCES ? 0 : 1);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_page_resume_unlisten(&l);
}

/* A knock by a process that is not root, should the directory have been
 * opened to others: refused at once, before anything is read from it, so a
 * live relay that asked for one attempt goes on after microseconds, not
 * after the attempt's whole wait. */
static void test_a_knock_that_is_not_root_costs_nothing(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	const char *reloc = "00112233445566778899aabbccddeeff";
	struct cr_error err = CR_ERROR_INIT;
	struct cr_page_resume_listener l = CR_PAGE_RESUME_LISTENER_INIT;
	assert_int_equal(cr_page_resume_listen(reloc, &l, &err), 0);
	assert_int_equal(chmod(resume_dir, 0711), 0);
	assert_int_equal(chmod(l.path, 0777), 0);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		_exit(knock_as_nobody(reloc, go[0]) == 0 ? 0 : 1);
	}
	close(go[0]);
	struct cr_conn b, a;
	secure_pair(&b, &a, 0x11);
	uint64_t from = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cr_page_resume_take_one(l.fd, 5000, &b, &from, &err), -EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(strstr(cr_error_msg(&err), "not root"));
	cr_error_clear(&err);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms < 1000);
	close(go[1]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(b.io.fd);
	close(a.io.fd);
	cr_conn_release(&b);
	cr_conn_release(&a);
	cr_page_resume_unlisten(&l);
	/* The next holder makes the directory root's alone again. */
	assert_int_equal(cr_page_resume_listen(reloc, &l, &err), 0);
	struct stat st;
	assert_int_equal(stat(resume_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	cr_page_resume_unlisten(&l);
}

/* A holder killed leaves its socket's name behind (nobody unlinks it);
 * the sweep at corrald's start removes that one and keeps the socket of a
 * holder that still listens, and anything that is not a socket. */
static void test_the_sweep_removes_only_dead_holders_sockets(void **state)
{
	(void)state;
	const char *dead = "dead0001", *live = "11fe0002";
	struct cr_error err = CR_ERROR_INIT;
	struct cr_page_resume_listener d = CR_PAGE_RESUME_LISTENER_INIT, l = CR_PAGE_RESUME_LISTENER_INIT;
	assert_int_equal(cr_page_resume_listen(dead, &d, &err), 0);
	assert_int_equal(cr_page_resume_listen(live, &l, &err), 0);
	close(d.fd); /* what SIGKILL does: the name stays */
	free(d.path);
	char *dead_path = socket_path(dead), *live_path = socket_path(live), *other_path = socket_path("notes");
	int fd = open(other_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(dead_path, F_OK), 0);
	d = (struct cr_page_resume_listener)CR_PAGE_RESUME_LISTENER_INIT;
	assert_int_equal(cr_page_resume_listen(dead, &d, &err), -EADDRINUSE); /* taken while it lies there */
	cr_error_clear(&err);
	unsigned removed = 99;
	if (cr_page_resume_sweep(&removed, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(removed, 1);
	assert_int_equal(access(dead_path, F_OK), -1);
	assert_int_equal(access(live_path, F_OK), 0);
	assert_int_equal(access(other_path, F_OK), 0);
	/* The live holder is still reached; the dead name can be listened on. */
	int s = -1;
	assert_int_equal(cr_unix_connect_at(resume_dir, "pages-11fe0002", &s, &err), 0);
	close(s);
	assert_int_equal(cr_page_resume_listen(dead, &d, &err), 0);
	assert_int_equal(cr_page_resume_sweep(&removed, &err), 0);
	assert_int_equal(removed, 0);
	cr_page_resume_unlisten(&d);
	cr_page_resume_unlisten(&l);
	unlink(other_path);
	free(dead_path);
	free(live_path);
	free(other_path);
}

static int make_root(void **state)
{
	(void)state;
	if (!mkdtemp(root) || chmod(root, 0755) < 0) /* others may walk to the resume directory */
		return -1;
	if (setenv("CORRAL_ROOT", root, 1) < 0 || asprintf(&resume_dir, "%s%s", root, CR_PAGE_RESUME_DIR) < 0)
		return -1;
	return 0;
}

static int remove_root(void **state)
{
	(void)state;
	char *cmd = NULL;
	if (asprintf(&cmd, "rm -rf '%s'", root) < 0)
		return -1;
	int r = system(cmd);
	free(cmd);
	free(resume_dir);
	return r == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_cut_connection_resumes),
		cmocka_unit_test(test_counts_it_cannot_resume_from),
		cmocka_unit_test(test_unacknowledged_bytes_are_bounded),
		cmocka_unit_test(test_an_impossible_ack_is_refused),
		cmocka_unit_test(test_the_holder_takes_the_connection_over),
		cmocka_unit_test(test_a_knocking_resume_ends_the_relay),
		cmocka_unit_test(test_another_user_cannot_reach_the_holder),
		cmocka_unit_test(test_a_knock_that_is_not_root_costs_nothing),
		cmocka_unit_test(test_the_sweep_removes_only_dead_holders_sockets),
	};
	return cmocka_run_group_tests(tests, make_root, remove_root);
}
