/* Activations: SOFTMAX, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU family. */
#include "qk_internal.h"

/*
 * gemmlowp-style fixed-point helpers (int32 raw values; FixedPoint<int32, IB> has 31 - IB
 * fractional bits). Additions wrap like the two's-complement hardware TFLite relies on.
 */
static inline int32_t fx_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t fx_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* SaturatingRoundingMultiplyByPOT with a positive exponent: saturating left shift. */
static inline int32_t fx_sat_shl(int32_t x, int32_t exponent) {
    const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

/* RoundingHalfSum: (a + b) / 2 rounded half away from zero. */
static inline int32_t fx_half_sum(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + b;
    return (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t fx_exp_quarter(int32_t a) {
    const int32_t constant_term = 1895147668; /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = fx_add(a, 1 << 28); /* a + 1/8 */
    const int32_t x2 = qk__srdhm(x, x), x3 = qk__srdhm(x2, x), x4 = qk__srdhm(x2, x2);
    const int32_t x4_over_4 = qk__rdbpot(x4, 2);
    const int32_t poly = qk__rdbpot(fx_add(qk__srdhm(fx_add(x4_over_4, x3), one_third), x2), 1);
    return fx_add(constant_term, qk__srdhm(constant_term, fx_add(x, poly)));
}

/* exp(a) for a <= 0 given with `ib` integer bits (0 < ib < 31); result Q0.31. */
static int32_t fx_exp_neg(int32_t a, int32_t ib) {
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242}; /* exp(-2^e), e = -2..4 */
    const int32_t frac = 31 - ib;
    const int32_t quarter = 1 << (frac - 2);
    const int32_t a_mod = fx_sub(a & (quarter - 1), quarter);
    int32_t result = fx_exp_quarter(fx_sat_shl(a_mod, ib));
    const int32_t remainder = fx_sub(a_mod, a);
    for (int32_t e = -2; e <= 4; ++e) {
        if (ib > e && (remainder & (int32_t)(1u << (frac + e))))
            result = qk__srdhm(result, barrel[e + 2]);
    }
    if (ib > 5 && a < -(int32_t)(1 << (36 - ib))) result = 0;
    return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson reciprocal step shared by the two rational helpers below (result Q2.29). */
static int32_t fx_newton_half_recip(int32_t half_denominator) {
    int32_t x = fx_add(1515870810, qk__srdhm(half_denominator, -1010580540)); /* 48/17 - 32/17 d */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = fx_sub(1 << 29, qk__srdhm(half_denominator, x));
        x = fx_add(x, fx_sat_shl(qk__srdhm(x, one_minus), 2));
    }
    return x;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31. */
static int32_t fx_one_over_one_plus(int32_t a) {
    return fx_sat_shl(fx_newton_half_recip(fx_half_sum(a, INT32_MAX)), 1);
}

/* (1 - a) / (1 + a) for a in [0, 1), Q0.31. */
static int32_t fx_one_minus_over_one_plus(int32_t a) {
    return fx_sat_shl(fx_sub(fx_newton_half_recip(fx_half_sum(a, INT32_MAX)), 1 << 29), 2);
}

/* logistic(a), a with `ib` integer bits; result Q0.31. */
static int32_t fx_logistic(int32_t a, int32_t ib) {
    const int32_t abs_a = a > 0 ? a : fx_sub(0, a);
    const int32_t pos = fx_one_over_one_plus(fx_exp_neg(fx_sub(0, abs_a), ib));
    if (a == 0) return 1 << 30;
    return a > 0 ? pos : fx_sub(INT32_MAX, pos);
}

/* tanh(a), a with `ib` integer bits; result Q0.31. */
static int32_t fx_tanh(int32_t a, int32_t ib) {
    const int32_t n = a < 0 ? a : fx_sub(0, a);
    const int32_t t = fx_one_minus_over_one_plus(fx_exp_neg(n, ib + 1));
    if (a == 0) return 0;
    return a < 0 ? fx_sub(0, t) : t;
}

static inline int32_t clz32(uint32_t x) {
    int32_t n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* TFLite's int16 LUT lookup with 7-bit linear interpolation; lut has 513 entries. */
static inline int16_t lut_lookup16(int16_t value, const int16_t *lut) {
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7f;
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    const int32_t delta = (slope * offset + 64) >> 7;
    return (int16_t)(base + delta);
}

static inline int32_t load(const void *base, int32_t dtype, int64_t i) {
    return dtype == QK_I8 ? (int32_t)((const int8_t *)base)[i] : (int32_t)((const int16_t *)base)[i];
}

static inline void store(void *base, int32_t dtype, int64_t i, int32_t v) {
    if (dtype == QK_I8) ((int8_t *)base)[i] = (int8_t)v;
    else ((int16_t *)base)[i] = (int16_t)v;
}

static inline int32_t dtype_min(int32_t dtype) { return dtype == QK_I8 ? INT8_MIN : INT16_MIN; }
static inline int32_t dtype_max(int32_t dtype) { return dtype == QK_I8 ? INT8_MAX : INT16_MAX; }

/*
 * SOFTMAX over the last axis (TFLM reference_ops::Softmax / SoftmaxInt16).
 * int8 -> int8 or int16: gemmlowp exp with input multiplier/left shift and diff_min cutoff.
 * int16 -> int16: exp and 1/(1+x) LUTs (513 int16 each) built by lowering as TFLM's Prepare does.
 * args: in, out, in_dtype, out_dtype, outer, depth, mult, left_shift, diff_min,
 *       exp_lut (-1 unless int16 in), recip_lut (-1 unless int16 in)
 */
QK__EXEC(softmax) {
    if (n_args != 11) return QK_ERR_ARG;
    const int32_t in_dt = args[2], out_dt = args[3], outer = args[4], depth = args[5];
    const int32_t mult = args[6], shift = args[7], diff_min = args[8];
    if (outer < 0 || depth < 1 || (int64_t)outer * depth > INT32_MAX) return QK_ERR_ARG;
    if (!((in_dt == QK_I8 && (out_dt == QK_I8 || out_dt == QK_I16)) ||
          (in_dt == QK_I16 && out_dt == QK_I16)))
        return QK_ERR_ARG;
    const int64_t count = (int64_t)outer * depth;
    const void *in = qk__in(ctx, args[0], count * qk__dtype_size(in_dt));
    void *out = qk__out(ctx, args[1], count * qk__dtype_size(out_dt));
    if (!in || !out) return QK_ERR_ARG;
    if (in_dt == QK_I16) {
        const int16_t *exp_lut = qk__in(ctx, args[9], 513 * 2);
        const int16_t *recip_lut = qk__in(ctx, args[10], 513 * 2);
        if (!exp_lut || !recip_lut || shift < -31 || shift > 30) return QK_ERR_ARG;
        const int16_t *x = in;
        int16_t *y = out;
        for (int64_t i = 0; i < outer; ++i) {
            const int16_t *row = x + i * depth;
            int16_t *orow = y + i * depth;
            int32_t max = INT16_MIN;
            for (int32_t c = 0; c < depth; ++c) max = row[c] > max ? row[c] : max;
            uint32_t sum = 0; /* TFLM's int32 sum of Q0.15 exps; wraps only past 65536 columns */
            for (int32_t c = 0; c < depth; ++c) {
                const int32_t scaled = qk__requant(row[c] - max, mult, shift);
                const int16_t sym = (int16_t)qk__clamp(scaled + 32767, INT16_MIN, INT16_MAX);
                orow[c] = lut_lookup16(sym, exp_lut);
                sum += (uint32_t)(int32_t)orow[c];
            }
            const int32_t headroom_plus_one = clz32(sum);
            if (headroom_plus_one < 1) return QK_ERR_ARG;
            const int32_t shifted_sum =
                (int32_t)((((int64_t)(int32_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
            const int32_t sym_sum = shifted_sum - ((1 << 15) + (1 << 16));
            const int16_t recip =
                lut_lookup16((int16_t)qk__clamp(sym_sum, INT16_MIN, INT16_MAX), recip_lut);
            const int32_t right = 31 - headroom_plus_one;
            if (right < 1) return QK_ERR_ARG;
            const int64_t round = (int64_t)1 << (right - 1);
            for (int32_t c = 0; c < depth; ++c) {
                const int32_t r = (int32_t)(((int64_t)orow[c] * recip + round) >> right);
                orow[c] = (int16_t)qk__clamp(r, 0, INT16_MAX);
            }
        }
        return QK_OK;
    }
    if (shift < 0 || shift > 31 || diff_min > 0) return QK_ERR_ARG;
    const int8_t *x = in;
    const int32_t out_min = dtype_min(out_dt), out_max = dtype_max(out_dt);
    const int32_t out_bits = out_dt == QK_I8 ? 8 : 16;
    for (int64_t i = 0; i < outer; ++i) {
        const int8_t *row = x + i * depth;
        int32_t max = INT8_MIN;
        for (int32_t c = 0; c < depth; ++c) max = row[c] > max ? row[c] : max;
        int32_t sum = 0; /* Q12.19; each term <= 2^19, so depth < 4096 cannot wrap */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = row[c] - max;
            if (diff >= diff_min) {
                /* |diff| * 2^shift < 2^31 by the choice of diff_min (CalculateInputRadius) */
                const int32_t scaled = qk__srdhm((int32_t)((int64_t)diff * ((int64_t)1 << shift)), mult);
                sum = fx_add(sum, qk__rdbpot(fx_exp_neg(scaled, 5), 12));
            }
        }
        const int32_t headroom_plus_one = clz32((uint32_t)sum);
        const int32_t bits_over_unit = 12 - headroom_plus_one;
        const int32_t shifted_minus_one =
            (int32_t)(((uint32_t)sum << headroom_plus_one) - (1u << 31));
        const int32_t scale = fx_one_over_one_plus(shifted_minus_one);
        const int32_t exponent = bits_over_unit + 31 - out_bits;
        if (exponent < 0 || exponent > 31) return QK_ERR_ARG;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = row[c] - max;
            int32_t v = out_min;
            if (diff >= diff_min) {
                const int32_t scaled = qk__srdhm((int32_t)((int64_t)diff * ((int64_t)1 << shift)), mult);
                const int32_t e = fx_exp_neg(scaled, 5);
                v = qk__clamp(qk__rdbpot(qk__srdhm(scale, e), exponent) + out_min, out_min, out_max);
            }
            store(out, out_dt, i * depth + c, v);
        }
    }
    return QK_OK;
}

/* int16 LOGISTIC/TANH through TFLM's 256-entry sigmoid table (sigmoid(i/24) in Q0.16). */
static void sigmoid_lut16(const int16_t *x, int16_t *y, int64_t count, int32_t mult, int32_t shift,
                          const uint16_t *table, int is_tanh) {
    const int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
    for (int64_t i = 0; i < count; ++i) {
        /* |x * mult| <= 32768 * 32767 < 2^31 (mult checked by the caller) */
        const int32_t v = (x[i] * mult + round) >> shift;
        const uint32_t a = (uint32_t)(v < 0 ? -v : v);
        int32_t result;
        if (!is_tanh) {
            const uint32_t uh = a >> 9;
            uint32_t r;
            if (uh >= 255) {
                r = 0x7FFFu << 10;
            } else {
                const uint32_t ua = table[uh], ub = table[uh + 1];
                r = (ua << 9) + (a & 0x1ff) * (ub - ua);
            }
            r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
            result = (int32_t)(r >> 10);
        } else {
            const uint32_t uh = a >> 8;
            int32_t r;
            if (uh >= 255) {
                r = 0xFFFF << 8;
            } else {
                const uint32_t ua = table[uh], ub = table[uh + 1];
                r = (int32_t)((ua << 8) + (a & 0xff) * (ub - ua));
            }
            r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
            result = r >> 8;
        }
        y[i] = (int16_t)result;
    }
}

/* int8 LOGISTIC/TANH: gemmlowp fixed point on a Q4.27 input. */
static void sigmoid_fx8(const int8_t *x, int8_t *y, int64_t count, int32_t zp, int32_t radius,
                        int32_t mult, int32_t shift, int is_tanh) {
    for (int64_t i = 0; i < count; ++i) {
        const int32_t v = x[i] - zp;
        int32_t r;
        if (v <= -radius) {
            r = INT8_MIN;
        } else if (v >= radius) {
            r = INT8_MAX;
        } else {
            const int32_t q4 = qk__requant(v, mult, shift);
            if (is_tanh)
                r = qk__clamp(qk__rdbpot(fx_tanh(q4, 4), 24), INT8_MIN, INT8_MAX);
            else
                r = qk__clamp(qk__rdbpot(fx_logistic(q4, 4), 23) - 128, INT8_MIN, INT8_MAX);
        }
        y[i] = (int8_t)r;
    }
}

static qk_status run_sigmoid(const qk_ctx *ctx, const int32_t *args, int32_t n_args, int is_tanh) {
    if (n_args != 9) return QK_ERR_ARG;
    const int32_t dtype = args[2], count = args[3], zp = args[4], radius = args[5];
    const int32_t mult = args[6], shift = args[7];
    if (count < 0 || (dtype != QK_I8 && dtype != QK_I16)) return QK_ERR_ARG;
    const int32_t elem = qk__dtype_size(dtype);
    const void *in = qk__in(ctx, args[0], (int64_t)count * elem);
    void *out = qk__out(ctx, args[1], (int64_t)count * elem);
    if (!in || !out) return QK_ERR_ARG;
    if (dtype == QK_I8) {
        /* shifts up to 31 only reach qk__requant when radius <= 1, i.e. with v == 0 */
        if (shift < -31 || shift > 31 || radius < 0) return QK_ERR_ARG;
        sigmoid_fx8(in, out, count, zp, radius, mult, shift, is_tanh);
        return QK_OK;
    }
    const uint16_t *table = qk__in(ctx, args[8], 256 * 2);
    if (!table || mult < 0 || mult > 32767 || shift < 0 || shift > 31) return QK_ERR_ARG;
    sigmoid_lut16(in, out, count, mult, shift, table, is_tanh);
    return QK_OK;
}

/*
 * LOGISTIC. int8: gemmlowp logistic, output zero point -128, scale 1/256.
 * int16: TFLM's sigmoid-table interpolation (zero points 0, output scale 2^-15).
 * args: in, out, dtype, count, in_zp, radius, mult, shift, table (uint16 [256], int16 only, else -1)
 *   int16: mult/shift are TFLM's input_multiplier/input_left_shift after its power-of-two fixup.
 */
QK__EXEC(logistic) { return run_sigmoid(ctx, args, n_args, 0); }

/*
 * TANH. int8: gemmlowp tanh, result written at scale 1/128 without an output zero point (as TFLM).
 * int16: sigmoid-table interpolation. args as logistic.
 */
QK__EXEC(tanh) { return run_sigmoid(ctx, args, n_args, 1); }

/* gemmlowp SaturatingRoundingDoublingHighMul on int16. */
static inline int16_t srdhm16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    const int32_t ab = (int32_t)a * b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT on int16 (mask and threshold computed in int16, as TFLite). */
static inline int16_t rdbpot16(int16_t x, int32_t exponent) {
    const int16_t mask = (int16_t)((1LL << exponent) - 1);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> (exponent < 31 ? exponent : 31)) + (remainder > threshold ? 1 : 0));
}

static inline int16_t sat_shl16(int16_t v, int32_t amount) {
    const int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

/*
 * HARD_SWISH, int8 (TFLM reference_ops::HardSwish with 16-bit fixed-point multipliers).
 * args: in, out, count, in_zp, out_zp, out_mult16, out_exp (<= 0), relu_mult16, relu_exp
 */
QK__EXEC(hard_swish) {
    if (n_args != 9) return QK_ERR_ARG;
    const int32_t count = args[2], in_zp = args[3], out_zp = args[4];
    const int32_t out_mult = args[5], out_exp = args[6], relu_mult = args[7], relu_exp = args[8];
    if (count < 0 || out_exp > 0 || out_exp < -31 || relu_exp < -31 || relu_exp > 31 ||
        out_mult < INT16_MIN || out_mult > INT16_MAX || relu_mult < INT16_MIN ||
        relu_mult > INT16_MAX || in_zp < -255 || in_zp > 255)
        return QK_ERR_ARG;
    const int8_t *x = qk__in(ctx, args[0], count);
    int8_t *y = qk__out(ctx, args[1], count);
    if (!x || !y) return QK_ERR_ARG;
    for (int32_t i = 0; i < count; ++i) {
        const int16_t v = (int16_t)(x[i] - in_zp);
        const int16_t hires = (int16_t)(v * (1 << 7)); /* |v| <= 255 keeps this in int16 */
        const int16_t preshift_out = srdhm16(hires, (int16_t)out_mult);
        int16_t reluish = hires;
        if (relu_exp > 0) reluish = sat_shl16(reluish, relu_exp - 1);
        reluish = srdhm16(reluish, (int16_t)relu_mult);
        if (relu_exp > 0) reluish = sat_shl16(reluish, 1);
        if (relu_exp < 0) reluish = rdbpot16(reluish, -relu_exp);
        reluish = (int16_t)((reluish + (1 << 15)) >> 1);
        /* SaturatingDoublingHighMul: truncating, not rounding */
        const int16_t pre = (reluish == INT16_MIN && preshift_out == INT16_MIN)
                                ? INT16_MAX
                                : (int16_t)(((int32_t)reluish * preshift_out) / (1 << 15));
        int16_t o = rdbpot16(pre, -out_exp);
        o = (int16_t)(o + out_zp);
        y[i] = (int8_t)qk__clamp(o, INT8_MIN, INT8_MAX);
    }
    return QK_OK;
}

/*
 * LEAKY_RELU, int8 or int16: identity multiplier for x >= zp, alpha multiplier below.
 * args: in, out, dtype, count, in_zp, out_zp, mult_identity, shift_identity, mult_alpha,
 *       shift_alpha
 */
QK__EXEC(leaky_relu) {
    if (n_args != 10) return QK_ERR_ARG;
    const int32_t dtype = args[2], count = args[3], in_zp = args[4], out_zp = args[5];
    const int32_t m_id = args[6], s_id = args[7], m_a = args[8], s_a = args[9];
    if (count < 0 || (dtype != QK_I8 && dtype != QK_I16) || s_id < -31 || s_id > 30 ||
        s_a < -31 || s_a > 30)
        return QK_ERR_ARG;
    const int32_t elem = qk__dtype_size(dtype);
    const void *x = qk__in(ctx, args[0], (int64_t)count * elem);
    void *y = qk__out(ctx, args[1], (int64_t)count * elem);
    if (!x || !y) return QK_ERR_ARG;
    const int32_t lo = dtype_min(dtype), hi = dtype_max(dtype);
    for (int32_t i = 0; i < count; ++i) {
        const int32_t v = load(x, dtype, i) - in_zp;
        const int32_t r = v >= 0 ? qk__requant(v, m_id, s_id) : qk__requant(v, m_a, s_a);
        store(y, dtype, i, qk__clamp(out_zp + r, lo, hi));
    }
    return QK_OK;
}

/*
 * RELU family, int8 or int16. requant=1 (TFLM RELU): out_zp + requant(x - in_zp) clamped to
 * [act_min, act_max]; requant=0 (TFLM RELU6): the input value itself clamped to
 * [act_min, act_max] (bounds in the input's quantization).
 * args: in, out, dtype, count, in_zp, out_zp, mult, shift, act_min, act_max, requant
 */
QK__EXEC(relu) {
    if (n_args != 11) return QK_ERR_ARG;
    const int32_t dtype = args[2], count = args[3], in_zp = args[4], out_zp = args[5];
    const int32_t mult = args[6], shift = args[7], lo = args[8], hi = args[9], requant = args[10];
    if (count < 0 || (dtype != QK_I8 && dtype != QK_I16) || shift < -31 || shift > 30 || lo > hi)
        return QK_ERR_ARG;
    const int32_t elem = qk__dtype_size(dtype);
    const void *x = qk__in(ctx, args[0], (int64_t)count * elem);
    void *y = qk__out(ctx, args[1], (int64_t)count * elem);
    if (!x || !y) return QK_ERR_ARG;
    const int32_t tlo = dtype_min(dtype), thi = dtype_max(dtype);
    for (int32_t i = 0; i < count; ++i) {
        int32_t v = load(x, dtype, i);
        if (requant) v = out_zp + qk__requant(v - in_zp, mult, shift);
        store(y, dtype, i, qk__clamp(qk__clamp(v, lo, hi), tlo, thi));
    }
    return QK_OK;
}
