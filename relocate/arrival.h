/* The destination half of a relocation (protocol 1.1), for corrald and the
 * CLI alike. A Prepare(unpack) left the image unpacked in incoming/NAME.d
 * (relocate/landing.h); Restore brings the partition to life here, Paused,
 * and records what it made (relocate/relocation_record.h); Commit resumes it
 * and forgets the record; Abort ends it and removes all the record names.
 * The record survives a dead connection: a Paused partition is never
 * resumed, nor thrown away, without the source's word: when the connection
 * ends with a relocation still pending, this host asks the source's corrald
 * how the partition stands there. Active there (the source never heard that
 * it was restored here, and went on): it is removed here. Gone or Defined
 * there (the source ended its copy; only the Commit was lost): it is resumed
 * here. No answer: it stays Paused, for the administrator, who knows where
 * it must run (resumewpar -F, rmwpar -F). */
#ifndef CORRAL_RELOCATE_ARRIVAL_H
#define CORRAL_RELOCATE_ARRIVAL_H

#include <stdbool.h>

#include "transport/arrival.h"
#include "util/error.h"

/* The table corrald's server calls (transport/arrival.h). */
extern const struct cr_arrival_ops cr_relocate_arrival;

/* Resume NAME (resumewpar). A copy whose relocation here is not settled
 * (its source may still run it) resumes only with FORCE: -EBUSY naming
 * the source otherwise; once resumed, its relocation is settled. */
int cr_arrival_resume(const char *name, bool force, struct cr_error *err);

#endif
