/* Memory tracking CRIU can use: userfaultfd (lazy restore), soft-dirty bits
 * (iterative pre-dump) and the PAGEMAP_SCAN ioctl (fast page scanning). */
#include "check/probes.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* Linux 6.7 uapi (linux/fs.h), which older headers lack. */
struct cr_page_region {
	uint64_t start, end, categories;
};
struct cr_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define CR_PAGEMAP_SCAN _IOWR('f', 16, struct cr_pm_scan_arg)
#define CR_PAGE_IS_PRESENT (1u << 3)

#define PM_SOFT_DIRTY_BIT 55

static int probe_userfaultfd(struct cr_host_facts *f, struct cr_error *err)
{
#ifdef __NR_userfaultfd
	int flags = O_CLOEXEC | O_NONBLOCK;
	cleanup_close int fd = (int)syscall(__NR_userfaultfd, flags);
	const char *mode = "";
	if (fd < 0 && errno == EPERM) {
		fd = (int)syscall(__NR_userfaultfd, flags | UFFD_USER_MODE_ONLY);
		mode = " (user-mode faults only for this user)";
	}
	if (fd < 0)
		return CR_PROBE_SET(f, CR_PROBE_USERFAULTFD, CR_PROBE_MISSING,
				    "userfaultfd(): %s", strerror(errno));
	struct uffdio_api api = {.api = UFFD_API, .features = 0};
	if (ioctl(fd, UFFDIO_API, &api) < 0)
		return CR_PROBE_SET(f, CR_PROBE_USERFAULTFD, CR_PROBE_MISSING,
				    "UFFDIO_API: %s", strerror(errno));
	return CR_PROBE_SET(f, CR_PROBE_USERFAULTFD, CR_PROBE_OK, "features 0x%llx%s",
			    (unsigned long long)api.features, mode);
#else
	return CR_PROBE_SET(f, CR_PROBE_USERFAULTFD, CR_PROBE_MISSING,
			    "no userfaultfd system call on this architecture");
#endif
}

static int read_pagemap(int fd, const void *addr, long page, uint64_t *ret)
{
	off_t off = (off_t)((uintptr_t)addr / (uintptr_t)page * sizeof(uint64_t));
	return pread(fd, ret, sizeof(*ret), off) == (ssize_t)sizeof(*ret) ? 0 : -1;
}

/* The kernel's build configuration says whether soft-dirty was compiled in. */
static int config_says_soft_dirty(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return -1;
	char path[sizeof(u.release) + 16];
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	cleanup_free char *text = NULL;
	if (cr_read_file(path, 1 << 20, &text, NULL, NULL) < 0)
		return -1;
	return strstr(text, "\nCONFIG_MEM_SOFT_DIRTY=y") != NULL;
}

static int soft_dirty_fallback(struct cr_host_facts *f, const char *why, struct cr_error *err)
{
	int c = config_says_soft_dirty();
	if (c < 0)
		return CR_PROBE_SET(f, CR_PROBE_SOFT_DIRTY, CR_PROBE_SKIPPED, "%s: %s", why,
				    strerror(errno));
	return CR_PROBE_SET(f, CR_PROBE_SOFT_DIRTY, c ? CR_PROBE_OK : CR_PROBE_MISSING,
			    "%s; the kernel config says CONFIG_MEM_SOFT_DIRTY is %s", why,
			    c ? "on" : "off");
}

/* Touch a page, clear the soft-dirty bits (clear_refs "4"), the page's bit 55
 * must be clear; write it again: the bit must be set. */
static int probe_soft_dirty(struct cr_host_facts *f, volatile char *page, long psize,
			    int pagemap, struct cr_error *err)
{
	page[0] = 1;
	cleanup_close int cr = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (cr < 0 || write(cr, "4", 1) != 1)
		return soft_dirty_fallback(f, "cannot write /proc/self/clear_refs", err);
	uint64_t before = 0, after = 0;
	if (read_pagemap(pagemap, (const void *)page, psize, &before) < 0)
		return soft_dirty_fallback(f, "cannot read /proc/self/pagemap", err);
	page[0] = 2;
	if (read_pagemap(pagemap, (const void *)page, psize, &after) < 0)
		return soft_dirty_fallback(f, "cannot read /proc/self/pagemap", err);
	int cleared = !((before >> PM_SOFT_DIRTY_BIT) & 1);
	int set = (after >> PM_SOFT_DIRTY_BIT) & 1;
	if (cleared && set)
		return CR_PROBE_SET(f, CR_PROBE_SOFT_DIRTY, CR_PROBE_OK,
				    "pagemap bit 55 tracks writes after clear_refs");
	return CR_PROBE_SET(f, CR_PROBE_SOFT_DIRTY, CR_PROBE_MISSING,
			    "pagemap bit 55 %s after a write (CONFIG_MEM_SOFT_DIRTY off?)",
			    set ? "was never cleared" : "stays clear");
}

static int probe_pagemap_scan(struct cr_host_facts *f, void *page, long psize, int pagemap,
			      struct cr_error *err)
{
	struct cr_page_region region = {0, 0, 0};
	struct cr_pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)page,
		.end = (uintptr_t)page + (uintptr_t)psize,
		.vec = (uintptr_t)&region,
		.vec_len = 1,
		.category_anyof_mask = CR_PAGE_IS_PRESENT,
		.return_mask = CR_PAGE_IS_PRESENT,
	};
	int n = ioctl(pagemap, CR_PAGEMAP_SCAN, &arg);
	if (n < 0)
		return CR_PROBE_SET(f, CR_PROBE_PAGEMAP_SCAN, CR_PROBE_MISSING, "PAGEMAP_SCAN: %s",
				    errno == ENOTTY ? "not supported by this kernel" : strerror(errno));
	if (n != 1 || region.start != (uintptr_t)page || !(region.categories & CR_PAGE_IS_PRESENT))
		return CR_PROBE_SET(f, CR_PROBE_PAGEMAP_SCAN, CR_PROBE_MISSING,
				    "PAGEMAP_SCAN did not report a present page (%d regions)", n);
	return CR_PROBE_SET(f, CR_PROBE_PAGEMAP_SCAN, CR_PROBE_OK,
			    "PAGEMAP_SCAN reports present pages");
}

int cr_probe_memory(struct cr_host_facts *f, struct cr_error *err)
{
	int r = probe_userfaultfd(f, err);
	if (r < 0)
		return r;
	long psize = sysconf(_SC_PAGESIZE);
	char *page = mmap(NULL, (size_t)psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	cleanup_close int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (page == MAP_FAILED || pagemap < 0) {
		const char *why = page == MAP_FAILED ? "cannot map a page"
						     : "cannot open /proc/self/pagemap";
		int e = errno;
		if (page != MAP_FAILED)
			munmap(page, (size_t)psize);
		r = CR_PROBE_SET(f, CR_PROBE_SOFT_DIRTY, CR_PROBE_SKIPPED, "%s: %s", why, strerror(e));
		if (r == 0)
			r = CR_PROBE_SET(f, CR_PROBE_PAGEMAP_SCAN, CR_PROBE_SKIPPED, "%s: %s", why,
					 strerror(e));
		return r;
	}
	r = probe_soft_dirty(f, page, psize, pagemap, err);
	if (r == 0)
		r = probe_pagemap_scan(f, page, psize, pagemap, err);
	munmap(page, (size_t)psize);
	return r;
}
