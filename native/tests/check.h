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
// A device call made with host pointers: where no device is present it must be
// refused with the reason (REEL_ERR_NO_DEVICE, or REEL_ERR_NO_CUDA_BUILD in a
// build without nvcc); where one is, it is not made (the test_cuda_* suites
// run the calls there with device memory).
#define CHECK_NO_DEVICE(call)                                                          \
    do {                                                                              \
        int32_t devices_ = 0;                                                         \
        if (reel_cuda_device_count(&devices_) != REEL_OK) {                           \
            const reel_status s_ = (call);                                            \
            const bool ok_ = s_ == REEL_ERR_NO_DEVICE || s_ == REEL_ERR_NO_CUDA_BUILD; \
            if (!ok_) std::printf("  got status %d, message '%s'\n", s_, reel_last_error()); \
            CHECK(ok_);                                                               \
        }                                                                             \
    } while (0)

#define CHECK_FAILS(call, status, needle)                                             \
    do {                                                                              \
        const reel_status s_ = (call);                                                \
        const bool ok_ = s_ == (status) && std::strstr(reel_last_error(), needle);    \
        if (!ok_) std::printf("  got status %d, message '%s'\n", s_, reel_last_error()); \
        CHECK(ok_);                                                                   \
    } while (0)
