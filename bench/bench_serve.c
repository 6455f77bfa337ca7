/* How fast restartwpar's serve thread (stream/serve.c) feeds CRIU one image
 * file, against the way a raw `criu restore` reads it from a tmpfs.
 *
 *   bench_serve IMAGE [ENTRY [ROUNDS [PIPES]]]
 *
 * IMAGE is a streamed image (chkptwpar -o, format 2.x, not encrypted);
 * ENTRY one of its files (default, or "": its largest, a pages-N.img). Rounds
 * alternate: raw, the file's bytes read from a copy on /dev/shm in 1 MiB
 * preads into fresh anonymous memory (as CRIU's restorer reads a local
 * pages image); served, the same bytes asked for on the serve socket as
 * CRIU asks and read from the pipe in 1 MiB reads into fresh memory (as
 * CRIU's streamed restore reads them); with PIPES (1) above 1, over that
 * many pipes read in turns of 1 MiB, as CRIU with patch 0011 reads them.
 * Prints each round's wall time, the reader's CPU and how often it had to
 * wait for the pipe (voluntary context switches), the serve thread's CPU (the
 * process's CPU less the reading thread's), and the medians' ratio. Run it on
 * a quiet machine and give the load average. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "formats/image_reader.h"
#include "stream/serve.h"
#include "stream/streamer_proto.h"

#define CHUNK (1u << 20)
#define MAX_ROUNDS 20

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int64_t us(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t process_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* This thread's time waiting for a CPU while runnable (us), from schedstat. */
static int64_t runqueue_us(void)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "re");
	unsigned long long on = 0, wait = 0;
	if (!f || fscanf(f, "%llu %llu", &on, &wait) != 2)
		die("/proc/thread-self/schedstat");
	fclose(f);
	return (int64_t)(wait / 1000);
}

/* This thread's voluntary context switches so far. */
static long waits(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

/* Read SIZE bytes into fresh memory, CHUNK at a time: from FDS[0] with pread
 * when PREAD, else with read from the N_FDS pipes FDS in turns of CHUNK. */
static void read_into_fresh(const int *fds, unsigned n_fds, uint64_t size, int pread_it)
{
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	for (uint64_t off = 0; off < size;) {
		int fd = fds[(off / CHUNK) % n_fds];
		size_t want = CHUNK - (size_t)(off % CHUNK);
		if (size - off < want)
			want = (size_t)(size - off);
		ssize_t n = pread_it ? pread(fd, mem + off, want, (off_t)off) : read(fd, mem + off, want);
		if (n <= 0)
			die(pread_it ? "pread" : "read from the serve pipe");
		off += (uint64_t)n;
	}
	munmap(mem, size);
}

static size_t varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;
	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

/* As CRIU: a pipe's write end sent with one byte; returns the read end. */
static int send_pipe(int s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) != 1)
		die("send the pipe");
	close(p[1]);
	return p[0];
}

/* As CRIU: ask for NAME on socket S over N_FDS pipes, hear that it exists,
 * hand over the pipes' write ends; the read ends in FDS. */
static void ask(int s, const char *name, int *fds, unsigned n_fds)
{
	uint8_t msg[4 + 2 + CR_STREAMER_NAME_MAX + 12];
	size_t n = strlen(name), len = 2 + n;
	msg[4] = 0x0a; /* Request.filename */
	msg[5] = (uint8_t)n;
	memcpy(msg + 6, name, n);
	if (n_fds > 1) {
		msg[4 + len++] = 0x10; /* Request.pipes */
		len += varint(msg + 4 + len, n_fds);
		msg[4 + len++] = 0x18; /* Request.chunk */
		len += varint(msg + 4 + len, CHUNK);
	}
	uint32_t len32 = (uint32_t)len;
	memcpy(msg, &len32, 4);
	if (send(s, msg, 4 + len, MSG_NOSIGNAL) != (ssize_t)(4 + len))
		die("send the request");
	/* Reply {exists = 1; pipes = N_FDS when above 1}: 2 or 4 bytes. */
	uint8_t reply[8], want = n_fds > 1 ? 4 : 2;
	for (size_t got = 0; got < 4u + want;) {
		ssize_t k = recv(s, reply + got, 4u + want - got, 0);
		if (k <= 0)
			die("recv the reply");
		got += (size_t)k;
	}
	if (reply[0] != want || reply[4] != 0x08 || reply[5] != 1 ||
	    (n_fds > 1 && (reply[6] != 0x10 || reply[7] != n_fds))) {
		fprintf(stderr, "the serve thread has no %s over %u pipe(s)\n", name, n_fds);
		exit(1);
	}
	for (unsigned i = 0; i < n_fds; i++)
		fds[i] = send_pipe(s);
}

/* One served round: *RET_SERVE_CPU, the serve thread's CPU, *RET_READ_CPU
 * the reader's (us); returns the wall time (us). */
static int64_t served_round(struct cr_image_reader *r, const char *prefix, const char *name, uint64_t size,
			    unsigned n_pipes, int64_t *ret_serve_cpu, int64_t *ret_read_cpu, long *ret_waits,
			    int64_t *ret_slept)
{
	char dir[] = "/dev/shm/bench-serve.XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp");
	struct cr_error err = CR_ERROR_INIT;
	struct cr_serve *srv = NULL;
	int64_t cpu0 = process_cpu_us(), mine0 = us(CLOCK_THREAD_CPUTIME_ID), t0 = us(CLOCK_MONOTONIC);
	if (cr_serve_start(dir, prefix, r, &srv, &err) < 0) {
		fprintf(stderr, "serve: %s\n", cr_error_msg(&err));
		exit(1);
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, CR_STREAMER_SERVE_SOCK);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connect to the serve socket");
	int fds[CR_STREAMER_PIPES_MAX];
	ask(s, name, fds, n_pipes);
	long w0 = waits();
	int64_t q0 = runqueue_us(), c0 = us(CLOCK_THREAD_CPUTIME_ID), r0 = us(CLOCK_MONOTONIC);
	read_into_fresh(fds, n_pipes, size, 0);
	/* Neither running nor waiting for a CPU: waiting for the serve thread. */
	*ret_slept = (us(CLOCK_MONOTONIC) - r0) - (us(CLOCK_THREAD_CPUTIME_ID) - c0) - (runqueue_us() - q0);
	*ret_waits = waits() - w0;
	for (unsigned i = 0; i < n_pipes; i++)
		close(fds[i]);
	close(s);
	if (cr_serve_finish(srv, &err) < 0) {
		fprintf(stderr, "serve: %s\n", cr_error_msg(&err));
		exit(1);
	}
	int64_t wall = us(CLOCK_MONOTONIC) - t0;
	*ret_read_cpu = us(CLOCK_THREAD_CPUTIME_ID) - mine0;
	*ret_serve_cpu = (process_cpu_us() - cpu0) - *ret_read_cpu;
	cr_serve_free(srv);
	rmdir(dir);
	return wall;
}

/* ENTRY's bytes in a new file on /dev/shm (unlinked, open). */
static int copy_to_tmpfs(struct cr_image_reader *r, size_t entry, uint64_t size)
{
	char path[] = "/dev/shm/bench-serve-raw.XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		die("mkostemp");
	unlink(path);
	uint8_t *buf = malloc(CHUNK);
	struct cr_error err = CR_ERROR_INIT;
	for (uint64_t off = 0; off < size;) {
		size_t got = 0;
		if (cr_image_file_pread(r, entry, off, buf, CHUNK, &got, &err) < 0) {
			fprintf(stderr, "%s\n", cr_error_msg(&err));
			exit(1);
		}
		if (write(fd, buf, got) != (ssize_t)got)
			die("write the tmpfs copy");
		off += got;
	}
	free(buf);
	return fd;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: %s IMAGE [ENTRY [ROUNDS [PIPES]]]\n", argv[0]);
		return 2;
	}
	int n_pipes = argc > 4 ? atoi(argv[4]) : 1;
	if (n_pipes < 1 || n_pipes > CR_STREAMER_PIPES_MAX) {
		fprintf(stderr, "PIPES must be 1 to %d\n", CR_STREAMER_PIPES_MAX);
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "ROUNDS must be 1 to %d\n", MAX_ROUNDS);
		return 2;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(argv[1]);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_reader *r = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_image_reader_open(&io, NULL, &r, &err) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], cr_error_msg(&err));
		return 1;
	}
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	size_t e = m->n_entries;
	for (size_t i = 0; i < m->n_entries; i++)
		if (m->entries[i].type == CR_ENTRY_FILE &&
		    (argc > 2 && *argv[2] ? strcmp(m->entries[i].path, argv[2]) == 0
			      : (e == m->n_entries || m->entries[i].size > m->entries[e].size)))
			e = i;
	const char *slash = e < m->n_entries ? strrchr(m->entries[e].path, '/') : NULL;
	if (!slash) {
		fprintf(stderr, "no such file entry (under a directory) in %s\n", argv[1]);
		return 1;
	}
	char *prefix = strndup(m->entries[e].path, (size_t)(slash - m->entries[e].path));
	uint64_t size = m->entries[e].size;
	int raw_fd = copy_to_tmpfs(r, e, size);
	double load[1] = {0};
	(void)getloadavg(load, 1);
	printf("%s of %s: %.1f MiB, %d rounds, %d pipe(s); load average %.2f\n", m->entries[e].path, argv[1],
	       (double)size / (1 << 20), rounds, n_pipes, load[0]);
	int64_t raw[MAX_ROUNDS], served[MAX_ROUNDS], cpu[MAX_ROUNDS], raw_cpu[MAX_ROUNDS], read_cpu[MAX_ROUNDS];
	int64_t n_waits[MAX_ROUNDS], slept[MAX_ROUNDS];
	for (int i = 0; i < rounds; i++) {
		int64_t t0 = us(CLOCK_MONOTONIC), c0 = us(CLOCK_THREAD_CPUTIME_ID);
		read_into_fresh(&raw_fd, 1, size, 1);
		raw[i] = us(CLOCK_MONOTONIC) - t0;
		raw_cpu[i] = us(CLOCK_THREAD_CPUTIME_ID) - c0;
		long w = 0;
		served[i] = served_round(r, prefix, slash + 1, size, (unsigned)n_pipes, &cpu[i], &read_cpu[i], &w,
					 &slept[i]);
		n_waits[i] = w;
		printf("  round %d: raw %.1f ms (CPU %.1f), served %.1f ms (%.2fx; reader CPU %.1f, waits %ld, "
		       "slept %.1f ms; serve thread CPU %.1f)\n",
		       i + 1, raw[i] / 1000.0, raw_cpu[i] / 1000.0, served[i] / 1000.0, (double)served[i] / (double)raw[i],
		       read_cpu[i] / 1000.0, w, slept[i] / 1000.0, cpu[i] / 1000.0);
	}
	int64_t mr = median(raw, rounds), ms = median(served, rounds), mc = median(cpu, rounds);
	int64_t mrc = median(raw_cpu, rounds), mrd = median(read_cpu, rounds), mw = median(n_waits, rounds);
	int64_t msl = median(slept, rounds);
	printf("median: raw %.1f ms (%.0f MB/s, CPU %.1f), served %.1f ms (%.0f MB/s), %.2fx raw; "
	       "reader CPU %.1f ms (%.2fx raw's), waits %lld, slept %.1f ms; serve thread CPU %.1f ms\n",
	       mr / 1000.0, (double)size / (double)mr, mrc / 1000.0, ms / 1000.0, (double)size / (double)ms,
	       (double)ms / (double)mr, mrd / 1000.0, (double)mrd / (double)mrc, (long long)mw, msl / 1000.0,
	       mc / 1000.0);
	close(raw_fd);
	free(prefix);
	cr_image_reader_free(r);
	close(fd);
	return 0;
}
