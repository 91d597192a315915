// The C API's contract on any machine: versions, statuses, messages, and bad
// arguments answered with a status instead of a crash.
#include <cstdint>
#include <vector>

#include "check.h"

int main() {
    CHECK(reel_version() == REEL_VERSION_MAJOR * 10000 + REEL_VERSION_MINOR * 100 + REEL_VERSION_PATCH);
    CHECK(std::strcmp(reel_status_string(REEL_ERR_NO_DEVICE), "no CUDA device") == 0);
    CHECK(std::strcmp(reel_status_string(12345), "unknown status") == 0);

    reel_cpu_info cpu{};
    CHECK(reel_cpu_query(&cpu) == REEL_OK);
    CHECK(cpu.logical_cores >= 1 && cpu.threads >= 1);
    CHECK(reel_cpu_set_threads(1) == REEL_OK);
    CHECK(reel_cpu_query(&cpu) == REEL_OK && cpu.threads == 1);
    CHECK(reel_cpu_set_threads(0) == REEL_OK);
    CHECK_FAILS(reel_cpu_set_threads(-3), REEL_ERR_INVALID_ARGUMENT, "threads");
    CHECK_FAILS(reel_cpu_query(nullptr), REEL_ERR_INVALID_ARGUMENT, "NULL");

    int32_t count = -1;
    const reel_status cs = reel_cuda_device_count(&count);
    if (cs == REEL_OK) {
        CHECK(count > 0);
        reel_device_info info{};
        CHECK(reel_cuda_device_query(0, &info) == REEL_OK && info.cc_major >= 7);
        CHECK_FAILS(reel_cuda_device_query(count, &info), REEL_ERR_NO_DEVICE, "does not exist");
    } else {
        CHECK(cs == REEL_ERR_NO_DEVICE || cs == REEL_ERR_NO_CUDA_BUILD);
        CHECK(count == 0);
        std::printf("no CUDA device here: %s\n", reel_last_error());
        void* p = nullptr;
        CHECK(reel_malloc(0, 16, &p) == cs && p == nullptr);
    }
    CHECK(((reel_build_features() & REEL_FEATURE_CUDA) != 0) == (cs != REEL_ERR_NO_CUDA_BUILD));

    void* p = nullptr;
    CHECK(reel_malloc(REEL_DEVICE_CPU, 1000, &p) == REEL_OK && p != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    CHECK(reel_memset(REEL_DEVICE_CPU, p, 7, 1000, nullptr) == REEL_OK);
    std::vector<unsigned char> host(1000);
    CHECK(reel_memcpy(host.data(), p, 1000, REEL_COPY_HOST_TO_HOST, REEL_DEVICE_CPU, nullptr) == REEL_OK);
    CHECK(host[0] == 7 && host[999] == 7);
    CHECK(reel_free(REEL_DEVICE_CPU, p) == REEL_OK);
    CHECK(reel_free(REEL_DEVICE_CPU, nullptr) == REEL_OK);

    CHECK_FAILS(reel_malloc(REEL_DEVICE_CPU, 0, &p), REEL_ERR_INVALID_ARGUMENT, "bytes");
    CHECK_FAILS(reel_malloc(REEL_DEVICE_CPU, 16, nullptr), REEL_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_FAILS(reel_malloc(-2, 16, &p), REEL_ERR_INVALID_ARGUMENT, "device -2");
    CHECK_FAILS(reel_malloc(REEL_DEVICE_CPU, INT64_MAX - 8, &p), REEL_ERR_OUT_OF_MEMORY, "host memory");
    CHECK_FAILS(reel_memcpy(nullptr, host.data(), 4, REEL_COPY_HOST_TO_HOST, -1, nullptr), REEL_ERR_INVALID_ARGUMENT, "dst");
    CHECK_FAILS(reel_memcpy(host.data(), host.data() + 8, 4, 9, -1, nullptr), REEL_ERR_INVALID_ARGUMENT, "copy kind");
    CHECK_FAILS(reel_memcpy(host.data(), host.data() + 8, 4, REEL_COPY_HOST_TO_DEVICE, -1, nullptr),
                REEL_ERR_INVALID_ARGUMENT, "CUDA device ordinal");
    float f[4];
    CHECK_FAILS(reel_noise_normal(-1, nullptr, f, 7, 4, 1, 0, 0), REEL_ERR_INVALID_ARGUMENT, "dtype 7");
    CHECK_FAILS(reel_noise_normal(-1, nullptr, f, REEL_F32, -4, 1, 0, 0), REEL_ERR_INVALID_ARGUMENT, "count");
    CHECK_FAILS(reel_noise_normal(-1, nullptr, nullptr, REEL_F32, 4, 1, 0, 0), REEL_ERR_INVALID_ARGUMENT, "NULL");
    CHECK_FAILS(reel_noise_normal(-1, nullptr, f, REEL_F32, 4, 1, 0, UINT64_MAX - 2), REEL_ERR_INVALID_ARGUMENT, "overflow");
    CHECK(reel_noise_normal(-1, nullptr, f, REEL_F32, 4, 1, 0, UINT64_MAX - 3) == REEL_OK);  // ends at the last index
    CHECK_FAILS(reel_convert(-1, nullptr, f + 1, REEL_F32, f, REEL_F32, 2), REEL_ERR_INVALID_ARGUMENT, "overlap");
    CHECK_FAILS(reel_convert(-1, nullptr, f, REEL_BF16, f, REEL_F32, 2), REEL_ERR_INVALID_ARGUMENT, "in-place");
    CHECK(reel_noise_normal(-1, nullptr, f, REEL_F32, 0, 1, 0, 0) == REEL_OK);
    return reel_test::finish();
}
