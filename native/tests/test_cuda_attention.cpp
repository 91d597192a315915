// reel_attention_forward on CUDA device 0 against the float64 reference of the
// contract and against the CPU backend on the same inputs: the cases of the
// host-emulated kernel test (every mode x dtype x head dim, odd shapes, RoPE,
// LSE, packed and unaligned layouts, empty contexts, poisoned outputs) plus
// larger shapes that span many tiles, and the errors the CUDA backend gives.
// Exit 77 with the reason where no device is present. REEL_SANITIZE=1 (set by
// bench/gpu/run under compute-sanitizer) keeps to the core cases.
#include <chrono>
#include <cstdlib>

#include "attention_cases.h"
#include "check.h"

using namespace attention_test;

namespace {

// Copies a host vector to a fresh device buffer; the returned pointer is freed by the caller.
template <typename T>
T* upload(const std::vector<T>& h) {
    if (h.empty()) return nullptr;
    void* d = nullptr;
    const int64_t bytes = static_cast<int64_t>(h.size() * sizeof(T));
    if (reel_malloc(0, bytes, &d) != REEL_OK || reel_memcpy(d, h.data(), bytes, REEL_COPY_HOST_TO_DEVICE, 0, nullptr) != REEL_OK) {
        std::printf("upload failed: %s\n", reel_last_error());
        std::exit(1);
    }
    return static_cast<T*>(d);
}

template <typename T>
void download(std::vector<T>& h, const T* d) {
    if (h.empty()) return;
    if (reel_memcpy(h.data(), d, static_cast<int64_t>(h.size() * sizeof(T)), REEL_COPY_DEVICE_TO_HOST, 0, nullptr) != REEL_OK) {
        std::printf("download failed: %s\n", reel_last_error());
        std::exit(1);
    }
}

void run_case(const Case& c, std::mt19937& rng) {
    const auto start = std::chrono::steady_clock::now();
    Buffers buf;
    reel_attention_params p = setup(c, buf, rng);
    std::vector<double> ref, ref_lse;
    reference(c, p, buf, ref, ref_lse);

    // The device: inputs uploaded, outputs poisoned (the host copies already are).
    uint16_t *q = upload(buf.q), *k = upload(buf.k), *v = upload(buf.v), *o = upload(buf.o);
    float* lse = upload(buf.lse);
    int64_t* lens = upload(c.lens);
    reel_attention_params dp = p;
    dp.context_lens = lens;
    const reel_status s = reel_attention_forward(0, nullptr, &dp, q + buf.qo, k + buf.ko, v + buf.vo, o + buf.oo, lse);
    const bool ran = s == REEL_OK && reel_synchronize(0, nullptr) == REEL_OK;
    check(ran, c.name + " [CUDA]: reel_attention_forward: " + (ran ? "" : reel_last_error()));
    if (ran) {
        Buffers got = buf;
        download(got.o, o);
        download(got.lse, lse);
        compare(c, p, got, ref, ref_lse, c.name + " [CUDA vs float64]");
        // The CPU backend, where it implements the contract, on the same inputs.
        if (c.dtype == REEL_BF16 && c.layout != 2) {
            Buffers cpu = buf;
            const reel_status cs = reel_attention_forward(REEL_DEVICE_CPU, nullptr, &p, cpu.q.data() + cpu.qo,
                                                          cpu.k.data() + cpu.ko, cpu.v.data() + cpu.vo,
                                                          cpu.o.data() + cpu.oo, cpu.lse.empty() ? nullptr : cpu.lse.data());
            if (cs == REEL_OK) {
                std::vector<double> cpu_out(ref.size());
                const int64_t n = c.T * c.H * c.W;
                for (int64_t b = 0; b < c.B; ++b)
                    for (int64_t i = 0; i < n; ++i)
                        for (int64_t h = 0; h < c.heads; ++h)
                            for (int64_t e = 0; e < c.d; ++e)
                                cpu_out[((b * n + i) * c.heads + h) * c.d + e] =
                                    decode(c.dtype, cpu.o[cpu.oo + b * p.o_stride_b + i * p.o_stride_n + h * p.o_stride_h + e]);
                std::vector<double> cpu_lse(cpu.lse.begin(), cpu.lse.end());
                // Two bf16 results, each within the bf16 tolerance of the truth.
                compare(c, p, got, cpu_out, cpu_lse, c.name + " [CUDA vs CPU backend]", 2.0);
            } else if (cs != REEL_ERR_UNSUPPORTED) {
                check(false, c.name + " [CPU backend]: " + reel_last_error());
            }
        }
    }
    for (void* ptr : {static_cast<void*>(q), static_cast<void*>(k), static_cast<void*>(v), static_cast<void*>(o),
                      static_cast<void*>(lse), static_cast<void*>(lens)}) {
        reel_free(0, ptr);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-60s %.2f s\n", c.name.c_str(), secs);
}

}  // namespace

int main() {
    int32_t count = 0;
    if (reel_cuda_device_count(&count) != REEL_OK) {
        std::printf("SKIPPED: %s\n", reel_last_error());
        return 77;
    }
    const char* sanitize = std::getenv("REEL_SANITIZE");
    const bool small = sanitize != nullptr && std::string(sanitize) == "1";
    std::mt19937 rng(20261125);
    std::vector<Case> cases = standard_cases(small);
    if (!small) {
        const std::vector<Case> large = large_cases();
        cases.insert(cases.end(), large.begin(), large.end());
    }
    for (const auto& c : cases) run_case(c, rng);

    // What the CUDA backend refuses, with a message that names the problem.
    std::vector<uint16_t> host(64 * 40);
    uint16_t* d = upload(host);
    reel_attention_params p{};
    p.mode = REEL_ATTENTION_FULL, p.dtype = REEL_F32, p.batch = 1, p.frames = 1, p.height = 1, p.width = 4;
    p.heads = 1, p.head_dim = 64, p.q_stride_n = p.k_stride_n = p.v_stride_n = p.o_stride_n = 64;
    CHECK_FAILS(reel_attention_forward(0, nullptr, &p, d, d, d, d + 1024, nullptr), REEL_ERR_UNSUPPORTED, "bf16 or fp16");
    p.dtype = REEL_BF16, p.head_dim = 40;
    p.q_stride_n = p.k_stride_n = p.v_stride_n = p.o_stride_n = 40;
    CHECK_FAILS(reel_attention_forward(0, nullptr, &p, d, d, d, d + 1024, nullptr), REEL_ERR_UNSUPPORTED, "head dims");
    p.head_dim = 64, p.q_stride_n = p.k_stride_n = p.v_stride_n = p.o_stride_n = 64;
    CHECK_FAILS(reel_attention_forward(count, nullptr, &p, d, d, d, d + 1024, nullptr), REEL_ERR_NO_DEVICE, "does not exist");
    reel_free(0, d);

    reel_test::passed += passed, reel_test::failed += failed;
    return reel_test::finish();
}
