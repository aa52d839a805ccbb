/* Internal helpers shared by the kernel families: plan context, tensor access, requantization. */
#ifndef QK_INTERNAL_H
#define QK_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qk.h"

/* The kernels rely on arithmetic right shift of negative values, as TFLite's do. */
typedef char qk__arithmetic_shift_check[((-8 >> 1) == -4) ? 1 : -1];

/* Everything an op needs from the plan: the (already checked) tensor table and the buffers. */
typedef struct {
    const int32_t *tensors; /* n_tensors x {region, offset, bytes} */
    int32_t n_tensors;
    const uint8_t *consts;
    uint8_t *arena;
} qk_ctx;

/* An op's exec function: args are the op record's words after {opcode, n_args}. */
typedef qk_status (*qk__exec_fn)(const qk_ctx *ctx, const int32_t *args, int32_t n_args);

/* Read-only view of tensor `id` holding at least `bytes` bytes; NULL if the id is invalid
 * or the tensor is smaller. Ops must treat NULL as QK_ERR_ARG. */
static inline const void *qk__in(const qk_ctx *c, int32_t id, int64_t bytes) {
    if (id < 0 || id >= c->n_tensors || bytes < 0) return NULL;
    const int32_t *t = c->tensors + 3 * id;
    if ((int64_t)t[2] < bytes) return NULL;
    return (t[0] == QK_CONST ? c->consts : c->arena) + t[1];
}

/* Writable view: like qk__in, but the tensor must live in the arena. */
static inline void *qk__out(const qk_ctx *c, int32_t id, int64_t bytes) {
    if (id < 0 || id >= c->n_tensors || bytes < 0) return NULL;
    const int32_t *t = c->tensors + 3 * id;
    if (t[0] != QK_ARENA || (int64_t)t[2] < bytes) return NULL;
    return c->arena + t[1];
}

/* Product of n dims, or -1 if any is negative or the product passes 2^31. */
static inline int64_t qk__count(const int32_t *dims, int32_t n) {
    int64_t p = 1;
    for (int32_t i = 0; i < n; ++i) {
        if (dims[i] < 0) return -1;
        p *= dims[i];
        if (p > INT32_MAX) return -1;
    }
    return p;
}

static inline int32_t qk__clamp(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

static inline int32_t qk__dtype_size(int32_t dtype) {
    switch (dtype) {
    case QK_I8: case QK_U8: case QK_BOOL: return 1;
    case QK_I16: return 2;
    case QK_F32: case QK_I32: return 4;
    case QK_I64: return 8;
    default: return 0;
    }
}

/*
 * Requantization: the one place TFLite's fixed-point rounding lives (gemmlowp-style double
 * rounding, as TFLM's reference kernels do; LiteRT's reference FC rounds once instead).
 */

/* SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating the one overflow case. */
static inline int32_t qk__srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31)); /* C99 division truncates toward zero */
}

/* RoundingDivideByPOT: x / 2^exponent rounded half away from zero. */
static inline int32_t qk__rdbpot(int32_t x, int32_t exponent) {
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier: x * mult * 2^shift, mult in Q31, shift in [-31, 30]. */
static inline int32_t qk__requant(int32_t x, int32_t mult, int32_t shift) {
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* unsigned shift: TFLite shifts signed values, which is the same bits without the UB */
    return qk__rdbpot(qk__srdhm((int32_t)((uint32_t)x << left), mult), right);
}

/* MultiplyByQuantizedMultiplier for int64 accumulators (16x8 kernels): TFLite reduces the
 * multiplier to 16 bits and rounds once. */
static inline int32_t qk__requant64(int64_t x, int32_t mult, int32_t shift) {
    const int32_t reduced = mult < 0x7FFF0000 ? ((mult + (1 << 15)) >> 16) : 0x7FFF;
    const int32_t total_shift = 15 - shift;
    const int64_t round = (int64_t)1 << (total_shift - 1);
    return (int32_t)((x * (int64_t)reduced + round) >> total_shift);
}

/* Exec functions, one per opcode (see qk.h); each family's .c file documents its args. */
#define QK__EXEC(name) qk_status qk__exec_##name(const qk_ctx *ctx, const int32_t *args, int32_t n_args)
QK__EXEC(copy);
QK__EXEC(conv2d);
QK__EXEC(depthwise_conv2d);
QK__EXEC(transpose_conv);
QK__EXEC(depthwise_conv2d_inplace);
QK__EXEC(fully_connected);
QK__EXEC(svdf);
QK__EXEC(lstm);
QK__EXEC(avg_pool);
QK__EXEC(max_pool);
QK__EXEC(mean);
QK__EXEC(softmax);
QK__EXEC(logistic);
QK__EXEC(tanh);
QK__EXEC(hard_swish);
QK__EXEC(leaky_relu);
QK__EXEC(relu);
QK__EXEC(add);
QK__EXEC(sub);
QK__EXEC(mul);
QK__EXEC(div);
QK__EXEC(minimum);
QK__EXEC(maximum);
QK__EXEC(quantize);
QK__EXEC(dequantize);
QK__EXEC(cast);
QK__EXEC(pad);
QK__EXEC(concatenation);
QK__EXEC(transpose);
QK__EXEC(strided_slice);
QK__EXEC(space_to_batch_nd);
QK__EXEC(batch_to_space_nd);
QK__EXEC(signal_window);
QK__EXEC(signal_fft_auto_scale);
QK__EXEC(signal_rfft);
QK__EXEC(signal_energy);
QK__EXEC(signal_filter_bank);
QK__EXEC(signal_filter_bank_sqrt);
QK__EXEC(signal_filter_bank_spectral_subtraction);
QK__EXEC(signal_pcan);
QK__EXEC(signal_filter_bank_log);

#endif /* QK_INTERNAL_H */
