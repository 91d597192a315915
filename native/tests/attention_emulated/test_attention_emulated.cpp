// The CUDA attention kernel (kernels/attention/attention.cuh), compiled as host
// C++ with its PTX wrappers emulated, against a float64 reference written from
// the contract in reel.h: every mode x dtype (bf16, fp16) x head dim (64, 128)
// on small shapes that are not multiples of the tiles, with RoPE, LSE, strided
// and unaligned layouts, empty CROSS contexts, outputs poisoned before each run
// and every element checked written (and nothing outside it touched).
// Where the CPU backend implements the contract, it is compared too.
//
// REEL_EMULATED_QUICK=1 runs a subset (for quick iteration);
// REEL_EMULATED_LARGE=1 adds the larger shapes of the GPU test (minutes).
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "attention_cases.h"
#include "cuda/attention/attention_args.h"

using namespace attention_test;

namespace {

using reel::attention::Args;
using reel::attention::Grid;

// Runs the kernel through the host emulation, as the CUDA launcher would.
bool run_emulated(const reel_attention_params& p, Buffers& buf, std::string& why) {
    bool ok = true;
    const bool found = reel::attention::with_traits(p.dtype, p.head_dim, p.mode, 9, [&](auto traits) {
        using Tr = decltype(traits);
        Args a;
        Grid grid;
        if (const char* e = reel::attention::make_args(p, Tr::BM, buf.q.data() + buf.qo, buf.k.data() + buf.ko,
                                                       buf.v.data() + buf.vo, buf.o.data() + buf.oo,
                                                       buf.lse.empty() ? nullptr : buf.lse.data(), &a, &grid)) {
            why = e, ok = false;
            return;
        }
        reel::emu::launch(reel::emu::dim3{grid.x, grid.y, grid.z}, Tr::kThreads, Tr::kSmemBytes,
                          [&] { reel::attention::attention_block<Tr>(a); }, "attention_kernel");
    });
    if (!found) why = "no tile configuration", ok = false;
    return ok;
}

void run_case(const Case& c, std::mt19937& rng) {
    const auto start = std::chrono::steady_clock::now();
    Buffers buf;
    const reel_attention_params p = setup(c, buf, rng);
    std::vector<double> ref, ref_lse;
    reference(c, p, buf, ref, ref_lse);
    std::string why;
    const bool ran = run_emulated(p, buf, why);
    check(ran, c.name + ": emulated launch (" + why + ")");
    if (ran) compare(c, p, buf, ref, ref_lse, c.name + " [emulated CUDA]");

    // The CPU backend on the same inputs, where it implements the contract.
    if (c.dtype == REEL_BF16 && c.layout != 2) {
        Buffers cpu = buf;
        std::fill(cpu.o.begin(), cpu.o.end(), static_cast<uint16_t>(0xFFFF));
        std::fill(cpu.lse.begin(), cpu.lse.end(), NAN);
        const reel_status s = reel_attention_forward(REEL_DEVICE_CPU, nullptr, &p, cpu.q.data() + cpu.qo,
                                                     cpu.k.data() + cpu.ko, cpu.v.data() + cpu.vo, cpu.o.data() + cpu.oo,
                                                     cpu.lse.empty() ? nullptr : cpu.lse.data());
        if (s == REEL_OK) {
            compare(c, p, cpu, ref, ref_lse, c.name + " [CPU backend]");
        } else if (s != REEL_ERR_UNSUPPORTED) {
            check(false, c.name + " [CPU backend]: " + reel_last_error());
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-60s %.2f s\n", c.name.c_str(), secs);
}

}  // namespace

int main() {
    const bool quick = std::getenv("REEL_EMULATED_QUICK") != nullptr;
    std::mt19937 rng(20261125);
    std::vector<Case> cases = standard_cases(quick);
    if (std::getenv("REEL_EMULATED_LARGE") != nullptr) {
        const std::vector<Case> large = large_cases();
        cases.insert(cases.end(), large.begin(), large.end());
    }
    const auto start = std::chrono::steady_clock::now();
    for (const auto& c : cases) run_case(c, rng);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu cases in %.1f s: %d passed, %d failed\n", cases.size(), secs, passed, failed);
    return failed == 0 ? 0 : 1;
}
