// check.h — the few lines of test harness the native tests share.
#pragma once

#include <cstdio>
#include <cstring>

#include "reel/reel.h"

namespace reel_test {
inline int passed = 0;
inline int failed = 0;

inline int finish() {
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
}  // namespace reel_test

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            ++reel_test::passed;                                                      \
        } else {                                                                      \
            ++reel_test::failed;                                                      \
            std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
        }                                                                             \
    } while (0)

// The call must fail with `status` and a message that mentions `needle`.
#define CHECK_FAILS(call, status, needle)                                             \
    do {                                                                              \
        const reel_status s_ = (call);                                                \
        const bool ok_ = s_ == (status) && std::strstr(reel_last_error(), needle);    \
        if (!ok_) std::printf("  got status %d, message '%s'\n", s_, reel_last_error()); \
        CHECK(ok_);                                                                   \
    } while (0)
