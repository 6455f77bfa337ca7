/* zdtm for files on a shared (NFS) file system: numbered lines appended
 * without pause through two descriptors kept open across the checkpoint, one
 * O_APPEND (DIR/seq) and one writing at its own offset (DIR/seq.pos); a file
 * open read-write at an offset (DIR/data); a file unlinked while open (it
 * must show no link left, and CRIU keeps it as a ghost file). On SIGUSR1 both sequence files must read exactly "1\n" to
 * "N\n" (no line lost or repeated, N the last line written), the offsets be
 * where they were left, and the unlinked file keep its contents.
 * DIR/last gets N. */
#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "zdtm_lib.h"

#define DATA_SIZE 65536
#define DATA_OFFSET 12345
#define GHOST_SIZE 16384
#define GHOST_OFFSET 777

static int open_in(const char *name, int flags)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", zdtm_dir, name) < 0)
		zdtm_fail("out of memory");
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		zdtm_fail("open %s: %s", path, strerror(errno));
	free(path);
	return fd;
}

static void write_all(int fd, const void *buf, size_t len, const char *what)
{
	if (write(fd, buf, len) != (ssize_t)len)
		zdtm_fail("write %s: %s", what, strerror(errno));
}

/* The file NAME must read "1\n" ... "LAST\n" exactly. */
static void check_sequence(const char *name, uint64_t last)
{
	int fd = open_in(name, O_RDONLY);
	FILE *f = fdopen(fd, "r");
	if (!f)
		zdtm_fail("fdopen %s: %s", name, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	uint64_t want = 1;
	while (getline(&line, &cap, f) > 0) {
		char *end = NULL;
		errno = 0;
		unsigned long long got = strtoull(line, &end, 10);
		if (errno || end == line || *end != '\n')
			zdtm_fail("%s: line %" PRIu64 " is not a number: %.40s", name, want, line);
		if (got != want)
			zdtm_fail("%s: line %" PRIu64 " reads %llu (a line lost or repeated)", name, want, got);
		want++;
	}
	free(line);
	fclose(f);
	if (want != last + 1)
		zdtm_fail("%s ends at line %" PRIu64 ", but %" PRIu64 " were written", name, want - 1, last);
}

/* What ls -l does: stat every name in the directory. */
static void stat_entries(void)
{
	DIR *d = opendir(zdtm_dir);
	if (!d)
		zdtm_fail("opendir %s: %s", zdtm_dir, strerror(errno));
	struct dirent *de;
	struct stat st;
	while ((de = readdir(d)))
		fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW);
	closedir(d);
}

/* FD must be at OFFSET and read on there with pattern SEED. */
static void check_at(int fd, off_t offset, unsigned seed, const char *what)
{
	off_t at = lseek(fd, 0, SEEK_CUR);
	if (at != offset)
		zdtm_fail("%s: the offset is %lld, not %lld", what, (long long)at, (long long)offset);
	unsigned char got[256];
	if (read(fd, got, sizeof(got)) != (ssize_t)sizeof(got))
		zdtm_fail("%s: read at the offset: %s", what, strerror(errno));
	long bad = zdtm_check(got, sizeof(got), (uint64_t)offset, seed);
	if (bad >= 0)
		zdtm_fail("%s differs at offset %lld", what, (long long)offset + bad);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	static unsigned char buf[DATA_SIZE];
	int seq = open_in("seq", O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
	int pos = open_in("seq.pos", O_WRONLY | O_CREAT | O_EXCL);

	int data = open_in("data", O_RDWR | O_CREAT | O_TRUNC);
	zdtm_fill(buf, DATA_SIZE, 0, 2);
	write_all(data, buf, DATA_SIZE, "data");
	if (lseek(data, DATA_OFFSET, SEEK_SET) != DATA_OFFSET)
		zdtm_fail("lseek data: %s", strerror(errno));

	int ghost = open_in("ghost", O_RDWR | O_CREAT | O_TRUNC);
	zdtm_fill(buf, GHOST_SIZE, 0, 3);
	write_all(ghost, buf, GHOST_SIZE, "ghost");
	if (lseek(ghost, GHOST_OFFSET, SEEK_SET) != GHOST_OFFSET)
		zdtm_fail("lseek ghost: %s", strerror(errno));
	char *ghost_path = NULL;
	if (asprintf(&ghost_path, "%s/ghost", zdtm_dir) < 0 || unlink(ghost_path) < 0)
		zdtm_fail("unlink the ghost file: %s", strerror(errno));
	free(ghost_path);
	/* Unlinked, it has no link left: also once the client's cached
	 * attributes (1 s) expired, and after a listing (ls -l) of its directory
	 * looked up every name there, the client's own hidden one included. */
	for (int i = 0; i < 2; i++) {
		stat_entries();
		struct stat gst;
		if (fstat(ghost, &gst) < 0)
			zdtm_fail("fstat the unlinked file: %s", strerror(errno));
		if (gst.st_nlink != 0)
			zdtm_fail("the unlinked file shows %lu links", (unsigned long)gst.st_nlink);
		struct timespec expire = {1, 200 * 1000 * 1000};
		nanosleep(&expire, NULL);
	}

	uint64_t n = 0;
	zdtm_ready();
	while (!zdtm_go) {
		char line[32];
		int len = snprintf(line, sizeof(line), "%" PRIu64 "\n", ++n);
		write_all(seq, line, (size_t)len, "seq");
		write_all(pos, line, (size_t)len, "seq.pos");
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	char last[32];
	snprintf(last, sizeof(last), "%" PRIu64 "\n", n);
	zdtm_put("last", last);

	struct stat st;
	if (fstat(pos, &st) < 0 || lseek(pos, 0, SEEK_CUR) != st.st_size)
		zdtm_fail("seq.pos: the offset is %lld, the size %lld", (long long)lseek(pos, 0, SEEK_CUR),
			  (long long)st.st_size);
	check_sequence("seq", n);
	check_sequence("seq.pos", n);

	check_at(data, DATA_OFFSET, 2, "data");
	check_at(ghost, GHOST_OFFSET, 3, "the unlinked file");
	if (fstat(ghost, &st) < 0 || st.st_size != GHOST_SIZE)
		zdtm_fail("the unlinked file has size %lld, not %d", (long long)st.st_size, GHOST_SIZE);
	zdtm_pass();
}
