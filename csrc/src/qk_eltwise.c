/* Elementwise: ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM, QUANTIZE, DEQUANTIZE, CAST. */
#include "qk_internal.h"

/* TODO(stub): not implemented yet. */
QK__EXEC(add) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(sub) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(mul) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(div) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(minimum) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(maximum) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(quantize) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(dequantize) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(cast) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
