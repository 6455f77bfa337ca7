/* corrald [--foreground] [--listen ADDR[:PORT]] [--socket PATH] [--timeout SEC]
 *         [--corral PATH]:
 * the Corral daemon (docs/protocol.md). In the foreground it logs to stderr;
 * otherwise it detaches and logs to $ROOT/var/log/corral/corrald.log. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet/agent.h"
#include "relocate/arrival.h"
#include "transport/daemon.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

#define USAGE                                                                                       \
	"corrald [--foreground] [--listen ADDR[:PORT]|none] [--socket PATH|none] [--timeout SEC] "  \
	"[--corral PATH]"

/* The corral binary that runs the partitions relocated here: beside corrald. */
static char *default_corral_exe(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	char *path = NULL;
	if (asprintf(&path, "%s/corral", self) < 0)
		return NULL;
	return path;
}

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s corrald[%d]: %s\n", stamp, (int)getpid(), line);
	fflush(stderr);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "corrald: %s%s%s\nusage: %s\n", msg, arg ? " " : "", arg ? arg : "",
		USAGE);
	return 2;
}

/* Detach: stderr to the log file, a new session, the parent returns. */
static int background(void)
{
	cleanup_free char *dir = NULL, *path = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_path(&dir, &err, "/var/log/corral") < 0 || cr_mkdir_p(dir, 0755, &err) < 0 ||
	    cr_path(&path, &err, "/var/log/corral/corrald.log") < 0) {
		fprintf(stderr, "corrald: %s\n", cr_error_msg(&err));
		cr_error_clear(&err);
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		fprintf(stderr, "corrald: cannot open %s: %m\n", path);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "corrald: cannot fork: %m\n");
		close(fd);
		return -1;
	}
	if (pid > 0)
		_exit(0);
	setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		close(null);
	}
	dup2(fd, 2);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'}, {"listen", required_argument, NULL, 'l'},
		{"socket", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
		{"corral", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	cr_stdio_ensure_open();
	struct cr_daemon_options o = {.log = log_line, .arrival = &cr_relocate_arrival};
	bool foreground = false;
	int c;
	cleanup_free char *corral_exe = default_corral_exe();
	o.corral_exe = corral_exe;
	opterr = 0; /* reported below, once, with the usage */
	while ((c = getopt_long(argc, argv, ":fl:s:t:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.corral_exe = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'l':
			o.listen = optarg;
			break;
		case 's':
			o.socket_path = optarg;
			break;
		case 't': {
			char *end = NULL;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 3600)
				return usage_error("--timeout wants 1 to 3600 seconds, not", optarg);
			o.timeout_ms = (int)v * 1000;
			break;
		}
		case 'h':
			printf("usage: %s\n", USAGE);
			return 0;
		case ':':
			return usage_error("a value is needed after", argv[optind - 1]);
		case '?': {
			char flag[3] = {'-', (char)optopt, '\0'};
			if (optopt == '?') { /* -?, as every corral verb takes it */
				printf("usage: %s\n", USAGE);
				return 0;
			}
			return usage_error("unknown option", optopt ? flag : argv[optind - 1]);
		}
		default:
			return usage_error("unknown option", NULL);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!o.corral_exe || access(o.corral_exe, X_OK) < 0)
		return usage_error("cannot find the corral binary (give --corral PATH), tried",
				   o.corral_exe ? o.corral_exe : "beside corrald");
	if (!foreground && background() < 0)
		return 1;
	struct cr_error err = CR_ERROR_INIT;
	/* The fleet agent: idle on a host in no fleet, it acts for the fleet as
	 * soon as the host joins one (corral fleet init/join). */
	pid_t agent = 0;
	if (cr_fleet_agent_start(log_line, NULL, o.corral_exe, &agent, &err) < 0) {
		log_line(NULL, cr_error_msg(&err));
		cr_error_clear(&err);
	}
	int r = cr_daemon_run(&o, &err);
	if (agent > 0)
		kill(agent, SIGTERM);
	if (r < 0) {
		fprintf(stderr, "corrald: %s\n", cr_error_msg(&err));
		cr_error_clear(&err);
		return 1;
	}
	return 0;
}
