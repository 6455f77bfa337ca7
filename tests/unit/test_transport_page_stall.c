/* The destination page relay's stall watchdog (transport/page_relay.h): the
 * test plays criu lazy-pages on the local socket and the source on the
 * connection. Once a push was answered, no page either way while the source
 * is heard ends the relay with a stall that says which side went quiet;
 * before the push (the restore still runs) quiet is no stall, nor is a
 * silent source (the idle timeout's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transport_wire.pb-c.h"
#include "transport/page_relay.h"
#include "test_page_data.h"

#define STALL_MS 1000 /* wide: a loaded machine delays a 150 ms answer by hundreds of ms */
#define T_TIMEOUT_MS 10000

struct relay_run {
	struct cr_conn conn; /* the relay's end of the connection */
	int local;           /* the relay's end of the local socket */
	struct cr_page_relay_stats st;
	struct cr_error err;
	int r;
	volatile int done;
};

struct fixture {
	struct relay_run run;
	struct cr_conn peer; /* the source's end */
	int criu;            /* criu lazy-pages' end */
	pthread_t th;
};

static void *relay_main(void *arg)
{
	struct relay_run *rr = arg;
	const struct cr_page_relay_opts o = {.idle_ms = T_TIMEOUT_MS, .stall_ms = STALL_MS};
	rr->r = cr_page_relay(&rr->conn, rr->local, false, 0, &o, &rr->st, NULL, &rr->err);
	__atomic_store_n(&rr->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int c[2], l[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l), 0);
	cr_conn_init(&f->run.conn, c[0], T_TIMEOUT_MS);
	f->run.conn.peer_name = strdup("a");
	cr_conn_init(&f->peer, c[1], T_TIMEOUT_MS);
	f->peer.peer_name = strdup("b");
	f->run.local = l[0];
	f->criu = l[1];
	f->run.err = (struct cr_error)CR_ERROR_INIT;
	assert_int_equal(pthread_create(&f->th, NULL, relay_main, &f->run), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int fds[] = {f->run.conn.io.fd, f->peer.io.fd, f->run.local, f->criu};
	for (size_t i = 0; i < 4; i++)
		shutdown(fds[i], SHUT_RDWR);
	pthread_join(f->th, NULL);
	for (size_t i = 0; i < 4; i++)
		close(fds[i]);
	cr_conn_release(&f->run.conn);
	cr_conn_release(&f->peer);
	cr_error_clear(&f->run.err);
	free(f);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* criu/page-xfer.c's struct page_server_iov. */
static void criu_asks(struct fixture *f, uint32_t nr_pages, uint64_t vaddr)
{
	uint32_t iov[6] = {7, nr_pages};
	memcpy(iov + 2, &vaddr, sizeof(vaddr));
	assert_int_equal(write(f->criu, iov, sizeof(iov)), (ssize_t)sizeof(iov));
}

static void peer_sends(struct fixture *f, const uint8_t *data, size_t len)
{
	t_page_data_send(&f->peer, data, len);
}

/* The next request the relay passes on (keepalives skipped). */
static void peer_gets_request(struct fixture *f)
{
	for (;;) {
		Crwire__Envelope *m = NULL;
		struct cr_error err = CR_ERROR_INIT;
		assert_int_equal(cr_conn_recv(&f->peer, &m, &err), 0);
		assert_int_equal(m->body_case, CRWIRE__ENVELOPE__BODY_PAGE_DATA);
		size_t len = m->page_data->has_data ? m->page_data->data.len : 0;
		crwire__envelope__free_unpacked(m, NULL);
		if (len == 0)
			continue;
		assert_int_equal(len, 24);
		return;
	}
}

/* The source answers NR pages at VADDR; criu lazy-pages reads them. */
static void answered(struct fixture *f, uint32_t nr, uint64_t vaddr)
{
	size_t len = 24 + (size_t)nr * 4096;
	uint8_t *a = calloc(1, len);
	uint32_t hdr[6] = {6, nr};
	memcpy(hdr + 2, &vaddr, sizeof(vaddr));
	memcpy(a, hdr, sizeof(hdr));
	peer_sends(f, a, len);
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(f->criu, a, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	free(a);
}

/* Keepalives from the source every 100 ms until the relay ends or MS pass:
 * when it ended, after how long (-1: it did not). */
static int64_t heard_until_end(struct fixture *f, int ms)
{
	int64_t t0 = now_ms();
	while (now_ms() - t0 < ms) {
		if (__atomic_load_n(&f->run.done, __ATOMIC_ACQUIRE))
			return now_ms() - t0;
		peer_sends(f, NULL, 0);
		usleep(100 * 1000);
	}
	return -1;
}

static void test_quiet_before_the_push_is_no_stall(void **state)
{
	struct fixture *f = *state;
	criu_asks(f, 1, 0x10000); /* a fault of the restore */
	peer_gets_request(f);
	answered(f, 1, 0x10000);
	assert_int_equal(heard_until_end(f, 3 * STALL_MS), -1);
}

static void test_lazy_pages_asks_no_more(void **state)
{
	struct fixture *f = *state;
	criu_asks(f, 4, 0x20000); /* the background push began */
	peer_gets_request(f);
	answered(f, 4, 0x20000);
	int64_t t = heard_until_end(f, 10 * STALL_MS);
	assert_true(t >= STALL_MS - 150 && t < 3 * STALL_MS);
	assert_int_equal(f->run.r, -ETIMEDOUT);
	assert_true(f->run.st.stalled);
	assert_false(f->run.st.conn_failed);
	assert_non_null(strstr(cr_error_msg(&f->run.err), "criu lazy-pages asked no page for 1000 ms while pages "
							    "were still missing: the page transfer stalled"));
}

static void test_source_answers_no_more(void **state)
{
	struct fixture *f = *state;
	criu_asks(f, 4, 0x20000);
	peer_gets_request(f);
	answered(f, 4, 0x20000);
	criu_asks(f, 8, 0x24000);
	peer_gets_request(f); /* and never answered */
	assert_true(heard_until_end(f, 10 * STALL_MS) > 0);
	assert_true(f->run.st.stalled);
	assert_non_null(strstr(cr_error_msg(&f->run.err), "a answered none of 1 page requests for 1000 ms"));
}

static void test_a_silent_source_is_the_idle_timeouts(void **state)
{
	struct fixture *f = *state;
	criu_asks(f, 4, 0x20000);
	peer_gets_request(f);
	answered(f, 4, 0x20000);
	criu_asks(f, 8, 0x24000);
	peer_gets_request(f);
	usleep(3 * STALL_MS * 1000); /* no keepalive (one a 100 ms here): a link that is down */
	assert_false(__atomic_load_n(&f->run.done, __ATOMIC_ACQUIRE));
	answered(f, 8, 0x24000); /* it came back: a fresh count */
	assert_int_equal(heard_until_end(f, STALL_MS / 2), -1);
}

static void test_pages_keep_it_going(void **state)
{
	struct fixture *f = *state;
	int64_t t0 = now_ms();
	for (uint64_t i = 0; now_ms() - t0 < 3 * STALL_MS; i++) {
		criu_asks(f, 2, 0x100000 + i * 0x2000);
		peer_gets_request(f);
		usleep(150 * 1000); /* slow pages, each within the bound */
		answered(f, 2, 0x100000 + i * 0x2000);
	}
	assert_false(__atomic_load_n(&f->run.done, __ATOMIC_ACQUIRE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quiet_before_the_push_is_no_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_pages_asks_no_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_answers_no_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_silent_source_is_the_idle_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_keep_it_going, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
