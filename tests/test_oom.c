/* test_oom: out-of-memory inside the scanner is reported as the scanner's failure (verdict and
 * issue scanner_error), never as a fact about the domain.  The allocations of the scanner's own
 * code are made to fail on demand: this test is linked with -Wl,--wrap=malloc,--wrap=calloc
 * (CMakeLists.txt), which reroutes the calls made by the statically linked core (and this file)
 * to the wrappers below, while the shared libraries (libevent, c-ares, OpenSSL) allocate as
 * usual. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pipeline/domain.h"
#include "scanner/tlscheck.h"
#include "tests/support/dns_stub.h"
#include "tests/support/domain_env.h"
#include "tests/support/tls_server.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);

static int fail_all;      /* every wrapped allocation fails */
static size_t fail_size;  /* allocations of exactly this many bytes fail (0 = none) */
static int failed;        /* allocations refused so far */

void *__wrap_malloc(size_t n)
{
    if (fail_all || (fail_size && n == fail_size)) {
        failed++;
        return NULL;
    }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (fail_all || (fail_size && n * size == fail_size)) {
        failed++;
        return NULL;
    }
    return __real_calloc(n, size);
}

#define HOST "mta-sts.sts.test"

static const struct ds_record records[] = {
    {"sts.test", DS_MX, "10 mx.sts.test"},
    {"_mta-sts.sts.test", DS_TXT, "v=STSv1; id=1"},
    {HOST, DS_A, "127.0.0.1"},
    {"mx.sts.test", DS_A, "127.0.0.1"},
    /* MX hosts longer than a slot's first arena chunk holds (DOMAIN_ARENA_FIRST) */
    {"many.test", DS_MX, "10 mx1.a-rather-long-label-for-an-mx-host.many.test"},
    {"many.test", DS_MX, "20 mx2.a-rather-long-label-for-an-mx-host.many.test"},
    {"many.test", DS_MX, "30 mx3.a-rather-long-label-for-an-mx-host.many.test"},
    {"many.test", DS_MX, "40 mx4.a-rather-long-label-for-an-mx-host.many.test"},
    {"many.test", DS_MX, "50 mx5.a-rather-long-label-for-an-mx-host.many.test"},
    {"many.test", DS_MX, "60 mx6.a-rather-long-label-for-an-mx-host.many.test"},
};

static const char policy_response[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\nConnection: close\r\n\r\n"
    "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n";

struct env {
    struct event_base *base;
    struct dns_stub stub;
    struct ts_pki pki;
    SSL_CTX *srv_ctx;
    struct ts_server https;
    struct config cfg;
    struct domain_env de;
    struct domain d;
    int finished;
    struct domain_result res;
};

static void on_finish(struct domain *d, void *arg)
{
    struct env *e = arg;
    e->finished++;
    e->res = *d->result;
    domain_recycle(d);
    event_base_loopbreak(e->base);
}

static void env_open(struct env *e)
{
    memset(e, 0, sizeof(*e));
    e->base = event_base_new();
    ds_start(&e->stub, e->base, records, sizeof(records) / sizeof(records[0]));
    ts_pki_init(&e->pki, "mtasts-scan oom test CA");
    e->srv_ctx = ts_leaf_ctx(&e->pki, HOST, "DNS:" HOST, -1, 30);
    ts_server_start(&e->https, e->base, e->srv_ctx, TS_RESPOND, policy_response,
                    sizeof(policy_response) - 1);
    config_defaults(&e->cfg);
    e->cfg.timeout_sec = 3;
    e->cfg.starttls = STARTTLS_MODE_NONE;
    e->cfg.tls_threads = 0;
    e->cfg.https_port = ntohs(e->https.addr.sin_port);
    domain_env_open(&e->de, e->base, &e->cfg, e->stub.server, 2, e->pki.ca_path, on_finish, e);
}

static void env_close(struct env *e)
{
    domain_env_close(&e->de);
    domain_slot_free(&e->d);
    ts_server_stop(&e->https);
    SSL_CTX_free(e->srv_ctx);
    ts_pki_free(&e->pki);
    ds_stop(&e->stub);
    event_base_free(e->base);
}

static void run(struct env *e)
{
    struct timeval limit = {10, 0};
    event_base_loopexit(e->base, &limit);
    if (!e->finished)
        event_base_dispatch(e->base);
    assert_int_equal(e->finished, 1);
}

/* The same domain, no failure: the set-up gives enforce_ok, so what follows is the failure's. */
static void test_baseline(void **state)
{
    (void)state;
    struct env e;
    env_open(&e);
    domain_start(&e.d, &e.de, "sts.test", 1);
    run(&e);
    assert_int_equal(e.res.verdict, VERDICT_ENFORCE_OK);
    env_close(&e);
}

/* The policy was served, but the scanner could not keep it: no "fetch ok without a policy",
 * no policy_* code. */
static void test_policy_parse_oom(void **state)
{
    (void)state;
    struct env e;
    env_open(&e);
    fail_size = sizeof(struct policy);
    failed = 0;
    domain_start(&e.d, &e.de, "sts.test", 1);
    run(&e);
    fail_size = 0;
    assert_true(failed >= 1);
    assert_int_equal(e.res.verdict, VERDICT_SCANNER_ERROR);
    assert_true(issue_set_has(&e.res.issues, ISSUE_SCANNER_ERROR));
    assert_false(issue_set_has(&e.res.issues, ISSUE_POLICY_CONNECT_FAILED));
    assert_non_null(strstr(e.res.detail, "policy parse"));
    env_close(&e);
}

/* Nothing can be allocated when the domain starts: its lookups are the scanner's failure, not
 * DNS errors of the domain.  The slot scanned a domain before, so its arena's first chunk (kept
 * between domains) holds the name without an allocation. */
static void test_dns_oom(void **state)
{
    (void)state;
    struct env e;
    env_open(&e);
    domain_start(&e.d, &e.de, "sts.test", 1);
    run(&e);
    e.finished = 0;
    failed = 0;
    fail_all = 1;
    domain_start(&e.d, &e.de, "sts.test", 1);
    fail_all = 0;
    run(&e);
    assert_true(failed >= 3);
    assert_int_equal(e.res.verdict, VERDICT_SCANNER_ERROR);
    assert_non_null(strstr(e.res.detail, "scanner error in dns"));
    env_close(&e);
}

/* A slot takes its working buffers only when a step needs them (issue 22): when one cannot be
 * had, the domain is the scanner's failure, never a fact about the domain.  The allocations of
 * exactly size bytes fail while name is scanned. */
static void slot_buffer_oom(const char *name, size_t size, const char *step)
{
    struct env e;
    env_open(&e);
    fail_size = size;
    failed = 0;
    domain_start(&e.d, &e.de, name, 1);
    run(&e);
    fail_size = 0;
    assert_true(failed >= 1);
    assert_int_equal(e.res.verdict, VERDICT_SCANNER_ERROR);
    assert_true(issue_set_has(&e.res.issues, ISSUE_SCANNER_ERROR));
    assert_false(issue_set_has(&e.res.issues, ISSUE_POLICY_CONNECT_FAILED));
    assert_non_null(strstr(e.res.detail, step));
    assert_string_equal(e.res.domain, name);
    env_close(&e);
}

/* The size of the block an arena chunk of data bytes takes (lib/arena.h). */
#define CHUNK_BLOCK(data) (sizeof(struct arena_chunk) + (data))

/* The domain's name cannot be kept (the slot's first arena chunk): the domain ends at once, as
 * the scanner's failure, its row still named. */
static void test_name_oom(void **state)
{
    (void)state;
    slot_buffer_oom("sts.test", CHUNK_BLOCK(DOMAIN_ARENA_FIRST), "scanner error in domain start");
}

/* The parsed _mta-sts record does not fit the first chunk, and the next cannot be had. */
static void test_sts_record_oom(void **state)
{
    (void)state;
    slot_buffer_oom("sts.test", CHUNK_BLOCK(ARENA_CHUNK_MIN), "scanner error in dns");
}

/* The MX answer's records could not be kept: its hosts fill the first chunk (a part of them kept,
 * which must not be taken for the whole answer), and the next cannot be had. */
static void test_mx_answer_oom(void **state)
{
    (void)state;
    slot_buffer_oom("many.test", CHUNK_BLOCK(ARENA_CHUNK_MIN), "scanner error in dns");
}

/* The policy fetch's working state could not be taken. */
static void test_fetch_work_oom(void **state)
{
    (void)state;
    slot_buffer_oom("sts.test", sizeof(struct domain_fetch), "scanner error in dns");
}

static void on_outcome(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    *(struct mx_outcome *)w->arg = *o;
}

/* The MX cache cannot make a job for a host: scanner_error, not mx_connect_failed. */
static void test_mx_job_oom(void **state)
{
    (void)state;
    struct env e;
    env_open(&e);
    struct mx_outcome o;
    memset(&o, 0, sizeof(o));
    struct mxcache_waiter w = {.cb = on_outcome, .arg = &o};
    fail_all = 1;
    mxcache_get(e.de.mx, "mx.sts.test", &w);
    fail_all = 0;
    /* the outcome is a fact of the scanner's (an internal error), which classify judges so */
    assert_int_equal(o.probes.addr_dns, DNS_INTERNAL_ERROR);
    assert_int_equal(o.probes.n_addr, 0);
    struct classify_mx mx = {.host = "mx.sts.test", .preference = 10, .probes = &o.probes};
    struct classify_facts f = {.domain = "sts.test", .mx_dns = DNS_OK, .sts_dns = DNS_NXDOMAIN,
                               .tlsrpt_dns = DNS_NXDOMAIN, .mx = &mx, .n_mx = 1};
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_SCANNER_ERROR);
    assert_false(issue_set_has(&r.issues, ISSUE_MX_CONNECT_FAILED));
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_policy_parse_oom),
        cmocka_unit_test(test_dns_oom),
        cmocka_unit_test(test_mx_job_oom),
        cmocka_unit_test(test_mx_answer_oom),
        cmocka_unit_test(test_name_oom),
        cmocka_unit_test(test_sts_record_oom),
        cmocka_unit_test(test_fetch_work_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
