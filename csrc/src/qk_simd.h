/* Host SIMD helpers (x86-64 AVX-512 VNNI). Everything here sits behind compiler feature macros:
 * builds without them (Cortex-M, portable host builds) see only QK_SIMD_VNNI == 0 and keep the
 * portable kernels. The extension is built on the machine that runs it (-march=native), so
 * there is no run-time dispatch. All integer math: results are bit-exact with the portable code.
 */
#ifndef QK_SIMD_H
#define QK_SIMD_H

#include <stdint.h>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512VNNI__) && defined(__AVX512DQ__)
#define QK_SIMD_VNNI 1
#include <immintrin.h>

#define QK__SIMD_INLINE static inline __attribute__((always_inline))

/* 16 lanes of qk__rq_row_i8's requant (see qk_conv.c), same integer steps:
 *   a = acc + bias (wrapping); xs = a * 2^left (wrapping); neg = xs < 0; mag = |xs| (as uint32)
 *   hi = (mag * mult + 2^30 - neg) >> 31; r = ((hi + half) * 2^(31 - right)) >> 31
 *   v = clamp((neg ? -r : r) + out_zp, act_min, act_max)
 * The 32x32->64 multiplies run on even and odd lanes separately (vpmuludq). */
QK__SIMD_INLINE __m512i qk__rq16(__m512i acc, __m512i bias, __m512i mult, __m512i lm,
                                 __m512i rm, __m512i hf, __m512i ozp, __m512i lo, __m512i hi) {
    const __m512i lo32 = _mm512_set1_epi64(0xFFFFFFFFll);
    const __m512i c30 = _mm512_set1_epi64((int64_t)1 << 30);
    const __m512i xs = _mm512_mullo_epi32(_mm512_add_epi32(acc, bias), lm);
    const __mmask16 neg = _mm512_movepi32_mask(xs);
    const __m512i negv = _mm512_srli_epi32(xs, 31);
    const __m512i mag = _mm512_abs_epi32(xs); /* INT32_MIN -> 0x80000000 == 2^31 unsigned */
    __m512i pe = _mm512_mul_epu32(mag, mult);
    __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(mag, 32), _mm512_srli_epi64(mult, 32));
    pe = _mm512_srli_epi64(_mm512_sub_epi64(_mm512_add_epi64(pe, c30), _mm512_and_si512(negv, lo32)), 31);
    po = _mm512_srli_epi64(_mm512_sub_epi64(_mm512_add_epi64(po, c30), _mm512_srli_epi64(negv, 32)), 31);
    const __m512i h = _mm512_add_epi32(_mm512_or_si512(pe, _mm512_slli_epi64(po, 32)), hf);
    pe = _mm512_srli_epi64(_mm512_mul_epu32(h, rm), 31); /* < 2^32: upper halves are 0 */
    po = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(h, 32), _mm512_srli_epi64(rm, 32)), 31);
    __m512i r = _mm512_or_si512(pe, _mm512_slli_epi64(po, 32));
    r = _mm512_mask_sub_epi32(r, neg, _mm512_setzero_si512(), r);
    r = _mm512_add_epi32(r, ozp);
    return _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
}

/* Per-channel requant parameters of one 16-channel block, loaded once and reused per pixel. */
typedef struct {
    __m512i bias, mult, lm, rm, hf;
    __mmask16 valid;
} qk__rq16_params;

/* Lanes [0, n) of channels c0.. (n <= 16; the rest are zero and masked off on store). */
QK__SIMD_INLINE qk__rq16_params qk__rq16_load(const int32_t *bias, const int32_t *mult,
                                              const uint32_t *rq, int64_t oc_n, int32_t c0,
                                              int32_t n) {
    qk__rq16_params p;
    p.valid = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
    p.bias = _mm512_maskz_loadu_epi32(p.valid, bias + c0);
    p.mult = _mm512_maskz_loadu_epi32(p.valid, mult + c0);
    p.lm = _mm512_maskz_loadu_epi32(p.valid, rq + c0);
    p.rm = _mm512_maskz_loadu_epi32(p.valid, rq + oc_n + c0);
    p.hf = _mm512_maskz_loadu_epi32(p.valid, rq + 2 * oc_n + c0);
    return p;
}

/* Requantize one pixel's 16-channel accumulator and store its valid lanes as int8. */
QK__SIMD_INLINE void qk__rq16_store(__m512i acc, const qk__rq16_params *p, __m512i ozp, __m512i lo,
                                    __m512i hi, int8_t *out) {
    const __m512i v = qk__rq16(acc, p->bias, p->mult, p->lm, p->rm, p->hf, ozp, lo, hi);
    _mm512_mask_cvtepi32_storeu_epi8(out, p->valid, v);
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
