/* slots: prints what one --concurrency slot costs (scripts/bench-slots): the struct every slot
 * preallocates, its arena's first chunk (kept between domains), and the buffers a domain takes
 * only while the step that needs them runs. */
#include <stdio.h>

#include "pipeline/domain.h"

int main(int argc, char **argv)
{
    if (argc > 1) { /* --sizeof: the one figure, for scripts/bench's meta.env */
        printf("%zu\n", sizeof(struct domain));
        return 0;
    }
    printf("sizeof(struct domain)   %6zu bytes per slot\n", sizeof(struct domain));
    printf("arena, first chunk      %6zu  kept between domains (lib/arena): the name, the MX records\n",
           sizeof(struct arena_chunk) + DOMAIN_ARENA_FIRST);
    printf("the row                 %6zu  one per scan engine (domain_env.row), built when a domain ends\n",
           sizeof(struct domain_result));
    printf("taken while needed (in the arena, until the row is written):\n");
    printf("  MX record             %6zu  + the host's length + 1, per record of an answer with records\n",
           sizeof(struct domain_mx_rec));
    printf("  sts                   %6zu  a _mta-sts answer with records, parsed\n",
           sizeof(struct txt_sts));
    printf("  tlsrpt                %6zu  a _smtp._tls answer with records, parsed\n",
           sizeof(struct txt_tlsrpt));
    printf("taken while needed (malloc):\n");
    printf("  fetch_work            %6zu  the policy fetch, once mta-sts.<d> is looked up\n",
           sizeof(struct domain_fetch));
    printf("  mx_waits              %6zu  per MX host, while the hosts are probed\n",
           sizeof(struct domain_mx));
    return 0;
}
