/* movewpar: relocate a partition to another host's corrald.
 *
 * Live (the default): pre-flight on the peer; freeze and dump (A -> F -> P);
 * the image (spec, CRIU's images and, unless its file systems live on NFS,
 * an archive of them) is packed and streamed as it is made, and unpacked on
 * arrival: no image file at either end. The peer restores it Paused; then
 * the two-phase hand-over: this host ends its frozen copy, the peer resumes
 * (Commit). Until the peer has it restored, any failure (peer or link gone,
 * disk full, restore refused, a timeout) aborts the peer's half and thaws the
 * partition here: it stays Active where it was. A partition never runs on
 * two hosts: the copy here ends before the one there resumes.
 *
 * Static (--static): stop, move the file systems and the definition, start
 * there; on failure it is started here again. */
#ifndef CORRAL_RELOCATE_MOVE_H
#define CORRAL_RELOCATE_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct cr_move_progress {
	const char *phase;  /* "pre-flight", "waiting" (for this host's frozen window), "freezing",
			     * "dumping", "archiving", "streaming" (post-copy: "state"), "restoring",
			     * "pages" (post-copy: the lazy phase), "handing over" */
	uint64_t in_done;   /* bytes of the image's contents streamed so far */
	uint64_t in_total;  /* and in all (0 while unknown) */
	uint64_t sent;      /* image bytes sent ("pages": page bytes relayed) */
	uint64_t pages_demand, pages_pushed; /* "pages": pages served on faults and pushed */
	int64_t elapsed_ns; /* since the relocation began */
};

/* How a live relocation moves memory (movewpar --mode). */
enum cr_move_mode {
	CR_MOVE_AUTO = 0,   /* post-copy where both hosts proved it works, else stop-copy */
	CR_MOVE_POST_COPY,  /* run there first, memory follows on demand (lazy pages) */
	CR_MOVE_STOP_COPY,  /* frozen here until every page is there */
};

struct cr_move_request {
	const char *name;
	enum cr_move_mode mode;
	const char *peer;   /* a name in trusted-peers, or its address */
	bool static_move;   /* --static */
	bool dry_run;       /* --dry-run: pre-flight only */
	bool force;         /* -F: end clogin sessions first */
	int timeout_ms;     /* of the connection and every network read/write; 0: 30 s */
	uint32_t push_cap;  /* post-copy: bytes one background push answer may take; 0: 512 KiB */
	const char *self_exe; /* the corral binary: --static starts it here again on failure */
	void (*progress)(void *ctx, const struct cr_move_progress *p);
	void *progress_ctx;
	/* The last word before the hand-over: called once the peer holds the
	 * partition (restored Paused, or started for --static) and before this
	 * host ends its copy; a failure aborts the move and the partition goes
	 * on here. A fleet fences the partition's ownership there. NULL: none. */
	int (*commit_gate)(void *ctx, const char *name, const char *peer, struct cr_error *err);
	void *commit_gate_ctx;
};

struct cr_move_report {
	char *peer_host;      /* the peer's hostname from its Hello */
	int64_t downtime_ns;  /* frozen (stopped, --static) here to running there */
	int64_t total_ns;
	int64_t freeze_ns, dump_ns, archive_ns, stream_ns, restore_ns, handover_ns;
	int64_t window_wait_ns; /* waited for this host's frozen window (another move's), before the freeze */
	uint64_t content_bytes; /* CRIU's images and file systems before packing */
	uint64_t sent_bytes;    /* image bytes on the wire */
	bool carried_fs;        /* the file systems went inside the image */
	bool streamed;          /* stop-copy: CRIU's images went to the peer as CRIU wrote them (dump_ns) */
	/* Both CRIUs have tmpfs-plain-tar (check/criu_features.h): a live move's
	 * dump carries the tmpfs as a plain tar, else as CRIU's tar.gz. */
	bool tmpfs_plain_tar;
	/* Post-copy: the peer's criu lazy-pages takes answers in any order
	 * (0010), so both relays serve faults ahead of the push. */
	bool faults_first;
	char *ended;            /* processes -F ended, or NULL */
	/* Live moves: the mode that ran (or, --dry-run, would run) and why. */
	enum cr_move_mode mode;
	char *mode_why;
	/* Post-copy: from the resume there to the last page there (only the
	 * source host dying inside this window can lose the partition), and
	 * the page traffic relayed (bytes each way, messages from the source),
	 * the pages served on faults and pushed in the background. */
	int64_t lazy_window_ns;
	uint64_t page_bytes, page_request_bytes, page_msgs;
	uint64_t pages_demand, pages_pushed;
	uint64_t push_requests;  /* answers of the push */
	uint32_t push_max_pages; /* the longest of them (at most the cap) */
	uint32_t page_resumes;   /* times the page connection broke and the transfer went on */
	/* One line the user must see though the move succeeded (its copy
	 * here could not be ended), or NULL. */
	char *warning;
};

/* "post-copy", "stop-copy", "auto". */
const char *cr_move_mode_name(enum cr_move_mode mode);

void cr_move_report_free(struct cr_move_report *r);

int cr_partition_move(const struct cr_move_request *req, struct cr_move_report *rep, struct cr_error *err);

#endif
