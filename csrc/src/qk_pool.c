/* Pooling and reductions: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN. */
#include "qk_internal.h"
#include "qk_arm.h"

/* Shared argument block of the two 2-D pools (NHWC, int8 or int16). */
typedef struct {
    int32_t dtype, batches, in_h, in_w, depth, out_h, out_w;
    int32_t filter_h, filter_w, stride_h, stride_w, pad_h, pad_w, act_min, act_max;
} qk__pool;

static qk_status pool_params(const int32_t *args, int32_t n_args, qk__pool *p, int32_t *elem) {
    if (n_args != 17) return QK_ERR_ARG;
    p->dtype = args[2];
    p->batches = args[3]; p->in_h = args[4]; p->in_w = args[5]; p->depth = args[6];
    p->out_h = args[7]; p->out_w = args[8];
    p->filter_h = args[9]; p->filter_w = args[10];
    p->stride_h = args[11]; p->stride_w = args[12];
    p->pad_h = args[13]; p->pad_w = args[14];
    p->act_min = args[15]; p->act_max = args[16];
    if (p->dtype != QK_I8 && p->dtype != QK_I16) return QK_ERR_ARG;
    *elem = qk__dtype_size(p->dtype);
    const int32_t lo = p->dtype == QK_I8 ? INT8_MIN : INT16_MIN;
    const int32_t hi = p->dtype == QK_I8 ? INT8_MAX : INT16_MAX;
    if (p->batches < 0 || p->in_h < 0 || p->in_w < 0 || p->depth < 0 || p->out_h < 0 ||
        p->out_w < 0 || p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1 ||
        p->stride_w < 1 || p->pad_h < 0 || p->pad_w < 0 || p->act_min > p->act_max ||
        p->act_min < lo || p->act_max > hi)
        return QK_ERR_ARG;
    /* window origins stay far from int32 overflow */
    if ((int64_t)p->out_h * p->stride_h > INT32_MAX / 2 ||
        (int64_t)p->out_w * p->stride_w > INT32_MAX / 2 || p->filter_h > INT32_MAX / 2 ||
        p->filter_w > INT32_MAX / 2)
        return QK_ERR_ARG;
    return QK_OK;
}

static inline int32_t load(const void *base, int32_t dtype, int64_t i) {
    return dtype == QK_I8 ? (int32_t)((const int8_t *)base)[i] : (int32_t)((const int16_t *)base)[i];
}

static inline void store(void *base, int32_t dtype, int64_t i, int32_t v) {
    if (dtype == QK_I8) ((int8_t *)base)[i] = (int8_t)v;
    else ((int16_t *)base)[i] = (int16_t)v;
}

/* An average pool window's sum over its count taps, rounded half away from zero (as TFLM). */
static inline int32_t avg_round(int32_t acc, int32_t count) {
    return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

#if defined(QK_ARM_MVE)
/* acc[0..4 NV) += the int8 values at t, t + step, .. (n of them), int32 lanes; NV (1..4)
 * vectors, the last under p (else unpredicated: gcc keeps an all-true predicate's VPSTs). */
static inline __attribute__((always_inline)) void
pool_sum16(const int8_t *t, int64_t step, int32_t n, const int NV, const int TAIL,
           mve_pred16_t p, int32x4_t *a) {
    for (int32_t i = 0; i < n; ++i, t += step)
        for (int v = 0; v < NV; ++v)
            a[v] = vaddq_s32(a[v], TAIL && v == NV - 1 ? vldrbq_z_s32(t + 4 * v, p)
                                                       : vldrbq_s32(t + 4 * v));
}

/* AVERAGE_POOL_2D, int8, on Helium: each window summed 16 channels at a time in int32 lanes,
 * then run_pool's rounding division and clamp per channel. */
static qk_status avg_pool_i8_mve(const qk__pool *p, const int8_t *in, int8_t *out) {
    int32_t acc[16];
    const int64_t row_step = (int64_t)p->in_w * p->depth;
    for (int32_t b = 0; b < p->batches; ++b)
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t fy0 = y0 < 0 ? -y0 : 0;
            const int32_t fy1 = p->filter_h < p->in_h - y0 ? p->filter_h : p->in_h - y0;
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fx1 = p->filter_w < p->in_w - x0 ? p->filter_w : p->in_w - x0;
                if (fy1 <= fy0 || fx1 <= fx0) return QK_ERR_ARG; /* as run_pool */
                const int32_t nx = fx1 - fx0, count = (fy1 - fy0) * nx;
                const int8_t *win =
                    in + (((int64_t)b * p->in_h + y0 + fy0) * p->in_w + x0 + fx0) * p->depth;
                int8_t *o = out + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->depth;
                for (int32_t c = 0; c < p->depth; c += 16) {
                    const int32_t n = p->depth - c < 16 ? p->depth - c : 16;
                    int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0),
                                      vdupq_n_s32(0)};
                    const mve_pred16_t pt = vctp32q((uint32_t)(n - (n - 1) / 4 * 4));
                    const int8_t *r = win + c;
                    for (int32_t fy = fy0; fy < fy1; ++fy, r += row_step) {
                        if (n == 16) pool_sum16(r, p->depth, nx, 4, 0, 0, a);
                        else if (n > 12) pool_sum16(r, p->depth, nx, 4, 1, pt, a);
                        else if (n > 8) pool_sum16(r, p->depth, nx, 3, 1, pt, a);
                        else if (n > 4) pool_sum16(r, p->depth, nx, 2, 1, pt, a);
                        else pool_sum16(r, p->depth, nx, 1, 1, pt, a);
                    }
                    for (int v = 0; v < 4; ++v) vst1q_s32(acc + 4 * v, a[v]);
                    for (int32_t j = 0; j < n; ++j)
                        o[c + j] = (int8_t)qk__clamp(avg_round(acc[j], count), p->act_min,
                                                     p->act_max);
                }
            }
        }
    return QK_OK;
}
#endif

#if defined(QK_ARM_DSP)
/* Windows of at most this many taps sum int8 in int16 lanes: |sum| <= 256 * 128 = 2^15. */
#define QK__AVG_DSP_TAPS 256

/* One int8 average pool output pixel, channels [0, depth & ~3): x the window's first in-image
 * tap, ny x nx taps (count of them), rows rs bytes apart. Four channels at a time: per tap one
 * LDR and two SXTAB16, which add channels (0, 2) and (1, 3) into the int16 lanes of two sums.
 * Returns the channels done. */
static int32_t avg_pool_px_dsp(const int8_t *x, int32_t rs, int32_t depth, int32_t ny,
                               int32_t nx, int32_t count, int32_t act_min, int32_t act_max,
                               int8_t *out) {
    const int32_t c4 = depth & ~3;
    for (int32_t c = 0; c < c4; c += 4) {
        uint32_t s02 = 0, s13 = 0;
        for (int32_t fy = 0; fy < ny; ++fy) {
            const int8_t *px = x + (int64_t)fy * rs + c;
            for (int32_t fx = 0; fx < nx; ++fx, px += depth) {
                const uint32_t v = qk_arm_ld32(px);
                s02 = (uint32_t)__sxtab16((int16x2_t)s02, (int8x4_t)v);
                s13 = qk_arm_sxtab16_hi(s13, v);
            }
        }
        const int32_t sum[4] = {(int16_t)s02, (int16_t)s13, (int16_t)(s02 >> 16),
                                (int16_t)(s13 >> 16)};
        for (int j = 0; j < 4; ++j)
            out[c + j] = (int8_t)qk__clamp(avg_round(sum[j], count), act_min, act_max);
    }
    return c4;
}
#endif

/* Runs one pool; is_max selects MAX_POOL_2D, otherwise AVERAGE_POOL_2D. */
static qk_status run_pool(const qk_ctx *ctx, const int32_t *args, int32_t n_args, int is_max) {
    qk__pool p = {0}; /* fully set by pool_params; zeroed so -O1 sees it initialized */
    int32_t elem = 0;
    qk_status st = pool_params(args, n_args, &p, &elem);
    if (st != QK_OK) return st;
    const int32_t in_dims[4] = {p.batches, p.in_h, p.in_w, p.depth};
    const int32_t out_dims[4] = {p.batches, p.out_h, p.out_w, p.depth};
    const int64_t in_count = qk__count(in_dims, 4), out_count = qk__count(out_dims, 4);
    if (in_count < 0 || out_count < 0) return QK_ERR_ARG;
    const void *in = qk__in(ctx, args[0], in_count * elem);
    void *out = qk__out(ctx, args[1], out_count * elem);
    if (!in || !out) return QK_ERR_ARG;
    /* an average over a window with no in-bounds tap is an error in TFLM too */
    if (!is_max && (int64_t)(p.filter_h) * p.filter_w > (INT32_MAX / 32768)) return QK_ERR_ARG;
#if defined(QK_ARM_MVE)
    if (!is_max && p.dtype == QK_I8) return avg_pool_i8_mve(&p, in, out);
#endif
    for (int32_t b = 0; b < p.batches; ++b) {
        for (int32_t oy = 0; oy < p.out_h; ++oy) {
            const int32_t y0 = oy * p.stride_h - p.pad_h;
            const int32_t fy0 = y0 < 0 ? -y0 : 0;
            const int32_t fy1 = p.filter_h < p.in_h - y0 ? p.filter_h : p.in_h - y0;
            for (int32_t ox = 0; ox < p.out_w; ++ox) {
                const int32_t x0 = ox * p.stride_w - p.pad_w;
                const int32_t fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fx1 = p.filter_w < p.in_w - x0 ? p.filter_w : p.in_w - x0;
                const int32_t count = (fy1 > fy0 && fx1 > fx0) ? (fy1 - fy0) * (fx1 - fx0) : 0;
                if (!is_max && count == 0) return QK_ERR_ARG;
                const int64_t obase = (((int64_t)b * p.out_h + oy) * p.out_w + ox) * p.depth;
                int32_t c = 0;
#if defined(QK_ARM_DSP)
                if (!is_max && p.dtype == QK_I8 && count <= QK__AVG_DSP_TAPS)
                    c = avg_pool_px_dsp((const int8_t *)in + (((int64_t)b * p.in_h + y0 + fy0) *
                                                                  p.in_w + x0 + fx0) * p.depth,
                                        p.in_w * p.depth, p.depth, fy1 - fy0, fx1 - fx0, count,
                                        p.act_min, p.act_max, (int8_t *)out + obase);
#endif
                for (; c < p.depth; ++c) {
                    /* avg: |acc| <= count * 32768 < 2^31 (count bounded above) */
                    int32_t acc = is_max ? (p.dtype == QK_I8 ? INT8_MIN : INT16_MIN) : 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int64_t row = ((int64_t)b * p.in_h + (y0 + fy)) * p.in_w;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t v = load(in, p.dtype, (row + x0 + fx) * p.depth + c);
                            if (is_max) acc = v > acc ? v : acc;
                            else acc += v;
                        }
                    }
                    if (!is_max) acc = avg_round(acc, count);
                    store(out, p.dtype, obase + c, qk__clamp(acc, p.act_min, p.act_max));
                }
            }
        }
    }
    return QK_OK;
}

/*
 * AVERAGE_POOL_2D, int8 or int16 NHWC; input and output share scale and zero point.
 * Averages only the in-bounds taps of each window (SAME padding), rounding half away from zero.
 * args: in, out, dtype, batches, in_h, in_w, depth, out_h, out_w,
 *       filter_h, filter_w, stride_h, stride_w, pad_h, pad_w, act_min, act_max
 */
QK__EXEC(avg_pool) { return run_pool(ctx, args, n_args, 0); }

/*
 * MAX_POOL_2D, int8 or int16 NHWC; same args as avg_pool.
 */
QK__EXEC(max_pool) { return run_pool(ctx, args, n_args, 1); }

#define QK__MEAN_MAX_DIMS 6

/*
 * MEAN over any set of axes, int8 or int16, as TFLM's QuantizedMeanOrSum (reference/reduce.h),
 * which TFLM uses for every quantized MEAN: sum into int32 per output element, then
 * requant(sum - in_zp * n, mult, shift) + out_zp, clamped; mult/shift already include the 1/n
 * factor (folded in by lowering as TFLM does).
 * args: in, out, scratch (int32 [out_count]), dtype, ndims, dims[6], reduce_mask,
 *       in_zp, out_zp, mult, shift
 *   dims beyond ndims are ignored; bit d of reduce_mask set = axis d is reduced.
 */
QK__EXEC(mean) {
    if (n_args != 16) return QK_ERR_ARG;
    const int32_t dtype = args[3], ndims = args[4];
    const int32_t *dims = args + 5;
    const int32_t mask = args[11], in_zp = args[12], out_zp = args[13];
    const int32_t mult = args[14], shift = args[15];
    if (dtype != QK_I8 && dtype != QK_I16) return QK_ERR_ARG;
    if (ndims < 0 || ndims > QK__MEAN_MAX_DIMS) return QK_ERR_ARG;
    if (shift < -31 || shift > 30) return QK_ERR_ARG;
    const int64_t in_count = qk__count(dims, ndims);
    if (in_count < 0) return QK_ERR_ARG;
    int64_t out_count = 1, n = 1;
    int64_t ostride[QK__MEAN_MAX_DIMS];
    for (int32_t d = ndims - 1; d >= 0; --d) {
        if (mask & (1 << d)) {
            ostride[d] = 0;
            n *= dims[d];
        } else {
            ostride[d] = out_count;
            out_count *= dims[d];
        }
    }
    if (n == 0 || n > (INT32_MAX / 32768)) return QK_ERR_ARG; /* keeps |sum| < 2^31 */
    const int32_t elem = qk__dtype_size(dtype);
    const void *in = qk__in(ctx, args[0], in_count * elem);
    void *out = qk__out(ctx, args[1], out_count * elem);
    int32_t *sum = qk__out(ctx, args[2], out_count * 4);
    if (!in || !out || !sum) return QK_ERR_ARG;
    for (int64_t i = 0; i < out_count; ++i) sum[i] = 0;
    int32_t idx[QK__MEAN_MAX_DIMS] = {0};
    int64_t o = 0;
    for (int64_t i = 0; i < in_count; ++i) {
        sum[o] += load(in, dtype, i);
        for (int32_t d = ndims - 1; d >= 0; --d) { /* odometer step */
            o += ostride[d];
            if (++idx[d] < dims[d]) break;
            o -= ostride[d] * dims[d];
            idx[d] = 0;
        }
    }
    const int32_t lo = dtype == QK_I8 ? INT8_MIN : INT16_MIN;
    const int32_t hi = dtype == QK_I8 ? INT8_MAX : INT16_MAX;
    for (int64_t i = 0; i < out_count; ++i) {
        /* wraps like TFLM's int32 cast; |in_zp * n| < 2^31 by the bound on n */
        const int32_t shifted = (int32_t)(uint32_t)((int64_t)sum[i] - (int64_t)in_zp * n);
        store(out, dtype, i, qk__clamp(qk__requant(shifted, mult, shift) + out_zp, lo, hi));
    }
    return QK_OK;
}
