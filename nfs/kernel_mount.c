/* The kernel's NFS client: mount(2) type "nfs" (NFSv3) or "nfs4".
 *
 * NOT TESTED on the development machine, whose kernel has no NFS client; it
 * follows what mount.nfs passes to the kernel (text options, numeric addr=).
 * NFSv3 is mounted with nolock (no rpc.statd is assumed on the host: locks
 * stay local to it). The export is first reached with libnfs within the
 * timeout; every mount is soft with timeo = the timeout option, so no call
 * blocks for ever. */
#define LOG_PREFIX "nfs-kernel: "
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <time.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define RESOLVE_TIMEOUT_S 10

static bool proc_filesystems_has_nfs(void)
{
	cleanup_free char *text = NULL;
	size_t len;
	if (cr_read_file("/proc/filesystems", 1 << 20, &text, &len, NULL) < 0)
		return false;
	return strstr(text, "\tnfs\n") || strstr(text, "\tnfs4\n");
}

/* The module would be loaded by the first mount (request_module "fs-nfs"). */
static bool nfs_module_installed(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return false;
	static const char *const suffixes[] = {"", ".xz", ".zst", ".gz", NULL};
	for (const char *const *s = suffixes; *s; s++) {
		cleanup_free char *p = NULL;
		if (asprintf(&p, "/lib/modules/%s/kernel/fs/nfs/nfs.ko%s", u.release, *s) < 0)
			return false;
		if (cr_path_exists(p))
			return true;
	}
	return false;
}

enum cr_nfs_client cr_nfs_client_choose(void)
{
	const char *force = getenv("CORRAL_NFS_CLIENT");
	if (force && !strcmp(force, "fuse"))
		return CR_NFS_CLIENT_FUSE;
	if (force && !strcmp(force, "kernel"))
		return CR_NFS_CLIENT_KERNEL;
	return proc_filesystems_has_nfs() || nfs_module_installed() ? CR_NFS_CLIENT_KERNEL : CR_NFS_CLIENT_FUSE;
}

const char *cr_nfs_client_name(enum cr_nfs_client c)
{
	return c == CR_NFS_CLIENT_KERNEL ? "kernel NFS client" : "FUSE over libnfs";
}

/* HOST as a numeric address (the kernel wants addr=), resolving names with
 * a deadline. */
static int resolve(const char *host, char *buf, size_t size, struct cr_error *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct gaicb req = {.ar_name = host, .ar_request = &hints};
	struct gaicb *list[] = {&req};
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0)
		return cr_error_set(err, EHOSTUNREACH, "cannot resolve NFS server %s", host);
	struct timespec deadline = {RESOLVE_TIMEOUT_S, 0};
	int r = gai_suspend((const struct gaicb *const *)list, 1, &deadline);
	if (r != 0 && gai_error(&req) == EAI_INPROGRESS) {
		if (gai_cancel(&req) == EAI_NOTCANCELED)
			while (gai_error(&req) == EAI_INPROGRESS)
				gai_suspend((const struct gaicb *const *)list, 1, NULL);
		if (req.ar_result)
			freeaddrinfo(req.ar_result);
		return cr_error_set(err, ETIMEDOUT, "cannot resolve NFS server %s within %d s", host,
				    RESOLVE_TIMEOUT_S);
	}
	if ((r = gai_error(&req)) != 0)
		return cr_error_set(err, EHOSTUNREACH, "cannot resolve NFS server %s: %s", host, gai_strerror(r));
	struct addrinfo *ai = req.ar_result;
	const void *addr = ai->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
						     : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	const char *ok = inet_ntop(ai->ai_family, addr, buf, (socklen_t)size);
	freeaddrinfo(ai);
	if (!ok)
		return cr_error_errno(err, "cannot print the address of %s", host);
	return 0;
}

static unsigned long mount_flags(const struct cr_nfs_options *o)
{
	return (o->read_only ? MS_RDONLY : 0) | (o->nosuid ? MS_NOSUID : 0) | (o->nodev ? MS_NODEV : 0) |
	       (o->noexec ? MS_NOEXEC : 0);
}

static int mount_v3(const char *source, const char *addr, const struct cr_nfs_options *o,
		    const char *mountpoint, struct cr_error *err)
{
	char ports[64] = "";
	int n = 0;
	if (o->nfs_port)
		n += snprintf(ports, sizeof(ports), ",port=%d", o->nfs_port);
	if (o->mount_port)
		snprintf(ports + n, sizeof(ports) - (size_t)n, ",mountport=%d", o->mount_port);
	cleanup_free char *data = NULL;
	if (asprintf(&data, "vers=3,proto=tcp,mountproto=tcp,addr=%s,mountaddr=%s,soft,timeo=%d,retrans=2,nolock%s",
		     addr, addr, o->timeout_s * 10, ports) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	cr_debug("mount -t nfs %s %s -o %s", source, mountpoint, data);
	if (mount(source, mountpoint, "nfs", mount_flags(o), data) < 0)
		return cr_error_errno(err, "cannot mount %s on %s (kernel NFSv3)", source, mountpoint);
	return 0;
}

/* NFSv4: the newest minor version the server accepts, like mount.nfs. */
static int mount_v4(const char *source, const char *addr, const struct cr_nfs_options *o,
		    const char *mountpoint, struct cr_error *err)
{
	static const char *const minors[] = {"4.2", "4.1", "4.0", NULL};
	for (const char *const *v = minors; *v; v++) {
		cleanup_free char *data = NULL;
		if (asprintf(&data, "vers=%s,proto=tcp,addr=%s,port=%d,soft,timeo=%d,retrans=2%s", *v, addr,
			     o->nfs_port ? o->nfs_port : 2049, o->timeout_s * 10,
			     !strcmp(*v, "4.0") ? ",clientaddr=0.0.0.0" : "") < 0)
			return cr_error_set(err, ENOMEM, "out of memory");
		cr_debug("mount -t nfs4 %s %s -o %s", source, mountpoint, data);
		if (mount(source, mountpoint, "nfs4", mount_flags(o), data) == 0)
			return 0;
		if (errno != EPROTONOSUPPORT && errno != EINVAL)
			break;
	}
	return cr_error_errno(err, "cannot mount %s on %s (kernel NFSv4)", source, mountpoint);
}

int cr_nfs_kernel_mount(const struct cr_mount *m, const char *mountpoint, struct cr_error *err)
{
	struct cr_nfs_options o;
	int r = cr_nfs_stanza_options(m, mountpoint, &o, err);
	if (r < 0)
		return r;
	/* Ask libnfs first, within the timeout: the kernel's mount(2) of an
	 * unreachable server may retry long before it gives up. */
	struct cr_nfs_options reach = o;
	struct cr_nfs_export_info info;
	reach.read_only = true;
	if ((r = cr_nfs_probe_export(m->host, m->dev, &reach, &info, err)) < 0)
		return r;
	char addr[INET6_ADDRSTRLEN];
	if ((r = resolve(m->host, addr, sizeof(addr), err)) < 0)
		return r;
	cleanup_free char *source = NULL;
	bool v6 = strchr(addr, ':') != NULL;
	if (asprintf(&source, "%s%s%s:%s", v6 ? "[" : "", addr, v6 ? "]" : "", m->dev) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return o.version == 4 ? mount_v4(source, addr, &o, mountpoint, err)
			      : mount_v3(source, addr, &o, mountpoint, err);
}
