/* Waiting for a change in the store (fleet/etcd.h): one etcd watch stream
 * kept open across waits, driven by libcurl's multi interface so that a
 * wait also ends when the caller's own descriptor (a child that ended)
 * becomes readable. The stream is opened again after an error, after
 * CR_WATCH_MAX_AGE_S (a member that stopped sending is never followed
 * long), and when a caller asks for changes from before its start. */
#define LOG_PREFIX "etcd: "
#include <stdlib.h>
#include <string.h>

#include "fleet/etcd_internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

#define CR_WATCH_MAX_AGE_S 60
#define CR_WATCH_MAX_LINE (16u << 20)

struct cr_etcd_watch {
	struct cr_etcd *e; /* borrowed */
	char *prefix;
	char **subs; /* PREFIX + each SUB */
	size_t n_subs;
	CURLM *multi;
	CURL *easy; /* the stream; NULL while closed */
	struct curl_slist *hdr;
	char *body;
	int64_t from;       /* the stream's start revision */
	int64_t opened_ns;
	int64_t seen;       /* the highest revision of a followed change seen on it */
	bool restart;       /* cancelled, compacted or unreadable: changes may be lost */
	bool skip_own;      /* changes written through E do not end a wait */
	char *line;         /* a line not yet complete */
	size_t line_len;
};

static void stream_close(struct cr_etcd_watch *w)
{
	if (w->easy) {
		curl_multi_remove_handle(w->multi, w->easy);
		curl_easy_cleanup(w->easy);
		w->easy = NULL;
	}
	curl_slist_free_all(w->hdr);
	w->hdr = NULL;
	free(w->body);
	w->body = NULL;
	free(w->line);
	w->line = NULL;
	w->line_len = 0;
	w->seen = 0;
	w->restart = false;
}

void cr_etcd_watch_close(struct cr_etcd_watch *w)
{
	if (!w)
		return;
	stream_close(w);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	for (size_t i = 0; i < w->n_subs; i++)
		free(w->subs[i]);
	free(w->subs);
	free(w->prefix);
	free(w);
}

int cr_etcd_watch_follow(struct cr_etcd_watch *w, const char *const *subs, size_t n_subs, struct cr_error *err)
{
	char **v = calloc(n_subs + 1, sizeof(char *));
	for (size_t i = 0; v && i < n_subs; i++)
		if (asprintf(&v[i], "%s%s", w->prefix, subs[i]) < 0) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			v = NULL;
		}
	if (!v)
		return cr_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < w->n_subs; i++)
		free(w->subs[i]);
	free(w->subs);
	w->subs = v;
	w->n_subs = n_subs;
	return 0;
}

void cr_etcd_watch_skip_own(struct cr_etcd_watch *w)
{
	w->skip_own = true;
}

int cr_etcd_watch_open(struct cr_etcd *e, const char *prefix, const char *const *subs, size_t n_subs,
		       struct cr_etcd_watch **ret, struct cr_error *err)
{
	struct cr_etcd_watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->prefix = strdup(prefix))) {
		cr_etcd_watch_close(w);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	w->e = e;
	int r = cr_etcd_watch_follow(w, subs, n_subs, err);
	if (r < 0) {
		cr_etcd_watch_close(w);
		return r;
	}
	if (!(w->multi = curl_multi_init())) {
		cr_etcd_watch_close(w);
		return cr_error_set(err, ENOMEM, "cannot make a libcurl multi handle");
	}
	*ret = w;
	return 0;
}

static void take_line(struct cr_etcd_watch *w, const char *line, size_t len)
{
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return;
	int r = cr_etcd_watch_line_except(line, len, (const char *const *)w->subs, w->n_subs, w->skip_own ? w->e : NULL,
					  &w->seen, &err);
	if (r != 0) {
		if (r < 0)
			cr_debug("watch: %s", cr_error_msg(&err));
		w->restart = true;
	}
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct cr_etcd_watch *w = userdata;
	size_t n = size * nmemb;
	if (w->line_len + n > CR_WATCH_MAX_LINE) {
		w->restart = true;
		return 0; /* ends the transfer */
	}
	char *g = realloc(w->line, w->line_len + n + 1);
	if (!g)
		return 0;
	memcpy(g + w->line_len, ptr, n);
	w->line = g;
	w->line_len += n;
	char *start = w->line, *nl;
	size_t left = w->line_len;
	while ((nl = memchr(start, '\n', left))) {
		take_line(w, start, (size_t)(nl - start));
		left -= (size_t)(nl + 1 - start);
		start = nl + 1;
	}
	memmove(w->line, start, left);
	w->line_len = left;
	return n;
}

static int stream_open(struct cr_etcd_watch *w, int64_t from, struct cr_error *err)
{
	cleanup_json json_object *req = json_object_new_object(), *create = json_object_new_object();
	if (!req || !create)
		return cr_error_set(err, ENOMEM, "out of memory");
	/* the range: every key under the prefix (its last byte plus one) */
	cleanup_free char *end = strdup(w->prefix);
	size_t n = strlen(w->prefix);
	if (!end || !n)
		return cr_error_set(err, ENOMEM, "out of memory");
	end[n - 1]++;
	int r = cr_etcd_add_b64(create, "key", w->prefix, n, err);
	if (r == 0)
		r = cr_etcd_add_b64(create, "range_end", end, n, err);
	if (r == 0)
		r = cr_etcd_add_int64(create, "start_revision", from, err);
	if (r < 0)
		return r;
	json_object_object_add(req, "create_request", json_object_get(create));
	cleanup_free char *url = NULL;
	if (asprintf(&url, "%s/v3/watch", cr_etcd_endpoint(w->e)) < 0 ||
	    !(w->body = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN))) ||
	    !(w->hdr = curl_slist_append(NULL, "Content-Type: application/json")) || !(w->easy = curl_easy_init())) {
		stream_close(w);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	cr_etcd_curl_setup(w->e, w->easy, url, w->hdr, w->body, 0);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	if (curl_multi_add_handle(w->multi, w->easy) != CURLM_OK) {
		curl_easy_cleanup(w->easy);
		w->easy = NULL;
		stream_close(w);
		return cr_error_set(err, EIO, "cannot start a watch on %s", url);
	}
	w->from = from;
	w->opened_ns = cr_now_ns();
	return 0;
}

/* Has the stream ended (an error, or the member closed it)? */
static bool stream_ended(struct cr_etcd_watch *w, struct cr_error *err)
{
	int left = 0;
	CURLMsg *m;
	bool ended = false;
	while ((m = curl_multi_info_read(w->multi, &left)))
		if (m->msg == CURLMSG_DONE && m->easy_handle == w->easy) {
			cr_error_set(err, EIO, "watch on %s ended: %s", cr_etcd_endpoint(w->e),
				     curl_easy_strerror(m->data.result));
			ended = true;
		}
	return ended;
}

int cr_etcd_watch_wait(struct cr_etcd_watch *w, int64_t after, int timeout_ms, int wake_fd, struct cr_error *err)
{
	if (after <= 0)
		return cr_error_set(err, EINVAL, "a watch needs a revision to start after");
	bool stale = w->easy && (w->from > after + 1 || w->restart ||
				 cr_now_ns() - w->opened_ns > (int64_t)CR_WATCH_MAX_AGE_S * 1000000000LL);
	if (stale)
		stream_close(w);
	int r;
	if (!w->easy && (r = stream_open(w, after + 1, err)) < 0)
		return r;
	int64_t until = cr_now_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		int running = 0;
		if (curl_multi_perform(w->multi, &running) != CURLM_OK) {
			stream_close(w);
			return cr_error_set(err, EIO, "watch on %s failed", cr_etcd_endpoint(w->e));
		}
		if (stream_ended(w, err)) {
			bool lost = w->restart; /* cut after a line that asked for a restart */
			stream_close(w);
			if (!lost)
				return -EIO;
			cr_error_clear(err);
			return 1;
		}
		if (w->seen > after || w->restart)
			return 1;
		int64_t left_ms = (until - cr_now_ns()) / 1000000;
		if (left_ms <= 0)
			return 0;
		struct curl_waitfd extra = {.fd = wake_fd, .events = CURL_WAIT_POLLIN};
		int n = 0;
		if (curl_multi_poll(w->multi, wake_fd >= 0 ? &extra : NULL, wake_fd >= 0 ? 1 : 0, (int)left_ms, &n) !=
		    CURLM_OK) {
			stream_close(w);
			return cr_error_set(err, EIO, "waiting on the watch of %s failed", cr_etcd_endpoint(w->e));
		}
		if (wake_fd >= 0 && (extra.revents & CURL_WAIT_POLLIN))
			return 2;
	}
}
