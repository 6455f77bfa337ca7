/* Helpers shared by the transport unit tests (header only: each
 * test_transport_*.c is its own program): a server side run in a thread over
 * a socket pair, key pairs, and the test root every test program removes. */
#ifndef CORRAL_TESTS_TEST_TRANSPORT_UTIL_H
#define CORRAL_TESTS_TEST_TRANSPORT_UTIL_H

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* The program's CORRAL_ROOT (host facts cache, incoming images, sockets):
 * one directory made by the group setup, before anything reads the root
 * (cr_root() keeps the first value it sees, so a root per test would leave
 * every later test writing into the first one), and removed by the group
 * teardown or at exit, whatever the tests did. */
static char t_root_path[64];

/* Remove everything inside the root, and the root itself when ALL. */
static inline void t_root_clean(bool all)
{
	if (!t_root_path[0])
		return;
	struct cr_error err = CR_ERROR_INIT;
	if (all) {
		cr_rm_rf(t_root_path, &err);
	} else {
		DIR *d = opendir(t_root_path);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			char *p = NULL;
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    asprintf(&p, "%s/%s", t_root_path, de->d_name) >= 0)
				cr_rm_rf(p, &err);
			free(p);
		}
		if (d)
			closedir(d);
	}
	cr_error_clear(&err);
}

static inline void t_root_remove_at_exit(void)
{
	t_root_clean(true);
}

static inline int t_group_setup(void **state)
{
	(void)state;
	snprintf(t_root_path, sizeof(t_root_path), "/tmp/crtransport-test-XXXXXX");
	if (!mkdtemp(t_root_path))
		return -1;
	setenv("CORRAL_ROOT", t_root_path, 1);
	atexit(t_root_remove_at_exit);
	return 0;
}

/* Remove the root and prove it is gone (a failure of the group otherwise). */
static inline int t_group_teardown(void **state)
{
	(void)state;
	t_root_clean(true);
	struct stat st;
	if (lstat(t_root_path, &st) == 0) {
		fprintf(stderr, "test root %s is left behind\n", t_root_path);
		return -1;
	}
	return 0;
}

/* An empty CORRAL_ROOT for one test: the program's root, emptied. Returns
 * a heap copy of its path. */
static inline char *t_fresh_root(void)
{
	assert_true(t_root_path[0] != '\0');
	t_root_clean(false);
	char *p = strdup(t_root_path);
	assert_non_null(p);
	return p;
}

/* Empty the root after a test (the group teardown removes it). */
static inline void t_rm_root(char *root)
{
	t_root_clean(false);
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
