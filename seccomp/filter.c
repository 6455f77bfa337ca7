/* Building and loading the partition's filter with libseccomp. The one file
 * of Corral that includes <seccomp.h>. */
#define LOG_PREFIX "seccomp: "
#include "seccomp/filter.h"
#include "seccomp/profile.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>

#include "util/log.h"

/* Personalities Docker's profile lets through: PER_LINUX (0), PER_LINUX32
 * (0x8), UNAME26 (0x20000), both, and 0xffffffff (a query). Anything else
 * (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...) weakens the process. */
#define PERSONALITY_BITS 0x20008u
#define QUERY_BIT 0x80000000u

static void release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* The other ABIs the native one can call the kernel through: the filter
 * covers each (as Docker's does), so a refused call cannot be made through
 * int 0x80 or the x32 numbers instead. */
static int add_compat_arches(scmp_filter_ctx ctx, struct cr_error *err)
{
	uint32_t native = seccomp_arch_native();
	uint32_t extra[2] = {0, 0};
	if (native == SCMP_ARCH_X86_64) {
		extra[0] = SCMP_ARCH_X86;
		extra[1] = SCMP_ARCH_X32;
	} else if (native == SCMP_ARCH_AARCH64) {
		extra[0] = SCMP_ARCH_ARM;
	}
	for (size_t i = 0; i < 2 && extra[i]; i++) {
		int r = seccomp_arch_add(ctx, extra[i]);
		if (r < 0 && r != -EEXIST)
			return cr_error_set(err, -r, "cannot add ABI %#x to the partition filter: %s",
					    extra[i], strerror(-r));
	}
	return 0;
}

/* A rule compares an argument once, so "not one of the five" becomes one
 * rule per bit: with the top bit clear, any bit outside PERSONALITY_BITS
 * refuses; with it set, any clear bit refuses (only the query has all). */
static int add_personality_rules(scmp_filter_ctx ctx, uint32_t action, int nr)
{
	for (unsigned bit = 0; bit < 31; bit++) {
		scmp_datum_t b = 1u << bit;
		int r = 0;
		if (!(b & PERSONALITY_BITS))
			r = seccomp_rule_add(ctx, action, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, b | QUERY_BIT, b));
		if (r == 0)
			r = seccomp_rule_add(ctx, action, nr, 1,
					     SCMP_A0(SCMP_CMP_MASKED_EQ, b | QUERY_BIT, QUERY_BIT));
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct cr_seccomp_rule *rule, struct cr_error *err)
{
	int nr = seccomp_syscall_resolve_name(rule->name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* unknown to this libseccomp: no ABI has it */
	uint32_t action = SCMP_ACT_ERRNO((uint32_t)rule->error);
	int r = 0;
	switch (rule->match) {
	case CR_MATCH_ALWAYS:
		r = seccomp_rule_add(ctx, action, nr, 0);
		break;
	case CR_MATCH_NEWUSER:
		r = seccomp_rule_add(ctx, action, nr, 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
		break;
	case CR_MATCH_PERSONALITY:
		r = add_personality_rules(ctx, action, nr);
		break;
	}
	if (r < 0)
		return cr_error_set(err, -r, "cannot add the rule for %s to the partition filter: %s",
				    rule->name, strerror(-r));
	return 0;
}

int cr_seccomp_apply(const char *privs, const char *syscalls, struct cr_error *err)
{
	__attribute__((cleanup(release))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return cr_error_set(err, ENOMEM, "cannot create the partition's system-call filter");
	int r;
	/* Calls of an ABI the filter does not cover are refused, never allowed. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM))) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
		return cr_error_set(err, -r, "cannot configure the partition filter: %s", strerror(-r));
	if ((r = add_compat_arches(ctx, err)) < 0)
		return r;
	size_t refused = 0;
	for (size_t i = 0; i < cr_seccomp_n_rules; i++) {
		const struct cr_seccomp_rule *rule = &cr_seccomp_rules[i];
		if (cr_seccomp_listed(syscalls, rule->name) || (rule->cap && cr_seccomp_listed(privs, rule->cap)))
			continue;
		if ((r = add_rule(ctx, rule, err)) < 0)
			return r;
		refused++;
	}
	r = seccomp_load(ctx);
	if (r == -EACCES) {
		/* Without CAP_SYS_ADMIN the kernel takes a filter only with
		 * no_new_privs set. */
		if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) == 0)
			r = seccomp_load(ctx);
	}
	if (r < 0)
		return cr_error_set(err, -r, "cannot load the partition's system-call filter: %s",
				    strerror(-r));
	cr_debug("filter loaded: %zu calls refused", refused);
	return 0;
}
