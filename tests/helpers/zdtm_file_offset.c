/* zdtm: a regular file open read-write at an offset, and one open for
 * appending. Offsets, flags and contents must survive. */
#include <sys/stat.h>

#include "zdtm_lib.h"

#define SIZE 65536
#define OFFSET 12345

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	static unsigned char buf[SIZE];
	char *path = NULL;
	if (asprintf(&path, "%s/data", zdtm_dir) < 0)
		zdtm_fail("out of memory");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		zdtm_fail("open %s: %s", path, strerror(errno));
	zdtm_fill(buf, SIZE, 0, 2);
	if (write(fd, buf, SIZE) != SIZE || lseek(fd, OFFSET, SEEK_SET) != OFFSET)
		zdtm_fail("write %s: %s", path, strerror(errno));
	int afd = open(path, O_WRONLY | O_APPEND);
	if (afd < 0)
		zdtm_fail("open %s for append: %s", path, strerror(errno));
	zdtm_ready();
	zdtm_wait();

	off_t pos = lseek(fd, 0, SEEK_CUR);
	if (pos != OFFSET)
		zdtm_fail("offset is %lld, not %d", (long long)pos, OFFSET);
	if (!(fcntl(afd, F_GETFL) & O_APPEND))
		zdtm_fail("O_APPEND was lost");
	unsigned char got[256];
	if (read(fd, got, sizeof(got)) != (ssize_t)sizeof(got))
		zdtm_fail("read at the offset: %s", strerror(errno));
	long bad = zdtm_check(got, sizeof(got), OFFSET, 2);
	if (bad >= 0)
		zdtm_fail("data differs at offset %ld", OFFSET + bad);
	if (write(afd, "x", 1) != 1)
		zdtm_fail("append: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size != SIZE + 1)
		zdtm_fail("append did not go to the end (size %lld)", (long long)st.st_size);
	zdtm_pass();
}
