/* Connecting to a peer and request/response calls. */
#define LOG_PREFIX "client: "
#include "transport/client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "partition/state.h"
#include "transport/client_internal.h"
#include "transport/daemon.h"
#include "transport/handshake.h"
#include "transport/netaddr.h"
#include "transport/trust.h"
#include "util/cleanup.h"
#include "util/log.h"

void cr_peer_close(struct cr_peer *p)
{
	if (!p)
		return;
	cr_conn_release(&p->conn);
	cr_peer_info_free(&p->local);
	cr_peer_info_free(&p->remote);
	free(p->chunk);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

const struct cr_peer_info *cr_peer_hello(const struct cr_peer *p)
{
	return &p->remote;
}

bool cr_peer_speaks(const struct cr_peer *p, unsigned major, unsigned minor)
{
	return p->remote.proto_major == major && p->remote.proto_minor >= minor;
}

const char *cr_peer_name(const struct cr_peer *p)
{
	return p->conn.peer_name;
}

int cr_peer_open_fd(int fd, const char *name, const struct cr_host_keypair *kp,
		    const uint8_t *expected_pk, int timeout_ms, struct cr_peer **ret_peer,
		    struct cr_error *err)
{
	struct cr_peer *p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	p->fd = fd;
	cr_conn_init(&p->conn, fd, timeout_ms);
	int r = 0;
	if (kp)
		r = cr_handshake_client(&p->conn, kp, expected_pk, name, err);
	else if (!(p->conn.peer_name = strdup(name)))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = cr_peer_info_local(&p->local, err);
	if (r == 0)
		r = cr_hello_send(&p->conn, &p->local, err);
	if (r == 0)
		r = cr_hello_recv(&p->conn, &p->remote, err);
	if (r == 0)
		r = cr_hello_check_version(&p->local, p->remote.proto_major, p->remote.proto_minor,
					   name, err);
	if (r < 0) {
		cr_peer_close(p);
		return r;
	}
	*ret_peer = p;
	return 0;
}

/* Wait for a non-blocking connect on FD, then make FD blocking again. */
static int finish_connect(int fd, int timeout_ms, const char *what, struct cr_error *err)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int n;
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cr_error_errno(err, "cannot wait for the connection to %s", what);
	if (n == 0)
		return cr_error_set(err, ETIMEDOUT, "cannot connect to %s: no answer within %d ms",
				    what, timeout_ms);
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return cr_error_errno(err, "cannot connect to %s", what);
	if (soerr) {
		errno = soerr;
		return cr_error_errno(err, "cannot connect to %s", what);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return cr_error_errno(err, "cannot set up the connection to %s", what);
	return 0;
}

static int connect_sockaddr(const struct sockaddr *sa, socklen_t salen, int timeout_ms,
			    const char *what, int *ret_fd, struct cr_error *err)
{
	cleanup_close int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot make a socket for %s", what);
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS && errno != EINTR)
		return cr_error_errno(err, "cannot connect to %s", what);
	int r = finish_connect(fd, timeout_ms, what, err);
	if (r < 0)
		return r;
	if (sa->sa_family != AF_UNIX)
		cr_conn_nodelay(fd);
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

static int connect_tcp(const char *addr, int timeout_ms, const char *what, int *ret_fd,
		       struct cr_error *err)
{
	struct addrinfo *ai = NULL;
	int r = cr_addr_resolve(addr, false, &ai, err);
	if (r < 0)
		return r;
	r = connect_sockaddr(ai->ai_addr, ai->ai_addrlen, timeout_ms, what, ret_fd, err);
	freeaddrinfo(ai);
	return r;
}

/* The trusted-peers entry for PEER: by name, by the address as written, or
 * by the same host and port. */
static const struct cr_trusted_peer *find_peer(const struct cr_trust_list *l, const char *peer)
{
	const struct cr_trusted_peer *tp = cr_trust_find_name(l, peer);
	if (!tp)
		tp = cr_trust_find_addr(l, peer);
	if (tp)
		return tp;
	cleanup_free char *host = NULL;
	int port;
	struct cr_error e = CR_ERROR_INIT;
	if (cr_addr_split(peer, CR_WIRE_DEFAULT_PORT, &host, &port, &e) < 0) {
		cr_error_clear(&e);
		return NULL;
	}
	for (size_t i = 0; i < l->n && !tp; i++) {
		cleanup_free char *h = NULL;
		int pp;
		if (cr_addr_split(l->peers[i].addr, CR_WIRE_DEFAULT_PORT, &h, &pp, &e) == 0 &&
		    pp == port && strcmp(h, host) == 0)
			tp = &l->peers[i];
		cr_error_clear(&e);
	}
	return tp;
}

int cr_peer_connect(const char *peer, int timeout_ms, struct cr_peer **ret_peer,
		    struct cr_error *err)
{
	cleanup_free char *trust_path = NULL, *key_path = NULL, *pub_path = NULL;
	cleanup_trust_list struct cr_trust_list trust = {NULL, 0};
	struct cr_host_keypair kp;
	int r = cr_trust_path(&trust_path, err);
	if (r == 0)
		r = cr_trust_load(trust_path, &trust, err);
	if (r < 0)
		return r;
	const struct cr_trusted_peer *tp = find_peer(&trust, peer);
	if (!tp)
		return cr_error_set(err, ENOENT,
				    "'%s' is not in %s (add it with corral trust NAME ADDR KEY)",
				    peer, trust_path);
	r = cr_hostkey_paths(&key_path, &pub_path, err);
	if (r == 0)
		r = cr_hostkey_load(key_path, &kp, err);
	if (r < 0)
		return cr_error_wrap(err, "this host's key (make one with corral keygen)");
	cleanup_free char *what = NULL;
	if (asprintf(&what, "%s (%s)", tp->name, tp->addr) < 0)
		what = NULL;
	int fd = -1;
	r = connect_tcp(tp->addr, timeout_ms, what ? what : tp->name, &fd, err);
	if (r == 0)
		r = cr_peer_open_fd(fd, tp->name, &kp, tp->pk, timeout_ms, ret_peer, err);
	cr_memzero(&kp, sizeof(kp));
	return r;
}

int cr_peer_connect_local(const char *socket_path, int timeout_ms, struct cr_peer **ret_peer,
			  struct cr_error *err)
{
	cleanup_free char *def = NULL;
	if (!socket_path) {
		int r = cr_corrald_socket_path(&def, err);
		if (r < 0)
			return r;
		socket_path = def;
	}
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof(sun.sun_path))
		return cr_error_set(err, ENAMETOOLONG, "socket path %s is too long", socket_path);
	strcpy(sun.sun_path, socket_path);
	int fd = -1;
	int r = connect_sockaddr((const struct sockaddr *)&sun, sizeof(sun), timeout_ms,
				 socket_path, &fd, err);
	if (r < 0)
		return cr_error_wrap(err, "is corrald running?");
	return cr_peer_open_fd(fd, "local corrald", NULL, NULL, timeout_ms, ret_peer, err);
}

/* Wait for one Result: 0; negative with *RET_REFUSED when it says no,
 * without when the connection failed. */
static int wait_one(struct cr_peer *p, const char *what, Crwire__Envelope **ret_reply, bool *ret_refused,
		    struct cr_error *err)
{
	*ret_refused = false;
	cleanup_envelope Crwire__Envelope *m = NULL;
	int r = cr_conn_recv(&p->conn, &m, err);
	if (r < 0)
		return cr_error_wrap(err, "waiting for %s's answer to %s", p->conn.peer_name, what);
	if (m->body_case != CRWIRE__ENVELOPE__BODY_RESULT)
		return cr_error_set(err, EPROTO, "%s answered %s with %s", p->conn.peer_name, what,
				    cr_wire_body_name(m));
	int code = m->result->code;
	if (code != 0) {
		*ret_refused = true;
		return cr_error_set(err, code > 0 && code < 4096 ? code : EPROTO, "%s: %s: %s",
				    p->conn.peer_name, what,
				    m->result->message ? m->result->message : "failed");
	}
	if (ret_reply)
		*ret_reply = steal_pointer(&m);
	return 0;
}

int cr_peer_send_pending(struct cr_peer *p, Crwire__Envelope *req, const char *what, bool tolerated,
			 struct cr_error *err)
{
	if (p->n_pending == CR_PEER_MAX_PENDING)
		return cr_error_set(err, EBUSY, "%d requests to %s await their answers already", CR_PEER_MAX_PENDING,
				    p->conn.peer_name);
	req->has_id = true;
	req->id = ++p->next_id;
	char name[64];
	snprintf(name, sizeof(name), "%s request", what);
	int r = cr_peer_send(p, req, name, err);
	if (r < 0)
		return r;
	p->pending[p->n_pending++] = (struct cr_peer_pending){.what = what, .tolerated = tolerated};
	return 0;
}

/* The Results still owed, in order: the first refusal that is not
 * tolerated is returned (the later ones are read all the same, so that the
 * connection stays in step); a broken connection ends it at once, with
 * *RET_BROKEN set. */
static int collect_why(struct cr_peer *p, bool *ret_broken, bool *ret_refused, struct cr_error *err)
{
	int first = 0;
	*ret_broken = false;
	*ret_refused = false;
	while (p->n_pending > 0) {
		struct cr_peer_pending pd = p->pending[0];
		memmove(p->pending, p->pending + 1, --p->n_pending * sizeof(pd));
		struct cr_error e = CR_ERROR_INIT;
		bool refused = false;
		int r = wait_one(p, pd.what, NULL, &refused, &e);
		if (r < 0 && refused && pd.tolerated)
			cr_debug("%s (going on without it)", cr_error_msg(&e));
		else if (r < 0 && first == 0) {
			first = cr_error_set(err, e.code, "%s", cr_error_msg(&e));
			*ret_refused = refused;
		}
		cr_error_clear(&e);
		if (r < 0 && !refused) {
			p->n_pending = 0;
			*ret_broken = true;
		}
	}
	return first;
}

static int collect(struct cr_peer *p, bool *ret_broken, struct cr_error *err)
{
	bool refused;
	return collect_why(p, ret_broken, &refused, err);
}

int cr_peer_send(struct cr_peer *p, const Crwire__Envelope *msg, const char *what, struct cr_error *err)
{
	int r = cr_conn_send(&p->conn, msg, err);
	if (r == 0)
		return 0;
	if ((r == -EPIPE || r == -ECONNRESET) && p->n_pending > 0) {
		/* What it answered before it closed is still to be read. */
		struct cr_error why = CR_ERROR_INIT;
		bool broken, refused;
		int w = collect_why(p, &broken, &refused, &why);
		if (w < 0 && refused) {
			cr_debug("%s to %s failed: %s", what, p->conn.peer_name, cr_error_msg(err));
			cr_error_clear(err);
			r = cr_error_set(err, why.code, "%s", cr_error_msg(&why));
			cr_error_clear(&why);
			return r;
		}
		cr_error_clear(&why);
	}
	return cr_error_wrap(err, "%s to %s", what, p->conn.peer_name);
}

int cr_peer_collect(struct cr_peer *p, struct cr_error *err)
{
	bool broken;
	return collect(p, &broken, err);
}

int cr_peer_collect_first(struct cr_peer *p, struct cr_error *err)
{
	size_t upto = 0; /* the tolerated ones before it come with it */
	while (upto < p->n_pending && p->pending[upto].tolerated)
		upto++;
	if (upto == p->n_pending)
		return cr_peer_collect(p, err);
	struct cr_peer_pending later[CR_PEER_MAX_PENDING];
	size_t n_later = p->n_pending - upto - 1;
	memcpy(later, p->pending + upto + 1, n_later * sizeof(later[0]));
	p->n_pending = upto + 1;
	bool broken;
	int r = collect(p, &broken, err);
	if (!broken) {
		memcpy(p->pending, later, n_later * sizeof(later[0]));
		p->n_pending = n_later;
	}
	return r;
}

bool cr_peer_pipelines(const struct cr_peer *p)
{
	return cr_peer_speaks(p, 1, 2);
}

int cr_peer_call(struct cr_peer *p, Crwire__Envelope *req, Crwire__Envelope **ret_reply,
		 struct cr_error *err)
{
	req->has_id = true;
	req->id = ++p->next_id;
	char name[64];
	snprintf(name, sizeof(name), "%s request", cr_wire_body_name(req));
	int r = cr_peer_send(p, req, name, err);
	if (r < 0)
		return r;
	/* Answers owed to earlier requests come first; the first refusal among
	 * them is the error (this request's answer is read all the same). */
	bool broken = false;
	int earlier = collect(p, &broken, err);
	if (broken)
		return earlier;
	struct cr_error e = CR_ERROR_INIT;
	bool refused;
	r = wait_one(p, cr_wire_body_name(req), earlier < 0 ? NULL : ret_reply, &refused, earlier < 0 ? &e : err);
	cr_error_clear(&e);
	return earlier < 0 ? earlier : r;
}

int cr_peer_wait_result(struct cr_peer *p, const char *what, Crwire__Envelope **ret_reply,
			struct cr_error *err)
{
	bool refused;
	return wait_one(p, what, ret_reply, &refused, err);
}

int cr_peer_ping(struct cr_peer *p, struct cr_error *err)
{
	uint8_t nonce[16];
	cr_random_bytes(nonce, sizeof(nonce));
	Crwire__Ping ping = CRWIRE__PING__INIT;
	ping.has_payload = true;
	ping.payload.data = nonce;
	ping.payload.len = sizeof(nonce);
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_PING;
	req.ping = &ping;
	cleanup_envelope Crwire__Envelope *reply = NULL;
	int r = cr_peer_call(p, &req, &reply, err);
	if (r < 0)
		return r;
	const Crwire__Result *res = reply->result;
	if (!res->has_payload || res->payload.len != sizeof(nonce) ||
	    memcmp(res->payload.data, nonce, sizeof(nonce)) != 0)
		return cr_error_set(err, EPROTO, "%s did not echo the ping", p->conn.peer_name);
	return 0;
}

int cr_peer_partition_exists(struct cr_peer *p, const char *name, bool *ret_exists,
			     struct cr_error *err)
{
	struct cr_peer_partition st = {0};
	int r = cr_peer_partition_state(p, name, NULL, &st, err);
	if (r == 0)
		*ret_exists = st.exists;
	return r;
}

static enum cr_departure_outcome outcome_of(const char *word)
{
	if (!word)
		return CR_DEPARTURE_UNKNOWN;
	if (!strcmp(word, "pending"))
		return CR_DEPARTURE_PENDING;
	if (!strcmp(word, "committed"))
		return CR_DEPARTURE_COMMITTED;
	if (!strcmp(word, "aborted"))
		return CR_DEPARTURE_ABORTED;
	return CR_DEPARTURE_UNKNOWN;
}

int cr_peer_partition_state(struct cr_peer *p, const char *name, const char *relocation,
			    struct cr_peer_partition *ret, struct cr_error *err)
{
	Crwire__PartitionExists q = CRWIRE__PARTITION_EXISTS__INIT;
	q.name = (char *)name;
	q.relocation = (char *)relocation;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_PARTITION_EXISTS;
	req.partition_exists = &q;
	cleanup_envelope Crwire__Envelope *reply = NULL;
	int r = cr_peer_call(p, &req, &reply, err);
	if (r < 0)
		return r;
	const Crwire__Result *res = reply->result;
	if (!res->has_flag)
		return cr_error_set(err, EPROTO, "%s did not say whether %s exists",
				    p->conn.peer_name, name);
	const char *s = res->state;
	*ret = (struct cr_peer_partition){
		.exists = res->flag,
		.state = s && strlen(s) == 1 && cr_state_letter_valid(s[0]) ? s[0] : '?',
		.outcome = relocation ? outcome_of(res->outcome) : CR_DEPARTURE_UNKNOWN,
	};
	return 0;
}

int cr_peer_preflight(struct cr_peer *p, const char *spec_text, const char *const *needs,
		      size_t n_needs, char ***ret_reasons, size_t *ret_n_reasons,
		      struct cr_error *err)
{
	Crwire__Preflight q = CRWIRE__PREFLIGHT__INIT;
	q.spec_text = (char *)spec_text;
	q.needs = (char **)needs;
	q.n_needs = n_needs;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_PREFLIGHT;
	req.preflight = &q;
	cleanup_envelope Crwire__Envelope *reply = NULL;
	int r = cr_peer_call(p, &req, &reply, err);
	if (r < 0)
		return r;
	size_t n = reply->result->n_reasons;
	char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return cr_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!(v[i] = strdup(reply->result->reasons[i]))) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
	}
	*ret_reasons = v;
	*ret_n_reasons = n;
	return 0;
}

static int name_call(struct cr_peer *p, const char *name, bool commit, const char *relocation,
		     struct cr_error *err)
{
	Crwire__Commit c = CRWIRE__COMMIT__INIT;
	Crwire__Abort a = CRWIRE__ABORT__INIT;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	if (commit) {
		c.name = (char *)name;
		c.relocation = (char *)relocation;
		req.body_case = CRWIRE__ENVELOPE__BODY_COMMIT;
		req.commit = &c;
	} else {
		a.name = (char *)name;
		req.body_case = CRWIRE__ENVELOPE__BODY_ABORT;
		req.abort = &a;
	}
	return cr_peer_call(p, &req, NULL, err);
}

int cr_peer_restore(struct cr_peer *p, const char *name, bool start, const char *nfs_mark, const char *relocation,
		    struct cr_error *err)
{
	if (p->remote.proto_major == 1 && p->remote.proto_minor < 1)
		return cr_error_set(err, EPROTONOSUPPORT,
				    "%s speaks protocol %u.%u: relocation needs 1.1 or later (upgrade its corrald)",
				    p->conn.peer_name, p->remote.proto_major, p->remote.proto_minor);
	Crwire__Restore q = CRWIRE__RESTORE__INIT;
	q.name = (char *)name;
	q.has_start = start;
	q.start = start;
	q.nfs_mark = (char *)nfs_mark;
	q.relocation = (char *)relocation;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_RESTORE;
	req.restore = &q;
	return cr_peer_call(p, &req, NULL, err);
}

bool cr_peer_takes_fs_archive(const struct cr_peer *p)
{
	return cr_peer_speaks(p, 1, 4);
}

static int prepare_arrival(struct cr_peer *p, const char *name, const char *spec_text, const char *relocation,
			   uint64_t size_hint, const struct cr_fs_archive *fs, bool pipelined, struct cr_error *err)
{
	Crwire__PrepareArrival q = CRWIRE__PREPARE_ARRIVAL__INIT;
	q.name = (char *)name;
	if (fs && fs->data) {
		if (!cr_peer_takes_fs_archive(p) || fs->len > CR_PEER_FS_ARCHIVE_MAX)
			return cr_error_set(err, EINVAL, "%s cannot take a file system archive of %zu bytes ahead",
					    cr_peer_name(p), fs->len);
		q.has_fs_archive = true;
		q.fs_archive.data = (uint8_t *)fs->data;
		q.fs_archive.len = fs->len;
	}
	q.has_size_hint = size_hint > 0;
	q.size_hint = size_hint;
	q.spec_text = (char *)spec_text;
	q.relocation = (char *)relocation;
	Crwire__Envelope req = CRWIRE__ENVELOPE__INIT;
	req.body_case = CRWIRE__ENVELOPE__BODY_PREPARE_ARRIVAL;
	req.prepare_arrival = &q;
	return pipelined ? cr_peer_send_pending(p, &req, "prepare_arrival", true, err) : cr_peer_call(p, &req, NULL, err);
}

int cr_peer_prepare_arrival_begin(struct cr_peer *p, const char *name, const char *spec_text, const char *relocation,
				  uint64_t size_hint, const struct cr_fs_archive *fs, struct cr_error *err)
{
	if (!cr_peer_pipelines(p))
		return 0; /* an older peer does it all at the Restore */
	return prepare_arrival(p, name, spec_text, relocation, size_hint, fs, true, err);
}

int cr_peer_prepare_arrival(struct cr_peer *p, const char *name, const char *spec_text, struct cr_error *err)
{
	return prepare_arrival(p, name, spec_text, NULL, 0, NULL, false, err);
}

int cr_peer_commit(struct cr_peer *p, const char *name, const char *relocation, struct cr_error *err)
{
	return name_call(p, name, true, relocation, err);
}

int cr_peer_abort(struct cr_peer *p, const char *name, struct cr_error *err)
{
	return name_call(p, name, false, NULL, err);
}
