/* The arrival's table for corrald's server (transport/arrival.h). */
#include "relocate/arrival_internal.h"
#include "partition/registry.h"
#include "relocate/departure.h"
#include "relocate/landing.h"
#include "relocate/relocation_record.h"

/* A corrald killed between defining NAME and saving that in the record
 * left a record that does not say "defined". The name was free when the
 * record was written (cr_arrival_prepare refuses a name in use), so a
 * definition of it that never ran (Defined, or Transitional with its
 * monitor waiting) is this preparation's. */
static bool defined_by_preparation(const char *name)
{
	struct cr_wpar w;
	if (cr_registry_load(name, &w, NULL) < 0)
		return false;
	char state = w.state.state;
	cr_wpar_free(&w);
	return state == CR_STATE_DEFINED || state == CR_STATE_TRANSITIONAL;
}

/* What dead connections left prepared (relocate/arrival_prepare.c): nothing
 * of it ran, no source needs asking. */
static void remove_prepared(void *ctx, const char *name, const struct cr_relocation_record *rec)
{
	unsigned *n = ctx;
	if (!rec->prepared)
		return;
	struct cr_relocation_record r = *rec;
	if (!r.defined)
		r.defined = defined_by_preparation(name);
	cr_arrival_undo(name, &r, NULL, NULL);
	cr_arrival_precopy_remove(name);
	cr_relocation_forget(name);
	(*n)++;
}

static void sweep(unsigned *ret_removed)
{
	unsigned n = 0;
	cr_relocation_each_left(remove_prepared, &n);
	*ret_removed = n + cr_landing_sweep();
}

/* A connection that ends drops what it prepared and never restored first. */
static void connection_ended(const struct cr_arrival_env *env, const char *peer)
{
	cr_arrival_prepared_drop(env);
	cr_arrival_connection_ended(env, peer);
}

const struct cr_arrival_ops cr_relocate_arrival = {
	.landing_open = cr_arrival_landing_open,
	.landing_keep = cr_landing_keep,
	.landing_drop = cr_landing_drop,
	.images_dir = cr_arrival_images_dir,
	.prepare = cr_arrival_prepare,
	.restore = cr_arrival_restore,
	.commit = cr_arrival_commit,
	.abort = cr_arrival_abort,
	.connection_ended = connection_ended,
	.sweep = sweep,
	.departure = cr_departure_outcome,
	.settle_left = cr_arrival_settle_left,
};
