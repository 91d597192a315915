// step.h — the per-element arithmetic of reel_scheduler_step, shared by the CPU
// backend and the CUDA kernel so that both round the same operations in the same
// order (the contract is in reel.h, "scheduler step").
//
// Every operation is a separately rounded fp32 +, -, ×: on the device the _rn
// intrinsics forbid contraction into FMA; on the host the including file is
// compiled with -ffp-contract=off. The rescale statistics are sums in double.
#pragma once

#include <stdint.h>

#include "../common/hd.h"
#include "../common/philox.h"  // dadd, dmul, ... (separately rounded double operations)

namespace reel {

#if defined(__CUDA_ARCH__)
REEL_HD float fadd(float a, float b) { return __fadd_rn(a, b); }
REEL_HD float fsub(float a, float b) { return __fsub_rn(a, b); }
REEL_HD float fmul(float a, float b) { return __fmul_rn(a, b); }
#else
REEL_HD float fadd(float a, float b) { return a + b; }
REEL_HD float fsub(float a, float b) { return a - b; }
REEL_HD float fmul(float a, float b) { return a * b; }
#endif

// The coefficients of one step, rounded once from the double parameters.
struct StepCoefficients {
    float g;             // guidance scale
    float c_x, c_m, c_p, c_z;
    float a_x, a_m;
};

// m = u + g·(c − u): classifier-free guidance.
REEL_HD float step_guide(float c, float u, float g) { return fadd(u, fmul(g, fsub(c, u))); }

// a·x + b·y, the two products rounded before the sum.
REEL_HD float step_lin2(float a, float x, float b, float y) { return fadd(fmul(a, x), fmul(b, y)); }

// o + a·x.
REEL_HD float step_axpy(float o, float a, float x) { return fadd(o, fmul(a, x)); }

// Rescale factor f = 1 − φ + φ·std(c)/std(m) from the sums over one sample of n
// elements (sc = Σc, scc = Σc², sm = Σm, smm = Σm²), rounded once to float.
REEL_HD float step_rescale_factor(double phi, int64_t n, double sc, double scc, double sm, double smm) {
    if (n < 2) return 1.0f;
    const double dn = static_cast<double>(n);
    const double vc = dsub(scc, dmul(sc, ddiv(sc, dn)));
    const double vm = dsub(smm, dmul(sm, ddiv(sm, dn)));
    if (!(vm > 0.0)) return 1.0f;
    const double r = vc > 0.0 ? dsqrt(ddiv(vc, vm)) : 0.0;
    return static_cast<float>(dadd(dsub(1.0, phi), dmul(phi, r)));
}

}  // namespace reel
