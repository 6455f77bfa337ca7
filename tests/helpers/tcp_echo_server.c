/* A TCP echo server for the network checkpoint tests, run as a service of a
 * partition: tcp_echo_server PORT [READY_FILE]. It listens on every address
 * (IPv4 and IPv6) of PORT and serves each client in a child of its own,
 * which sends back every byte it reads until the client closes. READY_FILE is created once it
 * listens. Its sockets are what CRIU must carry across a checkpoint. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse_port(const char *s)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || !end || *end || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/* Echo until the client closes; a write that fails ends the connection. */
static void serve(int c)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(c, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return;
			off += w;
		}
	}
}

int main(int argc, char **argv)
{
	int port = argc >= 2 ? parse_port(argv[1]) : -1;
	if (port < 0) {
		fprintf(stderr, "usage: tcp_echo_server PORT [READY_FILE]\n");
		return 2;
	}
	int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				 .sin6_addr = IN6ADDR_ANY_INIT};
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8) < 0) {
		fprintf(stderr, "tcp_echo_server: cannot listen on port %d: %s\n", port,
			strerror(errno));
		return 1;
	}
	if (argc >= 3) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "tcp_echo_server: cannot create %s: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
		close(fd);
	}
	signal(SIGCHLD, SIG_IGN); /* children reaped by the kernel */
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "tcp_echo_server: accept: %s\n", strerror(errno));
			return 1;
		}
		pid_t child = fork();
		if (child == 0) {
			close(s);
			serve(c);
			_exit(0);
		}
		if (child < 0)
			fprintf(stderr, "tcp_echo_server: fork: %s\n", strerror(errno));
		close(c);
	}
}
