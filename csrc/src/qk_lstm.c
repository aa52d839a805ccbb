/* UNIDIRECTIONAL_SEQUENCE_LSTM. */
#include "qk_internal.h"

/* TODO(stub): not implemented yet. */
QK__EXEC(lstm) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
