/* CRIU's page-server protocol, followed by the page relay. */
#define LOG_PREFIX "relay: "
#include "transport/page_wire.h"

#include <string.h>

/* criu/page-xfer.c: struct page_server_iov {u32 cmd, nr_pages; u64 vaddr,
 * dst_id;} in the host's byte order, and its commands. */
#define PS_IOV_GET 7
#define PS_IOV_CLOSE 0x1023
#define PS_IOV_FORCE_CLOSE 0x1024
#define PS_CMD_MASK 0xffffu
#define PS_GET_FAULT (1u << (15 + 16)) /* 0010: a fault's GET */
#define CLOSE_STATUS_LEN 4u /* an int32 */

void cr_page_wire_init(struct cr_page_wire *w, uint32_t push_cap_pages)
{
	memset(w, 0, sizeof(*w));
	w->push_cap_pages = push_cap_pages;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

bool cr_page_wire_is_fault(const uint8_t *req)
{
	uint32_t cmd = get_u32(req);
	return (cmd & PS_CMD_MASK) == PS_IOV_GET && (cmd & PS_GET_FAULT);
}

/* Take what *BUF (*LEN bytes) has of the GOAL bytes of DST (*HAVE so far):
 * true once DST is whole. */
static bool gather(uint8_t *dst, size_t *have, size_t goal, const uint8_t **buf, size_t *len)
{
	size_t take = goal - *have;
	if (take > *len)
		take = *len;
	memcpy(dst + *have, *buf, take);
	*have += take;
	*buf += take;
	*len -= take;
	return *have == goal;
}

static int ask(struct cr_page_wire *w, uint32_t nr_pages, bool demand, struct cr_error *err)
{
	if (w->n_slots == CR_PAGE_WIRE_MAX_PENDING)
		return cr_error_set(err, EPROTO, "criu lazy-pages has more than %d page requests unanswered",
				    CR_PAGE_WIRE_MAX_PENDING);
	size_t i = (w->head + w->n_slots++) % CR_PAGE_WIRE_MAX_PENDING;
	w->n_pending++;
	w->pending[i] = (struct cr_page_wire_ask){.vaddr = get_u64(w->req + 8), .dst_id = get_u64(w->req + 16),
						  .nr_pages = nr_pages, .demand = demand};
	return 0;
}

/* A whole request in W->req: note it, cap it, copy it to OUT. */
static int one_request(struct cr_page_wire *w, uint8_t *out, struct cr_error *err)
{
	uint32_t cmd = get_u32(w->req), nr = get_u32(w->req + 4);
	int r;
	if (cmd == PS_IOV_CLOSE || cmd == PS_IOV_FORCE_CLOSE) {
		r = ask(w, 0, false, err);
	} else if ((cmd & PS_CMD_MASK) == PS_IOV_GET) {
		/* A CRIU that marks faults marks them all; else a fault asks one page. */
		bool demand = (cmd & PS_GET_FAULT) || (!w->any_order && nr == 1);
		if (!demand && w->push_cap_pages > 0 && nr > w->push_cap_pages) {
			nr = w->push_cap_pages;
			memcpy(w->req + 4, &nr, sizeof(nr));
		}
		r = ask(w, nr, demand, err);
	} else {
		r = cr_error_set(err, EPROTO, "criu lazy-pages sent page-server command %#x, which the relay does "
				 "not know", (unsigned)cmd);
	}
	if (r < 0)
		return r;
	memcpy(out, w->req, CR_PAGE_WIRE_HDR);
	w->req_have = 0;
	return 0;
}

int cr_page_wire_requests(struct cr_page_wire *w, const uint8_t *buf, size_t len, uint8_t *out,
			  size_t *ret_out_len, struct cr_error *err)
{
	size_t n = 0;
	while (len > 0) {
		if (!gather(w->req, &w->req_have, CR_PAGE_WIRE_HDR, &buf, &len))
			break;
		int r = one_request(w, out + n, err);
		if (r < 0)
			return r;
		n += CR_PAGE_WIRE_HDR;
	}
	*ret_out_len = n;
	return 0;
}

/* The oldest unanswered request, whose answer starts now. */
static int answer_begins(struct cr_page_wire *w, struct cr_error *err)
{
	if (w->n_pending == 0)
		return cr_error_set(err, EPROTO, "the page server answered a request nobody made");
	/* A close is asked last: the oldest one left answers it. */
	const struct cr_page_wire_ask *a = &w->pending[w->head];
	w->ans_goal = a->nr_pages == 0 ? CLOSE_STATUS_LEN : CR_PAGE_WIRE_HDR;
	w->demand_now = a->demand;
	return 0;
}

/* The request a whole answer header in W->ans is for: the oldest, or when
 * answers come in any order the one it names. */
static struct cr_page_wire_ask *answered_request(struct cr_page_wire *w, struct cr_error *err)
{
	if (!w->any_order || w->pending[w->head].nr_pages == 0)
		return &w->pending[w->head];
	uint64_t vaddr = get_u64(w->ans + 8), dst_id = get_u64(w->ans + 16);
	for (size_t k = 0; k < w->n_slots; k++) {
		struct cr_page_wire_ask *a = &w->pending[(w->head + k) % CR_PAGE_WIRE_MAX_PENDING];
		if (!a->answered && a->nr_pages > 0 && a->vaddr == vaddr && a->dst_id == dst_id)
			return a;
	}
	cr_error_set(err, EPROTO, "the page server answered pages at %#llx of %llu, which nobody asked",
		     (unsigned long long)vaddr, (unsigned long long)dst_id);
	return NULL;
}

/* A whole answer header (or close status) in W->ans. */
static int answer_header(struct cr_page_wire *w, struct cr_error *err)
{
	struct cr_page_wire_ask *a = answered_request(w, err);
	if (!a)
		return -EPROTO;
	a->answered = true;
	w->demand_now = a->demand;
	w->n_pending--;
	while (w->n_slots > 0 && w->pending[w->head].answered) {
		w->head = (w->head + 1) % CR_PAGE_WIRE_MAX_PENDING;
		w->n_slots--;
	}
	w->ans_have = 0;
	w->ans_goal = 0;
	if (a->nr_pages == 0)
		return 0; /* a close's status */
	uint32_t nr = get_u32(w->ans + 4);
	if (nr > a->nr_pages)
		return cr_error_set(err, EPROTO, "the page server answered %u pages to a request of %u", nr,
				    a->nr_pages);
	w->ans_data_left = (uint64_t)nr * CR_PAGE_WIRE_PAGE;
	if (w->demand_now) {
		w->counts.demand_pages += nr;
		w->counts.demand_requests++;
	} else {
		w->counts.pushed_pages += nr;
		w->counts.pushed_requests++;
		if (nr > w->counts.max_push_pages)
			w->counts.max_push_pages = nr;
	}
	return 0;
}

/* N bytes of the answer being read went by; ENDS: its last. */
static int answer_part(struct cr_page_wire *w, const uint8_t *p, size_t n, bool ends, cr_page_wire_part_fn part,
		       void *ctx, struct cr_error *err)
{
	if (ends && !w->demand_now)
		w->ordered_done++;
	return part ? part(ctx, p, n, w->demand_now, ends, err) : 0;
}

int cr_page_wire_answer_parts(struct cr_page_wire *w, const uint8_t *buf, size_t len, cr_page_wire_part_fn part,
			      void *ctx, struct cr_error *err)
{
	int r;
	while (len > 0) {
		if (w->ans_data_left > 0) {
			size_t take = w->ans_data_left < len ? (size_t)w->ans_data_left : len;
			w->ans_data_left -= take;
			if ((r = answer_part(w, buf, take, w->ans_data_left == 0, part, ctx, err)) < 0)
				return r;
			buf += take;
			len -= take;
			continue;
		}
		if (w->ans_goal == 0 && (r = answer_begins(w, err)) < 0)
			return r;
		size_t goal = w->ans_goal;
		if (!gather(w->ans, &w->ans_have, goal, &buf, &len))
			continue;
		if ((r = answer_header(w, err)) < 0 ||
		    (r = answer_part(w, w->ans, goal, w->ans_data_left == 0, part, ctx, err)) < 0)
			return r;
	}
	return 0;
}

int cr_page_wire_answers(struct cr_page_wire *w, const uint8_t *buf, size_t len, struct cr_error *err)
{
	return cr_page_wire_answer_parts(w, buf, len, NULL, NULL, err);
}
