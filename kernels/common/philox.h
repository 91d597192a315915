// philox.h — Reel's counter-based normal noise, shared bit for bit by the CPU
// backend, the CUDA kernels, the Java reference (dev.reel.PhiloxReference) and the
// Python tools (tools/reel/philox.py).
//
// Contract. Element i (uint64) of a noise stream (seed, stream) is:
//   g = i >> 2;  x = Philox4x32-10(counter = (lo(g), hi(g), lo(stream), hi(stream)),
//                                   key = (lo(seed), hi(seed)))
//   pair j = (i & 3) >> 1 takes a = x[2j], b = x[2j+1]; Box-Muller in IEEE double:
//   u1 = (a + 0.5)·2^-32 ∈ (0,1), u2 = b·2^-32 ∈ [0,1), r = sqrt(-2 ln u1),
//   θ = 2π u2; value = (float)(r cos θ) for even i, (float)(r sin θ) for odd i.
// ln, sin and cos are the fixed polynomial evaluations below, written with single
// rounded +, -, ×, ÷ and sqrt only — no fused multiply-add and no libm — so that
// every language and both backends produce the same bits. On the host this file
// must be compiled with -ffp-contract=off; on the device the _rn intrinsics
// forbid contraction.
#pragma once

#include <stdint.h>

#include "hd.h"

namespace reel {

#if defined(__CUDA_ARCH__)
REEL_HD double dadd(double a, double b) { return __dadd_rn(a, b); }
REEL_HD double dsub(double a, double b) { return __dsub_rn(a, b); }
REEL_HD double dmul(double a, double b) { return __dmul_rn(a, b); }
REEL_HD double ddiv(double a, double b) { return __ddiv_rn(a, b); }
REEL_HD double dsqrt(double a) { return __dsqrt_rn(a); }
REEL_HD uint32_t mulhi32(uint32_t a, uint32_t b) { return __umulhi(a, b); }
#else
REEL_HD double dadd(double a, double b) { return a + b; }
REEL_HD double dsub(double a, double b) { return a - b; }
REEL_HD double dmul(double a, double b) { return a * b; }
REEL_HD double ddiv(double a, double b) { return a / b; }
REEL_HD double dsqrt(double a) { return __builtin_sqrt(a); }
REEL_HD uint32_t mulhi32(uint32_t a, uint32_t b) {
    return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
}
#endif

struct Philox4 {
    uint32_t v[4];
};

REEL_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                              uint32_t k1) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    const uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += W0;
            k1 += W1;
        }
        const uint32_t hi0 = mulhi32(M0, c0), lo0 = M0 * c0;
        const uint32_t hi1 = mulhi32(M1, c2), lo1 = M1 * c2;
        const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    return Philox4{{c0, c1, c2, c3}};
}

// Natural log of u in (0, 1], |error| < 2 ulp; see the contract above.
REEL_HD double philox_ln(double u) {
    uint64_t bits;
    __builtin_memcpy(&bits, &u, sizeof bits);
    int e = static_cast<int>((bits >> 52) & 0x7FF) - 1023;  // u is normal: u >= 2^-33
    bits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    double m;
    __builtin_memcpy(&m, &bits, sizeof m);
    if (m > 1.4142135623730951) {
        m = dmul(m, 0.5);
        e += 1;
    }
    const double s = ddiv(dsub(m, 1.0), dadd(m, 1.0));
    const double s2 = dmul(s, s);
    double p = 0.0;
    for (int k = 12; k >= 0; --k) p = dadd(dmul(p, s2), ddiv(1.0, static_cast<double>(2 * k + 1)));
    const double lnm = dmul(dmul(2.0, s), p);
    return dadd(dmul(static_cast<double>(e), 0.6931471805599453), lnm);
}

// (cos 2πu, sin 2πu) for u in [0, 1).
REEL_HD void philox_cos_sin(double u, double* c, double* s) {
    const double x4 = dmul(u, 4.0);
    const int q = static_cast<int>(x4);  // x4 >= 0, so truncation is floor
    const double a = dmul(dsub(x4, static_cast<double>(q)), 1.5707963267948966);
    const double a2 = dmul(a, a);
    double ts = 1.0, tc = 1.0;
    for (int k = 11; k >= 1; --k) {
        ts = dsub(1.0, dmul(ddiv(a2, static_cast<double>((2 * k) * (2 * k + 1))), ts));
        tc = dsub(1.0, dmul(ddiv(a2, static_cast<double>((2 * k - 1) * (2 * k))), tc));
    }
    const double sa = dmul(a, ts), ca = tc;
    switch (q) {
        case 0: *c = ca; *s = sa; break;
        case 1: *c = -sa; *s = ca; break;
        case 2: *c = -ca; *s = -sa; break;
        default: *c = sa; *s = -ca; break;
    }
}

// The two normals of pair (a, b): out[0] uses cos, out[1] uses sin.
REEL_HD void philox_box_muller(uint32_t a, uint32_t b, float* out) {
    const double two_m32 = 2.3283064365386963e-10;  // 2^-32, exact
    const double u1 = dmul(dadd(static_cast<double>(a), 0.5), two_m32);
    const double u2 = dmul(static_cast<double>(b), two_m32);
    const double r = dsqrt(dmul(-2.0, philox_ln(u1)));
    double c, s;
    philox_cos_sin(u2, &c, &s);
    out[0] = static_cast<float>(dmul(r, c));
    out[1] = static_cast<float>(dmul(r, s));
}

// The four normals of group g = i >> 2 (elements 4g .. 4g+3).
REEL_HD void philox_normal4(uint64_t seed, uint64_t stream, uint64_t g, float* out) {
    const Philox4 x = philox4x32_10(static_cast<uint32_t>(g), static_cast<uint32_t>(g >> 32),
                                    static_cast<uint32_t>(stream),
                                    static_cast<uint32_t>(stream >> 32),
                                    static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    philox_box_muller(x.v[0], x.v[1], out);
    philox_box_muller(x.v[2], x.v[3], out + 2);
}

}  // namespace reel
