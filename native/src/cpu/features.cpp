#include <cstdlib>
#include <cstring>

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

Isa pick_isa(bool bf16) {
    const Features& f = features();
    const Isa best = f.avx512_bf16 && bf16 ? Isa::avx512bf16 : f.avx512f ? Isa::avx512 : f.avx2 ? Isa::avx2 : Isa::generic;
    const char* cap = std::getenv("REEL_CPU_ISA");
    if (cap == nullptr || *cap == '\0') return best;
    const Isa wanted = std::strcmp(cap, "generic") == 0  ? Isa::generic
                       : std::strcmp(cap, "avx2") == 0   ? Isa::avx2
                       : std::strcmp(cap, "avx512") == 0 ? Isa::avx512
                                                         : best;
    return static_cast<int>(wanted) < static_cast<int>(best) ? wanted : best;
}

}  // namespace cpu
}  // namespace reel
