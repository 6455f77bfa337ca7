/* Ordered worker pool: a ring of jobs, a mutex and two condition variables. */
#include "formats/image_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct slot {
	void *job;
	bool done;
};

struct cr_pool {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	cr_pool_fn fn;
	unsigned n_threads;
	pthread_t *threads;
	struct slot ring[CR_POOL_MAX_JOBS];
	unsigned head, next, tail; /* oldest outstanding, next to run, next free (counters) */
	bool stop;
};

static void *worker(void *arg)
{
	struct cr_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->next == p->tail && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->next == p->tail)
			break;
		struct slot *s = &p->ring[p->next++ % CR_POOL_MAX_JOBS];
		pthread_mutex_unlock(&p->lock);
		p->fn(s->job);
		pthread_mutex_lock(&p->lock);
		s->done = true;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

unsigned cr_pool_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > 16 ? 16 : (unsigned)n;
}

int cr_pool_new(unsigned workers, cr_pool_fn fn, struct cr_pool **ret_pool,
		struct cr_error *err)
{
	struct cr_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return cr_error_set(err, ENOMEM, "out of memory for a worker pool");
	p->fn = fn;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (workers > 0) {
		p->threads = calloc(workers, sizeof(*p->threads));
		if (!p->threads) {
			cr_pool_free(p);
			return cr_error_set(err, ENOMEM, "out of memory for a worker pool");
		}
	}
	for (unsigned i = 0; i < workers; i++) {
		int r = pthread_create(&p->threads[i], NULL, worker, p);
		if (r != 0) {
			cr_pool_free(p);
			errno = r;
			return cr_error_errno(err, "cannot start worker thread %u", i);
		}
		p->n_threads = i + 1;
	}
	*ret_pool = p;
	return 0;
}

void cr_pool_submit(struct cr_pool *p, void *job)
{
	if (p->n_threads == 0) {
		p->fn(job);
		p->ring[p->tail % CR_POOL_MAX_JOBS] = (struct slot){job, true};
		p->tail++;
		p->next = p->tail;
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->ring[p->tail % CR_POOL_MAX_JOBS] = (struct slot){job, false};
	p->tail++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void *cr_pool_wait_oldest(struct cr_pool *p)
{
	void *job = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->head != p->tail) {
		struct slot *s = &p->ring[p->head % CR_POOL_MAX_JOBS];
		while (!s->done)
			pthread_cond_wait(&p->done, &p->lock);
		job = s->job;
		p->head++;
	}
	pthread_mutex_unlock(&p->lock);
	return job;
}

unsigned cr_pool_outstanding(const struct cr_pool *p)
{
	return p->tail - p->head;
}

void cr_pool_free(struct cr_pool *p)
{
	if (!p)
		return;
	while (cr_pool_wait_oldest(p))
		;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
