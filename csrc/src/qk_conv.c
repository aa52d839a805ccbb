/* Convolutions: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV. */
#include "qk_internal.h"

/* TODO(stub): not implemented yet. */
QK__EXEC(conv2d) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(depthwise_conv2d) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
