/* memhog DIR MIB [--private-mounts]: a checkpoint workload with MIB mebibytes
 * of "half-random" memory. Even 4 KiB pages hold pseudo-random bytes (they
 * do not compress), odd pages a short repeating pattern (they compress to
 * almost nothing), every page touched so all of it is resident. It follows
 * the zdtm protocol of zdtm_lib.h: session leader, stdio on /dev/null, no
 * other descriptors; writes DIR/ready once the memory is filled, then sleeps
 * until SIGUSR1, checks every byte against a fresh copy of the pattern and
 * writes PASS or FAIL to DIR/result. */
#include "zdtm_lib.h"

#include <sys/mman.h>

#define PAGE 4096u

/* Fill page number N (all of its PAGE bytes) with its pattern. */
static void fill_page(unsigned char *page, uint64_t n)
{
	if (n % 2 == 0) {
		uint64_t x = n * 0x9E3779B97F4A7C15ull + 1;
		for (unsigned i = 0; i < PAGE; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(page + i, &x, 8);
		}
	} else {
		for (unsigned i = 0; i < PAGE; i++)
			page[i] = (unsigned char)("memhog-"[i % 7] + (n & 7));
	}
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "--private-mounts") == 0)) {
		fprintf(stderr, "usage: memhog DIR MIB [--private-mounts]\n");
		return 2;
	}
	char *end = NULL;
	errno = 0;
	unsigned long long mib = strtoull(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || mib == 0 || mib > 65536) {
		fprintf(stderr, "memhog: bad size '%s' (1 to 65536 MiB)\n", argv[2]);
		return 2;
	}
	/* zdtm_init wants "PROG DIR [--private-mounts]": drop MIB. */
	char *zargv[] = {argv[0], argv[1], argc == 4 ? argv[3] : NULL, NULL};
	zdtm_init(argc - 1, zargv);

	size_t pages = (size_t)(mib << 20) / PAGE;
	unsigned char *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		zdtm_fail("mmap of %llu MiB: %s", mib, strerror(errno));
	for (size_t n = 0; n < pages; n++)
		fill_page(mem + n * PAGE, n);
	zdtm_ready();
	zdtm_wait();

	unsigned char want[PAGE];
	for (size_t n = 0; n < pages; n++) {
		fill_page(want, n);
		if (memcmp(want, mem + n * PAGE, PAGE) != 0)
			zdtm_fail("page %zu of %zu differs", n, pages);
	}
	zdtm_pass();
}
