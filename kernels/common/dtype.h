// dtype.h — bf16 / fp16 storage conversions shared by the CPU backend and CUDA.
// Round to nearest even; NaN stays a (quiet) NaN; overflow goes to infinity.
#pragma once

#include <stdint.h>

#include "hd.h"

namespace reel {

REEL_HD uint32_t f32_bits(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, sizeof u);
    return u;
}

REEL_HD float bits_f32(uint32_t u) {
    float f;
    __builtin_memcpy(&f, &u, sizeof f);
    return f;
}

REEL_HD uint16_t f32_to_bf16(float f) {
    const uint32_t u = f32_bits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
    const uint32_t rounding = 0x7FFFu + ((u >> 16) & 1u);
    return static_cast<uint16_t>((u + rounding) >> 16);
}

REEL_HD float bf16_to_f32(uint16_t h) { return bits_f32(static_cast<uint32_t>(h) << 16); }

REEL_HD uint16_t f32_to_f16(float f) {
    const uint32_t u = f32_bits(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t absu = u & 0x7FFFFFFFu;
    if (absu > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u | ((absu >> 13) & 0x3FFu));
    if (absu >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to >= 65520: inf
    if (absu < 0x38800000u) {
        // Result is subnormal (or zero) in fp16: value = mant * 2^-24.
        if (absu < 0x33000000u) return static_cast<uint16_t>(sign);  // below half the smallest
        const uint32_t exp = absu >> 23;
        const uint32_t mant = (absu & 0x7FFFFFu) | 0x800000u;
        const uint32_t shift = 126u - exp;  // 14 + (113 - exp) - 1 ... brings mant to 2^-24 units
        const uint32_t q = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1u);
        const uint32_t half = 1u << (shift - 1u);
        const uint32_t r = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
        return static_cast<uint16_t>(sign | r);
    }
    const uint32_t rebased = absu - 0x38000000u;  // exponent 127 -> 15
    const uint32_t rounding = 0xFFFu + ((rebased >> 13) & 1u);
    return static_cast<uint16_t>(sign | ((rebased + rounding) >> 13));
}

REEL_HD float f16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1Fu;
    const uint32_t mant = h & 0x3FFu;
    if (exp == 0x1Fu) return bits_f32(sign | 0x7F800000u | (mant << 13));
    if (exp == 0) {
        if (mant == 0) return bits_f32(sign);
        // subnormal: mant * 2^-24
        const float v = static_cast<float>(mant) * 5.9604644775390625e-08f;
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

}  // namespace reel
