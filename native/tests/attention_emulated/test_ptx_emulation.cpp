// The host emulation of the PTX wrappers against the PTX ISA's fragment layouts
// (ptx_cases.h), plus what only an emulation can show: cp.async data does not
// land before its wait, and a block's barriers order its threads.
#include <vector>

#include "ptx_cases.h"

using namespace ptx_cases;
namespace emu = reel::emu;

namespace {

void run(unsigned threads, size_t smem, const std::function<void()>& body, const char* name) {
    emu::launch(emu::dim3{}, threads, smem, body, name, 1);
}

template <bool BF16>
void mma(Result& res) {
    for (int seed = 0; seed < 4; ++seed) {
        const auto A = mma_values(256, seed), B = mma_values(128, seed + 100), C = mma_values(128, seed + 200);
        std::vector<uint16_t> a(256), b(128);
        for (int i = 0; i < 256; ++i) a[i] = BF16 ? reel::f32_to_bf16(A[i]) : reel::f32_to_f16(A[i]);
        for (int i = 0; i < 128; ++i) b[i] = BF16 ? reel::f32_to_bf16(B[i]) : reel::f32_to_f16(B[i]);
        std::vector<float> d(128, NAN);
        run(32, 0, [&] { mma_case<BF16>(a.data(), b.data(), C.data(), d.data()); }, "mma_case");
        check_mma(res, A, B, C, d.data(), BF16 ? "mma.m16n8k16 bf16" : "mma.m16n8k16 f16");
    }
}

}  // namespace

int main() {
    Result res;
    mma<true>(res);
    mma<false>(res);

    std::vector<uint32_t> ld(256, 0xDEADBEEFu);
    run(32, 32 * 32, [&] { ldmatrix_case(ld.data()); }, "ldmatrix_case");
    check_ldmatrix(res, ld.data());

    std::vector<float> sh(160, NAN);
    run(32, 0, [&] { shfl_case(sh.data()); }, "shfl_case");
    check_shfl(res, sh.data());

    const auto in = math_inputs();
    std::vector<float> ex2(256, NAN);
    std::vector<uint32_t> bf(256), hf(256);
    run(32, 0, [&] { math_case(in.data(), ex2.data(), bf.data(), hf.data()); }, "math_case");
    check_math(res, in, ex2.data(), bf.data(), hf.data());

    std::vector<uint16_t> src(1024), dst(1024, 0x7777);
    for (int i = 0; i < 1024; ++i) src[i] = static_cast<uint16_t>(i * 37 + 1);
    run(64, 2048, [&] { cp_async_case(src.data(), dst.data()); }, "cp_async_case");
    check_cp_async(res, src, dst.data());

    // Emulation only: a cp.async lands at its wait, not before (so a kernel that
    // forgets a wait reads stale shared memory here, as it may on a GPU).
    std::vector<uint16_t> seen(2, 0);
    run(32, 64, [&] {
        uint16_t* s = reinterpret_cast<uint16_t*>(reel::ptx::shared_memory());
        if (thread_x() == 0) {
            reel::ptx::cp_async_16(s, src.data(), true);
            reel::ptx::cp_async_commit();
            seen[0] = s[0];
            reel::ptx::cp_async_wait<0>();
            seen[1] = s[0];
        }
    }, "cp_async_deferred");
    res.check(seen[0] == 0xA5A5 && seen[1] == src[0], "emulated cp.async lands at wait_group", 0);

    // Barriers: every thread's write before __syncthreads is seen by all after it.
    std::vector<int> sums(128, -1);
    run(128, 128 * 4, [&] {
        int* s = reinterpret_cast<int*>(reel::ptx::shared_memory());
        const int t = static_cast<int>(thread_x());
        s[t] = t;
        reel::ptx::sync_block();
        int sum = 0;
        for (int i = 0; i < 128; ++i) sum += s[i];
        reel::ptx::sync_block();
        s[t] = 0;
        sums[t] = sum;
    }, "barrier");
    bool all = true;
    for (int v : sums) all = all && v == 127 * 128 / 2;
    res.check(all, "__syncthreads orders shared memory across warps", 0);

    std::printf("%d passed, %d failed\n", res.passed, res.failed);
    return res.failed == 0 ? 0 : 1;
}
