/* fault_probe DIR MIB [MS]: how long a post-copied process waits for a page
 * it touches. It fills MIB mebibytes (page N holds the byte N & 0xff and its
 * number), writes DIR/ready (zdtm_lib.h), then every MS (2) ms reads one page,
 * walking them all in a scattered order, and times the read. A read slower
 * than 50 us is a page fault served from elsewhere (a resident page takes
 * well under a microsecond): after a lazy restore, a page the background
 * push has not brought yet. On SIGUSR1 it writes DIR/faults ("N P50 P90 P99
 * MAX", microseconds, of the slow reads), checks every page and writes PASS
 * or FAIL to DIR/result. */
#include "zdtm_lib.h"

#include <sys/mman.h>

#define PAGE 4096u
#define SLOW_NS 50000L
#define MAX_SLOW 100000
#define STEP 7919u /* a prime: the walk visits every page */

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void put_faults(long *slow, size_t n)
{
	qsort(slow, n, sizeof(*slow), cmp_long);
	char line[128];
	if (n == 0)
		snprintf(line, sizeof(line), "0 0 0 0 0\n");
	else
		snprintf(line, sizeof(line), "%zu %ld %ld %ld %ld\n", n, slow[n / 2] / 1000, slow[n * 9 / 10] / 1000,
			 slow[n * 99 / 100] / 1000, slow[n - 1] / 1000);
	zdtm_put("faults", line);
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: fault_probe DIR MIB [MS]\n");
		return 2;
	}
	char *end = NULL;
	long period_ms = 2;
	if (argc == 4) {
		errno = 0;
		period_ms = strtol(argv[3], &end, 10);
		if (errno || end == argv[3] || *end || period_ms < 1 || period_ms > 10000) {
			fprintf(stderr, "fault_probe: bad period '%s' (1 to 10000 ms)\n", argv[3]);
			return 2;
		}
	}
	errno = 0;
	unsigned long long mib = strtoull(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || mib == 0 || mib > 65536) {
		fprintf(stderr, "fault_probe: bad size '%s' (1 to 65536 MiB)\n", argv[2]);
		return 2;
	}
	char *zargv[] = {argv[0], argv[1], NULL};
	zdtm_init(2, zargv);
	size_t pages = (size_t)(mib << 20) / PAGE;
	if (pages % STEP == 0)
		zdtm_fail("%zu pages: a multiple of the walk's step", pages);
	unsigned char *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long *slow = calloc(MAX_SLOW, sizeof(*slow));
	if (mem == MAP_FAILED || !slow)
		zdtm_fail("out of memory for %llu MiB", mib);
	for (size_t n = 0; n < pages; n++) {
		memset(mem + n * PAGE, (int)(n & 0xff), PAGE);
		memcpy(mem + n * PAGE, &n, sizeof(n));
	}
	zdtm_ready();
	size_t n_slow = 0, at = 0;
	volatile unsigned char sink = 0;
	while (!zdtm_go) {
		struct timespec t = {period_ms / 1000, (period_ms % 1000) * 1000000L};
		nanosleep(&t, NULL);
		at = (at + STEP) % pages;
		int64_t t0 = now_ns();
		sink = mem[at * PAGE + PAGE - 1];
		int64_t took = now_ns() - t0;
		if (took > SLOW_NS && n_slow < MAX_SLOW)
			slow[n_slow++] = (long)took;
	}
	(void)sink;
	put_faults(slow, n_slow);
	for (size_t n = 0; n < pages; n++) {
		size_t got;
		memcpy(&got, mem + n * PAGE, sizeof(got));
		if (got != n || mem[n * PAGE + PAGE - 1] != (unsigned char)(n & 0xff))
			zdtm_fail("page %zu of %zu differs", n, pages);
	}
	zdtm_pass();
}
