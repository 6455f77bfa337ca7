/* The record of a relocation from this host (relocate/departure.h). */
#include "relocate/departure.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "relocate/relocation_record.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define OUTGOING_DIR CR_STATE_DIR "/outgoing"
#define LOCK_SUFFIX ".lock"

static const char *const decisions[] = {
	[CR_DEPARTURE_PENDING] = "pending",
	[CR_DEPARTURE_COMMITTED] = "committed",
	[CR_DEPARTURE_ABORTED] = "aborted",
};

static int record_path(const char *name, const char *suffix, char **ret, struct cr_error *err)
{
	return cr_path_name(ret, OUTGOING_DIR, name, suffix, err);
}

static int record_write(const struct cr_departure *d, enum cr_departure_outcome o, struct cr_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	int r = record_path(d->name, CR_RELOCATION_SUFFIX, &path, err);
	if (r < 0)
		return r;
	int n = asprintf(&text, "id %s\npeer %s\ndecision %s\n", d->id, d->peer, decisions[o]);
	if (n < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if ((r = cr_write_file_atomic(path, text, (size_t)n, 0600, err)) < 0)
		return cr_error_wrap(err, "recording the relocation of %s", d->name);
	return 0;
}

void cr_departure_release(struct cr_departure *d)
{
	if (d->name && d->lock >= 0 && !d->decided) {
		struct cr_error e = CR_ERROR_INIT;
		if (cr_departure_decide(d, false, &e) < 0)
			cr_debug("%s", cr_error_msg(&e));
		cr_error_clear(&e);
	}
	if (d->lock >= 0)
		close(d->lock);
	d->lock = -1;
	free(d->name);
	free(d->id);
	free(d->peer);
	d->name = d->id = d->peer = NULL;
}

int cr_departure_begin(const char *name, const char *id, const char *peer, struct cr_departure *ret,
		       struct cr_error *err)
{
	struct cr_departure d = CR_DEPARTURE_INIT;
	cleanup_free char *lock = NULL;
	int r = cr_relocation_id_check(id, err);
	if (r < 0 || (r = record_path(name, LOCK_SUFFIX, &lock, err)) < 0 ||
	    (r = cr_mkdir_parent(lock, 0700, err)) < 0)
		return r;
	d.name = strdup(name);
	d.id = strdup(id);
	d.peer = strdup(peer);
	if (!d.name || !d.id || !d.peer) {
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	/* Close-on-exec only: a forked guardian shares the lock, so
	 * "undecided" lasts until it has thawed the copy here. */
	d.lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d.lock < 0) {
		r = cr_error_errno(err, "cannot open %s", lock);
		goto fail;
	}
	if (flock(d.lock, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? cr_error_set(err, EBUSY, "another relocation of %s is under way", name)
					 : cr_error_errno(err, "cannot lock %s", lock);
		goto fail;
	}
	if ((r = record_write(&d, CR_DEPARTURE_PENDING, err)) < 0)
		goto fail;
	*ret = d;
	return 0;
fail:
	d.decided = true; /* nothing to tell anyone */
	cr_departure_release(&d);
	return r;
}

int cr_departure_decide(struct cr_departure *d, bool committed, struct cr_error *err)
{
	int r = record_write(d, committed ? CR_DEPARTURE_COMMITTED : CR_DEPARTURE_ABORTED, err);
	if (r < 0)
		return r;
	d->decided = true;
	d->committed = committed;
	return 0;
}

void cr_departure_settled(struct cr_departure *d)
{
	/* The record, then the lock file (still held here: a later mover
	 * makes a new one), so that nothing of a settled move stays. */
	const char *const suffixes[] = {CR_RELOCATION_SUFFIX, LOCK_SUFFIX};
	for (size_t i = 0; d->name && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		cleanup_free char *path = NULL;
		if (record_path(d->name, suffixes[i], &path, NULL) == 0)
			(void)unlink(path);
	}
	d->decided = true;
}

/* Is NAME's lock held by a live relocation (its mover or guardian)? */
static bool lock_held(const char *name)
{
	cleanup_free char *path = NULL;
	if (record_path(name, LOCK_SUFFIX, &path, NULL) < 0)
		return false;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	return flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

enum cr_departure_outcome cr_departure_outcome(const char *name, const char *id)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len = 0;
	if (record_path(name, CR_RELOCATION_SUFFIX, &path, NULL) < 0 || cr_read_file(path, 4096, &text, &len, NULL) < 0)
		return CR_DEPARTURE_UNKNOWN;
	char *save = NULL;
	bool ours = false;
	enum cr_departure_outcome o = CR_DEPARTURE_UNKNOWN;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "id ", 3) == 0)
			ours = strcmp(line + 3, id) == 0;
		else if (strncmp(line, "decision ", 9) == 0)
			for (size_t i = CR_DEPARTURE_PENDING; i < sizeof(decisions) / sizeof(decisions[0]); i++)
				if (strcmp(line + 9, decisions[i]) == 0)
					o = (enum cr_departure_outcome)i;
	}
	if (!ours)
		return CR_DEPARTURE_UNKNOWN;
	/* Its mover died undecided: the guardian thawed the copy here. */
	if (o == CR_DEPARTURE_PENDING && !lock_held(name))
		return CR_DEPARTURE_ABORTED;
	return o;
}
