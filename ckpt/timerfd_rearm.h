/* A periodic timerfd that expired while its task was frozen, and was not read,
 * shows "it_value: (0, 0)" in fdinfo; CRIU then restores it disarmed, and the
 * application's timer never fires again (CRIU 4.1.1, Linux 6.x). After a
 * restore (tasks frozen), Corral re-arms such a timer through a duplicate of
 * its descriptor (pidfd_getfd): it takes the pending ticks, sets the timer to
 * its interval again and gives the ticks back with TFD_IOC_SET_TICKS, so the
 * application sees what it would have seen. A timer with a zero value and a
 * non-zero interval is taken for such an expired periodic timer. */
#ifndef CORRAL_CKPT_TIMERFD_REARM_H
#define CORRAL_CKPT_TIMERFD_REARM_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Re-arm every expired or disarmed periodic timerfd held by PIDS (frozen).
 * Returns how many were re-armed, or a negative error. */
int cr_timerfd_rearm(const pid_t *pids, size_t n, struct cr_error *err);

#endif
