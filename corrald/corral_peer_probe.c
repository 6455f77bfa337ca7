/* corral-peer-probe: a diagnostic client for corrald.
 *   corral-peer-probe [OPTIONS] ping|hello PEER
 *   corral-peer-probe [OPTIONS] exists|commit|abort PEER NAME
 *   corral-peer-probe [OPTIONS] commit PEER NAME RELOCATION-ID
 *   corral-peer-probe [OPTIONS] preflight PEER [NEED...]
 *   corral-peer-probe [OPTIONS] send-image PEER NAME FILE
 *   corral-peer-probe --spec FILE prepare-arrival PEER NAME
 * OPTIONS (before the verb): --timeout-ms N, --spec FILE, --chunk-delay-ms N.
 * PEER is a trusted-peers name or address, or the path of a corrald Unix
 * socket (starting with '/'). --chunk-delay-ms slows the image down (for
 * watching a transfer, or cutting it on purpose). prepare-arrival has the
 * peer prepare a relocation of NAME (--spec: its spec) and then ends the
 * connection, as a source that fails before its image would. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "transport/client.h"
#include "transport/conn.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#define USAGE                                                                               \
	"corral-peer-probe [OPTIONS] ping|hello PEER\n"                                      \
	"       corral-peer-probe [OPTIONS] exists|commit|abort PEER NAME\n"                 \
	"       corral-peer-probe [OPTIONS] commit PEER NAME RELOCATION-ID\n"               \
	"       corral-peer-probe [OPTIONS] preflight PEER [NEED...]\n"                      \
	"       corral-peer-probe [OPTIONS] send-image PEER NAME FILE\n"                     \
	"       corral-peer-probe --spec FILE prepare-arrival PEER NAME\n"                  \
	"OPTIONS: --timeout-ms N, --spec FILE (preflight), --chunk-delay-ms N (send-image)"

struct probe_args {
	int timeout_ms, delay_ms;
	const char *spec;
};

static int fail(const struct cr_error *err)
{
	fprintf(stderr, "corral-peer-probe: %s\n", cr_error_msg(err));
	return 1;
}

static int usage(const char *msg)
{
	fprintf(stderr, "corral-peer-probe: %s\nusage: %s\n", msg, USAGE);
	return 2;
}

static int parse_ms(const char *s, int *ret)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 3600000)
		return -1;
	*ret = (int)v;
	return 0;
}

static void print_hello(const struct cr_peer *p)
{
	const struct cr_peer_info *i = cr_peer_hello(p);
	printf("peer %s: host %s, protocol %u.%u, corral %s, criu %s\n", cr_peer_name(p),
	       i->hostname ? i->hostname : "?", i->proto_major, i->proto_minor,
	       i->corral_version ? i->corral_version : "?",
	       i->criu_version ? i->criu_version : "none");
	printf("kernel %s, arch %s, cgroups %s, %zu cpu features, fs:",
	       i->kernel ? i->kernel : "?", i->arch ? i->arch : "?",
	       i->cgroup_mode ? i->cgroup_mode : "?", i->n_cpu_features);
	for (size_t k = 0; k < i->n_fs_options; k++)
		printf(" %s", i->fs_options[k]);
	printf("\n");
}

static int send_image(struct cr_peer *p, const char *name, const char *file, int delay_ms,
		      struct cr_error *err)
{
	cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", file);
	if (delay_ms == 0)
		return cr_peer_send_image(p, name, fd, err);
	int r = cr_peer_image_begin(p, name, 0, false, err);
	struct cr_image_io out = cr_peer_image_io(p);
	static uint8_t buf[CR_PEER_IMAGE_CHUNK];
	while (r == 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return cr_error_errno(err, "cannot read %s", file);
		if (n == 0)
			break;
		r = cr_io_write_all(&out, buf, (size_t)n, err);
		struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (r == 0)
		r = cr_peer_image_finish(p, NULL, err);
	return r;
}

static int run(const char *verb, const char *peer_arg, int argc, char **argv,
	       const struct probe_args *a, struct cr_error *err)
{
	cleanup_peer struct cr_peer *p = NULL;
	int r = peer_arg[0] == '/' ? cr_peer_connect_local(peer_arg, a->timeout_ms, &p, err)
				   : cr_peer_connect(peer_arg, a->timeout_ms, &p, err);
	if (r < 0)
		return r;
	if (strcmp(verb, "hello") == 0) {
		print_hello(p);
		return 0;
	}
	if (strcmp(verb, "ping") == 0) {
		r = cr_peer_ping(p, err);
		if (r == 0)
			printf("%s: pong\n", cr_peer_name(p));
		return r;
	}
	if (strcmp(verb, "preflight") == 0) {
		cleanup_free char *spec = NULL;
		size_t len = 0;
		if (a->spec && (r = cr_read_file(a->spec, 1024 * 1024, &spec, &len, err)) < 0)
			return r;
		char **reasons = NULL;
		size_t n = 0;
		r = cr_peer_preflight(p, spec, (const char *const *)argv, (size_t)argc, &reasons, &n,
				      err);
		if (r < 0)
			return r;
		printf("%s\n", n == 0 ? "ok" : "refused");
		for (size_t i = 0; i < n; i++) {
			printf("  %s\n", reasons[i]);
			free(reasons[i]);
		}
		free(reasons);
		return n == 0 ? 0 : cr_error_set(err, EAGAIN, "preflight refused");
	}
	if (argc < 1)
		return cr_error_set(err, EINVAL, "%s needs a partition NAME", verb);
	if (strcmp(verb, "exists") == 0) {
		bool exists = false;
		r = cr_peer_partition_exists(p, argv[0], &exists, err);
		if (r == 0)
			printf("%s\n", exists ? "yes" : "no");
		return r;
	}
	if (strcmp(verb, "commit") == 0)
		return cr_peer_commit(p, argv[0], argc > 1 ? argv[1] : NULL, err);
	if (strcmp(verb, "abort") == 0)
		return cr_peer_abort(p, argv[0], err);
	if (strcmp(verb, "send-image") == 0) {
		if (argc < 2)
			return cr_error_set(err, EINVAL, "send-image needs NAME and FILE");
		r = send_image(p, argv[0], argv[1], a->delay_ms, err);
		if (r == 0)
			printf("sent %s to %s: verified\n", argv[1], cr_peer_name(p));
		return r;
	}
	if (strcmp(verb, "prepare-arrival") == 0) {
		cleanup_free char *spec = NULL;
		size_t len = 0;
		if (!a->spec)
			return cr_error_set(err, EINVAL, "prepare-arrival needs --spec FILE");
		if ((r = cr_read_file(a->spec, 1024 * 1024, &spec, &len, err)) < 0 ||
		    (r = cr_peer_prepare_arrival(p, argv[0], spec, err)) < 0)
			return r;
		printf("%s: %s prepared\n", cr_peer_name(p), argv[0]);
		return 0;
	}
	return cr_error_set(err, EINVAL, "unknown verb '%s'", verb);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout-ms", required_argument, NULL, 't'},
		{"chunk-delay-ms", required_argument, NULL, 'd'},
		{"spec", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct probe_args a = {.timeout_ms = CR_WIRE_IDLE_TIMEOUT_MS};
	int c;
	while ((c = getopt_long(argc, argv, "+t:d:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_ms(optarg, &a.timeout_ms) < 0 || a.timeout_ms == 0)
				return usage("--timeout-ms wants 1 to 3600000");
			break;
		case 'd':
			if (parse_ms(optarg, &a.delay_ms) < 0)
				return usage("--chunk-delay-ms wants 0 to 3600000");
			break;
		case 's':
			a.spec = optarg;
			break;
		case 'h':
			printf("usage: %s\n", USAGE);
			return 0;
		default:
			return usage("unknown option");
		}
	}
	if (argc - optind < 2)
		return usage("expected VERB PEER");
	const char *verb = argv[optind], *peer = argv[optind + 1];
	struct cr_error err = CR_ERROR_INIT;
	int r = run(verb, peer, argc - optind - 2, argv + optind + 2, &a, &err);
	if (r < 0) {
		r = fail(&err);
		cr_error_clear(&err);
		return r;
	}
	return 0;
}
