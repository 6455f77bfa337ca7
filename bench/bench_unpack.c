/* bench_unpack ARCHIVE [ROUNDS] [DIR]: a partition's level-0 archive (GNU
 * tar's format) unpacked the way the destination did before session 11
 * (GNU tar --extract, its options as partition/rootfs_archive.c gave them)
 * and in Corral's process (cr_rootfs_unpack_memory), alternately, ROUNDS
 * times each (default 5), into fresh directories under DIR (default the
 * archive's directory; the trees are removed after each round). Prints
 * per round the wall and CPU milliseconds of each (tar's: its own, as a
 * child; ours: this process's), then the medians and their ratios. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "partition/rootfs_archive.h"
#include "partition/rootfs_unpack.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/run.h"

#define ROUNDS_MAX 100

static int64_t cpu_ms(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static int by_tar(const char *tar, const char *dir, struct cr_error *err)
{
	char *argv[] = {"tar", "--extract", "--file", (char *)tar, "--directory", (char *)dir,
			"--numeric-owner", "--xattrs", "--acls", "--same-permissions", "--same-owner",
			"--listed-incremental=/dev/null", NULL};
	return cr_run(argv, CR_ROOTFS_ARCHIVE_TIMEOUT_MS, err);
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t median(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_unpack ARCHIVE [ROUNDS] [DIR]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	if (rounds < 1 || rounds > ROUNDS_MAX)
		rounds = 5;
	char *base = argc > 3 ? strdup(argv[3]) : strdup(argv[1]);
	if (argc <= 3)
		*(strrchr(base, '/') ? strrchr(base, '/') : base) = '\0';
	struct cr_error err = CR_ERROR_INIT;
	char *data = NULL;
	size_t len = 0;
	if (cr_read_file(argv[1], 1u << 30, &data, &len, &err) < 0) {
		fprintf(stderr, "bench_unpack: %s\n", cr_error_msg(&err));
		return 1;
	}
	int64_t wall[2][ROUNDS_MAX], cpu[2][ROUNDS_MAX];
	char dir[4096];
	for (int i = 0; i < rounds; i++)
		for (int k = 0; k < 2; k++) {
			int which = (i % 2) ? !k : k; /* alternate who goes first */
			snprintf(dir, sizeof(dir), "%s/bench-unpack-%d-%d", base[0] ? base : ".", (int)getpid(), which);
			mkdir(dir, 0755);
			int64_t c0 = cpu_ms(which ? RUSAGE_SELF : RUSAGE_CHILDREN), t0 = cr_now_ms();
			int r = which ? cr_rootfs_unpack_memory(argv[1], data, len, dir, CR_ROOTFS_ARCHIVE_TIMEOUT_MS, &err)
				      : by_tar(argv[1], dir, &err);
			wall[which][i] = cr_now_ms() - t0;
			cpu[which][i] = cpu_ms(which ? RUSAGE_SELF : RUSAGE_CHILDREN) - c0;
			cr_rm_rf(dir, NULL);
			if (r < 0) {
				fprintf(stderr, "bench_unpack: %s\n", cr_error_msg(&err));
				return 1;
			}
			printf("round %d %-9s wall %4lld ms  cpu %4lld ms\n", i + 1, which ? "corral" : "gnu-tar",
			       (long long)wall[which][i], (long long)cpu[which][i]);
		}
	int64_t tw = median(wall[0], rounds), tc = median(cpu[0], rounds);
	int64_t cw = median(wall[1], rounds), cc = median(cpu[1], rounds);
	printf("median gnu-tar wall %lld cpu %lld ms; corral wall %lld cpu %lld ms; ratio wall %.2fx cpu %.2fx\n",
	       (long long)tw, (long long)tc, (long long)cw, (long long)cc, tw ? (double)cw / (double)tw : 0.0,
	       tc ? (double)cc / (double)tc : 0.0);
	free(data);
	free(base);
	return 0;
}
