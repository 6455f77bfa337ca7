/* movewpar --mode: post-copy where both hosts proved it, else stop-copy. */
#define LOG_PREFIX "move: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/host_facts.h"
#include "relocate/move_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

const char *cr_move_mode_name(enum cr_move_mode mode)
{
	switch (mode) {
	case CR_MOVE_POST_COPY:
		return "post-copy";
	case CR_MOVE_STOP_COPY:
		return "stop-copy";
	default:
		return "auto";
	}
}

/* Why post-copy cannot run here, or NULL (heap). */
static char *local_obstacle(void)
{
	struct cr_host_facts f = {0};
	struct cr_error e = CR_ERROR_INIT;
	char *why = NULL;
	if (cr_host_facts_get(false, &f, &e) < 0) {
		if (asprintf(&why, "this host cannot tell (%s)", cr_error_msg(&e)) < 0)
			why = NULL;
	} else if (f.probes[CR_PROBE_LAZY_PAGES].status != CR_PROBE_OK) {
		const char *d = f.probes[CR_PROBE_LAZY_PAGES].detail;
		if (asprintf(&why, "not on this host: %s", d ? d : "lazy pages not proven (corral check)") < 0)
			why = NULL;
	}
	cr_host_facts_free(&f);
	cr_error_clear(&e);
	return why;
}

/* Why post-copy cannot run on the peer, or NULL (heap). */
static char *peer_obstacle(struct cr_peer *p)
{
	const char *need = "lazy-pages";
	char **reasons = NULL;
	size_t n = 0;
	struct cr_error e = CR_ERROR_INIT;
	char *why = NULL;
	if (cr_peer_preflight(p, NULL, &need, 1, &reasons, &n, &e) < 0) {
		if (asprintf(&why, "%s cannot tell (%s)", cr_peer_name(p), cr_error_msg(&e)) < 0)
			why = NULL;
	} else if (n > 0) {
		/* A corrald older than post-copy: "unknown need". */
		if (asprintf(&why, "not on %s: %s", cr_peer_name(p), reasons[0]) < 0)
			why = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(reasons[i]);
	free(reasons);
	cr_error_clear(&e);
	return why;
}

int cr_move_choose_mode(struct move *m, struct cr_peer *p, struct cr_error *err)
{
	struct cr_move_report *rep = m->rep;
	const char *peer = cr_peer_name(p);
	if (m->req->mode == CR_MOVE_STOP_COPY) {
		rep->mode = CR_MOVE_STOP_COPY;
		rep->mode_why = strdup("asked for (--mode stop-copy)");
		return 0;
	}
	cleanup_free char *why = local_obstacle();
	if (!why)
		why = peer_obstacle(p);
	if (!why) {
		rep->mode = CR_MOVE_POST_COPY;
		if (asprintf(&rep->mode_why, "%s: this host and %s proved lazy pages (corral check)",
			     m->req->mode == CR_MOVE_POST_COPY ? "asked for" : "auto", peer) < 0)
			rep->mode_why = NULL;
		return 0;
	}
	if (m->req->mode == CR_MOVE_POST_COPY)
		return cr_error_set(err, EOPNOTSUPP, "post-copy cannot move %s to %s: %s (--mode auto or stop-copy "
				    "moves it frozen)", m->req->name, peer, why);
	rep->mode = CR_MOVE_STOP_COPY;
	if (asprintf(&rep->mode_why, "auto: post-copy %s", why) < 0)
		rep->mode_why = NULL;
	return 0;
}
