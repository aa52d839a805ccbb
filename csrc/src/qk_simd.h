/* Host SIMD helpers (x86-64 AVX-512 VNNI). Everything here sits behind compiler feature macros:
 * builds without them (Cortex-M, portable host builds) see only QK_SIMD_VNNI == 0 and keep the
 * portable kernels. The extension is built on the machine that runs it (-march=native), so
 * there is no run-time dispatch. All integer math: results are bit-exact with the portable code.
 */
#ifndef QK_SIMD_H
#define QK_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512VNNI__) && defined(__AVX512DQ__) && defined(__AVX512CD__)
#define QK_SIMD_VNNI 1
#include <immintrin.h>

#define QK__SIMD_INLINE static inline __attribute__((always_inline))
/* full unrolling of the micro-kernel's fixed-size loops keeps its accumulators in registers */
#define QK__UNROLL _Pragma("GCC unroll 16")

/* Per-channel requant parameters of 16 channels, in the form qk__rq16 uses: the rq words'
 * powers of two become shift counts (lm = 2^left, rm = 2^(31 - right)), so x * lm and
 * (v * rm) >> 31 are per-lane variable shifts. */
typedef struct {
    __m512i bias, mult, mult_odd, left, right, hf;
    __mmask16 valid;
} qk__rq16_params;

/* Lanes [0, n) of channels c0.. (n <= 16; the rest are zero and masked off on store); bias may
 * be NULL (no bias). lm, rm, hf: the three rows of the qk__rq_ok words. */
QK__SIMD_INLINE qk__rq16_params qk__rq16_load(const int32_t *bias, const int32_t *mult,
                                              const uint32_t *lm, const uint32_t *rm,
                                              const uint32_t *hf, int32_t c0, int32_t n) {
    qk__rq16_params p;
    const __m512i c31 = _mm512_set1_epi32(31);
    p.valid = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
    p.bias = bias != NULL ? _mm512_maskz_loadu_epi32(p.valid, bias + c0) : _mm512_setzero_si512();
    p.mult = _mm512_maskz_loadu_epi32(p.valid, mult + c0);
    p.mult_odd = _mm512_srli_epi64(p.mult, 32);
    /* lanes past n: lm = rm = 0 -> left = 31 - 32, right = 32: shifts of 32 give 0 (unused) */
    p.left = _mm512_sub_epi32(c31, _mm512_lzcnt_epi32(_mm512_maskz_loadu_epi32(p.valid, lm + c0)));
    p.right = _mm512_lzcnt_epi32(_mm512_maskz_loadu_epi32(p.valid, rm + c0));
    p.hf = _mm512_maskz_loadu_epi32(p.valid, hf + c0);
    return p;
}

/* 16 lanes of qk__rq_row_i8's requant (see qk_conv.c), same integer steps:
 *   a = acc + bias (wrapping); xs = a << left (wrapping); neg = xs < 0; mag = |xs| (as uint32)
 *   hi = (mag * mult + 2^30 - neg) >> 31; r = (hi + half) >> right
 *   v = clamp((neg ? -r : r) + out_zp, act_min, act_max)
 * The 32x32->64 multiply runs on even and odd lanes separately (vpmuludq). */
QK__SIMD_INLINE __m512i qk__rq16(__m512i acc, const qk__rq16_params *p, __m512i ozp, __m512i lo,
                                 __m512i hi) {
    const __m512i lo32 = _mm512_set1_epi64(0xFFFFFFFFll);
    const __m512i xs = _mm512_sllv_epi32(_mm512_add_epi32(acc, p->bias), p->left);
    const __mmask16 neg = _mm512_movepi32_mask(xs);
    /* 2^30 - neg per lane: the rounding term, 2^30 or 2^30 - 1 */
    const __m512i rnd = _mm512_sub_epi32(_mm512_set1_epi32(1 << 30), _mm512_srli_epi32(xs, 31));
    const __m512i mag = _mm512_abs_epi32(xs); /* INT32_MIN -> 0x80000000 == 2^31 unsigned */
    __m512i pe = _mm512_add_epi64(_mm512_mul_epu32(mag, p->mult), _mm512_and_si512(rnd, lo32));
    __m512i po = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(mag, 32), p->mult_odd),
                                  _mm512_srli_epi64(rnd, 32));
    /* even lanes: (pe >> 31) < 2^31 in the low half; odd: (po << 1)'s high half is po >> 31 */
    const __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 31),
                                              _mm512_slli_epi64(po, 1));
    /* h < 2^31, half <= 2^30: the sum fits uint32 */
    __m512i r = _mm512_srlv_epi32(_mm512_add_epi32(h, p->hf), p->right);
    r = _mm512_mask_sub_epi32(r, neg, _mm512_setzero_si512(), r);
    r = _mm512_add_epi32(r, ozp);
    return _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
}

/* Requantize one pixel's 16-channel accumulator and store its valid lanes as int8. */
QK__SIMD_INLINE void qk__rq16_store(__m512i acc, const qk__rq16_params *p, __m512i ozp, __m512i lo,
                                    __m512i hi, int8_t *out) {
    _mm512_mask_cvtepi32_storeu_epi8(out, p->valid, qk__rq16(acc, p, ozp, lo, hi));
}

/* Requant parameters from per-channel shifts (qk__requant's form, shift in [-31, 30]) instead
 * of rq words: left = max(shift, 0), right = max(-shift, 0), half = 2^right / 2. */
QK__SIMD_INLINE qk__rq16_params qk__rq16_load_shift(const int32_t *bias, const int32_t *mult,
                                                    const int32_t *shift, int32_t c0, int32_t n) {
    qk__rq16_params p;
    const __m512i z = _mm512_setzero_si512();
    p.valid = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
    p.bias = bias != NULL ? _mm512_maskz_loadu_epi32(p.valid, bias + c0) : z;
    p.mult = _mm512_maskz_loadu_epi32(p.valid, mult + c0);
    p.mult_odd = _mm512_srli_epi64(p.mult, 32);
    const __m512i s = _mm512_maskz_loadu_epi32(p.valid, shift + c0);
    p.left = _mm512_max_epi32(s, z);
    p.right = _mm512_max_epi32(_mm512_sub_epi32(z, s), z);
    p.hf = _mm512_srli_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), p.right), 1);
    return p;
}

/* M pixels (rows of the panel, kp apart) x NB 16-channel blocks: accumulate over kp / 4 steps,
 * then requantize and store the first mv pixels (out: pixel 0's channel c0; pixels oc_n apart).
 * M <= 12 and NB <= 4 are compile-time constants at every call (the loops unroll into
 * registers). The weights w are NB blocks wblk bytes apart, each [kp / 4][16][4] int8; the rows
 * hold uint8 values (X == 0) or int8 values read as x + 128 (X == 0x80808080: each byte's sign
 * bit flipped); vpdpbusd: u8 x s8, int32 sums without saturation. */
QK__SIMD_INLINE void qk__gemm_tile(const void *rows, int32_t kp, const int M, const int NB,
                                   const int32_t X, int32_t mv, const int8_t *w, int64_t wblk,
                                   const qk__rq16_params *rp, __m512i ozp, __m512i lo, __m512i hi,
                                   int8_t *out, int32_t oc_n) {
    __m512i acc[12][4];
    QK__UNROLL for (int p = 0; p < M; ++p)
        QK__UNROLL for (int j = 0; j < NB; ++j) acc[p][j] = _mm512_setzero_si512();
    for (int32_t k = 0; k < kp; k += 4) {
        __m512i wv[4];
        QK__UNROLL for (int j = 0; j < NB; ++j) wv[j] = _mm512_loadu_si512(w + j * wblk + 16 * k);
        QK__UNROLL for (int p = 0; p < M; ++p) {
            int32_t x4;
            memcpy(&x4, (const uint8_t *)rows + (int64_t)p * kp + k, 4);
            const __m512i xv = _mm512_set1_epi32(x4 ^ X);
            QK__UNROLL for (int j = 0; j < NB; ++j) acc[p][j] = _mm512_dpbusd_epi32(acc[p][j], xv, wv[j]);
        }
    }
    QK__UNROLL for (int p = 0; p < M; ++p) {
        if (p >= mv) break;
        QK__UNROLL for (int j = 0; j < NB; ++j)
            qk__rq16_store(acc[p][j], &rp[j], ozp, lo, hi, out + (int64_t)p * oc_n + 16 * j);
    }
}

/* The same requant parameters on every lane: multiplier mult >= 0, shift in [-31, 30]. */
QK__SIMD_INLINE qk__rq16_params qk__rq16_set(int32_t mult, int32_t shift) {
    qk__rq16_params p;
    const int32_t right = shift > 0 ? 0 : -shift;
    p.valid = (__mmask16)0xFFFFu;
    p.bias = _mm512_setzero_si512();
    p.mult = _mm512_set1_epi32(mult);
    p.mult_odd = _mm512_srli_epi64(p.mult, 32);
    p.left = _mm512_set1_epi32(shift > 0 ? shift : 0);
    p.right = _mm512_set1_epi32(right);
    p.hf = _mm512_set1_epi32(right > 0 ? (int32_t)(1u << (right - 1)) : 0);
    return p;
}

/* a[i] ^ 0x80 for i < n: int8 values as uint8 (x + 128). */
QK__SIMD_INLINE void qk__xor80(uint8_t *restrict d, const int8_t *restrict s, int32_t n) {
    const __m512i k = _mm512_set1_epi8((char)0x80);
    int32_t i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512(d + i, _mm512_xor_si512(_mm512_loadu_si512(s + i), k));
    if (i < n) {
        const __mmask64 m = (__mmask64)((1ull << (n - i)) - 1u); /* n - i < 64 */
        _mm512_mask_storeu_epi8(d + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, s + i), k));
    }
}

#else
#define QK_SIMD_VNNI 0
#endif

#endif /* QK_SIMD_H */
