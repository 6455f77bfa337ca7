/* Adaptive compression (formats/compress_adapt.h). */
#include "formats/compress_adapt.h"

#include "formats/image_compress.h"

#define KEEPING_UP 50  /* backlog percent: LZ4's best up to here */
#define FAR_BEHIND 75  /* backlog percent: storing allowed above */
#define RETRY_EVERY 32 /* blocks behind */

static void average(double *avg, bool seen, double sample)
{
	*avg = seen ? (7 * *avg + sample) / 8 : sample;
}

static double cost(const struct cr_compress_adapt *a, unsigned level)
{
	return a->ns_per_byte[level] + a->ratio[level] * a->out_ns_per_byte;
}

unsigned cr_adapt_choose(struct cr_compress_adapt *a, unsigned backlog)
{
	if (backlog <= KEEPING_UP)
		return 0;
	/* Behind: the compressing levels; far behind, storing too. */
	unsigned levels = backlog <= FAR_BEHIND ? CR_ADAPT_STORED : CR_ADAPT_LEVELS;
	unsigned n = a->behind++;
	for (unsigned l = 0; l < levels; l++)
		if (!a->seen[l])
			return l;
	if (n % RETRY_EVERY == RETRY_EVERY - 1)
		return (n / RETRY_EVERY) % levels;
	unsigned best = 0;
	for (unsigned l = 1; l < levels; l++)
		if (cost(a, l) < cost(a, best))
			best = l;
	return best;
}

int cr_adapt_speed(unsigned level)
{
	static const int speeds[CR_ADAPT_LEVELS] = {CR_COMPRESS_BEST, 8, CR_COMPRESS_FASTEST, CR_COMPRESS_STORE};
	return speeds[level < CR_ADAPT_LEVELS ? level : CR_ADAPT_STORED];
}

void cr_adapt_note(struct cr_compress_adapt *a, unsigned level, size_t raw, size_t out, int64_t ns_compress,
		   int64_t ns_output)
{
	if (level >= CR_ADAPT_LEVELS || raw == 0 || out == 0)
		return;
	a->blocks[level]++;
	average(&a->ns_per_byte[level], a->seen[level], (double)ns_compress / (double)raw);
	average(&a->ratio[level], a->seen[level], (double)out / (double)raw);
	a->seen[level] = true;
	average(&a->out_ns_per_byte, a->out_seen, (double)ns_output / (double)out);
	a->out_seen = true;
}
