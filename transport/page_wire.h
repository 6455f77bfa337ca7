/* CRIU's page-server protocol as the page relay sees it (criu/page-xfer.c,
 * CRIU 4.1.1): criu lazy-pages sends 24-byte requests (PS_IOV_GET for
 * NR_PAGES pages at VADDR of process DST_ID, and FORCE_CLOSE/CLOSE at the
 * end); the page server answers them in order, a GET with a 24-byte header
 * (the pages it sends, at most those asked) and the pages, a close with a
 * 4-byte status. Both relays follow both directions, so both count the same
 * pages: a one-page GET is a fault's (criu lazy-pages asks a faulting page
 * alone), a longer one is the background push's. The source caps what a
 * push request may take (criu lazy-pages takes a shorter answer and asks the
 * rest later): a fault, which waits behind the answers asked before it,
 * never waits behind more than one capped answer per process.
 *
 * A CRIU with scripts/criu-patches/0010 marks a fault's GET (PS_GET_FAULT)
 * and takes answers in any order, matching each to its request by (dst_id,
 * vaddr): with ANY_ORDER set, both relays match answers so too, tell faults
 * by the mark alone, and may serve a fault ahead of the push. */
#ifndef CORRAL_TRANSPORT_PAGE_WIRE_H
#define CORRAL_TRANSPORT_PAGE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CR_PAGE_WIRE_PAGE 4096u
#define CR_PAGE_WIRE_HDR 24u
#define CR_PAGE_WIRE_MAX_PENDING 4096 /* requests asked and not yet answered */

struct cr_page_counts {
	uint64_t demand_pages, pushed_pages;       /* answered pages of faults and of the push */
	uint64_t demand_requests, pushed_requests; /* answered GET requests of each */
	uint32_t max_push_pages;                   /* the longest push answer */
};

struct cr_page_wire {
	uint32_t push_cap_pages; /* the source's cap of a push request; 0: none */
	bool any_order; /* answers may come in another order than asked (0010) */
	uint8_t req[CR_PAGE_WIRE_HDR];
	size_t req_have;
	uint8_t ans[CR_PAGE_WIRE_HDR];
	size_t ans_have, ans_goal; /* header bytes; 4 for a close's status */
	uint64_t ans_data_left;
	/* What each unanswered request asked, oldest first (a ring). */
	struct cr_page_wire_ask {
		uint64_t vaddr, dst_id;
		uint32_t nr_pages; /* as sent on; 0: a close */
		bool demand;
		bool answered; /* out of order, before older ones */
	} pending[CR_PAGE_WIRE_MAX_PENDING];
	size_t head, n_slots; /* the ring, answered holes included */
	size_t n_pending;     /* requests not yet answered */
	bool demand_now; /* the answer being read is a fault's */
	struct cr_page_counts counts;
	uint64_t ordered_done; /* answers read whole to requests that are not faults' */
};

void cr_page_wire_init(struct cr_page_wire *w, uint32_t push_cap_pages);

/* LEN bytes of requests (criu lazy-pages to the page server): the whole
 * requests among them (capped when W caps) go to OUT, which takes LEN + 24
 * bytes; a request's partial tail waits for its rest. *RET_OUT_LEN: bytes
 * written. -EPROTO on a command criu lazy-pages does not send. */
int cr_page_wire_requests(struct cr_page_wire *w, const uint8_t *buf, size_t len, uint8_t *out,
			  size_t *ret_out_len, struct cr_error *err);

/* Whether the whole request REQ (24 bytes) carries a fault's mark. */
bool cr_page_wire_is_fault(const uint8_t *req);

/* LEN bytes of answers (the page server to criu lazy-pages), counted.
 * -EPROTO on an answer to no request or with more pages than asked. */
int cr_page_wire_answers(struct cr_page_wire *w, const uint8_t *buf, size_t len, struct cr_error *err);

/* The same, handing PART each run of bytes of one answer in order: an
 * answer's header once it is whole (from W), then its pages as they come;
 * DEMAND: it answers a fault; ENDS: the answer's last bytes. A negative
 * return of PART ends the parse with it. */
typedef int (*cr_page_wire_part_fn)(void *ctx, const uint8_t *p, size_t n, bool demand, bool ends,
				    struct cr_error *err);
int cr_page_wire_answer_parts(struct cr_page_wire *w, const uint8_t *buf, size_t len, cr_page_wire_part_fn part,
			      void *ctx, struct cr_error *err);

#endif
