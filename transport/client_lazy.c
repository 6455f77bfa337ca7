/* The source half of a post-copy relocation on the wire: Restore(lazy), then
 * LazyPages with the page relay until the peer's Result. */
#define LOG_PREFIX "client: "
#include "transport/client_lazy.h"

#include "transport/client_internal.h"
#include <sys/socket.h>

#include "util/cleanup.h"

static int restore_lazy(struct cr_peer *p, const char *name, const char *nfs_mark, const char *relocation,
			bool pipelined, struct cr_error *err)
{
	Crwire__Restore q = CRWIRE__RESTORE__INIT;
	q.name = (char *)name;
	q.nfs_mark = (char *)nfs_mark;
	q.relocation = (char *)relocation;
	q.has_lazy = true;
	q.lazy = true;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_RESTORE;
	req.restore = &q;
	return pipelined ? cr_peer_send_pending(p, &req, "restore", false, err) : cr_peer_call(p, &req, NULL, err);
}

int cr_peer_restore_lazy(struct cr_peer *p, const char *name, const char *nfs_mark, const char *relocation,
			 struct cr_error *err)
{
	return restore_lazy(p, name, nfs_mark, relocation, false, err);
}

int cr_peer_restore_lazy_begin(struct cr_peer *p, const char *name, const char *nfs_mark, const char *relocation,
			       struct cr_error *err)
{
	if (!cr_peer_pipelines(p))
		return cr_error_set(err, EPROTONOSUPPORT, "%s speaks protocol %u.%u: a pipelined Restore needs 1.2",
				    cr_peer_name(p), p->remote.proto_major, p->remote.proto_minor);
	return restore_lazy(p, name, nfs_mark, relocation, true, err);
}

bool cr_peer_resumes_pages(const struct cr_peer *p)
{
	return cr_peer_speaks(p, 1, 3);
}

static int send_lazy_pages(struct cr_peer *p, const char *name, const char *relocation, const uint64_t *resume_from,
			   struct cr_error *err)
{
	Crwire__LazyPages q = CRWIRE__LAZY_PAGES__INIT;
	q.name = (char *)name;
	q.relocation = (char *)relocation;
	q.has_resume_from = resume_from != NULL;
	q.resume_from = resume_from ? *resume_from : 0;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_LAZY_PAGES;
	req.lazy_pages = &q;
	req.has_id = true;
	req.id = ++p->next_id;
	int r = cr_peer_send(p, &req, "lazy_pages request", err);
	if (r < 0)
		return r;
	return 0;
}

/* The relay until the peer's Result, which says how the transfer ended. */
static int relay_to_result(struct cr_peer *p, struct cr_page_relay *rl, int local, const struct cr_page_relay_opts *o,
			   struct cr_page_relay_stats *st, bool *ret_peer_answered, struct cr_error *err)
{
	cleanup_envelope Crwire__Envelope *result = NULL;
	int r = cr_page_relay_run(rl, &p->conn, local, o, st, &result, err);
	if (r < 0 && r != -ECANCELED)
		return r;
	if (!result) { /* both sides ended the relay: the Result follows */
		if ((r = cr_conn_recv(&p->conn, &result, err)) < 0)
			return cr_error_wrap(err, "waiting for %s's answer to lazy_pages", p->conn.peer_name);
		if (result->body_case != CRWIRE__ENVELOPE__BODY_RESULT)
			return cr_error_set(err, EPROTO, "%s answered lazy_pages with %s", p->conn.peer_name,
					    cr_wire_body_name(result));
	}
	cr_error_clear(err);
	*ret_peer_answered = true;
	int code = result->result->code;
	if (code == 0 && r == -ECANCELED)
		return cr_error_set(err, EPROTO, "%s ended the page transfer early yet called it a success",
				    p->conn.peer_name);
	if (code != 0)
		return cr_error_set(err, code > 0 && code < 4096 ? code : EPROTO, "%s: %s", p->conn.peer_name,
				    result->result->message ? result->result->message : "failed");
	return 0;
}

int cr_peer_lazy_pages(struct cr_peer *p, const char *name, const char *relocation, struct cr_page_relay *rl,
		       int local, const struct cr_page_relay_opts *o, struct cr_page_relay_stats *st,
		       bool *ret_peer_answered, struct cr_error *err)
{
	*ret_peer_answered = false;
	int r = send_lazy_pages(p, name, rl->resumable ? relocation : NULL, NULL, err);
	if (r < 0)
		return r;
	return relay_to_result(p, rl, local, o, st, ret_peer_answered, err);
}

int cr_peer_lazy_pages_resume(struct cr_peer *p, const char *name, const char *relocation, struct cr_page_relay *rl,
			      int local, const struct cr_page_relay_opts *o, struct cr_page_relay_stats *st,
			      bool *ret_peer_answered, struct cr_error *err)
{
	*ret_peer_answered = false;
	st->conn_failed = false;
	int r = send_lazy_pages(p, name, relocation, &rl->received, err);
	if (r < 0) {
		st->conn_failed = true;
		return r;
	}
	/* Its count of this side's stream, or a refusal. */
	cleanup_envelope Crwire__Envelope *m = NULL;
	if ((r = cr_conn_recv(&p->conn, &m, err)) < 0) {
		st->conn_failed = true;
		return cr_error_wrap(err, "waiting for %s to resume the page transfer", p->conn.peer_name);
	}
	if (m->body_case == CRWIRE__ENVELOPE__BODY_RESULT)
		return cr_error_set(err, m->result->code > 0 && m->result->code < 4096 ? m->result->code : EPROTO,
				    "%s: %s", p->conn.peer_name, m->result->message ? m->result->message : "refused");
	if (m->body_case != CRWIRE__ENVELOPE__BODY_PAGE_DATA || !m->page_data->has_acked ||
	    (m->page_data->has_data && m->page_data->data.len > 0))
		return cr_error_set(err, EPROTO, "%s answered a resumed lazy_pages with %s", p->conn.peer_name,
				    cr_wire_body_name(m));
	if ((r = cr_page_relay_rewind(rl, m->page_data->acked, err)) < 0)
		return cr_error_wrap(err, "resuming the page transfer with %s", p->conn.peer_name);
	st->resumes++;
	return relay_to_result(p, rl, local, o, st, ret_peer_answered, err);
}

void cr_peer_shutdown(struct cr_peer *p)
{
	if (p && p->fd >= 0)
		(void)shutdown(p->fd, SHUT_RDWR);
}
