/* The capture's queue and its writer thread (stream/capture_queue.h). */
#define LOG_PREFIX "stream: "
#include "stream/capture_queue.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define MAX_BUFS (CR_CAPTURE_QUEUE_MAX / CR_CAPTURE_QUEUE_BLOCK)

enum ev_kind { EV_OPEN, EV_DATA, EV_CLOSE, EV_END };

struct event {
	enum ev_kind kind;
	uint32_t file;
	char *path;   /* EV_OPEN */
	uint8_t *buf; /* EV_DATA */
	size_t len;
	struct event *next;
};

struct cr_capture_queue {
	struct cr_image_stream_writer *sw;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t more, room; /* an event came; a buffer is free */
	struct event *head, *tail;
	struct event *end; /* made at the start: stopping cannot fail */
	uint8_t *free_bufs[MAX_BUFS];
	size_t n_free, n_bufs;
	bool drop; /* free: what is still queued is dropped */
	uint32_t n_files;
	uint64_t bytes;
	/* The writer thread's own. */
	uint32_t *ids; /* queue file -> image writer file */
	size_t cap_ids;
	bool broken;
	struct cr_error werr;
};

static void give_back(struct cr_capture_queue *q, uint8_t *buf)
{
	pthread_mutex_lock(&q->mu);
	q->free_bufs[q->n_free++] = buf;
	pthread_cond_signal(&q->room);
	pthread_mutex_unlock(&q->mu);
}

/* R, the image writer's answer: 0 either way once the image is broken. */
static void written(struct cr_capture_queue *q, int r, struct cr_error *err)
{
	if (r >= 0)
		return;
	if (!q->broken) {
		cr_debug("the image cannot be written, criu's files are dropped from here: %s", cr_error_msg(err));
		q->broken = true;
		cr_error_set(&q->werr, err->code, "%s", cr_error_msg(err));
	}
	cr_error_clear(err);
}

static void handle(struct cr_capture_queue *q, struct event *ev)
{
	struct cr_error err = CR_ERROR_INIT;
	if (q->broken || __atomic_load_n(&q->drop, __ATOMIC_RELAXED))
		return;
	switch (ev->kind) {
	case EV_OPEN:
		if (ev->file >= q->cap_ids) {
			size_t n = q->cap_ids ? 2 * q->cap_ids : 64;
			while (n <= ev->file)
				n *= 2;
			uint32_t *ni = realloc(q->ids, n * sizeof(*ni));
			if (!ni) {
				written(q, cr_error_set(&err, ENOMEM, "out of memory"), &err);
				return;
			}
			q->ids = ni;
			q->cap_ids = n;
		}
		written(q, cr_image_stream_file_open(q->sw, ev->path, 0600, &q->ids[ev->file], &err), &err);
		break;
	case EV_DATA:
		written(q, cr_image_stream_file_write(q->sw, q->ids[ev->file], ev->buf, ev->len, &err), &err);
		break;
	case EV_CLOSE:
		written(q, cr_image_stream_file_close(q->sw, q->ids[ev->file], &err), &err);
		break;
	case EV_END:
		break;
	}
}

static void *run(void *arg)
{
	struct cr_capture_queue *q = arg;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (!q->head)
			pthread_cond_wait(&q->more, &q->mu);
		struct event *ev = q->head;
		if (!(q->head = ev->next))
			q->tail = NULL;
		/* Buffers taken (queued, or this one): how far behind CRIU the
		 * writer is, so that it compresses faster rather than make a
		 * frozen partition wait (cr_image_stream_set_backlog). */
		size_t used = q->n_bufs - q->n_free;
		pthread_mutex_unlock(&q->mu);
		cr_image_stream_set_backlog(q->sw, (unsigned)(used * 100 / MAX_BUFS));
		handle(q, ev);
		bool end = ev->kind == EV_END;
		if (ev->buf)
			give_back(q, ev->buf);
		free(ev->path);
		free(ev);
		if (end)
			return NULL;
	}
}

/* EV to the end of the queue, for the writer. */
static void append(struct cr_capture_queue *q, struct event *ev)
{
	ev->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = ev;
	else
		q->head = ev;
	q->tail = ev;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
}

static int push(struct cr_capture_queue *q, struct event e, struct cr_error *err)
{
	struct event *ev = malloc(sizeof(*ev));
	if (!ev)
		return cr_error_set(err, ENOMEM, "out of memory");
	*ev = e;
	append(q, ev);
	return 0;
}

int cr_capture_queue_start(struct cr_image_stream_writer *sw, struct cr_capture_queue **ret, struct cr_error *err)
{
	struct cr_capture_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return cr_error_set(err, ENOMEM, "out of memory");
	q->sw = sw;
	if (!(q->end = calloc(1, sizeof(*q->end)))) {
		free(q);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	q->end->kind = EV_END;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	int r = pthread_create(&q->thread, NULL, run, q);
	if (r != 0) {
		cr_capture_queue_free(q);
		return cr_error_set(err, r, "cannot start the image writer thread");
	}
	q->running = true;
	*ret = q;
	return 0;
}

int cr_capture_queue_open(struct cr_capture_queue *q, const char *image_path, uint32_t *ret_file,
			  struct cr_error *err)
{
	char *path = strdup(image_path);
	if (!path)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = push(q, (struct event){.kind = EV_OPEN, .file = q->n_files, .path = path}, err);
	if (r < 0) {
		free(path);
		return r;
	}
	*ret_file = q->n_files++;
	return 0;
}

uint8_t *cr_capture_queue_buffer(struct cr_capture_queue *q)
{
	uint8_t *buf = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->n_free == 0 && q->n_bufs < sizeof(q->free_bufs) / sizeof(q->free_bufs[0])) {
		if ((buf = malloc(CR_CAPTURE_QUEUE_BLOCK)))
			q->n_bufs++;
	} else {
		while (q->n_free == 0)
			pthread_cond_wait(&q->room, &q->mu);
		buf = q->free_bufs[--q->n_free];
	}
	pthread_mutex_unlock(&q->mu);
	return buf;
}

void cr_capture_queue_unused(struct cr_capture_queue *q, uint8_t *buf)
{
	give_back(q, buf);
}

int cr_capture_queue_write(struct cr_capture_queue *q, uint32_t file, uint8_t *buf, size_t len,
			   struct cr_error *err)
{
	int r = push(q, (struct event){.kind = EV_DATA, .file = file, .buf = buf, .len = len}, err);
	if (r < 0)
		give_back(q, buf);
	else
		__atomic_add_fetch(&q->bytes, len, __ATOMIC_RELAXED);
	return r;
}

int cr_capture_queue_close(struct cr_capture_queue *q, uint32_t file, struct cr_error *err)
{
	return push(q, (struct event){.kind = EV_CLOSE, .file = file}, err);
}

uint64_t cr_capture_queue_bytes(const struct cr_capture_queue *q)
{
	return __atomic_load_n(&q->bytes, __ATOMIC_RELAXED);
}

/* Queue the end and wait for the thread. */
static void stop(struct cr_capture_queue *q)
{
	if (!q->running)
		return;
	append(q, q->end);
	q->end = NULL;
	pthread_join(q->thread, NULL);
	q->running = false;
}

int cr_capture_queue_finish(struct cr_capture_queue *q, struct cr_error *err)
{
	stop(q);
	uint64_t at[4];
	cr_image_stream_speeds(q->sw, at);
	cr_debug("blocks compressed best %llu, faster %llu, fastest %llu, stored %llu", (unsigned long long)at[0],
		 (unsigned long long)at[1], (unsigned long long)at[2], (unsigned long long)at[3]);
	if (q->broken)
		return cr_error_set(err, q->werr.code, "%s", cr_error_msg(&q->werr));
	return 0;
}

void cr_capture_queue_free(struct cr_capture_queue *q)
{
	if (!q)
		return;
	__atomic_store_n(&q->drop, true, __ATOMIC_RELAXED);
	stop(q);
	free(q->end);
	for (struct event *ev = q->head, *next; ev; ev = next) {
		next = ev->next;
		free(ev->buf);
		free(ev->path);
		free(ev);
	}
	for (size_t i = 0; i < q->n_free; i++)
		free(q->free_bufs[i]);
	free(q->ids);
	cr_error_clear(&q->werr);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	free(q);
}
