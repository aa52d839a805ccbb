/* The plan executor: checks a plan against its buffers, then runs its ops in order. */
#include "qk_internal.h"

/* Built with -DQK_TRACE (the Cortex-M harness only), the executor calls qk_trace_op(-1) once the
 * plan is checked and qk_trace_op(i) after op i; an instruction counter that notes each call
 * splits an inference into per-op counts. Off by default: no cost, no extra symbol. */
#ifdef QK_TRACE
void qk_trace_op(int32_t op);
#define QK__TRACE(op) qk_trace_op(op)
#else
#define QK__TRACE(op) ((void)0)
#endif

const char *qk_status_str(int32_t status) {
    switch (status) {
    case QK_OK: return "ok";
    case QK_ERR_ARG: return "op arguments break the kernel contract";
    case QK_ERR_UNSUPPORTED: return "operation not supported by this build";
    case QK_ERR_PLAN: return "malformed plan";
    case QK_ERR_ARENA: return "tensor outside the arena or constants";
    case QK_ERR_GUARD: return "op wrote outside its output buffers";
    default: return "unknown status";
    }
}

/* args: src, dst, bytes */
QK__EXEC(copy) {
    if (n_args != 3) return QK_ERR_ARG;
    const void *src = qk__in(ctx, args[0], args[2]);
    void *dst = qk__out(ctx, args[1], args[2]);
    if (src == NULL || dst == NULL) return QK_ERR_ARG;
    memmove(dst, src, (size_t)args[2]);
    return QK_OK;
}

static qk__exec_fn exec_for(int32_t opcode) {
    switch (opcode) {
    case QK_OP_COPY: return qk__exec_copy;
    case QK_OP_CONV2D: return qk__exec_conv2d;
    case QK_OP_DEPTHWISE_CONV2D: return qk__exec_depthwise_conv2d;
    case QK_OP_TRANSPOSE_CONV: return qk__exec_transpose_conv;
    case QK_OP_DEPTHWISE_CONV2D_INPLACE: return qk__exec_depthwise_conv2d_inplace;
    case QK_OP_FULLY_CONNECTED: return qk__exec_fully_connected;
    case QK_OP_SVDF: return qk__exec_svdf;
    case QK_OP_LSTM: return qk__exec_lstm;
    case QK_OP_AVG_POOL: return qk__exec_avg_pool;
    case QK_OP_MAX_POOL: return qk__exec_max_pool;
    case QK_OP_MEAN: return qk__exec_mean;
    case QK_OP_SOFTMAX: return qk__exec_softmax;
    case QK_OP_LOGISTIC: return qk__exec_logistic;
    case QK_OP_TANH: return qk__exec_tanh;
    case QK_OP_HARD_SWISH: return qk__exec_hard_swish;
    case QK_OP_LEAKY_RELU: return qk__exec_leaky_relu;
    case QK_OP_RELU: return qk__exec_relu;
    case QK_OP_ADD: return qk__exec_add;
    case QK_OP_SUB: return qk__exec_sub;
    case QK_OP_MUL: return qk__exec_mul;
    case QK_OP_DIV: return qk__exec_div;
    case QK_OP_MINIMUM: return qk__exec_minimum;
    case QK_OP_MAXIMUM: return qk__exec_maximum;
    case QK_OP_QUANTIZE: return qk__exec_quantize;
    case QK_OP_DEQUANTIZE: return qk__exec_dequantize;
    case QK_OP_CAST: return qk__exec_cast;
    case QK_OP_PAD: return qk__exec_pad;
    case QK_OP_CONCATENATION: return qk__exec_concatenation;
    case QK_OP_TRANSPOSE: return qk__exec_transpose;
    case QK_OP_STRIDED_SLICE: return qk__exec_strided_slice;
    case QK_OP_SPACE_TO_BATCH_ND: return qk__exec_space_to_batch_nd;
    case QK_OP_BATCH_TO_SPACE_ND: return qk__exec_batch_to_space_nd;
    case QK_OP_SIGNAL_WINDOW: return qk__exec_signal_window;
    case QK_OP_SIGNAL_FFT_AUTO_SCALE: return qk__exec_signal_fft_auto_scale;
    case QK_OP_SIGNAL_RFFT: return qk__exec_signal_rfft;
    case QK_OP_SIGNAL_ENERGY: return qk__exec_signal_energy;
    case QK_OP_SIGNAL_FILTER_BANK: return qk__exec_signal_filter_bank;
    case QK_OP_SIGNAL_FILTER_BANK_SQRT: return qk__exec_signal_filter_bank_sqrt;
    case QK_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION:
        return qk__exec_signal_filter_bank_spectral_subtraction;
    case QK_OP_SIGNAL_PCAN: return qk__exec_signal_pcan;
    case QK_OP_SIGNAL_FILTER_BANK_LOG: return qk__exec_signal_filter_bank_log;
    default: return NULL;
    }
}

qk_status qk_plan_check(const int32_t *plan, int32_t plan_words, size_t const_bytes,
                        size_t arena_bytes) {
    if (plan == NULL || plan_words < QK_PLAN_HEADER_WORDS) return QK_ERR_PLAN;
    const int32_t n_tensors = plan[1], n_ops = plan[2];
    if (plan[0] != QK_PLAN_MAGIC || n_tensors < 0 || n_ops < 0 || plan[3] < 0) return QK_ERR_PLAN;
    if ((size_t)plan[3] > arena_bytes) return QK_ERR_ARENA;
    if ((int64_t)n_tensors * 3 > plan_words - QK_PLAN_HEADER_WORDS) return QK_ERR_PLAN;
    const int32_t *t = plan + QK_PLAN_HEADER_WORDS;
    for (int32_t i = 0; i < n_tensors; ++i, t += 3) {
        const size_t limit = t[0] == QK_ARENA ? arena_bytes : const_bytes;
        if ((t[0] != QK_ARENA && t[0] != QK_CONST) || t[1] < 0 || t[2] < 0) return QK_ERR_PLAN;
        if ((size_t)t[1] > limit || (size_t)t[2] > limit - (size_t)t[1]) return QK_ERR_ARENA;
    }
    int64_t pos = t - plan;
    for (int32_t i = 0; i < n_ops; ++i) {
        if (pos + 2 > plan_words) return QK_ERR_PLAN;
        const int32_t n_args = plan[pos + 1];
        if (exec_for(plan[pos]) == NULL || n_args < 0 || pos + 2 + n_args > plan_words)
            return QK_ERR_PLAN;
        pos += 2 + n_args;
    }
    return pos == plan_words ? QK_OK : QK_ERR_PLAN;
}

/* guards: n_guards x {offset, bytes, first_op, last_op}; a guard matters only while its buffer
 * is live, because other buffers legitimately reuse the same bytes at other times. */
static void guards_fill(uint8_t *arena, const int32_t *guards, int32_t n_guards, int32_t op) {
    for (int32_t g = 0; g < n_guards; ++g, guards += 4)
        if (guards[2] == op) memset(arena + guards[0], QK_GUARD_BYTE, (size_t)guards[1]);
}

static int guards_intact(const uint8_t *arena, const int32_t *guards, int32_t n_guards, int32_t op) {
    for (int32_t g = 0; g < n_guards; ++g, guards += 4) {
        if (op < guards[2] || op > guards[3]) continue;
        for (int32_t k = 0; k < guards[1]; ++k)
            if (arena[guards[0] + k] != QK_GUARD_BYTE) return 0;
    }
    return 1;
}

static qk_status run(const int32_t *plan, int32_t plan_words, const uint8_t *consts,
                     size_t const_bytes, uint8_t *arena, size_t arena_bytes,
                     const int32_t *guards, int32_t n_guards, int32_t *failed_op) {
    if (failed_op != NULL) *failed_op = -1;
    if (arena == NULL || (consts == NULL && const_bytes != 0)) return QK_ERR_ARG;
    if (n_guards < 0 || (n_guards > 0 && guards == NULL)) return QK_ERR_ARG;
    qk_status status = qk_plan_check(plan, plan_words, const_bytes, arena_bytes);
    if (status != QK_OK) return status;
    for (int32_t g = 0; g < n_guards; ++g) {
        const int32_t off = guards[4 * g], len = guards[4 * g + 1];
        if (off < 0 || len < 0 || (size_t)off > arena_bytes || (size_t)len > arena_bytes - (size_t)off)
            return QK_ERR_ARENA;
    }
    const qk_ctx ctx = {plan + QK_PLAN_HEADER_WORDS, plan[1], consts, arena};
    const int32_t *rec = plan + QK_PLAN_HEADER_WORDS + 3 * plan[1];
    QK__TRACE(-1);
    for (int32_t i = 0; i < plan[2]; ++i) {
        guards_fill(arena, guards, n_guards, i);
        status = exec_for(rec[0])(&ctx, rec + 2, rec[1]);
        QK__TRACE(i);
        if (status == QK_OK && !guards_intact(arena, guards, n_guards, i)) status = QK_ERR_GUARD;
        if (status != QK_OK) {
            if (failed_op != NULL) *failed_op = i;
            return status;
        }
        rec += 2 + rec[1];
    }
    return QK_OK;
}

qk_status qk_plan_run(const int32_t *plan, int32_t plan_words, const uint8_t *consts,
                      size_t const_bytes, uint8_t *arena, size_t arena_bytes, int32_t *failed_op) {
    return run(plan, plan_words, consts, const_bytes, arena, arena_bytes, NULL, 0, failed_op);
}

qk_status qk_plan_run_guarded(const int32_t *plan, int32_t plan_words, const uint8_t *consts,
                              size_t const_bytes, uint8_t *arena, size_t arena_bytes,
                              const int32_t *guards, int32_t n_guards, int32_t *failed_op) {
    return run(plan, plan_words, consts, const_bytes, arena, arena_bytes, guards, n_guards,
               failed_op);
}
