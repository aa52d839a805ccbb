/*
 * Harness: run an exported model (model.h) on a QEMU board over semihosting.
 *
 * Reads input_<i>.bin (from QEMU's working directory) for every model input. A file may hold
 * several inputs back to back: each is one run, done with freshly reset state, and its outputs
 * are appended to output_<i>.bin. Prints "qk: ..." lines and exits with 0, or 1 on a failed
 * invoke (status and op printed), 2 on a file problem, 3 on a fault.
 *
 * Instruction counting: qk_trace_op() is the one marker function the QEMU plugin watches. It is
 * called with -2 just before and -3 just after each model_invoke(); a library built with
 * QK_TRACE also calls it with -1 after the plan check and with i after op i.
 */
#include "model.h"
#include "semihost.h"

uint32_t qk_stack_used(void);

/* noinline + a distinctive asm body: the plugin needs one real call target, and gcc's
 * identical-code folding must not merge it with another empty function. */
__attribute__((noinline)) void qk_trace_op(int32_t op) {
    __asm__ volatile("@ qk_trace_op" : : "r"(op) : "memory");
}

static char *put_index(char *p, int i) {
    if (i >= 10) p = put_index(p, i / 10);
    *p++ = (char)('0' + i % 10);
    return p;
}

static int32_t open_io(const char *stem, int i, int write) {
    char name[32];
    char *p = name;
    while (*stem) *p++ = *stem++;
    p = put_index(p, i);
    const char *ext = ".bin";
    while (*ext) *p++ = *ext++;
    *p = 0;
    return sh_open(name, write);
}

int main(void) {
    int32_t in_fh[MODEL_NUM_INPUTS > 0 ? MODEL_NUM_INPUTS : 1];
    int32_t out_fh[MODEL_NUM_OUTPUTS > 0 ? MODEL_NUM_OUTPUTS : 1];
    int32_t runs = -1;
    for (int i = 0; i < MODEL_NUM_INPUTS; ++i) {
        in_fh[i] = open_io("input_", i, 0);
        const int32_t len = in_fh[i] < 0 ? -1 : sh_flen(in_fh[i]);
        const int32_t bytes = (int32_t)model_input_bytes(i);
        if (len < 0 || (bytes > 0 && len % bytes != 0)) {
            sh_put_int("qk: cannot read a whole number of inputs from input_", i);
            return 2;
        }
        const int32_t n = bytes > 0 ? len / bytes : 1;
        if (runs >= 0 && n != runs) {
            sh_put_int("qk: input files hold different numbers of runs; input ", i);
            return 2;
        }
        runs = n;
    }
    if (runs < 0) runs = 1; /* a model without inputs runs once */
    for (int o = 0; o < MODEL_NUM_OUTPUTS; ++o) {
        out_fh[o] = open_io("output_", o, 1);
        if (out_fh[o] < 0) {
            sh_put_int("qk: cannot create output_", o);
            return 2;
        }
    }
    sh_put_int("qk: runs ", runs);
    for (int32_t r = 0; r < runs; ++r) {
        model_reset();
        for (int i = 0; i < MODEL_NUM_INPUTS; ++i) {
            if (sh_read(in_fh[i], model_input(i), model_input_bytes(i)) != 0) {
                sh_put_int("qk: short read on input_", i);
                return 2;
            }
        }
        qk_trace_op(-2);
        const int status = model_invoke();
        qk_trace_op(-3);
        if (status != 0) {
            sh_put_int("qk: invoke failed, status ", status);
            sh_put_int("qk: failed op ", model_failed_op());
            return 1;
        }
        for (int o = 0; o < MODEL_NUM_OUTPUTS; ++o) {
            if (sh_write(out_fh[o], model_output(o), model_output_bytes(o)) != 0) {
                sh_put_int("qk: short write on output_", o);
                return 2;
            }
        }
    }
    for (int i = 0; i < MODEL_NUM_INPUTS; ++i) sh_close(in_fh[i]);
    for (int o = 0; o < MODEL_NUM_OUTPUTS; ++o) sh_close(out_fh[o]);
    sh_put_int("qk: stack bytes ", (int32_t)qk_stack_used());
    sh_puts("qk: ok\n");
    return 0;
}
