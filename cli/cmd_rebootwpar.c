/* rebootwpar: stop system partitions and start them again (stopwpar -r). */
#define LOG_PREFIX "rebootwpar: "
#include "cli/commands.h"
#include "cli/named.h"

int cmd_rebootwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	(void)err; /* each name's failure is reported as it comes */
	return cli_stop_verb(v, true, argc, argv);
}
