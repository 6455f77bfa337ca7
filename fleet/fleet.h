/* Membership of a fleet: this host's fleet configuration, making a fleet,
 * join tokens, joining, the hosts' records and the trust that follows from
 * them. The fleet's state lives in etcd (fleet/etcd.h); this host keeps
 * only how to reach it ($ROOT/etc/corral/fleet.conf). A host without that
 * file is in no fleet and works on its own. */
#ifndef CORRAL_FLEET_FLEET_H
#define CORRAL_FLEET_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/etcd.h"
#include "util/error.h"

#define CR_FLEET_LEASE_TTL_S 10     /* a host is offline this long after its agent stops */
#define CR_FLEET_TOKEN_TTL_S 86400  /* a join token expires after a day */

struct cr_fleet_conf {
	char *fleet;     /* the fleet's name */
	char *name;      /* this host's name in it */
	char *store;     /* the store's endpoints, comma-separated URLs */
	char *address;   /* where this host's corrald listens for its peers (IP[:PORT]) */
	char *domain;    /* relocation domain; "default" */
	char *load;      /* what counts as this host's load: "host" (default) or "partitions" */
	char *ca_file;   /* TLS to the store: CA, client certificate and key */
	char *cert_file;
	char *key_file;
};

void cr_fleet_conf_free(struct cr_fleet_conf *c);
#define cleanup_fleet_conf __attribute__((cleanup(cr_fleet_conf_free)))

/* $ROOT/etc/corral/fleet.conf (heap). */
int cr_fleet_conf_path(char **ret, struct cr_error *err);
/* Load it: -ENOENT with "this host is in no fleet" when there is none. */
int cr_fleet_conf_load(struct cr_fleet_conf *ret, struct cr_error *err);
int cr_fleet_conf_save(const struct cr_fleet_conf *c, struct cr_error *err);
/* Check names, address and store URLs: a store not on loopback must be
 * https with a CA and a client certificate and key. */
int cr_fleet_conf_check(const struct cr_fleet_conf *c, struct cr_error *err);
int cr_fleet_open_store(const struct cr_fleet_conf *c, struct cr_etcd **ret, struct cr_error *err);
/* Both: this host's fleet.conf into RET_CONF, and its store opened. */
int cr_fleet_connect(struct cr_fleet_conf *ret_conf, struct cr_etcd **ret_store, struct cr_error *err);

/* A fleet name or a host name in it: 1..63 of [A-Za-z0-9_-], a letter or
 * digit first (they become parts of store keys and trust entries). */
int cr_fleet_name_check(const char *what, const char *name, struct cr_error *err);

/* The store key of ITEM in fleet FLEET: /corral/fleets/FLEET/ITEM (heap). */
int cr_fleet_key(char **ret, const char *fleet, const char *item, struct cr_error *err);

/* Make fleet C->fleet in the store with this host as its first member and
 * save C as this host's fleet.conf. -EEXIST when the fleet exists. */
int cr_fleet_init(const struct cr_fleet_conf *c, struct cr_error *err);
/* A one-time join token ("FLEET.SECRET"); the store keeps only its digest. */
int cr_fleet_token_new(const struct cr_fleet_conf *c, char **ret_token, struct cr_error *err);
/* Revoke TOKEN (or the token whose digest starts with TOKEN, as --list shows). */
int cr_fleet_token_revoke(const struct cr_fleet_conf *c, const char *token, struct cr_error *err);
/* The digests of the tokens not used yet, each "DIGEST CREATED-BY" (heap lines). */
int cr_fleet_token_list(const struct cr_fleet_conf *c, char ***ret_lines, size_t *ret_n,
			struct cr_error *err);
/* Join the fleet TOKEN names as C->name: the token is used up and this
 * host's record written in one transaction; then fleet.conf is saved and
 * every member trusted. C->fleet is taken from the token. */
int cr_fleet_join(struct cr_fleet_conf *c, const char *token, struct cr_error *err);

/* A partition's fleet-wide settings (partitions/NAME): EVACUATE (live,
 * static, stop, stay) and GROUP (anti-affinity; "none" clears it); NULL
 * keeps what is set. */
int cr_fleet_partition_set(const struct cr_fleet_conf *c, const char *partition, const char *evacuate,
			   const char *group, struct cr_error *err);

/* What leaving a fleet did (cr_fleet_leave). */
struct cr_fleet_leave_report {
	bool member;              /* the store still had this host's record */
	size_t partitions;        /* this host's, staying here */
	char partition_names[160];
	char evacuation[16];      /* "evacuation" or "restore" of this host that ran; "" none */
	size_t moves;             /* fleet moves from or to this host that ran */
	size_t owners, origins;   /* records naming this host removed */
	bool was_leader;
	size_t trust_removed;     /* entries of the members in this host's trust */
	size_t not_removed;       /* records that could not be removed (the store failed) */
};
/* This host leaves its fleet (C: its fleet.conf). Refused (-EBUSY, nothing
 * changed) while it has partitions, is being evacuated or restored, or a
 * fleet move from or to it runs, unless FORCE: its partitions stay here,
 * run by this host alone; moves in flight finish through their own
 * hand-over, unrecorded. Its records go from the store (host, liveness,
 * state, evacuation, tasks, the owners of its partitions, the origins of
 * what was evacuated from it: that stays where it runs), the members drop
 * their trust in it (left/NAME), it drops its trust in them, and
 * fleet.conf goes: it is a lone host again. A record already gone (removed
 * before) leaves only the local part to do. */
int cr_fleet_leave(const struct cr_fleet_conf *c, bool force, struct cr_fleet_leave_report *ret,
		   struct cr_error *err);

/* Take host NAME out of the fleet from this member (a host that is down,
 * or gone for good): its records go as for a leave, and the members stop
 * trusting it; its own files are not reached. Refused (-EBUSY) while it is
 * online (its lease alive: it can leave itself), is being evacuated or
 * restored, or a fleet move from or to it runs, unless FORCE. A host
 * removed that comes back sees the store has no record of it and acts
 * alone. -ENOENT no such host; -EINVAL NAME is this host. */
int cr_fleet_remove(const struct cr_fleet_conf *c, const char *name, bool force, struct cr_fleet_leave_report *ret,
		    struct cr_error *err);

/* Trust every member of the fleet but this host (their keys from the store),
 * and no longer a host that left it (left/NAME, under the key it had);
 * returns how many entries changed. */
int cr_fleet_sync_trust(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_error *err);

/* Does the corrald at ADDRESS (IP[:PORT]) accept a connection within
 * TIMEOUT_MS? The second witness, beside an expired lease, that a host is down. */
bool cr_fleet_host_answers(const char *address, int timeout_ms);

/* A partition as its host's agent last published it, with its fleet-wide
 * settings (partitions/NAME: evacuate, group). */
struct cr_fleet_partition {
	char *name;
	char state;          /* AIX letter */
	bool checkpointable;
	uint64_t mem;        /* bytes in use; 0 when not running or unknown */
	double cpu;          /* 0..1 of its host's CPUs, over the last interval */
	char *evacuate;      /* live, static, stop, stay; NULL: by checkpointable */
	char *group;         /* anti-affinity group; NULL: none */
};

/* What `corral hosts` shows of one host. */
struct cr_fleet_host {
	char *name;
	char *address;
	char *domain;
	char *state;       /* online, offline, evacuating, evacuated, restoring */
	bool online;       /* its lease is alive */
	int64_t lease_age_s; /* since its agent last wrote; -1 when offline */
	double cpu;        /* CPU use, 0..1 of all its CPUs, averaged over a minute */
	double cpu_now;    /* the same over its agent's last interval */
	int cpus;
	uint64_t mem_used, mem_total; /* bytes */
	char *partitions;  /* "web:A,db:A" */
	size_t n_partitions;
	char *arch, *criu, *cgroup; /* capabilities from its record */
	char **cpu_features;
	size_t n_cpu_features;
	struct cr_fleet_partition *parts;
	size_t n_parts;
	char *record_json; /* the host's record as stored (for --json) */
	char *alive_json;  /* its liveness record; NULL when offline */
};
void cr_fleet_hosts_free(struct cr_fleet_host *h, size_t n);
/* The host called NAME in H, or NULL. */
struct cr_fleet_host *cr_fleet_host_find(struct cr_fleet_host *h, size_t n, const char *name);
int cr_fleet_hosts(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_fleet_host **ret,
		   size_t *ret_n, struct cr_error *err);

#endif
