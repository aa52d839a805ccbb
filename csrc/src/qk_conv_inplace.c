/*
 * In-place DEPTHWISE_CONV_2D (int8, depth multiplier 1), TinyEngine-style: the output may occupy
 * the input's own bytes, so the planner need not keep both tensors whole at the peak.
 *
 * Why it is safe in NHWC: output channel c needs only input channel c. The kernel computes one
 * whole output channel plane into scratch, then scatters it to out[p * C + c]; those positions
 * held input channel c (pixel p < out pixels <= in pixels), which is dead by then, and no other
 * channel's bytes are touched. Batch b's outputs end below batch b+1's inputs. Results are
 * bit-exact with the ordinary depthwise kernel (TFLM's DepthwiseConvPerChannel).
 */
#include "qk_internal.h"

/*
 * args: in, filter, bias (-1: none), mult, shift, out, scratch,
 *       batches, in_h, in_w, channels, kh, kw, out_h, out_w,
 *       stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp, out_zp, act_min, act_max
 *   in [batches, in_h, in_w, channels] int8; filter [1, kh, kw, channels] int8;
 *   bias int32 [channels]; mult/shift int32 [channels]; out [batches, out_h, out_w, channels]
 *   int8, either disjoint from in or starting at the same byte; scratch int8 [out_h * out_w].
 */
QK__EXEC(depthwise_conv2d_inplace) {
    if (n_args != 25) return QK_ERR_ARG;
    const int32_t batches = args[7], in_h = args[8], in_w = args[9], ch = args[10];
    const int32_t kh = args[11], kw = args[12], out_h = args[13], out_w = args[14];
    const int32_t sh = args[15], sw = args[16], dh = args[17], dw = args[18];
    const int32_t pad_h = args[19], pad_w = args[20], in_zp = args[21], out_zp = args[22];
    const int32_t act_min = args[23], act_max = args[24];
    const int32_t in_dims[4] = {batches, in_h, in_w, ch}, out_dims[4] = {batches, out_h, out_w, ch};
    const int32_t f_dims[3] = {kh, kw, ch};
    const int64_t n_in = qk__count(in_dims, 4), n_out = qk__count(out_dims, 4);
    const int64_t n_f = qk__count(f_dims, 3), plane = (int64_t)out_h * out_w;
    if (n_in < 0 || n_out < 0 || n_f < 0 || n_out > n_in || sh < 1 || sw < 1 || dh < 1 || dw < 1)
        return QK_ERR_ARG;
    if (in_zp < -128 || in_zp > 127 || act_min < -128 || act_max > 127 || act_min > act_max)
        return QK_ERR_ARG;
    const int8_t *in = qk__in(ctx, args[0], n_in);
    const int8_t *filter = qk__in(ctx, args[1], n_f);
    const int32_t *bias = args[2] < 0 ? NULL : qk__in(ctx, args[2], 4 * (int64_t)ch);
    const int32_t *mult = qk__in(ctx, args[3], 4 * (int64_t)ch);
    const int32_t *shift = qk__in(ctx, args[4], 4 * (int64_t)ch);
    int8_t *out = qk__out(ctx, args[5], n_out);
    int8_t *tmp = qk__out(ctx, args[6], plane);
    if (!in || !filter || (args[2] >= 0 && !bias) || !mult || !shift || !out || !tmp)
        return QK_ERR_ARG;
    for (int32_t c = 0; c < ch; ++c)
        if (shift[c] < -31 || shift[c] > 30) return QK_ERR_ARG;
    /* The output must be disjoint from the input or start exactly where it does. */
    if ((const int8_t *)out != in && (const int8_t *)out < in + n_in && in < (const int8_t *)out + n_out)
        return QK_ERR_ARG;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (int64_t)b * in_h * in_w * ch;
        int8_t *y = out + (int64_t)b * plane * ch;
        for (int32_t c = 0; c < ch; ++c) {
            for (int32_t oy = 0; oy < out_h; ++oy) {
                for (int32_t ox = 0; ox < out_w; ++ox) {
                    const int32_t y0 = oy * sh - pad_h, x0 = ox * sw - pad_w;
                    int32_t acc = 0; /* <= kh * kw * 255 * 128: < 2^31 for kh * kw < 65000 */
                    for (int32_t ky = 0; ky < kh; ++ky) {
                        const int32_t iy = y0 + ky * dh;
                        if (iy < 0 || iy >= in_h) continue;
                        for (int32_t kx = 0; kx < kw; ++kx) {
                            const int32_t ix = x0 + kx * dw;
                            if (ix < 0 || ix >= in_w) continue;
                            acc += ((int32_t)x[((int64_t)iy * in_w + ix) * ch + c] - in_zp) *
                                   (int32_t)filter[((int64_t)ky * kw + kx) * ch + c];
                        }
                    }
                    if (bias != NULL) acc += bias[c];
                    acc = qk__requant(acc, mult[c], shift[c]) + out_zp;
                    tmp[(int64_t)oy * out_w + ox] = (int8_t)qk__clamp(acc, act_min, act_max);
                }
            }
            for (int64_t p = 0; p < plane; ++p) y[p * ch + c] = tmp[p];
        }
    }
    return QK_OK;
}
