/* main: placeholder entry point, replaced by the pipeline's option parsing and scan driver. */
#include <stdio.h>
int main(void)
{
    puts("mtasts-scan " MTASTS_VERSION);
    return 0;
}
