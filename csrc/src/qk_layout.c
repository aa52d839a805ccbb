/* Data movement: PAD, CONCATENATION (also PACK), TRANSPOSE, STRIDED_SLICE, SPACE_TO_BATCH_ND,
 * BATCH_TO_SPACE_ND. None of these does arithmetic on element values, so every kernel works on
 * elements of `esize` bytes (1, 2, 4 or 8) and serves every dtype. */
#include "qk_internal.h"

#define QK__LAYOUT_MAX_DIMS 6

static int qk__esize_ok(int32_t esize) {
    return esize == 1 || esize == 2 || esize == 4 || esize == 8;
}

/* Fill n elements of esize bytes at dst with the element at value. */
static void qk__fill(uint8_t *dst, const uint8_t *value, int64_t n, int32_t esize) {
    if (esize == 1) {
        memset(dst, value[0], (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; ++i) memcpy(dst + i * esize, value, (size_t)esize);
}

/*
 * PAD / PADV2, any dtype (elements of esize bytes), up to 6-D.
 * args: in, out, value, esize, ndims, in_dims[6], before[6], after[6]
 *   value: a tensor holding one element, the pad value (TFLM: the output zero point for int8 PAD,
 *   0 for other types, or PADV2's constant_values). Unused trailing dims entries must be 0.
 *   out dims = in_dims + before + after, row-major like the input.
 */
QK__EXEC(pad) {
    if (n_args != 5 + 3 * QK__LAYOUT_MAX_DIMS) return QK_ERR_ARG;
    const int32_t esize = args[3], nd = args[4];
    const int32_t *in_dims = args + 5, *before = args + 5 + QK__LAYOUT_MAX_DIMS;
    const int32_t *after = args + 5 + 2 * QK__LAYOUT_MAX_DIMS;
    if (!qk__esize_ok(esize) || nd < 1 || nd > QK__LAYOUT_MAX_DIMS) return QK_ERR_ARG;
    int32_t out_dims[QK__LAYOUT_MAX_DIMS];
    for (int32_t i = 0; i < nd; ++i) {
        if (in_dims[i] < 0 || before[i] < 0 || after[i] < 0) return QK_ERR_ARG;
        const int64_t d = (int64_t)in_dims[i] + before[i] + after[i];
        if (d > INT32_MAX) return QK_ERR_ARG;
        out_dims[i] = (int32_t)d;
    }
    const int64_t n_in = qk__count(in_dims, nd), n_out = qk__count(out_dims, nd);
    if (n_in < 0 || n_out < 0) return QK_ERR_ARG;
    const uint8_t *in = qk__in(ctx, args[0], n_in * esize);
    uint8_t *out = qk__out(ctx, args[1], n_out * esize);
    const uint8_t *value = qk__in(ctx, args[2], esize);
    if (!in || !out || !value) return QK_ERR_ARG;
    if (n_out == 0) return QK_OK;
    uint8_t pad[8];
    memcpy(pad, value, (size_t)esize); /* the value may live in the arena next to out */

    /* Walk the output one innermost row at a time; idx counts over the outer nd-1 dims. */
    const int32_t last = nd - 1;
    const int64_t row = out_dims[last], in_row = in_dims[last];
    int32_t idx[QK__LAYOUT_MAX_DIMS] = {0};
    const uint8_t *src = in;
    uint8_t *dst = out;
    for (int64_t r = 0, rows = n_out / row; r < rows; ++r) {
        int inside = 1;
        for (int32_t i = 0; i < last; ++i)
            if (idx[i] < before[i] || idx[i] >= before[i] + in_dims[i]) inside = 0;
        if (!inside) {
            qk__fill(dst, pad, row, esize);
        } else {
            qk__fill(dst, pad, before[last], esize);
            memcpy(dst + (int64_t)before[last] * esize, src, (size_t)(in_row * esize));
            qk__fill(dst + (before[last] + in_row) * esize, pad, after[last], esize);
            src += in_row * esize; /* input rows are consumed in order */
        }
        dst += row * esize;
        for (int32_t i = last - 1; i >= 0; --i) {
            if (++idx[i] < out_dims[i]) break;
            idx[i] = 0;
        }
    }
    return QK_OK;
}

/*
 * CONCATENATION and PACK (PACK is a concatenation whose inputs each give 1 along the axis), any
 * dtype, raw copy: TFLM's int8 CONCATENATION does not requantize, the lowering checks scales.
 * args: out, esize, outer, inner, out_axis, n_in, { in, axis_dim } x n_in
 *   outer = product of dims before the axis, inner = product of dims after it;
 *   input k is [outer, axis_dim_k, inner], the output [outer, out_axis, inner].
 */
QK__EXEC(concatenation) {
    if (n_args < 6) return QK_ERR_ARG;
    const int32_t esize = args[1], outer = args[2], inner = args[3], out_axis = args[4];
    const int32_t n_in = args[5];
    if (!qk__esize_ok(esize) || outer < 0 || inner < 0 || out_axis < 0 || n_in < 1 ||
        (int64_t)n_args != 6 + 2 * (int64_t)n_in)
        return QK_ERR_ARG;
    int64_t sum = 0;
    for (int32_t k = 0; k < n_in; ++k) {
        const int32_t a = args[6 + 2 * k + 1];
        if (a < 0) return QK_ERR_ARG;
        sum += a;
    }
    if (sum != out_axis) return QK_ERR_ARG;
    const int64_t out_chunk = (int64_t)out_axis * inner * esize;
    uint8_t *out = qk__out(ctx, args[0], (int64_t)outer * out_chunk);
    if (!out) return QK_ERR_ARG;
    int64_t at = 0; /* byte offset of input k's slab inside one output chunk */
    for (int32_t k = 0; k < n_in; ++k) {
        const int64_t chunk = (int64_t)args[6 + 2 * k + 1] * inner * esize;
        const uint8_t *in = qk__in(ctx, args[6 + 2 * k], (int64_t)outer * chunk);
        if (!in) return QK_ERR_ARG;
        if (chunk > 0)
            for (int64_t o = 0; o < outer; ++o)
                memmove(out + o * out_chunk + at, in + o * chunk, (size_t)chunk);
        at += chunk;
    }
    return QK_OK;
}

/*
 * Shared by TRANSPOSE and STRIDED_SLICE: out[i0..i5] = in[base + sum_k i_k * step_k], the output
 * walked in row-major order over count[0..nd). Checks that every read lies inside the input.
 */
static qk_status qk__strided_copy(const qk_ctx *ctx, int32_t in_id, int64_t n_in, int32_t out_id,
                                  int32_t esize, int32_t nd, int64_t base, const int32_t *count,
                                  const int64_t *step) {
    const int64_t n_out = qk__count(count, nd);
    if (n_out < 0) return QK_ERR_ARG;
    const uint8_t *in = qk__in(ctx, in_id, n_in * esize);
    uint8_t *out = qk__out(ctx, out_id, n_out * esize);
    if (!in || !out) return QK_ERR_ARG;
    if (n_out == 0) return QK_OK;
    int64_t lo = base, hi = base;
    for (int32_t k = 0; k < nd; ++k) {
        const int64_t span = (int64_t)(count[k] - 1) * step[k];
        if (span < 0) lo += span; else hi += span;
    }
    if (lo < 0 || hi >= n_in) return QK_ERR_ARG;
    int32_t idx[QK__LAYOUT_MAX_DIMS] = {0};
    const int32_t last = nd - 1;
    const int64_t row = count[last], s_last = step[last];
    int64_t off = base;
    uint8_t *dst = out;
    for (int64_t r = 0, rows = n_out / row; r < rows; ++r) {
        if (s_last == 1) {
            memcpy(dst, in + off * esize, (size_t)(row * esize));
        } else if (esize == 1) {
            for (int64_t j = 0; j < row; ++j) dst[j] = in[off + j * s_last];
        } else {
            for (int64_t j = 0; j < row; ++j)
                memcpy(dst + j * esize, in + (off + j * s_last) * esize, (size_t)esize);
        }
        dst += row * esize;
        for (int32_t i = last - 1; i >= 0; --i) {
            off += step[i];
            if (++idx[i] < count[i]) break;
            off -= (int64_t)count[i] * step[i];
            idx[i] = 0;
        }
    }
    return QK_OK;
}

/*
 * TRANSPOSE, any dtype, up to 6-D.
 * args: in, out, esize, ndims, in_dims[6], perm[6]
 *   out dim i = in_dims[perm[i]]; perm is a permutation of 0..ndims-1.
 */
QK__EXEC(transpose) {
    if (n_args != 4 + 2 * QK__LAYOUT_MAX_DIMS) return QK_ERR_ARG;
    const int32_t esize = args[2], nd = args[3];
    const int32_t *in_dims = args + 4, *perm = args + 4 + QK__LAYOUT_MAX_DIMS;
    if (!qk__esize_ok(esize) || nd < 1 || nd > QK__LAYOUT_MAX_DIMS) return QK_ERR_ARG;
    const int64_t n_in = qk__count(in_dims, nd);
    if (n_in < 0) return QK_ERR_ARG;
    int64_t stride[QK__LAYOUT_MAX_DIMS], step[QK__LAYOUT_MAX_DIMS];
    int32_t count[QK__LAYOUT_MAX_DIMS];
    int seen = 0;
    stride[nd - 1] = 1;
    for (int32_t i = nd - 1; i > 0; --i) stride[i - 1] = stride[i] * in_dims[i];
    for (int32_t i = 0; i < nd; ++i) {
        if (perm[i] < 0 || perm[i] >= nd || (seen & (1 << perm[i]))) return QK_ERR_ARG;
        seen |= 1 << perm[i];
        count[i] = in_dims[perm[i]];
        step[i] = stride[perm[i]];
    }
    return qk__strided_copy(ctx, args[0], n_in, args[1], esize, nd, 0, count, step);
}

/*
 * STRIDED_SLICE, any dtype, up to 6-D. The lowering resolves masks, negative indices and
 * clamping (TFLM's StridedSliceStartForAxis/EndForAxis) into a start, a stride and a count per
 * axis; shrunk axes have count 1.
 * args: in, out, esize, ndims, in_dims[6], start[6], stride[6], count[6]
 */
QK__EXEC(strided_slice) {
    if (n_args != 4 + 4 * QK__LAYOUT_MAX_DIMS) return QK_ERR_ARG;
    const int32_t esize = args[2], nd = args[3];
    const int32_t *in_dims = args + 4, *start = args + 4 + QK__LAYOUT_MAX_DIMS;
    const int32_t *strides = args + 4 + 2 * QK__LAYOUT_MAX_DIMS;
    const int32_t *count = args + 4 + 3 * QK__LAYOUT_MAX_DIMS;
    if (!qk__esize_ok(esize) || nd < 1 || nd > QK__LAYOUT_MAX_DIMS) return QK_ERR_ARG;
    const int64_t n_in = qk__count(in_dims, nd);
    if (n_in < 0) return QK_ERR_ARG;
    int64_t stride[QK__LAYOUT_MAX_DIMS], step[QK__LAYOUT_MAX_DIMS], base = 0;
    stride[nd - 1] = 1;
    for (int32_t i = nd - 1; i > 0; --i) stride[i - 1] = stride[i] * in_dims[i];
    for (int32_t i = 0; i < nd; ++i) {
        if (count[i] < 0) return QK_ERR_ARG;
        /* every index start + j * stride, j < count, must lie in [0, dim) */
        if (count[i] > 0 && (start[i] < 0 || start[i] >= in_dims[i])) return QK_ERR_ARG;
        const int64_t end = (int64_t)start[i] + (int64_t)(count[i] > 0 ? count[i] - 1 : 0) * strides[i];
        if (count[i] > 0 && (end < 0 || end >= in_dims[i])) return QK_ERR_ARG;
        base += (int64_t)start[i] * stride[i];
        step[i] = (int64_t)strides[i] * stride[i];
    }
    return qk__strided_copy(ctx, args[0], n_in, args[1], esize, nd, base, count, step);
}

/*
 * SPACE_TO_BATCH_ND on NHWC (3-D NHC inputs are lowered as W = 1), any dtype.
 * args: in, out, value, esize, batch, in_h, in_w, depth, out_h, out_w, block_h, block_w,
 *       pad_top, pad_left
 *   out is [batch * block_h * block_w, out_h, out_w, depth]; padded positions get the element in
 *   `value` (LiteRT: the output zero point; TFLM reads an uninitialized offset there).
 */
QK__EXEC(space_to_batch_nd) {
    if (n_args != 14) return QK_ERR_ARG;
    const int32_t esize = args[3], batch = args[4], in_h = args[5], in_w = args[6], depth = args[7];
    const int32_t out_h = args[8], out_w = args[9], bh = args[10], bw = args[11];
    const int32_t pad_top = args[12], pad_left = args[13];
    if (!qk__esize_ok(esize) || batch < 0 || in_h < 0 || in_w < 0 || depth < 0 || out_h < 0 ||
        out_w < 0 || bh < 1 || bw < 1 || pad_top < 0 || pad_left < 0)
        return QK_ERR_ARG;
    const int32_t in_dims[4] = {batch, in_h, in_w, depth};
    const int64_t out_b = (int64_t)batch * bh * bw;
    if (out_b > INT32_MAX) return QK_ERR_ARG;
    const int32_t out_dims[4] = {(int32_t)out_b, out_h, out_w, depth};
    const int64_t n_in = qk__count(in_dims, 4), n_out = qk__count(out_dims, 4);
    if (n_in < 0 || n_out < 0) return QK_ERR_ARG;
    const uint8_t *in = qk__in(ctx, args[0], n_in * esize);
    uint8_t *out = qk__out(ctx, args[1], n_out * esize);
    const uint8_t *value = qk__in(ctx, args[2], esize);
    if (!in || !out || !value) return QK_ERR_ARG;
    uint8_t pad[8];
    memcpy(pad, value, (size_t)esize);
    const int64_t px = (int64_t)depth * esize;
    for (int64_t ob = 0; ob < out_b; ++ob) {
        const int64_t b = ob % batch;
        const int64_t shift_w = (ob / batch) % bw, shift_h = (ob / batch) / bw;
        for (int64_t oh = 0; oh < out_h; ++oh) {
            const int64_t h = oh * bh + shift_h - pad_top;
            for (int64_t ow = 0; ow < out_w; ++ow) {
                const int64_t w = ow * bw + shift_w - pad_left;
                uint8_t *dst = out + ((ob * out_h + oh) * out_w + ow) * px;
                if (h < 0 || h >= in_h || w < 0 || w >= in_w)
                    qk__fill(dst, pad, depth, esize);
                else
                    memcpy(dst, in + ((b * in_h + h) * in_w + w) * px, (size_t)px);
            }
        }
    }
    return QK_OK;
}

/*
 * BATCH_TO_SPACE_ND on NHWC (3-D NHC lowered as W = 1), any dtype.
 * args: in, out, esize, in_b, in_h, in_w, depth, out_b, out_h, out_w, block_h, block_w,
 *       crop_top, crop_left
 *   in_b = out_b * block_h * block_w; the lowering checks out_h = in_h * block_h - crops, so
 *   every output element is written.
 */
QK__EXEC(batch_to_space_nd) {
    if (n_args != 14) return QK_ERR_ARG;
    const int32_t esize = args[2], in_b = args[3], in_h = args[4], in_w = args[5], depth = args[6];
    const int32_t out_b = args[7], out_h = args[8], out_w = args[9], bh = args[10], bw = args[11];
    const int32_t crop_top = args[12], crop_left = args[13];
    if (!qk__esize_ok(esize) || in_b < 0 || in_h < 0 || in_w < 0 || depth < 0 || out_b < 1 ||
        out_h < 0 || out_w < 0 || bh < 1 || bw < 1 || crop_top < 0 || crop_left < 0 ||
        (int64_t)out_b * bh * bw != in_b)
        return QK_ERR_ARG;
    const int32_t in_dims[4] = {in_b, in_h, in_w, depth}, out_dims[4] = {out_b, out_h, out_w, depth};
    const int64_t n_in = qk__count(in_dims, 4), n_out = qk__count(out_dims, 4);
    if (n_in < 0 || n_out < 0) return QK_ERR_ARG;
    const uint8_t *in = qk__in(ctx, args[0], n_in * esize);
    uint8_t *out = qk__out(ctx, args[1], n_out * esize);
    if (!in || !out) return QK_ERR_ARG;
    const int64_t px = (int64_t)depth * esize;
    for (int64_t ib = 0; ib < in_b; ++ib) {
        const int64_t ob = ib % out_b, spatial = ib / out_b;
        for (int64_t ih = 0; ih < in_h; ++ih) {
            const int64_t oh = ih * bh + spatial / bw - crop_top;
            if (oh < 0 || oh >= out_h) continue;
            for (int64_t iw = 0; iw < in_w; ++iw) {
                const int64_t ow = iw * bw + spatial % bw - crop_left;
                if (ow < 0 || ow >= out_w) continue;
                memcpy(out + ((ob * out_h + oh) * out_w + ow) * px,
                       in + ((ib * in_h + ih) * in_w + iw) * px, (size_t)px);
            }
        }
    }
    return QK_OK;
}
