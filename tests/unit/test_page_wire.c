/* The page relay's reading of CRIU's page-server protocol: faults (one-page
 * requests) and push requests counted apart on answers split anywhere, a
 * push request capped at the source and a fault never, requests passed on
 * whole only, a close answered by its status, and each rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transport/page_wire.h"

struct iov {
	uint32_t cmd, nr_pages;
	uint64_t vaddr, dst_id;
};

static size_t put(uint8_t *p, uint32_t cmd, uint32_t nr, uint64_t vaddr)
{
	struct iov v = {cmd, nr, vaddr, 0x101};
	memcpy(p, &v, sizeof(v));
	return sizeof(v);
}

static uint32_t nr_of(const uint8_t *p)
{
	struct iov v;
	memcpy(&v, p, sizeof(v));
	return v.nr_pages;
}

/* Feed LEN bytes of BUF in pieces of STEP bytes. */
static void answers_in_steps(struct cr_page_wire *w, const uint8_t *buf, size_t len, size_t step)
{
	struct cr_error err = CR_ERROR_INIT;
	for (size_t off = 0; off < len; off += step)
		assert_int_equal(cr_page_wire_answers(w, buf + off, off + step > len ? len - off : step, &err), 0);
}

static void test_counts_faults_and_push(void **state)
{
	(void)state;
	const size_t steps[] = {1, 7, 24, 4096, 100000};
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct cr_page_wire w;
		cr_page_wire_init(&w, 0);
		uint8_t req[3 * 24], out[4 * 24];
		size_t n = 0, out_len = 0;
		struct cr_error err = CR_ERROR_INIT;
		n += put(req + n, 7, 16, 0x10000); /* push, 16 pages */
		n += put(req + n, 7, 1, 0x40000);  /* a fault */
		n += put(req + n, 0x1024, 0, 0);   /* force close */
		assert_int_equal(cr_page_wire_requests(&w, req, n, out, &out_len, &err), 0);
		assert_int_equal(out_len, n);
		assert_memory_equal(out, req, n);
		/* The push answered with fewer pages than asked, the fault, the status. */
		size_t alen = 24 + 10 * 4096 + 24 + 4096 + 4;
		uint8_t *ans = calloc(1, alen);
		size_t a = put(ans, 6 | (1u << 16), 10, 0x10000);
		a += 10 * 4096;
		a += put(ans + a, 6 | (1u << 16), 1, 0x40000);
		a += 4096 + 4;
		assert_int_equal(a, alen);
		answers_in_steps(&w, ans, alen, steps[s]);
		assert_int_equal(w.counts.pushed_pages, 10);
		assert_int_equal(w.counts.pushed_requests, 1);
		assert_int_equal(w.counts.max_push_pages, 10);
		assert_int_equal(w.counts.demand_pages, 1);
		assert_int_equal(w.counts.demand_requests, 1);
		assert_int_equal(w.n_pending, 0);
		free(ans);
	}
}

static void test_source_caps_push_not_faults(void **state)
{
	(void)state;
	struct cr_page_wire w;
	cr_page_wire_init(&w, 64);
	uint8_t req[3 * 24], out[4 * 24];
	size_t n = 0, out_len = 0;
	struct cr_error err = CR_ERROR_INIT;
	n += put(req + n, 7, 1024, 0x100000);
	n += put(req + n, 7, 1, 0x40000);
	n += put(req + n, 7, 32, 0x200000);
	assert_int_equal(cr_page_wire_requests(&w, req, n, out, &out_len, &err), 0);
	assert_int_equal(out_len, n);
	assert_int_equal(nr_of(out), 64);
	assert_int_equal(nr_of(out + 24), 1);
	assert_int_equal(nr_of(out + 48), 32);
	/* The page server may answer all a capped request now asks, no more. */
	uint8_t hdr[24];
	put(hdr, 6, 65, 0x100000);
	assert_int_equal(cr_page_wire_answers(&w, hdr, sizeof(hdr), &err), -EPROTO);
	assert_non_null(strstr(cr_error_msg(&err), "65 pages to a request of 64"));
	cr_error_clear(&err);
}

static void test_requests_pass_whole(void **state)
{
	(void)state;
	struct cr_page_wire w;
	cr_page_wire_init(&w, 0);
	uint8_t req[2 * 24], out[3 * 24];
	size_t n = put(req, 7, 1, 0x1000), out_len = 99;
	n += put(req + n, 7, 4, 0x2000);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_page_wire_requests(&w, req, 10, out, &out_len, &err), 0);
	assert_int_equal(out_len, 0);
	assert_int_equal(cr_page_wire_requests(&w, req + 10, 30, out, &out_len, &err), 0);
	assert_int_equal(out_len, 24);
	assert_memory_equal(out, req, 24);
	assert_int_equal(cr_page_wire_requests(&w, req + 40, 8, out, &out_len, &err), 0);
	assert_int_equal(out_len, 24);
	assert_memory_equal(out, req + 24, 24);
	assert_int_equal(w.n_pending, 2);
}

static void test_rejections(void **state)
{
	(void)state;
	struct cr_page_wire w;
	cr_page_wire_init(&w, 0);
	struct cr_error err = CR_ERROR_INIT;
	uint8_t buf[24], out[48];
	size_t out_len = 0;
	/* An answer nobody asked for. */
	put(buf, 6, 1, 0x1000);
	assert_int_equal(cr_page_wire_answers(&w, buf, sizeof(buf), &err), -EPROTO);
	assert_non_null(strstr(cr_error_msg(&err), "nobody made"));
	/* A command criu lazy-pages never sends (an ADD: a dump's). */
	put(buf, 1, 1, 0x1000);
	assert_int_equal(cr_page_wire_requests(&w, buf, sizeof(buf), out, &out_len, &err), -EPROTO);
	assert_non_null(strstr(cr_error_msg(&err), "command 0x1"));
	/* More requests unanswered than the relay follows. */
	cr_page_wire_init(&w, 0);
	put(buf, 7, 1, 0x1000);
	for (int i = 0; i < CR_PAGE_WIRE_MAX_PENDING; i++)
		assert_int_equal(cr_page_wire_requests(&w, buf, sizeof(buf), out, &out_len, &err), 0);
	assert_int_equal(cr_page_wire_requests(&w, buf, sizeof(buf), out, &out_len, &err), -EPROTO);
	assert_non_null(strstr(cr_error_msg(&err), "unanswered"));
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_faults_and_push),
		cmocka_unit_test(test_source_caps_push_not_faults),
		cmocka_unit_test(test_requests_pass_whole),
		cmocka_unit_test(test_rejections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
