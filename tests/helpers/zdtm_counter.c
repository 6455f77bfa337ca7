/* zdtm: anonymous memory and a counter that keeps counting. The counter and
 * its shadow (always 3 times it) must stay consistent, the 8 MiB pattern
 * intact, and the counter must have moved on past its value at "ready". */
#include <sys/mman.h>

#include "zdtm_lib.h"

#define AREA (8u << 20)

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	unsigned char *area = mmap(NULL, AREA, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		zdtm_fail("mmap: %s", strerror(errno));
	zdtm_fill(area, AREA, 0, 1);
	volatile uint64_t counter = 0, shadow = 0;
	zdtm_ready();
	uint64_t at_ready = counter;
	while (!zdtm_go) {
		counter++;
		shadow = counter * 3;
		struct timespec nap = {0, 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	if (shadow != counter * 3)
		zdtm_fail("counter %llu and shadow %llu disagree", (unsigned long long)counter,
			  (unsigned long long)shadow);
	if (counter <= at_ready)
		zdtm_fail("counter did not move (%llu)", (unsigned long long)counter);
	long bad = zdtm_check(area, AREA, 0, 1);
	if (bad >= 0)
		zdtm_fail("memory differs at offset %ld", bad);
	zdtm_pass();
}
