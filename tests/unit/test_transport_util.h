/* Helpers shared by the transport unit tests (header only: each
 * test_transport_*.c is its own program): a server side run in a thread over
 * a socket pair, and key pairs. */
#ifndef CORRAL_TESTS_TEST_TRANSPORT_UTIL_H
#define CORRAL_TESTS_TEST_TRANSPORT_UTIL_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/crypto_hostkey.h"
#include "transport/conn.h"
#include "transport/handshake.h"
#include "util/fsutil.h"

#define T_TIMEOUT_MS 5000

static inline void t_keypair(struct cr_host_keypair *kp)
{
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_hostkey_generate(kp, &err), 0);
}

static inline void t_socketpair(int fds[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
}

/* A fresh CORRAL_ROOT for everything that touches files (host facts cache,
 * incoming images). Returns the heap path. */
static inline char *t_fresh_root(void)
{
	char *p = strdup("/tmp/crtransport-test-XXXXXX");
	assert_non_null(p);
	assert_non_null(mkdtemp(p));
	setenv("CORRAL_ROOT", p, 1);
	return p;
}

static inline void t_rm_root(char *root)
{
	struct cr_error err = CR_ERROR_INIT;
	cr_rm_rf(root, &err);
	cr_error_clear(&err);
	free(root);
}

/* The responder's side of a handshake, run in a thread. */
struct t_hs_server {
	pthread_t thread;
	struct cr_conn conn;
	struct cr_host_keypair kp;
	struct cr_trust_list trust;
	int result;
	struct cr_error err;
};

static inline void *t_hs_server_main(void *arg)
{
	struct t_hs_server *s = arg;
	s->result = cr_handshake_server(&s->conn, &s->kp, &s->trust, &s->err);
	return NULL;
}

static inline void t_hs_server_start(struct t_hs_server *s, int fd)
{
	cr_conn_init(&s->conn, fd, T_TIMEOUT_MS);
	assert_int_equal(pthread_create(&s->thread, NULL, t_hs_server_main, s), 0);
}

static inline void t_hs_server_join(struct t_hs_server *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
}

static inline void t_hs_server_free(struct t_hs_server *s)
{
	cr_conn_release(&s->conn);
	cr_trust_list_free(&s->trust);
	cr_error_clear(&s->err);
}

#endif
