/* TRANSPOSE_CONV: int8 (int32 bias) and int16x8 (int64 bias), per-channel requantization. */
#include "qk_internal.h"

/*
 * TRANSPOSE_CONV, NHWC input, OHWI filter, scatter form as TFLM's reference kernel: every input
 * element adds its products into an accumulator scratch covering the whole output, then each
 * accumulator gets the bias and is requantized.
 * args: in, filter, bias (-1: none), mult, shift, out, scratch, dtype,
 *       batches, in_h, in_w, in_d, filter_h, filter_w, out_h, out_w, out_d,
 *       stride_h, stride_w, pad_h, pad_w, in_zp, out_zp, act_min, act_max
 *   dtype QK_I8: in/out int8, bias int32, scratch int32 [out elements]; the input zero point is
 *     subtracted, the output zero point added, the filter zero point ignored (as TFLM).
 *   dtype QK_I16: in/out int16, bias int64, scratch int64 [out elements]; zero points unused
 *     (TFLM's 16x8 kernel has none), requantized with qk__requant64.
 *   filter [out_d, filter_h, filter_w, in_d], mult/shift int32 [out_d].
 */
QK__EXEC(transpose_conv) {
    if (n_args != 25) return QK_ERR_ARG;
    const int32_t dtype = args[7];
    const int32_t batches = args[8], in_h = args[9], in_w = args[10], in_d = args[11];
    const int32_t fh = args[12], fw = args[13], out_h = args[14], out_w = args[15], out_d = args[16];
    const int32_t stride_h = args[17], stride_w = args[18], pad_h = args[19], pad_w = args[20];
    const int32_t in_zp = args[21], out_zp = args[22], act_min = args[23], act_max = args[24];
    if (dtype != QK_I8 && dtype != QK_I16) return QK_ERR_ARG;
    const int32_t in_dims[4] = {batches, in_h, in_w, in_d}, f_dims[4] = {out_d, fh, fw, in_d};
    const int32_t out_dims[4] = {batches, out_h, out_w, out_d};
    const int64_t n_in = qk__count(in_dims, 4), n_f = qk__count(f_dims, 4);
    const int64_t n_out = qk__count(out_dims, 4);
    if (n_in < 0 || n_f < 0 || n_out < 0 || stride_h < 1 || stride_w < 1 || pad_h < 0 ||
        pad_w < 0 || act_min > act_max)
        return QK_ERR_ARG;
    const int32_t esize = dtype == QK_I8 ? 1 : 2, asize = dtype == QK_I8 ? 4 : 8;
    const void *in = qk__in(ctx, args[0], n_in * esize);
    const int8_t *filter = qk__in(ctx, args[1], n_f);
    const void *bias = args[2] < 0 ? NULL : qk__in(ctx, args[2], (int64_t)asize * out_d);
    const int32_t *mult = qk__in(ctx, args[3], 4 * (int64_t)out_d);
    const int32_t *shift = qk__in(ctx, args[4], 4 * (int64_t)out_d);
    void *out = qk__out(ctx, args[5], n_out * esize);
    void *scratch = qk__out(ctx, args[6], n_out * asize);
    if (!in || !filter || (args[2] >= 0 && !bias) || !mult || !shift || !out || !scratch)
        return QK_ERR_ARG;
    for (int32_t o = 0; o < out_d; ++o)
        if (shift[o] < -31 || shift[o] > 30) return QK_ERR_ARG;
    memset(scratch, 0, (size_t)(n_out * asize));
    int32_t *acc32 = scratch;
    int64_t *acc64 = scratch;
    const int8_t *in8 = in;
    const int16_t *in16 = in;
    for (int32_t b = 0; b < batches; ++b) {
        for (int32_t y = 0; y < in_h; ++y) {
            for (int32_t x = 0; x < in_w; ++x) {
                const int64_t in_base = (((int64_t)b * in_h + y) * in_w + x) * in_d;
                const int64_t oy0 = (int64_t)y * stride_h - pad_h, ox0 = (int64_t)x * stride_w - pad_w;
                for (int32_t ky = 0; ky < fh; ++ky) {
                    const int64_t oy = oy0 + ky;
                    if (oy < 0 || oy >= out_h) continue;
                    for (int32_t kx = 0; kx < fw; ++kx) {
                        const int64_t ox = ox0 + kx;
                        if (ox < 0 || ox >= out_w) continue;
                        const int64_t out_base = (((int64_t)b * out_h + oy) * out_w + ox) * out_d;
                        for (int32_t o = 0; o < out_d; ++o) {
                            const int8_t *w = filter + (((int64_t)o * fh + ky) * fw + kx) * in_d;
                            if (dtype == QK_I8) {
                                /* |sum| <= ceil(fh/sh) * ceil(fw/sw) * in_d * 255 * 128: int32
                                 * for the sizes TFLM's own int32 scratch handles */
                                int32_t s = 0;
                                for (int32_t c = 0; c < in_d; ++c)
                                    s += ((int32_t)in8[in_base + c] - in_zp) * (int32_t)w[c];
                                acc32[out_base + o] += s;
                            } else {
                                int64_t s = 0; /* int64 as TFLM's 16x8 scratch */
                                for (int32_t c = 0; c < in_d; ++c)
                                    s += (int64_t)in16[in_base + c] * (int64_t)w[c];
                                acc64[out_base + o] += s;
                            }
                        }
                    }
                }
            }
        }
    }
    for (int64_t i = 0; i < n_out; ++i) {
        const int32_t o = (int32_t)(i % out_d);
        if (dtype == QK_I8) {
            int32_t a = acc32[i];
            if (bias != NULL) a += ((const int32_t *)bias)[o];
            a = qk__requant(a, mult[o], shift[o]) + out_zp;
            ((int8_t *)out)[i] = (int8_t)qk__clamp(a, act_min, act_max);
        } else {
            int64_t a = acc64[i];
            if (bias != NULL) a += ((const int64_t *)bias)[o];
            const int32_t r = qk__requant64(a, mult[o], shift[o]);
            ((int16_t *)out)[i] = (int16_t)qk__clamp(r, act_min, act_max);
        }
    }
    return QK_OK;
}
