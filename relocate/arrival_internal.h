/* The pieces of the arrival (relocate/arrival.h) its files share. */
#ifndef CORRAL_RELOCATE_ARRIVAL_INTERNAL_H
#define CORRAL_RELOCATE_ARRIVAL_INTERNAL_H

#include "relocate/arrival.h"
#include "relocate/relocation_record.h"

/* One line to ENV's log (nothing when it has none). */
void cr_arrival_log(const struct cr_arrival_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* arrival.c: Restore, Commit, Abort (the table's entries), and the
 * relocation this process restored and has not settled yet (heap, NULL
 * when none; taken: no longer pending). */
int cr_arrival_restore(const struct cr_arrival_env *env, const struct cr_arrival_restore *req, struct cr_error *err);
int cr_arrival_commit(const struct cr_arrival_env *env, const char *name, const char *relocation,
		      struct cr_error *err);
int cr_arrival_abort(const struct cr_arrival_env *env, const char *name, struct cr_error *err);
int cr_arrival_landing_open(const char *name, uint64_t size_hint, struct cr_workdir *ret, struct cr_error *err);
int cr_arrival_images_dir(const char *name, char **ret_dir, struct cr_error *err);
char *cr_arrival_take_pending(void);

/* Remove what a relocation made here (REC: the partition, its file systems;
 * DIR: its base directory, or NULL). */
void cr_arrival_undo(const char *name, const struct cr_relocation_record *rec, const char *dir,
		     struct cr_error *err);

/* arrival_prepare.c: a relocation prepared ahead (PrepareArrival) and held
 * by this process: whether NAME is; its monitor let go (the images are in
 * place), its verdict returned; or given up (cancel: the monitor ends, the
 * rest stays for the record's undo); drop: given up and removed (the
 * connection ended without a Restore). */
int cr_arrival_prepare(const struct cr_arrival_env *env, const struct cr_arrival_prepare *req, struct cr_error *err);
bool cr_arrival_prepared(const char *name);
int cr_arrival_prepared_go(bool lazy, struct cr_error *err);
/* The landing made ahead for NAME, handed over to *RET (once). */
bool cr_arrival_prepared_landing(const char *name, struct cr_workdir *ret);
void cr_arrival_prepared_cancel(void);
void cr_arrival_prepared_drop(const struct cr_arrival_env *env);
/* The pre-copied archive a corrald that died while unpacking it left. */
void cr_arrival_precopy_remove(const char *name);

/* arrival_settle.c: a relocation settled by asking its source. */
void cr_arrival_connection_ended(const struct cr_arrival_env *env, const char *peer);
void cr_arrival_settle_left(const struct cr_arrival_env *env);

#endif
