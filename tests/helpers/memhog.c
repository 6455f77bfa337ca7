/* memhog DIR MIB [--private-mounts] [--fill=dna]: a checkpoint workload with
 * MIB mebibytes of "half-random" memory. Even 4 KiB pages hold pseudo-random
 * bytes (they do not compress), odd pages a short repeating pattern (they
 * compress to almost nothing), every page touched so all of it is resident.
 * With --fill=dna every page holds letters of a four-letter alphabet in a
 * pseudo-random order instead: LZ4's slowest kind of input (a few hundred
 * MB/s), about as slow to compress as real heaps and binaries. It follows
 * the zdtm protocol of zdtm_lib.h: session leader, stdio on /dev/null, no
 * other descriptors; writes DIR/ready once the memory is filled, then sleeps
 * until SIGUSR1, checks every byte against a fresh copy of the pattern and
 * writes PASS or FAIL to DIR/result. */
#include "zdtm_lib.h"

#include <stdbool.h>
#include <sys/mman.h>

#define PAGE 4096u

static bool dna;

/* Fill page number N (all of its PAGE bytes) with its pattern. */
static void fill_page(unsigned char *page, uint64_t n)
{
	if (dna) {
		uint64_t x = n * 0x9E3779B97F4A7C15ull + 1;
		for (unsigned i = 0; i < PAGE; i += 32) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			for (unsigned k = 0; k < 32; k++)
				page[i + k] = (unsigned char)"ACGT"[(x >> (2 * k)) & 3];
		}
	} else if (n % 2 == 0) {
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
	char *private_mounts = NULL;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--private-mounts") == 0)
			private_mounts = argv[i];
		else if (strcmp(argv[i], "--fill=dna") == 0)
			dna = true;
		else
			argc = 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: memhog DIR MIB [--private-mounts] [--fill=dna]\n");
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
	char *zargv[] = {argv[0], argv[1], private_mounts, NULL};
	zdtm_init(private_mounts ? 3 : 2, zargv);

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
