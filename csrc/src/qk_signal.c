/* TFLM Signal custom ops (audio front end). */
#include "qk_internal.h"

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_window) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_fft_auto_scale) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_rfft) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_energy) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_filter_bank) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_filter_bank_sqrt) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_filter_bank_spectral_subtraction) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_pcan) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}

/* TODO(stub): not implemented yet. */
QK__EXEC(signal_filter_bank_log) {
    (void)ctx; (void)args; (void)n_args;
    return QK_ERR_UNSUPPORTED;
}
