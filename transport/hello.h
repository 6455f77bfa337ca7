/* The Hello exchange: the first message each way after the handshake.
 * Protocol versions are MAJOR.MINOR: a peer refuses another major version
 * with a message naming both; a newer minor is accepted (its extra fields are
 * unknown protobuf fields and skipped). */
#ifndef CORRAL_TRANSPORT_HELLO_H
#define CORRAL_TRANSPORT_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "transport/conn.h"
#include "util/error.h"

#define CR_PROTO_MAJOR 1
#define CR_PROTO_MINOR 4

/* Tests only: advertise this "MAJOR.MINOR" instead of the real version. */
#define CR_PROTO_VERSION_ENV "CORRAL_TEST_PROTO_VERSION"

/* What one host says about itself. */
struct cr_peer_info {
	uint32_t proto_major, proto_minor;
	char *corral_version, *criu_version, *kernel, *arch, *cgroup_mode, *hostname;
	char **cpu_features;
	size_t n_cpu_features;
	char **fs_options; /* "nfs-kernel", "fuse" */
	size_t n_fs_options;
	char **criu_features; /* CR_CRIU_FEATURE_* its CRIU has (check/criu_features.h) */
	size_t n_criu_features;
};

void cr_peer_info_free(struct cr_peer_info *i);

/* This host's facts (host facts cache, uname, /proc/cpuinfo). */
int cr_peer_info_local(struct cr_peer_info *ret, struct cr_error *err);

/* Deep copy. */
int cr_peer_info_copy(const struct cr_peer_info *src, struct cr_peer_info *ret,
		      struct cr_error *err);

/* 0 when a peer with REMOTE_MAJOR.REMOTE_MINOR can talk to LOCAL; else
 * -EPROTONOSUPPORT "WHO speaks protocol version 2.0: this host speaks 1.x (up
 * to 1.0)". */
int cr_hello_check_version(const struct cr_peer_info *local, uint32_t remote_major,
			   uint32_t remote_minor, const char *who, struct cr_error *err);

/* Send LOCAL as a Hello. */
int cr_hello_send(struct cr_conn *c, const struct cr_peer_info *local, struct cr_error *err);

/* Receive the peer's Hello into RET (its version not checked yet). A
 * Result with an error instead (a peer refusing us) becomes that error. */
int cr_hello_recv(struct cr_conn *c, struct cr_peer_info *ret, struct cr_error *err);

/* True when INFO lists STR in its fs_options (or cpu_features for cpu). */
int cr_peer_info_has_fs(const struct cr_peer_info *info, const char *fs);
int cr_peer_info_has_cpu(const struct cr_peer_info *info, const char *flag);
int cr_peer_info_has_criu(const struct cr_peer_info *info, const char *feature);

#endif
