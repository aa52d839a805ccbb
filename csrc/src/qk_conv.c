/* Convolutions: CONV_2D, DEPTHWISE_CONV_2D (TRANSPOSE_CONV lives in qk_transpose_conv.c). */
#include "qk_internal.h"
#include "qk_arm.h"
#include "qk_simd.h"

/*
 * Semantics follow TFLM's reference_integer_ops ConvPerChannel / DepthwiseConvPerChannel:
 *   acc = sum over in-image taps of w * (x - in_zp)   (padded taps contribute nothing)
 *   acc += bias; out = clamp(requant(acc) + out_zp, act_min, act_max)
 * int8 x int8: int32 accumulator, int32 bias, double-rounding requant (qk__requant).
 * int16 x int8 ("16x8"), zero points 0: the accumulator is int64 and requant is the int64
 * MultiplyByQuantizedMultiplier (qk__requant64) with an int64 bias or no bias; CONV_2D with an
 * int32 bias instead accumulates in int32 (wrapping) and requantizes with qk__requant, as
 * TFLM's ConvPerChannel<int32_t> does. DEPTHWISE_CONV_2D 16x8 takes int64 bias only.
 * Each op has a plain path (TFLM's loop nest, used when the plan gives no scratch buffer) and
 * a fast path computing the same integer sums (bit-exact) with vectorizable loops.
 */

/* Geometry shared by both ops, read from args and checked once. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, kh, kw, fic, out_h, out_w, out_c;
    int32_t sh, sw, dh, dw, ph, pw, in_zp, out_zp, act_min, act_max;
} qk__conv_geom;

/* Largest taps * channels reduction: keeps |int8 acc| <= 65536 * 128 * 255 < 2^31. */
#define QK__CONV_MAX_DEPTH 65536

static int qk__geom_ok(const qk__conv_geom *g) {
    if (g->batches < 0 || g->in_h < 0 || g->in_w < 0 || g->in_c < 1 || g->kh < 1 || g->kw < 1 ||
        g->fic < 1 || g->out_h < 0 || g->out_w < 0 || g->out_c < 0)
        return 0;
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->ph < 0 || g->pw < 0) return 0;
    if (g->act_min > g->act_max) return 0;
    /* every input coordinate computed below fits comfortably in int32 */
    if ((int64_t)(g->out_h > 0 ? g->out_h - 1 : 0) * g->sh + (int64_t)(g->kh - 1) * g->dh > INT32_MAX / 2)
        return 0;
    if ((int64_t)(g->out_w > 0 ? g->out_w - 1 : 0) * g->sw + (int64_t)(g->kw - 1) * g->dw > INT32_MAX / 2)
        return 0;
    if (g->ph > INT32_MAX / 2 || g->pw > INT32_MAX / 2) return 0;
    if ((int64_t)g->kh * g->kw * g->fic > QK__CONV_MAX_DEPTH) return 0;
    return 1;
}

static void qk__geom_read(qk__conv_geom *g, const int32_t *a) {
    g->batches = a[0]; g->in_h = a[1]; g->in_w = a[2]; g->in_c = a[3];
    g->kh = a[4]; g->kw = a[5]; g->fic = a[6]; g->out_h = a[7]; g->out_w = a[8]; g->out_c = a[9];
    g->sh = a[10]; g->sw = a[11]; g->dh = a[12]; g->dw = a[13]; g->ph = a[14]; g->pw = a[15];
    g->in_zp = a[16]; g->out_zp = a[17]; g->act_min = a[18]; g->act_max = a[19];
}

/* Check per-channel requant params: multipliers >= 0 (as QuantizeMultiplier makes them),
 * shifts in [-31, 30] for qk__requant, [-31, 14] for qk__requant64. */
static int qk__shifts_ok(const int32_t *mult, const int32_t *shift, int32_t n, int32_t max_shift) {
    for (int32_t i = 0; i < n; ++i)
        if (mult[i] < 0 || shift[i] < -31 || shift[i] > max_shift) return 0;
    return 1;
}

/* |int64 bias| bound so the int64 accumulator times a 16-bit multiplier cannot overflow. */
#define QK__BIAS64_MAX ((int64_t)1 << 40)

static int qk__bias64_ok(const int64_t *bias, int32_t n) {
    if (bias == NULL) return 1;
    for (int32_t i = 0; i < n; ++i)
        if (bias[i] > QK__BIAS64_MAX || bias[i] < -QK__BIAS64_MAX) return 0;
    return 1;
}

/* int32 wrapping add (TFLM's int32 accumulators wrap in practice; keep it defined here). */
static inline int32_t qk__wrap_add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/*
 * qk__requant computed on the magnitude: same result for every x and every mult >= 0 (the exec
 * functions check that), since both rounding steps round half away from zero, which commutes
 * with negation. Branch-free and about twice as fast as the gemmlowp-shaped form.
 *   srdhm: |hi| = (|x'| * mult + 2^30 - [x' < 0]) >> 31, x' = x << left (wrapping, as TFLite)
 *   rdbpot: |r| = (|hi| + 2^(right-1)) >> right
 */
static inline int32_t qk__requant_fast(int32_t x, int32_t mult, int32_t shift) {
    const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    const uint32_t xs = (uint32_t)x << left;
    const uint32_t neg = xs >> 31;
    const uint32_t mag = neg ? 0u - xs : xs;
    const uint32_t hi = (uint32_t)(((uint64_t)mag * (uint32_t)mult + ((1u << 30) - neg)) >> 31);
    const uint32_t half = right > 0 ? 1u << (right - 1) : 0u;
    const int32_t r = (int32_t)((hi + half) >> right); /* hi < 2^31, half <= 2^30: no wrap */
    return neg ? -r : r;
}

/*
 * Vectorizable form of qk__requant_fast for a row of channels: the per-channel shifts become
 * multipliers (x << left == x * 2^left mod 2^32; v >> right == (v * 2^(31-right)) >> 31 for
 * v < 2^32), so every lane does the same unsigned 32x32->64 multiplies (pmuludq on SSE2).
 * The lowering precomputes rq, 3 x n words: 2^left, 2^(31 - right), and the rounding half
 * 2^(right - 1) (0 if right == 0); the exec functions check it against the shifts.
 */
static int qk__rq_ok(const int32_t *shift, const uint32_t *rq, int32_t n) {
    int32_t i = 0;
#if defined(QK_ARM_MVE)
    /* four channels per vector: VSHL of 1 by each lane's amount (by right - 1 = -1 it gives
     * the 0 of right == 0); VQNEG keeps -INT32_MIN out of range */
    const uint32x4_t one = vdupq_n_u32(1);
    for (; i + 4 <= n; i += 4) {
        const int32x4_t s = vld1q_s32(shift + i);
        const int32x4_t left = vmaxq_s32(s, vdupq_n_s32(0));
        const int32x4_t right = vmaxq_s32(vqnegq_s32(s), vdupq_n_s32(0));
        const mve_pred16_t bad =
            vcmpgtq_n_s32(left, 30) | vcmpgtq_n_s32(right, 31) |
            vcmpneq_u32(vshlq_u32(one, left), vld1q_u32(rq + i)) |
            vcmpneq_u32(vshlq_u32(one, vsubq_s32(vdupq_n_s32(31), right)),
                        vld1q_u32(rq + n + i)) |
            vcmpneq_u32(vshlq_u32(one, vsubq_n_s32(right, 1)), vld1q_u32(rq + 2 * n + i));
        if (bad != 0) return 0;
    }
#endif
    for (; i < n; ++i) {
        const int32_t left = shift[i] > 0 ? shift[i] : 0, right = shift[i] > 0 ? 0 : -shift[i];
        if (left > 30 || right > 31) return 0;
        if (rq[i] != 1u << left || rq[n + i] != 1u << (31 - right)) return 0;
        if (rq[2 * n + i] != (right > 0 ? 1u << (right - 1) : 0u)) return 0;
    }
    return 1;
}

/* Channels per accumulator chunk in the fast paths (bounds their int32 scratch). */
#define QK__ACC_CHUNK 64

/* out[i] = clamp(requant(acc[i] + bias[i]) + out_zp) for i < n, int8 output; lm, rm, hf are
 * the three rq rows (offset to the chunk). The results go
 * back into acc first, so the requant loop runs on 32-bit lanes only (4 per vector, which also
 * covers rows of 8 channels); a second loop narrows them. */
#if QK_SIMD_VNNI
/* qk__rq_row_i8 on 16 lanes at a time (qk__rq16: the same integer steps). */
static void qk__rq_row_i8_simd(const int32_t *acc, const int32_t *bias, const int32_t *mult,
                               const uint32_t *lm, const uint32_t *rm, const uint32_t *hf,
                               int32_t n, int32_t out_zp, int32_t act_min, int32_t act_max,
                               int8_t *out) {
    const __m512i ozp = _mm512_set1_epi32(out_zp);
    const __m512i lo = _mm512_set1_epi32(act_min), hi = _mm512_set1_epi32(act_max);
    for (int32_t i = 0; i < n; i += 16) {
        const qk__rq16_params p = qk__rq16_load(bias, mult, lm, rm, hf, i, n - i);
        _mm512_mask_cvtepi32_storeu_epi8(out + i, p.valid,
                                         qk__rq16(_mm512_maskz_loadu_epi32(p.valid, acc + i), &p,
                                                  ozp, lo, hi));
    }
}
#endif

static void qk__rq_row_i8(int32_t *restrict acc, const int32_t *restrict bias,
                          const int32_t *restrict mult, const uint32_t *restrict lm,
                          const uint32_t *restrict rm, const uint32_t *restrict hf, int32_t n,
                          int32_t out_zp, int32_t act_min, int32_t act_max, int8_t *restrict out) {
#if defined(QK_ARM_DSP) || defined(QK_ARM_MVE)
    qk_arm_rq_row_i8(acc, bias, mult, lm, rm, hf, n, out_zp, act_min, act_max, out);
    return;
#elif QK_SIMD_VNNI
    qk__rq_row_i8_simd(acc, bias, mult, lm, rm, hf, n, out_zp, act_min, act_max, out);
    return;
#endif
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t a = (uint32_t)acc[i] + (bias != NULL ? (uint32_t)bias[i] : 0u);
        const uint32_t xs = a * lm[i];
        const uint32_t neg = xs >> 31;
        const uint32_t mag = (xs ^ (0u - neg)) + neg;
        const uint32_t hi = (uint32_t)(((uint64_t)mag * (uint32_t)mult[i] + ((1u << 30) - neg)) >> 31);
        const uint32_t r = (uint32_t)(((uint64_t)(hi + hf[i]) * rm[i]) >> 31);
        int32_t v = (int32_t)((r ^ (0u - neg)) + neg) + out_zp;
        v = v < act_min ? act_min : v;
        acc[i] = v > act_max ? act_max : v;
    }
    for (int32_t i = 0; i < n; ++i) out[i] = (int8_t)acc[i];
}

/* The packed records a board's plan appends to the rq rows when every channel shifts right
 * (rq_words in interp/ops/conv.py): rec[5 i ..] = {bias (0 without one), mult, lo, hi, s},
 * hi:lo = 2^30 + 2^(right - 1) 2^31, plus out_zp 2^(31 + right) when the zero point is folded
 * in (every right <= 23), and s = right - 1, plus 256 + out_zp 2^9 when it is not (right is 1
 * for a channel with multiplier 0, whose sums all requantize to 0 whatever the shift; the
 * shifts read s's low byte only, and the fused requant adds s >> 9). Returns the records
 * (NULL: the constant has none, or this build does not use them); *bad when they disagree with
 * the op. */
static const int32_t *qk__rq_rec(const qk_ctx *ctx, int32_t rq_id, const int32_t *bias,
                                 const int32_t *mult, const int32_t *shift, int32_t out_zp,
                                 int32_t n, int *bad) {
#if defined(QK_ARM_DSP)
    const int32_t *rec = qk__in(ctx, rq_id, 32 * (int64_t)n);
    if (rec == NULL) return NULL;
    rec += 3 * (int64_t)n;
    const int folded = n > 0 && !(rec[4] & 256);
    if (out_zp < -128 || out_zp > 127) {
        *bad = 1;
        return NULL;
    }
    /* (runs per invoke: the per-channel work is kept branch-light) */
    const uint32_t zp_hi = folded ? (uint32_t)out_zp : 0u, r_max = folded ? 23u : 31u;
    const uint32_t s_add = folded ? 0u : 256u + (uint32_t)out_zp * 512u;
    uint32_t diff = 0;
    for (int32_t i = 0; i < n; ++i, rec += 5) {
        const int32_t right = mult[i] == 0 ? 1 : -shift[i]; /* (rq_words: any shift gives 0) */
        if ((uint32_t)right - 1u >= r_max) { /* right outside [1, r_max] */
            *bad = 1;
            return NULL;
        }
        /* hi:lo = 2^30 + 2^(right + 30) [+ out_zp 2^(31 + right)], word by word */
        const uint32_t lo = (1u << 30) + ((uint32_t)(right == 1) << 31);
        const uint32_t hi = ((1u << right) >> 2) + (zp_hi << (right - 1));
        diff |= ((uint32_t)rec[0] ^ (uint32_t)(bias != NULL ? bias[i] : 0)) |
                ((uint32_t)rec[1] ^ (uint32_t)mult[i]) | ((uint32_t)rec[2] ^ lo) |
                ((uint32_t)rec[3] ^ hi) | ((uint32_t)rec[4] ^ ((uint32_t)right - 1u + s_add));
    }
    if (diff != 0) {
        *bad = 1;
        return NULL;
    }
    return rec - 5 * (int64_t)n;
#else /* only the DSP requant reads them */
    (void)ctx; (void)rq_id; (void)bias; (void)mult; (void)shift; (void)out_zp; (void)n; (void)bad;
    return NULL;
#endif
}

/* An int8 fast path's requantization: per channel bias (or NULL), mult, the rq rows and the
 * board records (or NULL); n channels; lim: the output zero point and activation range. */
typedef struct {
    const int32_t *bias, *mult, *rec;
    const uint32_t *rq;
    int32_t n, lim[3]; /* out_zp, act_min, act_max */
#if defined(QK_ARM_DSP)
    qk_arm_rq_rec_fn rec_fn; /* the records' requant (zero point folded in or not) */
#endif
} qk__rq_set;

/* *r for an op's int8 fast path from constant rq_id; 0 if what will be read of it disagrees
 * with the op: the records where this build has them, else the rq rows (records make the rows
 * unread, so checking both would be work done twice per invoke). */
static int qk__rq_set_init(qk__rq_set *r, const qk_ctx *ctx, int32_t rq_id, const int32_t *bias,
                           const int32_t *mult, const int32_t *shift, const qk__conv_geom *g) {
    int bad = 0;
    r->bias = bias;
    r->mult = mult;
    r->rec = qk__rq_rec(ctx, rq_id, bias, mult, shift, g->out_zp, g->out_c, &bad);
    r->rq = qk__in(ctx, rq_id, 12 * (int64_t)g->out_c);
    if (bad || r->rq == NULL || (r->rec == NULL && !qk__rq_ok(shift, r->rq, g->out_c))) return 0;
    r->n = g->out_c;
    r->lim[0] = g->out_zp;
    r->lim[1] = g->act_min;
    r->lim[2] = g->act_max;
#if defined(QK_ARM_DSP)
    r->rec_fn = r->rec != NULL && (r->rec[4] & 256) ? qk_arm_rq_rec_zp_i8 : qk_arm_rq_rec_i8;
#endif
    return 1;
}

/* out[j] = the requantized acc[j] of channel c0 + j, j < cn (acc is clobbered). */
static inline void qk__rq_out(const qk__rq_set *r, int32_t c0, int32_t *acc, int32_t cn,
                              int8_t *out) {
#if defined(QK_ARM_DSP)
    if (r->rec != NULL) {
        r->rec_fn(acc, r->rec + 5 * (int64_t)c0, cn, out, r->lim);
        return;
    }
#endif
    qk__rq_row_i8(acc, r->bias != NULL ? r->bias + c0 : NULL, r->mult + c0, r->rq + c0,
                  r->rq + r->n + c0, r->rq + 2 * (int64_t)r->n + c0, cn, r->lim[0], r->lim[1],
                  r->lim[2], out);
}

/* ---------------------------------------------------------------------------------------
 * CONV_2D
 * ------------------------------------------------------------------------------------- */

/*
 * Scratch-free ("plain") CONV_2D, any groups: TFLM's sums taken in a cache-friendly order. Per
 * output pixel and channel, one contiguous dot per filter row (dilation 1, groups 1: the
 * in-image taps of a row are kw' * in_c adjacent values) or one per tap. Used when the plan
 * gives no scratch (the planner's "lean" ops, grouped convolutions, tests of this path).
 */

/* sum of (x[i] - zp) * w[i]; callers keep n * 255 * 128 < 2^31 (n <= 65536). */
static int32_t qk__dot_zp(const int8_t *restrict x, const int8_t *restrict w, int32_t n,
                          int32_t zp) {
    const int16_t z = (int16_t)zp;
    if (n < 16) { /* short rows: plain scalar code, no vector prologue / epilogue */
        int32_t p0 = 0, p1 = 0;
        int32_t i = 0;
        for (; i + 2 <= n; i += 2) {
            p0 += ((int32_t)x[i] - zp) * w[i];
            p1 += ((int32_t)x[i + 1] - zp) * w[i + 1];
        }
        if (i < n) p0 += ((int32_t)x[i] - zp) * w[i];
        return p0 + p1;
    }
    int32_t a = 0;
    for (int32_t i = 0; i < n; ++i) a += (int32_t)(int16_t)((int16_t)x[i] - z) * w[i];
    return a;
}

/* sum of x[i] * w[i] in int64, in blocks of 256 int32 products (each |.| <= 2^22). */
static int64_t qk__dot16(const int16_t *restrict x, const int8_t *restrict w, int32_t n) {
    if (n < 16) { /* short rows: plain scalar code, no vector prologue / epilogue */
        int32_t p0 = 0, p1 = 0;
        int32_t i = 0;
        for (; i + 2 <= n; i += 2) {
            p0 += (int32_t)x[i] * w[i];
            p1 += (int32_t)x[i + 1] * w[i + 1];
        }
        if (i < n) p0 += (int32_t)x[i] * w[i];
        return (int64_t)p0 + p1;
    }
    int64_t a = 0;
    for (int32_t i0 = 0; i0 < n; i0 += 256) {
        const int32_t m = n - i0 < 256 ? n - i0 : 256;
        int32_t p = 0;
        for (int32_t i = 0; i < m; ++i) p += (int32_t)x[i0 + i] * w[i0 + i];
        a += p;
    }
    return a;
}

static void qk__conv_plain(const qk__conv_geom *g, const void *in, int es, const int8_t *filter,
                           const int32_t *bias32, const int64_t *bias64, int wide,
                           const int32_t *mult, const int32_t *shift, void *out) {
    const int32_t groups = g->in_c / g->fic, fpg = g->out_c / groups, fic = g->fic;
    const int contiguous = g->dw == 1 && groups == 1;
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy)
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                const int32_t ix0 = ox * g->sw - g->pw;
                /* dilation 1: the in-image taps of a filter row are kx in [kx_lo, kx_hi) */
                const int32_t kx_lo = ix0 < 0 ? -ix0 : 0;
                const int32_t kx_hi = g->in_w - ix0 < g->kw ? g->in_w - ix0 : g->kw;
                const int64_t obase = (((int64_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (int32_t oc = 0; oc < g->out_c; ++oc) {
                    const int32_t grp = oc / fpg;
                    int64_t acc = 0; /* int8: |acc| < 2^31 (depth <= 65536); int16: < 2^38 */
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                        if (iy < 0 || iy >= g->in_h) continue;
                        const int64_t line = ((int64_t)b * g->in_h + iy) * g->in_w;
                        const int8_t *w = filter + (((int64_t)oc * g->kh + ky) * g->kw) * fic;
                        if (contiguous) {
                            if (kx_lo >= kx_hi) continue;
                            const int64_t at = (line + ix0 + kx_lo) * g->in_c;
                            const int32_t n = (kx_hi - kx_lo) * fic;
                            acc += es == 1 ? qk__dot_zp((const int8_t *)in + at, w + kx_lo * fic, n, g->in_zp)
                                           : qk__dot16((const int16_t *)in + at, w + kx_lo * fic, n);
                            continue;
                        }
                        for (int32_t kx = 0; kx < g->kw; ++kx) {
                            const int32_t ix = ix0 + kx * g->dw;
                            if (ix < 0 || ix >= g->in_w) continue;
                            const int64_t at = (line + ix) * g->in_c + (int64_t)grp * fic;
                            acc += es == 1 ? qk__dot_zp((const int8_t *)in + at, w + kx * fic, fic, g->in_zp)
                                           : qk__dot16((const int16_t *)in + at, w + kx * fic, fic);
                        }
                    }
                    if (es == 1) {
                        int32_t a = (int32_t)acc;
                        if (bias32 != NULL) a = qk__wrap_add(a, bias32[oc]);
                        a = qk__requant_fast(a, mult[oc], shift[oc]) + g->out_zp;
                        ((int8_t *)out)[obase + oc] = (int8_t)qk__clamp(a, g->act_min, g->act_max);
                        continue;
                    }
                    int32_t r;
                    if (wide) {
                        if (bias64 != NULL) acc += bias64[oc];
                        r = qk__requant64(acc, mult[oc], shift[oc]);
                    } else {
                        int32_t a32 = (int32_t)(uint32_t)(uint64_t)acc; /* TFLM's int32 acc */
                        if (bias32 != NULL) a32 = qk__wrap_add(a32, bias32[oc]);
                        r = qk__requant_fast(a32, mult[oc], shift[oc]);
                    }
                    ((int16_t *)out)[obase + oc] = (int16_t)qk__clamp(r, g->act_min, g->act_max);
                }
            }
}

/*
 * Fast CONV_2D path (groups == 1): per output pixel, gather the receptive field into an int16
 * row (x - in_zp for int8 inputs, x for int16; 0 for padded taps, which then add nothing, as
 * TFLM skips them), then dot the row with 4 filters at a time. The integer sums equal the
 * reference's, so the result is bit-exact; the inner loops are contiguous and vectorize.
 */

/* Four dot products of x[0..n) with rows w, w + ks, w + 2ks, w + 3ks. Caller bounds the sums:
 * int8 path |x| <= 255, |w| <= 128, n <= 65536: |sum| < 2^31; int16 path: n <= 256. */
static void qk__dot4(const int16_t *restrict x, const int8_t *restrict w, int32_t n, int64_t ks,
                     int32_t *restrict s) {
    const int8_t *restrict w0 = w;
    const int8_t *restrict w1 = w + ks;
    const int8_t *restrict w2 = w + 2 * ks;
    const int8_t *restrict w3 = w + 3 * ks;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t xi = x[i];
        a0 += xi * w0[i];
        a1 += xi * w1[i];
        a2 += xi * w2[i];
        a3 += xi * w3[i];
    }
    s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3;
}

static int32_t qk__dot1(const int16_t *restrict x, const int8_t *restrict w, int32_t n) {
    int32_t a = 0; /* same bounds as qk__dot4 */
    for (int32_t i = 0; i < n; ++i) a += (int32_t)x[i] * w[i];
    return a;
}

/* int16 inputs: 256 products of |x| <= 2^15, |w| <= 2^7 stay below 2^30 in an int32 block. */
#define QK__I16_BLOCK 256

/* s[j] += dot(x[0..len), w + j * stride) for j < cnt (1..4), in int64. */
static void qk__dots_wide(const int16_t *x, const int8_t *w, int32_t len, int64_t stride,
                          int32_t cnt, int64_t *s) {
    for (int32_t i0 = 0; i0 < len; i0 += QK__I16_BLOCK) {
        const int32_t n = len - i0 < QK__I16_BLOCK ? len - i0 : QK__I16_BLOCK;
        if (cnt == 4) {
            int32_t p[4];
            qk__dot4(x + i0, w + i0, n, stride, p);
            for (int32_t j = 0; j < 4; ++j) s[j] += p[j];
        } else {
            for (int32_t j = 0; j < cnt; ++j) s[j] += qk__dot1(x + i0, w + j * stride + i0, n);
        }
    }
}

/* row[0..n) = x[c] - zp for int8 x (Helium: qk_arm.h) */
#if defined(QK_ARM_MVE) || defined(QK_ARM_DSP)
#define QK__WIDEN(x, n, zp, row) qk_arm_widen_s8(x, n, zp, row)
#else
#define QK__WIDEN(x, n, zp, row) \
    do { for (int32_t c_ = 0; c_ < (n); ++c_) (row)[c_] = (int16_t)((int32_t)(x)[c_] - (zp)); } while (0)
#endif

/* Fill row with filter row ky of output pixel (b, oy, ox)'s receptive field: kw * in_c int16
 * values (x - in_zp for int8, x for int16; 0 outside the image). */
static void qk__im2seg(const qk__conv_geom *g, const void *in, int es, int32_t b, int32_t oy,
                       int32_t ox, int32_t ky, int16_t *restrict row) {
    const int32_t c_n = g->in_c, zp = g->in_zp, n = g->kw * c_n;
    const int32_t ix0 = ox * g->sw - g->pw, iy = oy * g->sh - g->ph + ky * g->dh;
    if (iy < 0 || iy >= g->in_h) {
        for (int32_t c = 0; c < n; ++c) row[c] = 0;
        return;
    }
    const int64_t line = ((int64_t)b * g->in_h + iy) * g->in_w;
    if (g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= g->in_w) {
        /* dilation 1 and the window inside the row: kw * in_c contiguous values */
        if (es == 1) {
            const int8_t *restrict x = (const int8_t *)in + (line + ix0) * c_n;
            QK__WIDEN(x, n, zp, row);
        } else {
            memcpy(row, (const int16_t *)in + (line + ix0) * c_n, (size_t)n * sizeof(int16_t));
        }
        return;
    }
    for (int32_t kx = 0; kx < g->kw; ++kx, row += c_n) {
        const int32_t ix = ix0 + kx * g->dw;
        if (ix < 0 || ix >= g->in_w) {
            for (int32_t c = 0; c < c_n; ++c) row[c] = 0;
            continue;
        }
        if (es == 1) {
            const int8_t *restrict x = (const int8_t *)in + (line + ix) * c_n;
            QK__WIDEN(x, c_n, zp, row);
        } else {
            memcpy(row, (const int16_t *)in + (line + ix) * c_n, (size_t)c_n * sizeof(int16_t));
        }
    }
}

/* Fill row with the whole receptive field of output pixel (b, oy, ox): kh * kw * in_c values. */
static void qk__im2row(const qk__conv_geom *g, const void *in, int es, int32_t b, int32_t oy,
                       int32_t ox, int16_t *restrict row) {
    for (int32_t ky = 0; ky < g->kh; ++ky) qk__im2seg(g, in, es, b, oy, ox, ky, row + ky * g->kw * g->in_c);
}

/* Receptive fields above this many values (with kh > 1) are gathered one filter row at a time,
 * which bounds the row scratch. */
#define QK__ROW_MAX 512

/* Values per gathered row: the whole receptive field or one filter row. */
static int32_t qk__conv_row_len(const qk__conv_geom *g) {
    const int32_t k = g->kh * g->kw * g->in_c;
    return g->kh > 1 && k > QK__ROW_MAX ? g->kw * g->in_c : k;
}

/* The fast path pads receptive-field rows to a multiple of this many values: the int8 vector
 * width, so the dot loops run whole vectors (the lowering sizes the row for 32). */
#if defined(__AVX2__)
#define QK__KPAD 32
#elif defined(__SSE2__) || defined(__ARM_NEON) || defined(__ARM_FEATURE_MVE)
#define QK__KPAD 16
#elif defined(QK_ARM_DSP)
#define QK__KPAD 4 /* SMLAD groups of four (qk_arm.h) */
#else
#define QK__KPAD 1
#endif

/* The int8 fast path's dots: the Cortex-M DSP / Helium helpers (qk_arm.h) when built for one.
 * With DSP the int8 row is kept pair-swapped (QK__ROW_PREP after a gather), as they expect. */
#if defined(QK_ARM_DSP) || defined(QK_ARM_MVE)
#define qk__dot4_i8 qk_arm_dot4
#define qk__dot1_i8 qk_arm_dot1
#else
#define qk__dot4_i8 qk__dot4
#define qk__dot1_i8 qk__dot1
#endif
#if defined(QK_ARM_DSP)
#define QK__ROW_PREP(row, n, np) qk_arm_row_swizzle(row, n, np)
#else
#define QK__ROW_PREP(row, n, np) ((void)0)
#endif

/* Receptive fields of at most this many values use the transposed-filter kernel below. */
#define QK__CONV_SMALL_K 15

/* Small-K int8 kernel: acc[j] = sum_k row[k] * wt[k][j] for j < n (wt row stride `stride`),
 * vectorized over output channels; wt is the filter transposed to [k][out_c] and widened to
 * int16. |row| <= 255, |w| <= 128: each product fits int16; |acc| <= 15 * 32640 < 2^31. */
static void qk__small_k(const int16_t *row, const int16_t *restrict wt, int32_t k, int32_t stride,
                        int32_t n, int32_t *restrict acc) {
    for (int32_t oc = 0; oc < n; ++oc) acc[oc] = 0;
    for (int32_t i = 0; i < k; ++i) {
        const int16_t xv = row[i];
        if (xv == 0) continue; /* padded taps (and zero inputs) add nothing */
        const int16_t *restrict w = wt + (int64_t)i * stride;
        for (int32_t oc = 0; oc < n; ++oc) acc[oc] += (int16_t)(xv * w[oc]);
    }
}

#if defined(QK_ARM_DSP)
/* Copy n bytes, four at a time (unaligned word loads and stores are allowed on v7-M): the
 * gathers' runs are short, where a memcpy call costs more than the copy. */
static inline void qk__copy8(int8_t *restrict d, const int8_t *restrict s, int32_t n) {
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) qk_arm_st32(d + i, qk_arm_ld32(s + i));
    for (; i < n; ++i) d[i] = s[i];
}

/* The first group of pixel l (0..3) in the row buffer xi: the quad layout (the four pixels'
 * rows interleaved by group of four values: qk_arm_dot4x1_run), or with pair the pair layout
 * (pixels 0, 1 and then 2, 3 interleaved, 2 slp values per pair: qk_arm_dot2x2_run16). */
static inline int16_t *qk__lane(int16_t *xi, int l, int32_t slp, int pair) {
    return pair ? xi + (l >> 1) * 2 * slp + (l & 1) * 4 : xi + 4 * l;
}

/* Gather one pixel (first group at dst, layout as for qk_arm_quad_row_s8) for a whole field of
 * short rows (dilation 1, kw * in_c not a multiple of 4, e.g. in_c 1 or 3) when it lies in the
 * image: each row as whole words into r8, its over-copied tail overwritten by the next row or
 * the zero-point word (padding to slp, less than 4 past the field), if the last row's words
 * stay inside the input. Returns 0 (nothing done) otherwise. A small function of its own:
 * inside the general gather gcc keeps these loops' counters on the stack. (int32 offsets: this
 * build is 32-bit, the input fits its address space; int64 ones cost dozens of instructions
 * per pixel.) */
static __attribute__((noinline)) int qk__quad_gather_short(const qk__conv_geom *g,
                                                           const int8_t *in, int32_t b,
                                                           int32_t oy, int32_t ox, int8_t *r8,
                                                           int32_t slp, int16_t *dst, int pair) {
    const int32_t iy0 = oy * g->sh - g->ph, ix0 = ox * g->sw - g->pw, c_n = g->in_c;
    const int32_t span = g->kw * c_n, span4 = (span + 3) & ~3, ystep = g->dh * g->in_w * c_n;
    if (iy0 < 0 || iy0 + (g->kh - 1) * g->dh >= g->in_h || ix0 < 0 || ix0 + g->kw > g->in_w)
        return 0;
    const int32_t at = ((b * g->in_h + iy0) * g->in_w + ix0) * c_n;
    if ((uint32_t)(at + (g->kh - 1) * ystep + span4) > (uint32_t)(g->batches * g->in_h * g->in_w * c_n))
        return 0;
    const int8_t *x = in + at;
    int8_t *d = r8;
    for (int32_t y = 0; y < g->kh; ++y, x += ystep, d += span)
        for (int32_t i = 0; i < span4; i += 4) qk_arm_st32(d + i, qk_arm_ld32(x + i));
    qk_arm_st32(d, (uint32_t)(uint8_t)g->in_zp * 0x01010101u);
    qk_arm_quad_row_s8(r8, slp, g->in_zp, dst, pair);
    return 1;
}

/* Gather one pixel (first group at dst, layout as for qk_arm_quad_row_s8): filter row ky's
 * kw * in_c values when seg, else the whole receptive field. Returns 0 if that filter row lies
 * outside the image (then zeros). (noinline: inlined, it costs the quad loop registers.) */
static __attribute__((noinline)) int qk__quad_gather(const qk__conv_geom *g, const int8_t *in, int32_t b, int32_t oy,
                                  int32_t ox, int32_t ky, int seg, int16_t *row, int32_t slp,
                                  int16_t *dst, int pair) {
    const int32_t iy0 = oy * g->sh - g->ph, ix0 = ox * g->sw - g->pw, seg4 = g->kw * g->in_c;
    const int32_t ky0 = seg ? ky : 0, ky1 = seg ? ky + 1 : g->kh;
    if (seg && (iy0 + ky * g->dh < 0 || iy0 + ky * g->dh >= g->in_h)) {
        qk_arm_quad_zero(slp, dst, pair);
        return 0;
    }
    const int32_t c_n = g->in_c, span = g->kw * c_n;
    const int8_t zp = (int8_t)g->in_zp;
    int8_t *r8 = (int8_t *)(void *)row;
    if (g->dw == 1 && seg4 % 4 == 0 && iy0 + ky0 * g->dh >= 0 &&
        iy0 + (ky1 - 1) * g->dh < g->in_h && ix0 >= 0 && ix0 + g->kw <= g->in_w) {
        /* in-image rows of kw * in_c values (a multiple of 4): straight from int8 (int32
         * offsets: as in qk__quad_gather_short) */
        const int32_t ystep = g->dh * g->in_w * c_n;
        const int8_t *x = in + ((b * g->in_h + iy0) * g->in_w + ix0) * c_n + ky0 * ystep;
        for (int32_t y = ky0; y < ky1; ++y, x += ystep)
            qk_arm_quad_row_s8(x, seg4, g->in_zp, dst + (y - ky0) * seg4 * (pair ? 2 : 4), pair);
        return 1;
    }
    /* else the values as int8 in row's bytes, taps outside the image (and the padding to slp)
     * as in_zp, which the widening subtracts to 0 */
    const int whole = g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= g->in_w; /* row spans in image */
    int32_t n = 0;
    for (int32_t y = ky0; y < ky1; ++y, n += span) {
        const int32_t iy = iy0 + y * g->dh;
        if (iy < 0 || iy >= g->in_h) {
            for (int32_t i = 0; i < span; ++i) r8[n + i] = zp;
            continue;
        }
        const int8_t *line = in + ((int64_t)b * g->in_h + iy) * g->in_w * c_n;
        if (whole) {
            qk__copy8(r8 + n, line + ix0 * c_n, span);
            continue;
        }
        for (int32_t kx = 0; kx < g->kw; ++kx) {
            const int32_t ix = ix0 + kx * g->dw;
            if (ix < 0 || ix >= g->in_w)
                for (int32_t c = 0; c < c_n; ++c) r8[n + kx * c_n + c] = zp;
            else
                qk__copy8(r8 + n + kx * c_n, line + ix * c_n, c_n);
        }
    }
    for (; n < slp; ++n) r8[n] = zp;
    qk_arm_quad_row_s8(r8, slp, g->in_zp, dst, pair);
    return 1;
}

/* Filter rows j0 <= j < j1 of a quad (rows k apart from w, row j0's start; slp readable bytes
 * each): sums into
 * acc (accumulated with add), or, with a fused requant run, requantized into out (channel
 * c0 + j of lane p at out + p * oc_n + c0 + j). */
static inline void qk__quad_rows(const int16_t *xi, const int8_t *w, int32_t k, int32_t slp,
                                 int32_t j0, int32_t j1, qk_arm_rq_run_fn fused,
                                 const qk__rq_set *rs, int32_t c0, int8_t *out, int32_t oc_n,
                                 int32_t *acc, int add) {
    if (j1 <= j0) return;
    if (fused != NULL)
        fused(xi, w, k, slp, j1 - j0, rs->rec + 5 * (c0 + j0), out + c0 + j0, oc_n);
    else
        qk_arm_dot4x1_run(xi, w, k, slp, j1 - j0, acc + j0, add);
}

/* Whether w16 is the lowering's conv_w16 for this filter and rows of sl values (slp padded):
 * int16 [k / sl][out_c / 2][slp / 4][2][4] (an odd out_c's last pair with a zero filter),
 * filters 2 q and 2 q + 1 interleaved by group of four, each pair-swapped, zeros from sl on.
 * (Runs per invoke: whole groups by qk_arm_w16_diff, the odd pair and the rest in C.) */
static __attribute__((noinline)) int qk__conv_w16_ok(const int8_t *filter, const int16_t *w16,
                                                     int32_t oc_n, int32_t k, int32_t sl,
                                                     int32_t slp) {
    if (((uintptr_t)w16 & 3) != 0) return 0; /* (LDM) */
    const int32_t s4 = sl & ~3;
    uint32_t bad = 0;
    for (int32_t s = 0; s < k; s += sl)
        for (int32_t j = 0; j < oc_n; j += 2, w16 += 2 * slp) {
            const int8_t *f = filter + j * k + s; /* (int32: the filter has < 2^31 bytes) */
            const int two = j + 1 < oc_n;
            if (two && s4 > 0) bad |= qk_arm_w16_diff(f, f + k, w16, s4 / 4);
            for (int32_t i = two ? s4 : 0; i < slp; ++i)
                for (int32_t h = 0; h < 2; ++h) /* (filter j + 1 of an odd pair: zeros) */
                    bad |= (uint32_t)(w16[2 * (i & ~3) + 4 * h + (QK_ARM_SWZ(i) & 3)] !=
                                      (i < sl && (h == 0 || two) ? f[h * k + i] : 0));
        }
    return bad == 0;
}

/* What the DSP conv drivers below share per op. */
typedef struct {
    const qk__conv_geom *g;
    const int8_t *in;
    int16_t *row; /* the one-pixel scratch row (gathers) */
    int32_t slp;
    int seg, pair;
    /* 1x1, stride 1, no padding, in_c a multiple of 4: output pixel q's field is input pixel q,
     * widened straight into its lane without the gather's window checks */
    int point;
    int shorts; /* short field rows (e.g. in_c 1, 3): in-image fields by qk__quad_gather_short */
    /* pair layout with shorts: two pixels' int8 fields staged here (slp + 4 bytes each) and
     * widened in one pass (NULL: pixel by pixel); what qk__stage_pair checks and steps */
    int8_t *stage;
    int32_t s_nw, s_span, s_ystep, s_xstep, s_yhi, s_xhi, s_lim;
} qk__quads_op;

/* Pair staging of the short-row fields (qk__quad_gather_short's copy, its checks from the
 * op's precomputed bounds: qk__stage_pair) in spare bytes st (2 slp + 8) of the pair buffer:
 * on whenever the bounds leave some pixel in the image. */
static void qk__stage_init(qk__quads_op *op, int8_t *st) {
    const qk__conv_geom *g = op->g;
    const int32_t c_n = g->in_c, span = g->kw * c_n, span4 = (span + 3) & ~3;
    op->s_nw = span4 / 4, op->s_span = span, op->s_ystep = g->dh * g->in_w * c_n;
    op->s_xstep = g->sw * c_n;
    op->s_yhi = g->in_h - (g->kh - 1) * g->dh, op->s_xhi = g->in_w - g->kw;
    op->s_lim = g->batches * g->in_h * g->in_w * c_n - ((g->kh - 1) * op->s_ystep + span4);
    op->stage = op->pair && op->shorts && !op->seg && op->s_yhi > 0 && op->s_xhi >= 0 &&
                op->s_lim >= 0 ? st : NULL;
}

/* Output pixels q0 and q1's fields as int8 at d and d + slp + 4 (each then the zero-point
 * word: k + 4 bytes), if both lie in the image and their last rows' words stay inside the
 * input; else 0. Rows of one to three words (in_c 1 or 3) are copied unrolled. */
static __attribute__((noinline)) int qk__stage_pair(const qk__quads_op *op, int32_t b, int32_t q0,
                                                    int32_t q1, int8_t *d) {
    const qk__conv_geom *g = op->g;
    const int32_t nw = op->s_nw, span = op->s_span, ystep = op->s_ystep, kh = g->kh;
    const uint32_t zpw = (uint32_t)(uint8_t)g->in_zp * 0x01010101u;
    int32_t oy, ox = 0, ix0 = 0, at = 0;
    for (int h = 0; h < 2; ++h, d += op->slp + 4) {
        if (h == 0 || q1 != q0 + 1 || ox + 1 >= g->out_w) { /* (else q1 is q0's right neighbour) */
            const int32_t q = h ? q1 : q0;
            oy = q / g->out_w, ox = q - oy * g->out_w, ix0 = ox * g->sw - g->pw;
            const int32_t iy0 = oy * g->sh - g->ph;
            if ((uint32_t)iy0 >= (uint32_t)op->s_yhi) return 0;
            at = ((b * g->in_h + iy0) * g->in_w + ix0) * g->in_c;
        } else {
            ix0 += g->sw, at += op->s_xstep;
        }
        if ((uint32_t)ix0 > (uint32_t)op->s_xhi || at > op->s_lim) return 0;
        const int8_t *x = op->in + at;
        int8_t *o = d;
        switch (nw) {
        case 1:
            for (int32_t y = kh; y > 0; --y, x += ystep, o += span)
                qk_arm_st32(o, qk_arm_ld32(x));
            break;
        case 2:
            for (int32_t y = kh; y > 0; --y, x += ystep, o += span)
                qk_arm_st32(o, qk_arm_ld32(x)), qk_arm_st32(o + 4, qk_arm_ld32(x + 4));
            break;
        case 3:
            for (int32_t y = kh; y > 0; --y, x += ystep, o += span) {
                const uint32_t v0 = qk_arm_ld32(x), v1 = qk_arm_ld32(x + 4);
                const uint32_t v2 = qk_arm_ld32(x + 8);
                qk_arm_st32(o, v0), qk_arm_st32(o + 4, v1), qk_arm_st32(o + 8, v2);
            }
            break;
        default:
            for (int32_t y = kh; y > 0; --y, x += ystep, o += span)
                for (int32_t i = 0; i < nw; ++i) qk_arm_st32(o + 4 * i, qk_arm_ld32(x + 4 * i));
        }
        qk_arm_st32(o, zpw);
    }
    return 1;
}

static void qk__quads_op_init(qk__quads_op *op, const qk__conv_geom *g, const int8_t *in,
                              int16_t *row, int32_t slp, int seg, int pair) {
    op->g = g, op->in = in, op->row = row, op->slp = slp, op->seg = seg, op->pair = pair;
    op->point = !seg && g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 &&
                g->pw == 0 && g->out_h == g->in_h && g->out_w == g->in_w &&
                g->fic == g->in_c && g->in_c % 4 == 0;
    op->shorts = g->dw == 1 && (g->kw * g->in_c) % 4 != 0;
    op->stage = NULL;
}

/* The pixels l < nl of the quad from output pixel p on (the lanes < lanes, then repeats of the
 * last) into xi (qk__lane): their fields, or with seg only their positions oy, ox. */
static inline void qk__quad_fill(const qk__quads_op *op, int32_t b, int32_t p, int32_t lanes,
                                 int nl, int16_t *xi, int32_t *oy, int32_t *ox) {
    const qk__conv_geom *g = op->g;
    if (op->point && op->pair) { /* the pixels' fields: consecutive input pixels, by twos */
        const int32_t c = g->in_c;
        const int8_t *x = op->in + ((int64_t)b * g->out_h * g->out_w + p) * c;
        for (int l = 0; l < nl; l += 2)
            qk_arm_pair_rows_s8(x + (l < lanes ? l : lanes - 1) * c,
                                x + (l + 1 < lanes ? l + 1 : lanes - 1) * c, c, g->in_zp,
                                xi + l * op->slp);
        return;
    }
    for (int l = 0; l < nl; ++l) {
        const int32_t q = p + (l < lanes ? l : lanes - 1);
        if (op->stage != NULL && (l & 1) == 0) { /* (the pair's other pixel: q1) */
            int8_t *sa = op->stage, *sb = sa + op->slp + 4;
            const int32_t q1 = p + (l + 1 < lanes ? l + 1 : lanes - 1);
            if (qk__stage_pair(op, b, q, q1, sa)) {
                qk_arm_pair_rows_s8(sa, sb, op->slp, g->in_zp, xi + l * op->slp);
                ++l;
                continue;
            }
        }
        int16_t *dst = qk__lane(xi, l, op->slp, op->pair);
        if (op->point) {
            qk_arm_quad_row_s8(op->in + ((int64_t)b * g->out_h * g->out_w + q) * g->in_c,
                               g->in_c, g->in_zp, dst, op->pair);
            continue;
        }
        oy[l] = q / g->out_w;
        ox[l] = q % g->out_w;
        if (!op->seg &&
            !(op->shorts && qk__quad_gather_short(g, op->in, b, oy[l], ox[l],
                                                  (int8_t *)(void *)op->row, op->slp, dst,
                                                  op->pair)))
            qk__quad_gather(g, op->in, b, oy[l], ox[l], 0, 0, op->row, op->slp, dst, op->pair);
    }
}

/* Filter row ky of the quad's pixels l < nl (seg); 0 if it lies outside the image for all. */
static inline int qk__quad_fill_row(const qk__quads_op *op, int32_t b, int32_t ky, int nl,
                                    int16_t *xi, const int32_t *oy, const int32_t *ox) {
    int any = 0;
    for (int l = 0; l < nl; ++l)
        any |= qk__quad_gather(op->g, op->in, b, oy[l], ox[l], ky, 1, op->row, op->slp,
                               qk__lane(xi, l, op->slp, op->pair), op->pair);
    return any;
}

/* int8 CONV_2D (no small-k kernel) four output pixels at a time with the DSP quad kernel
 * (qk_arm.h); a last partial quad repeats its last pixel (written once). Rows are the whole
 * receptive field, or with seg one filter row at a time (summed over the kh rows). row is the
 * one-pixel scratch row (gathers). */
static void qk__conv_quads_dsp(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                               const qk__rq_set *rs, int8_t *out, int16_t *row, int32_t sl,
                               int32_t slp, int seg) {
    const int32_t k = g->kh * g->kw * g->in_c, oc_n = g->out_c, npx = g->out_h * g->out_w;
    const int64_t f_n = (int64_t)oc_n * k;
    uint32_t xw[2 * QK_ARM_QUAD_MAX]; /* four rows of QK_ARM_QUAD_MAX int16, word aligned (LDM) */
    int16_t *xi = (int16_t *)(void *)xw;
    int32_t acc[4 * QK_ARM_QUAD_ACC];
    const int32_t nseg = seg ? g->kh : 1;
    /* whole fields with records and the full int8 range: the requant runs inside the quad
     * kernel (qk_arm_dot4x1_rq_run, or _zp_run for records without the zero point folded in) */
    const int fuse = !seg && rs->rec != NULL && rs->lim[1] == -128 && rs->lim[2] == 127;
    const qk_arm_rq_run_fn rq_run =
        rs->rec_fn == qk_arm_rq_rec_i8 ? qk_arm_dot4x1_rq_run : qk_arm_dot4x1_rq_zp_run;
    /* the filter's last slp bytes, then 4 zeros: rows whose padded reads would pass the
     * filter's end (the last filter's, or last few with tiny k) run from this copy */
    int8_t wt[QK_ARM_QUAD_MAX + 4];
    const int64_t wt_at = f_n - slp; /* filter offset of wt[0] */
    if (wt_at >= 0) {
        memcpy(wt, filter + wt_at, (size_t)slp);
        memset(wt + slp, 0, 4);
    }
    qk__quads_op op;
    qk__quads_op_init(&op, g, in, row, slp, seg, 0);
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t p = 0; p < npx; p += 4) {
            const int32_t lanes = npx - p < 4 ? npx - p : 4;
            int32_t oy[4] = {0}, ox[4] = {0}; /* (unused when point) */
            qk__quad_fill(&op, b, p, lanes, 4, xi, oy, ox);
            int8_t *o = out + ((int64_t)b * npx + p) * oc_n;
            for (int32_t c0 = 0; c0 < oc_n; c0 += QK_ARM_QUAD_ACC) {
                const int32_t cn = oc_n - c0 < QK_ARM_QUAD_ACC ? oc_n - c0 : QK_ARM_QUAD_ACC;
                /* (a partial quad writes its lanes once) */
                const qk_arm_rq_run_fn fused = fuse && lanes == 4 ? rq_run : NULL;
                int32_t done = 0; /* channels already written (fused) */
                int add = 0;
                for (int32_t ky = 0; ky < nseg; ++ky) {
                    /* (seg: filter row ky of the four pixels; skipped if all are out) */
                    if (seg && !qk__quad_fill_row(&op, b, ky, 4, xi, oy, ox)) continue;
                    /* filter rows whose slp values stay inside the filter run in asm (a prefix:
                     * rows start k apart), the rest in C over sl values */
                    const int64_t at = (int64_t)c0 * k + (int64_t)ky * sl;
                    /* (int32: the filter has < 2^31 bytes; an int64 division is a library call) */
                    const int32_t fit = f_n - slp - at < 0 ? 0 : (int32_t)(f_n - slp - at) / k + 1;
                    const int32_t nf = fit < cn ? fit : cn;
                    qk__quad_rows(xi, filter + at, k, slp, 0, nf, fused, rs, c0, o, oc_n, acc,
                                  add);
                    if (wt_at >= 0) { /* (row nf's span ends inside the filter) */
                        qk__quad_rows(xi, wt + (at + (int64_t)nf * k - wt_at), k, slp, nf, cn,
                                      fused, rs, c0, o, oc_n, acc, add);
                        done = fused != NULL ? cn : 0;
                    } else {
                        done = fused != NULL ? nf : 0;
                        for (int32_t j = nf; j < cn; ++j) {
                            if (!add)
                                for (int l = 0; l < 4; ++l) acc[l * QK_ARM_QUAD_ACC + j] = 0;
                            qk_arm_dot4x1(xi, filter + at + (int64_t)j * k, sl, acc + j);
                        }
                    }
                    add = 1;
                }
                if (!add) /* no filter row inside the image */
                    for (int32_t i = 0; i < 4 * QK_ARM_QUAD_ACC; ++i) acc[i] = 0;
                if (done < cn)
                    for (int l = 0; l < lanes; ++l)
                        qk__rq_out(rs, c0 + done, acc + l * QK_ARM_QUAD_ACC + done, cn - done,
                                   o + (int64_t)l * oc_n + c0 + done);
            }
        }
}

/* The same with the plan's int16 filter (conv_w16, checked) and the pair kernels: per quad
 * and channel chunk, two passes of two pixels (one if the quad has at most two), every filter
 * row padded, so all in asm. */
static void qk__conv_pairs_dsp(const qk__conv_geom *g, const int8_t *in, const int16_t *w16,
                               const qk__rq_set *rs, int8_t *out, int16_t *row, int32_t slp,
                               int seg) {
    const int32_t oc_n = g->out_c, npx = g->out_h * g->out_w, oc2 = (oc_n + 1) / 2;
    uint32_t xw[2 * QK_ARM_QUAD_MAX]; /* the pair layout's rows, word aligned (LDM) */
    int16_t *xi = (int16_t *)(void *)xw;
    int32_t acc[4 * QK_ARM_QUAD_ACC];
    const int32_t nseg = seg ? g->kh : 1;
    const int fuse = !seg && rs->rec != NULL && rs->lim[1] == -128 && rs->lim[2] == 127;
    const qk_arm_rq16_run_fn rq_run =
        rs->rec_fn == qk_arm_rq_rec_i8 ? qk_arm_dot2x2_rq16_run : qk_arm_dot2x2_rq16_zp_run;
    qk__quads_op op;
    qk__quads_op_init(&op, g, in, row, slp, seg, 1);
    /* (the staging bytes after the four pixels' rows, when they fit) */
    qk__stage_init(&op, 10 * slp + 8 <= (int32_t)sizeof xw ? (int8_t *)xi + 8 * slp : NULL);
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t p = 0; p < npx; p += 4) {
            const int32_t lanes = npx - p < 4 ? npx - p : 4;
            const int nl = lanes <= 2 ? 2 : 4; /* pixels gathered (lanes and repeats) */
            int32_t oy[4] = {0}, ox[4] = {0};
            qk__quad_fill(&op, b, p, lanes, nl, xi, oy, ox);
            int8_t *o = out + ((int64_t)b * npx + p) * oc_n;
            for (int32_t c0 = 0; c0 < oc_n; c0 += QK_ARM_QUAD_ACC) {
                const int32_t cn = oc_n - c0 < QK_ARM_QUAD_ACC ? oc_n - c0 : QK_ARM_QUAD_ACC;
                /* fused: the requant in the kernel for the filter pairs (a partial quad writes
                 * its lanes once); an odd last filter's pair sums into acc, its zero partner's
                 * sum into an unused accumulator, never requantized into out */
                const int fused = fuse && lanes == 4;
                const int32_t ne = fused ? cn & ~1 : cn, np2 = (ne + 1) / 2;
                int add = 0;
                for (int32_t ky = 0; ky < nseg; ++ky) {
                    if (seg && !qk__quad_fill_row(&op, b, ky, nl, xi, oy, ox)) continue;
                    const int16_t *wr = w16 + ((int64_t)ky * oc2 + c0 / 2) * 2 * slp;
                    for (int32_t h = 0; h < nl; h += 2) {
                        const int16_t *xh = xi + h * slp;
                        int32_t *ah = acc + h * QK_ARM_QUAD_ACC;
                        if (np2 > 0 && fused)
                            rq_run(xh, wr, slp, np2, rs->rec + 5 * c0, o + h * oc_n + c0, oc_n);
                        else if (np2 > 0)
                            qk_arm_dot2x2_run16(xh, wr, slp, np2, ah, add);
                        if (ne < cn)
                            qk_arm_dot2x2_run16(xh, wr + np2 * 2 * slp, slp, 1, ah + ne, 0);
                    }
                    add = 1;
                }
                if (!add) /* no filter row inside the image */
                    for (int32_t i = 0; i < 4 * QK_ARM_QUAD_ACC; ++i) acc[i] = 0;
                const int32_t done = fused ? ne : 0;
                if (done < cn)
                    for (int l = 0; l < lanes; ++l)
                        qk__rq_out(rs, c0 + done, acc + l * QK_ARM_QUAD_ACC + done, cn - done,
                                   o + (int64_t)l * oc_n + c0 + done);
            }
        }
}
#endif

#if defined(QK_ARM_MVE)
/* int8 CONV_2D (whole receptive field per row) with the Helium dots: the fast path's loops
 * without its row-at-a-time and int16 branches, so less bookkeeping per 4-filter dot. */
static void qk__conv_rows_mve(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, const int32_t *mult, const uint32_t *rq,
                              int8_t *out, int16_t *row, int32_t *acc, int32_t sl, int32_t slp) {
    const int32_t k = g->kh * g->kw * g->in_c, oc_n = g->out_c, npx = g->out_h * g->out_w;
    const int32_t last = oc_n * k - slp; /* a 4-filter group whose last row starts past this
                                          * would over-read the filter with slp: use sl */
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t p = 0; p < npx; ++p) {
            qk__im2row(g, in, 1, b, p / g->out_w, p % g->out_w, row);
            int8_t *o = out + ((int64_t)b * npx + p) * oc_n;
            for (int32_t c0 = 0; c0 < oc_n; c0 += QK__ACC_CHUNK) {
                const int32_t cn = oc_n - c0 < QK__ACC_CHUNK ? oc_n - c0 : QK__ACC_CHUNK;
                const int8_t *w = filter + (int64_t)c0 * k;
                int32_t j = 0;
                for (; j + 4 <= cn; j += 4, w += 4 * k)
                    qk_arm_dot4(row, w, (c0 + j + 3) * k <= last ? slp : sl, k, acc + j);
                for (; j < cn; ++j, w += k) acc[j] = qk_arm_dot1(row, w, sl);
                qk__rq_row_i8(acc, bias != NULL ? bias + c0 : NULL, mult + c0, rq + c0,
                              rq + oc_n + c0, rq + 2 * (int64_t)oc_n + c0, cn, g->out_zp,
                              g->act_min, g->act_max, o + c0);
            }
        }
}
#endif

#if defined(QK_ARM_MVE)
/*
 * int8 CONV_2D on Helium with the zero point folded into the bias (the lowering's board-only
 * constant beff = bias - in_zp * sum(w), int32 wrapping): sum over every tap of x * w, padded
 * taps filled with in_zp (they add in_zp * w, which beff takes back), plus beff is TFLM's
 * int32 sum mod 2^32. Three output pixels at a time (qk_arm_conv3x2); |sum x * w| <= 65536 *
 * 128 * 128 = 2^30.
 */

/* Output positions [*a, *b) along one axis (out_n of them) have every tap in the input (in_n
 * long): k taps d apart, stride s, padding pad in front (as in qk__dw_fast_i8). */
static void qk__inner_range(int32_t out_n, int32_t in_n, int32_t k, int32_t d, int32_t s,
                            int32_t pad, int32_t *a, int32_t *b) {
    const int64_t lo = ((int64_t)pad + s - 1) / s;
    const int64_t top = (int64_t)in_n - 1 - (int64_t)(k - 1) * d + pad;
    const int64_t hi = top < 0 ? 0 : top / s + 1;
    *a = (int32_t)(lo < out_n ? lo : out_n);
    *b = hi < *a ? *a : (hi > out_n ? out_n : (int32_t)hi);
}

/* Field values [i, i + n) (src, or in_zp when src is NULL) to dst: contiguous when dstride is
 * 16, else 16-value chunks dstride bytes apart (then i and n are multiples of 16). */
static inline void qk__field_put(int8_t *dst, int32_t dstride, int32_t i, const int8_t *src,
                                 int32_t n, int8_t zp) {
    if (dstride == 16) {
        if (src != NULL) qk_arm_copy_s8(dst + i, src, n);
        else qk_arm_fill_s8(dst + i, zp, n);
        return;
    }
    int8_t *d = dst + (i >> 4) * dstride;
    if (src != NULL)
        for (int32_t j = 0; j < n; j += 16, d += dstride) vst1q_s8(d, vld1q_s8(src + j));
    else
        for (int32_t j = 0; j < n; j += 16, d += dstride) vst1q_s8(d, vdupq_n_s8(zp));
}

/* Output pixel (oy, ox)'s receptive field in image (one batch of the input; k int8 values,
 * padded taps at in_zp) into dst as qk__field_put lays it out (dstride 48 needs in_c a
 * multiple of 16). With dstride 16, a field that is one contiguous span of the input is not
 * copied: returns where the field is (in place or dst), or NULL with dstride 48. (Offsets
 * within image fit int32: the input has at most INT32_MAX values.) */
static inline __attribute__((always_inline)) const int8_t *
qk__field_s8(const qk__conv_geom *g, const int8_t *image, int32_t oy, int32_t ox, int8_t *dst,
             const int32_t dstride) {
    const int32_t c_n = g->in_c, kwc = g->kw * c_n, line_n = g->in_w * c_n;
    const int32_t ix0 = ox * g->sw - g->pw, iy0 = oy * g->sh - g->ph;
    const int8_t zp = (int8_t)g->in_zp;
    /* in-image taps of a filter row with dilation 1: kx in [kx_lo, kx_hi) */
    int32_t kx_lo = ix0 < 0 ? -ix0 : 0, kx_hi = g->in_w - ix0 < g->kw ? g->in_w - ix0 : g->kw;
    if (kx_hi < kx_lo) kx_hi = kx_lo;
    const int x_in = g->dw == 1 && kx_lo == 0 && kx_hi == g->kw;
    if (dstride == 16 && x_in && iy0 >= 0 && iy0 + (g->kh - 1) * g->dh < g->in_h) {
        const int8_t *x = image + iy0 * line_n + ix0 * c_n;
        if (g->kh == 1) return x;
        if (kwc <= 16) { /* one predicated load per filter row, stored whole (dst has slack) */
            const mve_pred16_t p = vctp8q((uint32_t)kwc);
            const int32_t step = g->dh * line_n;
            for (int32_t ky = 0; ky < g->kh; ++ky, x += step) vst1q_s8(dst + ky * kwc, vldrbq_z_s8(x, p));
            return dst;
        }
    }
    int32_t i = 0;
    for (int32_t ky = 0, iy = iy0; ky < g->kh; ++ky, iy += g->dh, i += kwc) {
        if (iy < 0 || iy >= g->in_h) {
            qk__field_put(dst, dstride, i, NULL, kwc, zp);
            continue;
        }
        const int8_t *line = image + iy * line_n;
        if (g->dw == 1) {
            if (!x_in) qk__field_put(dst, dstride, i, NULL, kwc, zp);
            qk__field_put(dst, dstride, i + kx_lo * c_n, line + (ix0 + kx_lo) * c_n,
                          (kx_hi - kx_lo) * c_n, zp);
            continue;
        }
        for (int32_t kx = 0, ix = ix0; kx < g->kw; ++kx, ix += g->dw)
            qk__field_put(dst, dstride, i + kx * c_n,
                          ix < 0 || ix >= g->in_w ? NULL : line + ix * c_n, c_n, zp);
    }
    return dstride == 16 ? dst : NULL;
}

/* Output pixel (oy, ox)'s field (dilation 1 across, filter rows of kwc = kw * in_c <= 16
 * values, some taps outside the image) into dst, its rows kwc apart: each row filled with
 * in_zp (a whole vector: dst has 16 bytes of slack), then its in-image span by a predicated
 * load and store. (not inlined: it keeps the driver's loop registers free for the common
 * case) */
static __attribute__((noinline)) void qk__field_edge16(const qk__conv_geom *g,
                                                        const int8_t *image, int32_t oy,
                                                        int32_t ox, int8_t *dst) {
    const int32_t c_n = g->in_c, kwc = g->kw * c_n, line_n = g->in_w * c_n;
    const int32_t iy0 = oy * g->sh - g->ph, ix0 = ox * g->sw - g->pw;
    const int32_t kx_lo = ix0 < 0 ? -ix0 : 0;
    const int32_t kx_hi = g->in_w - ix0 < g->kw ? g->in_w - ix0 : g->kw;
    const int32_t n = kx_hi > kx_lo ? (kx_hi - kx_lo) * c_n : 0; /* in-image values per row */
    const mve_pred16_t p = vctp8q((uint32_t)n);
    const int8x16_t zp = vdupq_n_s8((int8_t)g->in_zp);
    for (int32_t ky = 0, iy = iy0; ky < g->kh; ++ky, iy += g->dh) {
        vst1q_s8(dst + ky * kwc, zp);
        if (n > 0 && iy >= 0 && iy < g->in_h)
            vstrbq_p_s8(dst + ky * kwc + kx_lo * c_n,
                        vldrbq_z_s8(image + iy * line_n + (ix0 + kx_lo) * c_n, p), p);
    }
}

/* Output pixels [xa, xb) x [ya, yb) have every tap in the image (qk__inner_range). */
typedef struct {
    int32_t xa, xb, ya, yb;
} qk__inner_box;

/* A group's fields (see qk__conv_fold_mve) for filter rows of kwc = kw * in_c <= 16 values that
 * are contiguous input spans (or 1x1 ones without padding), nk > 0: output pixel (oy, ox) and
 * the next n - 1 (row-major; a short group repeats its last one), pixel q's at rows + pitch q.
 * Inner pixels' fields are kh predicated row loads, the others qk__field_edge16's. (not inlined:
 * the driver's loop keeps its registers, and this one its own) */
static __attribute__((noinline)) void qk__fields_rows16(const qk__conv_geom *g,
                                                         const int8_t *image,
                                                         const qk__inner_box *box, int32_t oy,
                                                         int32_t ox, int32_t n, int8_t *rows,
                                                         int32_t pitch) {
    const int32_t c_n = g->in_c, kwc = g->kw * c_n, kh = g->kh;
    const int32_t ystep = g->dh * g->in_w * c_n;
    if (n == 3 && ox >= box->xa && ox + 2 < box->xb && oy >= box->ya && oy < box->yb) {
        /* three inner pixels of one row (the common case) */
        qk_arm_rows3_s8(image + ((oy * g->sh - g->ph) * g->in_w + ox * g->sw - g->pw) * c_n,
                        g->sw * c_n, ystep, kwc, kh, rows, pitch);
        return;
    }
    const mve_pred16_t p = vctp8q((uint32_t)kwc);
    for (int32_t q = 0; q < 3; ++q, rows += pitch) {
        if (q > 0 && q < n && ++ox == g->out_w) {
            ox = 0;
            ++oy;
        }
        if (ox >= box->xa && ox < box->xb && oy >= box->ya && oy < box->yb) {
            const int8_t *x = image + ((oy * g->sh - g->ph) * g->in_w + ox * g->sw - g->pw) * c_n;
            int8_t *d = rows;
            for (int32_t ky = 0; ky < kh; ++ky, x += ystep, d += kwc)
                vst1q_s8(d, vldrbq_z_s8(x, p));
        } else qk__field_edge16(g, image, oy, ox, rows);
    }
}

/* npairs filter pairs from w (nothing past them read): qk_arm_conv3x2_short for nk 1 to 4
 * (fields at x + q xstep), for nk -1 qk_arm_conv3x2_r3 (k <= 16: _r3s; 3 filter rows of k / 3
 * values at x + q xstep + r ystep in the input), else qk_arm_conv3x2 (interleaved rows) */
static inline void qk__conv_pairs_mve(const int8_t *rows, const int8_t *x, int32_t xstep,
                                      int32_t ystep, const int8_t *w, int32_t k, int32_t npairs,
                                      int32_t *acc, int32_t nk) {
    if (nk < 0) {
        if (k <= 16) qk_arm_conv3x2_r3s(x, xstep, ystep, w, k / 3, npairs, acc);
        else qk_arm_conv3x2_r3(x, xstep, ystep, w, k / 3, npairs, acc);
    } else if (nk > 0) qk_arm_conv3x2_short(x, xstep, w, k, npairs, acc, nk);
    else qk_arm_conv3x2(rows, w, k, npairs, acc);
}

/* out_c >= 2; rows: 4 * (k rounded up to 16) + 16 bytes of scratch (the 3 pixels' fields, then
 * a gather row and 16 bytes of slack). (not inlined: gcc 12 then keeps more of its loop in
 * registers) */
static __attribute__((noinline)) void qk__conv_fold_mve(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                              const int32_t *beff, const int32_t *mult, const uint32_t *rq,
                              int8_t *out, int8_t *rows) {
    const int32_t k = g->kh * g->kw * g->in_c, oc_n = g->out_c, npx = g->out_h * g->out_w;
    int8_t *tmp = rows + 3 * ((k + 15) / 16 * 16);
    /* 16-value chunks of fields for qk_arm_conv3x2_short, or 0 */
    const int32_t nk = k <= 16 ? 1 : (k <= 32 ? 2 : (k <= 48 ? 3 : (k == 64 ? 4 : 0)));
    /* (1x1: mostly in place) */
    const int direct = nk == 0 && g->in_c % 16 == 0 && g->kh * g->kw > 1;
    const qk_arm_rq_px_params R = {beff, mult, rq, rq + oc_n,
                                   qk_arm_rq_right(mult, rq, rq + oc_n, oc_n), g->out_zp, g->act_min,
                                   g->act_max, oc_n};
    const int full = qk_arm_rq_full(&R);
    /* 1x1, no padding: each field is one input pixel */
    const int point = g->kh == 1 && g->kw == 1 && g->ph == 0 && g->pw == 0;
    /* the fields: nk > 0 (k <= 48 or 64), pixel q's at rows + pitch q; else
     * interleaved by 16-value chunks (qk_arm_conv3x2) */
    const int32_t pitch = 16 * nk;
    /* filter rows of at most 16 values that are contiguous input spans (dilation 1 across):
     * the field of a pixel with every tap in the image (output pixels [xa, xb) x [ya, yb)) is
     * kh predicated row loads, of another one qk__field_edge16's; for nk > 0 straight into
     * its place in rows (whole vectors stored in pixel order: each overlaps only bytes that the
     * next pixel's field or nothing reads; the last one's end within the scratch) */
    const int32_t kwc = g->kw * g->in_c, ystep = g->dh * g->in_w * g->in_c;
    const int rows16 = !direct && !point && g->dw == 1 && kwc <= 16 && g->kh > 1;
    const mve_pred16_t p16 = vctp8q((uint32_t)(kwc <= 16 ? kwc : 16));
    /* three rows of 8 to 10 values (a 3x3 filter over RGB) or at most 5 (over one channel):
     * inner groups of 3 pixels along a row read in place by qk_arm_conv3x2_r3(s) */
    const int rows3 = rows16 && g->kh == 3 && (kwc <= 5 || (kwc >= 8 && kwc <= 10));
    const int run3 = rows3 && full && oc_n <= QK_ARM_ACC_STRIDE && (oc_n & 7) == 0;
    /* and 1x1 fields of at most 16 values: a single such row */
    const int rows_walk = nk > 0 && (rows16 || (point && nk == 1));
    qk__inner_box box = {0, g->out_w, 0, g->out_h};
    if (rows16) {
        qk__inner_range(g->out_w, g->in_w, g->kw, g->dw, g->sw, g->pw, &box.xa, &box.xb);
        qk__inner_range(g->out_h, g->in_h, g->kh, g->dh, g->sh, g->ph, &box.ya, &box.yb);
    }
    /* accumulators of the 3 pixels, QK_ARM_ACC_STRIDE apart; one word in front for an odd
     * chunk's last pair, which starts one filter early */
    int32_t acc_buf[1 + 3 * QK_ARM_ACC_STRIDE];
    int32_t *acc = acc_buf + 1;
    for (int32_t b = 0; b < g->batches; ++b) {
        const int8_t *image = in + (int64_t)b * g->in_h * g->in_w * g->in_c;
        int32_t oy = 0, ox = 0; /* the group's first output pixel (no division per pixel) */
        for (int32_t p0 = 0; p0 < npx; p0 += 3) {
            /* rows3 with one chunk of whole 8s of filters through qk_arm_rq3_full: the run of
             * inner groups from here along the output row with nothing else per group */
            int32_t ng =
                run3 && oy >= box.ya && oy < box.yb && ox >= box.xa ? (box.xb - ox) / 3 : 0;
            if (ng > (npx - p0) / 3) ng = (npx - p0) / 3;
            if (ng > 0) {
                const int32_t xs3 = g->sw * g->in_c;
                const int8_t *x = image + ((oy * g->sh - g->ph) * g->in_w + ox * g->sw - g->pw) *
                                              g->in_c;
                int8_t *o = out + ((int64_t)b * npx + p0) * oc_n;
                for (int32_t j = 0; j < ng; ++j, x += 3 * xs3, o += 3 * oc_n) {
                    qk__conv_pairs_mve(rows, x, xs3, ystep, filter, k, oc_n / 2, acc, -1);
                    qk_arm_rq3_full(acc, beff, mult, rq + oc_n, oc_n >> 3, g->out_zp, o, oc_n);
                }
                p0 += 3 * ng - 3; /* (the loop adds 3) */
                for (ox += 3 * ng; ox >= g->out_w; ++oy) ox -= g->out_w;
                continue;
            }
            const int32_t n = npx - p0 < 3 ? npx - p0 : 3;
            const int8_t *x = rows; /* nk > 0: pixel q's field at x + q xstep */
            int32_t xstep = pitch, gnk = nk; /* (-1: the fields read by qk_arm_conv3x2_r3) */
            if (rows3 && n == 3 && ox >= box.xa && ox + 2 < box.xb && oy >= box.ya &&
                oy < box.yb) {
                x = image + ((oy * g->sh - g->ph) * g->in_w + ox * g->sw - g->pw) * g->in_c;
                xstep = g->sw * g->in_c;
                gnk = -1;
            } else if (point && nk > 0 && n == 3 &&
                (ox + 2 < g->out_w || (g->sw == 1 && g->sh == 1))) {
                /* 1x1: three evenly spaced input pixels, read in place */
                x = image + (oy * g->sh * g->in_w + ox * g->sw) * g->in_c;
                xstep = g->sw * g->in_c;
            } else if (rows_walk) qk__fields_rows16(g, image, &box, oy, ox, n, rows, pitch);
            else for (int32_t q = 0, fy = oy, fx = ox; q < 3; ++q) {
                /* (a short last group repeats its last pixel) */
                if (q > 0 && q < n && ++fx == g->out_w) {
                    fx = 0;
                    ++fy;
                }
                /* in_c a multiple of 16: straight into the interleaved rows */
                if (direct) {
                    qk__field_s8(g, image, fy, fx, rows + 16 * q, 48);
                    continue;
                }
                const int8_t *f = tmp;
                if (point) f = image + (fy * g->sh * g->in_w + fx * g->sw) * g->in_c;
                else if (!rows16) f = qk__field_s8(g, image, fy, fx, tmp, 16);
                else if (fx >= box.xa && fx < box.xb && fy >= box.ya && fy < box.yb) {
                    const int8_t *src = image + ((fy * g->sh - g->ph) * g->in_w +
                                                 fx * g->sw - g->pw) * g->in_c;
                    for (int32_t ky = 0; ky < g->kh; ++ky, src += ystep) /* a load per row */
                        vst1q_s8(tmp + ky * kwc, vldrbq_z_s8(src, p16));
                } else qk__field_edge16(g, image, fy, fx, tmp);
                if (nk > 0) { /* (bytes past k are never read) */
                    qk_arm_copy_s8(rows + pitch * q, f, k);
                    continue;
                }
                /* interleaved by 16-value chunks; tmp has them all (bytes past k are never
                 * read), the input maybe not */
                int32_t i = 0;
                for (; i + 16 <= k || (f == tmp && i < k); i += 16)
                    vst1q_s8(rows + 3 * i + 16 * q, vld1q_s8(f + i));
                if (i < k) qk_arm_copy_s8(rows + 3 * i + 16 * q, f + i, k - i);
            }
            int8_t *o = out + ((int64_t)b * npx + p0) * oc_n;
            for (int32_t c0 = 0; c0 < oc_n; c0 += QK_ARM_ACC_STRIDE) {
                const int32_t cn = oc_n - c0 < QK_ARM_ACC_STRIDE ? oc_n - c0 : QK_ARM_ACC_STRIDE;
                if (cn >= 2)
                    qk__conv_pairs_mve(rows, x, xstep, ystep, filter + (int64_t)c0 * k, k,
                                       cn / 2, acc, gnk);
                if (cn & 1) /* filters c0 + cn - 2 and c0 + cn - 1 (out_c >= 2) */
                    qk__conv_pairs_mve(rows, x, xstep, ystep, filter + (int64_t)(c0 + cn - 2) * k,
                                       k, 1, acc + cn - 2, gnk);
                if (n == 3 && full && (cn & 7) == 0) /* (straight there: no dispatch) */
                    qk_arm_rq3_full(acc, beff + c0, mult + c0, rq + oc_n + c0, cn >> 3, g->out_zp,
                                    o + c0, oc_n);
                else qk_arm_rq_px_i8(&R, acc, n, c0, cn, o);
            }
            for (ox += n; ox >= g->out_w; ++oy) ox -= g->out_w; /* the next group's first */
        }
    }
}

/* 1x1 convolutions with stride 1 and no padding whose k = in_c is at most 48 or a multiple of 16
 * (out_c >= 2): output pixel p's field is input pixel p (over all the batches), so groups
 * of three need no field work (nk 0: their interleaving only) and run in qk__conv_point_mve
 * with little else; it returns the pixels done, leaving the last one or two for
 * qk__conv_fold_mve (as a row of their own). */
static int qk__conv_point_ok(const qk__conv_geom *g) {
    const int32_t k = g->in_c;
    return g->kh == 1 && g->kw == 1 && g->ph == 0 && g->pw == 0 && g->sh == 1 && g->sw == 1 &&
           (k <= 48 || k % 16 == 0);
}

/* (not inlined: its frame and qk__conv_fold_mve's are not both on the stack) */
static __attribute__((noinline)) int32_t
qk__conv_point_mve(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                   const int32_t *beff, const int32_t *mult, const uint32_t *rq, int8_t *out,
                   int8_t *rows) {
    const int32_t k = g->in_c, oc_n = g->out_c, n = g->batches * g->out_h * g->out_w;
    const int32_t nk = k <= 16 ? 1 : (k <= 32 ? 2 : (k <= 48 ? 3 : (k == 64 ? 4 : 0)));
    const qk_arm_rq_px_params R = {beff, mult, rq, rq + oc_n,
                                   qk_arm_rq_right(mult, rq, rq + oc_n, oc_n), g->out_zp, g->act_min,
                                   g->act_max, oc_n};
    const int full = qk_arm_rq_full(&R);
    int32_t acc_buf[1 + 3 * QK_ARM_ACC_STRIDE]; /* (as in qk__conv_fold_mve) */
    int32_t *acc = acc_buf + 1;
    int32_t p0 = 0;
    for (; p0 + 3 <= n; p0 += 3) {
        const int8_t *x = in + (int64_t)p0 * k;
        int8_t *o = out + (int64_t)p0 * oc_n;
        if (nk == 0) /* interleaved by 16-value chunks for qk_arm_conv3x2 */
            for (int32_t i = 0; i < k; i += 16) {
                vst1q_s8(rows + 3 * i, vld1q_s8(x + i));
                vst1q_s8(rows + 3 * i + 16, vld1q_s8(x + k + i));
                vst1q_s8(rows + 3 * i + 32, vld1q_s8(x + 2 * k + i));
            }
        for (int32_t c0 = 0; c0 < oc_n; c0 += QK_ARM_ACC_STRIDE) {
            const int32_t cn = oc_n - c0 < QK_ARM_ACC_STRIDE ? oc_n - c0 : QK_ARM_ACC_STRIDE;
            const int8_t *w = filter + (int64_t)c0 * k;
            if (cn >= 2) qk__conv_pairs_mve(rows, x, k, 0, w, k, cn / 2, acc, nk);
            if (cn & 1) /* filters c0 + cn - 2 and c0 + cn - 1 */
                qk__conv_pairs_mve(rows, x, k, 0, w + (int64_t)(cn - 2) * k, k, 1, acc + cn - 2,
                                   nk);
            if (full && (cn & 7) == 0)
                qk_arm_rq3_full(acc, beff + c0, mult + c0, rq + oc_n + c0, cn >> 3, g->out_zp,
                                o + c0, oc_n);
            else qk_arm_rq_px_i8(&R, acc, 3, c0, cn, o);
        }
    }
    return p0;
}

/* Whether beff is bias - in_zp * sum(w) per filter (int32 wrapping). */
static int qk__beff_ok(const int32_t *beff, const int32_t *bias, const int8_t *filter, int32_t k,
                       int32_t oc_n, int32_t in_zp) {
    for (int32_t oc = 0; oc < oc_n; ++oc) {
        const uint32_t s = (uint32_t)qk_arm_sum_s8(filter + (int64_t)oc * k, k);
        const uint32_t want = (bias != NULL ? (uint32_t)bias[oc] : 0u) - (uint32_t)in_zp * s;
        if ((uint32_t)beff[oc] != want) return 0;
    }
    return 1;
}
#endif

static void qk__conv_fast(const qk__conv_geom *g, const void *in, int es, const int8_t *filter,
                          const int32_t *bias32, const int64_t *bias64, int wide,
                          const int32_t *mult, const int32_t *shift, void *out, int16_t *row,
                          void *acc_buf, const qk__rq_set *rs, int16_t *wt, const int16_t *w16,
                          int64_t w16_bytes) {
    const int32_t k = g->kh * g->kw * g->in_c, oc_n = g->out_c;
    const int64_t f_n = (int64_t)oc_n * k;
    /* sl values per gathered row (k, or kw * in_c a filter row at a time when seg), zero-padded
     * to slp, a multiple of QK__KPAD, so the dot loops run whole vectors. A padded dot reads
     * slp - sl bytes past a filter row's span, i.e. into the next span or filter, which the zero
     * padding multiplies away; groups whose over-read would leave the filter use length sl. */
    const int32_t sl = qk__conv_row_len(g), seg = sl != k;
    const int32_t slp = (sl + QK__KPAD - 1) / QK__KPAD * QK__KPAD;
    int32_t *accs = (int32_t *)acc_buf;
    int64_t *acc64 = (int64_t *)acc_buf;
    for (int32_t i = sl; i < slp; ++i) row[i] = 0;
    (void)w16, (void)w16_bytes; /* (read by the DSP build only) */
    /* Cortex-M DSP / Helium: their dots beat the small-k kernel too (wt is left unused) */
#if defined(QK_ARM_DSP)
    if (es == 1) {
        /* rows longer than the pair buffers go one filter row (kw * in_c values) at a time */
        const int32_t rl = g->kw * g->in_c, rlp = (rl + 3) / 4 * 4;
        const int whole = slp <= QK_ARM_QUAD_MAX;
        if (whole || rlp <= QK_ARM_QUAD_MAX) { /* (the scratch row holds sl >= rl values) */
            const int32_t n = whole ? sl : rl, np = whole ? slp : rlp;
            /* the plan's int16 filter if it has this layout's size and values */
            if (w16 != NULL && w16_bytes == 4 * (int64_t)(k / n) * ((oc_n + 1) / 2) * np &&
                qk__conv_w16_ok(filter, w16, oc_n, k, n, np))
                qk__conv_pairs_dsp(g, in, w16, rs, out, row, np, whole ? seg : 1);
            else
                qk__conv_quads_dsp(g, in, filter, rs, out, row, n, np, whole ? seg : 1);
            return;
        }
    }
#elif defined(QK_ARM_MVE)
    if (es == 1 && !seg) {
        qk__conv_rows_mve(g, in, filter, bias32, mult, rs->rq, out, row, accs, sl, slp);
        return;
    }
#endif
    if (wt != NULL) /* transpose the filter once: [out_c][k] -> [k][out_c] */
        for (int32_t oc = 0; oc < oc_n; ++oc)
            for (int32_t i = 0; i < k; ++i) wt[(int64_t)i * oc_n + oc] = filter[(int64_t)oc * k + i];
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy)
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                const int64_t obase = (((int64_t)b * g->out_h + oy) * g->out_w + ox) * oc_n;
                if (!seg) {
                    qk__im2row(g, in, es, b, oy, ox, row);
                    if (es == 1 && wt == NULL) QK__ROW_PREP(row, sl, slp);
                }
                for (int32_t c0 = 0; c0 < oc_n; c0 += QK__ACC_CHUNK) {
                    const int32_t cn = oc_n - c0 < QK__ACC_CHUNK ? oc_n - c0 : QK__ACC_CHUNK;
                    const int8_t *w = filter + (int64_t)c0 * k;
                    if (es == 1 && wt != NULL) {
                        qk__small_k(row, wt + c0, k, oc_n, cn, accs);
                    } else if (es == 1) {
                        /* |acc| <= 65536 * 255 * 128 < 2^31 over all filter rows (k checked) */
                        if (seg)
                            for (int32_t j = 0; j < cn; ++j) accs[j] = 0;
                        for (int32_t ky = 0; ky < (seg ? g->kh : 1); ++ky) {
                            if (seg) {
                                const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                                if (iy < 0 || iy >= g->in_h) continue; /* adds nothing */
                                qk__im2seg(g, in, 1, b, oy, ox, ky, row);
                                QK__ROW_PREP(row, sl, slp);
                            }
                            const int64_t at = (int64_t)ky * sl; /* span within a filter */
                            int32_t j = 0;
                            for (; j + 4 <= cn; j += 4) {
                                const int64_t r0 = (int64_t)(c0 + j) * k + at;
                                const int32_t n = r0 + 3 * (int64_t)k + slp <= f_n ? slp : sl;
                                int32_t p[4];
                                qk__dot4_i8(row, filter + r0, n, k, seg ? p : accs + j);
                                if (seg)
                                    for (int32_t i = 0; i < 4; ++i) accs[j + i] += p[i];
                            }
                            for (; j < cn; ++j) {
                                const int32_t d = qk__dot1_i8(row, w + (int64_t)j * k + at, sl);
                                accs[j] = seg ? accs[j] + d : d;
                            }
                        }
                    } else {
                        for (int32_t j = 0; j < cn; ++j) acc64[j] = 0;
                        for (int32_t ky = 0; ky < (seg ? g->kh : 1); ++ky) {
                            if (seg) {
                                const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                                if (iy < 0 || iy >= g->in_h) continue;
                                qk__im2seg(g, in, 2, b, oy, ox, ky, row);
                            }
                            for (int32_t j = 0; j < cn; j += 4)
                                qk__dots_wide(row, w + (int64_t)j * k + (int64_t)ky * sl, sl, k,
                                              cn - j < 4 ? cn - j : 4, acc64 + j);
                        }
                    }
                    if (es == 1) {
                        qk__rq_out(rs, c0, accs, cn, (int8_t *)out + obase + c0);
                        continue;
                    }
                    int16_t *o = (int16_t *)out + obase + c0;
                    for (int32_t j = 0; j < cn; ++j) {
                        const int32_t oc = c0 + j;
                        int32_t r;
                        if (wide) {
                            const int64_t a = acc64[j] + (bias64 != NULL ? bias64[oc] : 0);
                            r = qk__requant64(a, mult[oc], shift[oc]);
                        } else {
                            int32_t a = (int32_t)(uint32_t)(uint64_t)acc64[j]; /* TFLM's int32 acc */
                            if (bias32 != NULL) a = qk__wrap_add(a, bias32[oc]);
                            r = qk__requant_fast(a, mult[oc], shift[oc]);
                        }
                        o[j] = (int16_t)qk__clamp(r, g->act_min, g->act_max);
                    }
                }
            }
}

/*
 * Host SIMD CONV_2D (int8, groups 1): a blocked GEMM on AVX-512 VNNI (vpdpbusd, u8 x s8).
 * Per panel of px output pixels, each receptive field is packed as uint8 x + 128 (padded taps
 * as in_zp + 128), kp = K rounded up to 4 bytes per pixel (tail zero); 1x1 stride-1 convs read
 * the input pixels in place instead (qk__gemm_direct). The filter
 * comes pre-packed by the lowering (interp/ops/conv.py, gemm_filter) in 16-channel blocks,
 * [out_c / 16][kp / 4][16][4] int8, zero padded, so one 64-byte load gives 16 channels x 4 taps.
 * Since sum (x + 128) w over all taps (padded ones at in_zp + 128) equals
 * sum_in-image (x - in_zp) w + (in_zp + 128) sum w, the lowering's effective bias
 * bias - (in_zp + 128) * sum w (int32, wrapping) makes acc + bias exactly TFLM's int32 sum mod
 * 2^32; |sum (x + 128) w| <= 65536 * 255 * 128 < 2^31 and vpdpbusd adds without saturation.
 * Requant: qk__rq16, the lane form of qk__rq_row_i8.
 */
#if QK_SIMD_VNNI

/* Pack output pixel (b, oy, ox)'s receptive field into row: kp uint8 values. */
static void qk__gemm_pack(const qk__conv_geom *g, const int8_t *in, int32_t b, int32_t oy,
                          int32_t ox, int32_t kp, uint8_t *restrict row) {
    const int32_t c_n = g->in_c, kwc = g->kw * c_n;
    const uint8_t pad = (uint8_t)(g->in_zp + 128);
    const int32_t ix0 = ox * g->sw - g->pw;
    uint8_t *d = row;
    for (int32_t ky = 0; ky < g->kh; ++ky) {
        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
        if (iy < 0 || iy >= g->in_h) {
            memset(d, pad, (size_t)kwc);
            d += kwc;
            continue;
        }
        const int64_t line = ((int64_t)b * g->in_h + iy) * g->in_w;
        if (g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= g->in_w) { /* kw * in_c contiguous values */
            qk__xor80(d, in + (line + ix0) * c_n, kwc);
            d += kwc;
            continue;
        }
        for (int32_t kx = 0; kx < g->kw; ++kx, d += c_n) {
            const int32_t ix = ix0 + kx * g->dw;
            if (ix < 0 || ix >= g->in_w) memset(d, pad, (size_t)c_n);
            else qk__xor80(d, in + (line + ix) * c_n, c_n);
        }
    }
    for (; d < row + kp; ++d) *d = 0;
}

/* Pixels [0, mv) of `rows` (kp bytes apart) against NB blocks: tiles of M_ pixels; with
 * `whole` the rows past mv are readable (a panel of a multiple of M_ rows), else the last
 * pixels go one at a time. */
#define QK__GEMM_TILES(NB_, M_, X_)                                                             \
    do {                                                                                        \
        int32_t p0 = 0;                                                                         \
        for (; p0 + (M_) <= mv || (whole && p0 < mv); p0 += (M_))                               \
            qk__gemm_tile(rows + (int64_t)p0 * kp, kp, (M_), (NB_), (X_), mv - p0, wb, wblk, rp,  \
                          ozp, lo, hi, ob + (int64_t)p0 * oc_n, oc_n);                           \
        for (; p0 < mv; ++p0)                                                                   \
            qk__gemm_tile(rows + (int64_t)p0 * kp, kp, 1, (NB_), (X_), 1, wb, wblk, rp, ozp, lo,  \
                          hi, ob + (int64_t)p0 * oc_n, oc_n);                                    \
    } while (0)

/* Tile sizes: up to 6 pixels with 3-4 blocks (24 accumulators), up to 12 with 1-2. */
#define QK__GEMM_BLOCKS(M_, X_)                                                                 \
    switch (nb) {                                                                               \
    case 4: QK__GEMM_TILES(4, (M_) < 6 ? (M_) : 6, X_); break;                                  \
    case 3: QK__GEMM_TILES(3, (M_) < 6 ? (M_) : 6, X_); break;                                  \
    case 2: QK__GEMM_TILES(2, M_, X_); break;                                                   \
    default: QK__GEMM_TILES(1, M_, X_); break;                                                  \
    }

/* Whether a CONV_2D reads its GEMM rows straight from the input: 1x1 filter, stride 1, no
 * padding (each output pixel's receptive field is one input pixel) and in_c a multiple of 4. */
static int qk__gemm_direct(const qk__conv_geom *g) {
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 &&
           g->in_c % 4 == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
}

/* px: pixels per packed panel (1, 2, 4, 6 or 12; panel holds px * kp bytes), unused when
 * qk__gemm_direct. */
static void qk__conv_gemm_vnni(const qk__conv_geom *g, const int8_t *in, const int8_t *wpk,
                               const int32_t *beff, const int32_t *mult, const uint32_t *rq,
                               int8_t *out, uint8_t *panel, int32_t px) {
    const int32_t k = g->kh * g->kw * g->in_c, kp = (k + 3) / 4 * 4, oc_n = g->out_c;
    const int32_t nblk = (oc_n + 15) / 16, direct = qk__gemm_direct(g), whole = !direct;
    const int64_t wblk = (int64_t)kp * 16, npx = (int64_t)g->batches * g->out_h * g->out_w;
    const __m512i ozp = _mm512_set1_epi32(g->out_zp);
    const __m512i lo = _mm512_set1_epi32(g->act_min), hi = _mm512_set1_epi32(g->act_max);
    if (direct) px = 12;
    else memset(panel, 0, (size_t)px * kp); /* rows past a short last panel: defined */
    int32_t b = 0, oy = 0, ox = 0;
    for (int64_t px0 = 0; px0 < npx; px0 += px) {
        const int32_t mv = npx - px0 < px ? (int32_t)(npx - px0) : px;
        const uint8_t *rows = direct ? (const uint8_t *)(in + px0 * kp) : panel;
        if (!direct)
            for (int32_t p = 0; p < mv; ++p) {
                qk__gemm_pack(g, in, b, oy, ox, kp, panel + (int64_t)p * kp);
                if (++ox == g->out_w) {
                    ox = 0;
                    if (++oy == g->out_h) { oy = 0; ++b; }
                }
            }
        for (int32_t cb = 0; cb < nblk;) {
            const int32_t nb = nblk - cb < 4 ? nblk - cb : 4;
            qk__rq16_params rp[4];
            for (int32_t j = 0; j < nb; ++j) {
                const int32_t c0 = (cb + j) * 16;
                rp[j] = qk__rq16_load(beff, mult, rq, rq + oc_n, rq + 2 * (int64_t)oc_n, c0, oc_n - c0);
            }
            const int8_t *wb = wpk + (int64_t)cb * wblk;
            int8_t *ob = out + px0 * oc_n + (int64_t)cb * 16;
            if (direct) {
                QK__GEMM_BLOCKS(12, (int32_t)0x80808080u)
            } else {
                switch (px) {
                case 12: QK__GEMM_BLOCKS(12, 0) break;
                case 6: QK__GEMM_BLOCKS(6, 0) break;
                case 4: QK__GEMM_BLOCKS(4, 0) break;
                case 2: QK__GEMM_BLOCKS(2, 0) break;
                default: QK__GEMM_BLOCKS(1, 0) break;
                }
            }
            cb += nb;
        }
    }
}
#undef QK__GEMM_BLOCKS
#undef QK__GEMM_TILES
#endif /* QK_SIMD_VNNI */

/*
 * CONV_2D, int8 x int8 (int32 bias) or int16 x int8 (int64 or int32 bias), NHWC, per-channel
 * (or broadcast per-tensor) requant; filter [out_c, kh, kw, fic], groups = in_c / fic.
 * args: in, filter, bias (-1: none), mult, shift, out, scratch (-1), rq (-1),
 *       in_dtype (QK_I8 | QK_I16), bias_dtype (QK_I32 | QK_I64; ignored without bias),
 *       batches, in_h, in_w, in_c, kh, kw, fic, out_h, out_w, out_c,
 *       stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp, out_zp, act_min, act_max
 *   mult/shift int32 [out_c]. scratch (-1: TFLM's plain loop nest) selects the fast path
 *   (groups == 1): int16 row [qk__conv_row_len rounded up to QK__KPAD <= 32] (bytes rounded up
 *   to 16), acc [min(out_c, 64)] (int32; int64 for int16 inputs), then for int8 with
 *   kh * kw * in_c <= 15 the transposed
 *   filter, int16 [kh * kw * in_c][out_c]; rq uint32 [3 * out_c] (int8 fast path, qk__rq_ok).
 *   Optional trailing args (33 in all) for the host GEMM path (qk__conv_gemm_vnni; int8, fast
 *   path, constant filter): gemm_filter (-1: none), gemm_bias, gemm_px: the packed filter
 *   int8 [ocp / 16][kp / 4][16][4] and effective bias int32 [ocp] (ocp = out_c rounded up to 16,
 *   kp = kh * kw * in_c rounded up to 4), and the pixels per packed panel (1, 2, 4, 6 or 12; 0
 *   when qk__gemm_direct), the panel (gemm_px * kp bytes) living in scratch. Builds without
 *   the SIMD path ignore them; the lowering derives them from the constant filter and bias.
 *   Or one optional trailing arg (31 in all) for the Helium path (qk__conv_fold_mve; int8, fast
 *   path, constant filter, board plans): beff (-1: none), int32 [out_c] = bias - in_zp * sum(w)
 *   (wrapping), with scratch of at least 4 * (kh * kw * in_c rounded up to 16) + 16 bytes. Other
 *   builds ignore it.
 *   Or (34 in all) slots 30 to 32 unused (-1) and w16 (-1: none) for the Cortex-M DSP quad
 *   kernel (qk__conv_quads_dsp; int8, fast path, constant filter): the filter as int16
 *   [k / n][out_c][np] for that kernel's rows of n values (the whole field or one filter row;
 *   np = n rounded up to 4), each group of four in the order 0, 2, 1, 3, zero padded, 4-byte
 *   aligned; used only if of exactly that size and equal to the filter. Other builds ignore it.
 */
QK__EXEC(conv2d) {
    if (n_args != 30 && n_args != 31 && n_args != 33 && n_args != 34) return QK_ERR_ARG;
    qk__conv_geom g;
    qk__geom_read(&g, args + 10);
    const int32_t in_dtype = args[8], bias_dtype = args[9];
    if (!qk__geom_ok(&g)) return QK_ERR_ARG;
    if (g.in_c % g.fic != 0 || g.out_c % (g.in_c / g.fic) != 0) return QK_ERR_ARG;
    const int32_t es = in_dtype == QK_I8 ? 1 : (in_dtype == QK_I16 ? 2 : 0);
    if (es == 0) return QK_ERR_ARG;
    const int32_t in_dims[4] = {g.batches, g.in_h, g.in_w, g.in_c};
    const int32_t out_dims[4] = {g.batches, g.out_h, g.out_w, g.out_c};
    const int32_t f_dims[4] = {g.out_c, g.kh, g.kw, g.fic};
    const int64_t n_in = qk__count(in_dims, 4), n_out = qk__count(out_dims, 4);
    const int64_t n_f = qk__count(f_dims, 4);
    if (n_in < 0 || n_out < 0 || n_f < 0) return QK_ERR_ARG;
    const void *in = qk__in(ctx, args[0], n_in * es);
    const int8_t *filter = qk__in(ctx, args[1], n_f);
    const int32_t *mult = qk__in(ctx, args[3], 4 * (int64_t)g.out_c);
    const int32_t *shift = qk__in(ctx, args[4], 4 * (int64_t)g.out_c);
    void *out = qk__out(ctx, args[5], n_out * es);
    if (!in || !filter || !mult || !shift || !out) return QK_ERR_ARG;
    int16_t *row = NULL;
    void *accs = NULL;
    const uint32_t *rq = NULL;
    int16_t *wt = NULL;
    if (args[6] >= 0) {
        if (g.fic != g.in_c) return QK_ERR_ARG; /* fast path: groups == 1 */
        const int64_t k = (int64_t)g.kh * g.kw * g.in_c, sl = qk__conv_row_len(&g);
        const int64_t row_bytes = (2 * ((sl + QK__KPAD - 1) / QK__KPAD * QK__KPAD) + 15) / 16 * 16;
        const int64_t acc_bytes = 4 * es * (int64_t)(g.out_c < QK__ACC_CHUNK ? g.out_c : QK__ACC_CHUNK);
        const int64_t wt_bytes = in_dtype == QK_I8 && k <= QK__CONV_SMALL_K ? 2 * k * g.out_c : 0;
        uint8_t *scratch = qk__out(ctx, args[6], row_bytes + acc_bytes + wt_bytes);
        if (!scratch) return QK_ERR_ARG;
        row = (int16_t *)(void *)scratch;
        accs = (void *)(scratch + row_bytes);
        if (wt_bytes > 0) wt = (int16_t *)(void *)(scratch + row_bytes + acc_bytes);
        if (in_dtype == QK_I8) { /* (checked by the path that reads it) */
            rq = qk__in(ctx, args[7], 12 * (int64_t)g.out_c);
            if (!rq) return QK_ERR_ARG;
        }
    }
    if (g.out_c == 0) return QK_OK;
#if QK_SIMD_VNNI
    if (n_args == 33 && args[30] >= 0 && in_dtype == QK_I8 && rq != NULL && g.in_zp >= -128 &&
        g.in_zp <= 127) {
        const int64_t kp = ((int64_t)g.kh * g.kw * g.in_c + 3) / 4 * 4;
        const int64_t ocp = ((int64_t)g.out_c + 15) / 16 * 16;
        const int8_t *wpk = qk__in(ctx, args[30], ocp * kp);
        const int32_t *beff = qk__in(ctx, args[31], 4 * ocp);
        const int32_t px = args[32];
        if (px == 0 ? !qk__gemm_direct(&g) : (px != 1 && px != 2 && px != 4 && px != 6 && px != 12))
            return QK_ERR_ARG;
        uint8_t *panel = qk__out(ctx, args[6], px * kp);
        if (!wpk || !beff || !panel || !qk__shifts_ok(mult, shift, g.out_c, 30) ||
            !qk__rq_ok(shift, rq, g.out_c))
            return QK_ERR_ARG;
        qk__conv_gemm_vnni(&g, in, wpk, beff, mult, rq, out, panel, px);
        return QK_OK;
    }
#endif

    if (in_dtype == QK_I8) {
        const int32_t *bias = NULL;
        if (args[2] >= 0) {
            if (bias_dtype != QK_I32) return QK_ERR_ARG;
            bias = qk__in(ctx, args[2], 4 * (int64_t)g.out_c);
            if (!bias) return QK_ERR_ARG;
        }
        if (!qk__shifts_ok(mult, shift, g.out_c, 30)) return QK_ERR_ARG;
#if defined(QK_ARM_MVE)
        if (row != NULL && n_args == 31 && args[30] >= 0 && g.out_c >= 2 && g.in_zp >= -128 &&
            g.in_zp <= 127) {
            const int32_t k = g.kh * g.kw * g.in_c;
            const int32_t *beff = qk__in(ctx, args[30], 4 * (int64_t)g.out_c);
            int8_t *rows = qk__out(ctx, args[6], 4 * (((int64_t)k + 15) / 16 * 16) + 16);
            if (!beff || !rows || !qk__rq_ok(shift, rq, g.out_c) ||
                !qk__beff_ok(beff, bias, filter, k, g.out_c, g.in_zp))
                return QK_ERR_ARG;
            if (qk__conv_point_ok(&g)) {
                const int32_t p = qk__conv_point_mve(&g, in, filter, beff, mult, rq, out, rows);
                const int32_t rest = g.batches * g.out_h * g.out_w - p;
                if (rest == 0) return QK_OK;
                g.batches = g.in_h = g.out_h = 1; /* the rest: a row of its own */
                g.in_w = g.out_w = rest;
                in = (const int8_t *)in + (int64_t)p * k;
                out = (int8_t *)out + (int64_t)p * g.out_c;
            }
            qk__conv_fold_mve(&g, in, filter, beff, mult, rq, out, rows);
            return QK_OK;
        }
#endif
        if (row != NULL) {
            qk__rq_set rs;
            if (!qk__rq_set_init(&rs, ctx, args[7], bias, mult, shift, &g)) return QK_ERR_ARG;
            const int16_t *w16 = NULL;
            int64_t w16_bytes = 0;
#if defined(QK_ARM_DSP)
            if (n_args == 34 && args[33] >= 0 && args[33] < ctx->n_tensors) {
                w16_bytes = ctx->tensors[3 * args[33] + 2];
                w16 = qk__in(ctx, args[33], w16_bytes);
            }
#endif
            qk__conv_fast(&g, in, 1, filter, bias, NULL, 0, mult, shift, out, row, accs, &rs, wt,
                          w16, w16_bytes);
        } else qk__conv_plain(&g, in, 1, filter, bias, NULL, 0, mult, shift, out);
        return QK_OK;
    }
    /* int16 x int8: zero points are 0 (the lowering rejects others) */
    if (g.in_zp != 0 || g.out_zp != 0) return QK_ERR_ARG;
    const int32_t *bias32 = NULL;
    const int64_t *bias64 = NULL;
    int wide = 1;
    if (args[2] >= 0) {
        if (bias_dtype == QK_I64) {
            bias64 = qk__in(ctx, args[2], 8 * (int64_t)g.out_c);
            if (!bias64 || !qk__bias64_ok(bias64, g.out_c)) return QK_ERR_ARG;
        } else if (bias_dtype == QK_I32) {
            bias32 = qk__in(ctx, args[2], 4 * (int64_t)g.out_c);
            if (!bias32) return QK_ERR_ARG;
            wide = 0;
        } else {
            return QK_ERR_ARG;
        }
    } /* no bias: TFLM runs the int64-accumulator instantiation (checked against it) */
    if (!qk__shifts_ok(mult, shift, g.out_c, wide ? 14 : 30)) return QK_ERR_ARG;
    if (row != NULL)
        qk__conv_fast(&g, in, 2, filter, bias32, bias64, wide, mult, shift, out, row, accs, NULL,
                      wt, NULL, 0);
    else qk__conv_plain(&g, in, 2, filter, bias32, bias64, wide, mult, shift, out);
    return QK_OK;
}

/* ---------------------------------------------------------------------------------------
 * DEPTHWISE_CONV_2D
 * ------------------------------------------------------------------------------------- */

/*
 * Scratch-free ("plain") int8 DEPTHWISE_CONV_2D with depth multiplier 1 or one input channel
 * (any multiplier): per output pixel, blocks of 16 output channels accumulate every in-image tap
 * in a local 16-lane accumulator (registers, not a buffer), then requantize. Same integer sums
 * as TFLM's loop nest.
 */
#define QK__DW_BLOCK 16

static void qk__dw_plain_i8(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *out) {
    const int32_t c_n = g->out_c, in_c = g->in_c; /* in_c == out_c or in_c == 1 */
    const int16_t zp = (int16_t)g->in_zp;
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy)
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                int8_t *o = out + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * c_n;
                for (int32_t c0 = 0; c0 < c_n; c0 += QK__DW_BLOCK) {
                    const int32_t n = c_n - c0 < QK__DW_BLOCK ? c_n - c0 : QK__DW_BLOCK;
                    int32_t a[QK__DW_BLOCK]; /* |a| <= kh * kw * 255 * 128 < 2^31 */
                    for (int32_t j = 0; j < QK__DW_BLOCK; ++j) a[j] = 0;
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                        if (iy < 0 || iy >= g->in_h) continue;
                        for (int32_t kx = 0; kx < g->kw; ++kx) {
                            const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                            if (ix < 0 || ix >= g->in_w) continue;
                            const int8_t *restrict x = in + (((int64_t)b * g->in_h + iy) * g->in_w + ix) * in_c;
                            const int8_t *restrict w = filter + ((int64_t)ky * g->kw + kx) * c_n + c0;
                            if (in_c == 1) { /* every output channel reads the one input value */
                                const int16_t xv = (int16_t)((int16_t)x[0] - zp);
                                for (int32_t j = 0; j < n; ++j) a[j] += (int16_t)(xv * (int16_t)w[j]);
                                continue;
                            }
                            x += c0;
                            if (n == QK__DW_BLOCK) /* fixed trip count: one vector block */
                                for (int32_t j = 0; j < QK__DW_BLOCK; ++j)
                                    a[j] += (int16_t)((int16_t)((int16_t)x[j] - zp) * (int16_t)w[j]);
                            else
                                for (int32_t j = 0; j < n; ++j)
                                    a[j] += (int16_t)((int16_t)((int16_t)x[j] - zp) * (int16_t)w[j]);
                        }
                    }
                    for (int32_t j = 0; j < n; ++j) {
                        int32_t v = a[j];
                        if (bias != NULL) v = qk__wrap_add(v, bias[c0 + j]);
                        v = qk__requant_fast(v, mult[c0 + j], shift[c0 + j]) + g->out_zp;
                        o[c0 + j] = (int8_t)qk__clamp(v, g->act_min, g->act_max);
                    }
                }
            }
}

/* Reference depthwise (int8 or int16 input), TFLM's loop nest; oc = c * dm + m. */
static void qk__dw_ref(const qk__conv_geom *g, int32_t dm, const void *in_v, int es,
                       const int8_t *filter, const int32_t *bias32, const int64_t *bias64,
                       const int32_t *mult, const int32_t *shift, void *out_v) {
    const int8_t *in8 = in_v;
    const int16_t *in16 = in_v;
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy)
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                const int64_t obase = (((int64_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (int32_t c = 0; c < g->in_c; ++c)
                    for (int32_t m = 0; m < dm; ++m) {
                        const int32_t oc = c * dm + m;
                        int64_t acc = 0; /* int8: |acc| < 2^31 (depth checked); int16: < 2^38 */
                        for (int32_t ky = 0; ky < g->kh; ++ky) {
                            const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                            if (iy < 0 || iy >= g->in_h) continue;
                            for (int32_t kx = 0; kx < g->kw; ++kx) {
                                const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                                if (ix < 0 || ix >= g->in_w) continue;
                                const int64_t xi = (((int64_t)b * g->in_h + iy) * g->in_w + ix) * g->in_c + c;
                                const int32_t xv = es == 1 ? (int32_t)in8[xi] - g->in_zp : (int32_t)in16[xi];
                                const int32_t wv = filter[((int64_t)ky * g->kw + kx) * g->out_c + oc];
                                acc += (int64_t)wv * xv;
                            }
                        }
                        if (es == 1) {
                            int32_t a = (int32_t)acc;
                            if (bias32 != NULL) a = qk__wrap_add(a, bias32[oc]);
                            a = qk__requant(a, mult[oc], shift[oc]) + g->out_zp;
                            ((int8_t *)out_v)[obase + oc] = (int8_t)qk__clamp(a, g->act_min, g->act_max);
                        } else {
                            if (bias64 != NULL) acc += bias64[oc];
                            const int32_t r = qk__requant64(acc, mult[oc], shift[oc]);
                            ((int16_t *)out_v)[obase + oc] = (int16_t)qk__clamp(r, g->act_min, g->act_max);
                        }
                    }
            }
}

/*
 * Fast int8 DEPTHWISE_CONV_2D path: per output pixel, collect the in-image taps and add them
 * into one int32 accumulator per output channel, up to 4 taps per pass over the channels
 * (contiguous loops that vectorize), then requantize. The integer sums equal the reference's,
 * so the result is bit-exact. |acc| <= kh * kw * 255 * 128 < 2^31 (kh * kw <= 65536, checked).
 */

/* One tap's product as int16: |x - zp| <= 255 and |w| <= 128 give |product| <= 32640, so the
 * multiply fits 16-bit lanes (pmullw) instead of emulated 32-bit ones. */
#define QK__DW_P(xp, wp) ((int32_t)(int16_t)((int16_t)((int16_t)(xp)[c] - zp16) * (int16_t)(wp)[c]))

/* acc[c] (+)= sum over the n (1..4) taps t of (x_t[c] - zp) * w_t[c]; init: store, not add. */
static void qk__dw_taps_c(int32_t *restrict acc, const int8_t *const *x, const int8_t *const *w,
                          int32_t n, int32_t c_n, int32_t zp, int init, int32_t c0) {
    const int16_t zp16 = (int16_t)zp; /* int8 zero point */
    const int8_t *restrict x0 = x[0] + c0, *restrict w0 = w[0] + c0;
    acc += c0;
    c_n -= c0;
    if (n == 4) {
        const int8_t *restrict x1 = x[1] + c0, *restrict x2 = x[2] + c0, *restrict x3 = x[3] + c0;
        const int8_t *restrict w1 = w[1] + c0, *restrict w2 = w[2] + c0, *restrict w3 = w[3] + c0;
        if (init)
            for (int32_t c = 0; c < c_n; ++c)
                acc[c] = QK__DW_P(x0, w0) + QK__DW_P(x1, w1) + QK__DW_P(x2, w2) + QK__DW_P(x3, w3);
        else
            for (int32_t c = 0; c < c_n; ++c)
                acc[c] += QK__DW_P(x0, w0) + QK__DW_P(x1, w1) + QK__DW_P(x2, w2) + QK__DW_P(x3, w3);
    } else if (n == 3) {
        const int8_t *restrict x1 = x[1] + c0, *restrict x2 = x[2] + c0;
        const int8_t *restrict w1 = w[1] + c0, *restrict w2 = w[2] + c0;
        if (init)
            for (int32_t c = 0; c < c_n; ++c)
                acc[c] = QK__DW_P(x0, w0) + QK__DW_P(x1, w1) + QK__DW_P(x2, w2);
        else
            for (int32_t c = 0; c < c_n; ++c)
                acc[c] += QK__DW_P(x0, w0) + QK__DW_P(x1, w1) + QK__DW_P(x2, w2);
    } else if (n == 2) {
        const int8_t *restrict x1 = x[1] + c0, *restrict w1 = w[1] + c0;
        if (init)
            for (int32_t c = 0; c < c_n; ++c) acc[c] = QK__DW_P(x0, w0) + QK__DW_P(x1, w1);
        else
            for (int32_t c = 0; c < c_n; ++c) acc[c] += QK__DW_P(x0, w0) + QK__DW_P(x1, w1);
    } else {
        if (init)
            for (int32_t c = 0; c < c_n; ++c) acc[c] = QK__DW_P(x0, w0);
        else
            for (int32_t c = 0; c < c_n; ++c) acc[c] += QK__DW_P(x0, w0);
    }
}
#undef QK__DW_P

/* Taps per qk__dw_taps call (qk__dw_pixel gathers this many): the DSP helper keeps a block's
 * sums in registers over any number of taps, so its calls take more of them at once (fewer
 * accumulator reloads and calls); the others take 4. */
#if defined(QK_ARM_DSP)
#define QK__DW_GROUP 16
#else
#define QK__DW_GROUP 4
#endif

/* The Cortex-M helpers take the channels they can (all with Helium, multiples of 4 with DSP);
 * the portable loops do the rest, four taps at a time. */
static void qk__dw_taps(int32_t *restrict acc, const int8_t *const *x, const int8_t *const *w,
                        int32_t n, int32_t c_n, int32_t zp, int init) {
#if defined(QK_ARM_DSP) || defined(QK_ARM_MVE)
    const int32_t done = qk_arm_dw_taps(acc, x, w, n, c_n, zp, init);
#else
    const int32_t done = 0;
#endif
    for (int32_t t = 0; done < c_n && t < n; t += 4, init = 0)
        qk__dw_taps_c(acc, x + t, w + t, n - t < 4 ? n - t : 4, c_n, zp, init, done);
}

#if defined(QK_ARM_DSP)
/* qk__dw_pixel for depth multiplier 1, dilation 1 and in_c >= 4: the window's in-image taps
 * are rows [ky0, ky1) and columns [kx0, kx1), whole 4-channel blocks of each chunk summed by
 * qk_arm_dw_win, the chunk's in_c % 4 tail here. (Steps in bytes within int32: the caller
 * checks.) */
static void qk__dw_pixel_dsp(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                             const qk__rq_set *rs, int8_t *out, int32_t *restrict acc,
                             int32_t acc_n, int32_t b, int32_t oy, int32_t ox) {
    const int32_t c_n = g->in_c, zp = g->in_zp;
    const int32_t iy0 = oy * g->sh - g->ph, ix0 = ox * g->sw - g->pw;
    const int32_t ky0 = iy0 < 0 ? -iy0 : 0, kx0 = ix0 < 0 ? -ix0 : 0;
    const int32_t ky1 = g->in_h - iy0 < g->kh ? g->in_h - iy0 : g->kh;
    const int32_t kx1 = g->in_w - ix0 < g->kw ? g->in_w - ix0 : g->kw;
    const int32_t nky = ky1 - ky0, nkx = kx1 - kx0;
    const int any = nky > 0 && nkx > 0;
    const int8_t *x =
        any ? in + (((int64_t)b * g->in_h + iy0 + ky0) * g->in_w + ix0 + kx0) * c_n : in;
    const int8_t *w = any ? filter + ((int64_t)ky0 * g->kw + kx0) * c_n : filter;
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-zp;
    int8_t *o = out + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * c_n;
    for (int32_t c0 = 0; c0 < c_n; c0 += acc_n) {
        const int32_t cc = c_n - c0 < acc_n ? c_n - c0 : acc_n;
        int32_t c = 0;
        if (any) {
            c = cc & ~3;
            if (c > 0) {
                const qk_arm_dw_win_fr fr = {acc, acc + c, x + c0, w + c0, g->in_w * c_n,
                                             g->kw * c_n, (nkx - 1) * c_n, nky};
                qk_arm_dw_win(&fr, nz | (nz << 16), c_n);
            }
        }
        for (; c < cc; ++c) {
            int32_t s = 0;
            for (int32_t ky = 0; ky < nky; ++ky)
                for (int32_t kx = 0; kx < nkx; ++kx) {
                    const int64_t t = ((int64_t)ky * g->in_w + kx) * c_n + c0 + c;
                    s += ((int32_t)x[t] - zp) * w[((int64_t)ky * g->kw + kx) * c_n + c0 + c];
                }
            acc[c] = s;
        }
        qk__rq_out(rs, c0, acc, cc, o + c0);
    }
}
#endif

/* One output pixel of the general int8 fast path, in accumulator chunks of acc_n channels. */
static void qk__dw_pixel(const qk__conv_geom *g, int32_t dm, const int8_t *in, const int8_t *filter,
                         const qk__rq_set *rs, int8_t *out, int32_t *restrict acc, int32_t acc_n, int32_t b, int32_t oy,
                         int32_t ox) {
    const int32_t c_n = g->in_c, oc_n = g->out_c, zp = g->in_zp;
#if defined(QK_ARM_DSP)
    if (dm == 1 && g->dh == 1 && g->dw == 1 && c_n >= 4 &&
        (int64_t)g->in_w * c_n <= INT32_MAX && (int64_t)g->kw * c_n <= INT32_MAX) {
        qk__dw_pixel_dsp(g, in, filter, rs, out, acc, acc_n, b, oy, ox);
        return;
    }
#endif
    const int32_t cin = acc_n / dm; /* input channels per accumulator chunk, >= 1 */
    const int64_t obase = (((int64_t)b * g->out_h + oy) * g->out_w + ox) * oc_n;
    for (int32_t ci0 = 0; ci0 < c_n; ci0 += cin) {
        const int32_t cc = c_n - ci0 < cin ? c_n - ci0 : cin, on = cc * dm;
        const int32_t oc0 = ci0 * dm;
        const int8_t *xs[QK__DW_GROUP], *ws[QK__DW_GROUP];
        int32_t n = 0, init = 1;
        for (int32_t ky = 0; ky < g->kh; ++ky) {
            const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
            if (iy < 0 || iy >= g->in_h) continue;
            for (int32_t kx = 0; kx < g->kw; ++kx) {
                const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                if (ix < 0 || ix >= g->in_w) continue;
                const int8_t *x = in + (((int64_t)b * g->in_h + iy) * g->in_w + ix) * c_n + ci0;
                const int8_t *w = filter + ((int64_t)ky * g->kw + kx) * oc_n + oc0;
                if (dm != 1) {
                    for (int32_t c = 0; c < cc; ++c) {
                        const int32_t xv = (int32_t)x[c] - zp;
                        for (int32_t m = 0; m < dm; ++m) {
                            const int32_t v = xv * (int32_t)w[c * dm + m];
                            acc[c * dm + m] = init ? v : acc[c * dm + m] + v;
                        }
                    }
                    init = 0;
                    continue;
                }
                xs[n] = x;
                ws[n] = w;
                if (++n == QK__DW_GROUP) {
                    qk__dw_taps(acc, xs, ws, n, cc, zp, init);
                    n = init = 0;
                }
            }
        }
        if (n > 0) {
            qk__dw_taps(acc, xs, ws, n, cc, zp, init);
            init = 0;
        }
        if (init)
            for (int32_t j = 0; j < on; ++j) acc[j] = 0; /* no tap in the image */
        qk__rq_out(rs, oc0, acc, on, out + obase + oc0);
    }
}

/*
 * Few channels (depth multiplier 1): with stride_w 1, consecutive output pixels of a row read
 * consecutive input pixels, so a run of r pixels is one contiguous span of r * in_c values per
 * tap. With the filter tiled r times along a tap (wtile), the tap loops run over r * in_c
 * values instead of in_c, long enough to fill vectors. With stride_w s > 1 the kh input rows
 * are first split into s phases (pixels q, q + s, q + 2s, ... contiguous), which restores the
 * contiguous spans. Used on the pixels whose taps are all inside the row; the others take
 * qk__dw_pixel.
 */
/* values per tiled run, r = QK__DW_TILE(in_c) / in_c pixels (less scratch for fewer channels) */
#define QK__DW_TILE(c) ((c) <= 16 ? 128 : 256)
#define QK__DW_TILE_MAX_C 63 /* tile when in_c <= this */
#define QK__DW_TILE_MAX_TAPS 16 /* and kh * kw <= this (bounds the wtile scratch) */
#define QK__DW_PHASE_MAX 8192 /* and with stride_w > 1, phase rows of at most this many bytes */

/* Bytes of the phase-split input rows (0 with stride_w 1): kh rows of sw * ceil(in_w / sw)
 * pixels; -1 when the depthwise op does not take the tiled path. */
static int64_t qk__dw_phase_bytes(const qk__conv_geom *g, int32_t dm) {
    if (!(dm == 1 && g->in_c > 1 && g->in_c <= QK__DW_TILE_MAX_C &&
          g->kh * g->kw <= QK__DW_TILE_MAX_TAPS))
        return -1;
    if (g->sw == 1) return 0;
    if (g->in_c >= 32) return -1; /* the per-pixel loops already fill vectors */
    const int64_t n = (int64_t)g->kh * g->sw * ((g->in_w + g->sw - 1) / g->sw) * g->in_c;
    return n <= QK__DW_PHASE_MAX ? n : -1;
}

/* Split the kh input rows of output row (b, oy) into stride_w phases: phase[ky][q][j] is input
 * pixel j * sw + q of row iy(ky), j < ceil(in_w / sw) (rows outside the image are skipped). */
static void qk__dw_split(const qk__conv_geom *g, const int8_t *in, int32_t b, int32_t oy,
                         int8_t *restrict phase) {
    const int32_t c_n = g->in_c, sw = g->sw, nq = (g->in_w + sw - 1) / sw;
    for (int32_t ky = 0; ky < g->kh; ++ky) {
        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
        if (iy < 0 || iy >= g->in_h) continue;
        const int8_t *x = in + ((int64_t)b * g->in_h + iy) * g->in_w * c_n;
        int8_t *p = phase + (int64_t)ky * sw * nq * c_n;
        for (int32_t q = 0; q < sw; ++q) {
            int8_t *d = p + (int64_t)q * nq * c_n;
            for (int32_t ix = q; ix < g->in_w; ix += sw, d += c_n) {
                const int8_t *src = x + (int64_t)ix * c_n;
                int32_t c = 0;
                for (; c + 8 <= c_n; c += 8) memcpy(d + c, src + c, 8); /* fixed size: inlined */
                for (; c < c_n; ++c) d[c] = src[c];
            }
        }
    }
}

static void qk__dw_run(const qk__conv_geom *g, const int8_t *in, const int8_t *phase,
                       const int8_t *wtile, int32_t tile, const qk__rq_set *rs, int8_t *out, int32_t *restrict acc, int32_t b,
                       int32_t oy, int32_t x0, int32_t n_px) {
    const int32_t c_n = g->in_c, zp = g->in_zp, len = n_px * c_n, sw = g->sw;
    const int32_t nq = (g->in_w + sw - 1) / sw;
    const int8_t *xs[QK__DW_GROUP], *ws[QK__DW_GROUP];
    int32_t n = 0, init = 1;
    for (int32_t ky = 0; ky < g->kh; ++ky) {
        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
        if (iy < 0 || iy >= g->in_h) continue;
        for (int32_t kx = 0; kx < g->kw; ++kx) {
            /* input pixel of output ox: ox * sw + off, all inside the row for this run */
            const int32_t off = kx * g->dw - g->pw;
            if (sw == 1) {
                xs[n] = in + (((int64_t)b * g->in_h + iy) * g->in_w + x0 + off) * c_n;
            } else { /* ox * sw + off == (ox + fl) * sw + q, 0 <= q < sw */
                const int32_t q = ((off % sw) + sw) % sw, fl = (off - q) / sw;
                xs[n] = phase + (((int64_t)ky * sw + q) * nq + x0 + fl) * c_n;
            }
            ws[n] = wtile + (int64_t)(ky * g->kw + kx) * tile;
            if (++n == QK__DW_GROUP) {
                qk__dw_taps(acc, xs, ws, n, len, zp, init);
                n = init = 0;
            }
        }
    }
    if (n > 0) {
        qk__dw_taps(acc, xs, ws, n, len, zp, init);
        init = 0;
    }
    if (init)
        for (int32_t j = 0; j < len; ++j) acc[j] = 0; /* no tap row in the image */
    const int64_t obase = (((int64_t)b * g->out_h + oy) * g->out_w + x0) * c_n;
    for (int32_t p = 0; p < n_px; ++p)
        qk__rq_out(rs, 0, acc + (int64_t)p * c_n, c_n, out + obase + (int64_t)p * c_n);
}

#if defined(QK_ARM_MVE)
/*
 * Helium DEPTHWISE_CONV_2D, int8, depth multiplier 1, with the zero point folded into the bias
 * (the lowering's board-only beff = bias - in_zp * sum_t w_t, int32 wrapping): every output
 * pixel sums x * w over all its taps (qk_arm_dw_run), padded ones reading in_zp, the same int32
 * value mod 2^32 as TFLM's sum of (x - in_zp) * w plus bias. The scratch holds zrow (in_c
 * copies of in_zp) and, with room, the strip: output rows with taps above or below the image
 * (and with the 8-channel pair path, whose pairs then span the row, any with padding) read a
 * copy of their input rows padded with in_zp, so they run as the inner ones do, as many pixels
 * at a time as the strip holds (the plan sizes the scratch to what its arena has free). The
 * other pixels with taps outside the image (all of them without a strip) run a column or a
 * pixel at a time, their padded taps pointing at zrow.
 */
#define QK__DW_MVE_MAX_TAPS 64

/* Output pixels of a row whose strip fits `bytes` of scratch after zrow (at most out_w; 0: no
 * strip). A strip for n pixels spans (n - 1) * sw + (kw - 1) * dw + 1 columns of kh rows. */
static int32_t qk__dw_strip_n(const qk__conv_geom *g, int32_t bytes) {
    /* (int32 divisions: kh * in_c is within the input's bytes) */
    const int32_t cols = (bytes - g->in_c) / (g->kh * g->in_c);
    const int64_t span = (int64_t)(g->kw - 1) * g->dw + 1;
    const int32_t n = cols < span ? 0 : (cols - (int32_t)span) / g->sw + 1;
    return n < g->out_w ? n : g->out_w;
}

/* The strip for output pixels [x0, x1) of row oy: its kh rows (pitch bytes apart) hold the
 * input columns those pixels' taps span, from x0 * sw - pw on, in_zp outside the image. */
static void qk__dw_strip(const qk__conv_geom *g, const int8_t *image, int32_t oy, int32_t x0,
                         int32_t x1, int8_t *strip, int32_t pitch) {
    const int32_t c_n = g->in_c, ix0 = x0 * g->sw - g->pw;
    const int32_t w = (x1 - x0 - 1) * g->sw + (g->kw - 1) * g->dw + 1; /* columns */
    /* in-image columns [j0, j1) of the strip */
    const int32_t j0 = ix0 < 0 ? -ix0 : 0, j1 = g->in_w - ix0 < w ? g->in_w - ix0 : w;
    const int8_t zp = (int8_t)g->in_zp;
    for (int32_t ky = 0, iy = oy * g->sh - g->ph; ky < g->kh; ++ky, iy += g->dh, strip += pitch) {
        if (iy < 0 || iy >= g->in_h || j1 <= j0) {
            qk_arm_fill_s8(strip, zp, w * c_n);
            continue;
        }
        qk_arm_fill_s8(strip, zp, j0 * c_n);
        qk_arm_copy_s8(strip + j0 * c_n, image + (iy * g->in_w + ix0 + j0) * c_n, (j1 - j0) * c_n);
        qk_arm_fill_s8(strip + j1 * c_n, zp, (w - j1) * c_n);
    }
}
/* Tap offsets (from zrow, for qk_arm_dw_run) of the output pixel whose field starts at input
 * (iy0, ix0) of image: padded taps at 0 (zrow holds in_zp; offsets between objects: flat 32-bit
 * addresses); step[t]: down for the taps inside the image, 0 for the padded ones. */
static void qk__dw_edge_offs(const qk__conv_geom *g, const int8_t *image, const int8_t *zrow,
                             int32_t iy0, int32_t ix0, int32_t down, int32_t *edge,
                             int32_t *step) {
    const int32_t c_n = g->in_c, kw = g->kw, in_w = g->in_w, dw_c = g->dw * c_n;
    const int32_t z = (int32_t)((intptr_t)image - (intptr_t)zrow); /* image from zrow */
    for (int32_t ky = 0, t = 0, iy = iy0; ky < g->kh; ++ky, iy += g->dh, t += kw) {
        const int y_ok = iy >= 0 && iy < g->in_h;
        const int32_t at = y_ok ? z + (iy * in_w + ix0) * c_n : 0; /* tap (ky, 0) */
        for (int32_t kx = 0, ix = ix0; kx < kw; ++kx, ix += g->dw) {
            const int in = y_ok && (uint32_t)ix < (uint32_t)in_w;
            edge[t + kx] = in ? at + kx * dw_c : 0;
            step[t + kx] = in ? down : 0;
        }
    }
}
#define QK__DW_MVE_PAIR_TAPS 9 /* (the pair path's filter copy is on the stack) */
#define QK__DW_PADZ_C 64 /* channels of the edge-column path (its filter copy: stack) */

/* Output column ox's rows [ya, yb) (fields inside the image but for padded columns), as one
 * run of qk_arm_dw16_3x3 down the column that reads no padding: the window moved by whole taps
 * past the padded columns onto image ones, the filter copied to match (in-image taps moved with
 * it, the rest zero) and the padded taps' in_zp terms (beff folds in every tap's) put back into
 * the bias. 0 (nothing done) if the moved window leaves the image. */
static __attribute__((noinline)) int qk__dw_col_mve(const qk__conv_geom *g,
                                                    const qk_arm_dw_params *P,
                                                    const int8_t *image, int32_t ox, int32_t ya,
                                                    int32_t yb, int8_t *ob) {
    const int32_t c_n = g->in_c, line_n = g->in_w * c_n, ix0 = ox * g->sw - g->pw;
    uint32_t m = 0; /* the padded columns */
    for (int32_t k = 0; k < 3; ++k)
        m |= (uint32_t)((uint32_t)(ix0 + k * g->dw) >= (uint32_t)g->in_w) << k;
    /* the move in taps: past the leading padded columns, else before the trailing ones */
    int32_t sx = 0;
    while (sx < 3 && (m >> sx & 1u)) ++sx;
    if (sx == 0)
        while (sx > -3 && (m >> (2 + sx) & 1u)) --sx;
    const int32_t wx = ix0 + sx * g->dw; /* the window's first column */
    if (wx < 0 || wx + 2 * g->dw >= g->in_w) return 0;
    int8_t wz[9 * QK__DW_PADZ_C];
    int32_t bz[QK__DW_PADZ_C], src[9]; /* src: window tap t's filter tap, or -1 */
    for (int32_t t = 0; t < 9; ++t) {
        const int32_t kx = t % 3 + sx;
        src[t] = (uint32_t)kx < 3u && !(m >> kx & 1u) ? 16 * (t - t % 3 + kx) : -1;
    }
    const int8x16_t z = vdupq_n_s8(0);
    for (int32_t c = 0; c < c_n; c += 16) { /* (block c / 16: 9 taps of 16) */
        const int8_t *f = P->fb + c * 9;
        int8_t *d = wz + c * 9;
        for (int32_t t = 0; t < 9; ++t, d += 16) vst1q_s8(d, src[t] < 0 ? z : vld1q_s8(f + src[t]));
    }
    const int32_t zp = g->in_zp;
    for (int32_t c = 0; c < c_n; c += 4) vst1q_s32(bz + c, vld1q_s32(P->beff + c));
    for (int32_t k = 0; k < 3; ++k) { /* a padded column's three taps */
        if (!(m >> k & 1u)) continue;
        const int8_t *w0 = P->filter + k * c_n, *w1 = w0 + 3 * c_n, *w2 = w1 + 3 * c_n;
        for (int32_t c = 0; c < c_n; c += 4) {
            const int32x4_t s3 = vaddq_s32(vaddq_s32(vldrbq_s32(w0 + c), vldrbq_s32(w1 + c)),
                                           vldrbq_s32(w2 + c));
            vst1q_s32(bz + c, vmlaq_n_s32(vld1q_s32(bz + c), s3, zp));
        }
    }
    qk_arm_dw_params Z = *P;
    Z.beff = bz;
    Z.fb = wz;
    Z.c_n = g->out_w * c_n; /* (qk_arm_dw16_3x3 steps the output c_n bytes a pixel) */
    const uint32_t lim = ((uint32_t)P->out_zp << 16) | (((uint32_t)P->act_max & 0xFFu) << 8) |
                         ((uint32_t)P->act_min & 0xFFu);
    qk_arm_dw16_3x3(&Z, image + ((int64_t)(ya * g->sh - g->ph) * g->in_w + wx) * c_n,
                    (uint32_t)(g->dw * c_n), (uint32_t)(g->dh * line_n), g->sh * line_n, yb - ya,
                    lim, ob + ((int64_t)ya * g->out_w + ox) * c_n, (lim & 0xFFFFu) != 0x7F80u);
    return 1;
}

/* fb: the filter's first in_c & ~15 channels in 16-channel blocks (qk_arm_dw_params), or NULL
 * (then qk_arm_dw16 runs only for 16 channels, whose filter is that layout) */
static void qk__dw_mve(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                       const int8_t *fb, const int32_t *beff, const int32_t *mult,
                       const uint32_t *rq, int8_t *out, int8_t *zrow, int8_t *strip,
                       int32_t strip_n) {
    const int32_t c_n = g->in_c, line_n = g->in_w * c_n;
    const int32_t taps = g->kh * g->kw;
    const int right = qk_arm_rq_right(mult, rq, rq + c_n, c_n);
    /* qk_arm_dw16 (whole 16s of channels) needs the right-shift requant, an int8 out_zp and
     * activation range (its saturating narrowing steps) and no -128 in the filter (its int16
     * sums of two products), as quantized models' symmetric filters have */
    if (c_n == 16) fb = filter;
    const int dw16 = right && g->out_zp >= -128 && g->out_zp <= 127 && g->act_min >= -128 &&
                     g->act_max <= 127 && !qk_arm_any_s8_min(filter, taps * c_n);
    const qk_arm_dw_params P = {filter, beff, mult, rq, rq + c_n, c_n, taps, g->out_zp,
                                g->act_min, g->act_max, right,
                                dw16 && fb != NULL ? c_n & ~15 : 0, fb};
    /* 8 channels, stride 1: two pixels per 16 lanes (qk_arm_dw_run), with the filter and
     * parameters repeated twice per tap / vector */
    int8_t wpair[QK__DW_MVE_PAIR_TAPS * 16];
    int32_t bpair[16], mpair[16];
    uint32_t rpair[16];
    const int use_pair = c_n == 8 && g->sw == 1 && dw16 && taps <= QK__DW_MVE_PAIR_TAPS;
    const qk_arm_dw_params pair = {wpair, bpair, mpair, rq, rpair, 16, taps, g->out_zp,
                                   g->act_min, g->act_max, right, 16, wpair};
    if (use_pair) {
        for (int32_t t = 0; t < taps; ++t)
            for (int32_t j = 0; j < 16; ++j) wpair[t * 16 + j] = filter[t * 8 + (j & 7)];
        for (int32_t j = 0; j < 16; ++j) {
            bpair[j] = beff[j & 7];
            mpair[j] = mult[j & 7];
            rpair[j] = P.rm[j & 7];
        }
    }
    /* tap offsets in the image */
    const int32_t pitch = ((strip_n - 1) * g->sw + (g->kw - 1) * g->dw + 1) * c_n;
    int32_t inner[QK__DW_MVE_MAX_TAPS];
    for (int32_t ky = 0, t = 0; ky < g->kh; ++ky)
        for (int32_t kx = 0; kx < g->kw; ++kx) inner[t++] = ky * g->dh * line_n + kx * g->dw * c_n;
    const int inner3 = qk_arm_dw_grid(inner, taps);
    /* output pixels [xa, xb) x [ya, yb) have every tap inside the image */
    int32_t xa, xb, ya, yb;
    qk__inner_range(g->out_w, g->in_w, g->kw, g->dw, g->sw, g->pw, &xa, &xb);
    qk__inner_range(g->out_h, g->in_h, g->kh, g->dh, g->sh, g->ph, &ya, &yb);
    const qk_arm_dw_params *pp = use_pair ? &pair : NULL;
    const int32_t step = g->sw * c_n;
    /* the rows whose edge pixels run a column at a time (with the pair path and a strip: none) */
    const int cols = !(use_pair && strip_n > 0) && xb > xa && ya < yb && (xa > 0 || xb < g->out_w);
    int32_t edge[QK__DW_MVE_MAX_TAPS], down_t[QK__DW_MVE_MAX_TAPS];
    /* one output row down, in input bytes (< the input size when two rows are in [ya, yb)) */
    const int32_t down = yb - ya > 1 ? g->sh * line_n : 0;
    if (cols || strip_n == 0) memset(zrow, (uint8_t)g->in_zp, (size_t)c_n);
    /* edge columns through qk__dw_col_mve: 16s of channels in qk_arm_dw16 on a 3x3 grid */
    const int colz = cols && inner3 && P.c16 == c_n && c_n <= QK__DW_PADZ_C && !use_pair;
    for (int32_t b = 0; b < g->batches; ++b) {
        const int8_t *image = in + (int64_t)b * g->in_h * line_n; /* offsets below fit int32 */
        int8_t *ob = out + (int64_t)b * g->out_h * g->out_w * c_n;
        for (int32_t ky = 0, t = 0; ky < g->kh; ++ky) /* edge: the tap offsets in the strip */
            for (int32_t kx = 0; kx < g->kw; ++kx) edge[t++] = ky * pitch + kx * g->dw * c_n;
        const int edge3 = qk_arm_dw_grid(edge, taps);
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            int8_t *o = ob + (int64_t)oy * g->out_w * c_n;
            const int outer = oy < ya || oy >= yb || xb <= xa;
            if (strip_n > 0 && (outer || (use_pair && (xa > 0 || xb < g->out_w)))) {
                for (int32_t x0 = 0; x0 < g->out_w; x0 += strip_n) {
                    const int32_t x1 = g->out_w - x0 < strip_n ? g->out_w : x0 + strip_n;
                    qk__dw_strip(g, image, oy, x0, x1, strip, pitch);
                    qk_arm_dw_run(&P, pp, edge, edge3, strip, step, x1 - x0, o + x0 * c_n);
                }
            } else if (outer) /* no strip: a pixel at a time */
                for (int32_t ox = 0; ox < g->out_w; ++ox) {
                    qk__dw_edge_offs(g, image, zrow, oy * g->sh - g->ph, ox * g->sw - g->pw, 0,
                                     edge, down_t);
                    qk_arm_dw_run(&P, NULL, edge, 0, zrow, 0, 1, o + ox * c_n);
                }
            else
                qk_arm_dw_run(&P, pp, inner, inner3,
                              image + ((oy * g->sh - g->ph) * g->in_w + xa * g->sw - g->pw) * c_n,
                              step, xb - xa, o + xa * c_n);
        }
        /* the other pixels of rows [ya, yb) a column at a time, the offsets moved down */
        for (int32_t ox = xa > 0 ? 0 : xb; cols && ox < g->out_w;
             ox = ox + 1 == xa ? xb : ox + 1) {
            if (colz && qk__dw_col_mve(g, &P, image, ox, ya, yb, ob)) continue;
            qk__dw_edge_offs(g, image, zrow, ya * g->sh - g->ph, ox * g->sw - g->pw, down, edge,
                             down_t);
            for (int32_t oy = ya;;) {
                qk_arm_dw_run(&P, NULL, edge, 0, zrow, 0, 1,
                              ob + ((int64_t)oy * g->out_w + ox) * c_n);
                if (++oy == yb) break;
                for (int32_t t = 0; t < taps; t += 4) { /* (int32 lanes wrap as addresses do) */
                    const mve_pred16_t p = vctp32q((uint32_t)(taps - t));
                    vstrwq_p_s32(edge + t, vaddq_s32(vldrwq_z_s32(edge + t, p),
                                                     vldrwq_z_s32(down_t + t, p)), p);
                }
            }
        }
    }
}

/* Whether fb holds filter [taps][c_n]'s channels [0, c_n & ~15) in 16-channel blocks
 * [c_n / 16][taps][16]. */
static int qk__dw_fb_ok(const int8_t *fb, const int8_t *filter, int32_t taps, int32_t c_n) {
    for (int32_t c = 0; c + 16 <= c_n; c += 16)
        for (int32_t t = 0; t < taps; ++t, fb += 16)
            if (vcmpneq_s8(vld1q_s8(fb), vld1q_s8(filter + (int64_t)t * c_n + c)) != 0) return 0;
    return 1;
}

/* Whether beff[c] is bias[c] - in_zp * sum over the taps of filter[t][c] (int32 wrapping);
 * four channels per vector. */
static int qk__dw_beff_ok(const int32_t *beff, const int32_t *bias, const int8_t *filter,
                          int32_t taps, int32_t c_n, int32_t in_zp) {
    for (int32_t c = 0; c < c_n; c += 4) {
        const mve_pred16_t p = vctp32q((uint32_t)(c_n - c));
        int32x4_t s = vdupq_n_s32(0);
        const int8_t *w = filter + c;
        for (int32_t t = 0; t < taps; ++t, w += c_n) s = vaddq_s32(s, vldrbq_z_s32(w, p));
        int32x4_t want = vmulq_n_s32(s, -in_zp);
        if (bias != NULL) want = vaddq_s32(want, vldrwq_z_s32(bias + c, p));
        if ((vcmpneq_m_s32(want, vldrwq_z_s32(beff + c, p), p) & 0xFFFF) != 0) return 0;
    }
    return 1;
}
#endif

static void qk__dw_fast_i8(const qk__conv_geom *g, int32_t dm, const int8_t *in,
                           const int8_t *filter, const qk__rq_set *rs, int8_t *out,
                           int32_t *restrict acc, int32_t acc_n,
                           int16_t *row, const int8_t *ft, const int8_t *wtile, int8_t *phase) {
    const int32_t oc_n = g->out_c;
    if (row != NULL) {
        /* one input channel (acc_n == out_c == dm): a conv with k = kh * kw taps and dm filters,
         * ft being the filter as [dm][ks] (ks = k rounded up to 32, zero padded). Dots run over
         * kp = k rounded up to QK__KPAD <= ks with the row zero padded alike, so they fill whole
         * vectors; |acc| <= 65536 * 255 * 128 < 2^31. */
        const int32_t k = g->kh * g->kw, kp = (k + QK__KPAD - 1) / QK__KPAD * QK__KPAD;
        const int32_t ks = (k + 31) / 32 * 32;
        for (int32_t i = k; i < kp; ++i) row[i] = 0;
        for (int32_t b = 0; b < g->batches; ++b)
            for (int32_t oy = 0; oy < g->out_h; ++oy)
                for (int32_t ox = 0; ox < g->out_w; ++ox) {
                    qk__im2row(g, in, 1, b, oy, ox, row);
                    QK__ROW_PREP(row, k, kp);
                    int32_t m = 0;
                    for (; m + 4 <= oc_n; m += 4) qk__dot4_i8(row, ft + (int64_t)m * ks, kp, ks, acc + m);
                    for (; m < oc_n; ++m) acc[m] = qk__dot1_i8(row, ft + (int64_t)m * ks, kp);
                    qk__rq_out(rs, 0, acc, oc_n, out + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * oc_n);
                }
        return;
    }
    int32_t xa = g->out_w, xb = g->out_w, r = 1, tile = 0;
    if (wtile != NULL) {
        /* pixels [xa, xb) have every tap inside the row: ox - pw >= 0, ox - pw + (kw-1) dw < in_w */
        r = QK__DW_TILE(g->in_c) / g->in_c;
        tile = r * g->in_c;
        /* ox * sw - pw >= 0 and ox * sw - pw + (kw - 1) * dw <= in_w - 1 */
        const int64_t lo = ((int64_t)g->pw + g->sw - 1) / g->sw;
        const int64_t top = (int64_t)g->in_w - 1 - (int64_t)(g->kw - 1) * g->dw + g->pw;
        const int64_t hi = top < 0 ? 0 : top / g->sw + 1;
        xa = (int32_t)(lo < g->out_w ? lo : g->out_w);
        xb = hi < xa ? xa : (hi > g->out_w ? g->out_w : (int32_t)hi);
    }
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            for (int32_t ox = 0; ox < xa; ++ox)
                qk__dw_pixel(g, dm, in, filter, rs, out, acc, acc_n, b, oy, ox);
            if (xb > xa && g->sw > 1) qk__dw_split(g, in, b, oy, phase);
            for (int32_t x0 = xa; x0 < xb; x0 += r)
                qk__dw_run(g, in, phase, wtile, tile, rs, out, acc, b, oy, x0,
                           xb - x0 < r ? xb - x0 : r);
            for (int32_t ox = xb; ox < g->out_w; ++ox)
                qk__dw_pixel(g, dm, in, filter, rs, out, acc, acc_n, b, oy, ox);
        }
}

#if defined(QK_ARM_DSP)
/*
 * DSP 3x3 DEPTHWISE_CONV_2D (depth multiplier 1, dilation 1, in_c >= 4), any stride and
 * padding: per output pixel and accumulator chunk, qk_arm_dw3x3 sums the window of in-image
 * taps (padded taps are left out, as in the reference) of each 4-channel block in registers,
 * from the lowering's dw_w16 filter; the in_c % 4 tail channels sum here from the int8 filter.
 */
static int qk__dw_dsp_ok(const qk__conv_geom *g, int32_t dm, const int8_t *filter,
                         const int16_t *w16) {
    /* (steps in bytes within int32: rows, strides, 72 bytes of w16 per 4 channels) */
    if (!(dm == 1 && g->kh == 3 && g->kw == 3 && g->dh == 1 && g->dw == 1 && g->in_c >= 4 &&
          g->in_c <= (1 << 24) && (int64_t)g->in_w * g->in_c <= INT32_MAX &&
          (int64_t)g->sw * g->in_c <= INT32_MAX && ((uintptr_t)w16 & 3) == 0)) /* LDRD */
        return 0;
    /* w16 is [in_c / 4][3][3][4] int16, each group of four in pair-swapped order: the two
     * SXTB16 halves of the filter's four int8 values */
    for (int32_t c = 0; c + 4 <= g->in_c; c += 4)
        for (int32_t t = 0; t < 9; ++t, w16 += 4) {
            const uint32_t f = qk_arm_ld32(filter + t * g->in_c + c);
            if (qk_arm_ld32(w16) != (uint32_t)__sxtb16((int8x4_t)f) ||
                qk_arm_ld32(w16 + 2) != (uint32_t)qk_arm_sxtb16_hi(f))
                return 0;
        }
    return 1;
}

/* What every window of one op shares. */
typedef struct {
    const qk__conv_geom *g;
    const int8_t *filter;
    const int16_t *w16;
    const qk__rq_set *rs;
    int32_t *acc;
    int32_t acc_words;
    qk_arm_dw3x3_geom gm;
} qk__dw_dsp_op;

/* Channels [c0, c1) of npx pixels in C, from the int8 filter (the in_c % 4 tail, or all for
 * windows of at most one row or column): acc[p * (c1 - c0) + c - c0] holds the sums, which are
 * then requantized to the output; window and pixels as for qk__dw_dsp_run. */
static __attribute__((noinline)) void qk__dw_dsp_c(const qk__dw_dsp_op *k, const int8_t *x,
                                                   int32_t ky0, int32_t nky, int32_t kx0,
                                                   int32_t nkx, int32_t npx, int32_t c0,
                                                   int32_t c1, int8_t *o) {
    const qk__conv_geom *g = k->g;
    const int32_t c_n = g->in_c, zp = g->in_zp, cc = c1 - c0;
    int32_t *acc = k->acc;
    for (int32_t p = 0; p < npx; ++p)
        for (int32_t c = c0; c < c1; ++c) {
            int32_t s = 0;
            for (int32_t ky = 0; ky < nky; ++ky)
                for (int32_t kx = 0; kx < nkx; ++kx)
                    s += ((int32_t)x[(int64_t)p * g->sw * c_n + (int64_t)ky * k->gm.rs +
                                     kx * c_n + c] - zp) *
                         k->filter[((ky0 + ky) * 3 + kx0 + kx) * c_n + c];
            acc[p * cc + c - c0] = s;
        }
    for (int32_t p = 0; p < npx; ++p) qk__rq_out(k->rs, c0, acc + p * cc, cc, o + p * c_n + c0);
}

/* npx output pixels (out: o, in_c bytes apart; input: sw * in_c bytes apart) with the window of
 * input rows [ky0, ky0 + nky) and columns [kx0, kx0 + nkx) starting at x: whole 4-channel
 * blocks in qk_arm_dw3x3 when the window has at least two rows and columns, the rest in C in
 * pieces that fit the accumulators. */
static inline void qk__dw_dsp_run(const qk__dw_dsp_op *k, const int8_t *x, int32_t ky0,
                                  int32_t nky, int32_t kx0, int32_t nkx, int32_t npx, int8_t *o) {
    const int32_t c_n = k->g->in_c;
    int32_t c = 0;
    if (nky >= 2 && nkx >= 2) {
        c = c_n & ~3;
        qk_arm_dw3x3(o, c / 4, npx, x, k->w16 + (ky0 * 3 + kx0) * 4, &k->gm, nky, nkx);
        if (c == c_n) return;
    }
    const int32_t per = k->acc_words / npx; /* (npx * 3 fits: the caller sizes runs so) */
    for (int32_t c1; c < c_n; c = c1) {
        c1 = c_n - c < per ? c_n : c + per;
        qk__dw_dsp_c(k, x, ky0, nky, kx0, nkx, npx, c, c1, o);
    }
}

/* The op on this path if the plan gives dw_w16 (args[32]), the op fits and its requant has
 * records with the zero point folded in (qk__rq_rec): returns 1, else 0 (the other paths then
 * run, and check the args again). The scratch starts with acc_words int32 accumulators (acc_n,
 * or the tiled path's tile if larger: as the exec function sizes them), used for the channels
 * outside whole blocks; runs of interior pixels (every column in the image) share one kernel
 * call, up to acc_words / 3 pixels (the tail channels' sums). (Not inlined, so the exec
 * function's other loops compile as without it.) */
static __attribute__((noinline)) int
qk__dw_dsp3x3(const qk_ctx *ctx, const int32_t *args, const qk__conv_geom *g, int32_t dm,
              const int8_t *in, const int8_t *filter, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int8_t *out, int32_t acc_n) {
    const int32_t tile =
        qk__dw_phase_bytes(g, dm) >= 0 ? QK__DW_TILE(g->in_c) / g->in_c * g->in_c : 0;
    const int32_t acc_words = tile > acc_n ? tile : acc_n;
    const int16_t *w16 = qk__in(ctx, args[32], 2 * (int64_t)(g->in_c & ~3) * g->kh * g->kw);
    int32_t *acc = qk__out(ctx, args[6], 4 * (int64_t)acc_words);
    qk__rq_set rs;
    if (!w16 || !acc || !qk__dw_dsp_ok(g, dm, filter, w16) ||
        !qk__rq_set_init(&rs, ctx, args[7], bias, mult, shift, g) || rs.rec == NULL ||
        (rs.rec[4] & 256))
        return 0;
    const int32_t c_n = g->in_c, sw = g->sw, run = acc_words / 3;
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-g->in_zp;
    const qk__dw_dsp_op k = {g, filter, w16, &rs, acc, acc_words,
                             {sw * c_n - (c_n & ~3), 18 * (c_n & ~3), c_n & 3, c_n,
                              g->in_w * c_n, c_n, nz | (nz << 16), rs.rec,
                              0x01010101u * (uint8_t)g->act_min, 0x01010101u * (uint8_t)g->act_max,
                              g->act_min > -128 || g->act_max < 127}};
    /* output columns [xa, xb) have all three taps in the row: ox * sw - pw >= 0 and
     * ox * sw - pw + 2 <= in_w - 1 */
    const int32_t lo = (g->pw + sw - 1) / sw, top = g->in_w - 3 + g->pw;
    const int32_t hi = top < 0 ? 0 : top / sw + 1;
    const int32_t xa = lo < g->out_w ? lo : g->out_w;
    const int32_t xb = hi < xa ? xa : (hi > g->out_w ? g->out_w : hi);
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            /* in-image window rows [ky0, ky1) */
            const int32_t iy0 = oy * g->sh - g->ph;
            const int32_t ky0 = iy0 < 0 ? -iy0 : 0, ky1 = g->in_h - iy0 < 3 ? g->in_h - iy0 : 3;
            const int8_t *row =
                ky1 > ky0 ? in + ((int64_t)b * g->in_h + iy0 + ky0) * g->in_w * c_n : in;
            int8_t *o = out + ((int64_t)b * g->out_h + oy) * g->out_w * c_n;
            for (int32_t ox = 0, npx; ox < g->out_w; ox += npx, o += (int64_t)npx * c_n) {
                npx = ox >= xa && ox < xb ? (xb - ox < run ? xb - ox : run) : 1;
                const int32_t ix0 = ox * sw - g->pw;
                const int32_t kx0 = ix0 < 0 ? -ix0 : 0;
                const int32_t kx1 = g->in_w - ix0 < 3 ? g->in_w - ix0 : 3;
                qk__dw_dsp_run(&k, kx1 > kx0 ? row + (int64_t)(ix0 + kx0) * c_n : row, ky0,
                               ky1 - ky0, kx0, kx1 - kx0, npx, o);
            }
        }
    return 1;
}

/* Columns a and b (in_c bytes each) as the lanes of qk_arm_dw3x3p's rows: pixel pair j's
 * first half (FIRST; d) and pixel pair j - 1's second (SECOND; e = d - 2 in_c + 2 words). */
#define QK__DW_WIDEN(FIRST, SECOND)                                                         \
    for (int32_t c = 0; c < c_n; c += 4, d += 8, e += 8) {                                  \
        const uint32_t va = qk_arm_ld32(a + c), vb = qk_arm_ld32(b + c);                    \
        const uint32_t lo = qk_arm_pkhbt16(va, vb), hi = qk_arm_pkhtb16(vb, va);            \
        const uint32_t l0 = (uint32_t)__sxtab16((int16x2_t)off, (int8x4_t)lo);              \
        const uint32_t l1 = qk_arm_sxtab16_hi(off, lo);                                     \
        const uint32_t h0 = (uint32_t)__sxtab16((int16x2_t)off, (int8x4_t)hi);              \
        const uint32_t h1 = qk_arm_sxtab16_hi(off, hi);                                     \
        if (FIRST) d[0] = l0, d[1] = l1, d[4] = h0, d[5] = h1;                              \
        if (SECOND) e[0] = l0, e[1] = l1, e[4] = h0, e[5] = h1;                             \
    }

/* Input row row (NULL: a padding row) widened into dst for qk_arm_dw3x3p (np pixel pairs);
 * columns outside the image read zpc (in_c bytes of in_zp), which widen to 0. */
static void qk__dw_widen(const qk__conv_geom *g, const int8_t *row, const int8_t *zpc,
                         int32_t np, uint32_t *dst) {
    const int32_t c_n = g->in_c;
    const uint32_t nz = (uint32_t)(uint16_t)(int16_t)-g->in_zp, off = nz | (nz << 16);
    /* column pairs [j0, j1) in the image and neither first nor last: a straight walk */
    int32_t j0 = (g->pw + 1) / 2, j1 = (g->in_w + g->pw) / 2;
    j0 = j0 < 1 ? 1 : j0;
    j1 = row == NULL ? j0 : (j1 > np ? np : (j1 < j0 ? j0 : j1));
    for (int32_t j = 0; j <= np; ++j) { /* column pair j: columns 2j - pw, 2j + 1 - pw */
        if (j == j0 && j1 > j0) {
            const int8_t *a = row + (2 * j0 - g->pw) * c_n;
            uint32_t *d = dst + (int64_t)j0 * 2 * c_n, *e = d + 2 - 2 * c_n;
            for (; j < j1; ++j, a += 2 * c_n) { /* (the channel loop steps d and e) */
                const int8_t *b = a + c_n;
                QK__DW_WIDEN(1, 1)
            }
        }
        const int32_t i0 = 2 * j - g->pw;
        const int8_t *a = row != NULL && i0 >= 0 && i0 < g->in_w ? row + i0 * c_n : zpc;
        const int8_t *b =
            row != NULL && i0 + 1 >= 0 && i0 + 1 < g->in_w ? row + (i0 + 1) * c_n : zpc;
        uint32_t *d = dst + (int64_t)j * 2 * c_n, *e = d + 2 - 2 * c_n;
        if (j == 0) {
            e = d;
            QK__DW_WIDEN(1, 0)
        } else if (j == np) {
            QK__DW_WIDEN(0, 1)
        } else {
            QK__DW_WIDEN(1, 1)
        }
    }
}
#undef QK__DW_WIDEN

/*
 * DSP 3x3 DEPTHWISE_CONV_2D with stride 1 (depth multiplier 1, dilation 1, in_c % 4 == 0):
 * the three input rows of an output row widened (qk__dw_widen; each input row once, into a
 * ring of three in scratch) and every output pixel summed by qk_arm_dw3x3p, two at a time (an
 * odd last one with a twin whose bytes go to the scratch after the ring, then in_c bytes of
 * in_zp for the padding). Returns 1 if done, 0 when the plan lacks what the path needs
 * (dw_pairs in slot 35, checked against the filter and bias; scratch; records with the zero
 * point folded in).
 */
static __attribute__((noinline)) int
qk__dw_dsp_pairs(const qk_ctx *ctx, const int32_t *args, const qk__conv_geom *g,
                 const int8_t *in, const int8_t *filter, const int32_t *bias, const int32_t *mult,
                 const int32_t *shift, int8_t *out) {
    const int32_t c_n = g->in_c;
    if (!(g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 &&
          c_n % 4 == 0 && c_n <= (1 << 20) && g->out_w <= (1 << 20) && g->in_zp >= -128 &&
          g->in_zp <= 127))
        return 0;
    const int32_t np = (g->out_w + 1) / 2;
    const int64_t ring = (int64_t)2 * c_n * np; /* words per widened row */
    const int32_t *w = qk__in(ctx, args[35], 28 * (int64_t)c_n);
    uint32_t *buf = qk__out(ctx, args[6], 12 * ring + 2 * (int64_t)c_n);
    qk__rq_set rs;
    if (!w || !buf || ((uintptr_t)w & 3) || ((uintptr_t)buf & 3) ||
        !qk__rq_set_init(&rs, ctx, args[7], bias, mult, shift, g) || rs.rec == NULL ||
        (rs.rec[4] & 256))
        return 0;
    /* w: per channel pair and row, (w0, w1) of both channels, (w1, w2) of both; the biases */
    uint32_t diff = 0;
    for (int32_t c = 0; c < c_n; c += 2, w += 14) {
        for (int32_t r = 0; r < 3; ++r) { /* each column's two channels: one halfword load */
            const int8_t *f = filter + 3 * r * c_n + c;
            uint16_t h0, h1, h2;
            __builtin_memcpy(&h0, f, 2);
            __builtin_memcpy(&h1, f + c_n, 2);
            __builtin_memcpy(&h2, f + 2 * c_n, 2);
            const uint32_t t01 = h0 | (uint32_t)h1 << 16, t12 = h1 | (uint32_t)h2 << 16;
            diff |= ((uint32_t)w[4 * r] ^ (uint32_t)__sxtb16((int8x4_t)t01)) |
                    ((uint32_t)w[4 * r + 1] ^ (uint32_t)qk_arm_sxtb16_hi(t01)) |
                    ((uint32_t)w[4 * r + 2] ^ (uint32_t)__sxtb16((int8x4_t)t12)) |
                    ((uint32_t)w[4 * r + 3] ^ (uint32_t)qk_arm_sxtb16_hi(t12));
        }
        diff |= (uint32_t)(w[12] ^ (bias != NULL ? bias[c] : 0)) |
                (uint32_t)(w[13] ^ (bias != NULL ? bias[c + 1] : 0));
    }
    if (diff != 0) return 0;
    w -= 7 * c_n;
    const qk_arm_dw3x3p_geom gm = {c_n, rs.rec, 0x01010101u * (uint8_t)g->act_min,
                                   0x01010101u * (uint8_t)g->act_max};
    const int clamp = g->act_min > -128 || g->act_max < 127;
    int8_t *twin = (int8_t *)(buf + 3 * ring), *zpc = twin + c_n;
    memset(zpc, (uint8_t)g->in_zp, (size_t)c_n);
    const int32_t rw = g->in_w * c_n;
    for (int32_t b = 0; b < g->batches; ++b) {
        const int8_t *img = in + (int64_t)b * g->in_h * rw;
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            /* input rows oy - ph + r in ring slot (oy + r) % 3: one new row per output row */
            for (int32_t r = oy == 0 ? 0 : 2; r < 3; ++r) {
                const int32_t iy = oy - g->ph + r;
                qk__dw_widen(g, iy >= 0 && iy < g->in_h ? img + (int64_t)iy * rw : NULL, zpc, np,
                             buf + (oy + r) % 3 * ring);
            }
            const int16_t *x0 = (const int16_t *)(buf + oy % 3 * ring);
            const int16_t *x1 = (const int16_t *)(buf + (oy + 1) % 3 * ring);
            const int16_t *x2 = (const int16_t *)(buf + (oy + 2) % 3 * ring);
            int8_t *o = out + ((int64_t)b * g->out_h + oy) * g->out_w * c_n;
            const int32_t full = g->out_w / 2;
            if (full > 0) qk_arm_dw3x3p(o, full, c_n, x0, x1, x2, w, &gm, clamp);
            if (full < np) { /* the last pixel, pair full's first */
                o += (int64_t)2 * full * c_n;
                const int64_t at = (int64_t)4 * full * c_n;
                qk_arm_dw3x3p(o, 1, (int32_t)(twin - o), x0 + at, x1 + at, x2 + at, w, &gm,
                              clamp);
            }
        }
    }
    return 1;
}
#endif

#if QK_SIMD_VNNI
/*
 * Host SIMD DEPTHWISE_CONV_2D, int8, depth multiplier 1: per 16-channel block (weights and
 * requant parameters stay in registers) and output pixel, acc += (x - in_zp) * w over the
 * in-image taps with vpdpwssd on int32 lanes: x - in_zp sign-extended (|.| <= 255), w from the
 * lowering's dw_w32 constant [kh * kw][ocp] with each weight as a zero-extended int16, so the
 * high halves multiply to 0 and each lane gets exactly (x - in_zp) * w. Interior pixels (every
 * tap in the image) sum x * w instead and take -in_zp * sum(w) in the bias: the same int32
 * value (wrapping adds). Same sums as TFLM; requant is qk__rq16.
 */
/* NP (1, 2 or 4) interior depthwise pixels px_step input bytes apart: sum x * w over all kh x kw
 * taps (x sign-extended: its high half is 0 or -1, w's is 0, so each lane gets exactly x * w),
 * then requantize with the in_zp-folded bias (rp) and store, pixels c_n bytes apart. */
QK__SIMD_INLINE void qk__dw_interior(const int8_t *x0, const int32_t *wr, int64_t ocp,
                                     int32_t kh, int32_t kw, int64_t row_step, int64_t col_step,
                                     int64_t px_step, __mmask16 m, const int NP,
                                     const qk__rq16_params *rp, __m512i ozp, __m512i lo,
                                     __m512i hi, int8_t *o, int32_t c_n) {
    __m512i acc[4];
    QK__UNROLL for (int p = 0; p < NP; ++p) acc[p] = _mm512_setzero_si512();
    for (int32_t ky = 0; ky < kh; ++ky, x0 += row_step) {
        const int8_t *x = x0;
        for (int32_t kx = 0; kx < kw; ++kx, x += col_step, wr += ocp) {
            const __m512i w = _mm512_loadu_si512(wr);
            QK__UNROLL for (int p = 0; p < NP; ++p)
                acc[p] = _mm512_dpwssd_epi32(
                    acc[p], _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x + p * px_step)), w);
        }
    }
    QK__UNROLL for (int p = 0; p < NP; ++p) qk__rq16_store(acc[p], rp, ozp, lo, hi, o + (int64_t)p * c_n);
}

static void qk__dw_vnni(const qk__conv_geom *g, const int8_t *in, const int32_t *w32, int64_t ocp,
                        const int32_t *bias, const int32_t *mult, const uint32_t *rq,
                        int8_t *out) {
    const int32_t c_n = g->in_c, taps = g->kh * g->kw;
    const __m512i zpv = _mm512_set1_epi32(g->in_zp), ozp = _mm512_set1_epi32(g->out_zp);
    const __m512i lo = _mm512_set1_epi32(g->act_min), hi = _mm512_set1_epi32(g->act_max);
    /* interior pixels (every tap inside the image): [ya, yb) x [xa, xb) */
    const int64_t ya0 = ((int64_t)g->ph + g->sh - 1) / g->sh, xa0 = ((int64_t)g->pw + g->sw - 1) / g->sw;
    const int64_t ytop = (int64_t)g->in_h - 1 - (int64_t)(g->kh - 1) * g->dh + g->ph;
    const int64_t xtop = (int64_t)g->in_w - 1 - (int64_t)(g->kw - 1) * g->dw + g->pw;
    const int64_t yb0 = ytop < 0 ? 0 : ytop / g->sh + 1, xb0 = xtop < 0 ? 0 : xtop / g->sw + 1;
    const int64_t row_step = (int64_t)g->dh * g->in_w * c_n, col_step = (int64_t)g->dw * c_n;
    for (int32_t c0 = 0; c0 < c_n; c0 += 16) {
        const int32_t n = c_n - c0 < 16 ? c_n - c0 : 16;
        const qk__rq16_params rp = qk__rq16_load(bias, mult, rq, rq + c_n, rq + 2 * (int64_t)c_n, c0, n);
        const __mmask16 m = rp.valid;
        /* interior pixels sum x * w over all taps and fold -in_zp * sum(w) into the bias */
        __m512i wsum = _mm512_setzero_si512();
        for (int32_t t = 0; t < taps; ++t) {
            const __m512i w = _mm512_loadu_si512(w32 + (int64_t)t * ocp + c0);
            wsum = _mm512_add_epi32(wsum, _mm512_srai_epi32(_mm512_slli_epi32(w, 16), 16));
        }
        qk__rq16_params rpi = rp; /* |wsum| <= 65536 * 128, |zp * wsum| < 2^31 */
        rpi.bias = _mm512_sub_epi32(rp.bias, _mm512_mullo_epi32(zpv, wsum));
        for (int32_t b = 0; b < g->batches; ++b)
            for (int32_t oy = 0; oy < g->out_h; ++oy) {
                const int32_t iy0 = oy * g->sh - g->ph;
                const int y_in = oy >= ya0 && oy < yb0;
                int8_t *o = out + (((int64_t)b * g->out_h + oy) * g->out_w) * c_n + c0;
                for (int32_t ox = 0; ox < g->out_w; ++ox, o += c_n) {
                    const int32_t ix0 = ox * g->sw - g->pw;
                    if (y_in && ox >= xa0 && ox < xb0) {
                        const int8_t *x0 = in + (((int64_t)b * g->in_h + iy0) * g->in_w + ix0) * c_n + c0;
                        if (ox + 4 <= xb0) { /* 4 pixels: independent sums, shared weights */
                            qk__dw_interior(x0, w32 + c0, ocp, g->kh, g->kw, row_step, col_step,
                                            (int64_t)g->sw * c_n, m, 4, &rpi, ozp, lo, hi, o, c_n);
                            ox += 3;
                            o += 3 * (int64_t)c_n;
                        } else if (ox + 2 <= xb0) {
                            qk__dw_interior(x0, w32 + c0, ocp, g->kh, g->kw, row_step, col_step,
                                            (int64_t)g->sw * c_n, m, 2, &rpi, ozp, lo, hi, o, c_n);
                            ox += 1;
                            o += c_n;
                        } else {
                            qk__dw_interior(x0, w32 + c0, ocp, g->kh, g->kw, row_step, col_step,
                                            (int64_t)g->sw * c_n, m, 1, &rpi, ozp, lo, hi, o, c_n);
                        }
                        continue;
                    }
                    __m512i acc = _mm512_setzero_si512();
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int32_t iy = iy0 + ky * g->dh;
                        if (iy < 0 || iy >= g->in_h) continue;
                        const int8_t *line = in + (((int64_t)b * g->in_h + iy) * g->in_w) * c_n + c0;
                        const int32_t *wr = w32 + (int64_t)ky * g->kw * ocp + c0;
                        for (int32_t kx = 0; kx < g->kw; ++kx) {
                            const int32_t ix = ix0 + kx * g->dw;
                            if (ix < 0 || ix >= g->in_w) continue;
                            const __m128i x8 = _mm_maskz_loadu_epi8(m, line + (int64_t)ix * c_n);
                            const __m512i x = _mm512_sub_epi32(_mm512_cvtepi8_epi32(x8), zpv);
                            acc = _mm512_dpwssd_epi32(acc, x, _mm512_loadu_si512(wr + (int64_t)kx * ocp));
                        }
                    }
                    qk__rq16_store(acc, &rp, ozp, lo, hi, o);
                }
            }
    }
}
#endif

/*
 * DEPTHWISE_CONV_2D, int8 x int8 (int32 bias) or int16 x int8 (int64 bias), NHWC;
 * filter [1, kh, kw, out_c], out_c = in_c * depth_multiplier, channel oc = c * dm + m.
 * args: in, filter, bias (-1: none), mult, shift, out, scratch (-1), rq (-1), ft (-1),
 *       in_dtype (QK_I8 | QK_I16), bias_dtype (QK_I32 for int8 | QK_I64 for int16),
 *       batches, in_h, in_w, in_c, kh, kw, depth_multiplier, out_h, out_w, out_c,
 *       stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp, out_zp, act_min, act_max
 *   mult/shift int32 [out_c]. scratch (-1: TFLM's plain loop nest) selects the int8 fast path:
 *   int32 acc [max(acc_n, tile)], acc_n = min(out_c, max(64, dm)), then with in_c == 1 an int16
 *   row [ks] (ks = kh * kw rounded up to 32), or on the tiled path (qk__dw_phase_bytes >= 0)
 *   the phase rows; rq uint32 [3 * out_c]; ft (fast path, in_c == 1 or tiled; else -1): the
 *   filter as int8 [out_c][ks], zero padded, or tiled, int8 [kh * kw][tile] with
 *   tile = QK__DW_TILE(in_c) / in_c * in_c and tap t's channels repeated along it.
 *   Optional trailing args (32 to 36 in all; int8 fast path, depth multiplier 1, constant
 *   filter), each ignored by builds without its path (-1: none):
 *   dw_w32, for the host SIMD path (qk__dw_vnni): the filter as int32 [kh * kw][ocp]
 *   (ocp = out_c rounded up to 16, zero padded), each weight w stored as w & 0xFFFF;
 *   dw_w16, for the Cortex-M DSP 3x3 path (qk__dw_dsp3x3; 3x3, dilation 1, in_c >= 4): the
 *   filter as int16 [in_c / 4][3][3][4], each group of four channels in the order 0, 2, 1, 3
 *   (in_c % 4 tail channels left out), 4-byte aligned;
 *   beff, for the Helium path (qk__dw_mve): int32 [out_c] = bias - in_zp * sum over the taps
 *   of w (wrapping), with scratch of at least in_c bytes;
 *   dw_fb16, for the Helium 16-channel kernel (qk_arm_dw16; in_c > 16): the filter's first
 *   in_c & ~15 channels as int8 [in_c / 16][kh * kw][16] (checked; else that kernel runs only
 *   for 16 channels);
 *   dw_pairs, for the Cortex-M DSP 3x3 stride-1 path (qk__dw_dsp_pairs; in_c % 4 == 0, constant
 *   bias): int32 [in_c / 2][14], per channel pair and filter row the int16 pairs (w0, w1) of
 *   both channels, then (w1, w2) of both, then the two biases (0 without one), with scratch of
 *   at least 24 in_c ((out_w + 1) / 2) + 2 in_c bytes.
 */
QK__EXEC(depthwise_conv2d) {
    if (n_args < 31 || n_args > 36) return QK_ERR_ARG;
    qk__conv_geom g;
    qk__geom_read(&g, args + 11);
    const int32_t in_dtype = args[9], bias_dtype = args[10];
    const int32_t dm = g.fic; /* the "fic" slot carries the depth multiplier */
    g.fic = 1;
    if (dm < 1 || !qk__geom_ok(&g)) return QK_ERR_ARG;
    if ((int64_t)g.in_c * dm != g.out_c) return QK_ERR_ARG;
    const int32_t es = in_dtype == QK_I8 ? 1 : (in_dtype == QK_I16 ? 2 : 0);
    if (es == 0) return QK_ERR_ARG;
    const int32_t in_dims[4] = {g.batches, g.in_h, g.in_w, g.in_c};
    const int32_t out_dims[4] = {g.batches, g.out_h, g.out_w, g.out_c};
    const int32_t f_dims[3] = {g.kh, g.kw, g.out_c};
    const int64_t n_in = qk__count(in_dims, 4), n_out = qk__count(out_dims, 4);
    const int64_t n_f = qk__count(f_dims, 3);
    if (n_in < 0 || n_out < 0 || n_f < 0) return QK_ERR_ARG;
    const void *in = qk__in(ctx, args[0], n_in * es);
    const int8_t *filter = qk__in(ctx, args[1], n_f);
    const int32_t *mult = qk__in(ctx, args[3], 4 * (int64_t)g.out_c);
    const int32_t *shift = qk__in(ctx, args[4], 4 * (int64_t)g.out_c);
    void *out = qk__out(ctx, args[5], n_out * es);
    if (!in || !filter || !mult || !shift || !out) return QK_ERR_ARG;
    const int32_t *bias32 = NULL;
    const int64_t *bias64 = NULL;
    if (es == 1) {
        if (args[2] >= 0) {
            if (bias_dtype != QK_I32) return QK_ERR_ARG;
            bias32 = qk__in(ctx, args[2], 4 * (int64_t)g.out_c);
            if (!bias32) return QK_ERR_ARG;
        }
        if (!qk__shifts_ok(mult, shift, g.out_c, 30)) return QK_ERR_ARG;
    } else {
        if (g.in_zp != 0 || g.out_zp != 0) return QK_ERR_ARG;
        if (args[2] >= 0) {
            if (bias_dtype != QK_I64) return QK_ERR_ARG;
            bias64 = qk__in(ctx, args[2], 8 * (int64_t)g.out_c);
            if (!bias64 || !qk__bias64_ok(bias64, g.out_c)) return QK_ERR_ARG;
        }
        if (!qk__shifts_ok(mult, shift, g.out_c, 14)) return QK_ERR_ARG;
    }
#if QK_SIMD_VNNI
    if (es == 1 && args[6] >= 0 && n_args >= 32 && args[31] >= 0 && dm == 1) {
        const int64_t ocp = ((int64_t)g.out_c + 15) / 16 * 16;
        const int32_t *w32 = qk__in(ctx, args[31], 4 * ocp * g.kh * g.kw);
        const uint32_t *rq = qk__in(ctx, args[7], 12 * (int64_t)g.out_c);
        if (!w32 || !rq || !qk__rq_ok(shift, rq, g.out_c)) return QK_ERR_ARG;
        qk__dw_vnni(&g, in, w32, ocp, bias32, mult, rq, out);
        return QK_OK;
    }
#endif
#if defined(QK_ARM_MVE)
    if (es == 1 && args[6] >= 0 && n_args >= 34 && args[33] >= 0 && dm == 1 &&
        g.kh * g.kw <= QK__DW_MVE_MAX_TAPS && g.in_zp >= -128 && g.in_zp <= 127) {
        const int32_t *beff = qk__in(ctx, args[33], 4 * (int64_t)g.out_c);
        const uint32_t *rq = qk__in(ctx, args[7], 12 * (int64_t)g.out_c);
        int8_t *zrow = qk__out(ctx, args[6], g.in_c);
        if (zrow != NULL) {
            if (!beff || !rq || !qk__rq_ok(shift, rq, g.out_c) ||
                !qk__dw_beff_ok(beff, bias32, filter, g.kh * g.kw, g.in_c, g.in_zp))
                return QK_ERR_ARG;
            /* slot 34: the filter in 16-channel blocks (from 32 channels on), checked */
            const int64_t fb_n = (int64_t)g.kh * g.kw * (g.in_c & ~15);
            const int8_t *fb = n_args >= 35 && args[34] >= 0 && g.in_c > 16
                                   ? qk__in(ctx, args[34], fb_n) : NULL;
            if (fb != NULL && !qk__dw_fb_ok(fb, filter, g.kh * g.kw, g.in_c)) fb = NULL;
            /* the strip in what the scratch has after zrow (its size: the plan's choice) */
            const int32_t strip_n = qk__dw_strip_n(&g, ctx->tensors[3 * args[6] + 2]);
            qk__dw_mve(&g, in, filter, fb, beff, mult, rq, out, zrow, zrow + g.in_c, strip_n);
            return QK_OK;
        }
    }
#endif
    if (es == 1 && args[6] >= 0) {
        const int32_t acc_n = g.out_c < (dm > QK__ACC_CHUNK ? dm : QK__ACC_CHUNK)
                                  ? g.out_c : (dm > QK__ACC_CHUNK ? dm : QK__ACC_CHUNK);
#if defined(QK_ARM_DSP)
        if (n_args >= 36 && args[35] >= 0 && dm == 1 &&
            qk__dw_dsp_pairs(ctx, args, &g, in, filter, bias32, mult, shift, out))
            return QK_OK;
        if (n_args >= 33 && args[32] >= 0) {
            const qk__conv_geom gc = g; /* (a copy: g's address escaping costs the loops below) */
            if (qk__dw_dsp3x3(ctx, args, &gc, dm, in, filter, bias32, mult, shift, out, acc_n))
                return QK_OK;
        }
#endif
        const int64_t phase_bytes = qk__dw_phase_bytes(&g, dm);
        const int tiled = phase_bytes >= 0;
        const int32_t tile = tiled ? QK__DW_TILE(g.in_c) / g.in_c * g.in_c : 0;
        const int32_t acc_words = tile > acc_n ? tile : acc_n;
        const int64_t ks = ((int64_t)g.kh * g.kw + 31) / 32 * 32;
        const int64_t row_bytes = g.in_c == 1 ? 2 * ks : 0;
        /* ft: the filter in the fast path's layout, checked against the filter (O(its size)) */
        const int32_t taps = g.kh * g.kw;
        const int8_t *ft = NULL;
        if (g.in_c == 1) { /* [out_c][ks], zero padded */
            ft = qk__in(ctx, args[8], ks * g.out_c);
            if (!ft) return QK_ERR_ARG;
            for (int32_t m = 0; m < g.out_c; ++m)
                for (int32_t i = 0; i < ks; ++i)
                    if (ft[m * ks + i] != (i < taps ? filter[(int64_t)i * g.out_c + m] : 0))
                        return QK_ERR_ARG;
        } else if (tiled) { /* [kh * kw][tile], each tap's channels repeated */
            ft = qk__in(ctx, args[8], (int64_t)taps * tile);
            if (!ft) return QK_ERR_ARG;
            for (int32_t t = 0; t < taps; ++t) /* tile is a whole number of in_c copies */
                for (int32_t j = 0; j < tile; j += g.in_c)
                    if (memcmp(ft + (int64_t)t * tile + j, filter + (int64_t)t * g.in_c,
                               (size_t)g.in_c) != 0)
                        return QK_ERR_ARG;
        }
        uint8_t *scratch = qk__out(ctx, args[6], 4 * (int64_t)acc_words + row_bytes
                                                     + (tiled ? phase_bytes : 0));
        qk__rq_set rs;
        if (!scratch || !qk__rq_set_init(&rs, ctx, args[7], bias32, mult, shift, &g))
            return QK_ERR_ARG;
        uint8_t *extra = scratch + 4 * (int64_t)acc_words;
        qk__dw_fast_i8(&g, dm, in, filter, &rs, out, (int32_t *)(void *)scratch,
                       acc_n, row_bytes ? (int16_t *)(void *)extra : NULL,
                       g.in_c == 1 ? ft : NULL, tiled ? ft : NULL,
                       tiled ? (int8_t *)extra : NULL);
        return QK_OK;
    }
    if (es == 1 && (dm == 1 || g.in_c == 1)) qk__dw_plain_i8(&g, in, filter, bias32, mult, shift, out);
    else qk__dw_ref(&g, dm, in, es, filter, bias32, bias64, mult, shift, out);
    return QK_OK;
}
