/* FULLY_CONNECTED and SVDF. */
#include "qk_internal.h"

/*
 * FULLY_CONNECTED, int8 activations and weights, int32 bias, per-output-channel requant.
 * args: in, filter, bias (-1: none), mult, shift, out,
 *       batches, accum_depth, out_depth, in_zp, filter_zp, out_zp, act_min, act_max
 *   in [batches, accum_depth], filter [out_depth, accum_depth], mult/shift int32 [out_depth]
 */
QK__EXEC(fully_connected) {
    if (n_args != 14) return QK_ERR_ARG;
    const int32_t batches = args[6], depth = args[7], out_depth = args[8];
    const int32_t in_zp = args[9], filter_zp = args[10], out_zp = args[11];
    const int32_t act_min = args[12], act_max = args[13];
    if (batches < 0 || depth < 0 || out_depth < 0 || act_min > act_max) return QK_ERR_ARG;
    const int8_t *in = qk__in(ctx, args[0], (int64_t)batches * depth);
    const int8_t *filter = qk__in(ctx, args[1], (int64_t)out_depth * depth);
    const int32_t *bias = args[2] < 0 ? NULL : qk__in(ctx, args[2], 4 * (int64_t)out_depth);
    const int32_t *mult = qk__in(ctx, args[3], 4 * (int64_t)out_depth);
    const int32_t *shift = qk__in(ctx, args[4], 4 * (int64_t)out_depth);
    int8_t *out = qk__out(ctx, args[5], (int64_t)batches * out_depth);
    if (!in || !filter || (args[2] >= 0 && !bias) || !mult || !shift || !out) return QK_ERR_ARG;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (int64_t)b * depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *w = filter + (int64_t)o * depth;
            int32_t acc = 0; /* |acc| <= depth * 255 * 255 < 2^31 for depth < 33000 */
            for (int32_t d = 0; d < depth; ++d)
                acc += ((int32_t)x[d] - in_zp) * ((int32_t)w[d] - filter_zp);
            if (bias != NULL) acc += bias[o];
            acc = qk__requant(acc, mult[o], shift[o]) + out_zp;
            out[(int64_t)b * out_depth + o] = (int8_t)qk__clamp(acc, act_min, act_max);
        }
    }
    return QK_OK;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(svdf) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
