/* Convolutions: CONV_2D, DEPTHWISE_CONV_2D (TRANSPOSE_CONV lives in qk_transpose_conv.c). */
#include "qk_internal.h"

/*
 * Semantics follow TFLM's reference_integer_ops ConvPerChannel / DepthwiseConvPerChannel:
 *   acc = sum over in-image taps of w * (x - in_zp)   (padded taps contribute nothing)
 *   acc += bias; out = clamp(requant(acc) + out_zp, act_min, act_max)
 * int8 x int8: int32 accumulator, int32 bias, double-rounding requant (qk__requant).
 * int16 x int8 ("16x8"): zero points are 0; with an int64 bias the accumulator is int64 and
 * requant is the int64 MultiplyByQuantizedMultiplier (qk__requant64); so it is without a bias;
 * CONV_2D with an int32 bias accumulates in int32 (wrapping) and requantizes with qk__requant.
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

/* Check per-channel shifts: [-31, 30] for qk__requant, [-31, 14] for qk__requant64. */
static int qk__shifts_ok(const int32_t *shift, int32_t n, int32_t max_shift) {
    for (int32_t i = 0; i < n; ++i)
        if (shift[i] < -31 || shift[i] > max_shift) return 0;
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

/* ---------------------------------------------------------------------------------------
 * CONV_2D
 * ------------------------------------------------------------------------------------- */

/* Reference int8 conv (any groups): literally TFLM's loop nest. */
static void qk__conv_ref_i8(const qk__conv_geom *g, const int8_t *in, const int8_t *filter,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *out) {
    const int32_t groups = g->in_c / g->fic, fpg = g->out_c / groups;
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy)
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                int8_t *o = out + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (int32_t oc = 0; oc < g->out_c; ++oc) {
                    const int32_t grp = oc / fpg;
                    int32_t acc = 0; /* |acc| <= 65536 * 128 * 255 < 2^31 (depth checked) */
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                        if (iy < 0 || iy >= g->in_h) continue;
                        for (int32_t kx = 0; kx < g->kw; ++kx) {
                            const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                            if (ix < 0 || ix >= g->in_w) continue;
                            const int8_t *x = in + (((int64_t)b * g->in_h + iy) * g->in_w + ix) * g->in_c
                                              + (int64_t)grp * g->fic;
                            const int8_t *w = filter + (((int64_t)oc * g->kh + ky) * g->kw + kx) * g->fic;
                            for (int32_t c = 0; c < g->fic; ++c)
                                acc += (int32_t)w[c] * ((int32_t)x[c] - g->in_zp);
                        }
                    }
                    if (bias != NULL) acc = qk__wrap_add(acc, bias[oc]);
                    acc = qk__requant(acc, mult[oc], shift[oc]) + g->out_zp;
                    o[oc] = (int8_t)qk__clamp(acc, g->act_min, g->act_max);
                }
            }
}

/* Reference int16 x int8 conv: int64 accumulation, then either int64 requant (wide: int64 or
 * no bias) or int32 wrap + int32 requant (int32 bias). */
static void qk__conv_ref_i16(const qk__conv_geom *g, const int16_t *in, const int8_t *filter,
                             const int32_t *bias32, const int64_t *bias64, int wide,
                             const int32_t *mult, const int32_t *shift, int16_t *out) {
    const int32_t groups = g->in_c / g->fic, fpg = g->out_c / groups;
    for (int32_t b = 0; b < g->batches; ++b)
        for (int32_t oy = 0; oy < g->out_h; ++oy)
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                int16_t *o = out + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c;
                for (int32_t oc = 0; oc < g->out_c; ++oc) {
                    const int32_t grp = oc / fpg;
                    int64_t acc = 0; /* |acc| <= 65536 * 128 * 32768 = 2^38 */
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                        if (iy < 0 || iy >= g->in_h) continue;
                        for (int32_t kx = 0; kx < g->kw; ++kx) {
                            const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                            if (ix < 0 || ix >= g->in_w) continue;
                            const int16_t *x = in + (((int64_t)b * g->in_h + iy) * g->in_w + ix) * g->in_c
                                               + (int64_t)grp * g->fic;
                            const int8_t *w = filter + (((int64_t)oc * g->kh + ky) * g->kw + kx) * g->fic;
                            for (int32_t c = 0; c < g->fic; ++c)
                                acc += (int64_t)w[c] * x[c];
                        }
                    }
                    int32_t r;
                    if (wide) {
                        if (bias64 != NULL) acc += bias64[oc];
                        r = qk__requant64(acc, mult[oc], shift[oc]);
                    } else {
                        int32_t a32 = (int32_t)(uint32_t)(uint64_t)acc; /* TFLM's int32 acc */
                        if (bias32 != NULL) a32 = qk__wrap_add(a32, bias32[oc]);
                        r = qk__requant(a32, mult[oc], shift[oc]);
                    }
                    o[oc] = (int16_t)qk__clamp(r, g->act_min, g->act_max);
                }
            }
}

/*
 * CONV_2D, int8 x int8 (int32 bias) or int16 x int8 (int64 or int32 bias), NHWC, per-channel
 * (or broadcast per-tensor) requant; filter [out_c, kh, kw, fic], groups = in_c / fic.
 * args: in, filter, bias (-1: none), mult, shift, out, wsum (-1), scratch (-1),
 *       in_dtype (QK_I8 | QK_I16), bias_dtype (QK_I32 | QK_I64; ignored without bias),
 *       batches, in_h, in_w, in_c, kh, kw, fic, out_h, out_w, out_c,
 *       stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp, out_zp, act_min, act_max
 *   mult/shift int32 [out_c]; wsum int32 [out_c] = sum of each output channel's weights
 *   (int8 fast path only); scratch: int8 fast-path workspace (see qk__conv_scratch_bytes).
 */
QK__EXEC(conv2d) {
    if (n_args != 30) return QK_ERR_ARG;
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
    if (g.out_c == 0) return QK_OK;

    if (in_dtype == QK_I8) {
        const int32_t *bias = NULL;
        if (args[2] >= 0) {
            if (bias_dtype != QK_I32) return QK_ERR_ARG;
            bias = qk__in(ctx, args[2], 4 * (int64_t)g.out_c);
            if (!bias) return QK_ERR_ARG;
        }
        if (!qk__shifts_ok(shift, g.out_c, 30)) return QK_ERR_ARG;
        qk__conv_ref_i8(&g, in, filter, bias, mult, shift, out);
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
    if (!qk__shifts_ok(shift, g.out_c, wide ? 14 : 30)) return QK_ERR_ARG;
    qk__conv_ref_i16(&g, in, filter, bias32, bias64, wide, mult, shift, out);
    return QK_OK;
}

/* ---------------------------------------------------------------------------------------
 * DEPTHWISE_CONV_2D
 * ------------------------------------------------------------------------------------- */

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
 * DEPTHWISE_CONV_2D, int8 x int8 (int32 bias) or int16 x int8 (int64 bias), NHWC;
 * filter [1, kh, kw, out_c], out_c = in_c * depth_multiplier, channel oc = c * dm + m.
 * args: in, filter, bias (-1: none), mult, shift, out, scratch (-1),
 *       in_dtype (QK_I8 | QK_I16), bias_dtype (QK_I32 for int8 | QK_I64 for int16),
 *       batches, in_h, in_w, in_c, kh, kw, depth_multiplier, out_h, out_w, out_c,
 *       stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp, out_zp, act_min, act_max
 *   mult/shift int32 [out_c]; scratch: int32 [out_c] accumulators for the int8 fast path.
 */
QK__EXEC(depthwise_conv2d) {
    if (n_args != 29) return QK_ERR_ARG;
    qk__conv_geom g;
    qk__geom_read(&g, args + 9);
    const int32_t in_dtype = args[7], bias_dtype = args[8];
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
        if (!qk__shifts_ok(shift, g.out_c, 30)) return QK_ERR_ARG;
    } else {
        if (g.in_zp != 0 || g.out_zp != 0) return QK_ERR_ARG;
        if (args[2] >= 0) {
            if (bias_dtype != QK_I64) return QK_ERR_ARG;
            bias64 = qk__in(ctx, args[2], 8 * (int64_t)g.out_c);
            if (!bias64 || !qk__bias64_ok(bias64, g.out_c)) return QK_ERR_ARG;
        }
        if (!qk__shifts_ok(shift, g.out_c, 14)) return QK_ERR_ARG;
    }
    qk__dw_ref(&g, dm, in, es, filter, bias32, bias64, mult, shift, out);
    return QK_OK;
}
