// SPDX-License-Identifier: BSD-3-Clause
/* Shared by the C unit-test programs in cext/tests/: count failed checks, keep going, report. */
#ifndef G2L_TESTS_CHECK_H
#define G2L_TESTS_CHECK_H

#include <stdio.h>

static int failures = 0;
#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

#endif /* G2L_TESTS_CHECK_H */
