/* bench_image: pack and unpack a 512 MiB "pages image" (half random pages,
 * half zero/repetitive ones) with and without encryption, beside memcpy of
 * the same data and `tar | lz4` run in the same process, on tmpfs.
 * Usage: bench_image [MiB] [DIR]   (defaults: 512, /dev/shm or /tmp) */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto_keyfile.h"
#include "formats/image_reader.h"
#include "formats/image_writer.h"
#include "util/fsutil.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process and of this (the ordering) thread: on a
 * busy machine wall time lies, these tell what an idle one would do. */
struct cpu {
	double wall, proc, thread;
};

static double clock_of(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct cpu cpu_now(void)
{
	struct cpu c = {now(), clock_of(CLOCK_PROCESS_CPUTIME_ID), clock_of(CLOCK_THREAD_CPUTIME_ID)};
	return c;
}

static struct cpu cpu_since(struct cpu a)
{
	struct cpu b = cpu_now();
	struct cpu d = {b.wall - a.wall, b.proc - a.proc, b.thread - a.thread};
	return d;
}

/* Throughput an idle machine with NCPU cores would give: the work spread
 * over the cores, but never faster than the ordering thread alone. */
static double idle_estimate(struct cpu d, double gb, long ncpu)
{
	double t = d.proc / (double)ncpu;
	if (d.thread > t)
		t = d.thread;
	return gb / t;
}

static void die(const char *what, const struct cr_error *err)
{
	fprintf(stderr, "bench_image: %s: %s\n", what, err ? cr_error_msg(err) : "failed");
	exit(1);
}

static void fill_pages(uint8_t *buf, size_t len)
{
	uint64_t x = 0x243f6a8885a308d3ull;
	for (size_t page = 0; page * 4096 < len; page++) {
		uint8_t *p = buf + page * 4096;
		if (page % 2) {
			for (size_t i = 0; i < 4096; i += 8) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				memcpy(p + i, &x, 8);
			}
		} else if (page % 4 == 0) {
			memset(p, 0, 4096);
		} else {
			for (size_t i = 0; i < 4096; i++)
				p[i] = (uint8_t)(i % 64);
		}
	}
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static struct cpu pack(const char *src_dir, const char *out, const char *key_file)
{
	struct cr_error err = CR_ERROR_INIT;
	unlink(out);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(out, NULL);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_options opts = {.protection = key_file ? CR_IMAGE_KEYFILE : CR_IMAGE_PLAIN,
					.key_file = key_file};
	struct cr_image_writer *w = NULL;
	struct cpu t = cpu_now();
	if (cr_image_writer_open(&io, &opts, NULL, &w, &err) < 0 ||
	    cr_image_writer_add_dir_tree(w, NULL, src_dir, &err) < 0 ||
	    cr_image_writer_finish(w, &err) < 0)
		die("pack", &err);
	t = cpu_since(t);
	cr_image_writer_free(w);
	close(fd);
	return t;
}

static struct cpu unpack(const char *img, const char *dest, const char *key_file)
{
	struct cr_error err = CR_ERROR_INIT;
	if (cr_rm_rf(dest, &err) < 0)
		die(dest, &err);
	int fd = open(img, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(img, NULL);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_keys keys = {.key_file = key_file};
	struct cr_image_reader *r = NULL;
	struct cpu t = cpu_now();
	if (cr_image_reader_open(&io, &keys, &r, &err) < 0 ||
	    cr_image_extract_all(r, dest, &err) < 0)
		die("unpack", &err);
	t = cpu_since(t);
	cr_image_reader_free(r);
	close(fd);
	return t;
}

static const char *loadavg(void)
{
	static char buf[64] = "unknown";
	FILE *f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, " ")] = '\0';
		fclose(f);
	}
	return buf;
}

static double run(const char *cmd)
{
	double t = now();
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_image: '%s' failed\n", cmd);
		return -1;
	}
	return now() - t;
}

int main(int argc, char **argv)
{
	struct cr_error err = CR_ERROR_INIT;
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
	if (mib == 0 || mib > 65536) {
		fprintf(stderr, "usage: bench_image [MiB (1..65536)] [DIR]\n");
		return 2;
	}
	const char *base = argc > 2 ? argv[2] : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/bench-image-XXXXXX", base);
	if (!mkdtemp(dir))
		die(dir, NULL);
	char src[4200], pages[4300], img[4200], eimg[4200], out[4200], key[4200], tlz[4200];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(pages, sizeof(pages), "%s/pages-1.img", src);
	snprintf(img, sizeof(img), "%s/plain.crimg", dir);
	snprintf(eimg, sizeof(eimg), "%s/enc.crimg", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(tlz, sizeof(tlz), "%s/src.tar.lz4", dir);
	size_t len = (size_t)mib << 20;
	uint8_t *a = malloc(len), *b = malloc(len);
	if (!a || !b || mkdir(src, 0700) < 0 || cr_keyfile_create(key, &err) < 0)
		die("setup", &err);
	fill_pages(a, len);
	memset(b, 1, len);
	if (cr_write_file_atomic(pages, a, len, 0600, &err) < 0)
		die(pages, &err);
	double t_memcpy = now();
	memcpy(b, a, len);
	t_memcpy = now() - t_memcpy;
	if (memcmp(a, b, 4096) != 0)
		return 1;
	free(a);
	free(b);

	double gb = (double)len / 1e9;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct cpu p = pack(src, img, NULL), ep = pack(src, eimg, key);
	struct cpu u = unpack(img, out, NULL), eu = unpack(eimg, out, key);
	char cmd[13000];
	snprintf(cmd, sizeof(cmd), "tar -cf - -C '%s' . | lz4 -1 -q -f - '%s'", src, tlz);
	double t_tar = run(cmd);
	cr_rm_rf(out, &err);
	mkdir(out, 0700);
	snprintf(cmd, sizeof(cmd), "lz4 -d -q -c '%s' | tar -xf - -C '%s'", tlz, out);
	double t_untar = run(cmd);
	double size_plain = (double)file_size(img) / (double)len;
	double size_enc = (double)file_size(eimg) / (double)len;

	printf("bench_image: %lu MiB pages image (half random pages), %ld online CPUs, in %s\n",
	       mib, ncpu, base);
	printf("  %-24s %6s %8s %8s %8s %8s %9s %6s\n", "", "GB/s", "/memcpy", "/tar|lz4", "cpu-s",
	       "order-s", "idle GB/s", "size");
	printf("  %-24s %6.2f\n", "memcpy (1 thread)", gb / t_memcpy);
	printf("  %-24s %6.2f %8s %8.2f %8s %8s %9s %6.3f\n", "tar | lz4 -1", gb / t_tar, "", 1.0,
	       "", "", "", (double)file_size(tlz) / (double)len);
	struct {
		const char *name;
		struct cpu c;
		double base, size;
	} rows[] = {
		{"pack plain", p, t_tar, size_plain},
		{"pack encrypted", ep, t_tar, size_enc},
		{"unpack plain", u, t_untar, 0},
		{"unpack encrypted", eu, t_untar, 0},
	};
	for (size_t i = 0; i < 4; i++) {
		printf("  %-24s %6.2f %8.2f %8.2f %8.2f %8.2f %9.2f", rows[i].name,
		       gb / rows[i].c.wall, t_memcpy / rows[i].c.wall, rows[i].base / rows[i].c.wall,
		       rows[i].c.proc, rows[i].c.thread, idle_estimate(rows[i].c, gb, ncpu));
		if (rows[i].size > 0)
			printf(" %6.3f", rows[i].size);
		printf("\n");
	}
	printf("  %-24s %6.2f (baseline for unpack rows' /tar|lz4 column)\n", "lz4 -d | tar -x",
	       gb / t_untar);
	printf("  goal: pack encrypted >= 1 GB/s: %s (idle estimate %s); image <= 0.55: %s\n",
	       gb / ep.wall >= 1.0 ? "met" : "not met",
	       idle_estimate(ep, gb, ncpu) >= 1.0 ? "met" : "not met",
	       size_enc <= 0.55 ? "met" : "NOT met");
	printf("  (load average now %s; order-s: cpu-s of the ordering thread;\n"
	       "   idle GB/s = GB / max(cpu-s / CPUs, order-s))\n",
	       loadavg());
	cr_rm_rf(dir, &err);
	cr_error_clear(&err);
	return 0;
}
