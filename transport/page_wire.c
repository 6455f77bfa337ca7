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
	if (w->n_pending == CR_PAGE_WIRE_MAX_PENDING)
		return cr_error_set(err, EPROTO, "criu lazy-pages has more than %d page requests unanswered",
				    CR_PAGE_WIRE_MAX_PENDING);
	size_t i = (w->head + w->n_pending++) % CR_PAGE_WIRE_MAX_PENDING;
	w->pending[i].nr_pages = nr_pages;
	w->pending[i].demand = demand;
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
		bool demand = nr == 1;
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
	const struct cr_page_wire_ask *a = &w->pending[w->head];
	w->ans_goal = a->nr_pages == 0 ? CLOSE_STATUS_LEN : CR_PAGE_WIRE_HDR;
	w->demand_now = a->demand;
	return 0;
}

/* A whole answer header (or close status) in W->ans. */
static int answer_header(struct cr_page_wire *w, struct cr_error *err)
{
	const struct cr_page_wire_ask *a = &w->pending[w->head];
	w->head = (w->head + 1) % CR_PAGE_WIRE_MAX_PENDING;
	w->n_pending--;
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

int cr_page_wire_answers(struct cr_page_wire *w, const uint8_t *buf, size_t len, struct cr_error *err)
{
	while (len > 0) {
		if (w->ans_data_left > 0) {
			size_t take = w->ans_data_left < len ? (size_t)w->ans_data_left : len;
			w->ans_data_left -= take;
			buf += take;
			len -= take;
			continue;
		}
		int r;
		if (w->ans_goal == 0 && (r = answer_begins(w, err)) < 0)
			return r;
		if (gather(w->ans, &w->ans_have, w->ans_goal, &buf, &len) && (r = answer_header(w, err)) < 0)
			return r;
	}
	return 0;
}
