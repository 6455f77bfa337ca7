/* The arrival's table for corrald's server (transport/arrival.h). */
#include "relocate/arrival_internal.h"
#include "relocate/departure.h"
#include "relocate/landing.h"

static void sweep(unsigned *ret_removed)
{
	*ret_removed = cr_landing_sweep();
}

const struct cr_arrival_ops cr_relocate_arrival = {
	.landing_open = cr_arrival_landing_open,
	.landing_keep = cr_landing_keep,
	.landing_drop = cr_landing_drop,
	.images_dir = cr_arrival_images_dir,
	.restore = cr_arrival_restore,
	.commit = cr_arrival_commit,
	.abort = cr_arrival_abort,
	.connection_ended = cr_arrival_connection_ended,
	.sweep = sweep,
	.departure = cr_departure_outcome,
	.settle_left = cr_arrival_settle_left,
};
