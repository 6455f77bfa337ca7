/* bench_page_relay: what a resumable page transfer costs when nothing
 * breaks. Two page relays (transport/page_relay.h), a source and a
 * destination, in threads of this process over a socketpair; a fake criu
 * lazy-pages asks push requests of 128 pages (512 KiB, the source's cap)
 * with FLIGHT of them in flight (one per process of a partition), a fake
 * dump page server answers each from one buffer. Rounds alternate a
 * transfer that is not resumable (the relay before protocol 1.3) and one
 * that is (the source keeps every answer until acknowledged, the
 * destination acknowledges each MiB); each prints its wall time and the
 * process's CPU time, and the end the medians and their ratios.
 * Usage: bench_page_relay [MiB] [rounds]   (defaults: 512, 3) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transport/page_relay.h"

#define NR_PAGES 128
#define ANSWER (24 + NR_PAGES * 4096)
#define FLIGHT 4
#define IDLE_MS 30000

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct relay {
	struct cr_page_relay rl;
	struct cr_conn conn;
	int local, r;
	struct cr_page_relay_stats st;
	struct cr_error err;
	pthread_t th;
};

static void *relay_main(void *arg)
{
	struct relay *x = arg;
	const struct cr_page_relay_opts o = {.idle_ms = IDLE_MS};
	x->r = cr_page_relay_run(&x->rl, &x->conn, x->local, &o, &x->st, NULL, &x->err);
	return NULL;
}

static int io_all(int fd, void *buf, size_t len, bool writing)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = writing ? write(fd, (char *)buf + done, len - done) : read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* The dump's page server: every request answered with NR_PAGES pages. */
static void *server_main(void *arg)
{
	int fd = *(int *)arg;
	uint8_t *answer = malloc(ANSWER);
	memset(answer, 0x5a, ANSWER);
	uint32_t req[6];
	while (io_all(fd, req, sizeof(req), false) == 0) {
		memcpy(answer, req, sizeof(req));
		if (io_all(fd, answer, ANSWER, true) < 0)
			break;
	}
	free(answer);
	shutdown(fd, SHUT_RDWR);
	return NULL;
}

/* criu lazy-pages: N requests, FLIGHT at a time, answers read whole. */
static int lazy_pages(int fd, unsigned n)
{
	uint8_t *answer = malloc(ANSWER);
	unsigned asked = 0, got = 0;
	int r = 0;
	while (got < n && r == 0) {
		while (asked < n && asked - got < FLIGHT) {
			uint32_t req[6] = {7, NR_PAGES};
			uint64_t vaddr = (uint64_t)asked * ANSWER;
			memcpy(req + 2, &vaddr, sizeof(vaddr));
			r = io_all(fd, req, sizeof(req), true);
			asked++;
		}
		if (r == 0 && (r = io_all(fd, answer, ANSWER, false)) == 0)
			got++;
	}
	free(answer);
	shutdown(fd, SHUT_WR);
	char c;
	while (read(fd, &c, 1) > 0)
		;
	return r;
}

/* One transfer of MIB; its wall and CPU seconds. */
static int one_round(unsigned mib, bool resumable, double *ret_wall, double *ret_cpu)
{
	struct relay *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int c[2], la[2], lb[2];
	if (!a || !b || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, la) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lb) < 0)
		return -1;
	cr_page_relay_init(&a->rl, true, 0, resumable);
	cr_page_relay_init(&b->rl, false, 0, resumable);
	cr_conn_init(&a->conn, c[0], IDLE_MS);
	cr_conn_init(&b->conn, c[1], IDLE_MS);
	a->local = la[0];
	b->local = lb[0];
	a->err = b->err = (struct cr_error)CR_ERROR_INIT;
	double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	pthread_t server;
	pthread_create(&server, NULL, server_main, &la[1]);
	pthread_create(&a->th, NULL, relay_main, a);
	pthread_create(&b->th, NULL, relay_main, b);
	int r = lazy_pages(lb[1], (unsigned)(((uint64_t)mib << 20) / (NR_PAGES * 4096)));
	pthread_join(b->th, NULL);
	pthread_join(a->th, NULL);
	pthread_join(server, NULL);
	*ret_wall = clock_s(CLOCK_MONOTONIC) - w0;
	*ret_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (a->r < 0 || b->r < 0) {
		fprintf(stderr, "bench_page_relay: %s\n", cr_error_msg(a->r < 0 ? &a->err : &b->err));
		r = -1;
	}
	int fds[] = {c[0], c[1], la[0], la[1], lb[0], lb[1]};
	for (size_t i = 0; i < 6; i++)
		close(fds[i]);
	cr_error_clear(&a->err);
	cr_error_clear(&b->err);
	cr_page_relay_release(&a->rl);
	cr_page_relay_release(&b->rl);
	free(a);
	free(b);
	return r;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	unsigned mib = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 512;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	if (mib < 1 || mib > 65536 || rounds < 1 || rounds > 20) {
		fprintf(stderr, "usage: bench_page_relay [MiB 1-65536] [rounds 1-20]\n");
		return 2;
	}
	double wall[2][20], cpu[2][20];
	printf("page relay, %u MiB of 512 KiB push answers, %d in flight, %d rounds each way\n", mib, FLIGHT, rounds);
	for (int i = 0; i < rounds; i++) {
		for (int k = 0; k < 2; k++) {
			if (one_round(mib, k == 1, &wall[k][i], &cpu[k][i]) < 0)
				return 1;
			printf("  round %d, %-14s %7.3f s wall, %7.3f s CPU (%.0f MiB/s)\n", i + 1,
			       k ? "resumable:" : "not resumable:", wall[k][i], cpu[k][i], mib / wall[k][i]);
		}
	}
	double w0 = median(wall[0], rounds), w1 = median(wall[1], rounds);
	double c0 = median(cpu[0], rounds), c1 = median(cpu[1], rounds);
	printf("median wall: %.3f s not resumable, %.3f s resumable: %.2fx\n", w0, w1, w1 / w0);
	printf("median CPU:  %.3f s not resumable, %.3f s resumable: %.2fx\n", c0, c1, c1 / c0);
	return 0;
}
