/* Cleanup attributes and explicit hand-over (the bubblewrap/crun idiom).
 * Every cleanup function accepts NULL / -1. */
#ifndef CORRAL_UTIL_CLEANUP_H
#define CORRAL_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cr_freep(void *p)
{
	free(*(void **)p);
}

static inline void cr_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void cr_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cr_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define cleanup_free __attribute__((cleanup(cr_freep)))
#define cleanup_close __attribute__((cleanup(cr_closep)))
#define cleanup_fclose __attribute__((cleanup(cr_fclosep)))
#define cleanup_dir __attribute__((cleanup(cr_closedirp)))

/* Hand a pointer over to the caller: the cleanup then sees NULL. */
static inline void *cr_steal_pointer(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) cr_steal_pointer(pp)

static inline int cr_steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#endif
