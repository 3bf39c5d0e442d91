/*
 * fixture_check: the one check of the test fixtures (tests/support's DNS stub and TLS servers):
 * FIXTURE_CHECK(e) evaluates e always (fixture calls have side effects, so it also runs under
 * NDEBUG, unlike assert) and aborts the test with the file, line and expression when it is false.
 * A fixture failing is a broken test set-up, not a failure of the code under test.
 */
#ifndef MTASTS_TEST_FIXTURE_CHECK_H
#define MTASTS_TEST_FIXTURE_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FIXTURE_CHECK(e)                                                                  \
    do {                                                                                  \
        if (!(e)) {                                                                       \
            fprintf(stderr, "%s:%d: test fixture failed: %s\n", __FILE__, __LINE__, #e); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#endif
