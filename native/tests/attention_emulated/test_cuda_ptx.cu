// The PTX wrappers on a GPU against the PTX ISA's fragment layouts: the same
// cases (ptx_cases.h) that test_ptx_emulation runs on the host emulation, so
// that a GPU run confirms what the emulation assumes. Exit 77 without a device.
#include <cuda_runtime.h>

#include <vector>

#include "ptx_cases.h"

using namespace ptx_cases;

namespace {

template <bool BF16>
__global__ void mma_kernel(const uint16_t* a, const uint16_t* b, const float* c, float* d) { mma_case<BF16>(a, b, c, d); }
__global__ void ldmatrix_kernel(uint32_t* out) { ldmatrix_case(out); }
__global__ void shfl_kernel(float* out) { shfl_case(out); }
__global__ void math_kernel(const float* in, float* ex2, uint32_t* bf, uint32_t* hf) { math_case(in, ex2, bf, hf); }
__global__ void cp_async_kernel(const uint16_t* src, uint16_t* dst) { cp_async_case(src, dst); }

bool ok = true;
void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) {
        std::printf("FAILED %s: %s\n", what, cudaGetErrorString(e));
        ok = false;
    }
}

template <typename T>
T* to_device(const std::vector<T>& h) {
    T* d = nullptr;
    check(cudaMalloc(&d, h.size() * sizeof(T)), "cudaMalloc");
    check(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    return d;
}

template <typename T>
std::vector<T> to_host(const T* d, size_t n) {
    std::vector<T> h(n);
    check(cudaDeviceSynchronize(), "kernel");
    check(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy");
    return h;
}

template <bool BF16>
void mma(Result& res) {
    for (int seed = 0; seed < 4; ++seed) {
        const auto A = mma_values(256, seed), B = mma_values(128, seed + 100), C = mma_values(128, seed + 200);
        std::vector<uint16_t> a(256), b(128);
        for (int i = 0; i < 256; ++i) a[i] = BF16 ? reel::f32_to_bf16(A[i]) : reel::f32_to_f16(A[i]);
        for (int i = 0; i < 128; ++i) b[i] = BF16 ? reel::f32_to_bf16(B[i]) : reel::f32_to_f16(B[i]);
        uint16_t *da = to_device(a), *db = to_device(b);
        float *dc = to_device(C), *dd = to_device(std::vector<float>(128, NAN));
        mma_kernel<BF16><<<1, 32>>>(da, db, dc, dd);
        check_mma(res, A, B, C, to_host(dd, 128).data(), BF16 ? "mma.m16n8k16 bf16" : "mma.m16n8k16 f16");
        cudaFree(da), cudaFree(db), cudaFree(dc), cudaFree(dd);
    }
}

}  // namespace

int main() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        std::printf("SKIPPED: no CUDA device\n");
        return 77;
    }
    Result res;
    mma<true>(res);
    mma<false>(res);

    uint32_t* ld = to_device(std::vector<uint32_t>(256, 0xDEADBEEFu));
    ldmatrix_kernel<<<1, 32, 32 * 32>>>(ld);
    check_ldmatrix(res, to_host(ld, 256).data());

    float* sh = to_device(std::vector<float>(160, NAN));
    shfl_kernel<<<1, 32>>>(sh);
    check_shfl(res, to_host(sh, 160).data());

    const auto in = math_inputs();
    float *din = to_device(in), *dex = to_device(std::vector<float>(256, NAN));
    uint32_t *dbf = to_device(std::vector<uint32_t>(256)), *dhf = to_device(std::vector<uint32_t>(256));
    math_kernel<<<1, 32>>>(din, dex, dbf, dhf);
    check_math(res, in, to_host(dex, 256).data(), to_host(dbf, 256).data(), to_host(dhf, 256).data());

    std::vector<uint16_t> src(1024);
    for (int i = 0; i < 1024; ++i) src[i] = static_cast<uint16_t>(i * 37 + 1);
    uint16_t *dsrc = to_device(src), *ddst = to_device(std::vector<uint16_t>(1024, 0x7777));
    cp_async_kernel<<<1, 64, 2048>>>(dsrc, ddst);
    check_cp_async(res, src, to_host(ddst, 1024).data());

    std::printf("%d passed, %d failed\n", res.passed, res.failed);
    return res.failed == 0 && ok ? 0 : 1;
}
