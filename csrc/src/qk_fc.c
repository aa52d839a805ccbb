/* FULLY_CONNECTED and SVDF (TFLM reference_integer_ops FullyConnected / svdf_common.cc). */
#include "qk_internal.h"
#include "qk_arm.h"
#include "qk_simd.h"

/*
 * TFLM accumulates in int32 and lets sums wrap; accumulating in uint32 gives the same bits with
 * defined behaviour. qk__wrap32 turns such a sum back into int32 without an implementation-defined
 * conversion.
 */
static inline int32_t qk__wrap32(uint32_t u) {
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

/* x + zp with int32 wrap-around, as TFLM's plain int addition behaves at the extremes. */
static inline int32_t qk__add_zp(int32_t x, int32_t zp) {
    return qk__wrap32((uint32_t)x + (uint32_t)zp);
}

/* Low 16 / 8 bits of v as a signed value (C++'s static_cast narrowing, without the
 * implementation-defined conversion). */
static inline int16_t qk__narrow16(int32_t v) {
    const int32_t u = (int32_t)((uint32_t)v & 0xFFFFu);
    return (int16_t)(u >= 0x8000 ? u - 0x10000 : u);
}
static inline int8_t qk__narrow8(int32_t v) {
    const int32_t u = (int32_t)((uint32_t)v & 0xFFu);
    return (int8_t)(u >= 0x80 ? u - 0x100 : u);
}

/*
 * Fast-path dot products: acc[o] += sum_{d < len} (x[d] + 128) * w[o * stride + d] for rows
 * [0, n), four rows at a time (sharing the x loads). x + 128 is x's bits read as uint8. Each term
 * is at most 255 * 128 in magnitude, so the int32 sums cannot overflow for total depth <=
 * QK__FC_FAST_DEPTH. Two forms of the same sum, picked for what the compiler vectorizes best:
 * with a u8 x s8 dot-product instruction (x86 VNNI, Arm DOTPROD) the uint8 form maps onto it;
 * otherwise widening x to int16 first lets it use 16-bit multiply-add (x86 pmaddwd).
 */
#define QK__FC_FAST_DEPTH 65536
#define QK__FC_CHUNK 256 /* depth chunk (int16 staging buffer on the stack) */
#define QK__FC_ROWS 64   /* output rows per block (int32 accumulators on the stack) */

#if defined(__AVX512VNNI__) || defined(__AVXVNNI__) || defined(__ARM_FEATURE_DOTPROD)
#define QK__FC_U8_DOT 1
static void qk__fc_rows(const int8_t *x, const int8_t *filter, int32_t stride, int32_t len,
                        int32_t n, int32_t *acc) {
    int32_t o = 0;
    for (; o + 4 <= n; o += 4) {
        const int8_t *w0 = filter + (int64_t)o * stride;
        const int8_t *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int32_t d = 0; d < len; ++d) {
            const int32_t xv = (uint8_t)((uint8_t)x[d] ^ 0x80u);
            a0 += xv * w0[d];
            a1 += xv * w1[d];
            a2 += xv * w2[d];
            a3 += xv * w3[d];
        }
        acc[o] += a0; acc[o + 1] += a1; acc[o + 2] += a2; acc[o + 3] += a3;
    }
    for (; o < n; ++o) {
        const int8_t *w = filter + (int64_t)o * stride;
        int32_t a = 0;
        for (int32_t d = 0; d < len; ++d) a += (int32_t)(uint8_t)((uint8_t)x[d] ^ 0x80u) * w[d];
        acc[o] += a;
    }
}
#elif defined(QK_ARM_DSP) || defined(QK_ARM_MVE)
#define QK__FC_U8_DOT 0
/* Cortex-M DSP / Helium dots (qk_arm.h); with DSP, x is staged pair-swapped. */
static void qk__fc_rows(const int16_t *x, const int8_t *filter, int32_t stride, int32_t len,
                        int32_t n, int32_t *acc) {
    int32_t o = 0;
    for (; o + 4 <= n; o += 4) {
        int32_t p[4];
        qk_arm_dot4(x, filter + (int64_t)o * stride, len, stride, p);
        acc[o] += p[0]; acc[o + 1] += p[1]; acc[o + 2] += p[2]; acc[o + 3] += p[3];
    }
    for (; o < n; ++o) acc[o] += qk_arm_dot1(x, filter + (int64_t)o * stride, len);
}
#else
#define QK__FC_U8_DOT 0
static void qk__fc_rows(const int16_t *x, const int8_t *filter, int32_t stride, int32_t len,
                        int32_t n, int32_t *acc) {
    int32_t o = 0;
    for (; o + 4 <= n; o += 4) {
        const int8_t *w0 = filter + (int64_t)o * stride;
        const int8_t *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int32_t d = 0; d < len; ++d) {
            const int16_t xv = x[d];
            a0 += xv * (int16_t)w0[d];
            a1 += xv * (int16_t)w1[d];
            a2 += xv * (int16_t)w2[d];
            a3 += xv * (int16_t)w3[d];
        }
        acc[o] += a0; acc[o + 1] += a1; acc[o + 2] += a2; acc[o + 3] += a3;
    }
    for (; o < n; ++o) {
        const int8_t *w = filter + (int64_t)o * stride;
        int32_t a = 0;
        for (int32_t d = 0; d < len; ++d) a += x[d] * (int16_t)w[d];
        acc[o] += a;
    }
}
#endif

/* acc[0..n) = sum_d (x[d] + 128) * w[o][d] over the full depth, in chunks. */
static void qk__fc_block(const int8_t *x, const int8_t *filter, int32_t depth, int32_t n,
                         int32_t *acc) {
    for (int32_t i = 0; i < n; ++i) acc[i] = 0;
    for (int32_t d0 = 0; d0 < depth; d0 += QK__FC_CHUNK) {
        const int32_t len = depth - d0 < QK__FC_CHUNK ? depth - d0 : QK__FC_CHUNK;
#if QK__FC_U8_DOT
        qk__fc_rows(x + d0, filter + d0, depth, len, n, acc);
#else
        int16_t xs[QK__FC_CHUNK];
        for (int32_t d = 0; d < len; ++d) xs[d] = (int16_t)(x[d0 + d] + 128);
#if defined(QK_ARM_DSP)
        qk_arm_row_swizzle(xs, len, (len + 3) & ~3); /* QK__FC_CHUNK is a multiple of 4 */
#endif
        qk__fc_rows(xs, filter + d0, depth, len, n, acc);
#endif
    }
}

#if QK_SIMD_VNNI
#define QK__FC_ROW_MAX 16384 /* depth bound of the host SIMD path (its uint8 row on the stack) */
/*
 * Host SIMD int8 FULLY_CONNECTED (in_zp == -128, filter_zp == 0: x - in_zp == x + 128, the
 * input's bits as uint8): a GEMV per batch row on the CONV_2D GEMM micro-kernel, one "pixel"
 * (the row, packed as uint8 with the depth zero padded to kp) times 16-channel blocks of the
 * lowering's packed filter [ocp / 16][kp / 4][16][4]. Same int32 sums as the portable path
 * (|sum| <= 65536 * 255 * 128 < 2^31; + bias wraps like TFLM); requant per qk__requant
 * (qk__rq16 with shifts, mult >= 0 checked by the caller).
 */
static void qk__fc_vnni(const int8_t *x8, const int8_t *wpk, const int32_t *bias,
                        const int32_t *mult, const int32_t *shift, int32_t batches, int32_t depth,
                        int32_t out_depth, int32_t out_zp, int32_t act_min, int32_t act_max,
                        int8_t *y8) {
    uint8_t row[QK__FC_ROW_MAX]; /* host-only path: the stack has room */
    const int32_t kp = (depth + 3) / 4 * 4, nblk = (out_depth + 15) / 16;
    const int64_t wblk = (int64_t)kp * 16;
    const __m512i ozp = _mm512_set1_epi32(out_zp);
    const __m512i lo = _mm512_set1_epi32(act_min), hi = _mm512_set1_epi32(act_max);
    for (int32_t i = depth; i < kp; ++i) row[i] = 0;
    for (int32_t b = 0; b < batches; ++b) {
        qk__xor80(row, x8 + (int64_t)b * depth, depth);
        int8_t *y = y8 + (int64_t)b * out_depth;
        for (int32_t cb = 0; cb < nblk; cb += 4) {
            const int32_t nb = nblk - cb < 4 ? nblk - cb : 4;
            qk__rq16_params rp[4];
            for (int32_t j = 0; j < nb; ++j)
                rp[j] = qk__rq16_load_shift(bias, mult, shift, (cb + j) * 16, out_depth - (cb + j) * 16);
            const int8_t *w = wpk + (int64_t)cb * wblk;
            int8_t *o = y + (int64_t)cb * 16;
            switch (nb) {
            case 4: qk__gemm_tile(row, kp, 1, 4, 0, 1, w, wblk, rp, ozp, lo, hi, o, out_depth); break;
            case 3: qk__gemm_tile(row, kp, 1, 3, 0, 1, w, wblk, rp, ozp, lo, hi, o, out_depth); break;
            case 2: qk__gemm_tile(row, kp, 1, 2, 0, 1, w, wblk, rp, ozp, lo, hi, o, out_depth); break;
            default: qk__gemm_tile(row, kp, 1, 1, 0, 1, w, wblk, rp, ozp, lo, hi, o, out_depth); break;
            }
        }
    }
}
#endif

/*
 * FULLY_CONNECTED, per-tensor or per-output-channel requant (mult/shift always [out_depth]).
 * args: in, filter, bias (-1: none), mult, shift, out,
 *       batches, accum_depth, out_depth, in_zp, filter_zp, out_zp, act_min, act_max, in_dtype
 *   in [batches, accum_depth], filter int8 [out_depth, accum_depth], out [batches, out_depth]
 *   in_dtype QK_I8:  in/out int8, bias int32 [out_depth];
 *                    acc = sum (x - in_zp) * (w - filter_zp) + bias   (int32, wrapping like TFLM)
 *                    out = clamp(requant(acc) + out_zp). in_zp == -128 with filter_zp == 0 runs
 *                    a u8 x s8 dot product; the lowering moves any other input zero point into
 *                    the bias to get there (exact mod 2^32).
 *   in_dtype QK_I16: in/out int16, bias int64 [out_depth]; in_zp and out_zp must be 0 (TFLM's
 *                    16x8 kernel ignores them); acc = sum x * (w - filter_zp) + bias in int64
 *                    (|acc| <= depth * 2^15 * 2^8 + |bias|), out = clamp(requant64(acc)).
 *   Optional trailing arg (16 in all) for the host SIMD path (qk__fc_vnni; int8, in_zp -128,
 *   filter_zp 0, constant filter, accum_depth <= 16384): gemm_filter (-1: none), the filter
 *   packed as CONV_2D's (int8 [ocp / 16][kp / 4][16][4], ocp = out_depth rounded up to 16,
 *   kp = accum_depth rounded up to 4). Builds without that path ignore it.
 */
QK__EXEC(fully_connected) {
    if (n_args != 15 && n_args != 16) return QK_ERR_ARG;
    const int32_t batches = args[6], depth = args[7], out_depth = args[8];
    const int32_t in_zp = args[9], filter_zp = args[10], out_zp = args[11];
    const int32_t act_min = args[12], act_max = args[13], dtype = args[14];
    if (batches < 0 || depth < 0 || out_depth < 0 || act_min > act_max) return QK_ERR_ARG;
    if (dtype != QK_I8 && dtype != QK_I16) return QK_ERR_ARG;
    if (filter_zp < -128 || filter_zp > 127) return QK_ERR_ARG;
    const int32_t esize = dtype == QK_I8 ? 1 : 2;
    const int32_t bsize = dtype == QK_I8 ? 4 : 8;
    const void *in = qk__in(ctx, args[0], (int64_t)batches * depth * esize);
    const int8_t *filter = qk__in(ctx, args[1], (int64_t)out_depth * depth);
    const void *bias = args[2] < 0 ? NULL : qk__in(ctx, args[2], (int64_t)bsize * out_depth);
    const int32_t *mult = qk__in(ctx, args[3], 4 * (int64_t)out_depth);
    const int32_t *shift = qk__in(ctx, args[4], 4 * (int64_t)out_depth);
    void *out = qk__out(ctx, args[5], (int64_t)batches * out_depth * esize);
    if (!in || !filter || (args[2] >= 0 && !bias) || !mult || !shift || !out) return QK_ERR_ARG;

    if (dtype == QK_I16) {
        if (in_zp != 0 || out_zp != 0 || act_min < -32768 || act_max > 32767) return QK_ERR_ARG;
        for (int32_t o = 0; o < out_depth; ++o)
            if (shift[o] < -47 || shift[o] > 14) return QK_ERR_ARG; /* 15 - shift in [1, 62] */
        if (depth > (1 << 22)) return QK_ERR_ARG; /* keeps |acc| < 2^46, as TFLM assumes < 2^47 */
        const int16_t *x16 = in;
        const int64_t *b64 = bias;
        int16_t *y16 = out;
        for (int32_t b = 0; b < batches; ++b) {
            const int16_t *x = x16 + (int64_t)b * depth;
            for (int32_t o = 0; o < out_depth; ++o) {
                const int8_t *w = filter + (int64_t)o * depth;
                int64_t acc = 0;
                for (int32_t d = 0; d < depth; ++d)
                    acc += (int64_t)x[d] * ((int32_t)w[d] - filter_zp);
                if (b64 != NULL) {
                    /* TFLM adds in int64; a bias near INT64 limits would overflow there too */
                    if ((b64[o] > 0 && acc > INT64_MAX - b64[o]) ||
                        (b64[o] < 0 && acc < INT64_MIN - b64[o]))
                        return QK_ERR_ARG;
                    acc += b64[o];
                }
                /* TFLM's int64 requant assumes |acc| < 2^47 (so acc * 2^15 fits int64) */
                if (acc < -((int64_t)1 << 47) || acc >= ((int64_t)1 << 47)) return QK_ERR_ARG;
                const int32_t v = qk__requant64(acc, mult[o], shift[o]);
                y16[(int64_t)b * out_depth + o] = (int16_t)qk__clamp(v, act_min, act_max);
            }
        }
        return QK_OK;
    }

    for (int32_t o = 0; o < out_depth; ++o)
        if (shift[o] < -31 || shift[o] > 30) return QK_ERR_ARG;
    if (act_min < -128 || act_max > 127) return QK_ERR_ARG;
    if (in_zp < -128 || in_zp > 127) return QK_ERR_ARG;
    const int8_t *x8 = in;
    const int32_t *b32 = bias;
    int8_t *y8 = out;
#if QK_SIMD_VNNI
    if (n_args == 16 && args[15] >= 0 && in_zp == -128 && filter_zp == 0 && depth <= QK__FC_ROW_MAX) {
        const int64_t kp = ((int64_t)depth + 3) / 4 * 4, ocp = ((int64_t)out_depth + 15) / 16 * 16;
        const int8_t *wpk = qk__in(ctx, args[15], ocp * kp);
        if (!wpk) return QK_ERR_ARG;
        int ok = 1;
        for (int32_t o = 0; o < out_depth; ++o) ok &= mult[o] >= 0;
        if (ok) {
            qk__fc_vnni(x8, wpk, b32, mult, shift, batches, depth, out_depth, out_zp, act_min,
                        act_max, y8);
            return QK_OK;
        }
    }
#endif
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = x8 + (int64_t)b * depth;
        int8_t *y = y8 + (int64_t)b * out_depth;
        if (in_zp == -128 && filter_zp == 0 && depth <= QK__FC_FAST_DEPTH) {
            /* fast path: x - in_zp == x + 128 (see qk__fc_rows) */
            int32_t acc[QK__FC_ROWS];
            for (int32_t o0 = 0; o0 < out_depth; o0 += QK__FC_ROWS) {
                const int32_t n = out_depth - o0 < QK__FC_ROWS ? out_depth - o0 : QK__FC_ROWS;
                qk__fc_block(x, filter + (int64_t)o0 * depth, depth, n, acc);
                for (int32_t i = 0; i < n; ++i) {
                    const int32_t o = o0 + i;
                    const uint32_t a = (uint32_t)acc[i] + (b32 != NULL ? (uint32_t)b32[o] : 0u);
                    const int32_t v = qk__add_zp(qk__requant(qk__wrap32(a), mult[o], shift[o]), out_zp);
                    y[o] = (int8_t)qk__clamp(v, act_min, act_max);
                }
            }
            continue;
        }
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *w = filter + (int64_t)o * depth;
            uint32_t acc = 0; /* each term |.| <= 255 * 255; the sum wraps like TFLM's int32 */
            for (int32_t d = 0; d < depth; ++d)
                acc += (uint32_t)(((int32_t)x[d] - in_zp) * ((int32_t)w[d] - filter_zp));
            if (b32 != NULL) acc += (uint32_t)b32[o];
            const int32_t v = qk__add_zp(qk__requant(qk__wrap32(acc), mult[o], shift[o]), out_zp);
            y[o] = (int8_t)qk__clamp(v, act_min, act_max);
        }
    }
    return QK_OK;
}

/*
 * SVDF, int8 input/output, int8 weights_feature, weights_time and state both int16 or both int8
 * (TFLM EvalIntegerSvdfReference). The state is a variable tensor that persists across invokes.
 * args: in, weights_feature, weights_time, bias (-1: none), state, out,
 *       batches, n_input, n_filter, n_memory, rank, in_zp, state_zp, out_zp,
 *       mult1, shift1, mult2, shift2, state_dtype
 *   in int8 [batches, n_input], weights_feature int8 [n_filter, n_input],
 *   weights_time T [n_filter, n_memory], bias int32 [n_filter / rank],
 *   state T [batches, n_filter, n_memory], out int8 [batches, n_filter / rank], T by state_dtype.
 * Per invoke: shift every state row left by one; state[b][f][n_memory-1] =
 *   narrow_T(clamp_T(requant(sum_c wf[f][c] * (x[b][c] - in_zp), mult1, shift1)) + state_zp);
 *   out[b][u] = clamp_s8(requant(bias[u] + sum_{f in unit u} sum_m wt[f][m] *
 *   (state[b][f][m] - state_zp), mult2, shift2) + out_zp). No fused activation (TFLM applies none
 *   on the integer path). Sums wrap in uint32 exactly like TFLM's int32 accumulators.
 */
QK__EXEC(svdf) {
    if (n_args != 19) return QK_ERR_ARG;
    const int32_t batches = args[6], n_input = args[7], n_filter = args[8], n_memory = args[9];
    const int32_t rank = args[10], in_zp = args[11], state_zp = args[12], out_zp = args[13];
    const int32_t mult1 = args[14], shift1 = args[15], mult2 = args[16], shift2 = args[17];
    const int32_t dtype = args[18];
    if (batches < 0 || n_input < 0 || n_filter < 0 || n_memory < 1 || rank < 1) return QK_ERR_ARG;
    if (n_filter % rank != 0) return QK_ERR_ARG;
    if (dtype != QK_I8 && dtype != QK_I16) return QK_ERR_ARG;
    if (shift1 < -31 || shift1 > 30 || shift2 < -31 || shift2 > 30) return QK_ERR_ARG;
    if (in_zp < -128 || in_zp > 127 || out_zp < -128 || out_zp > 127) return QK_ERR_ARG;
    const int32_t smin = dtype == QK_I8 ? -128 : -32768, smax = dtype == QK_I8 ? 127 : 32767;
    if (state_zp < smin || state_zp > smax) return QK_ERR_ARG;
    const int32_t esize = dtype == QK_I8 ? 1 : 2;
    const int32_t n_unit = n_filter / rank;
    const int64_t state_count = (int64_t)batches * n_filter * n_memory;
    const int8_t *in = qk__in(ctx, args[0], (int64_t)batches * n_input);
    const int8_t *wf = qk__in(ctx, args[1], (int64_t)n_filter * n_input);
    const void *wt = qk__in(ctx, args[2], (int64_t)n_filter * n_memory * esize);
    const int32_t *bias = args[3] < 0 ? NULL : qk__in(ctx, args[3], 4 * (int64_t)n_unit);
    void *state = qk__out(ctx, args[4], state_count * esize);
    int8_t *out = qk__out(ctx, args[5], (int64_t)batches * n_unit);
    if (!in || !wf || !wt || (args[3] >= 0 && !bias) || !state || !out) return QK_ERR_ARG;
    if (state_count == 0) return QK_OK; /* no batches or no filters: the output is empty */

    /* Shift the whole state buffer left by one element; the column written below overwrites
     * every element that crossed a filter boundary. */
    memmove(state, (const uint8_t *)state + esize, (size_t)((state_count - 1) * esize));

    int16_t *s16 = dtype == QK_I16 ? (int16_t *)state : NULL;
    int8_t *s8 = dtype == QK_I8 ? (int8_t *)state : NULL;
    const int16_t *wt16 = dtype == QK_I16 ? (const int16_t *)wt : NULL;
    const int8_t *wt8 = dtype == QK_I8 ? (const int8_t *)wt : NULL;

    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (int64_t)b * n_input;
        const int64_t sbase = (int64_t)b * n_filter * n_memory;
        /* Feature matmul into the newest state column. Each term |.| <= 128 * 255. */
        for (int32_t f = 0; f < n_filter; ++f) {
            const int8_t *w = wf + (int64_t)f * n_input;
            uint32_t acc = 0;
            for (int32_t c = 0; c < n_input; ++c)
                acc += (uint32_t)((int32_t)w[c] * ((int32_t)x[c] - in_zp));
            /* The installed TFLM clamps to T first and adds the zero point after, narrowing
             * to T with wrap-around (newer TFLM adds it before the clamp). */
            const int32_t v = qk__clamp(qk__requant(qk__wrap32(acc), mult1, shift1), smin, smax)
                              + state_zp; /* |v| < 2^16 */
            const int64_t at = sbase + (int64_t)f * n_memory + n_memory - 1;
            if (s16) s16[at] = qk__narrow16(v); else s8[at] = qk__narrow8(v);
        }
        /* Time weights, reduce over rank, bias, rescale. Terms |.| <= 2^15 * 2^16 need int64
         * before wrapping into the uint32 sum. */
        for (int32_t u = 0; u < n_unit; ++u) {
            uint32_t acc = bias ? (uint32_t)bias[u] : 0u;
            for (int32_t r = 0; r < rank; ++r) {
                const int64_t f = (int64_t)u * rank + r;
                const int64_t s = sbase + f * n_memory;
                const int64_t wo = f * n_memory;
                if (s16) {
                    for (int32_t m = 0; m < n_memory; ++m)
                        acc += (uint32_t)((int64_t)wt16[wo + m] * ((int32_t)s16[s + m] - state_zp));
                } else {
                    for (int32_t m = 0; m < n_memory; ++m)
                        acc += (uint32_t)((int32_t)wt8[wo + m] * ((int32_t)s8[s + m] - state_zp));
                }
            }
            const int32_t v = qk__add_zp(qk__requant(qk__wrap32(acc), mult2, shift2), out_zp);
            out[(int64_t)b * n_unit + u] = (int8_t)qk__clamp(v, -128, 127);
        }
    }
    return QK_OK;
}
