/* The client side of the network checkpoint tests:
 *   tcp_seq_client ADDRESS PORT STATUS_FILE
 * connects to an echo server (tcp_echo_server) and keeps sending numbered
 * messages, one at a time, each answered by its echo before the next goes.
 * Every 100 ms STATUS_FILE is replaced by "running count=N maxgap=MS": N
 * echoes so far, MS the longest wait for one. SIGUSR1 or SIGTERM ends it
 * once the message in flight is back: "PASS count=N maxgap=MS", exit 0.
 * A reset, a closed connection, an echo that is not the message sent (one
 * lost or repeated) or no echo for 60 s: "FAIL why", exit 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN 11          /* ten digits and a newline */
#define ECHO_TIMEOUT_MS 60000
#define STATUS_EVERY_MS 100

static volatile sig_atomic_t stop;
static const char *status_path;
static unsigned long long count;
static long long max_gap_ms;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Replace the status file by LINE (a temporary file renamed over it). */
static void write_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void write_status(const char *fmt, ...)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", status_path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, " count=%llu maxgap=%lld\n", count, max_gap_ms);
	if (fclose(f) == 0)
		rename(tmp, status_path);
}

static void __attribute__((noreturn)) fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	write_status("FAIL %s", why);
	fprintf(stderr, "tcp_seq_client: %s (after %llu echoes)\n", why, count);
	exit(1);
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	int r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		fail("bad address %s port %s: %s", host, port, gai_strerror(r));
	int s = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0)
		fail("cannot connect to %s port %s: %s", host, port, strerror(errno));
	freeaddrinfo(res);
	return s;
}

static void send_all(int s, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(s, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("send: %s", n < 0 ? strerror(errno) : "nothing sent");
		buf += n;
		len -= (size_t)n;
	}
}

/* Read exactly MSG_LEN bytes within ECHO_TIMEOUT_MS, refreshing the status
 * file while waiting. */
static void read_echo(int s, char *buf, long long *last_status)
{
	size_t got = 0;
	long long start = now_ms();
	while (got < MSG_LEN) {
		long long now = now_ms();
		if (now - start > ECHO_TIMEOUT_MS)
			fail("no echo for %d s", ECHO_TIMEOUT_MS / 1000);
		if (now - *last_status >= STATUS_EVERY_MS) {
			write_status("running");
			*last_status = now;
		}
		struct pollfd p = {s, POLLIN, 0};
		int n = poll(&p, 1, STATUS_EVERY_MS);
		if (n < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		ssize_t r = recv(s, buf + got, MSG_LEN - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail("recv: %s", strerror(errno));
		if (r == 0)
			fail("the server closed the connection");
		got += (size_t)r;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: tcp_seq_client ADDRESS PORT STATUS_FILE\n");
		return 2;
	}
	status_path = argv[3];
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int s = connect_to(argv[1], argv[2]);
	long long last_echo = now_ms(), last_status = 0;
	while (!stop) {
		char msg[MSG_LEN + 1], echo[MSG_LEN + 1];
		snprintf(msg, sizeof(msg), "%010llu\n", count + 1);
		send_all(s, msg, MSG_LEN);
		read_echo(s, echo, &last_status);
		echo[MSG_LEN] = '\0';
		if (memcmp(msg, echo, MSG_LEN) != 0)
			fail("sent message %llu, got back \"%.10s\" (lost or repeated)", count + 1, echo);
		count++;
		long long now = now_ms();
		if (now - last_echo > max_gap_ms)
			max_gap_ms = now - last_echo;
		last_echo = now;
		struct timespec nap = {0, 2 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	write_status("PASS");
	close(s);
	return 0;
}
