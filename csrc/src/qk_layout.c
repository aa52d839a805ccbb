/* Data movement: PAD, CONCATENATION, TRANSPOSE, STRIDED_SLICE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND. */
#include "qk_internal.h"

/* TODO(stub): not implemented yet. */
QK__EXEC(pad) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(concatenation) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(transpose) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(strided_slice) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(space_to_batch_nd) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(batch_to_space_nd) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
