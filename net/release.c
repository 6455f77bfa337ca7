/* cr_net_hold and cr_net_release: a partition's network namespace outlives
 * its init just long enough for its links to be deleted at once (net.h). */
#define LOG_PREFIX "net: "
#include <fcntl.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "net/nl_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

int cr_net_hold(const struct cr_wpar_config *cfg, pid_t init_pid, int *ret_fd, struct cr_error *err)
{
	*ret_fd = -1;
	if (cfg->n_netifs == 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init_pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot hold the network namespace of %s (%s)", cfg->name, path);
	*ret_fd = fd;
	return 0;
}

struct release {
	struct nl_sock *sk;
	unsigned deleted;
	int r;
	struct cr_error *err;
};

static void delete_link(struct nl_object *obj, void *arg)
{
	struct release *rel = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;
	const char *name = rtnl_link_get_name(link);
	if (rtnl_link_get_flags(link) & IFF_LOOPBACK)
		return;
	int r = rtnl_link_delete(rel->sk, link);
	if (r == 0)
		rel->deleted++;
	else if (rel->r == 0)
		rel->r = cr_nl_error(rel->err, r, "cannot delete link %s", name ? name : "?");
}

/* In the namespace already: every link but the loopback goes. */
static int delete_links(void *data, struct cr_error *err)
{
	struct release *rel = data;
	rel->err = err;
	int r = cr_nl_open(&rel->sk, err);
	if (r < 0)
		return r;
	struct nl_cache *links = NULL;
	if ((r = rtnl_link_alloc_cache(rel->sk, AF_UNSPEC, &links)) < 0) {
		r = cr_nl_error(err, r, "cannot list the links");
	} else {
		nl_cache_foreach(links, delete_link, rel);
		r = rel->r;
		nl_cache_free(links);
	}
	nl_socket_free(rel->sk);
	rel->sk = NULL;
	return r;
}

int cr_net_release(const struct cr_wpar_config *cfg, int *netns_fd, struct cr_error *err)
{
	if (*netns_fd < 0)
		return 0;
	struct release rel = {0};
	int r = cr_net_in_netns_fd(*netns_fd, cfg->name, delete_links, &rel, err);
	close(*netns_fd);
	*netns_fd = -1;
	if (r == 0)
		cr_debug("deleted %u link(s) of %s", rel.deleted, cfg->name);
	return r;
}
