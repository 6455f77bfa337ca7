/* movewpar: relocate a partition to another host's corrald. */
#define LOG_PREFIX "movewpar: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "fleet/owner.h"
#include "relocate/move.h"

struct bar {
	bool tty;
	bool log_phases; /* -v without a terminal: one line per phase, as it begins */
	int64_t last_ns;
	const char *last_phase;
	int64_t phase_ns; /* when the phase shown began */
};

/* Post-copy's lazy phase: pages so far (on faults + pushed), their rate in
 * this phase, and what remains of the partition's memory. */
static void show_pages(const struct bar *b, const struct cr_move_progress *p)
{
	double secs = (p->elapsed_ns - b->phase_ns) / 1e9;
	double mib = p->in_done / 1048576.0, left = (p->in_total - p->in_done) / 1048576.0;
	double rate = secs > 0 ? mib / secs : 0;
	fprintf(stderr, "\r\033[Kpages %llu (%llu on demand, %llu pushed) %8.1f MiB %7.1f MiB/s, %.1f MiB left",
		(unsigned long long)(p->pages_demand + p->pages_pushed), (unsigned long long)p->pages_demand,
		(unsigned long long)p->pages_pushed, mib, rate, left);
}

static void show_progress(void *ctx, const struct cr_move_progress *p)
{
	struct bar *b = ctx;
	bool new_phase = b->last_phase != p->phase;
	if (!b->tty) {
		/* A log (the fleet's, a script's): when each phase began, to
		 * tell which one a slow move spent its time in, and in wall
		 * time, to lay several moves' phases side by side. */
		if (b->log_phases && new_phase) {
			struct timespec wall;
			clock_gettime(CLOCK_REALTIME, &wall);
			printf("phase %s at %.3f s (wall %lld.%03ld)\n", p->phase, p->elapsed_ns / 1e9,
			       (long long)wall.tv_sec, wall.tv_nsec / 1000000);
		}
		b->last_phase = p->phase;
		return;
	}
	if (!new_phase && p->elapsed_ns - b->last_ns < 100 * 1000000LL)
		return;
	b->last_ns = p->elapsed_ns;
	if (new_phase)
		b->phase_ns = p->elapsed_ns;
	b->last_phase = p->phase;
	double secs = p->elapsed_ns / 1e9;
	double mib = p->sent / 1048576.0;
	if (strcmp(p->phase, "pages") == 0 && p->in_total > 0) {
		show_pages(b, p);
	} else if (p->in_total == 0) {
		fprintf(stderr, "\r\033[K%-13s %6.1f s", p->phase, secs);
	} else {
		double frac = (double)p->in_done / (double)p->in_total;
		double rate = secs > 0 ? mib / secs : 0;
		int width = 24, filled = (int)(frac * width + 0.5);
		double eta = frac > 0.01 ? secs * (1 - frac) / frac : 0;
		fprintf(stderr, "\r\033[K%-13s [%.*s%*s] %3.0f%% %8.1f MiB %7.1f MiB/s ETA %3.0f s", p->phase, filled,
			"########################", width - filled, "", frac * 100, mib, rate, eta);
	}
	fflush(stderr);
}

/* How a post-copy move's relays order faults and the push (0010). */
static const char *fault_order(const struct cr_move_report *rep)
{
	return rep->faults_first ? "faults ahead of the push (its criu lazy-pages takes answers in any order)"
				 : "faults in the order asked (its criu lazy-pages lacks lazy-any-order)";
}

/* How a live move's dump carries the partition's tmpfs (0009). */
static const char *tmpfs_form(const struct cr_move_report *rep)
{
	return rep->tmpfs_plain_tar ? "tmpfs as a plain tar (both CRIUs have tmpfs-plain-tar)"
				    : "tmpfs as CRIU's tar.gz (a CRIU here or there lacks tmpfs-plain-tar)";
}

/* AIX-style flags plus the long ones movewpar's users know from other tools. */
static void translate_long_options(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--static") == 0)
			argv[i] = "-S";
		else if (strcmp(argv[i], "--dry-run") == 0)
			argv[i] = "-n";
		else if (strcmp(argv[i], "--mode") == 0)
			argv[i] = "-m";
		else if (strncmp(argv[i], "--mode=", 7) == 0)
			argv[i] += 5, argv[i][0] = '-', argv[i][1] = 'm';
	}
}

int cmd_movewpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *prog = v->name, *usage = v->usage;
	translate_long_options(argc, argv);
	struct cli_parsed p;
	int rc = cli_parse_options(prog, usage, "SnFt:vm:", argc, argv, &p);
	if (rc)
		return rc;
	struct bar bar = {.tty = isatty(STDERR_FILENO) == 1};
	bar.log_phases = !bar.tty && cli_option_count(&p, 'v') > 0;
	struct cr_move_request req = {
		.static_move = cli_option_count(&p, 'S') > 0,
		.dry_run = cli_option_count(&p, 'n') > 0,
		.force = cli_option_count(&p, 'F') > 0,
		.self_exe = "/proc/self/exe",
		.progress = show_progress,
		.progress_ctx = &bar,
	};
	if (p.first_operand != argc - 2) {
		rc = cli_usage_error(prog, usage, "name one partition and one host");
		goto out;
	}
	req.name = argv[p.first_operand];
	req.peer = argv[p.first_operand + 1];
	const char *t = cli_option_arg(&p, 't');
	long seconds = 0;
	if (t && cli_parse_long(t, 1, 3600, &seconds) < 0) {
		rc = cli_usage_error(prog, usage, "-t wants 1 to 3600 seconds, not %s", t);
		goto out;
	}
	req.timeout_ms = (int)seconds * 1000;
	/* Benchmarks only: what one background push answer may take. */
	const char *cap = getenv("CORRAL_PUSH_CAP");
	long cap_bytes = 0;
	if (cap && *cap && cli_parse_long(cap, 4096, 64L << 20, &cap_bytes) < 0) {
		rc = cli_usage_error(prog, usage, "CORRAL_PUSH_CAP wants 4096 to 67108864 bytes, not %s", cap);
		goto out;
	}
	req.push_cap = (uint32_t)cap_bytes;
	const char *mode = cli_option_arg(&p, 'm');
	if (!mode || strcmp(mode, "auto") == 0) {
		req.mode = CR_MOVE_AUTO;
	} else if (strcmp(mode, "post-copy") == 0) {
		req.mode = CR_MOVE_POST_COPY;
	} else if (strcmp(mode, "stop-copy") == 0) {
		req.mode = CR_MOVE_STOP_COPY;
	} else {
		rc = cli_usage_error(prog, usage, "--mode wants auto, post-copy or stop-copy, not %s", mode);
		goto out;
	}
	/* In a fleet, the partition's ownership is fenced in the hand-over. */
	struct cr_owner_fence fence;
	int r = req.dry_run ? 1 : cr_owner_fence_begin(&fence, req.name, err);
	if (r < 0) {
		rc = r;
		goto out;
	}
	bool fenced = r == 0;
	if (fenced) {
		req.commit_gate = cr_owner_fence_commit;
		req.commit_gate_ctx = &fence;
	}
	struct cr_move_report rep;
	r = cr_partition_move(&req, &rep, err);
	if (fenced)
		cr_owner_fence_end(&fence);
	if (bar.log_phases)
		fflush(stdout);
	if (bar.tty && bar.last_phase)
		fprintf(stderr, "\r\033[K");
	if (r < 0) {
		rc = r;
		cr_move_report_free(&rep);
		goto out;
	}
	if (rep.ended)
		printf("%s: ended (they cannot be relocated): %s\n", prog, rep.ended);
	if (rep.warning)
		fprintf(stderr, "%s: warning: %s\n", prog, rep.warning);
	if (req.dry_run) {
		printf("Workload partition %s can move to %s (%s): pre-flight passed, nothing moved.\n", req.name,
		       req.peer, rep.peer_host ? rep.peer_host : "?");
		if (!req.static_move) {
			printf("mode %s (%s)\n", cr_move_mode_name(rep.mode), rep.mode_why ? rep.mode_why : "");
			printf("%s\n", tmpfs_form(&rep));
		}
	} else if (!req.static_move && rep.mode == CR_MOVE_POST_COPY) {
		double lazy = rep.lazy_window_ns / 1e9;
		double mib = rep.page_bytes / 1048576.0;
		printf("Workload partition %s relocated to %s (%s), post-copy (%s).\n", req.name, req.peer,
		       rep.peer_host ? rep.peer_host : "?", rep.mode_why ? rep.mode_why : "");
		printf("downtime %.0f ms, lazy window %.0f ms, pages %llu on demand + %llu pushed, %.1f MiB at "
		       "%.1f MiB/s, state %.1f MiB%s, total %.2f s\n",
		       rep.downtime_ns / 1e6, rep.lazy_window_ns / 1e6, (unsigned long long)rep.pages_demand,
		       (unsigned long long)rep.pages_pushed, mib, lazy > 0 ? mib / lazy : 0.0,
		       (rep.sent_bytes - rep.page_bytes - rep.page_request_bytes) / 1048576.0,
		       rep.carried_fs ? " (file systems included)" : "", rep.total_ns / 1e9);
		if (rep.page_resumes > 0)
			printf("the page connection broke and the transfer resumed %u time(s)\n", rep.page_resumes);
		if (cli_option_count(&p, 'v')) {
			printf("freeze %.0f ms, dump %.0f ms, archive %.0f ms, stream %.0f ms, restore %.0f ms, "
			       "hand-over %.0f ms, page messages %llu, push answers %llu (longest %u pages)\n",
			       rep.freeze_ns / 1e6, rep.dump_ns / 1e6, rep.archive_ns / 1e6, rep.stream_ns / 1e6,
			       rep.restore_ns / 1e6, rep.handover_ns / 1e6, (unsigned long long)rep.page_msgs,
			       (unsigned long long)rep.push_requests, rep.push_max_pages);
			printf("%s: %s\n", req.peer, fault_order(&rep));
		}
	} else {
		/* Streamed, the image went out while CRIU dumped. */
		double secs = (rep.stream_ns + (rep.streamed ? rep.dump_ns : 0)) / 1e9;
		double mib = rep.sent_bytes / 1048576.0;
		printf("Workload partition %s relocated to %s (%s)%s%s%s.\n", req.name, req.peer,
		       rep.peer_host ? rep.peer_host : "?", req.static_move ? " stopped and started again" : ", stop-copy (",
		       req.static_move ? "" : (rep.mode_why ? rep.mode_why : ""), req.static_move ? "" : ")");
		printf("downtime %.0f ms, sent %.1f MiB%s, compression %.2f, throughput %.1f MiB/s, total %.2f s\n",
		       rep.downtime_ns / 1e6, mib, rep.carried_fs ? " (file systems included)" : "",
		       rep.content_bytes ? (double)rep.sent_bytes / (double)rep.content_bytes : 1.0,
		       secs > 0 ? mib / secs : 0.0, rep.total_ns / 1e9);
		if (cli_option_count(&p, 'v'))
			printf("freeze %.0f ms, dump %.0f ms%s, archive %.0f ms, stream %.0f ms, restore %.0f ms, "
			       "hand-over %.0f ms\n",
			       rep.freeze_ns / 1e6, rep.dump_ns / 1e6, rep.streamed ? " (streamed to the peer)" : "",
			       rep.archive_ns / 1e6, rep.stream_ns / 1e6, rep.restore_ns / 1e6, rep.handover_ns / 1e6);
	}
	if (!req.dry_run && cli_option_count(&p, 'v')) {
		printf("waited %.0f ms for this host's frozen window (another move's) before the freeze\n",
		       rep.window_wait_ns / 1e6);
		if (!req.static_move)
			printf("%s\n", tmpfs_form(&rep));
	}
	cr_move_report_free(&rep);
out:
	cli_parsed_free(&p);
	return rc;
}
