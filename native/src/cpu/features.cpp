#include "cpu_backend.h"

namespace reel {
namespace cpu {

const Features& features() {
    static const Features f = [] {
        __builtin_cpu_init();
        Features r{};
        r.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        r.avx512f = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
        r.avx512_bf16 = r.avx512f && __builtin_cpu_supports("avx512bf16");
        return r;
    }();
    return f;
}

}  // namespace cpu
}  // namespace reel
