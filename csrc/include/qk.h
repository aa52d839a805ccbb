/*
 * qk: portable C99 int8/int16 inference kernels and the plan executor that runs them.
 *
 * No malloc, no libc beyond <stdint.h> <stddef.h> <string.h>: every tensor and scratch buffer
 * lives in one arena whose layout the Python planner computed. The executor reads a plan (an
 * array of int32 words, layout below), checks it against the arena and constant sizes it is
 * handed, then runs the ops in order.
 */
#ifndef QK_H
#define QK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    QK_OK = 0,
    QK_ERR_ARG = -1,         /* an op's arguments break its contract (shapes, params, sizes) */
    QK_ERR_UNSUPPORTED = -2, /* a legal request this build does not implement */
    QK_ERR_PLAN = -3,        /* the plan is malformed: bad magic, truncated, bad tensor id */
    QK_ERR_ARENA = -4,       /* a tensor lies outside the arena or constants it was handed */
    QK_ERR_GUARD = -5        /* debug mode: an op wrote outside its output buffers */
} qk_status;

/* Static string for a status; never NULL. */
const char *qk_status_str(int32_t status);

/*
 * Plan layout, all int32 words:
 *   [0] QK_PLAN_MAGIC  [1] n_tensors  [2] n_ops  [3] arena bytes the plan needs
 *   tensor table, n_tensors x 3 words: { region, offset, bytes }, region QK_ARENA or QK_CONST
 *   ops, n_ops records: { opcode, n_args, args[n_args] }
 * Op args refer to tensors by index into the tensor table (-1 = absent optional tensor);
 * each op's argument list is documented beside its exec function in the family's .c file.
 */
#define QK_PLAN_MAGIC 0x31504B51 /* "QKP1" */
#define QK_PLAN_HEADER_WORDS 4
#define QK_ARENA 0
#define QK_CONST 1

/* Dtype codes used in op args. */
enum { QK_F32 = 0, QK_I32 = 2, QK_U8 = 3, QK_I64 = 4, QK_BOOL = 6, QK_I16 = 7, QK_I8 = 9 };

/* Op codes: one per TFLite op family member; dtype variants are chosen by args. */
enum {
    QK_OP_COPY = 1,
    QK_OP_CONV2D = 10,
    QK_OP_DEPTHWISE_CONV2D = 11,
    QK_OP_TRANSPOSE_CONV = 12,
    QK_OP_DEPTHWISE_CONV2D_INPLACE = 13,
    QK_OP_FULLY_CONNECTED = 20,
    QK_OP_SVDF = 21,
    QK_OP_LSTM = 30,
    QK_OP_AVG_POOL = 40,
    QK_OP_MAX_POOL = 41,
    QK_OP_MEAN = 42,
    QK_OP_SOFTMAX = 43,
    QK_OP_LOGISTIC = 44,
    QK_OP_TANH = 45,
    QK_OP_HARD_SWISH = 46,
    QK_OP_LEAKY_RELU = 47,
    QK_OP_RELU = 48,
    QK_OP_ADD = 60,
    QK_OP_SUB = 61,
    QK_OP_MUL = 62,
    QK_OP_DIV = 63,
    QK_OP_MINIMUM = 64,
    QK_OP_MAXIMUM = 65,
    QK_OP_QUANTIZE = 66,
    QK_OP_DEQUANTIZE = 67,
    QK_OP_CAST = 68,
    QK_OP_PAD = 80,
    QK_OP_CONCATENATION = 81,
    QK_OP_TRANSPOSE = 82,
    QK_OP_STRIDED_SLICE = 83,
    QK_OP_SPACE_TO_BATCH_ND = 84,
    QK_OP_BATCH_TO_SPACE_ND = 85,
    QK_OP_SIGNAL_WINDOW = 100,
    QK_OP_SIGNAL_FFT_AUTO_SCALE = 101,
    QK_OP_SIGNAL_RFFT = 102,
    QK_OP_SIGNAL_ENERGY = 103,
    QK_OP_SIGNAL_FILTER_BANK = 104,
    QK_OP_SIGNAL_FILTER_BANK_SQRT = 105,
    QK_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION = 106,
    QK_OP_SIGNAL_PCAN = 107,
    QK_OP_SIGNAL_FILTER_BANK_LOG = 108,
    QK_OP_COUNT = 110
};

/*
 * Check a plan against the buffers it will run in: header, every tensor inside its region,
 * every op record inside the plan with a known opcode. O(plan size).
 */
qk_status qk_plan_check(const int32_t *plan, int32_t plan_words, size_t const_bytes,
                        size_t arena_bytes);

/*
 * Check the plan, then run every op. On failure returns the status and stores the failing op's
 * index in *failed_op (-1 when the plan itself was rejected); failed_op may be NULL.
 */
qk_status qk_plan_run(const int32_t *plan, int32_t plan_words, const uint8_t *consts,
                      size_t const_bytes, uint8_t *arena, size_t arena_bytes, int32_t *failed_op);

/*
 * Debug run: like qk_plan_run, with n_guards arena regions {offset, bytes, first_op, last_op}
 * around the buffers. Before op first_op a region is filled with QK_GUARD_BYTE; after every op
 * in [first_op, last_op] it is checked, and a changed byte stops the run with QK_ERR_GUARD.
 */
#define QK_GUARD_BYTE 0xA5
qk_status qk_plan_run_guarded(const int32_t *plan, int32_t plan_words, const uint8_t *consts,
                              size_t const_bytes, uint8_t *arena, size_t arena_bytes,
                              const int32_t *guards, int32_t n_guards, int32_t *failed_op);

#ifdef __cplusplus
}
#endif
#endif /* QK_H */
