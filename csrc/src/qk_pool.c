/* Pooling and reductions: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN. */
#include "qk_internal.h"

/* TODO(stub): not implemented yet. */
QK__EXEC(avg_pool) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(max_pool) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(mean) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
