/* What the destination of a relocation does, as corrald's server asks it.
 * transport/ only carries the messages (decode, call, encode); the work is
 * relocate/arrival.h's, which implements this table, and corrald plugs it in
 * (cr_daemon_options.arrival). The table is declared here, in the lower
 * folder, so that relocate/ uses transport/ and never the other way round.
 * A server without the table refuses relocations. */
#ifndef CORRAL_TRANSPORT_ARRIVAL_H
#define CORRAL_TRANSPORT_ARRIVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "util/prio.h"
#include "util/workdir.h"

/* Where the work reports: corrald's log (LOG may be NULL), and the corral
 * binary that runs the monitors of partitions relocated here. */
struct cr_arrival_env {
	const char *corral_exe;
	void (*log)(void *log_ctx, const char *line);
	void *log_ctx;
};

/* A Restore of a relocation, decoded. */
struct cr_arrival_restore {
	const char *name;
	const char *peer;       /* the source's name in the trusted-peers file */
	const char *nfs_mark;   /* the token the source wrote on its NFS exports, or NULL */
	const char *relocation; /* the relocation's id, or NULL (an older source) */
	bool start;             /* started afresh (movewpar --static), not restored */
	bool lazy;              /* post-copy: its memory follows, it runs at once */
	/* The connection's window boost (util/prio.h), or NULL: given back
	 * before a restore starts what outlives the window (a monitor). */
	struct cr_nice *window_boost;
};

/* What a source decided about one of its relocations, as its corrald tells
 * the destination (PartitionExists with the relocation's id). */
enum cr_departure_outcome {
	CR_DEPARTURE_UNKNOWN,   /* no record of that relocation here */
	CR_DEPARTURE_PENDING,   /* the source has not decided yet: ask again */
	CR_DEPARTURE_COMMITTED, /* the copy here ended (or ends): the destination's is the one */
	CR_DEPARTURE_ABORTED,   /* the copy here goes on: the destination's must go */
};

/* A PrepareArrival (1.2), decoded: NAME made ready here, before the source
 * freezes, from its spec. */
struct cr_arrival_prepare {
	const char *name;
	const char *peer;       /* the source's name in the trusted-peers file */
	const char *spec_text;
	const char *relocation; /* the relocation's id, or NULL */
	uint64_t size_hint;     /* what its landing will hold (0: not known) */
	/* Since 1.4: its file systems' level-0 archive, unpacked into its
	 * directory ahead (then the image carries the level-1), or NULL. */
	const uint8_t *fs_archive;
	size_t fs_archive_len;
};

/* A landing holds the image's entries and, as CR_UNPACKED_SPEC, the
 * partition's spec from its manifest. */
#define CR_UNPACKED_SPEC "spec"

struct cr_arrival_ops {
	/* Prepare(unpack): a fresh work directory *RET (its path not made yet:
	 * the extraction makes it; made and empty when it was prepared ahead)
	 * to unpack NAME's image of SIZE_HINT bytes into; refused while a
	 * relocation of NAME is pending here. keep: the
	 * image arrived whole and it becomes NAME's unpacked image; drop:
	 * whatever is left of it goes. */
	int (*landing_open)(const char *name, uint64_t size_hint, struct cr_workdir *ret, struct cr_error *err);
	int (*landing_keep)(const char *name, const struct cr_workdir *w, struct cr_error *err);
	void (*landing_drop)(struct cr_workdir *w);
	/* The CRIU images of NAME's unpacked image (heap); ENOENT when none came. */
	int (*images_dir)(const char *name, char **ret_dir, struct cr_error *err);
	/* PrepareArrival: everything of a restore that needs no image, made
	 * before the source freezes and held by this connection: a Restore on
	 * it uses it; an Abort, or the connection's end, removes it. */
	int (*prepare)(const struct cr_arrival_env *env, const struct cr_arrival_prepare *req, struct cr_error *err);
	/* Restore: bring NAME to life here, Paused (running when lazy). */
	int (*restore)(const struct cr_arrival_env *env, const struct cr_arrival_restore *req, struct cr_error *err);
	/* Commit: 1 when NAME's relocation (id RELOCATION, or NULL) is
	 * committed here, now or before; 0 when no relocation of NAME is known
	 * here and RELOCATION is NULL (the Commit of a stored image); negative
	 * when refused. */
	int (*commit)(const struct cr_arrival_env *env, const char *name, const char *relocation, struct cr_error *err);
	/* Abort: remove all a relocation of NAME made here, if anything. */
	int (*abort)(const struct cr_arrival_env *env, const char *name, struct cr_error *err);
	/* The connection from PEER ended: a relocation it restored here and did
	 * not settle is settled by asking PEER's corrald. */
	void (*connection_ended)(const struct cr_arrival_env *env, const char *peer);
	/* At daemon start, with no connection alive: remove what dead
	 * connections left (the count in *RET_REMOVED), then (in a child)
	 * settle every relocation an earlier corrald left unsettled. */
	void (*sweep)(unsigned *ret_removed);
	/* As a source: what was decided about NAME's relocation RELOCATION. */
	enum cr_departure_outcome (*departure)(const char *name, const char *relocation);
	void (*settle_left)(const struct cr_arrival_env *env);
};

#endif
