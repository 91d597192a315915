"""Reel's Philox4x32-10 normal noise; bit for bit the same as the Java and C++ implementations.

The value at flattened element i is a pure function of (seed, stream, i): counter
(lo(i>>2), hi(i>>2), lo(stream), hi(stream)), key (lo(seed), hi(seed)); of the four words
x0..x3, element i uses the pair (x[2j], x[2j+1]) with j = (i & 3) >> 1 for a Box-Muller draw,
cosine for even i and sine for odd i. The log, sine and cosine are the fixed polynomial
evaluations below in IEEE double without fused multiply-add (numpy float64 elementwise ops
round each operation), so every platform gets the same float32."""
import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF
LN2 = 0.6931471805599453
SQRT2 = 1.4142135623730951
HALF_PI = 1.5707963267948966


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Vectorised over uint64 arrays holding 32-bit values."""
    m = np.uint64(MASK)
    c0, c1, c2, c3 = (np.asarray(c, np.uint64) & m for c in (c0, c1, c2, c3))
    k0 = np.asarray(k0, np.uint64) & m
    k1 = np.asarray(k1, np.uint64) & m
    for r in range(10):
        p0 = np.uint64(M0) * c0
        p1 = np.uint64(M1) * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & np.uint64(MASK)
        hi1, lo1 = p1 >> np.uint64(32), p1 & np.uint64(MASK)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        if r < 9:
            k0 = (k0 + np.uint64(W0)) & np.uint64(MASK)
            k1 = (k1 + np.uint64(W1)) & np.uint64(MASK)
    return c0, c1, c2, c3


def _ln(u):
    m, e = np.frexp(u)
    m = m * 2.0
    e = (e - 1).astype(np.float64)
    big = m > SQRT2
    m = np.where(big, m / 2.0, m)
    e = np.where(big, e + 1.0, e)
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    p = np.zeros_like(s)
    for k in range(12, -1, -1):
        p = p * s2 + 1.0 / (2 * k + 1)
    return e * LN2 + (2.0 * s) * p


def _sin_cos(a):
    a2 = a * a
    t = np.ones_like(a)
    for k in range(11, 0, -1):
        t = 1.0 - (a2 / float((2 * k) * (2 * k + 1))) * t
    sin_a = a * t
    t = np.ones_like(a)
    for k in range(11, 0, -1):
        t = 1.0 - (a2 / float((2 * k - 1) * (2 * k))) * t
    return sin_a, t


def normal(n, seed, stream=0, offset=0):
    """float32 [n]: elements offset .. offset+n-1 of the (seed, stream) sequence."""
    i = np.arange(offset, offset + n, dtype=np.uint64)
    return normal_at(i, seed, stream)


def normal_at(i, seed, stream=0):
    i = np.asarray(i, np.uint64)
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    stream = int(stream) & 0xFFFFFFFFFFFFFFFF
    g = i >> np.uint64(2)
    x = philox4x32(g & np.uint64(MASK), g >> np.uint64(32), np.uint64(stream & MASK), np.uint64(stream >> 32),
                   np.uint64(seed & MASK), np.uint64(seed >> 32))
    j = (i & np.uint64(3)) >> np.uint64(1)
    a = np.where(j == 0, x[0], x[2]).astype(np.float64)
    b = np.where(j == 0, x[1], x[3]).astype(np.float64)
    u1 = (a + 0.5) * 2.0 ** -32
    u2 = b * 2.0 ** -32
    r = np.sqrt(-2.0 * _ln(u1))
    x4 = u2 * 4.0
    q = np.floor(x4)
    f = x4 - q
    sin_a, cos_a = _sin_cos(f * HALF_PI)
    q = q.astype(np.int64)
    c = np.choose(q, [cos_a, -sin_a, -cos_a, sin_a])
    s = np.choose(q, [sin_a, cos_a, -sin_a, -cos_a])
    z = np.where((i & np.uint64(1)) == 0, r * c, r * s)
    return z.astype(np.float32)


def noise(shape, seed, stream=0):
    """A tensor of the given shape filled row-major from element 0."""
    n = int(np.prod(shape))
    return normal(n, seed, stream).reshape(shape)
