/* The etcd client's HTTP side: one libcurl handle, the endpoint list, and
 * the turn to the next endpoint when one cannot take a request. */
#define LOG_PREFIX "etcd: "
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/etcd_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define CR_ETCD_MAX_ANSWER (64u << 20)

struct cr_etcd {
	CURL *curl;
	char **urls;
	size_t n_urls;
	size_t current; /* the endpoint that answered last */
	int timeout_ms;
	char *ca_file, *cert_file, *key_file;
	int64_t revision; /* the highest store revision an answer carried */
	int64_t own[16];  /* the revisions of the last writes made through it */
	unsigned n_own;
};

struct answer_buf {
	char *data;
	size_t len;
	bool too_big;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;
static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int dup_opt(char **dst, const char *src, struct cr_error *err)
{
	if (src && !(*dst = strdup(src)))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int split_endpoints(struct cr_etcd *e, const char *list, struct cr_error *err)
{
	cleanup_free char *copy = strdup(list);
	if (!copy)
		return cr_error_set(err, ENOMEM, "out of memory");
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t n = strlen(tok);
		while (n > 0 && (tok[n - 1] == '/' || tok[n - 1] == ' '))
			tok[--n] = '\0';
		if (!n)
			continue;
		if (strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8))
			return cr_error_set(err, EINVAL, "store endpoint '%s' is not an http:// or https:// URL",
					    tok);
		char **grown = realloc(e->urls, (e->n_urls + 1) * sizeof(*grown));
		if (!grown)
			return cr_error_set(err, ENOMEM, "out of memory");
		e->urls = grown;
		if (!(e->urls[e->n_urls] = strdup(tok)))
			return cr_error_set(err, ENOMEM, "out of memory");
		e->n_urls++;
	}
	if (!e->n_urls)
		return cr_error_set(err, EINVAL, "no store endpoint in '%s'", list);
	return 0;
}

int cr_etcd_open(const struct cr_etcd_options *o, struct cr_etcd **ret, struct cr_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK)
		return cr_error_set(err, EIO, "cannot initialise libcurl: %s",
				    curl_easy_strerror(curl_init_result));
	if (!o->endpoints || !*o->endpoints)
		return cr_error_set(err, EINVAL, "no store endpoint given");
	struct cr_etcd *e = calloc(1, sizeof(*e));
	if (!e)
		return cr_error_set(err, ENOMEM, "out of memory");
	e->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : CR_ETCD_DEFAULT_TIMEOUT_MS;
	int r = split_endpoints(e, o->endpoints, err);
	if (r == 0)
		r = dup_opt(&e->ca_file, o->ca_file, err);
	if (r == 0)
		r = dup_opt(&e->cert_file, o->cert_file, err);
	if (r == 0)
		r = dup_opt(&e->key_file, o->key_file, err);
	if (r == 0 && !(e->curl = curl_easy_init()))
		r = cr_error_set(err, ENOMEM, "cannot make a libcurl handle");
	if (r < 0) {
		cr_etcd_close(e);
		return r;
	}
	*ret = e;
	return 0;
}

void cr_etcd_close(struct cr_etcd *e)
{
	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	for (size_t i = 0; i < e->n_urls; i++)
		free(e->urls[i]);
	free(e->urls);
	free(e->ca_file);
	free(e->cert_file);
	free(e->key_file);
	free(e);
}

const char *cr_etcd_endpoint(const struct cr_etcd *e)
{
	return e->urls[e->current];
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct answer_buf *b = userdata;
	size_t n = size * nmemb;
	if (b->len + n > CR_ETCD_MAX_ANSWER) {
		b->too_big = true;
		return 0;
	}
	char *grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

void cr_etcd_curl_setup(const struct cr_etcd *e, CURL *c, const char *url, struct curl_slist *hdr, const char *body,
			long timeout_ms)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(e->timeout_ms < 2000 ? e->timeout_ms : 2000));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (e->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
	if (e->cert_file)
		curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert_file);
	if (e->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, e->key_file);
}

int64_t cr_etcd_revision(const struct cr_etcd *e)
{
	return e->revision;
}

void cr_etcd_note_own(struct cr_etcd *e, int64_t rev)
{
	e->own[e->n_own++ % (sizeof(e->own) / sizeof(e->own[0]))] = rev;
}

bool cr_etcd_is_own(const struct cr_etcd *e, int64_t rev)
{
	for (size_t i = 0; rev > 0 && i < sizeof(e->own) / sizeof(e->own[0]); i++)
		if (e->own[i] == rev)
			return true;
	return false;
}

/* Keep the store revision ANSWER's header carries (a watch starts after it). */
static void note_revision(struct cr_etcd *e, json_object *answer)
{
	json_object *header = NULL;
	int64_t rev = 0;
	cleanup_error struct cr_error ignored = CR_ERROR_INIT;
	if (json_object_object_get_ex(answer, "header", &header) && header &&
	    cr_etcd_int64(header, "revision", &rev, &ignored) == 0 && rev > e->revision)
		e->revision = rev;
}

/* Was the request surely not taken by the endpoint? */
static bool not_sent(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
	       c == CURLE_COULDNT_RESOLVE_PROXY || c == CURLE_SSL_CONNECT_ERROR;
}

/* One attempt on endpoint I. Returns 0 with the answer, or a negative code:
 * -ECONNREFUSED when it did not take the request, -ETIMEDOUT when it was
 * sent but no usable answer came, -EAGAIN for 503 (no leader there). */
static int attempt(struct cr_etcd *e, size_t i, const char *path, const char *body,
		   struct answer_buf *ans, long *ret_status, struct cr_error *err)
{
	cleanup_free char *url = NULL;
	if (asprintf(&url, "%s%s", e->urls[i], path) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	CURL *c = e->curl;
	curl_easy_reset(c);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	cr_etcd_curl_setup(e, c, url, hdr, body, e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		int code = not_sent(rc) ? ECONNREFUSED : ETIMEDOUT;
		if (ans->too_big)
			code = EFBIG;
		return cr_error_set(err, code, "store %s%s: %s", e->urls[i], path, curl_easy_strerror(rc));
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
	if (*ret_status == 503)
		return cr_error_set(err, EAGAIN, "store %s has no leader (HTTP 503)", e->urls[i]);
	return 0;
}

static int answer_error(json_object *answer, long status, const char *where, struct cr_error *err)
{
	json_object *msg = NULL;
	if (json_object_object_get_ex(answer, "error", &msg) ||
	    json_object_object_get_ex(answer, "message", &msg))
		return cr_error_set(err, status == 404 ? ENOENT : EIO, "store %s: %s", where,
				    json_object_get_string(msg));
	if (status >= 300)
		return cr_error_set(err, EIO, "store %s: HTTP %ld", where, status);
	return 0;
}

int cr_etcd_call(struct cr_etcd *e, const char *path, json_object *req, enum cr_etcd_call_kind kind,
		 json_object **ret, bool *ret_uncertain, struct cr_error *err)
{
	const char *body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	cr_debug("request %s", path); /* CORRAL_DEBUG: the store's requests counted by kind */
	bool uncertain = false;
	int r = -EIO;
	for (size_t k = 0; k < e->n_urls; k++) {
		size_t i = (e->current + k) % e->n_urls;
		struct answer_buf ans = {NULL, 0, false};
		long status = 0;
		r = attempt(e, i, path, body, &ans, &status, err);
		if (r == 0) {
			cleanup_json json_object *answer = NULL;
			r = cr_etcd_parse_answer(ans.data ? ans.data : "", ans.len, &answer, err);
			free(ans.data);
			if (r == 0 && status == 500 && kind == CR_ETCD_WRITE) {
				/* etcd answers 500 when a proposal timed out: it may still apply. */
				uncertain = true;
				r = answer_error(answer, status, path, err);
				cr_debug("%s on %s: %s, trying the next member", path, e->urls[i], cr_error_msg(err));
				continue;
			}
			if (r == 0)
				r = answer_error(answer, status, path, err);
			if (r < 0)
				return r;
			e->current = i;
			note_revision(e, answer);
			*ret = steal_pointer(&answer);
			if (ret_uncertain)
				*ret_uncertain = uncertain;
			return 0;
		}
		free(ans.data);
		if (r == -ETIMEDOUT && kind == CR_ETCD_WRITE)
			uncertain = true;
		cr_debug("%s", cr_error_msg(err));
	}
	if (uncertain)
		return cr_error_set(err, ETIMEDOUT, "store write %s: no member answered; its outcome is unknown",
				    path);
	return cr_error_wrap(err, "no store member answered (%zu tried)", e->n_urls);
}
