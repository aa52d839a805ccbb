/*
 * Cortex-M fast paths for the int8 dot products of CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED, selected at compile time:
 *   QK_ARM_MVE  Helium (M55: __ARM_FEATURE_MVE integer), arm_mve.h intrinsics
 *   QK_ARM_DSP  DSP extension (M4, M7, M33: __ARM_FEATURE_DSP), SMLAD / SXTB16 via arm_acle.h
 * Neither (or an unoptimized -O0 build, where the asm blocks' register needs cannot be met): the
 * portable C in the kernels runs unchanged (host builds never include these headers).
 * Every helper computes the same integer sums as the portable loops (bit-exact outputs).
 *
 * DSP row order. SMLAD multiplies two int16 pairs; a word of four int8 filter values w0..w3
 * widens with two SXTB16 into the pairs (w0, w2) and (w1, w3). Rather than re-pairing the filter
 * (PKHBT) every time it is used, the int16 receptive-field row is stored "pair-swapped": each
 * aligned group of four values v0..v3 as (v0, v2, v1, v3), so its two words line up with the
 * filter's two SXTB16 halves. The row is permuted once per pixel and used by every filter.
 */
#ifndef QK_ARM_H
#define QK_ARM_H

#include "qk_internal.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && defined(__OPTIMIZE__) && !defined(QK_NO_ARM)
#define QK_ARM_MVE 1
#include <arm_mve.h>
#elif defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) && defined(__OPTIMIZE__) && !defined(QK_NO_ARM)
#define QK_ARM_DSP 1
#include <arm_acle.h>
#endif

#if defined(QK_ARM_DSP)

/* Unaligned-safe 32-bit loads / stores (one LDR / STR: unaligned access is allowed on v7-M). */
static inline uint32_t qk_arm_ld32(const void *p) {
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}
static inline void qk_arm_st32(void *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }
static inline uint32_t qk_arm_ror8(uint32_t x) { return (x >> 8) | (x << 24); }
/* SXTB16 of x rotated by 8 (bytes 1 and 3) in one instruction; gcc 12 keeps a separate ROR
 * for __sxtb16(ror(x)). */
static inline int16x2_t qk_arm_sxtb16_hi(uint32_t x) {
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* Position of natural index i (within a group of four) in the pair-swapped order. */
#define QK_ARM_SWZ(i) (((i) & ~3) | (((i) & 1) << 1) | (((i) >> 1) & 1))

/* Zero row[n..np) (natural order; np a multiple of 4), then pair-swap every group of four. */
static inline void qk_arm_row_swizzle(int16_t *row, int32_t n, int32_t np) {
    for (int32_t i = n; i < np; ++i) row[i] = 0;
    for (int32_t i = 0; i < np; i += 4) {
        const uint32_t a = qk_arm_ld32(row + i), b = qk_arm_ld32(row + i + 2); /* (v0,v1) (v2,v3) */
        qk_arm_st32(row + i, (a & 0xFFFFu) | (b << 16));            /* (v0, v2): PKHBT */
        qk_arm_st32(row + i + 2, (b & 0xFFFF0000u) | (a >> 16));    /* (v1, v3): PKHTB */
    }
}

/* row[0..n) = x[i] - zp, pair-swapped (n a multiple of 4): SXTAB16 adds -zp in both lanes. */
static inline void qk_arm_row_s8(const int8_t *x, int32_t n, int32_t zp, int16_t *row) {
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-zp;
    const int16x2_t off = (int16x2_t)(nz | (nz << 16));
    for (int32_t i = 0; i < n; i += 4) {
        const uint32_t v = qk_arm_ld32(x + i);
        qk_arm_st32(row + i, (uint32_t)__sxtab16(off, (int8x4_t)v));
        qk_arm_st32(row + i + 2, (uint32_t)__sxtab16(off, (int8x4_t)qk_arm_ror8(v)));
    }
}

/* acc + the two SMLADs of one pair-swapped group: row words xa, xb, filter word f. */
#define QK_ARM_MAC4(acc, xa, xb, f)                                                        \
    (acc) = __smlad((int16x2_t)(xb), qk_arm_sxtb16_hi(f),                                   \
                    __smlad((int16x2_t)(xa), __sxtb16((int8x4_t)(f)), (acc)))

/* Tail of a dot (n % 4 values from n4 on): natural index i sits at QK_ARM_SWZ(i). */
static inline int32_t qk_arm_tail(const int16_t *x, const int8_t *w, int32_t n4, int32_t n) {
    int32_t a = 0;
    for (int32_t i = n4; i < n; ++i) a += (int32_t)x[QK_ARM_SWZ(i)] * w[i];
    return a;
}

/* s[j] = dot(row, w + j * ks) over n values, j < 4; row pair-swapped (padded to 4). The loop
 * walks two filter pointers (rows 0, 1; rows 2, 3 at + 2 ks) and one row pointer, so the four
 * accumulators, two row words and the filter temporaries stay in registers. */
static inline void qk_arm_dot4(const int16_t *x, const int8_t *w, int32_t n, int32_t ks,
                               int32_t *s) {
    const int8_t *p0 = w, *p1 = w + ks;
    const int32_t k2 = 2 * ks;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int32_t n4 = n & ~3;
    const int16_t *xe = x + n4;
    if (n4 > 0) {
        /* per group of four: 2 row words, 4 filter words, 8 SXTB16, 8 SMLAD (gcc 12 spills the
         * accumulators of the C form of this loop, hence the asm) */
        const int16_t *xp = x;
        const int32_t k2m = k2 - 4; /* rows 2, 3 relative to the post-incremented p0, p1 */
        uint32_t xa, xb, f, t;
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[xa], [%[xp]], #4\n\t"
            "ldr    %[xb], [%[xp]], #4\n\t"
            "ldr    %[f], [%[p0]], #4\n\t"
            "sxtb16 %[t], %[f]\n\t"
            "smlad  %[a0], %[xa], %[t], %[a0]\n\t"
            "sxtb16 %[f], %[f], ror #8\n\t"
            "smlad  %[a0], %[xb], %[f], %[a0]\n\t"
            "ldr    %[f], [%[p1]], #4\n\t"
            "sxtb16 %[t], %[f]\n\t"
            "smlad  %[a1], %[xa], %[t], %[a1]\n\t"
            "sxtb16 %[f], %[f], ror #8\n\t"
            "smlad  %[a1], %[xb], %[f], %[a1]\n\t"
            "ldr    %[f], [%[p0], %[k2m]]\n\t"
            "sxtb16 %[t], %[f]\n\t"
            "smlad  %[a2], %[xa], %[t], %[a2]\n\t"
            "sxtb16 %[f], %[f], ror #8\n\t"
            "smlad  %[a2], %[xb], %[f], %[a2]\n\t"
            "ldr    %[f], [%[p1], %[k2m]]\n\t"
            "sxtb16 %[t], %[f]\n\t"
            "smlad  %[a3], %[xa], %[t], %[a3]\n\t"
            "sxtb16 %[f], %[f], ror #8\n\t"
            "smlad  %[a3], %[xb], %[f], %[a3]\n\t"
            "cmp    %[xp], %[xe]\n\t"
            "blo    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(xp),
              [p0] "+r"(p0), [p1] "+r"(p1), [xa] "=&r"(xa), [xb] "=&r"(xb), [f] "=&r"(f),
              [t] "=&r"(t)
            : [xe] "r"(xe), [k2m] "r"(k2m)
            : "cc", "memory");
    }
    if (n4 < n) {
        a0 += qk_arm_tail(x, w, n4, n); a1 += qk_arm_tail(x, w + ks, n4, n);
        a2 += qk_arm_tail(x, w + k2, n4, n); a3 += qk_arm_tail(x, w + ks + k2, n4, n);
    }
    s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3;
}

static inline int32_t qk_arm_dot1(const int16_t *x, const int8_t *w, int32_t n) {
    int32_t a = 0;
    const int32_t n4 = n & ~3;
    for (int32_t i = 0; i < n4; i += 4)
        QK_ARM_MAC4(a, qk_arm_ld32(x + i), qk_arm_ld32(x + i + 2), qk_arm_ld32(w + i));
    return a + qk_arm_tail(x, w, n4, n);
}

/*
 * Two output pixels at once (CONV_2D): their pair-swapped rows are interleaved by group of four
 * values (A's two words, then B's two words), so one LDM fetches both pixels' words of a group
 * and every filter word, once widened, feeds four SMLADs (2 pixels x its 2 halves).
 */
#define QK_ARM_PAIR_MAX 256 /* values per row on this path (two interleaved rows on the stack) */

/* Interleave natural-order src[0..n) (zero padded to np, a multiple of 4; src is scratch and is
 * changed) pair-swapped into dst, as pixel `half` (0: A, 1: B) of the pair layout. */
static inline void qk_arm_pair_row(int16_t *src, int32_t n, int32_t np, int16_t *dst, int half) {
    for (int32_t i = n; i < np; ++i) src[i] = 0;
    dst += 4 * half;
    for (int32_t i = 0; i < np; i += 4, dst += 8) {
        const uint32_t a = qk_arm_ld32(src + i), b = qk_arm_ld32(src + i + 2);
        qk_arm_st32(dst, (a & 0xFFFFu) | (b << 16));
        qk_arm_st32(dst + 2, (b & 0xFFFF0000u) | (a >> 16));
    }
}

/* The same for int8 x[0..n) (n a multiple of 4) minus zp, straight from the input: one LDR and
 * two SXTAB16 (which add -zp in both lanes) per group. dst: the group's place in the pair layout. */
static inline void qk_arm_pair_row_s8(const int8_t *x, int32_t n, int32_t zp, int16_t *dst,
                                      int half) {
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-zp;
    const int16x2_t off = (int16x2_t)(nz | (nz << 16));
    dst += 4 * half;
    for (int32_t i = 0; i < n; i += 4, dst += 8) {
        const uint32_t v = qk_arm_ld32(x + i);
        qk_arm_st32(dst, (uint32_t)__sxtab16(off, (int8x4_t)v));
        qk_arm_st32(dst + 2, (uint32_t)__sxtab16(off, (int8x4_t)qk_arm_ror8(v)));
    }
}

/* The 2 pixel x 2 filter inner loop shared by qk_arm_dot2x2 and qk_arm_dot2x2_run: 16 MACs per
 * trip (ldmia of both pixels' int16 pairs, two filter words widened by SXTB16), label 1. */
#define QK_ARM_DOT2X2_LOOP \
    "ldmia  %[xp]!, {%[xa0], %[xb0], %[xa1], %[xb1]}\n\t" \
    "ldr    %[f], [%[p0]], #4\n\t" \
    "sxtb16 %[t], %[f]\n\t" \
    "smlad  %[a00], %[xa0], %[t], %[a00]\n\t" \
    "smlad  %[a10], %[xa1], %[t], %[a10]\n\t" \
    "sxtb16 %[f], %[f], ror #8\n\t" \
    "smlad  %[a00], %[xb0], %[f], %[a00]\n\t" \
    "smlad  %[a10], %[xb1], %[f], %[a10]\n\t" \
    "ldr    %[f], [%[p1]], #4\n\t" \
    "sxtb16 %[t], %[f]\n\t" \
    "smlad  %[a01], %[xa0], %[t], %[a01]\n\t" \
    "smlad  %[a11], %[xa1], %[t], %[a11]\n\t" \
    "sxtb16 %[f], %[f], ror #8\n\t" \
    "smlad  %[a01], %[xb0], %[f], %[a01]\n\t" \
    "smlad  %[a11], %[xb1], %[f], %[a11]\n\t" \
    "cmp    %[xp], %[xe]\n\t" \
    "blo    1b\n\t"

/* s[0] = dot(A, w0), s[1] = dot(A, w1), s[2] = dot(B, w0), s[3] = dot(B, w1) over n values;
 * xi 4-byte aligned, in the pair layout. */
static inline void qk_arm_dot2x2(const int16_t *xi, const int8_t *w0, const int8_t *w1, int32_t n,
                                 int32_t *s) {
    int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
    const int32_t n4 = n & ~3;
    if (n4 > 0) {
        const int16_t *xp = xi, *xe = xi + 2 * n4;
        const int8_t *p0 = w0, *p1 = w1;
        register uint32_t xa0 __asm__("r2"), xb0 __asm__("r3"), xa1 __asm__("r4"), xb1 __asm__("r5");
        uint32_t f, t;
        __asm__ volatile(
            "1:\n\t"
            QK_ARM_DOT2X2_LOOP
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
              [xp] "+r"(xp), [p0] "+r"(p0), [p1] "+r"(p1), [xa0] "=&r"(xa0), [xb0] "=&r"(xb0),
              [xa1] "=&r"(xa1), [xb1] "=&r"(xb1), [f] "=&r"(f), [t] "=&r"(t)
            : [xe] "r"(xe)
            : "cc", "memory");
    }
    for (int32_t i = n4; i < n; ++i) { /* tail of the last group */
        const int32_t at = 2 * n4 + (QK_ARM_SWZ(i) & 3);
        a00 += (int32_t)xi[at] * w0[i];
        a01 += (int32_t)xi[at] * w1[i];
        a10 += (int32_t)xi[at + 4] * w0[i];
        a11 += (int32_t)xi[at + 4] * w1[i];
    }
    s[0] = a00; s[1] = a01; s[2] = a10; s[3] = a11;
}

/* qk_arm_dot2x2 over runs of filter pairs, the pair loop in asm too (its state lives on the
 * stack: the inner loop needs all 14 registers). For j < npairs, rows w + 2jk and w + 2jk + k:
 * pa[2j], pa[2j + 1] = dots with pixel A, pb[2j], pb[2j + 1] with B, over n4 values (a
 * positive multiple of 4; every row must have n4 readable bytes). */
static __attribute__((noinline, unused)) void
qk_arm_dot2x2_run(const int16_t *xi, const int8_t *w, int32_t k, int32_t n4, int32_t npairs,
                  int32_t *pa, int32_t *pb) {
    const int16_t *xe = xi + 2 * n4, *xp;
    const int8_t *p0 = w, *p1 = w + k;
    register uint32_t xa0 __asm__("r2") = (uint32_t)npairs;
    register uint32_t xb0 __asm__("r3") = (uint32_t)(2 * k - n4); /* p0, p1 to the next pair */
    register uint32_t xa1 __asm__("r4") = (uint32_t)(uintptr_t)xi;
    register uint32_t xb1 __asm__("r5");
    uint32_t a00, a01, a10, a11, f = (uint32_t)(uintptr_t)pa, t = (uint32_t)(uintptr_t)pb;
    __asm__ volatile(
        "push   {r2, r3, r4}\n\t"
        "str    %[t], [sp, #-4]!\n\t"
        "str    %[f], [sp, #-4]!\n\t" /* [sp]: pa, pb, count, step, xi */
        "0:\n\t"
        "ldr    %[xp], [sp, #16]\n\t"
        "mov    %[a00], #0\n\t"
        "mov    %[a01], #0\n\t"
        "mov    %[a10], #0\n\t"
        "mov    %[a11], #0\n\t"
        "1:\n\t"
        QK_ARM_DOT2X2_LOOP
        "ldr    %[f], [sp]\n\t"
        "str    %[a00], [%[f]], #4\n\t"
        "str    %[a01], [%[f]], #4\n\t"
        "str    %[f], [sp]\n\t"
        "ldr    %[f], [sp, #4]\n\t"
        "str    %[a10], [%[f]], #4\n\t"
        "str    %[a11], [%[f]], #4\n\t"
        "str    %[f], [sp, #4]\n\t"
        "ldr    %[t], [sp, #12]\n\t"
        "add    %[p0], %[p0], %[t]\n\t"
        "add    %[p1], %[p1], %[t]\n\t"
        "ldr    %[t], [sp, #8]\n\t"
        "subs   %[t], %[t], #1\n\t"
        "str    %[t], [sp, #8]\n\t"
        "bne    0b\n\t"
        "add    sp, sp, #20\n\t"
        : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
          [xp] "=&r"(xp), [p0] "+r"(p0), [p1] "+r"(p1), [xa0] "+r"(xa0), [xb0] "+r"(xb0),
          [xa1] "+r"(xa1), [xb1] "=&r"(xb1), [f] "+r"(f), [t] "+r"(t)
        : [xe] "r"(xe)
        : "cc", "memory");
}

/* Depthwise taps, four channels at a time: acc[c] (+)= sum_t (x_t[c] - zp) * w_t[c] for the
 * n taps; channel pairs (c, c+2) sit in the lanes of one SXTAB16 / SXTB16 result, and
 * SMLABB / SMLATT multiply-accumulate the matching lanes. Returns the channels done (c_n & ~3). */
static inline int32_t qk_arm_dw_taps(int32_t *acc, const int8_t *const *x, const int8_t *const *w,
                                     int32_t n, int32_t c_n, int32_t zp, int init) {
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-zp;
    const int16x2_t off = (int16x2_t)(nz | (nz << 16));
    const int32_t c4 = c_n & ~3;
    for (int32_t c = 0; c < c4; c += 4) {
        int32_t a0, a1, a2, a3;
        if (init) { a0 = a1 = a2 = a3 = 0; }
        else { a0 = acc[c]; a1 = acc[c + 1]; a2 = acc[c + 2]; a3 = acc[c + 3]; }
        for (int32_t t = 0; t < n; ++t) {
            const uint32_t xv = qk_arm_ld32(x[t] + c), wv = qk_arm_ld32(w[t] + c);
            const int16x2_t x02 = __sxtab16(off, (int8x4_t)xv);
            const int16x2_t x13 = __sxtab16(off, (int8x4_t)qk_arm_ror8(xv));
            const int16x2_t w02 = __sxtb16((int8x4_t)wv);
            const int16x2_t w13 = qk_arm_sxtb16_hi(wv);
            a0 = __smlabb(x02, w02, a0);
            a2 = __smlatt(x02, w02, a2);
            a1 = __smlabb(x13, w13, a1);
            a3 = __smlatt(x13, w13, a3);
        }
        acc[c] = a0; acc[c + 1] = a1; acc[c + 2] = a2; acc[c + 3] = a3;
    }
    return c4;
}


/*
 * Requantize a row of int8 outputs (the fast paths' qk__rq_row_i8: acc + bias, x 2^left, SRDHM,
 * rounding shift right, + zp, clamp), without 64-bit shifts or the sign / magnitude split.
 * With P = xs * m + 2^30 (xs = (acc + bias) * 2^left, m >= 0), SRDHM is h = floor(P / 2^31).
 * The rounding shift (half away from zero) is floor((h + half - [h < 0]) / 2^R) for R >= 1;
 * [h < 0] may be replaced by n = [xs < 0] (they differ only when h == 0, where both give 0),
 * and nested floors merge: r = floor((P + (half - n) 2^31) / 2^(31 + R)) = hi >> (R - 1), hi
 * the top word of the 64-bit SMLAL whose accumulator starts at 2^30 + (half - n) 2^31. With
 * R == 0 (half == 0) the same sum gives h - n = (hi:lo) >> 31, and r = that + n.
 * R comes back from rm = 2^(31 - R) as CLZ(rm).
 */
/* One channel of the first pass (asm body shared by the bias / no-bias loops): acc -> r. */
#define QK_ARM_RQ_BODY                                                                        \
    "ldr    %[t], [%[lm]], #4\n\t"                                                          \
    "mul    %[a], %[a], %[t]\n\t"            /* xs = (acc + bias) * 2^left (wraps) */        \
    "ldr    %[t], [%[hf]], #4\n\t"                                                          \
    "add    %[t], %[t], %[a], asr #31\n\t"   /* t = half - n */                             \
    "ldr    %[m], [%[mu]], #4\n\t"                                                          \
    "add    %[lo], %[k30], %[t], lsl #31\n\t"                                              \
    "asr    %[hi], %[t], #1\n\t"             /* hi:lo = 2^30 + t 2^31 */                    \
    "smlal  %[lo], %[hi], %[a], %[m]\n\t"                                                   \
    "ldr    %[t], [%[rm]], #4\n\t"                                                          \
    "clz    %[t], %[t]\n\t"                  /* R */                                        \
    "subs   %[t], %[t], #1\n\t"                                                             \
    "bmi    2f\n\t"                                                                         \
    "asr    %[hi], %[hi], %[t]\n\t"          /* r = hi >> (R - 1) */                        \
    "3:\n\t"                                                                                \
    "str    %[hi], [%[acc]], #4\n\t"                                                        \
    "cmp    %[acc], %[end]\n\t"                                                             \
    "blo    1b\n\t"                                                                         \
    "b      4f\n\t"                                                                         \
    "2:\n\t"                                                   /* R == 0: r = (hi:lo >> 31) + n */ \
    "lsr    %[lo], %[lo], #31\n\t"                                                          \
    "orr    %[hi], %[lo], %[hi], lsl #1\n\t"                                                \
    "sub    %[hi], %[hi], %[a], asr #31\n\t"                                                \
    "b      3b\n\t"                                                                         \
    "4:\n\t"

static __attribute__((noinline, unused)) void
qk_arm_rq_row_i8(int32_t *acc, const int32_t *bias, const int32_t *mult, const uint32_t *lm,
                 const uint32_t *rm, const uint32_t *hf, int32_t n, int32_t out_zp,
                 int32_t act_min, int32_t act_max, int8_t *out) {
    if (n <= 0) return;
    /* pass 1 (asm: the C form spills), acc[i] = the rounded, shifted value before out_zp */
    int32_t *ap = acc;
    const int32_t *end = acc + n;
    uint32_t a, t, m, lo, hi;
    if (bias != NULL) {
        __asm__ volatile("1:\n\t"
                         "ldr    %[a], [%[acc]]\n\t"
                         "ldr    %[t], [%[bi]], #4\n\t"
                         "add    %[a], %[a], %[t]\n\t" QK_ARM_RQ_BODY
                         : [acc] "+r"(ap), [bi] "+r"(bias), [lm] "+r"(lm), [hf] "+r"(hf),
                           [mu] "+r"(mult), [rm] "+r"(rm), [a] "=&r"(a), [t] "=&r"(t),
                           [m] "=&r"(m), [lo] "=&r"(lo), [hi] "=&r"(hi)
                         : [end] "r"(end), [k30] "r"(0x40000000u)
                         : "cc", "memory");
    } else {
        __asm__ volatile("1:\n\t"
                         "ldr    %[a], [%[acc]]\n\t" QK_ARM_RQ_BODY
                         : [acc] "+r"(ap), [lm] "+r"(lm), [hf] "+r"(hf), [mu] "+r"(mult),
                           [rm] "+r"(rm), [a] "=&r"(a), [t] "=&r"(t), [m] "=&r"(m),
                           [lo] "=&r"(lo), [hi] "=&r"(hi)
                         : [end] "r"(end), [k30] "r"(0x40000000u)
                         : "cc", "memory");
    }
    /* pass 2: + out_zp, clamp, narrow (the full int8 range, as RELU with zero point -128 or no
     * activation give, is one SSAT) */
    if (act_min == -128 && act_max == 127) {
        int32_t i = 0;
        for (; i + 4 <= n; i += 4) { /* (four at a time: LDRD pairs, one loop test) */
            const int32_t v0 = acc[i], v1 = acc[i + 1], v2 = acc[i + 2], v3 = acc[i + 3];
            out[i] = (int8_t)__ssat((int32_t)((uint32_t)v0 + (uint32_t)out_zp), 8);
            out[i + 1] = (int8_t)__ssat((int32_t)((uint32_t)v1 + (uint32_t)out_zp), 8);
            out[i + 2] = (int8_t)__ssat((int32_t)((uint32_t)v2 + (uint32_t)out_zp), 8);
            out[i + 3] = (int8_t)__ssat((int32_t)((uint32_t)v3 + (uint32_t)out_zp), 8);
        }
        for (; i < n; ++i)
            out[i] = (int8_t)__ssat((int32_t)((uint32_t)acc[i] + (uint32_t)out_zp), 8);
        return;
    }
    int32_t i = 0;
#define QK_ARM_CLAMP8(v)                                                                       \
    (int8_t)((v) < act_min ? act_min : ((v) > act_max ? act_max : (v)))
    for (; i + 4 <= n; i += 4) { /* (+ out_zp wraps like TFLM's int32 add) */
        const int32_t v0 = (int32_t)((uint32_t)acc[i] + (uint32_t)out_zp);
        const int32_t v1 = (int32_t)((uint32_t)acc[i + 1] + (uint32_t)out_zp);
        const int32_t v2 = (int32_t)((uint32_t)acc[i + 2] + (uint32_t)out_zp);
        const int32_t v3 = (int32_t)((uint32_t)acc[i + 3] + (uint32_t)out_zp);
        out[i] = QK_ARM_CLAMP8(v0);
        out[i + 1] = QK_ARM_CLAMP8(v1);
        out[i + 2] = QK_ARM_CLAMP8(v2);
        out[i + 3] = QK_ARM_CLAMP8(v3);
    }
    for (; i < n; ++i) {
        const int32_t v = (int32_t)((uint32_t)acc[i] + (uint32_t)out_zp);
        out[i] = QK_ARM_CLAMP8(v);
    }
#undef QK_ARM_CLAMP8
}
#undef QK_ARM_RQ_BODY

#endif /* QK_ARM_DSP */

#if defined(QK_ARM_MVE)

/* s[j] = dot(row, w + j * ks) over n values, j < 4 (natural order; tail-predicated). */
/* (not inlined: the callers' loops then keep their few variables in registers) */
static __attribute__((noinline, unused)) void qk_arm_dot4(const int16_t *x, const int8_t *w,
                                                          int32_t n, int32_t ks, int32_t *s) {
    const int8_t *w0 = w, *w1 = w + ks, *w2 = w + 2 * ks, *w3 = w + 3 * ks;
    const int32_t i = n & ~7;
    /* the tail first (tail-predicated), so only s stays live across the main loop's asm */
    register int32_t a0 __asm__("r6") = 0, a1 __asm__("r8") = 0;
    register int32_t a2 __asm__("r10") = 0, a3 __asm__("r12") = 0;
    if (i < n) {
        const mve_pred16_t p = vctp16q((uint32_t)(n - i));
        const int16x8_t xv = vldrhq_z_s16(x + i, p);
        a0 = vmladavq_p_s16(xv, vldrbq_z_s16(w0 + i, p), p);
        a1 = vmladavq_p_s16(xv, vldrbq_z_s16(w1 + i, p), p);
        a2 = vmladavq_p_s16(xv, vldrbq_z_s16(w2 + i, p), p);
        a3 = vmladavq_p_s16(xv, vldrbq_z_s16(w3 + i, p), p);
    }
    if (i > 0) {
        /* 8 values per trip: 1 row load, 4 widening filter loads, 4 VMLAVA (low-overhead loop).
         * In asm because gcc 12 spills the five pointers of the intrinsics form; VMLAVA's
         * accumulator must be an even register (hence the pinned ones) and the widening
         * VLDRB.S16 a low base register ("l"). */
        __asm__ volatile(
            "dls    lr, %[cnt]\n\t"
            "1:\n\t"
            "vldrh.u16 q0, [%[xp]], #16\n\t"
            "vldrb.s16 q1, [%[q0]], #8\n\t"
            "vldrb.s16 q2, [%[q1]], #8\n\t"
            "vmlava.s16 %[a0], q0, q1\n\t"
            "vldrb.s16 q3, [%[q2]], #8\n\t"
            "vmlava.s16 %[a1], q0, q2\n\t"
            "vldrb.s16 q4, [%[q3]], #8\n\t"
            "vmlava.s16 %[a2], q0, q3\n\t"
            "vmlava.s16 %[a3], q0, q4\n\t"
            "le     lr, 1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(x),
              [q0] "+l"(w0), [q1] "+l"(w1), [q2] "+l"(w2), [q3] "+l"(w3)
            : [cnt] "r"(i >> 3)
            : "lr", "memory", "q0", "q1", "q2", "q3", "q4");
    }
    s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3;
}

static inline int32_t qk_arm_dot1(const int16_t *x, const int8_t *w, int32_t n) {
    int32_t a = 0;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) a = vmladavaq_s16(a, vld1q_s16(x + i), vldrbq_s16(w + i));
    if (i < n) {
        const mve_pred16_t p = vctp16q((uint32_t)(n - i));
        a = vmladavaq_p_s16(a, vldrhq_z_s16(x + i, p), vldrbq_z_s16(w + i, p), p);
    }
    return a;
}

/* Depthwise taps: acc[c] (+)= sum_t (x_t[c] - zp) * w_t[c], one tap at a time over all c_n
 * channels in int32x4 vectors (unpredicated main loop, predicated tail). Returns c_n. */
static inline int32_t qk_arm_dw_taps(int32_t *acc, const int8_t *const *x, const int8_t *const *w,
                                     int32_t n, int32_t c_n, int32_t zp, int init) {
    const int32_t c4 = c_n & ~3;
    for (int32_t t = 0; t < n; ++t) {
        const int8_t *xp = x[t], *wp = w[t];
        if (init && t == 0) {
            for (int32_t c = 0; c < c4; c += 4)
                vst1q_s32(acc + c, vmulq_s32(vsubq_n_s32(vldrbq_s32(xp + c), zp), vldrbq_s32(wp + c)));
        } else {
            for (int32_t c = 0; c < c4; c += 4)
                vst1q_s32(acc + c, vaddq_s32(vld1q_s32(acc + c),
                                             vmulq_s32(vsubq_n_s32(vldrbq_s32(xp + c), zp),
                                                       vldrbq_s32(wp + c))));
        }
        if (c4 < c_n) {
            const mve_pred16_t p = vctp32q((uint32_t)(c_n - c4));
            int32x4_t v = vmulq_s32(vsubq_n_s32(vldrbq_z_s32(xp + c4, p), zp),
                                    vldrbq_z_s32(wp + c4, p));
            if (!(init && t == 0)) v = vaddq_s32(v, vldrwq_z_s32(acc + c4, p));
            vstrwq_p_s32(acc + c4, v, p);
        }
    }
    return c_n;
}

/* row[0..n) = x[i] - zp (the receptive-field gather), 8 lanes per widening load. */
static inline void qk_arm_widen_s8(const int8_t *x, int32_t n, int32_t zp, int16_t *row) {
    const int32_t n8 = n & ~7;
    for (int32_t i = 0; i < n8; i += 8)
        vst1q_s16(row + i, vsubq_n_s16(vldrbq_s16(x + i), (int16_t)zp));
    if (n8 < n) {
        const mve_pred16_t p = vctp16q((uint32_t)(n - n8));
        vstrhq_p_s16(row + n8, vsubq_n_s16(vldrbq_z_s16(x + n8, p), (int16_t)zp), p);
    }
}

/* Requantize int8 outputs, four lanes at a time: SRDHM is VQRDMULH exactly (it rounds
 * floor((x m + 2^30) / 2^31); saturation needs x == m == INT32_MIN, and m >= 0), and the
 * rounding shift right (half away from zero) is VRSHL by -R after adding -1 to negative values
 * when R > 0 (the sign bit of x & -R). e = -R, R = CLZ(rm), rm = 2^(31 - R). */
static inline int32x4_t qk_arm_rq4(int32x4_t a, int32x4_t mult, uint32x4_t lm, int32x4_t e) {
    a = vmulq_s32(a, vreinterpretq_s32_u32(lm));
    a = vqrdmulhq_s32(a, mult);
    return vrshlq_s32(vaddq_s32(a, vshrq_n_s32(vandq_s32(a, e), 31)), e);
}

/* The same when every channel has R > 0 (so no left shift either: lm == 1), as quantized models
 * mostly do: -1 goes to every negative value. */
static inline int32x4_t qk_arm_rq4_right(int32x4_t a, int32x4_t mult, int32x4_t e) {
    a = vqrdmulhq_s32(a, mult);
    return vrshlq_s32(vaddq_s32(a, vshrq_n_s32(a, 31)), e);
}

/* Whether every channel i < n has R > 0 (rm[i] <= 2^30) and no left shift (lm[i] == 1). */
static inline int qk_arm_rq_right(const uint32_t *lm, const uint32_t *rm, int32_t n) {
    for (int32_t i = 0; i < n; ++i)
        if (lm[i] != 1u || rm[i] > (1u << 30)) return 0;
    return 1;
}

/* Requantize channels [i, i + 4) of NP pixels: out[q * ostride + i + l] from
 * acc[q * QK_ARM_ACC_STRIDE + i + l] (+ bias), each channel's parameters loaded once for all;
 * TAIL: only the lanes of p (else unpredicated: gcc keeps an all-true predicate's VPSTs);
 * RIGHT: qk_arm_rq4_right applies (qk_arm_rq_right). */
#define QK_ARM_ACC_STRIDE 64
#define QK_ARM_LD(T, ptr) (TAIL ? vldrwq_z_##T(ptr, p) : vld1q_##T(ptr))
static inline __attribute__((always_inline)) void
qk_arm_rq_step(const int32_t *acc, const int NP, const int32_t *bias, const int32_t *mult,
               const uint32_t *lm, const uint32_t *rm, int32_t i, const int TAIL, mve_pred16_t p,
               const int RIGHT, int32_t out_zp, int32x4_t lo, int32x4_t hi, int8_t *out,
               int32_t ostride) {
    const int32x4_t b = bias != NULL ? QK_ARM_LD(s32, bias + i) : vdupq_n_s32(0);
    const int32x4_t m = QK_ARM_LD(s32, mult + i);
    const uint32x4_t l = RIGHT ? vdupq_n_u32(1) : QK_ARM_LD(u32, lm + i);
    const int32x4_t e = vnegq_s32(vreinterpretq_s32_u32(vclzq_u32(QK_ARM_LD(u32, rm + i))));
#pragma GCC unroll 3
    for (int q = 0; q < NP; ++q) {
        int32x4_t a = QK_ARM_LD(s32, acc + q * QK_ARM_ACC_STRIDE + i);
        if (bias != NULL) a = vaddq_s32(a, b);
        a = RIGHT ? qk_arm_rq4_right(a, m, e) : qk_arm_rq4(a, m, l, e);
        const int32x4_t r = vminq_s32(vmaxq_s32(vaddq_n_s32(a, out_zp), lo), hi);
        if (TAIL) vstrbq_p_s32(out + q * ostride + i, r, p);
        else vstrbq_s32(out + q * ostride + i, r);
    }
}
#undef QK_ARM_LD

/* NP pixels' rows of n channels (acc rows QK_ARM_ACC_STRIDE apart, outputs ostride apart):
 * whole vectors, then the predicated tail. */
static inline __attribute__((always_inline)) void
qk_arm_rq_rows(const int32_t *acc, const int NP, const int32_t *bias, const int32_t *mult,
               const uint32_t *lm, const uint32_t *rm, int32_t n, const int RIGHT, int32_t out_zp,
               int32_t act_min, int32_t act_max, int8_t *out, int32_t ostride) {
    const int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
    int32_t i = 0;
    for (; i + 4 <= n; i += 4)
        qk_arm_rq_step(acc, NP, bias, mult, lm, rm, i, 0, 0, RIGHT, out_zp, lo, hi, out, ostride);
    if (i < n)
        qk_arm_rq_step(acc, NP, bias, mult, lm, rm, i, 1, vctp32q((uint32_t)(n - i)), RIGHT,
                       out_zp, lo, hi, out, ostride);
}

/* (not inlined: the callers' loops stay lean and so does this one) */
static __attribute__((noinline, unused)) void
qk_arm_rq_row_i8(int32_t *acc, const int32_t *bias, const int32_t *mult, const uint32_t *lm,
                 const uint32_t *rm, const uint32_t *hf, int32_t n, int32_t out_zp,
                 int32_t act_min, int32_t act_max, int8_t *out) {
    (void)hf;
    if (bias != NULL)
        qk_arm_rq_rows(acc, 1, bias, mult, lm, rm, n, 0, out_zp, act_min, act_max, out, 0);
    else qk_arm_rq_rows(acc, 1, NULL, mult, lm, rm, n, 0, out_zp, act_min, act_max, out, 0);
}

/* The same for npx (1..3) pixels, their accumulators QK_ARM_ACC_STRIDE words apart (bias not
 * NULL); right: qk_arm_rq_right holds for these channels. */
static __attribute__((noinline, unused)) void
qk_arm_rq_px_i8(const int32_t *acc, int32_t npx, const int32_t *bias, const int32_t *mult,
                const uint32_t *lm, const uint32_t *rm, int32_t n, int right, int32_t out_zp,
                int32_t act_min, int32_t act_max, int8_t *out, int32_t ostride) {
    if (bias == NULL) __builtin_unreachable();
    if (npx == 3 && right) {
        qk_arm_rq_rows(acc, 3, bias, mult, lm, rm, n, 1, out_zp, act_min, act_max, out, ostride);
        return;
    }
    if (npx == 3) {
        qk_arm_rq_rows(acc, 3, bias, mult, lm, rm, n, 0, out_zp, act_min, act_max, out, ostride);
        return;
    }
    for (int32_t q = 0; q < npx; ++q)
        qk_arm_rq_rows(acc + q * QK_ARM_ACC_STRIDE, 1, bias, mult, lm, rm, n, 0, out_zp, act_min,
                       act_max, out + q * ostride, 0);
}

/*
 * DEPTHWISE_CONV_2D (depth multiplier 1) on Helium: channels in vector lanes, the accumulators
 * in registers across the taps. acc = beff + sum_t x_t * w_t, the zero point folded into beff
 * and padded taps reading in_zp (see qk__dw_mve in qk_conv.c). Tap t of the pixel at x is
 * x + offs[t] (byte offsets), filter [taps][c_n]. |acc - beff| <= 65536 * 2^14.
 */
typedef struct {
    const int8_t *filter;
    const int32_t *beff, *mult;
    const uint32_t *lm, *rm;
    int32_t c_n, taps, out_zp, act_min, act_max;
    int right; /* qk_arm_rq_right over the channels */
} qk_arm_dw_params;

/* acc[0..8 N8) = channels c.. of the pixel at x (N8: 1 or 2 groups of 8): as int16
 * (VLDRB.S16), VMULLB / VMULLT per 8, so the accumulators hold the even (q0, q2) and odd (q1,
 * q3) channels of each 8; VLD2 / VST2 (de)interleave the bias and the sums. Per tap: 8 or 14
 * instructions. All asm: gcc 12 spills the C form and moves VST2's register pairs around. */
#define QK_ARM_DW8_STEP(e, o, off)                                                           \
    "vldrb.s16 q4, [%[w], #" off "]\n\t"                                                     \
    "vldrb.s16 q5, [%[xt], #" off "]\n\t"                                                    \
    "vmullb.s16 q6, q5, q4\n\t"                                                              \
    "vadd.i32 " e ", " e ", q6\n\t"                                                           \
    "vmullt.s16 q6, q5, q4\n\t"                                                              \
    "vadd.i32 " o ", " o ", q6\n\t"
#define QK_ARM_DW8_ASM(load, steps, store)                                                   \
    __asm__ volatile(load                                                                    \
                     "dls    lr, %[n]\n\t"                                                    \
                     "1:\n\t"                                                                 \
                     "ldr    %[xt], [%[op]], #4\n\t"                                          \
                     "add    %[xt], %[xt], %[xc]\n\t" steps                                   \
                     "add    %[w], %[w], %[cn]\n\t"                                           \
                     "le     lr, 1b\n\t" store                                                \
                     : [op] "+r"(op), [w] "+l"(w), [xt] "=&l"(xt), [b] "+r"(b), [a] "+r"(acc)  \
                     : [n] "r"(P->taps), [xc] "r"(xc), [cn] "r"(P->c_n)                       \
                     : "lr", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6")
static inline __attribute__((always_inline)) void
qk_arm_dw8(const qk_arm_dw_params *P, const int32_t *offs, const int8_t *x, int32_t c,
           const int N8, int32_t *acc) {
    const int32_t *op = offs, *b = P->beff + c;
    const int8_t *w = P->filter + c, *xc = x + c, *xt;
    if (N8 == 2)
        QK_ARM_DW8_ASM("vld20.32 {q0, q1}, [%[b]]\n\t"
                       "vld21.32 {q0, q1}, [%[b]]!\n\t"
                       "vld20.32 {q2, q3}, [%[b]]\n\t"
                       "vld21.32 {q2, q3}, [%[b]]\n\t",
                       QK_ARM_DW8_STEP("q0", "q1", "0") QK_ARM_DW8_STEP("q2", "q3", "8"),
                       "vst20.32 {q0, q1}, [%[a]]\n\t"
                       "vst21.32 {q0, q1}, [%[a]]!\n\t"
                       "vst20.32 {q2, q3}, [%[a]]\n\t"
                       "vst21.32 {q2, q3}, [%[a]]\n\t");
    else
        QK_ARM_DW8_ASM("vld20.32 {q0, q1}, [%[b]]\n\t"
                       "vld21.32 {q0, q1}, [%[b]]\n\t",
                       QK_ARM_DW8_STEP("q0", "q1", "0"),
                       "vst20.32 {q0, q1}, [%[a]]\n\t"
                       "vst21.32 {q0, q1}, [%[a]]\n\t");
}
#undef QK_ARM_DW8_ASM
#undef QK_ARM_DW8_STEP

/* acc[0..n) = channels c..c+n-1 (n <= 4) of the pixel at x, in int32 lanes. */
static inline void qk_arm_dw4(const qk_arm_dw_params *P, const int32_t *offs, const int8_t *x,
                              int32_t c, int32_t n, int32_t *acc) {
    const mve_pred16_t p = vctp32q((uint32_t)n);
    int32x4_t a = vldrwq_z_s32(P->beff + c, p);
    const int8_t *w = P->filter + c, *xc = x + c;
    for (int32_t t = 0; t < P->taps; ++t, w += P->c_n)
        a = vaddq_s32(a, vmulq_s32(vldrbq_z_s32(xc + offs[t], p), vldrbq_z_s32(w, p)));
    vstrwq_p_s32(acc, a, p);
}

/* npx output pixels (out, c_n bytes apart), the first at input x, the next step bytes on, all
 * with the same tap offsets: three pixels' sums of QK_ARM_ACC_STRIDE channels at a time into
 * acc, then their requant (bias already in; parameters loaded once for the three). */
static __attribute__((noinline, unused)) void
qk_arm_dw_run(const qk_arm_dw_params *P, const int32_t *offs, const int8_t *x, int32_t step,
              int32_t npx, int8_t *out) {
    int32_t acc[3 * QK_ARM_ACC_STRIDE];
    const int32_t c_n = P->c_n;
    for (int32_t q0 = 0; q0 < npx; q0 += 3, x += 3 * step, out += 3 * c_n) {
        const int32_t n = npx - q0 < 3 ? npx - q0 : 3;
        for (int32_t c0 = 0; c0 < c_n; c0 += QK_ARM_ACC_STRIDE) {
            const int32_t cn = c_n - c0 < QK_ARM_ACC_STRIDE ? c_n - c0 : QK_ARM_ACC_STRIDE;
            for (int32_t q = 0; q < n; ++q) {
                const int8_t *xq = x + q * step;
                int32_t *a = acc + q * QK_ARM_ACC_STRIDE;
                int32_t j = 0;
                for (; j + 16 <= cn; j += 16) qk_arm_dw8(P, offs, xq, c0 + j, 2, a + j);
                if (j + 8 <= cn) {
                    qk_arm_dw8(P, offs, xq, c0 + j, 1, a + j);
                    j += 8;
                }
                for (; j < cn; j += 4) qk_arm_dw4(P, offs, xq, c0 + j, cn - j < 4 ? cn - j : 4, a + j);
            }
            if (n == 3 && P->right)
                qk_arm_rq_rows(acc, 3, NULL, P->mult + c0, P->lm + c0, P->rm + c0, cn, 1,
                               P->out_zp, P->act_min, P->act_max, out + c0, c_n);
            else
                for (int32_t q = 0; q < n; ++q) {
                    const int32_t *a = acc + q * QK_ARM_ACC_STRIDE;
                    int8_t *o = out + q * c_n + c0;
                    if (P->right)
                        qk_arm_rq_rows(a, 1, NULL, P->mult + c0, P->lm + c0, P->rm + c0, cn, 1,
                                       P->out_zp, P->act_min, P->act_max, o, 0);
                    else
                        qk_arm_rq_rows(a, 1, NULL, P->mult + c0, P->lm + c0, P->rm + c0, cn, 0,
                                       P->out_zp, P->act_min, P->act_max, o, 0);
                }
        }
    }
}

/* d[0..n) = src[0..n): whole vectors, then a tail of VCTP and a VPT block (asm: gcc 12 moves the
 * predicate through a core register and back for each predicated intrinsic) */
static inline void qk_arm_copy_s8(int8_t *d, const int8_t *src, int32_t n) {
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) vst1q_s8(d + i, vld1q_s8(src + i));
    if (i < n) {
        int8x16_t t;
        __asm__ volatile("vctp.8 %[n]\n\t"
                         "vpstt\n\t"
                         "vldrbt.u8 %q[t], [%[s]]\n\t"
                         "vstrbt.8 %q[t], [%[d]]\n\t"
                         : [t] "=&w"(t)
                         : [n] "r"(n - i), [s] "r"(src + i), [d] "r"(d + i)
                         : "memory", "p0");
    }
}

/* d[0..n) = v (the same way) */
static inline void qk_arm_fill_s8(int8_t *d, int8_t v, int32_t n) {
    const int8x16_t x = vdupq_n_s8(v);
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) vst1q_s8(d + i, x);
    if (i < n)
        __asm__ volatile("vctp.8 %[n]\n\t"
                         "vpst\n\t"
                         "vstrbt.8 %q[x], [%[d]]\n\t"
                         :
                         : [x] "w"(x), [n] "r"(n - i), [d] "r"(d + i)
                         : "memory", "p0");
}

/* sum of w[0..n) (int8), 16 lanes per VADDVA (whole vectors unpredicated: gcc spends four
 * instructions on each predicated one) */
static inline int32_t qk_arm_sum_s8(const int8_t *w, int32_t n) {
    int32_t s = 0, i = 0;
    for (; i + 16 <= n; i += 16) s = vaddvaq_s8(s, vld1q_s8(w + i));
    if (i < n) {
        const mve_pred16_t p = vctp8q((uint32_t)(n - i));
        s = vaddvaq_p_s8(s, vldrbq_z_s8(w + i, p), p);
    }
    return s;
}

/*
 * CONV_2D block kernel: 3 output pixels x 2 filters per inner loop, int8 x int8 with VMLADAVA.S8
 * (16 MACs per instruction; the caller folds -in_zp * sum(w) into the bias and fills padded taps
 * with in_zp, so the raw int8 values multiply directly). rows: the 3 pixels' receptive fields
 * (k int8 values each) interleaved by 16-byte chunks, [ceil(k / 16)][3][16]. For j < npairs,
 * filters 2j and 2j + 1 (rows of k bytes from w): acc[q * 64 + 2j + f] = dot(pixel q, filter
 * 2j + f) (acc rows QK_ARM_ACC_STRIDE words apart). k >= 16: the first 16 values start the
 * sums, the rest is a tail-predicated loop (WLSTP.8), so nothing past a row or filter is read.
 * Naked asm: the loop needs 14 registers (6 accumulators (VMLADAVA wants even ones), row, rows
 * base, 2 filter pointers, next pair, k, acc, LR), and the pair count lives on the stack.
 */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* (naked: the asm reads r0-r3, [sp]) */
static __attribute__((naked, noinline, unused)) void
qk_arm_conv3x2(const int8_t *rows, const int8_t *w, int32_t k, int32_t npairs, int32_t *acc) {
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldr    r11, [sp, #36]\n\t"      /* acc (5th argument) */
        "push   {r3}\n\t"                /* [sp]: pairs left */
        "mov    r7, r0\n\t"              /* rows */
        "sub    r9, r2, #16\n\t"         /* k - 16: values after the first chunk */
        "mov    r12, r1\n\t"             /* this pair's first filter */
        "1:\n\t"
        "mov    r5, r7\n\t"
        "mov    r1, r12\n\t"
        "add    r3, r12, r9\n\t"
        "add    r3, r3, #16\n\t"         /* the pair's second filter, k on */
        "vldrb.u8 q0, [r5], #48\n\t"     /* first chunk (whole: k >= 16), not accumulating */
        "vldrb.u8 q1, [r5, #-32]\n\t"
        "vldrb.u8 q2, [r5, #-16]\n\t"
        "vldrb.u8 q3, [r1], #16\n\t"
        "vmladav.s8 r0, q0, q3\n\t"
        "vmladav.s8 r4, q1, q3\n\t"
        "vmladav.s8 r8, q2, q3\n\t"
        "vldrb.u8 q3, [r3], #16\n\t"
        "vmladav.s8 r2, q0, q3\n\t"
        "vmladav.s8 r6, q1, q3\n\t"
        "vmladav.s8 r10, q2, q3\n\t"
        "wlstp.8 lr, r9, 3f\n\t"
        "2:\n\t"
        "vldrb.u8 q0, [r5], #48\n\t"
        "vldrb.u8 q1, [r5, #-32]\n\t"
        "vldrb.u8 q2, [r5, #-16]\n\t"
        "vldrb.u8 q3, [r1], #16\n\t"
        "vmladava.s8 r0, q0, q3\n\t"
        "vmladava.s8 r4, q1, q3\n\t"
        "vmladava.s8 r8, q2, q3\n\t"
        "vldrb.u8 q3, [r3], #16\n\t"
        "vmladava.s8 r2, q0, q3\n\t"
        "vmladava.s8 r6, q1, q3\n\t"
        "vmladava.s8 r10, q2, q3\n\t"
        "letp   lr, 2b\n\t"
        "3:\n\t"
        "strd   r4, r6, [r11, #256]\n\t"
        "strd   r8, r10, [r11, #512]\n\t"
        "strd   r0, r2, [r11], #8\n\t"
        "add    r12, r12, r9, lsl #1\n\t"
        "add    r12, r12, #32\n\t"       /* the next pair: 2 k on */
        "ldr    r1, [sp]\n\t"
        "subs   r1, r1, #1\n\t"
        "str    r1, [sp]\n\t"
        "bne    1b\n\t"
        "add    sp, sp, #4\n\t"
        "pop    {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop

/*
 * The same for short filters, k <= 16 NK (NK 1 or 2): the 3 pixels' rows stay in q0..q(3 NK - 1)
 * (lanes past k zeroed by the predicated loads), so a filter pair costs its 2 NK loads, 6 NK
 * VMLADAV(A)s and the stores: 14 or 22 instructions instead of qk_arm_conv3x2's 30 or 42. The
 * filter loads are not predicated: every pair must have 16 NK readable bytes from each of its
 * filters (the caller copies the last ones out with slack). (not inlined: the asm needs most
 * registers)
 */
#define QK_ARM_SK_PAIR_END                                                                   \
    "strd   r4, r6, [%[acc], #256]\n\t"                                                      \
    "strd   r8, r10, [%[acc], #512]\n\t"                                                     \
    "strd   r0, r2, [%[acc]], #8\n\t"                                                        \
    "le     lr, 1b\n\t"
static __attribute__((noinline, unused)) void
qk_arm_conv3x2_short(const int8_t *rows, const int8_t *w, int32_t k, int32_t npairs, int32_t *acc,
                     int NK) {
    if (NK == 1)
        __asm__ volatile(
            "vctp.8 %[k]\n\t"
            "vpsttt\n\t"
            "vldrbt.u8 q0, [%[rows]]\n\t"
            "vldrbt.u8 q1, [%[rows], #16]\n\t"
            "vldrbt.u8 q2, [%[rows], #32]\n\t"
            "dls    lr, %[n]\n\t"
            "1:\n\t"
            "vldrb.u8 q3, [%[w]]\n\t"
            "add    %[w], %[w], %[k]\n\t"
            "vldrb.u8 q4, [%[w]]\n\t"
            "add    %[w], %[w], %[k]\n\t"
            "vmladav.s8 r0, q0, q3\n\t"
            "vmladav.s8 r2, q0, q4\n\t"
            "vmladav.s8 r4, q1, q3\n\t"
            "vmladav.s8 r6, q1, q4\n\t"
            "vmladav.s8 r8, q2, q3\n\t"
            "vmladav.s8 r10, q2, q4\n\t" QK_ARM_SK_PAIR_END
            : [w] "+r"(w), [acc] "+r"(acc)
            : [rows] "r"(rows), [k] "r"(k), [n] "r"(npairs)
            : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "memory", "p0", "q0", "q1", "q2", "q3",
              "q4");
    else
        __asm__ volatile(
            "vldrb.u8 q0, [%[rows]]\n\t"
            "vldrb.u8 q1, [%[rows], #16]\n\t"
            "vldrb.u8 q2, [%[rows], #32]\n\t"
            "vctp.8 %[k16]\n\t"
            "vpsttt\n\t"
            "vldrbt.u8 q3, [%[rows], #48]\n\t"
            "vldrbt.u8 q4, [%[rows], #64]\n\t"
            "vldrbt.u8 q5, [%[rows], #80]\n\t"
            "dls    lr, %[n]\n\t"
            "1:\n\t"
            "vldrb.u8 q6, [%[w]]\n\t"
            "vldrb.u8 q7, [%[w], #16]\n\t"
            "add    %[w], %[w], %[k]\n\t"
            "vmladav.s8 r0, q0, q6\n\t"
            "vmladava.s8 r0, q3, q7\n\t"
            "vmladav.s8 r4, q1, q6\n\t"
            "vmladava.s8 r4, q4, q7\n\t"
            "vmladav.s8 r8, q2, q6\n\t"
            "vmladava.s8 r8, q5, q7\n\t"
            "vldrb.u8 q6, [%[w]]\n\t"
            "vldrb.u8 q7, [%[w], #16]\n\t"
            "add    %[w], %[w], %[k]\n\t"
            "vmladav.s8 r2, q0, q6\n\t"
            "vmladava.s8 r2, q3, q7\n\t"
            "vmladav.s8 r6, q1, q6\n\t"
            "vmladava.s8 r6, q4, q7\n\t"
            "vmladav.s8 r10, q2, q6\n\t"
            "vmladava.s8 r10, q5, q7\n\t" QK_ARM_SK_PAIR_END
            : [w] "+r"(w), [acc] "+r"(acc)
            : [rows] "r"(rows), [k] "r"(k), [k16] "r"(k - 16), [n] "r"(npairs)
            : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "memory", "p0", "q0", "q1", "q2", "q3",
              "q4", "q5", "q6", "q7");
}
#undef QK_ARM_SK_PAIR_END

#endif /* QK_ARM_MVE */

#endif /* QK_ARM_H */
