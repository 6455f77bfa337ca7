/* Faults served ahead of the background push (transport/page_relay.h,
 * cr_page_relay_prioritize; scripts/criu-patches/0010). The test plays both
 * criu ends over socketpairs: at the destination criu lazy-pages on the
 * local socket and the source on the connection; at the source the dump's
 * page server and the destination. With priority the destination passes a
 * fault's answer to criu lazy-pages before the push answers it holds, never
 * after one that came later, and every byte whole; the source passes a
 * fault's request to the page server ahead of the held push requests. Without
 * priority both keep the order asked (an unpatched criu lazy-pages needs it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport_wire.pb-c.h"
#include "transport/page_relay.h"
#include "test_page_data.h"
#include "test_fd_util.h"

#define T_TIMEOUT_MS 10000
#define PS_IOV_GET 7u
#define PS_IOV_ADD_F 6u
#define FAULT_MARK (1u << 31) /* PS_GET_FAULT << 16 */
#define PAGE 4096u
#define PUSH_PAGES 128u /* 512 KiB: more than a unix socket buffers */

struct iov {
	uint32_t cmd, nr_pages;
	uint64_t vaddr, dst_id;
};

struct fixture {
	struct cr_page_relay rl;
	struct cr_conn conn, peer; /* the relay's end of the connection; the peer's */
	int local, criu;           /* the relay's end of the local socket; criu's */
	struct cr_page_relay_stats st;
	struct cr_error err;
	int r;
	pthread_t th;
};

static void *relay_main(void *arg)
{
	struct fixture *f = arg;
	const struct cr_page_relay_opts o = {.idle_ms = T_TIMEOUT_MS};
	f->r = cr_page_relay_run(&f->rl, &f->conn, f->local, &o, &f->st, NULL, &f->err);
	return NULL;
}

static struct fixture *start(bool source, bool priority)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	int c[2], l[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l), 0);
	cr_conn_init(&f->conn, c[0], T_TIMEOUT_MS);
	f->conn.peer_name = strdup("a");
	cr_conn_init(&f->peer, c[1], T_TIMEOUT_MS);
	f->peer.peer_name = strdup("b");
	f->local = l[0];
	f->criu = l[1];
	f->err = (struct cr_error)CR_ERROR_INIT;
	cr_page_relay_init(&f->rl, source, PUSH_PAGES * PAGE, false);
	if (priority)
		cr_page_relay_prioritize(&f->rl);
	assert_int_equal(pthread_create(&f->th, NULL, relay_main, f), 0);
	return f;
}

static void stop(struct fixture *f)
{
	int fds[] = {f->conn.io.fd, f->peer.io.fd, f->local, f->criu};
	for (size_t i = 0; i < 4; i++)
		shutdown(fds[i], SHUT_RDWR);
	pthread_join(f->th, NULL);
	for (size_t i = 0; i < 4; i++)
		close(fds[i]);
	cr_conn_release(&f->conn);
	cr_conn_release(&f->peer);
	cr_page_relay_release(&f->rl);
	cr_error_clear(&f->err);
	free(f);
}

static void put_iov(uint8_t *p, uint32_t cmd, uint32_t nr, uint64_t vaddr)
{
	struct iov v = {cmd, nr, vaddr, 0x101};
	memcpy(p, &v, sizeof(v));
}

static void peer_sends(struct fixture *f, const uint8_t *data, size_t len)
{
	t_page_data_send(&f->peer, data, len);
}

/* The next LEN bytes of page data the relay sends the peer (keepalives skipped). */
static void peer_gets(struct fixture *f, uint8_t *p, size_t len)
{
	while (len > 0) {
		Crwire__Envelope *m = NULL;
		struct cr_error err = CR_ERROR_INIT;
		assert_int_equal(cr_conn_recv(&f->peer, &m, &err), 0);
		assert_int_equal(m->body_case, CRWIRE__ENVELOPE__BODY_PAGE_DATA);
		size_t n = m->page_data->has_data ? m->page_data->data.len : 0;
		assert_true(n <= len);
		memcpy(p, m->page_data->data.data, n);
		crwire__envelope__free_unpacked(m, NULL);
		p += n;
		len -= n;
	}
}

/* An answer of NR pages at VADDR, each page filled with its address's low byte. */
static uint8_t *answer(uint32_t nr, uint64_t vaddr, size_t *ret_len)
{
	size_t len = 24 + (size_t)nr * PAGE;
	uint8_t *a = malloc(len);
	assert_non_null(a);
	put_iov(a, PS_IOV_ADD_F | (4u << 16), nr, vaddr);
	for (uint32_t k = 0; k < nr; k++)
		memset(a + 24 + (size_t)k * PAGE, (int)(((vaddr >> 12) + k) & 0xff), PAGE);
	*ret_len = len;
	return a;
}

/* The source sends an answer in the relay's chunks. */
static void source_answers(struct fixture *f, uint32_t nr, uint64_t vaddr)
{
	size_t len;
	uint8_t *a = answer(nr, vaddr, &len);
	for (size_t off = 0; off < len; off += CR_PAGE_RELAY_CHUNK)
		peer_sends(f, a + off, len - off < CR_PAGE_RELAY_CHUNK ? len - off : CR_PAGE_RELAY_CHUNK);
	free(a);
}

/* criu lazy-pages reads one whole answer: its address, its pages checked. */
static uint64_t lazy_pages_reads(struct fixture *f)
{
	struct iov h;
	t_read_all(f->criu, (uint8_t *)&h, sizeof(h));
	assert_int_equal(h.cmd & 0xffff, PS_IOV_ADD_F);
	uint8_t *pages = malloc((size_t)h.nr_pages * PAGE);
	assert_non_null(pages);
	t_read_all(f->criu, pages, (size_t)h.nr_pages * PAGE);
	for (uint32_t k = 0; k < h.nr_pages; k++)
		for (size_t b = 0; b < PAGE; b += 512)
			assert_int_equal(pages[(size_t)k * PAGE + b], ((h.vaddr >> 12) + k) & 0xff);
	free(pages);
	return h.vaddr;
}

enum { PUSH_A = 0x1000000, PUSH_B = 0x2000000, FAULT = 0x3000000, PUSH_C = 0x4000000 };

/* Destination: criu asks A, B (push) and a fault; the source answers A, B,
 * the fault, then C (asked after). criu lazy-pages reads them as WANT says. */
static void destination_order(bool priority, const uint64_t want[4])
{
	struct fixture *f = start(false, priority);
	uint8_t req[4 * 24], got[4 * 24];
	put_iov(req, PS_IOV_GET, PUSH_PAGES, PUSH_A);
	put_iov(req + 24, PS_IOV_GET, PUSH_PAGES, PUSH_B);
	put_iov(req + 48, PS_IOV_GET | (priority ? FAULT_MARK : 0), 1, FAULT);
	put_iov(req + 72, PS_IOV_GET, 16, PUSH_C);
	t_write_all(f->criu, req, sizeof(req));
	peer_gets(f, got, sizeof(got));
	assert_memory_equal(got, req, sizeof(req)); /* requests pass as they are */
	source_answers(f, PUSH_PAGES, PUSH_A);
	source_answers(f, PUSH_PAGES, PUSH_B);
	source_answers(f, 1, FAULT);
	source_answers(f, 16, PUSH_C);
	usleep(300 * 1000); /* the relay has it all; criu reads only now */
	for (int i = 0; i < 4; i++)
		assert_int_equal(lazy_pages_reads(f), want[i]);
	assert_int_equal(f->rl.w.counts.demand_requests, 1);
	assert_int_equal(f->rl.w.counts.pushed_requests, 3);
	stop(f);
}

static void test_destination_passes_the_fault_first(void **state)
{
	(void)state;
	/* A was being passed when B and the fault came: the fault goes next,
	 * ahead of B, and C (after it) stays after it. */
	const uint64_t want[] = {PUSH_A, FAULT, PUSH_B, PUSH_C};
	destination_order(true, want);
}

static void test_destination_keeps_the_order_without_priority(void **state)
{
	(void)state;
	const uint64_t want[] = {PUSH_A, PUSH_B, FAULT, PUSH_C};
	destination_order(false, want);
}

/* The next request the page server reads within MS (0: none came). */
static uint64_t page_server_request(struct fixture *f, int ms)
{
	struct pollfd p = {.fd = f->criu, .events = POLLIN};
	if (poll(&p, 1, ms) != 1)
		return 0;
	struct iov q;
	t_read_all(f->criu, (uint8_t *)&q, sizeof(q));
	assert_int_equal(q.cmd & 0xffff, PS_IOV_GET);
	return q.vaddr;
}

/* The page server writes LEN bytes of answer A; the peer reads them on. */
static void page_server_answers_part(struct fixture *f, const uint8_t *a, size_t len)
{
	t_write_all(f->criu, a, len);
	uint8_t *got = malloc(len);
	assert_non_null(got);
	peer_gets(f, got, len);
	assert_memory_equal(got, a, len);
	free(got);
}

/* The page server answers one request; the peer reads it on. */
static void page_server_answers(struct fixture *f, uint32_t nr, uint64_t vaddr)
{
	size_t len;
	uint8_t *a = answer(nr, vaddr, &len);
	page_server_answers_part(f, a, len);
	free(a);
}

/* Source: the destination asks A and B (push) and a fault at once; the
 * page server reads them as WANT says. */
static void source_order(bool priority, const uint64_t want[3])
{
	uint64_t order[3];
	struct fixture *f = start(true, priority);
	uint8_t req[3 * 24];
	put_iov(req, PS_IOV_GET, 16, PUSH_A);
	put_iov(req + 24, PS_IOV_GET, 16, PUSH_B);
	put_iov(req + 48, PS_IOV_GET | (priority ? FAULT_MARK : 0), 1, FAULT);
	peer_sends(f, req, sizeof(req));
	order[0] = page_server_request(f, T_TIMEOUT_MS);
	order[1] = page_server_request(f, T_TIMEOUT_MS);
	/* With priority, B waits until A is answered: nothing more comes now. */
	if (priority)
		assert_int_equal(page_server_request(f, 200), 0);
	for (int i = 0; i < 2; i++)
		page_server_answers(f, order[i] == FAULT ? 1 : 16, order[i]);
	order[2] = page_server_request(f, T_TIMEOUT_MS);
	page_server_answers(f, order[2] == FAULT ? 1 : 16, order[2]);
	stop(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(order[i], want[i]);
}

static void test_source_asks_the_fault_first(void **state)
{
	(void)state;
	/* Asked after both, the fault goes first; B only once A is answered. */
	const uint64_t want[] = {FAULT, PUSH_A, PUSH_B};
	source_order(true, want);
}

static void test_source_keeps_the_order_without_priority(void **state)
{
	(void)state;
	const uint64_t want[] = {PUSH_A, PUSH_B, FAULT};
	source_order(false, want);
}

/* Source: the next push request goes to the page server while the last
 * CR_PAGE_RELAY_CHUNK bytes of the answer before are still to come (so the
 * page server has it at hand as it ends), not before. */
static void test_source_hands_the_next_push_before_the_answer_ends(void **state)
{
	(void)state;
	struct fixture *f = start(true, true);
	uint8_t req[2 * 24];
	put_iov(req, PS_IOV_GET, PUSH_PAGES, PUSH_A);
	put_iov(req + 24, PS_IOV_GET, 16, PUSH_B);
	peer_sends(f, req, sizeof(req));
	assert_int_equal(page_server_request(f, T_TIMEOUT_MS), PUSH_A);
	size_t len;
	uint8_t *a = answer(PUSH_PAGES, PUSH_A, &len);
	size_t first = 24 + 100 * 1024, second = len - 24 - CR_PAGE_RELAY_CHUNK + 8 * 1024 - first;
	/* More than CR_PAGE_RELAY_CHUNK of A still to come: B is held. */
	page_server_answers_part(f, a, first);
	assert_int_equal(page_server_request(f, 200), 0);
	/* Less than that: B is handed over before A ends. */
	page_server_answers_part(f, a + first, second);
	assert_int_equal(page_server_request(f, 2000), PUSH_B);
	page_server_answers_part(f, a + first + second, len - first - second);
	free(a);
	page_server_answers(f, 16, PUSH_B);
	stop(f);
}

/* Answers in any order match their requests by address; one that matches
 * none is refused. */
static void test_any_order_answers_match_their_requests(void **state)
{
	(void)state;
	struct cr_page_wire *w = malloc(sizeof(*w));
	assert_non_null(w);
	cr_page_wire_init(w, 0);
	w->any_order = true;
	uint8_t req[2 * 24], out[3 * 24];
	size_t n = 0;
	struct cr_error err = CR_ERROR_INIT;
	put_iov(req, PS_IOV_GET, 4, PUSH_A);
	put_iov(req + 24, PS_IOV_GET | FAULT_MARK, 1, FAULT);
	assert_int_equal(cr_page_wire_requests(w, req, sizeof(req), out, &n, &err), 0);
	size_t len;
	uint8_t *a = answer(1, FAULT, &len);
	assert_int_equal(cr_page_wire_answers(w, a, len, &err), 0);
	free(a);
	assert_int_equal(w->counts.demand_requests, 1);
	assert_int_equal(w->n_pending, 1);
	a = answer(4, PUSH_A, &len);
	assert_int_equal(cr_page_wire_answers(w, a, len, &err), 0);
	free(a);
	assert_int_equal(w->counts.pushed_pages, 4);
	assert_int_equal(w->n_pending, 0);
	assert_int_equal(w->ordered_done, 1);
	assert_int_equal(cr_page_wire_requests(w, req, 24, out, &n, &err), 0);
	a = answer(4, PUSH_B, &len);
	assert_int_equal(cr_page_wire_answers(w, a, len, &err), -EPROTO);
	assert_non_null(strstr(cr_error_msg(&err), "which nobody asked"));
	cr_error_clear(&err);
	free(a);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destination_passes_the_fault_first),
		cmocka_unit_test(test_destination_keeps_the_order_without_priority),
		cmocka_unit_test(test_source_asks_the_fault_first),
		cmocka_unit_test(test_source_keeps_the_order_without_priority),
		cmocka_unit_test(test_source_hands_the_next_push_before_the_answer_ends),
		cmocka_unit_test(test_any_order_answers_match_their_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
