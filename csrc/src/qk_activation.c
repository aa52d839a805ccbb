/* Activations: SOFTMAX, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU family. */
#include "qk_internal.h"

/* TODO(stub): not implemented yet. */
QK__EXEC(softmax) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(logistic) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(tanh) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(hard_swish) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(leaky_relu) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(relu) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
