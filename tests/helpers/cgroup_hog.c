/* cgroup_hog MIB: map MIB mebibytes and touch every page, then print "done".
 * Under a smaller memory limit it is OOM-killed before it gets there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cgroup_hog MIB\n");
		return 2;
	}
	char *end = NULL;
	errno = 0;
	unsigned long mib = strtoul(argv[1], &end, 10);
	if (errno || *end || mib == 0 || mib > 65536) {
		fprintf(stderr, "cgroup_hog: bad size '%s'\n", argv[1]);
		return 2;
	}
	size_t size = (size_t)mib << 20;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("cgroup_hog: mmap");
		return 3;
	}
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	printf("done\n");
	return 0;
}
