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

/* acc + SXTB16 of x rotated by 8, in one SXTAB16 (see qk_arm_sxtb16_hi). */
static inline uint32_t qk_arm_sxtab16_hi(uint32_t acc, uint32_t x) {
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
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

/* row[0..n) = x[i] - zp in natural order (the receptive-field gather): per four values one LDR,
 * two SXTAB16 and the two PKH that restore the order. */
static inline void qk_arm_widen_s8(const int8_t *x, int32_t n, int32_t zp, int16_t *row) {
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-zp;
    const int16x2_t off = (int16x2_t)(nz | (nz << 16));
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t v = qk_arm_ld32(x + i);
        const uint32_t e = (uint32_t)__sxtab16(off, (int8x4_t)v);              /* (v0, v2) */
        const uint32_t o = (uint32_t)__sxtab16(off, (int8x4_t)qk_arm_ror8(v)); /* (v1, v3) */
        qk_arm_st32(row + i, (e & 0xFFFFu) | (o << 16));
        qk_arm_st32(row + i + 2, (o & 0xFFFF0000u) | (e >> 16));
    }
    for (; i < n; ++i) row[i] = (int16_t)((int32_t)x[i] - zp);
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
 * Four output pixels at once (CONV_2D): their pair-swapped rows are interleaved by group of
 * four values (A's two words, B's, C's, D's), so two LDMs fetch the four pixels' words of a
 * group and every filter word, once widened, feeds eight SMLADs (4 pixels x its 2 halves).
 */
#define QK_ARM_QUAD_MAX 288 /* values per row on this path (four interleaved rows on the stack) */
#define QK_ARM_QUAD_ACC 64  /* accumulators per pixel in the run's buffer (a multiple of 4) */

/* Zero one pixel's np values (a multiple of 4) from its first group at dst on: the quad layout
 * (groups 16 int16 apart), or with pair the pair layout (8 apart; qk__lane in qk_conv.c). */
static inline void qk_arm_quad_zero(int32_t np, int16_t *dst, int pair) {
    const int32_t step = pair ? 8 : 16;
    for (int32_t i = 0; i < np; i += 4, dst += step) qk_arm_st32(dst, 0), qk_arm_st32(dst + 2, 0);
}

/* Two groups per trip of qk_arm_quad_row_s8, groups STEP bytes apart. */
#define QK_ARM_QUAD_ROW_LOOP(STEP)                                                             \
    __asm__ volatile("1:\n\t"                                                                   \
                     "ldr     %[v], [%[x]], #4\n\t"                                             \
                     "ldr     %[u], [%[x]], #4\n\t"                                             \
                     "sxtab16 %[e], %[off], %[v]\n\t"                                           \
                     "sxtab16 %[o], %[off], %[v], ror #8\n\t"                                   \
                     "strd    %[e], %[o], [%[d]], #" STEP "\n\t"                                \
                     "sxtab16 %[e], %[off], %[u]\n\t"                                           \
                     "sxtab16 %[o], %[off], %[u], ror #8\n\t"                                   \
                     "strd    %[e], %[o], [%[d]], #" STEP "\n\t"                                \
                     "cmp     %[x], %[xe]\n\t"                                                  \
                     "blo     1b\n\t"                                                           \
                     : [x] "+r"(x), [d] "+r"(dst), [v] "=&r"(v), [u] "=&r"(u), [e] "=&r"(e),    \
                       [o] "=&r"(o)                                                            \
                     : [xe] "r"(xe), [off] "r"(off)                                             \
                     : "cc", "memory")

/* One pixel's row from its first group at dst on (layout as for qk_arm_quad_zero): int8
 * x[0..n) (n a multiple of 4) minus zp, pair-swapped; one LDR and two SXTAB16 (which add -zp
 * in both lanes) per group, two groups per trip (an odd first one alone). (asm: gcc 12 spills
 * the end pointer of the C loop and keeps a separate ROR) */
static inline void qk_arm_quad_row_s8(const int8_t *x, int32_t n, int32_t zp, int16_t *dst,
                                      int pair) {
    if (n <= 0) return;
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-zp;
    const uint32_t off = nz | (nz << 16);
    if (n & 4) {
        const uint32_t v = qk_arm_ld32(x);
        qk_arm_st32(dst, (uint32_t)__sxtab16((int16x2_t)off, (int8x4_t)v));
        qk_arm_st32(dst + 2, qk_arm_sxtab16_hi(off, v));
        x += 4, dst += pair ? 8 : 16, n -= 4;
        if (n == 0) return;
    }
    const int8_t *xe = x + n;
    uint32_t v, u, e, o;
    if (pair)
        QK_ARM_QUAD_ROW_LOOP("16");
    else
        QK_ARM_QUAD_ROW_LOOP("32");
}
#undef QK_ARM_QUAD_ROW_LOOP

/* Two pixels' rows x0[0..n), x1[0..n) (n a positive multiple of 4) as one half of the pair
 * layout at d (per group A's two words, then B's: qk_arm_dot2x2_run16), minus zp,
 * pair-swapped: the 1x1 fields of two output pixels in one loop. */
static inline void qk_arm_pair_rows_s8(const int8_t *x0, const int8_t *x1, int32_t n, int32_t zp,
                                       int16_t *d) {
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-zp;
    const int8_t *xe = x0 + n;
    uint32_t v, u, e, o;
    __asm__ volatile("1:\n\t"
                     "ldr     %[v], [%[x0]], #4\n\t"
                     "ldr     %[u], [%[x1]], #4\n\t"
                     "sxtab16 %[e], %[off], %[v]\n\t"
                     "sxtab16 %[o], %[off], %[v], ror #8\n\t"
                     "strd    %[e], %[o], [%[d]], #8\n\t"
                     "sxtab16 %[e], %[off], %[u]\n\t"
                     "sxtab16 %[o], %[off], %[u], ror #8\n\t"
                     "strd    %[e], %[o], [%[d]], #8\n\t"
                     "cmp     %[x0], %[xe]\n\t"
                     "blo     1b\n\t"
                     : [x0] "+r"(x0), [x1] "+r"(x1), [d] "+r"(d), [v] "=&r"(v), [u] "=&r"(u),
                       [e] "=&r"(e), [o] "=&r"(o)
                     : [xe] "r"(xe), [off] "r"(nz | (nz << 16))
                     : "cc", "memory");
}

/* acc[p * QK_ARM_QUAD_ACC] += dot(lane p of xi, w) over n values (any n), p < 4, in C: for
 * filters whose rows cannot be over-read to a multiple of 4. */
static inline void qk_arm_dot4x1(const int16_t *xi, const int8_t *w, int32_t n, int32_t *acc) {
    const int32_t n4 = n & ~3;
    int32_t a[4] = {acc[0], acc[QK_ARM_QUAD_ACC], acc[2 * QK_ARM_QUAD_ACC], acc[3 * QK_ARM_QUAD_ACC]};
    for (int32_t i = 0; i < n4; i += 4, xi += 16) {
        const uint32_t f = qk_arm_ld32(w + i);
        const int16x2_t fe = __sxtb16((int8x4_t)f), fo = qk_arm_sxtb16_hi(f);
        for (int p = 0; p < 4; ++p)
            a[p] = __smlad((int16x2_t)qk_arm_ld32(xi + 4 * p + 2), fo,
                           __smlad((int16x2_t)qk_arm_ld32(xi + 4 * p), fe, a[p]));
    }
    for (int32_t i = n4; i < n; ++i) /* natural index i sits at QK_ARM_SWZ(i) within its group */
        for (int p = 0; p < 4; ++p) a[p] += (int32_t)xi[4 * p + (QK_ARM_SWZ(i) & 3)] * w[i];
    for (int p = 0; p < 4; ++p) acc[p * QK_ARM_QUAD_ACC] = a[p];
}

/* The sum of |byte differences| between w's n4 (> 0) groups of 8 int16 and the int8 groups
 * of four f0[0..4 n4), f1[0..4 n4) widened and pair-swapped, as conv_w16 interleaves a filter
 * pair (0: they agree), for the per-invoke check of the int16 filters: USADA8 compares and
 * accumulates two words at once. Two groups per trip (an odd first one alone), one LDM per
 * group's four int16 words: 24 instructions per sixteen values (< 2^31 for n4 < 2^20). */
#define QK_ARM_W16_DIFF_HALF(F, A, B)                                                          \
    "sxtb16  %[t], " F "\n\t"                                                                 \
    "usada8  %[d], " A ", %[t], %[d]\n\t"                                                     \
    "sxtb16  %[t], " F ", ror #8\n\t"                                                         \
    "usada8  %[d], " B ", %[t], %[d]\n\t"
static __attribute__((noinline, unused)) uint32_t
qk_arm_w16_diff(const int8_t *f0, const int8_t *f1, const int16_t *w, int32_t n4) {
    /* LDM fills registers in ascending order: pin them */
    register uint32_t a __asm__("r2"), b __asm__("r3"), c __asm__("r4"), e __asm__("r5");
    register uint32_t v __asm__("r6");
    uint32_t d = 0, u, t;
    if (n4 & 1) {
        __asm__ volatile("ldr     %[v], [%[f0]], #4\n\t"
                         "ldr     %[u], [%[f1]], #4\n\t"
                         "ldmia   %[w]!, {%[a], %[b], %[c], %[e]}\n\t"
                         QK_ARM_W16_DIFF_HALF("%[v]", "%[a]", "%[b]")
                         QK_ARM_W16_DIFF_HALF("%[u]", "%[c]", "%[e]")
                         : [d] "+r"(d), [f0] "+r"(f0), [f1] "+r"(f1), [w] "+r"(w), [v] "=&r"(v),
                           [u] "=&r"(u), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e),
                           [t] "=&r"(t)
                         :
                         : "memory");
        if (n4 == 1) return d;
    }
    const int8_t *fe = f0 + 4 * (n4 & ~1);
    __asm__ volatile("1:\n\t"
                     "ldr     %[v], [%[f0]], #4\n\t" /* (int8 rows: not word aligned) */
                     "ldr     %[u], [%[f0]], #4\n\t"
                     "ldmia   %[w]!, {%[a], %[b], %[c], %[e]}\n\t"
                     QK_ARM_W16_DIFF_HALF("%[v]", "%[a]", "%[b]")
                     "ldr     %[a], [%[f1]], #4\n\t"
                     "ldr     %[b], [%[f1]], #4\n\t"
                     QK_ARM_W16_DIFF_HALF("%[a]", "%[c]", "%[e]")
                     "ldmia   %[w]!, {%[a], %[c], %[e], %[v]}\n\t" /* (b: f1's second word) */
                     QK_ARM_W16_DIFF_HALF("%[u]", "%[a]", "%[c]")
                     QK_ARM_W16_DIFF_HALF("%[b]", "%[e]", "%[v]")
                     "cmp     %[f0], %[fe]\n\t"
                     "blo     1b\n\t"
                     : [d] "+r"(d), [f0] "+r"(f0), [f1] "+r"(f1), [w] "+r"(w), [v] "=&r"(v),
                       [u] "=&r"(u), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e),
                       [t] "=&r"(t)
                     : [fe] "r"(fe)
                     : "cc", "memory");
    return d;
}
#undef QK_ARM_W16_DIFF_HALF

/* One group of the 4 pixel x 1 filter loop: 16 MACs. */
#define QK_ARM_DOT4X1_GROUP                                                                    \
    "ldr    %[f], [%[wp]], #4\n\t"                                                          \
    "sxtb16 %[t], %[f]\n\t"                                                                 \
    "sxtb16 %[f], %[f], ror #8\n\t"                                                         \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" /* A, B */                           \
    "smlad  %[aa], %[x0], %[t], %[aa]\n\t"                                                  \
    "smlad  %[aa], %[x1], %[f], %[aa]\n\t"                                                  \
    "smlad  %[ab], %[x2], %[t], %[ab]\n\t"                                                  \
    "smlad  %[ab], %[x3], %[f], %[ab]\n\t"                                                  \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" /* C, D */                           \
    "smlad  %[ac], %[x0], %[t], %[ac]\n\t"                                                  \
    "smlad  %[ac], %[x1], %[f], %[ac]\n\t"                                                  \
    "smlad  %[ad], %[x2], %[t], %[ad]\n\t"                                                  \
    "smlad  %[ad], %[x3], %[f], %[ad]\n\t"

/* The run's loop entry (f = its address, Thumb bit set) for t = 4 * (number of groups mod 4),
 * and the loop, four groups per trip, entered at the group that leaves a multiple of four. */
#define QK_ARM_DOT4X1_ENTRY                                                                    \
    "adr    %[f], 10f\n\t"                                                                   \
    "cmp    %[t], #4\n\t"                                                                    \
    "it     eq\n\t"                                                                          \
    "adreq  %[f], 13f\n\t"                                                                   \
    "cmp    %[t], #8\n\t"                                                                    \
    "it     eq\n\t"                                                                          \
    "adreq  %[f], 12f\n\t"                                                                   \
    "cmp    %[t], #12\n\t"                                                                   \
    "it     eq\n\t"                                                                          \
    "adreq  %[f], 11f\n\t"                                                                   \
    "orr    %[f], %[f], #1\n\t"
#define QK_ARM_DOT4X1_LOOP                                                                     \
    "10:\n\t" QK_ARM_DOT4X1_GROUP "11:\n\t" QK_ARM_DOT4X1_GROUP                                 \
    "12:\n\t" QK_ARM_DOT4X1_GROUP "13:\n\t" QK_ARM_DOT4X1_GROUP                                 \
    "cmp    %[xp], %[xe]\n\t"                                                                \
    "blo    10b\n\t"

/* For filters j < nf (rows k apart from w; each must have n4 readable bytes):
 * acc[j + p * QK_ARM_QUAD_ACC] (+)= dot(lane p of xi, row j) over n4 values (a positive
 * multiple of 4), p < 4; add: accumulate, else store. The filter loop is in asm too and keeps
 * its state on the stack: the inner loop (four groups per trip) needs all 14 registers. A
 * filter enters the loop at the group that leaves a multiple of four: the entry address, picked
 * once per call, is loaded straight into pc. (The #256 offsets: QK_ARM_QUAD_ACC int32 per
 * pixel.) */
static __attribute__((noinline, unused)) void
qk_arm_dot4x1_run(const int16_t *xi, const int8_t *w, int32_t k, int32_t n4, int32_t nf,
                  int32_t *acc, int add) {
    const int16_t *xe = xi + 4 * n4, *xp;
    const int8_t *wp = w;
    /* LDM fills registers in ascending order: pin them */
    register uint32_t x0 __asm__("r2") = (uint32_t)nf;
    register uint32_t x1 __asm__("r3") = (uint32_t)(k - n4); /* wp to the next filter row */
    register uint32_t x2 __asm__("r4") = (uint32_t)(uintptr_t)xi;
    /* bits 2, 3: the number of groups mod 4 (times 4); bit 0: add */
    register uint32_t x3 __asm__("r5") = (uint32_t)(n4 & 12) | (add ? 1u : 0u);
    uint32_t aa, ab, ac, ad, f = (uint32_t)(uintptr_t)acc, t;
    __asm__ volatile(
        "push   {r2, r3, r4, r5}\n\t"
        "str    %[f], [sp, #-4]!\n\t"
        "and    %[t], %[x3], #12\n\t"
        QK_ARM_DOT4X1_ENTRY
        "str    %[f], [sp, #-4]!\n\t" /* [sp]: entry, acc, count, step, xi, flags */
        "0:\n\t"
        "ldr    %[xp], [sp, #16]\n\t"
        "ldr    %[t], [sp, #20]\n\t"
        "tst    %[t], #1\n\t"
        "bne    3f\n\t"
        "mov    %[aa], #0\n\t"
        "mov    %[ab], #0\n\t"
        "mov    %[ac], #0\n\t"
        "mov    %[ad], #0\n\t"
        "ldr    pc, [sp]\n\t"
        "3:\n\t"
        "ldr    %[f], [sp, #4]\n\t"
        "ldr    %[aa], [%[f]]\n\t"
        "ldr    %[ab], [%[f], #256]\n\t"
        "ldr    %[ac], [%[f], #512]\n\t"
        "ldr    %[ad], [%[f], #768]\n\t"
        "ldr    pc, [sp]\n\t"
        QK_ARM_DOT4X1_LOOP
        "ldr    %[f], [sp, #4]\n\t"
        "str    %[ad], [%[f], #768]\n\t"
        "str    %[ac], [%[f], #512]\n\t"
        "str    %[ab], [%[f], #256]\n\t"
        "str    %[aa], [%[f]], #4\n\t"
        "str    %[f], [sp, #4]\n\t"
        "ldr    %[t], [sp, #12]\n\t"
        "add    %[wp], %[wp], %[t]\n\t"
        "ldr    %[t], [sp, #8]\n\t"
        "subs   %[t], %[t], #1\n\t"
        "str    %[t], [sp, #8]\n\t"
        "bne    0b\n\t"
        "add    sp, sp, #24\n\t"
        : [aa] "=&r"(aa), [ab] "=&r"(ab), [ac] "=&r"(ac), [ad] "=&r"(ad), [xp] "=&r"(xp),
          [wp] "+r"(wp), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3),
          [f] "+r"(f), [t] "=&r"(t)
        : [xe] "r"(xe)
        : "cc", "memory");
}

/* One lane of the fused requant (qk_arm_rq_rec_i8's step with the bias already in the sum A):
 * xp the channel's record, f its multiplier, t its shift word, x2 = 2^31; result in x1.
 * ZP_ADD: "" for records with the zero point folded in, else the add of the zero point that
 * the shift word carries from bit 9 on (qk__rq_rec). */
#define QK_ARM_DOT4X1_RQ(A, ZP_ADD)                                                            \
    "ldrd   %[x0], %[x1], [%[xp], #8]\n\t"                                                   \
    "smlal  %[x0], %[x1], " A ", %[f]\n\t"                                                   \
    "lsr    " A ", " A ", #31\n\t"                                                           \
    "smlal  %[x0], %[x1], " A ", %[x2]\n\t"                                                  \
    "asr    %[x1], %[x1], %[t]\n\t"                                                          \
    ZP_ADD                                                                                    \
    "ssat   %[x1], #8, %[x1]\n\t"

/* NAME(xi, w, k, n4, nf, rec, out, os): qk_arm_dot4x1_run (add 0) with the requant fused in,
 * for records with (ZP_ADD "") or without (ZP_ADD adding it) the zero point folded in, and the
 * full int8 activation range: out[p * os + j] = the requantized dot of lane p and filter row j,
 * j < nf, from rec[5 j ..] (qk__rq_rec). The sums start at the bias and go through the requant
 * straight from registers: no int32 store and reload, and no requant call per pixel and
 * channel chunk. */
#define QK_ARM_DOT4X1_RQ_RUN_FN(NAME, ZP_ADD) \
static __attribute__((noinline, unused)) void                                                   \
NAME(const int16_t *xi, const int8_t *w, int32_t k, int32_t n4, int32_t nf,                     \
     const int32_t *rec, int8_t *out, int32_t os) {                                             \
    const int16_t *xe = xi + 4 * n4, *xp = (const int16_t *)(const void *)rec;                  \
    const int8_t *wp = w;                                                                       \
    register uint32_t x0 __asm__("r2") = (uint32_t)(uintptr_t)(rec + 5 * nf);                   \
    register uint32_t x1 __asm__("r3") = (uint32_t)(k - n4); /* wp to the next filter row */    \
    register uint32_t x2 __asm__("r4") = (uint32_t)(uintptr_t)xi;                               \
    register uint32_t x3 __asm__("r5") = (uint32_t)(uintptr_t)out;                              \
    uint32_t aa, ab, ac, ad, f = (uint32_t)os, t = (uint32_t)(n4 & 12);                         \
    __asm__ volatile(                                                                           \
        "str    %[f], [sp, #-4]!\n\t"                                                           \
        "push   {r2, r3, r4, r5}\n\t"                                                           \
        "str    %[xp], [sp, #-4]!\n\t"                                                          \
        QK_ARM_DOT4X1_ENTRY                                                                     \
        "str    %[f], [sp, #-4]!\n\t" /* [sp]: entry, rec, rec end, step, xi, out, os */        \
        "0:\n\t"                                                                                \
        "ldr    %[t], [sp, #4]\n\t"                                                             \
        "ldr    %[xp], [sp, #16]\n\t"                                                           \
        "ldr    %[aa], [%[t]]\n\t"    /* the bias */                                            \
        "mov    %[ab], %[aa]\n\t"                                                               \
        "mov    %[ac], %[aa]\n\t"                                                               \
        "mov    %[ad], %[aa]\n\t"                                                               \
        "ldr    pc, [sp]\n\t"                                                                   \
        QK_ARM_DOT4X1_LOOP                                                                      \
        "ldr    %[xp], [sp, #4]\n\t"                                                            \
        "ldr    %[f], [%[xp], #4]\n\t"                                                          \
        "ldr    %[t], [%[xp], #16]\n\t"                                                         \
        "mov    %[x2], #0x80000000\n\t"                                                         \
        "ldr    %[x3], [sp, #20]\n\t"                                                           \
        QK_ARM_DOT4X1_RQ("%[aa]", ZP_ADD)                                                       \
        "strb   %[x1], [%[x3]]\n\t"                                                             \
        "ldr    %[aa], [sp, #24]\n\t"                                                           \
        QK_ARM_DOT4X1_RQ("%[ab]", ZP_ADD)                                                       \
        "strb   %[x1], [%[x3], %[aa]]\n\t"                                                      \
        QK_ARM_DOT4X1_RQ("%[ac]", ZP_ADD)                                                       \
        "add    %[ab], %[x3], %[aa], lsl #1\n\t"                                                \
        "strb   %[x1], [%[ab]]\n\t"                                                             \
        QK_ARM_DOT4X1_RQ("%[ad]", ZP_ADD)                                                       \
        "strb   %[x1], [%[ab], %[aa]]\n\t"                                                      \
        "add    %[x3], %[x3], #1\n\t"                                                           \
        "str    %[x3], [sp, #20]\n\t"                                                           \
        "add    %[xp], %[xp], #20\n\t"                                                          \
        "str    %[xp], [sp, #4]\n\t"                                                            \
        "ldr    %[t], [sp, #12]\n\t"                                                            \
        "add    %[wp], %[wp], %[t]\n\t"                                                         \
        "ldr    %[t], [sp, #8]\n\t"                                                             \
        "cmp    %[xp], %[t]\n\t"                                                                \
        "bne    0b\n\t"                                                                         \
        "add    sp, sp, #28\n\t"                                                                \
        : [aa] "=&r"(aa), [ab] "=&r"(ab), [ac] "=&r"(ac), [ad] "=&r"(ad), [xp] "+r"(xp),        \
          [wp] "+r"(wp), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3),            \
          [f] "+r"(f), [t] "+r"(t)                                                              \
        : [xe] "r"(xe)                                                                          \
        : "cc", "memory");                                                                      \
}

typedef void (*qk_arm_rq_run_fn)(const int16_t *xi, const int8_t *w, int32_t k, int32_t n4,
                                 int32_t nf, const int32_t *rec, int8_t *out, int32_t os);
QK_ARM_DOT4X1_RQ_RUN_FN(qk_arm_dot4x1_rq_run, "")
QK_ARM_DOT4X1_RQ_RUN_FN(qk_arm_dot4x1_rq_zp_run, "add    %[x1], %[x1], %[t], asr #9\n\t")
#undef QK_ARM_DOT4X1_RQ_RUN_FN
#undef QK_ARM_DOT4X1_RQ
#undef QK_ARM_DOT4X1_LOOP
#undef QK_ARM_DOT4X1_ENTRY
#undef QK_ARM_DOT4X1_GROUP

/*
 * The int16-filter kernels: 2 output pixels x 2 filters per pass, with the filter pre-widened by
 * the lowering (conv_w16 in interp/ops/conv.py: filter pairs interleaved by group of four
 * values, each pair-swapped, rows zero padded to n4) and the two pixels' rows interleaved by
 * group (A's two words, B's: a half of the pair layout, qk__lane in qk_conv.c). One LDM fetches
 * the two pixels' words of a group, one LDM the two filters', no SXTB16: 10 instructions per 16
 * MACs. Naked: the loop needs all 14 registers (r0 row, r1 filter, r2-r5 row words, r6-r9
 * filter words, r10 r11 pixel A's sums for filters 0 and 1, r12 lr pixel B's), so the loop end
 * and the per-pass state live on the stack. Eight groups per trip; a pass enters at the group
 * that leaves a multiple of eight (the groups are 40 bytes: LDM.W, SMLAD).
 */
#define QK_ARM_DOT2X2_GROUP16                                                                  \
    "ldmia.w r0!, {r2, r3, r4, r5}\n\t"                                                      \
    "ldmia.w r1!, {r6, r7, r8, r9}\n\t"                                                      \
    "smlad  r10, r2, r6, r10\n\t"                                                            \
    "smlad  r10, r3, r7, r10\n\t"                                                            \
    "smlad  r11, r2, r8, r11\n\t"                                                            \
    "smlad  r11, r3, r9, r11\n\t"                                                            \
    "smlad  r12, r4, r6, r12\n\t"                                                            \
    "smlad  r12, r5, r7, r12\n\t"                                                            \
    "smlad  lr, r4, r8, lr\n\t"                                                              \
    "smlad  lr, r5, r9, lr\n\t"
/* r12 = the row end (r0 + 4 n4 bytes, n4 in r2), r7 = the loop entry (Thumb bit set) for
 * n4 / 4 groups; r6 clobbered */
#define QK_ARM_DOT2X2_ENTRY16                                                                  \
    "add    r12, r0, r2, lsl #2\n\t"                                                         \
    "lsr    r6, r2, #2\n\t"                                                                  \
    "rsb    r6, r6, #0\n\t"                                                                  \
    "and    r6, r6, #7\n\t"                                                                  \
    "add    r6, r6, r6, lsl #2\n\t"                                                          \
    "adr    r7, 10f\n\t"                                                                     \
    "add    r7, r7, r6, lsl #3\n\t"                                                          \
    "orr    r7, r7, #1\n\t"
/* the loop, the row end at [sp + XE] */
#define QK_ARM_DOT2X2_LOOP16(XE)                                                               \
    "10:\n\t" QK_ARM_DOT2X2_GROUP16 QK_ARM_DOT2X2_GROUP16 QK_ARM_DOT2X2_GROUP16                \
    QK_ARM_DOT2X2_GROUP16 QK_ARM_DOT2X2_GROUP16 QK_ARM_DOT2X2_GROUP16 QK_ARM_DOT2X2_GROUP16    \
    QK_ARM_DOT2X2_GROUP16                                                                     \
    "ldr    r2, [sp, #" XE "]\n\t"                                                           \
    "cmp    r0, r2\n\t"                                                                      \
    "blo    10b\n\t"

/* For the filter pairs q < np2 (w: pair 0's rows, each pair 2 n4 int16): acc[2 q + f + p *
 * QK_ARM_QUAD_ACC] (+)= dot(pixel p of xp, filter 2 q + f) over n4 (a positive multiple of 4)
 * values, p, f < 2; add: accumulate, else store. xp: two pixels' rows interleaved by group. A
 * pass starts at the entry picked once per call for add (load the sums) or not (zero them). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* (naked: the asm reads r0-r3, [sp]) */
static __attribute__((naked, noinline, unused)) void
qk_arm_dot2x2_run16(const int16_t *xp, const int16_t *w, int32_t n4, int32_t np2, int32_t *acc,
                    int add) {
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldr    r4, [sp, #36]\n\t"       /* acc */
        "ldr    r8, [sp, #40]\n\t"       /* add */
        "add    r5, r4, r3, lsl #3\n\t"  /* acc + 2 np2: the end */
        QK_ARM_DOT2X2_ENTRY16
        "adr    r6, 1f\n\t"
        "cmp    r8, #0\n\t"
        "it     ne\n\t"
        "adrne  r6, 2f\n\t"
        "orr    r6, r6, #1\n\t"
        /* [sp]: acc, acc end (one LDM), xp, pass start, loop entry, row end */
        "push   {r0, r6, r7, r12}\n\t"
        "push   {r4, r5}\n\t"
        "bx     r6\n\t"
        "1:\n\t"
        "ldr    r0, [sp, #8]\n\t"
        "mov    r10, #0\n\t"
        "mov    r11, #0\n\t"
        "mov    r12, #0\n\t"
        "mov    lr, #0\n\t"
        "ldr    pc, [sp, #16]\n\t"
        "2:\n\t"
        "ldr    r0, [sp, #8]\n\t"
        "ldr    r2, [sp]\n\t"
        "ldrd   r10, r11, [r2]\n\t"
        "ldrd   r12, lr, [r2, #256]\n\t"
        "ldr    pc, [sp, #16]\n\t"
        QK_ARM_DOT2X2_LOOP16("20")
        "ldm    sp, {r2, r3}\n\t"
        "strd   r12, lr, [r2, #256]\n\t"
        "strd   r10, r11, [r2], #8\n\t"
        "str    r2, [sp]\n\t"
        "cmp    r2, r3\n\t"
        "it     ne\n\t"
        "ldrne  pc, [sp, #12]\n\t"
        "add    sp, sp, #24\n\t"
        "pop    {r4-r11, pc}\n\t");
}

/* One output of the fused requant (qk_arm_rq_rec_i8's step with the bias already in the sum
 * A): r0 + OFF - 8 the channel's record, r7 its multiplier, r6 its shift word, r4 = 2^31;
 * result in r3. ZP_ADD as for QK_ARM_DOT4X1_RQ. */
#define QK_ARM_DOT2X2_RQ16(A, OFF, ZP_ADD)                                                     \
    "ldrd   r2, r3, [r0, #" OFF "]\n\t"                                                      \
    "smlal  r2, r3, " A ", r7\n\t"                                                           \
    "lsr    " A ", " A ", #31\n\t"                                                           \
    "smlal  r2, r3, " A ", r4\n\t"                                                           \
    "asr    r3, r3, r6\n\t"                                                                  \
    ZP_ADD                                                                                    \
    "ssat   r3, #8, r3\n\t"

/* NAME(xp, w, n4, np2, rec, out, os): qk_arm_dot2x2_run16 (add 0) with the requant fused in
 * (as QK_ARM_DOT4X1_RQ_RUN_FN): out[p * os + 2 q + f] = the requantized dot of pixel p and
 * filter 2 q + f from rec[5 (2 q + f) ..], the sums starting at the bias. What a pass's
 * requant needs (and 2^31) sits at the stack's bottom, for one LDM, and one STM updates it. */
#define QK_ARM_DOT2X2_RQ16_RUN_FN(NAME, ZP_ADD)                                                 \
static __attribute__((naked, noinline, unused)) void                                            \
NAME(const int16_t *xp, const int16_t *w, int32_t n4, int32_t np2, const int32_t *rec,          \
     int8_t *out, int32_t os) {                                                                 \
    __asm__ volatile(                                                                           \
        "push   {r4-r11, lr}\n\t"                                                               \
        QK_ARM_DOT2X2_ENTRY16                                                                   \
        "ldr    r5, [sp, #40]\n\t"      /* out */                                               \
        "add    r9, r5, r3, lsl #1\n\t" /* out + 2 np2: the end */                              \
        "ldr    r3, [sp, #36]\n\t"      /* rec */                                               \
        "mov    r4, #0x80000000\n\t"                                                            \
        "ldr    r8, [sp, #44]\n\t"      /* os */                                                \
        "sub    r8, r8, #1\n\t"                                                                  \
        "push   {r0, r7, r12}\n\t"                                                              \
        /* [sp]: rec, 2^31, out, os - 1, out end (one LDM), xp, loop entry, row end */          \
        "push   {r3, r4, r5, r8, r9}\n\t"                                                       \
        "mov    r0, r3\n\t"                                                                     \
        "0:\n\t"                                /* r0: the pass's records */                    \
        "ldr    r10, [r0]\n\t"          /* the biases */                                        \
        "ldr    r11, [r0, #20]\n\t"                                                             \
        "mov    r12, r10\n\t"                                                                   \
        "mov    lr, r11\n\t"                                                                    \
        "ldr    r0, [sp, #20]\n\t"                                                              \
        "ldr    pc, [sp, #24]\n\t"                                                              \
        QK_ARM_DOT2X2_LOOP16("28")                                                              \
        "ldm    sp, {r0, r4, r5, r8, r9}\n\t"                                                   \
        "ldr    r7, [r0, #4]\n\t"                                                               \
        "ldr    r6, [r0, #16]\n\t"                                                              \
        /* (pixel A's outputs post-increment out, so B's are at out + os - 1) */                \
        QK_ARM_DOT2X2_RQ16("r10", "8", ZP_ADD)                                                  \
        "strb   r3, [r5], #1\n\t"                                                               \
        QK_ARM_DOT2X2_RQ16("r12", "8", ZP_ADD)                                                  \
        "strb   r3, [r5, r8]\n\t"                                                               \
        "ldr    r7, [r0, #24]\n\t"                                                              \
        "ldr    r6, [r0, #36]\n\t"                                                              \
        QK_ARM_DOT2X2_RQ16("r11", "28", ZP_ADD)                                                 \
        "strb   r3, [r5], #1\n\t"                                                               \
        QK_ARM_DOT2X2_RQ16("lr", "28", ZP_ADD)                                                  \
        "strb   r3, [r5, r8]\n\t"                                                               \
        "add    r0, r0, #40\n\t"                                                                \
        "stm    sp, {r0, r4, r5}\n\t"                                                           \
        "cmp    r5, r9\n\t"                                                                     \
        "bne    0b\n\t"                                                                         \
        "add    sp, sp, #32\n\t"                                                                \
        "pop    {r4-r11, pc}\n\t");                                                             \
}

typedef void (*qk_arm_rq16_run_fn)(const int16_t *xp, const int16_t *w, int32_t n4, int32_t np2,
                                   const int32_t *rec, int8_t *out, int32_t os);
QK_ARM_DOT2X2_RQ16_RUN_FN(qk_arm_dot2x2_rq16_run, "")
QK_ARM_DOT2X2_RQ16_RUN_FN(qk_arm_dot2x2_rq16_zp_run, "add    r3, r3, r6, asr #9\n\t")
#pragma GCC diagnostic pop
#undef QK_ARM_DOT2X2_RQ16_RUN_FN
#undef QK_ARM_DOT2X2_RQ16
#undef QK_ARM_DOT2X2_LOOP16
#undef QK_ARM_DOT2X2_ENTRY16
#undef QK_ARM_DOT2X2_GROUP16

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
            const int16x2_t x13 = (int16x2_t)qk_arm_sxtab16_hi((uint32_t)off, xv);
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
 * One output pixel's depthwise window of any size (depth multiplier 1, dilation 1), four
 * channels per block from the int8 filter: acc[4 b + j] = sum over the window's nky rows and
 * nkx columns of (x - zp) * w for channel 4 b + j, b < n4, the block's sums in registers. In a
 * window row, input and filter columns are both cn bytes apart (dilation 1, one filter per
 * channel), so one register offset, counting down a column at a time, addresses both: per tap
 * two LDR, two SXTAB16 (x - zp), two SXTB16 (w), four SMLAxy, SUBS and the branch.
 */
typedef struct {
    int32_t *acc, *acc_end;  /* the next block's sums, the end of the pixel's */
    const int8_t *x, *w;     /* the block's window top-left input and filter values */
    int32_t rs, ws;          /* input and filter row steps (bytes): in_w * cn, kw * cn */
    int32_t xo0;             /* (nkx - 1) * cn: the last column's offset */
    int32_t nky;             /* window rows, >= 1 */
} qk_arm_dw_win_fr;

/* (the frame goes on the stack: all 14 registers are taken in the tap loop) */
static __attribute__((noinline, unused)) void qk_arm_dw_win(const qk_arm_dw_win_fr *fr,
                                                           uint32_t off, int32_t cn) {
    register int32_t a0 __asm__("r8"), a1 __asm__("r9"), a2 __asm__("r10"), a3 __asm__("r11");
    uint32_t xv = (uint32_t)(uintptr_t)fr, xt, wv, wt, xo, rc;
    const int8_t *xr, *wr;
    __asm__ volatile(
        "sub    sp, sp, #32\n\t"
        "ldmia  %[xv], {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "stmia  sp, {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "add    %[xv], %[xv], #16\n\t"
        "ldmia  %[xv], {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "add    %[xt], sp, #16\n\t"
        "stmia  %[xt], {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "ldrd   %[xr], %[wr], [sp, #8]\n\t"
        "1:\n\t"                                     /* block */
        "ldr    %[rc], [sp, #28]\n\t"
        "movs   %[a0], #0\n\t"
        "movs   %[a1], #0\n\t"
        "movs   %[a2], #0\n\t"
        "movs   %[a3], #0\n\t"
        "2:\n\t"                                     /* window row */
        "ldr    %[xo], [sp, #24]\n\t"
        "3:\n\t"                                     /* tap */
        "ldr    %[xv], [%[xr], %[xo]]\n\t"
        "ldr    %[wv], [%[wr], %[xo]]\n\t"
        "sxtab16 %[xt], %[off], %[xv]\n\t"
        "sxtab16 %[xv], %[off], %[xv], ror #8\n\t"
        "sxtb16 %[wt], %[wv]\n\t"
        "sxtb16 %[wv], %[wv], ror #8\n\t"
        "smlabb %[a0], %[xt], %[wt], %[a0]\n\t"
        "smlatt %[a2], %[xt], %[wt], %[a2]\n\t"
        "smlabb %[a1], %[xv], %[wv], %[a1]\n\t"
        "smlatt %[a3], %[xv], %[wv], %[a3]\n\t"
        "subs   %[xo], %[xo], %[cn]\n\t"
        "bge    3b\n\t"
        "ldrd   %[xv], %[wv], [sp, #16]\n\t"
        "add    %[xr], %[xr], %[xv]\n\t"
        "add    %[wr], %[wr], %[wv]\n\t"
        "subs   %[rc], %[rc], #1\n\t"
        "bne    2b\n\t"
        "ldrd   %[xv], %[xt], [sp]\n\t"              /* block done */
        "stmia  %[xv]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"
        "str    %[xv], [sp]\n\t"
        "ldrd   %[xr], %[wr], [sp, #8]\n\t"
        "add    %[xr], %[xr], #4\n\t"
        "add    %[wr], %[wr], #4\n\t"
        "strd   %[xr], %[wr], [sp, #8]\n\t"
        "cmp    %[xv], %[xt]\n\t"
        "blo    1b\n\t"
        "add    sp, sp, #32\n\t"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xv] "+r"(xv),
          [xt] "=&r"(xt), [wv] "=&r"(wv), [wt] "=&r"(wt), [xo] "=&r"(xo), [rc] "=&r"(rc),
          [xr] "=&r"(xr), [wr] "=&r"(wr)
        : [off] "r"(off), [cn] "r"(cn)
        : "cc", "memory");
}

/*
 * 3x3 depthwise windows (depth multiplier 1, dilation 1), four channels per block, for a run
 * of npx output pixels with the same window of nky x nkx in-image taps (2 or 3 each), each
 * block's four sums requantized from registers and stored as one word: for pixel p, block
 * b < n4 and j < 4, out[p * cn + 4 b + j] = requant(sum over the window of (x - zp) * w) with
 * channel 4 b + j's record (qk__rq_rec in qk_conv.c). x0 is the window's top-left input value
 * of pixel 0, block 0; w the lowering's dw_w16 filter, [block][3][3][4] int16 in pair-swapped
 * order (w0, w2, w1, w3), offset to the window's top-left tap. Per tap: LDR, LDRD, two SXTAB16
 * (x - zp for the channel pairs (0, 2) and (1, 3)), SMLABB / SMLATT onto the matching lanes.
 * Per channel: one LDM of the record, the requant of qk_arm_rq_rec_i8 (records with the zero
 * point folded in), SSAT, and BFI into the word; a narrower activation range is then clamped
 * bytewise (SSUB8 / SEL).
 */
typedef struct {
    int32_t px_step;  /* x pointers, end of a pixel's blocks to the next pixel: sw * cn - 4 n4 */
    int32_t w_back;   /* filter pointer back to block 0: 72 n4 */
    int32_t out_gap;  /* bytes from a pixel's last block to the next pixel: cn - 4 n4 */
    int32_t out_px;   /* bytes per output pixel: cn */
    int32_t rs, cn;   /* input row and pixel steps (bytes) */
    uint32_t off;     /* -zp in both int16 lanes */
    const int32_t *rec; /* the records of channels 0.. */
    uint32_t lo4, hi4; /* act_min, act_max in every byte */
    uint32_t clamp;   /* nonzero when the activation range is narrower than int8's */
} qk_arm_dw3x3_geom;

/* One tap: xa, wa its input and filter addresses; the block's first tap starts the sums. */
#define QK_ARM_DW_TAP(xa, wa)                                                               \
    "ldr    %[xv], " xa "\n\t"                                                              \
    "ldrd   %[w02], %[w13], " wa "\n\t"                                                     \
    "sxtab16 %[xt], %[off], %[xv]\n\t"                                                      \
    "sxtab16 %[xv], %[off], %[xv], ror #8\n\t"                                              \
    ".if .Lqk_dw_first\n\t"                                                                 \
    "smulbb %[a0], %[xt], %[w02]\n\t"                                                       \
    "smultt %[a2], %[xt], %[w02]\n\t"                                                       \
    "smulbb %[a1], %[xv], %[w13]\n\t"                                                       \
    "smultt %[a3], %[xv], %[w13]\n\t"                                                       \
    ".set   .Lqk_dw_first, 0\n\t"                                                           \
    ".else\n\t"                                                                             \
    "smlabb %[a0], %[xt], %[w02], %[a0]\n\t"                                                \
    "smlatt %[a2], %[xt], %[w02], %[a2]\n\t"                                                \
    "smlabb %[a1], %[xv], %[w13], %[a1]\n\t"                                                \
    "smlatt %[a3], %[xv], %[w13], %[a3]\n\t"                                                \
    ".endif\n\t"
/* Window row r (row pointer xr): columns 2 and 1 at register offsets, then column 0, which
 * (rows 1, 2) steps xr to the next block; row 0's column 0 comes last and steps x0 and w. */
#define QK_ARM_DW_ROW(xr, r)                                                                \
    ".if %c[nky] > " #r "\n\t"                                                              \
    ".if %c[nkx] > 2\n\t"                                                                   \
    QK_ARM_DW_TAP("[" xr ", %[cn], lsl #1]", "[%[wp], #(" #r " * 24 + 16)]")                \
    ".endif\n\t"                                                                            \
    ".if %c[nkx] > 1\n\t"                                                                   \
    QK_ARM_DW_TAP("[" xr ", %[cn]]", "[%[wp], #(" #r " * 24 + 8)]")                         \
    ".endif\n\t"                                                                            \
    ".if " #r " > 0\n\t"                                                                    \
    QK_ARM_DW_TAP("[" xr "], #4", "[%[wp], #(" #r " * 24)]")                                \
    ".endif\n\t"                                                                            \
    ".endif\n\t"
/* Requant of sum A (the block's x1, x2 spilled: x1 walks the records, x2 is the shift word,
 * off holds 2^31): the result in w13. */
#define QK_ARM_DW_RQ(A)                                                                     \
    "ldmia  %[x1]!, {%[xv], %[xt], %[w02], %[w13], %[x2]}\n\t" /* bias, m, lo, hi, s */    \
    "add    " A ", " A ", %[xv]\n\t"                                                        \
    "smlal  %[w02], %[w13], " A ", %[xt]\n\t"                                               \
    "lsr    " A ", " A ", #31\n\t"                                                          \
    "smlal  %[w02], %[w13], " A ", %[off]\n\t"  /* - [x < 0] 2^31 */                        \
    "asr    %[w13], %[w13], %[x2]\n\t"

/* frame: [sp] out, [sp, 4] end of the pixel's blocks, [sp, 8] end of the run's last pixel,
 * [sp, 12] gm, [sp, 16] x1 and x2 while the requant runs, [sp, 24] the next record, [sp, 28]
 * off, [sp, 32] lo4, hi4, [sp, 40] clamp (all 14 registers are taken in the tap loop) */
__attribute__((always_inline)) static inline void
qk_arm_dw3x3_win(int8_t *out, int32_t n4, int32_t npx, const int8_t *x0, const int16_t *w,
                 const qk_arm_dw3x3_geom *gm, const int nky, const int nkx) {
    /* LDM fills registers in ascending order: pin them */
    register uint32_t xv __asm__("r0") = (uint32_t)(uintptr_t)out;
    register uint32_t xt __asm__("r1") = (uint32_t)(uintptr_t)(out + 4 * n4);
    register uint32_t w02 __asm__("r2") = (uint32_t)(uintptr_t)(out + (npx - 1) * gm->cn + 4 * n4);
    register uint32_t w13 __asm__("r3") = (uint32_t)(uintptr_t)gm;
    register const int8_t *x2 __asm__("r4");
    register const int8_t *x1 __asm__("r5") = x0 + (nky > 1 ? gm->rs : 0);
    x2 = x1 + (nky > 2 ? gm->rs : 0);
    int32_t a0, a1, a2, a3;
    uint32_t off = gm->off;
    __asm__ volatile(
        "sub    sp, sp, #44\n\t"
        "strd   %[xv], %[xt], [sp]\n\t"
        "strd   %[w02], %[w13], [sp, #8]\n\t"
        "ldr    %[xv], [%[w13], #%c[o_rec]]\n\t"
        "str    %[xv], [sp, #24]\n\t"
        "str    %[off], [sp, #28]\n\t"
        "ldrd   %[xv], %[xt], [%[w13], #%c[o_lo4]]\n\t"
        "ldr    %[w02], [%[w13], #%c[o_clamp]]\n\t"
        "strd   %[xv], %[xt], [sp, #32]\n\t"
        "str    %[w02], [sp, #40]\n\t"
        "1:\n\t"
        ".set   .Lqk_dw_first, 1\n\t"
        QK_ARM_DW_ROW("%[x0]", 0)
        QK_ARM_DW_ROW("%[x1]", 1)
        QK_ARM_DW_ROW("%[x2]", 2)
        QK_ARM_DW_TAP("[%[x0]], #4", "[%[wp]], #72")
        "strd   %[x1], %[x2], [sp, #16]\n\t"
        "ldr    %[x1], [sp, #24]\n\t"
        "mov    %[off], #0x80000000\n\t"
        QK_ARM_DW_RQ("%[a0]")
        "ssat   %[a0], #8, %[w13]\n\t"
        QK_ARM_DW_RQ("%[a1]")
        "ssat   %[w13], #8, %[w13]\n\t"
        "bfi    %[a0], %[w13], #8, #8\n\t"
        QK_ARM_DW_RQ("%[a2]")
        "ssat   %[w13], #8, %[w13]\n\t"
        "bfi    %[a0], %[w13], #16, #8\n\t"
        QK_ARM_DW_RQ("%[a3]")
        "ssat   %[w13], #8, %[w13]\n\t"
        "bfi    %[a0], %[w13], #24, #8\n\t"
        "str    %[x1], [sp, #24]\n\t"
        "ldr    %[xv], [sp, #40]\n\t"
        "cbz    %[xv], 3f\n\t"
        "ldrd   %[xv], %[xt], [sp, #32]\n\t"
        "ssub8  %[w02], %[a0], %[xv]\n\t"           /* GE: y >= lo */
        "sel    %[a0], %[a0], %[xv]\n\t"
        "ssub8  %[w02], %[xt], %[a0]\n\t"           /* GE: hi >= y */
        "sel    %[a0], %[a0], %[xt]\n\t"
        "3:\n\t"
        "ldrd   %[xv], %[xt], [sp]\n\t"
        "str    %[a0], [%[xv]], #4\n\t"
        "str    %[xv], [sp]\n\t"
        "ldrd   %[x1], %[x2], [sp, #16]\n\t"
        "ldr    %[off], [sp, #28]\n\t"
        "cmp    %[xv], %[xt]\n\t"
        "blo    1b\n\t"
        /* pixel done: the next one's x, w, out, block end and records (x1, x2 step too, even
         * unused) */
        "ldrd   %[xt], %[w13], [sp, #8]\n\t"
        "cmp    %[xv], %[xt]\n\t"
        "bhs    2f\n\t"
        "ldrd   %[xt], %[w02], [%[w13]]\n\t"
        "add    %[x0], %[x0], %[xt]\n\t"
        "add    %[x1], %[x1], %[xt]\n\t"
        "add    %[x2], %[x2], %[xt]\n\t"
        "sub    %[wp], %[wp], %[w02]\n\t"
        "ldrd   %[xt], %[w02], [%[w13], #8]\n\t"
        "add    %[xv], %[xv], %[xt]\n\t"
        "ldr    %[xt], [sp, #4]\n\t"
        "add    %[xt], %[xt], %[w02]\n\t"
        "strd   %[xv], %[xt], [sp]\n\t"
        "ldr    %[xt], [%[w13], #%c[o_rec]]\n\t"
        "str    %[xt], [sp, #24]\n\t"
        "b      1b\n\t"
        "2:\n\t"
        "add    sp, sp, #44\n\t"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xv] "+r"(xv),
          [xt] "+r"(xt), [w02] "+r"(w02), [w13] "+r"(w13), [x0] "+r"(x0), [x1] "+r"(x1),
          [x2] "+r"(x2), [wp] "+r"(w), [off] "+r"(off)
        : [cn] "r"(gm->cn), [nky] "i"(nky), [nkx] "i"(nkx),
          [o_rec] "i"(offsetof(qk_arm_dw3x3_geom, rec)),
          [o_lo4] "i"(offsetof(qk_arm_dw3x3_geom, lo4)),
          [o_clamp] "i"(offsetof(qk_arm_dw3x3_geom, clamp))
        : "cc", "memory");
}
#undef QK_ARM_DW_RQ
#undef QK_ARM_DW_ROW
#undef QK_ARM_DW_TAP

/* qk_arm_dw3x3_win for a window of nky x nkx taps (2 or 3 each: one-row or one-column
 * windows, which only tiny images or wide padding give, are left to the caller); n4, npx >= 1. */
static __attribute__((noinline, unused)) void
qk_arm_dw3x3(int8_t *out, int32_t n4, int32_t npx, const int8_t *x0, const int16_t *w,
             const qk_arm_dw3x3_geom *gm, int32_t nky, int32_t nkx) {
#define QK_ARM_DW_CASE(ky, kx) \
    case 4 * (ky) + (kx): qk_arm_dw3x3_win(out, n4, npx, x0, w, gm, ky, kx); break;
    switch (4 * nky + nkx) {
        QK_ARM_DW_CASE(3, 3) QK_ARM_DW_CASE(3, 2) QK_ARM_DW_CASE(2, 3) QK_ARM_DW_CASE(2, 2)
        default: break;
    }
#undef QK_ARM_DW_CASE
}


/* The low halves of a and b (PKHBT), the high halves (PKHTB of b, a): bytes (a0 a1 b0 b1),
 * (a2 a3 b2 b3), one instruction each (gcc builds them from masks and ORs otherwise). */
static inline uint32_t qk_arm_pkhbt16(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static inline uint32_t qk_arm_pkhtb16(uint32_t b, uint32_t a) {
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
}

/*
 * 3x3 depthwise, stride 1 (depth multiplier 1, dilation 1), two output pixels by two channels
 * at a time, over input rows widened by the caller (qk__dw_dsp_pairs in qk_conv.c). Window
 * row r is xr, int16 [npairs][in_c / 2][2][2][2]: per pixel pair (pixels 2m, 2m + 1: padded
 * columns 2m .. 2m + 3) and channel pair, for each channel the lanes (x - zp at column 2m,
 * at 2m + 1), then the same for columns 2m + 2 and 2m + 3 (out of the image: 0). Per channel
 * and row, one SMLAD sums columns 2m, 2m + 1 of pixel 2m against (w0, w1), another columns
 * 2m + 2, 2m + 3 of pixel 2m + 1 against (w1, w2), and two SMLAxy the single taps left: 12
 * instructions for 12 MACs. w is the lowering's dw_pairs, int32 [in_c / 2][14]: per row
 * (w0, w1) of both channels, then (w1, w2) of both; then the two biases, which start the sums.
 * The four sums are requantized from registers as in qk_arm_dw3x3 (but for the records' bias,
 * already in them) and stored as two halfwords: pixel 2m's at out, 2m + 1's d1 bytes on; pixel pairs are
 * 2 in_c bytes apart. CLAMP: the activation range is narrower than int8's.
 */
typedef struct {
    int32_t cn;         /* channels (bytes per output pixel) */
    const int32_t *rec; /* the records of channels 0.. */
    uint32_t lo4, hi4;  /* act_min, act_max in every byte */
} qk_arm_dw3x3p_geom;

/* Window row r (pointer xr, stepped to the next channel pair; wp already stepped past the
 * pair's 56 bytes of filter): the sums start from the biases (a2, a3) on row 0. */
#define QK_ARM_DWP_ROW(xr, r, A0, A1)                                                       \
    "ldrd   %[p0], %[p1], [" xr "], #16\n\t"                                                \
    ".if " #r " == 0\n\t"                                                                   \
    "ldrd   %[f0], %[f1], [%[wp]], #56\n\t"                                                 \
    "ldrd   %[a2], %[a3], [%[wp], #-8]\n\t"                                                 \
    ".else\n\t"                                                                             \
    "ldrd   %[f0], %[f1], [%[wp], #(" #r " * 16 - 56)]\n\t"                                 \
    ".endif\n\t"                                                                            \
    "smlad  %[a0], %[p0], %[f0], %[" A0 "]\n\t"                                             \
    "smlad  %[a1], %[p1], %[f1], %[" A1 "]\n\t"                                             \
    "smlatb %[a2], %[p0], %[f0], %[a2]\n\t"                                                 \
    "smlatb %[a3], %[p1], %[f1], %[a3]\n\t"                                                 \
    "ldrd   %[p0], %[p1], [" xr ", #-8]\n\t"                                                \
    "ldrd   %[f0], %[f1], [%[wp], #(" #r " * 16 - 48)]\n\t"                                 \
    "smlabt %[a0], %[p0], %[f0], %[a0]\n\t"                                                 \
    "smlabt %[a1], %[p1], %[f1], %[a1]\n\t"                                                 \
    "smlad  %[a2], %[p0], %[f0], %[a2]\n\t"                                                 \
    "smlad  %[a3], %[p1], %[f1], %[a3]\n\t"
/* Requant of sum A (x1 walks the records, WB its writeback, x2 holds 2^31; the bias is in A
 * already): the result in D. */
#define QK_ARM_DWP_RQ(A, WB, D)                                                             \
    "ldmia  %[x1]" WB ", {%[p0], %[p1], %[f0], %[f1], %[x0]}\n\t" /* bias, m, lo, hi, s */ \
    "smlal  %[f0], %[f1], %[" A "], %[p1]\n\t"                                              \
    "lsr    %[" A "], %[" A "], #31\n\t"                                                    \
    "smlal  %[f0], %[f1], %[" A "], %[x2]\n\t"  /* - [x < 0] 2^31 */                       \
    "asr    %[f1], %[f1], %[x0]\n\t"                                                        \
    "ssat   %[" D "], #8, %[f1]\n\t"

/* frame: [sp] x0, x1, x2, wp while the requant runs, [sp, 16] the channel pair's records,
 * [sp, 20] d1, [sp, 24] the records of channel 0, [sp, 28] w, [sp, 32] the last pixel pair's
 * out + cn, [sp, 36] cn, [sp, 40] lo4, hi4 (all 14 registers are taken in the tap loop) */
__attribute__((always_inline)) static inline void
qk_arm_dw3x3p_k(int8_t *out, int32_t npairs, int32_t d1, const int16_t *r0, const int16_t *r1,
                const int16_t *r2, const int32_t *w, const qk_arm_dw3x3p_geom *gm,
                const int clamp) {
    /* LDM fills registers in ascending order: pin them */
    register uint32_t p0 __asm__("r0") = (uint32_t)npairs;
    register uint32_t p1 __asm__("r1") = (uint32_t)d1;
    register uint32_t f0 __asm__("r2") = (uint32_t)(uintptr_t)gm;
    register uint32_t f1 __asm__("r3");
    register const int16_t *x0 __asm__("r4") = r0;
    const int16_t *x1 = r1, *x2 = r2;
    int8_t *o = out;
    int32_t a0, a1, a2, a3;
    uint32_t oend;
    __asm__ volatile(
        "sub    sp, sp, #48\n\t"
        "str    %[p1], [sp, #20]\n\t"
        "str    %[wp], [sp, #28]\n\t"
        "ldr    %[f1], [%[f0], #%c[o_cn]]\n\t"
        "str    %[f1], [sp, #36]\n\t"
        "add    %[oend], %[o], %[f1]\n\t"
        "mul    %[a0], %[f1], %[p0]\n\t"
        "add    %[a0], %[o], %[a0], lsl #1\n\t"
        "sub    %[a0], %[a0], %[f1]\n\t"
        "str    %[a0], [sp, #32]\n\t"
        "ldr    %[a0], [%[f0], #%c[o_rec]]\n\t"
        "str    %[a0], [sp, #16]\n\t"
        "str    %[a0], [sp, #24]\n\t"
        "ldrd   %[a0], %[a1], [%[f0], #%c[o_lo4]]\n\t"
        "strd   %[a0], %[a1], [sp, #40]\n\t"
        "1:\n\t"
        QK_ARM_DWP_ROW("%[x0]", 0, "a2", "a3")
        QK_ARM_DWP_ROW("%[x1]", 1, "a0", "a1")
        QK_ARM_DWP_ROW("%[x2]", 2, "a0", "a1")
        "stmia  sp, {%[x0], %[x1], %[x2], %[wp]}\n\t"
        "ldr    %[x1], [sp, #16]\n\t"
        "mov    %[x2], #0x80000000\n\t"
        QK_ARM_DWP_RQ("a0", "", "a0")
        QK_ARM_DWP_RQ("a2", "!", "f1")
        "bfi    %[a0], %[f1], #16, #8\n\t"
        QK_ARM_DWP_RQ("a1", "", "f1")
        "bfi    %[a0], %[f1], #8, #8\n\t"
        QK_ARM_DWP_RQ("a3", "!", "f1")
        "bfi    %[a0], %[f1], #24, #8\n\t"
        "str    %[x1], [sp, #16]\n\t"
        ".if %c[clamp]\n\t"
        "ldrd   %[p0], %[p1], [sp, #40]\n\t"
        "ssub8  %[f0], %[a0], %[p0]\n\t"           /* GE: y >= lo */
        "sel    %[a0], %[a0], %[p0]\n\t"
        "ssub8  %[f0], %[p1], %[a0]\n\t"           /* GE: hi >= y */
        "sel    %[a0], %[a0], %[p1]\n\t"
        ".endif\n\t"
        "ldr    %[p0], [sp, #20]\n\t"
        "lsr    %[p1], %[a0], #16\n\t"
        "strh   %[p1], [%[o], %[p0]]\n\t"
        "strh   %[a0], [%[o]], #2\n\t"
        "ldmia  sp, {%[x0], %[x1], %[x2], %[wp]}\n\t"
        "cmp    %[o], %[oend]\n\t"
        "blo    1b\n\t"
        /* pixel pair done (the rows are at the next one's): out, filter and records back */
        "ldrd   %[p0], %[p1], [sp, #32]\n\t"
        "cmp    %[o], %[p0]\n\t"
        "bhs    2f\n\t"
        "add    %[o], %[o], %[p1]\n\t"
        "add    %[oend], %[oend], %[p1], lsl #1\n\t"
        "ldr    %[wp], [sp, #28]\n\t"
        "ldr    %[p0], [sp, #24]\n\t"
        "str    %[p0], [sp, #16]\n\t"
        "b      1b\n\t"
        "2:\n\t"
        "add    sp, sp, #48\n\t"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [p0] "+r"(p0),
          [p1] "+r"(p1), [f0] "+r"(f0), [f1] "=&r"(f1), [x0] "+r"(x0), [x1] "+r"(x1),
          [x2] "+r"(x2), [wp] "+r"(w), [o] "+r"(o), [oend] "=&r"(oend)
        : [clamp] "i"(clamp), [o_cn] "i"(offsetof(qk_arm_dw3x3p_geom, cn)),
          [o_rec] "i"(offsetof(qk_arm_dw3x3p_geom, rec)),
          [o_lo4] "i"(offsetof(qk_arm_dw3x3p_geom, lo4))
        : "cc", "memory");
}
#undef QK_ARM_DWP_RQ
#undef QK_ARM_DWP_ROW

/* qk_arm_dw3x3p_k; npairs >= 1, in_c a multiple of 4 (whole channel pairs, even count). */
static __attribute__((noinline, unused)) void
qk_arm_dw3x3p(int8_t *out, int32_t npairs, int32_t d1, const int16_t *r0, const int16_t *r1,
              const int16_t *r2, const int32_t *w, const qk_arm_dw3x3p_geom *gm, int clamp) {
    if (clamp)
        qk_arm_dw3x3p_k(out, npairs, d1, r0, r1, r2, w, gm, 1);
    else
        qk_arm_dw3x3p_k(out, npairs, d1, r0, r1, r2, w, gm, 0);
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

/*
 * The same requant from a board plan's packed records rec[5 i ..] = {bias, mult, lo, hi, s}
 * (every channel R >= 1 and no left shift; qk__rq_rec in qk_conv.c), s = R - 1 (+ 256 when
 * out_zp is not folded in), hi:lo = 2^30 + half 2^31 (+ out_zp 2^(31 + R) when it is: possible
 * when every R <= 23, and then the final shift gives the result + out_zp, one add less).
 * One LDM per channel instead of five loads, no CLZ or R == 0 branch, the - [x < 0] 2^31 of the
 * rounding as a second SMLAL (n x -2^31), then clamp and store in the same pass: 9.5
 * instructions per output over the full int8 range (two per trip), 16 with a narrower
 * activation range (one more each without the fold). ASR by a register reads its low byte only,
 * so the flag in s does not disturb the shift.
 */
#define QK_ARM_RQ_REC_STEP(A, ZP_ADD)                                                         \
    "ldmia  %[rec]!, {%[b], %[m], %[lo], %[hi], %[s]}\n\t"                                  \
    "add    " A ", " A ", %[b]\n\t"             /* x = acc + bias (wraps) */                \
    "smlal  %[lo], %[hi], " A ", %[m]\n\t"                                                  \
    "lsr    %[b], " A ", #31\n\t"                                                            \
    "smlal  %[lo], %[hi], %[b], %[k80]\n\t"     /* - [x < 0] 2^31 */                         \
    "asr    %[hi], %[hi], %[s]\n\t"             /* (x m + hi:lo) >> (31 + R) */             \
    ZP_ADD

/* Defines NAME(acc, rec, n, out, lim) for records with (ZP_ADD "") or without (ZP_ADD adding
 * out_zp) the zero point folded in; lim = {out_zp, act_min, act_max} (five arguments: one
 * goes on the stack, and every requant call pays for the rest). */
#define QK_ARM_RQ_REC_FN(NAME, ZP_ADD)                                                        \
    static __attribute__((noinline, unused)) void                                           \
    NAME(const int32_t *acc, const int32_t *rec, int32_t n, int8_t *out, const int32_t *lim) {\
        if (n <= 0) return;                                                                 \
        const int32_t out_zp = lim[0], act_min = lim[1], act_max = lim[2];                  \
        uint32_t a0, a1;                                                                    \
        /* LDM fills registers in ascending order: pin them */                              \
        register uint32_t b __asm__("r2"), m __asm__("r3"), lo __asm__("r4");               \
        register uint32_t hi __asm__("r5"), s __asm__("r6");                                \
        if (act_min == -128 && act_max == 127) {                                            \
            if (n & 1) {                                                                    \
                __asm__ volatile("ldr    %[a0], [%[acc]], #4\n\t"                           \
                                 QK_ARM_RQ_REC_STEP("%[a0]", ZP_ADD)                         \
                                 "ssat   %[hi], #8, %[hi]\n\t"                              \
                                 "strb   %[hi], [%[out]], #1\n\t"                           \
                                 : [acc] "+r"(acc), [rec] "+r"(rec), [out] "+r"(out),       \
                                   [a0] "=&r"(a0), [b] "=&r"(b), [m] "=&r"(m),              \
                                   [lo] "=&r"(lo), [hi] "=&r"(hi), [s] "=&r"(s)             \
                                 : [k80] "r"(0x80000000u), [zp] "r"(out_zp)                 \
                                 : "memory");                                               \
            }                                                                               \
            if (n < 2) return;                                                              \
            const int32_t *end = acc + (n & ~1);                                            \
            __asm__ volatile("1:\n\t"                                                       \
                             "ldrd   %[a0], %[a1], [%[acc]], #8\n\t"                        \
                             QK_ARM_RQ_REC_STEP("%[a0]", ZP_ADD)                             \
                             "ssat   %[hi], #8, %[hi]\n\t"                                  \
                             "strb   %[hi], [%[out]], #1\n\t"                               \
                             QK_ARM_RQ_REC_STEP("%[a1]", ZP_ADD)                             \
                             "ssat   %[hi], #8, %[hi]\n\t"                                  \
                             "strb   %[hi], [%[out]], #1\n\t"                               \
                             "cmp    %[acc], %[end]\n\t"                                    \
                             "blo    1b\n\t"                                                \
                             : [acc] "+r"(acc), [rec] "+r"(rec), [out] "+r"(out),           \
                               [a0] "=&r"(a0), [a1] "=&r"(a1), [b] "=&r"(b), [m] "=&r"(m),  \
                               [lo] "=&r"(lo), [hi] "=&r"(hi), [s] "=&r"(s)                 \
                             : [end] "r"(end), [k80] "r"(0x80000000u), [zp] "r"(out_zp)     \
                             : "cc", "memory");                                             \
            return;                                                                         \
        }                                                                                   \
        const int32_t *end = acc + n;                                                       \
        (void)a1;                                                                           \
        __asm__ volatile("1:\n\t"                                                           \
                         "ldr    %[a0], [%[acc]], #4\n\t"                                   \
                         QK_ARM_RQ_REC_STEP("%[a0]", ZP_ADD)                                 \
                         "cmp    %[hi], %[amin]\n\t"                                        \
                         "it     lt\n\t"                                                    \
                         "movlt  %[hi], %[amin]\n\t"                                        \
                         "cmp    %[hi], %[amax]\n\t"                                        \
                         "it     gt\n\t"                                                    \
                         "movgt  %[hi], %[amax]\n\t"                                        \
                         "strb   %[hi], [%[out]], #1\n\t"                                   \
                         "cmp    %[acc], %[end]\n\t"                                        \
                         "blo    1b\n\t"                                                    \
                         : [acc] "+r"(acc), [rec] "+r"(rec), [out] "+r"(out),               \
                           [a0] "=&r"(a0), [b] "=&r"(b), [m] "=&r"(m), [lo] "=&r"(lo),      \
                           [hi] "=&r"(hi), [s] "=&r"(s)                                     \
                         : [end] "r"(end), [k80] "r"(0x80000000u), [amin] "r"(act_min),     \
                           [amax] "r"(act_max), [zp] "r"(out_zp)                            \
                         : "cc", "memory");                                                 \
    }

typedef void (*qk_arm_rq_rec_fn)(const int32_t *acc, const int32_t *rec, int32_t n, int8_t *out,
                                 const int32_t *lim);
QK_ARM_RQ_REC_FN(qk_arm_rq_rec_i8, "")
QK_ARM_RQ_REC_FN(qk_arm_rq_rec_zp_i8, "add    %[hi], %[hi], %[zp]\n\t")
#undef QK_ARM_RQ_REC_FN
#undef QK_ARM_RQ_REC_STEP

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
 * mostly do: -1 goes to every negative value, and the rounding shift is VQRDMULH by rm =
 * 2^(31 - R) <= 2^30 (floor(x / 2^R + 1/2), never saturating: no VCLZ / VNEG for e). */
static inline int32x4_t qk_arm_rq4_right(int32x4_t a, int32x4_t mult, int32x4_t rm) {
    a = vqrdmulhq_s32(a, mult);
    return vqrdmulhq_s32(vaddq_s32(a, vshrq_n_s32(a, 31)), rm);
}

/* Whether every channel i < n has R > 0 (rm[i] <= 2^30) and no left shift (lm[i] == 1), or a
 * zero multiplier (its output is out_zp whatever the shifts, as qk_arm_rq4_right gives: VQRDMULH
 * by 0 is 0, and 0 stays 0). */
static inline int qk_arm_rq_right(const int32_t *mult, const uint32_t *lm, const uint32_t *rm,
                                  int32_t n) {
    for (int32_t i = 0; i < n; i += 4) { /* (4 channels per vector, the last ones predicated) */
        const mve_pred16_t p = vctp32q((uint32_t)(n - i));
        const mve_pred16_t bad = vcmpneq_m_n_u32(vldrwq_z_u32(lm + i, p), 1u, p) |
                                 vcmphiq_m_n_u32(vldrwq_z_u32(rm + i, p), 1u << 30, p);
        if (vcmpneq_m_n_s32(vldrwq_z_s32(mult + i, p), 0, bad) != 0) return 0;
    }
    return 1;
}

/* Requantize channels [i, i + 4) of NP pixels: out[q * ostride + i + l] from
 * acc[q * QK_ARM_ACC_STRIDE + i + l] (+ bias), each channel's parameters loaded once for all;
 * TAIL: only the lanes of p (else unpredicated: gcc keeps an all-true predicate's VPSTs);
 * RIGHT: qk_arm_rq4_right applies (qk_arm_rq_right; e is then rm itself). */
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
    const int32x4_t e = RIGHT ? QK_ARM_LD(s32, (const int32_t *)rm + i)
                              : vnegq_s32(vreinterpretq_s32_u32(vclzq_u32(QK_ARM_LD(u32, rm + i))));
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

/* An op's requant parameters for qk_arm_rq_px_i8 (set once per op: a call then passes six
 * arguments, not thirteen): per channel bias (not NULL), mult, lm, rm; right: qk_arm_rq_right
 * holds for every channel; outputs ostride bytes apart. */
typedef struct {
    const int32_t *bias, *mult;
    const uint32_t *lm, *rm;
    int right;
    int32_t out_zp, act_min, act_max, ostride;
} qk_arm_rq_px_params;

/* qk_arm_rq_rows for 3 pixels with bias and RIGHT over nv whole vectors of channels: asm, as
 * gcc 12 spends 6 instructions a vector on the three rows' addresses (512 bytes is out of
 * VLDRW's immediate range; the outputs ostride apart), here none: the middle and last rows at
 * immediate offsets from the first one's post-incremented pointer, the outputs through three
 * pointers (low registers: VSTRB.32; out_zp as a vector leaves gcc enough of them). */
#define QK_ARM_RQ3_PX(ld, st)                                                                \
    "vldrw.u32 q3, " ld "\n\t"                                                               \
    "vadd.i32 q3, q3, q0\n\t"                                                                \
    "vqrdmulh.s32 q3, q3, q1\n\t"                                                            \
    "vshr.s32 q4, q3, #31\n\t"                                                               \
    "vadd.i32 q3, q3, q4\n\t"                                                                \
    "vqrdmulh.s32 q3, q3, q2\n\t"                                                            \
    "vadd.i32 q3, q3, %q[zp]\n\t"                                                            \
    "vmax.s32 q3, q3, %q[lo]\n\t"                                                            \
    "vmin.s32 q3, q3, %q[hi]\n\t"                                                            \
    "vstrb.32 q3, " st "\n\t"
static inline void qk_arm_rq3_right(const int32_t *acc, const int32_t *bias, const int32_t *mult,
                                    const uint32_t *rm, int32_t nv, int32_t out_zp,
                                    int32x4_t lo, int32x4_t hi, int8_t *out, int32_t ostride) {
    int8_t *o1 = out + ostride, *o2 = o1 + ostride;
    __asm__ volatile("wls    lr, %[nv], 2f\n\t"
                     "1:\n\t"
                     "vldrw.u32 q0, [%[b]], #16\n\t"
                     "vldrw.u32 q1, [%[m]], #16\n\t"
                     "vldrw.u32 q2, [%[r]], #16\n\t"
                     QK_ARM_RQ3_PX("[%[a]], #16", "[%[o0]], #4")
                     QK_ARM_RQ3_PX("[%[a], #240]", "[%[o1]], #4")
                     QK_ARM_RQ3_PX("[%[a], #496]", "[%[o2]], #4")
                     "le     lr, 1b\n\t"
                     "2:\n\t"
                     : [a] "+r"(acc), [b] "+r"(bias), [m] "+r"(mult), [r] "+r"(rm),
                       [o0] "+l"(out), [o1] "+l"(o1), [o2] "+l"(o2)
                     : [nv] "r"(nv), [zp] "w"(vdupq_n_s32(out_zp)), [lo] "w"(lo), [hi] "w"(hi)
                     : "lr", "memory", "q0", "q1", "q2", "q3", "q4");
}
#undef QK_ARM_RQ3_PX

/* qk_arm_rq3_right for an activation range of [-128, 127] over n8 whole 8s of channels: VLD2
 * splits 8 channels into the even (lanes of one vector) and the odd ones (another), so after
 * the requant VQMOVNB / VQMOVNT put them back in order as int16, + out_zp saturating, and a
 * VQMOVN to int8 (which is the clamp) leaves them in the even bytes for one VSTRB.16: 17
 * instructions per pixel and 8 channels, not 20 per 4. The parameters fill q0-q5, so -1 goes
 * to negatives by a VPT block (no spare vector). (not inlined: the asm has 11 operands and
 * LR) */
#define QK_ARM_RQ3_FULL_PX(a, o)                                                             \
    "vld20.32 {q6, q7}, [%[" a "]]\n\t"                                                       \
    "vld21.32 {q6, q7}, [%[" a "]]!\n\t"                                                      \
    "vadd.i32 q6, q6, q0\n\t"                                                                \
    "vadd.i32 q7, q7, q1\n\t"                                                                \
    "vqrdmulh.s32 q6, q6, q2\n\t"                                                            \
    "vqrdmulh.s32 q7, q7, q3\n\t"                                                            \
    "vpt.s32 lt, q6, zr\n\t"                                                                 \
    "vsubt.i32 q6, q6, %[one]\n\t"                                                           \
    "vpt.s32 lt, q7, zr\n\t"                                                                 \
    "vsubt.i32 q7, q7, %[one]\n\t"                                                           \
    "vqrdmulh.s32 q6, q6, q4\n\t"                                                            \
    "vqrdmulh.s32 q7, q7, q5\n\t"                                                            \
    "vqmovnb.s32 q6, q6\n\t"                                                                 \
    "vqmovnt.s32 q6, q7\n\t"                                                                 \
    "vqadd.s16 q6, q6, %[zp]\n\t"                                                            \
    "vqmovnb.s16 q6, q6\n\t"                                                                 \
    "vstrb.16 q6, [%[" o "]], #8\n\t"
static __attribute__((noinline, unused)) void
qk_arm_rq3_full(const int32_t *acc, const int32_t *bias, const int32_t *mult, const uint32_t *rm,
                int32_t n8, int32_t out_zp, int8_t *out, int32_t ostride) {
    const int32_t *a1 = acc + QK_ARM_ACC_STRIDE, *a2 = a1 + QK_ARM_ACC_STRIDE;
    int8_t *o1 = out + ostride, *o2 = o1 + ostride;
    int32_t one = n8; /* (the count, then 1) */
    __asm__ volatile("wls    lr, %[one], 2f\n\t"
                     "movs   %[one], #1\n\t"
                     "1:\n\t"
                     "vld20.32 {q0, q1}, [%[b]]\n\t"
                     "vld21.32 {q0, q1}, [%[b]]!\n\t"
                     "vld20.32 {q2, q3}, [%[m]]\n\t"
                     "vld21.32 {q2, q3}, [%[m]]!\n\t"
                     "vld20.32 {q4, q5}, [%[r]]\n\t"
                     "vld21.32 {q4, q5}, [%[r]]!\n\t"
                     QK_ARM_RQ3_FULL_PX("a0", "o0")
                     QK_ARM_RQ3_FULL_PX("a1", "o1")
                     QK_ARM_RQ3_FULL_PX("a2", "o2")
                     "le     lr, 1b\n\t"
                     "2:\n\t"
                     : [a0] "+r"(acc), [a1] "+r"(a1), [a2] "+r"(a2), [b] "+r"(bias),
                       [m] "+r"(mult), [r] "+r"(rm), [o0] "+l"(out), [o1] "+l"(o1),
                       [o2] "+l"(o2), [one] "+r"(one)
                     : [zp] "r"(out_zp)
                     : "lr", "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7");
}
#undef QK_ARM_RQ3_FULL_PX

/* Whether qk_arm_rq3_full applies to R's op: the right-shift requant, the activation range
 * [-128, 127] and an int8 out_zp (a saturated int16 value plus it stays beyond int8 range). */
static inline int qk_arm_rq_full(const qk_arm_rq_px_params *R) {
    return R->right && R->act_min == -128 && R->act_max == 127 && R->out_zp >= -128 &&
           R->out_zp <= 127;
}

/* The same for npx (1..3) pixels' channels [c0, c0 + n), their accumulators QK_ARM_ACC_STRIDE
 * words apart. */
static __attribute__((noinline, unused)) void
qk_arm_rq_px_i8(const qk_arm_rq_px_params *R, const int32_t *acc, int32_t npx, int32_t c0,
                int32_t n, int8_t *out) {
    const int32_t *bias = R->bias + c0, *mult = R->mult + c0;
    const uint32_t *lm = R->lm + c0, *rm = R->rm + c0;
    const int32_t out_zp = R->out_zp, act_min = R->act_min, act_max = R->act_max;
    const int32_t ostride = R->ostride;
    const int right = R->right;
    out += c0;
    if (bias == NULL) __builtin_unreachable();
    if (npx == 3 && right) {
        int32_t n4 = 0;
        if (qk_arm_rq_full(R)) {
            n4 = n & ~7;
            qk_arm_rq3_full(acc, bias, mult, rm, n4 >> 3, out_zp, out, ostride);
            if (n4 == n) return;
        }
        const int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
        acc += n4;
        bias += n4;
        mult += n4;
        rm += n4;
        lm += n4;
        out += n4;
        n -= n4;
        n4 = n & ~3;
        qk_arm_rq3_right(acc, bias, mult, rm, n4 >> 2, out_zp, lo, hi, out, ostride);
        if (n4 < n)
            qk_arm_rq_step(acc, 3, bias, mult, lm, rm, n4, 1, vctp32q((uint32_t)(n - n4)), 1,
                           out_zp, lo, hi, out, ostride);
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
    int32_t c16; /* channels [0, c16) through qk_arm_dw16 (see qk__dw_mve) */
    const int8_t *fb; /* those channels' filter in 16-channel blocks, [c16 / 16][taps][16] */
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

/* Channels [0, P->c16) of npx pixels (the first at input x and out, the next step input and
 * c_n output bytes on) straight to int8 out, 16 at a time (P->right; no acc round trip), the
 * filter from P->fb (a block's taps, then the next block's: its loads post-increment). The 16
 * int8 products of a tap (VMULLB / VMULLT.S8, exact in int16) plus those of the next tap (the
 * filter has no -128, so |x w| <= 128 * 127 and two fit int16) are widened by VMOVLB / VMOVLT
 * into four sums: channels 4i (q0), 4i+1 (q1), 4i+2 (q2), 4i+3 (q3), the lanes
 * VLD4 gives the bias and requant parameters in (an odd last tap alone). Requant: VQRDMULH by
 * mult, -1 to negatives, VQRDMULH by rm = 2^(31 - R) (= a rounding shift right by R >= 1, as in
 * qk_arm_rq4_right), VQMOVN to int16 (channels in order), + out_zp saturating, VQMOVN
 * to int8, the clamp (CLAMP; without it the range is [-128, 127], which VQMOVN gives): saturating
 * steps that keep every in-range value, so the result is exact. lim = out_zp << 16 | act_max << 8
 * | act_min (bytes). The loops keep their rarer constants in st: the asm has 11 operands and LR.
 * (not inlined: gcc 12 then finds no registers for them) */
/* Two taps into the four sums: int16 products of the pair (sums of two) in q6 (even channels),
 * q7 (odd), then widened. a0 / a1 set %[xt] to the taps' input (b0: the first one's register). */
#define QK_ARM_DW16_PAIR(a0, b0, a1)                                                         \
    a0                                                                                       \
    "vldrb.u8 q4, [" b0 "]\n\t"                                                              \
    "vldrb.u8 q5, [%[w]], #16\n\t"                                                           \
    "vmullb.s8 q6, q4, q5\n\t"                                                               \
    "vmullt.s8 q7, q4, q5\n\t"                                                               \
    a1                                                                                       \
    "vldrb.u8 q4, [%[xt]]\n\t"                                                               \
    "vldrb.u8 q5, [%[w]]\n\t"                                                                \
    "vmullb.s8 q5, q4, q5\n\t"       /* (8-bit sources: Qd may be one of them) */            \
    "vadd.i16 q6, q6, q5\n\t"                                                                \
    "vldrb.u8 q5, [%[w]], #16\n\t"   /* (the filter again: no register left) */              \
    "vmullt.s8 q4, q4, q5\n\t"                                                               \
    "vadd.i16 q7, q7, q4\n\t"                                                                \
    "vmovlb.s16 q4, q6\n\t"                                                                  \
    "vadd.i32 q0, q0, q4\n\t"                                                                \
    "vmovlt.s16 q4, q6\n\t"                                                                  \
    "vadd.i32 q2, q2, q4\n\t"                                                                \
    "vmovlb.s16 q4, q7\n\t"                                                                  \
    "vadd.i32 q1, q1, q4\n\t"                                                                \
    "vmovlt.s16 q4, q7\n\t"                                                                  \
    "vadd.i32 q3, q3, q4\n\t"
/* one tap alone (its input at %[xt]) */
#define QK_ARM_DW16_ONE                                                                      \
    "vldrb.u8 q4, [%[xt]]\n\t"                                                               \
    "vldrb.u8 q5, [%[w]], #16\n\t"                                                           \
    "vmullb.s8 q6, q4, q5\n\t"                                                               \
    "vmovlb.s16 q7, q6\n\t"                                                                  \
    "vadd.i32 q0, q0, q7\n\t"                                                                \
    "vmovlt.s16 q7, q6\n\t"                                                                  \
    "vadd.i32 q2, q2, q7\n\t"                                                                \
    "vmullt.s8 q6, q4, q5\n\t"                                                               \
    "vmovlb.s16 q7, q6\n\t"                                                                  \
    "vadd.i32 q1, q1, q7\n\t"                                                                \
    "vmovlt.s16 q7, q6\n\t"                                                                  \
    "vadd.i32 q3, q3, q7\n\t"
/* the 16 sums' requant and store (lim at [%[st], #lo]; %[op], %[xt] scratch) */
#define QK_ARM_DW16_RQ(lo, clamp)                                                            \
    "vld40.32 {q4, q5, q6, q7}, [%[m]]\n\t"                                                  \
    "vld41.32 {q4, q5, q6, q7}, [%[m]]\n\t"                                                  \
    "vld42.32 {q4, q5, q6, q7}, [%[m]]\n\t"                                                  \
    "vld43.32 {q4, q5, q6, q7}, [%[m]]!\n\t"                                                 \
    "vqrdmulh.s32 q0, q0, q4\n\t"                                                            \
    "vqrdmulh.s32 q1, q1, q5\n\t"                                                            \
    "vqrdmulh.s32 q2, q2, q6\n\t"                                                            \
    "vqrdmulh.s32 q3, q3, q7\n\t"                                                            \
    "vshr.s32 q4, q0, #31\n\t"                                                               \
    "vadd.i32 q0, q0, q4\n\t"                                                                \
    "vshr.s32 q5, q1, #31\n\t"                                                               \
    "vadd.i32 q1, q1, q5\n\t"                                                                \
    "vshr.s32 q6, q2, #31\n\t"                                                               \
    "vadd.i32 q2, q2, q6\n\t"                                                                \
    "vshr.s32 q7, q3, #31\n\t"                                                               \
    "vadd.i32 q3, q3, q7\n\t"                                                                \
    "vld40.32 {q4, q5, q6, q7}, [%[rm]]\n\t"                                                 \
    "vld41.32 {q4, q5, q6, q7}, [%[rm]]\n\t"                                                 \
    "vld42.32 {q4, q5, q6, q7}, [%[rm]]\n\t"                                                 \
    "vld43.32 {q4, q5, q6, q7}, [%[rm]]!\n\t"                                                \
    "vqrdmulh.s32 q0, q0, q4\n\t"                                                            \
    "vqrdmulh.s32 q1, q1, q5\n\t"                                                            \
    "vqrdmulh.s32 q2, q2, q6\n\t"                                                            \
    "vqrdmulh.s32 q3, q3, q7\n\t"                                                            \
    "vqmovnb.s32 q4, q0\n\t"         /* channels 0, 2, .. 14 */                              \
    "vqmovnt.s32 q4, q2\n\t"                                                                 \
    "vqmovnb.s32 q5, q1\n\t"         /* channels 1, 3, .. 15 */                              \
    "vqmovnt.s32 q5, q3\n\t"                                                                 \
    "ldr    %[op], [%[st], #" lo "]\n\t" /* lim */                                           \
    "asr    %[xt], %[op], #16\n\t"   /* out_zp */                                            \
    "vqadd.s16 q4, q4, %[xt]\n\t"                                                            \
    "vqadd.s16 q5, q5, %[xt]\n\t"                                                            \
    "vqmovnb.s16 q6, q4\n\t"                                                                 \
    "vqmovnt.s16 q6, q5\n\t"                                                                 \
    clamp                                                                                    \
    "vstrb.8 q6, [%[out]], #16\n\t"
#define QK_ARM_DW16_CLAMP                                                                    \
    "vdup.8 q7, %[op]\n\t"         /* act_min */                                             \
    "vmax.s8 q6, q6, q7\n\t"                                                                 \
    "lsr    %[xt], %[op], #8\n\t" /* act_max */                                              \
    "vdup.8 q7, %[xt]\n\t"                                                                   \
    "vmin.s8 q6, q6, q7\n\t"
static __attribute__((noinline, unused)) void
qk_arm_dw16(const qk_arm_dw_params *P, const int32_t *offs, const int8_t *x, int32_t step,
            int32_t npx, uint32_t lim, int8_t *out, int CLAMP) {
    /* st: offsets, tap pairs, lim, whether the taps are odd; a pixel's first block's bias, mult,
     * rm and filter, its blocks, input and output bytes from its last block's end to the next
     * pixel; pixels left. The blocks left in a register. */
    int32_t st[12] = {(int32_t)(intptr_t)offs, P->taps >> 1, (int32_t)lim, P->taps & 1,
                      (int32_t)(intptr_t)P->beff, (int32_t)(intptr_t)P->mult,
                      (int32_t)(intptr_t)P->rm, (int32_t)(intptr_t)P->fb, P->c16 >> 4,
                      step - P->c16, P->c_n - P->c16, npx};
    int32_t nb = P->c16 >> 4;
    const int32_t *b = P->beff, *m = P->mult;
    const uint32_t *rm = P->rm;
    const int8_t *w = P->fb;
    int32_t op, xt;
    if (npx <= 0) return;
#define QK_ARM_DW16_ASM(clamp)                                                               \
    __asm__ volatile(                                                                        \
        "2:\n\t"                                                                             \
        "ldr    %[op], [%[st]]\n\t"                                                          \
        "ldr    %[xt], [%[st], #4]\n\t"                                                      \
        "vld40.32 {q0, q1, q2, q3}, [%[b]]\n\t"                                              \
        "vld41.32 {q0, q1, q2, q3}, [%[b]]\n\t"                                              \
        "vld42.32 {q0, q1, q2, q3}, [%[b]]\n\t"                                              \
        "vld43.32 {q0, q1, q2, q3}, [%[b]]!\n\t"                                             \
        "wls    lr, %[xt], 3f\n\t"                                                           \
        "1:\n\t"                                                                             \
        QK_ARM_DW16_PAIR("ldr    %[xt], [%[op]], #4\n\t"                                     \
                         "add    %[xt], %[xt], %[x]\n\t", "%[xt]",                           \
                         "ldr    %[xt], [%[op]], #4\n\t"                                     \
                         "add    %[xt], %[xt], %[x]\n\t")                                    \
        "le     lr, 1b\n\t"                                                                  \
        "3:\n\t"                                                                             \
        "ldr    %[xt], [%[st], #12]\n\t"                                                     \
        "cbz    %[xt], 4f\n\t"                                                               \
        "ldr    %[xt], [%[op]], #4\n\t"  /* the odd last tap */                              \
        "add    %[xt], %[xt], %[x]\n\t"                                                      \
        QK_ARM_DW16_ONE                                                                      \
        "4:\n\t"                                                                             \
        QK_ARM_DW16_RQ("8", clamp)                                                           \
        "add    %[x], %[x], #16\n\t"                                                         \
        "subs   %[nb], %[nb], #1\n\t"                                                        \
        "bne    2b\n\t"                                                                      \
        "ldr    %[xt], [%[st], #36]\n\t"  /* the next pixel */                               \
        "add    %[x], %[x], %[xt]\n\t"                                                       \
        "ldr    %[xt], [%[st], #40]\n\t"                                                     \
        "add    %[out], %[out], %[xt]\n\t"                                                   \
        "ldr    %[b], [%[st], #16]\n\t"                                                      \
        "ldr    %[m], [%[st], #20]\n\t"                                                      \
        "ldr    %[rm], [%[st], #24]\n\t"                                                     \
        "ldr    %[w], [%[st], #28]\n\t"                                                      \
        "ldr    %[nb], [%[st], #32]\n\t"                                                     \
        "ldr    %[xt], [%[st], #44]\n\t"                                                     \
        "subs   %[xt], %[xt], #1\n\t"                                                        \
        "str    %[xt], [%[st], #44]\n\t"                                                     \
        "bne    2b\n\t"                                                                      \
        : [op] "=&r"(op), [w] "+r"(w), [xt] "=&l"(xt), [x] "+r"(x), [b] "+r"(b), [m] "+r"(m), \
          [rm] "+r"(rm), [out] "+r"(out), [nb] "+r"(nb)                                      \
        : [st] "r"(st)                                                                       \
        : "lr", "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7")
    if (CLAMP) QK_ARM_DW16_ASM(QK_ARM_DW16_CLAMP);
    else
        QK_ARM_DW16_ASM("");
#undef QK_ARM_DW16_ASM
}

/* qk_arm_dw16 for 9 taps whose offsets are a 3x3 grid, tap (ky, kx) at ky dy + kx dx from x
 * (x: the first pixel's tap (0, 0)): the taps unrolled, each input one ADD on from the last
 * (dx, or dy - 2 dx to the next row) instead of an offset load and ADD, and no tap loop, so
 * LR counts the blocks. About 20 instructions fewer per 16 channels. */
static __attribute__((noinline, unused)) void
qk_arm_dw16_3x3(const qk_arm_dw_params *P, const int8_t *x, uint32_t dx, uint32_t dy,
                int32_t step, int32_t npx, uint32_t lim, int8_t *out, int CLAMP) {
    /* st: lim; a pixel's first block's bias, mult, rm and filter, its blocks, input and output
     * bytes from its last block's end to the next pixel; pixels left */
    int32_t st[9] = {(int32_t)lim, (int32_t)(intptr_t)P->beff, (int32_t)(intptr_t)P->mult,
                     (int32_t)(intptr_t)P->rm, (int32_t)(intptr_t)P->fb, P->c16 >> 4,
                     step - P->c16, P->c_n - P->c16, npx};
    const int32_t *b = P->beff, *m = P->mult;
    const uint32_t *rm = P->rm;
    const int8_t *w = P->fb;
    const uint32_t dr = dy - 2u * dx;
    int32_t op, xt;
    if (npx <= 0) return;
#define QK_ARM_DW16_ADD(d) "add    %[xt], %[xt], %[" d "]\n\t"
#define QK_ARM_DW16_ASM(clamp)                                                               \
    __asm__ volatile(                                                                        \
        "1:\n\t"                                                                             \
        "ldr    %[op], [%[st], #20]\n\t"                                                     \
        "dls    lr, %[op]\n\t"                                                               \
        "2:\n\t"                                                                             \
        "vld40.32 {q0, q1, q2, q3}, [%[b]]\n\t"                                              \
        "vld41.32 {q0, q1, q2, q3}, [%[b]]\n\t"                                              \
        "vld42.32 {q0, q1, q2, q3}, [%[b]]\n\t"                                              \
        "vld43.32 {q0, q1, q2, q3}, [%[b]]!\n\t"                                             \
        QK_ARM_DW16_PAIR("", "%[x]", "add    %[xt], %[x], %[dx]\n\t")                        \
        QK_ARM_DW16_PAIR(QK_ARM_DW16_ADD("dx"), "%[xt]", QK_ARM_DW16_ADD("dr"))              \
        QK_ARM_DW16_PAIR(QK_ARM_DW16_ADD("dx"), "%[xt]", QK_ARM_DW16_ADD("dx"))              \
        QK_ARM_DW16_PAIR(QK_ARM_DW16_ADD("dr"), "%[xt]", QK_ARM_DW16_ADD("dx"))              \
        QK_ARM_DW16_ADD("dx")                                                                \
        QK_ARM_DW16_ONE                                                                      \
        QK_ARM_DW16_RQ("0", clamp)                                                           \
        "add    %[x], %[x], #16\n\t"                                                         \
        "le     lr, 2b\n\t"                                                                  \
        "ldr    %[xt], [%[st], #24]\n\t"  /* the next pixel */                               \
        "add    %[x], %[x], %[xt]\n\t"                                                       \
        "ldr    %[xt], [%[st], #28]\n\t"                                                     \
        "add    %[out], %[out], %[xt]\n\t"                                                   \
        "ldr    %[b], [%[st], #4]\n\t"                                                       \
        "ldr    %[m], [%[st], #8]\n\t"                                                       \
        "ldr    %[rm], [%[st], #12]\n\t"                                                     \
        "ldr    %[w], [%[st], #16]\n\t"                                                      \
        "ldr    %[xt], [%[st], #32]\n\t"                                                     \
        "subs   %[xt], %[xt], #1\n\t"                                                        \
        "str    %[xt], [%[st], #32]\n\t"                                                     \
        "bne    1b\n\t"                                                                      \
        : [op] "=&r"(op), [w] "+r"(w), [xt] "=&r"(xt), [x] "+r"(x), [b] "+r"(b), [m] "+r"(m), \
          [rm] "+r"(rm), [out] "+r"(out)                                                     \
        : [st] "r"(st), [dx] "r"(dx), [dr] "r"(dr)                                           \
        : "lr", "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7")
    if (CLAMP) QK_ARM_DW16_ASM(QK_ARM_DW16_CLAMP);
    else QK_ARM_DW16_ASM("");
#undef QK_ARM_DW16_ASM
#undef QK_ARM_DW16_ADD
}
#undef QK_ARM_DW16_PAIR
#undef QK_ARM_DW16_ONE
#undef QK_ARM_DW16_RQ
#undef QK_ARM_DW16_CLAMP

/* Whether the taps are 9 on a 3x3 grid (tap (ky, kx) at offs[0] + ky dy + kx dx; offsets wrap
 * as addresses do: unsigned), for qk_arm_dw16_3x3. */
static inline int qk_arm_dw_grid(const int32_t *offs, int32_t taps) {
    if (taps != 9) return 0;
    const uint32_t o0 = (uint32_t)offs[0];
    const uint32_t dx = (uint32_t)offs[1] - o0, dy = (uint32_t)offs[3] - o0;
    for (int32_t t = 0; t < 9; ++t)
        if ((uint32_t)offs[t] - o0 != (uint32_t)(t / 3) * dy + (uint32_t)(t % 3) * dx) return 0;
    return 1;
}

/* npx output pixels (out, c_n bytes apart), the first at input x, the next step bytes on, all
 * with the same tap offsets: three pixels' sums of QK_ARM_ACC_STRIDE channels at a time into
 * acc, then their requant (bias already in; parameters loaded once for the three).
 * pair (or NULL): 8 channels and step 8, so two pixels' inputs and outputs are 16 contiguous
 * bytes: pairs of pixels through qk_arm_dw16 with pair's filter and parameters (16 "channels",
 * each 8 repeated twice; see qk__dw_mve). g3: qk_arm_dw_grid(offs, P->taps) (then
 * qk_arm_dw16_3x3 runs the 16s of channels), or 0. */
static __attribute__((noinline, unused)) void
qk_arm_dw_run(const qk_arm_dw_params *P, const qk_arm_dw_params *pair, const int32_t *offs,
              int g3, const int8_t *x, int32_t step, int32_t npx, int8_t *out) {
    int32_t acc[3 * QK_ARM_ACC_STRIDE];
    const int32_t c_n = P->c_n;
    const int32_t c16 = P->c16;
    const uint32_t lim = ((uint32_t)P->out_zp << 16) | (((uint32_t)P->act_max & 0xFFu) << 8) |
                         ((uint32_t)P->act_min & 0xFFu);
    /* (act_min -128 and act_max 127: no clamp) */
    const int clamp = (lim & 0xFFFFu) != 0x7F80u;
    /* (offsets wrap as addresses do: unsigned) */
    const uint32_t o0 = (uint32_t)offs[0];
    const uint32_t dx = g3 ? (uint32_t)offs[1] - o0 : 0u, dy = g3 ? (uint32_t)offs[3] - o0 : 0u;
    const int8_t *x0 = (const int8_t *)((uintptr_t)x + o0); /* (tap 0's input) */
    if (pair != NULL && npx >= 2) {
        if (g3) qk_arm_dw16_3x3(pair, x0, dx, dy, 16, npx >> 1, lim, out, clamp);
        else qk_arm_dw16(pair, offs, x, 16, npx >> 1, lim, out, clamp);
        x += (npx >> 1) * 16;
        x0 += (npx >> 1) * 16;
        out += (npx >> 1) * 16;
        npx &= 1;
    }
    if (c16 > 0 && g3) qk_arm_dw16_3x3(P, x0, dx, dy, step, npx, lim, out, clamp);
    else if (c16 > 0) qk_arm_dw16(P, offs, x, step, npx, lim, out, clamp);
    if (c16 == c_n) return;
    for (int32_t q0 = 0; q0 < npx; q0 += 3, x += 3 * step, out += 3 * c_n) {
        const int32_t n = npx - q0 < 3 ? npx - q0 : 3;
        for (int32_t c0 = c16; c0 < c_n; c0 += QK_ARM_ACC_STRIDE) {
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

/* Three pixels' convolution fields of kh filter rows, kwc <= 16 values each: pixel q's rows at
 * x + q xstep, ystep bytes apart, to d + q pitch, kwc bytes apart (each as a whole vector, the
 * bytes past kwc zero: the next row's store, or nothing, overwrites them). One VCTP for all;
 * asm: gcc 12 reloads the predicate from the stack for every predicated load. */
static inline void qk_arm_rows3_s8(const int8_t *x, int32_t xstep, int32_t ystep, int32_t kwc,
                                   int32_t kh, int8_t *d, int32_t pitch) {
    const int8_t *xr;
    int8_t *dr;
    int32_t q;
    __asm__ volatile("vctp.8 %[kwc]\n\t"
                     "movs   %[q], #3\n\t"
                     "1:\n\t"
                     "mov    %[xr], %[x]\n\t"
                     "mov    %[dr], %[d]\n\t"
                     "dls    lr, %[kh]\n\t"
                     "2:\n\t"
                     "vpst\n\t"
                     "vldrbt.u8 q0, [%[xr]]\n\t"
                     "add    %[xr], %[xr], %[ystep]\n\t"
                     "vstrb.8 q0, [%[dr]]\n\t"
                     "add    %[dr], %[dr], %[kwc]\n\t"
                     "le     lr, 2b\n\t"
                     "add    %[x], %[x], %[xstep]\n\t"
                     "add    %[d], %[d], %[pitch]\n\t"
                     "subs   %[q], %[q], #1\n\t"
                     "bne    1b\n\t"
                     : [x] "+r"(x), [d] "+r"(d), [xr] "=&r"(xr), [dr] "=&r"(dr), [q] "=&l"(q)
                     : [xstep] "r"(xstep), [ystep] "r"(ystep), [kwc] "r"(kwc), [kh] "r"(kh),
                       [pitch] "r"(pitch)
                     : "lr", "cc", "memory", "p0", "q0");
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

/* sum of w[0..n) (int8), 16 lanes per VADDVA in a tail-predicated loop (asm: gcc 12 spends
 * a dozen instructions on the intrinsics' predicated tail; VADDVA's sum wants an even register) */
static inline int32_t qk_arm_sum_s8(const int8_t *w, int32_t n) {
    register int32_t s __asm__("r12") = 0;
    __asm__ volatile("wlstp.8 lr, %[n], 2f\n\t"
                     "1:\n\t"
                     "vldrb.u8 q0, [%[w]], #16\n\t"
                     "vaddva.s8 %[s], q0\n\t"
                     "letp   lr, 1b\n\t"
                     "2:\n\t"
                     : [s] "+r"(s), [w] "+r"(w)
                     : [n] "r"(n)
                     : "lr", "memory", "q0");
    return s;
}

/* whether any of w[0..n) is -128 (16 lanes per VMINV) */
static inline int qk_arm_any_s8_min(const int8_t *w, int32_t n) {
    int32_t i = 0;
    for (; i + 16 <= n; i += 16)
        if (vminvq_s8(INT8_MAX, vld1q_s8(w + i)) == INT8_MIN) return 1;
    for (; i < n; ++i)
        if (w[i] == INT8_MIN) return 1;
    return 0;
}

/*
 * CONV_2D block kernel: 3 output pixels x 2 filters per inner loop, int8 x int8 with VMLADAVA.S8
 * (16 MACs per instruction; the caller folds -in_zp * sum(w) into the bias and fills padded taps
 * with in_zp, so the raw int8 values multiply directly). rows: the 3 pixels' receptive fields
 * (k int8 values each) interleaved by 16-byte chunks, [ceil(k / 16)][3][16]. For j < npairs,
 * filters 2j and 2j + 1 (rows of k bytes from w): acc[q * 64 + 2j + f] = dot(pixel q, filter
 * 2j + f) (acc rows QK_ARM_ACC_STRIDE words apart). k >= 16: the first 16 values start the
 * sums (their rows held in q4-q6 for all pairs), the rest is a tail-predicated loop (WLSTP.8),
 * so nothing past a row or filter is read. Naked asm: the loop needs 14 registers (6
 * accumulators (VMLADAVA wants even ones), row, rows base, 2 filter pointers, k, acc, LR and
 * the pair count or next pair). k a multiple of 16: the second filter's pointer ends at the
 * next pair, so the pair count takes the next pair's register; else it lives on the stack.
 */
/* one pair: r1, r3 its filters (r3 16 bytes early: its loads pre-increment, so with k a multiple
 * of 16 it ends 16 bytes before the next pair), r5 the rows after the first chunk */
#define QK_ARM_C3_PAIR                                                                       \
    "vldrb.u8 q3, [r1], #16\n\t"                                                             \
    "vmladav.s8 r0, q4, q3\n\t"                                                              \
    "vmladav.s8 r4, q5, q3\n\t"                                                              \
    "vmladav.s8 r8, q6, q3\n\t"                                                              \
    "vldrb.u8 q3, [r3, #16]!\n\t"                                                            \
    "vmladav.s8 r2, q4, q3\n\t"                                                              \
    "vmladav.s8 r6, q5, q3\n\t"                                                              \
    "vmladav.s8 r10, q6, q3\n\t"                                                             \
    "wlstp.8 lr, r9, 3f\n\t"                                                                 \
    "2:\n\t"                                                                                 \
    "vldrb.u8 q0, [r5], #48\n\t"                                                             \
    "vldrb.u8 q1, [r5, #-32]\n\t"                                                            \
    "vldrb.u8 q2, [r5, #-16]\n\t"                                                            \
    "vldrb.u8 q3, [r1], #16\n\t"                                                             \
    "vmladava.s8 r0, q0, q3\n\t"                                                             \
    "vmladava.s8 r4, q1, q3\n\t"                                                             \
    "vmladava.s8 r8, q2, q3\n\t"                                                             \
    "vldrb.u8 q3, [r3, #16]!\n\t"                                                           \
    "vmladava.s8 r2, q0, q3\n\t"                                                             \
    "vmladava.s8 r6, q1, q3\n\t"                                                             \
    "vmladava.s8 r10, q2, q3\n\t"                                                            \
    "letp   lr, 2b\n\t"                                                                      \
    "3:\n\t"                                                                                 \
    "strd   r4, r6, [r11, #256]\n\t"                                                         \
    "strd   r8, r10, [r11, #512]\n\t"                                                        \
    "strd   r0, r2, [r11], #8\n\t"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter" /* (naked: the asm reads r0-r3, [sp]) */
static __attribute__((naked, noinline, unused)) void
qk_arm_conv3x2(const int8_t *rows, const int8_t *w, int32_t k, int32_t npairs, int32_t *acc) {
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "vpush  {d8-d13}\n\t"            /* (q4-q6 are callee-saved) */
        "ldr    r11, [sp, #84]\n\t"      /* acc (5th argument) */
        "vldrb.u8 q4, [r0], #48\n\t"     /* the first chunk's rows (whole: k >= 16) */
        "vldrb.u8 q5, [r0, #-32]\n\t"
        "vldrb.u8 q6, [r0, #-16]\n\t"
        "mov    r7, r0\n\t"              /* rows after the first chunk */
        "sub    r9, r2, #16\n\t"         /* k - 16: values after the first chunk */
        "tst    r2, #15\n\t"
        "bne    5f\n\t"
        "mov    r12, r3\n\t"             /* pairs left */
        "sub    r3, r1, #16\n\t"         /* the next pair's first filter - 16 */
        "1:\n\t"
        "mov    r5, r7\n\t"
        "add    r1, r3, #16\n\t"
        "add    r3, r1, r9\n\t"          /* its second filter, k on (-16) */
        QK_ARM_C3_PAIR
        "subs   r12, r12, #1\n\t"
        "bne    1b\n\t"
        "vpop   {d8-d13}\n\t"
        "pop    {r4-r11, pc}\n\t"
        "5:\n\t"
        "push   {r3}\n\t"                /* [sp]: pairs left */
        "mov    r12, r1\n\t"             /* this pair's first filter */
        "4:\n\t"
        "mov    r5, r7\n\t"
        "mov    r1, r12\n\t"
        "add    r3, r12, r9\n\t"
        QK_ARM_C3_PAIR
        "add    r12, r12, r9, lsl #1\n\t"
        "add    r12, r12, #32\n\t"       /* the next pair: 2 k on */
        "ldr    r1, [sp]\n\t"
        "subs   r1, r1, #1\n\t"
        "str    r1, [sp]\n\t"
        "bne    4b\n\t"
        "add    sp, sp, #4\n\t"
        "vpop   {d8-d13}\n\t"
        "pop    {r4-r11, pc}\n\t");
}
#pragma GCC diagnostic pop
#undef QK_ARM_C3_PAIR

/*
 * The same for short filters, k <= 16 NK (NK 1 or 2), rows not interleaved: pixel q's field is
 * at x + q xstep (a caller can store a field's filter rows straight there, or point at the
 * input). The 3 pixels' rows stay in q0..q(3 NK - 1) (lanes past k zeroed by the predicated
 * loads, nothing past a field read), so a filter pair costs its 2 NK loads, 6 NK VMLADAV(A)s and
 * the stores: 15 or 22 (k < 32: 24) instructions instead of qk_arm_conv3x2's 30 or 42. The
 * filter loads are predicated too (NK 1: k bytes; NK 2: the second 16 of k < 32), so they read
 * only the filters. NK 3 (32 < k <= 48; all 9 chunks do not fit in registers): pixels 0 and 1's
 * fields stay in q0-q2 and q3-q5, pixel 2's chunks are loaded once per pair (q7) next to each
 * filter chunk (q6), the last chunks predicated: 34 instructions a pair (qk_arm_conv3x2: about
 * 46 with k 40). NK 4 (k 64, the filters at immediate offsets): pixel 0's 4 chunks and pixel
 * 1's first 2 held; per pair chunks 0 and 1 stream pixel 2's (9 instructions each), chunks 2 and
 * 3 pixel 1's and 2's, a filter chunk loaded twice (11 each): 45 a pair (qk_arm_conv3x2 53).
 * (not inlined: the asm needs most registers)
 */
#define QK_ARM_SK_PAIR_END                                                                   \
    "strd   r4, r6, [%[acc], #256]\n\t"                                                      \
    "strd   r8, r10, [%[acc], #512]\n\t"                                                     \
    "strd   r0, r2, [%[acc]], #8\n\t"                                                        \
    "le     lr, 1b\n\t"
/* the pair loop (k in %[k], npairs in %[n], P0 the VCTP of k - 16 for the predicated LD2) */
#define QK_ARM_SK2_LOOP(LD2)                                                                 \
            "dls    lr, %[n]\n\t"                                                            \
            "1:\n\t"                                                                         \
            "vldrb.u8 q6, [%[w]]\n\t"                                                        \
            LD2                                                                              \
            "add    %[w], %[w], %[k]\n\t"                                                    \
            "vmladav.s8 r0, q0, q6\n\t"                                                      \
            "vmladava.s8 r0, q3, q7\n\t"                                                     \
            "vmladav.s8 r4, q1, q6\n\t"                                                      \
            "vmladava.s8 r4, q4, q7\n\t"                                                     \
            "vmladav.s8 r8, q2, q6\n\t"                                                      \
            "vmladava.s8 r8, q5, q7\n\t"                                                     \
            "vldrb.u8 q6, [%[w]]\n\t"                                                        \
            LD2                                                                              \
            "add    %[w], %[w], %[k]\n\t"                                                    \
            "vmladav.s8 r2, q0, q6\n\t"                                                      \
            "vmladava.s8 r2, q3, q7\n\t"                                                     \
            "vmladav.s8 r6, q1, q6\n\t"                                                      \
            "vmladava.s8 r6, q4, q7\n\t"                                                     \
            "vmladav.s8 r10, q2, q6\n\t"                                                     \
            "vmladava.s8 r10, q5, q7\n\t" QK_ARM_SK_PAIR_END
#define QK_ARM_SK2_ASM(LD2)                                                                  \
__asm__ volatile(                                                                            \
            "vctp.8 %[k16]\n\t"                                                              \
            "vldrb.u8 q0, [%[x]]\n\t"                                                        \
            "vpst\n\t"                                                                       \
            "vldrbt.u8 q3, [%[x], #16]\n\t"                                                  \
            "add    %[x], %[x], %[xs]\n\t"                                                   \
            "vldrb.u8 q1, [%[x]]\n\t"                                                        \
            "vpst\n\t"                                                                       \
            "vldrbt.u8 q4, [%[x], #16]\n\t"                                                  \
            "add    %[x], %[x], %[xs]\n\t"                                                   \
            "vldrb.u8 q2, [%[x]]\n\t"                                                        \
            "vpst\n\t"                                                                       \
            "vldrbt.u8 q5, [%[x], #16]\n\t"                                                  \
            QK_ARM_SK2_LOOP(LD2)                                                             \
            : [w] "+r"(w), [acc] "+r"(acc), [x] "+r"(x)                                      \
            : [xs] "r"(xstep), [k] "r"(k), [k16] "r"(k - 16), [n] "r"(npairs)                \
            : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "memory", "p0", "q0", "q1", "q2", "q3", \
              "q4", "q5", "q6", "q7")
static __attribute__((noinline, unused)) void
qk_arm_conv3x2_short(const int8_t *x, int32_t xstep, const int8_t *w, int32_t k, int32_t npairs,
                     int32_t *acc, int NK) {
    const int8_t *w2 = w + k;
    if (NK == 1)
        __asm__ volatile(
            "vctp.8 %[k]\n\t"
            "lsl    %[k], %[k], #1\n\t"      /* 2 k: a pair's filter bytes */
            "vpst\n\t"
            "vldrbt.u8 q0, [%[x]]\n\t"
            "add    %[x], %[x], %[xs]\n\t"
            "vpst\n\t"
            "vldrbt.u8 q1, [%[x]]\n\t"
            "add    %[x], %[x], %[xs]\n\t"
            "vpst\n\t"
            "vldrbt.u8 q2, [%[x]]\n\t"
            "dls    lr, %[n]\n\t"
            "1:\n\t"
            "vpstt\n\t"                     /* (P0 is still the VCTP of k) */
            "vldrbt.u8 q3, [%[w]]\n\t"
            "vldrbt.u8 q4, [%[w2]]\n\t"
            "add    %[w], %[w], %[k]\n\t"
            "add    %[w2], %[w2], %[k]\n\t"
            "vmladav.s8 r0, q0, q3\n\t"
            "vmladav.s8 r2, q0, q4\n\t"
            "vmladav.s8 r4, q1, q3\n\t"
            "vmladav.s8 r6, q1, q4\n\t"
            "vmladav.s8 r8, q2, q3\n\t"
            "vmladav.s8 r10, q2, q4\n\t" QK_ARM_SK_PAIR_END
            : [w] "+r"(w), [w2] "+r"(w2), [acc] "+r"(acc), [x] "+r"(x), [k] "+r"(k)
            : [xs] "r"(xstep), [n] "r"(npairs)
            : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "memory", "p0", "q0", "q1", "q2", "q3",
              "q4");
    else if (NK == 3) {
        int32_t t = k - 32, xs = xstep; /* (k - 32, then 2 k; xstep, then the second filter) */
        __asm__ volatile(
            "vctp.8 %[t]\n\t"
            "vldrb.u8 q0, [%[x]]\n\t"
            "vldrb.u8 q1, [%[x], #16]\n\t"
            "vpst\n\t"
            "vldrbt.u8 q2, [%[x], #32]\n\t"
            "add    %[x], %[x], %[xs]\n\t"
            "vldrb.u8 q3, [%[x]]\n\t"
            "vldrb.u8 q4, [%[x], #16]\n\t"
            "vpst\n\t"
            "vldrbt.u8 q5, [%[x], #32]\n\t"
            "add    %[x], %[x], %[xs]\n\t"   /* pixel 2 */
            "add    %[xs], %[w], %[t]\n\t"
            "add    %[xs], %[xs], #32\n\t"   /* w + k */
            "lsl    %[t], %[t], #1\n\t"
            "add    %[t], %[t], #64\n\t"     /* 2 k: a pair's filter bytes */
            "dls    lr, %[n]\n\t"
            "1:\n\t"
            "vldrb.u8 q7, [%[x]]\n\t"
            "vldrb.u8 q6, [%[w]]\n\t"
            "vmladav.s8 r0, q0, q6\n\t"
            "vmladav.s8 r4, q3, q6\n\t"
            "vmladav.s8 r8, q7, q6\n\t"
            "vldrb.u8 q6, [%[xs]]\n\t"
            "vmladav.s8 r2, q0, q6\n\t"
            "vmladav.s8 r6, q3, q6\n\t"
            "vmladav.s8 r10, q7, q6\n\t"
            "vldrb.u8 q7, [%[x], #16]\n\t"
            "vldrb.u8 q6, [%[w], #16]\n\t"
            "vmladava.s8 r0, q1, q6\n\t"
            "vmladava.s8 r4, q4, q6\n\t"
            "vmladava.s8 r8, q7, q6\n\t"
            "vldrb.u8 q6, [%[xs], #16]\n\t"
            "vmladava.s8 r2, q1, q6\n\t"
            "vmladava.s8 r6, q4, q6\n\t"
            "vmladava.s8 r10, q7, q6\n\t"
            "vpstt\n\t"                      /* (P0 is still the VCTP of k - 32) */
            "vldrbt.u8 q7, [%[x], #32]\n\t"
            "vldrbt.u8 q6, [%[w], #32]\n\t"
            "add    %[w], %[w], %[t]\n\t"
            "vmladava.s8 r0, q2, q6\n\t"
            "vmladava.s8 r4, q5, q6\n\t"
            "vmladava.s8 r8, q7, q6\n\t"
            "vpst\n\t"
            "vldrbt.u8 q6, [%[xs], #32]\n\t"
            "add    %[xs], %[xs], %[t]\n\t"
            "vmladava.s8 r2, q2, q6\n\t"
            "vmladava.s8 r6, q5, q6\n\t"
            "vmladava.s8 r10, q7, q6\n\t" QK_ARM_SK_PAIR_END
            : [w] "+r"(w), [acc] "+r"(acc), [x] "+r"(x), [t] "+r"(t), [xs] "+r"(xs)
            : [n] "r"(npairs)
            : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "memory", "p0", "q0", "q1", "q2", "q3",
              "q4", "q5", "q6", "q7");
    } else if (NK == 4) { /* (k 64) */
        const int8_t *x2;
        __asm__ volatile(
            "vldrb.u8 q0, [%[x]]\n\t"
            "vldrb.u8 q1, [%[x], #16]\n\t"
            "vldrb.u8 q2, [%[x], #32]\n\t"
            "vldrb.u8 q3, [%[x], #48]\n\t"
            "add    %[x], %[x], %[xs]\n\t"
            "vldrb.u8 q4, [%[x]]\n\t"
            "vldrb.u8 q5, [%[x], #16]\n\t"
            "add    %[x2], %[x], %[xs]\n\t"
            "dls    lr, %[n]\n\t"
            "1:\n\t"
            "vldrb.u8 q7, [%[x2]]\n\t"
            "vldrb.u8 q6, [%[w]]\n\t"
            "vmladav.s8 r0, q0, q6\n\t"
            "vmladav.s8 r4, q4, q6\n\t"
            "vmladav.s8 r8, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #64]\n\t"
            "vmladav.s8 r2, q0, q6\n\t"
            "vmladav.s8 r6, q4, q6\n\t"
            "vmladav.s8 r10, q7, q6\n\t"
            "vldrb.u8 q7, [%[x2], #16]\n\t"
            "vldrb.u8 q6, [%[w], #16]\n\t"
            "vmladava.s8 r0, q1, q6\n\t"
            "vmladava.s8 r4, q5, q6\n\t"
            "vmladava.s8 r8, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #80]\n\t"
            "vmladava.s8 r2, q1, q6\n\t"
            "vmladava.s8 r6, q5, q6\n\t"
            "vmladava.s8 r10, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #32]\n\t"
            "vmladava.s8 r0, q2, q6\n\t"
            "vldrb.u8 q7, [%[x], #32]\n\t"
            "vmladava.s8 r4, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #96]\n\t"
            "vmladava.s8 r6, q7, q6\n\t"
            "vmladava.s8 r2, q2, q6\n\t"
            "vldrb.u8 q7, [%[x2], #32]\n\t"
            "vmladava.s8 r10, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #32]\n\t"
            "vmladava.s8 r8, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #48]\n\t"
            "vmladava.s8 r0, q3, q6\n\t"
            "vldrb.u8 q7, [%[x], #48]\n\t"
            "vmladava.s8 r4, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #112]\n\t"
            "vmladava.s8 r6, q7, q6\n\t"
            "vmladava.s8 r2, q3, q6\n\t"
            "vldrb.u8 q7, [%[x2], #48]\n\t"
            "vmladava.s8 r10, q7, q6\n\t"
            "vldrb.u8 q6, [%[w], #48]\n\t"
            "vmladava.s8 r8, q7, q6\n\t"
            "add    %[w], %[w], #128\n\t" QK_ARM_SK_PAIR_END
            : [w] "+r"(w), [acc] "+r"(acc), [x] "+r"(x), [x2] "=&r"(x2)
            : [xs] "r"(xstep), [n] "r"(npairs)
            : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "memory", "q0", "q1", "q2", "q3", "q4",
              "q5", "q6", "q7");
  } else if (k == 32)
        QK_ARM_SK2_ASM("vldrb.u8 q7, [%[w], #16]\n\t");
    else /* (P0 is still the VCTP of k - 16) */
        QK_ARM_SK2_ASM("vpst\n\tvldrbt.u8 q7, [%[w], #16]\n\t");
}


/*
 * qk_arm_conv3x2_short (NK 2) for fields of 3 filter rows of c = kwc values, 8 <= c <= 10 (k =
 * 3 c in [24, 30], a 3x3 filter over RGB: c 9), straight from the input: pixel q's rows at x +
 * q xstep + r ystep, none stored. Its 32 lanes: q0-q2 lanes < c row 0, the rest row 1 (those
 * loads' lanes >= c, VPT else), q3-q5 lanes < t = 2 c - 16 row 1's tail, then row 2 (a load
 * predicated to lanes < 3 c - 16 = k - 16 from t bytes before it, its first t lanes replaced
 * by VPSEL); the filters' natural order. Nothing outside the rows is read but the t input bytes
 * before row 2 (inside the image, as rows 0 and 1 precede it). Field building: about 40
 * instructions for 3 pixels, not the 100-odd of storing and reloading the rows.
 */
static __attribute__((noinline, unused)) void
qk_arm_conv3x2_r3(const int8_t *x, int32_t xstep, int32_t ystep, const int8_t *w, int32_t c,
                  int32_t npairs, int32_t *acc) {
    int32_t k = c; /* (c, then k) */
    __asm__ volatile(
        "vctp.8 %[k]\n\t"
        "add    r0, %[x], %[ys]\n\t"      /* pixel 0's row 1 */
        "sub    r4, r0, %[k]\n\t"         /* its loads for lanes >= c */
        "add    r2, r0, %[ys]\n\t"        /* pixel 0's row 2 */
        "add    r6, %[x], %[xs]\n\t"
        "add    r8, r4, %[xs]\n\t"
        "vpstete\n\t"
        "vldrbt.u8 q0, [%[x]]\n\t"
        "vldrbe.u8 q6, [r4]\n\t"
        "vldrbt.u8 q1, [r6]\n\t"
        "vldrbe.u8 q7, [r8]\n\t"
        "add    r6, r6, %[xs]\n\t"
        "add    r8, r8, %[xs]\n\t"
        "vorr   q0, q0, q6\n\t"
        "vorr   q1, q1, q7\n\t"
        "vpste\n\t"                      /* (the E above left P0 inverted) */
        "vldrbt.u8 q6, [r8]\n\t"
        "vldrbe.u8 q2, [r6]\n\t"
        "vorr   q2, q2, q6\n\t"
        "lsl    r10, %[k], #1\n\t"
        "sub    r10, r10, #16\n\t"            /* t = 2 c - 16 */
        "add    %[x], r10, %[k]\n\t"          /* 3 c - 16 = k - 16 */
        "add    %[k], %[k], %[k], lsl #1\n\t" /* k = 3 c */
        "vctp.8 %[x]\n\t"
        "sub    r2, r2, r10\n\t"              /* row 2 - t */
        "add    r6, r2, %[xs]\n\t"
        "add    r8, r6, %[xs]\n\t"
        "vpsttt\n\t"
        "vldrbt.u8 q3, [r2]\n\t"
        "vldrbt.u8 q4, [r6]\n\t"
        "vldrbt.u8 q5, [r8]\n\t"
        "add    r4, r4, #16\n\t"              /* row 1 + 16 - c: its tail */
        "add    r6, r4, %[xs]\n\t"
        "add    r8, r6, %[xs]\n\t"
        "vctp.8 r10\n\t"
        "vpstt\n\t"
        "vldrbt.u8 q6, [r4]\n\t"
        "vldrbt.u8 q7, [r6]\n\t"
        "vpsel  q3, q6, q3\n\t"
        "vpsel  q4, q7, q4\n\t"
        "vpst\n\t"
        "vldrbt.u8 q6, [r8]\n\t"
        "vpsel  q5, q6, q5\n\t"
        "vctp.8 %[x]\n\t"                     /* (the pair loop's filter tail) */
        QK_ARM_SK2_LOOP("vpst\n\tvldrbt.u8 q7, [%[w], #16]\n\t")
        : [w] "+r"(w), [acc] "+r"(acc), [x] "+r"(x), [k] "+r"(k)
        : [xs] "r"(xstep), [ys] "r"(ystep), [n] "r"(npairs)
        : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "cc", "memory", "p0", "q0", "q1", "q2", "q3",
          "q4", "q5", "q6", "q7");
}
/*
 * The same for NK 1 with 3 filter rows of c <= 5 values (k = 3 c <= 15: a 3x3 filter over one
 * channel, c 3): lanes [r c, r c + c) row r, each pixel's row 2 loaded to lanes < 3 c from 2 c
 * bytes before it, then rows 1 and 0 put in by VPSEL (loads to lanes < 2 c and < c from c and 0
 * bytes before them). Only the 2 c input bytes before row 2 and c before row 1 are read beyond
 * the rows (inside the image).
 */
static __attribute__((noinline, unused)) void
qk_arm_conv3x2_r3s(const int8_t *x, int32_t xstep, int32_t ystep, const int8_t *w, int32_t c,
                   int32_t npairs, int32_t *acc) {
    int32_t k = c, xs = xstep, ys = ystep; /* (c, then k; the steps, then 2 k) */
    __asm__ volatile(
        "add    r10, %[k], %[k]\n\t"          /* 2 c */
        "add    r6, r10, %[k]\n\t"            /* 3 c */
        "add    r0, %[x], %[ys], lsl #1\n\t"
        "sub    r0, r0, r10\n\t"              /* pixel 0's row 2 - 2 c */
        "add    r2, r0, %[xs]\n\t"
        "add    r4, r2, %[xs]\n\t"
        "vctp.8 r6\n\t"
        "vpsttt\n\t"
        "vldrbt.u8 q0, [r0]\n\t"
        "vldrbt.u8 q1, [r2]\n\t"
        "vldrbt.u8 q2, [r4]\n\t"
        "add    r0, %[x], %[ys]\n\t"
        "sub    r0, r0, %[k]\n\t"             /* row 1 - c */
        "add    r2, r0, %[xs]\n\t"
        "add    r4, r2, %[xs]\n\t"
        "vctp.8 r10\n\t"
        "vpsttt\n\t"
        "vldrbt.u8 q3, [r0]\n\t"
        "vldrbt.u8 q4, [r2]\n\t"
        "vldrbt.u8 q5, [r4]\n\t"
        "vpsel  q0, q3, q0\n\t"
        "vpsel  q1, q4, q1\n\t"
        "vpsel  q2, q5, q2\n\t"
        "add    r2, %[x], %[xs]\n\t"
        "add    r4, r2, %[xs]\n\t"
        "vctp.8 %[k]\n\t"
        "vpsttt\n\t"
        "vldrbt.u8 q3, [%[x]]\n\t"
        "vldrbt.u8 q4, [r2]\n\t"
        "vldrbt.u8 q5, [r4]\n\t"
        "vpsel  q0, q3, q0\n\t"
        "vpsel  q1, q4, q1\n\t"
        "vpsel  q2, q5, q2\n\t"
        "mov    %[k], r6\n\t"                 /* k */
        "lsl    %[ys], r6, #1\n\t"            /* 2 k: a pair's filter bytes */
        "add    %[x], %[w], r6\n\t"           /* the pair's second filter */
        "vctp.8 %[k]\n\t"
        "dls    lr, %[n]\n\t"
        "1:\n\t"
        "vpstt\n\t"
        "vldrbt.u8 q3, [%[w]]\n\t"
        "vldrbt.u8 q4, [%[x]]\n\t"
        "add    %[w], %[w], %[ys]\n\t"
        "add    %[x], %[x], %[ys]\n\t"
        "vmladav.s8 r0, q0, q3\n\t"
        "vmladav.s8 r2, q0, q4\n\t"
        "vmladav.s8 r4, q1, q3\n\t"
        "vmladav.s8 r6, q1, q4\n\t"
        "vmladav.s8 r8, q2, q3\n\t"
        "vmladav.s8 r10, q2, q4\n\t" QK_ARM_SK_PAIR_END
        : [w] "+r"(w), [acc] "+r"(acc), [x] "+r"(x), [k] "+r"(k), [xs] "+r"(xs), [ys] "+r"(ys)
        : [n] "r"(npairs)
        : "r0", "r2", "r4", "r6", "r8", "r10", "lr", "cc", "memory", "p0", "q0", "q1", "q2", "q3",
          "q4", "q5");
}
#undef QK_ARM_SK_PAIR_END
#undef QK_ARM_SK2_LOOP
#undef QK_ARM_SK2_ASM

#endif /* QK_ARM_MVE */

#endif /* QK_ARM_H */
