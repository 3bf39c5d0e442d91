/* slots: prints what one --concurrency slot costs (scripts/bench-slots): the struct every slot
 * preallocates, and the buffers a domain takes only while the step that needs them runs. */
#include <stdio.h>

#include "pipeline/domain.h"

int main(int argc, char **argv)
{
    if (argc > 1) { /* --sizeof: the one figure, for scripts/bench's meta.env */
        printf("%zu\n", sizeof(struct domain));
        return 0;
    }
    printf("sizeof(struct domain)   %6zu bytes per slot\n", sizeof(struct domain));
    printf("the row                 %6zu  one per scan engine (domain_env.row), built when a domain ends\n",
           sizeof(struct domain_result));
    printf("taken while needed:\n");
    printf("  mx_records            %6zu  an MX answer with records, until the row is written\n",
           sizeof(struct dns_mx_answer));
    printf("  tlsrpt                %6zu  a _smtp._tls answer with records, until the row is written\n",
           sizeof(struct txt_tlsrpt));
    printf("  fetch_work            %6zu  the policy fetch, once mta-sts.<d> is looked up\n",
           sizeof(struct domain_fetch));
    printf("  mx_waits              %6zu  per MX host, while the hosts are probed\n",
           sizeof(struct domain_mx));
    return 0;
}
