/* UNIDIRECTIONAL_SEQUENCE_LSTM, fully integer: int8 activations and weights, int32 biases,
 * int16 cell state, as TFLM's standard (no peephole / projection / layer norm / CIFG) kernel.
 *
 * Per time step and per state unit, every gate is
 *   gate = act(sat16(clamp16(requant(Wx.(x - x_zp) + bias)) + clamp16(requant(Wh.(h - h_zp)))))
 * with the gate pre-activations in Q3.12 and the activations (sigmoid; tanh for the cell gate)
 * computed in Q0.15 from the 256-entry sigmoid table TFLite uses for int16 LOGISTIC/TANH.
 * Then
 *   c = sat16(clamp16(requant(f * c)) + clamp16(requant(i * g)))   (clipped to +-clip if enabled)
 *   h = clamp8(h_zp + requant(tanh(c) * o))
 * All gates read the previous h; the new h is written to the output slice and copied into the
 * hidden state at the end of the step. */
#include "qk_internal.h"

#define LSTM_LUT_LEN 256
#define LSTM_GATE_PARAMS 6 /* per gate: x_mult, x_shift, h_mult, h_shift, wx_zp, wh_zp */
#define LSTM_MAX_DEPTH 33000 /* |acc| <= depth * 255 * 255 < 2^31 */

static int32_t lstm_clamp16(int32_t v) { return qk__clamp(v, -32768, 32767); }

/* reference_integer_ops::Logistic (int16): x scaled by mult >> shift, Q3.12 in, Q0.15 out. */
static int16_t lstm_sigmoid(int32_t x, int32_t mult, int32_t shift, const uint16_t *lut) {
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const int32_t v = (int32_t)(((int64_t)x * mult + round) >> shift); /* |.| < 2^31 by the arg checks */
    const uint32_t a = v < 0 ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255) {
        r = (uint32_t)0x7FFF << 10;
    } else {
        const uint32_t ua = lut[uh], ub = lut[uh + 1];
        r = (ua << 9) + (a & 0x1FF) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
    return (int16_t)(r >> 10);
}

/* reference_integer_ops::Tanh (int16), via tanh(x) = 2 sigmoid(2x) - 1 on the same table. */
static int16_t lstm_tanh(int32_t x, int32_t mult, int32_t shift, const uint16_t *lut) {
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const int32_t v = (int32_t)(((int64_t)x * mult + round) >> shift); /* as in lstm_sigmoid */
    const uint32_t a = v < 0 ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255) {
        r = 0xFFFF << 8;
    } else {
        const uint32_t ua = lut[uh], ub = lut[uh + 1];
        r = (int32_t)((ua << 8) + (a & 0xFF) * (ub - ua)); /* < 2^24 */
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

/* sum (w - w_zp) * (x - x_zp); |terms| <= 255 * 255, n <= LSTM_MAX_DEPTH keeps it in int32. */
static int32_t lstm_dot(const int8_t *w, int32_t w_zp, const int8_t *x, int32_t x_zp, int32_t n) {
    int32_t acc = 0;
    for (int32_t k = 0; k < n; ++k) acc += ((int32_t)w[k] - w_zp) * ((int32_t)x[k] - x_zp);
    return acc;
}

typedef struct {
    const int8_t *wx[4], *wh[4]; /* gates in TFLite order: input, forget, cell, output */
    const int32_t *bias[4];
    const int32_t *gp;           /* [4][LSTM_GATE_PARAMS] */
    const uint16_t *lut;
    int32_t n_input, n_state, in_zp, h_zp;
    int32_t fc_mult, fc_shift, ig_mult, ig_shift, hid_mult, hid_shift, tanh_mult, tanh_shift;
    int32_t clip;                /* -1: no clipping */
} lstm_params;

/* Pre-activation of gate g for state unit s: Q3.12, saturated to int16. */
static int32_t lstm_preact(const lstm_params *p, int g, int32_t s, const int8_t *x, const int8_t *h) {
    const int32_t *gp = p->gp + g * LSTM_GATE_PARAMS;
    const int32_t ni = p->n_input, ns = p->n_state;
    int32_t acc = lstm_dot(p->wx[g] + (int64_t)s * ni, gp[4], x, p->in_zp, ni);
    acc = (int32_t)((uint32_t)acc + (uint32_t)p->bias[g][s]); /* int32 wrap-around, as TFLM */
    const int32_t from_x = lstm_clamp16(qk__requant(acc, gp[0], gp[1]));
    acc = lstm_dot(p->wh[g] + (int64_t)s * ns, gp[5], h, p->h_zp, ns);
    const int32_t from_h = lstm_clamp16(qk__requant(acc, gp[2], gp[3]));
    return lstm_clamp16(from_x + from_h);
}

/* One time step over `rows` independent rows of x [rows, n_input], h [rows, n_state] (int8),
 * c [rows, n_state] (int16); the new hidden state goes to out and then into h. */
static void lstm_step(const lstm_params *p, const int8_t *x, int8_t *h, int16_t *c, int8_t *out,
                      int32_t rows) {
    const int32_t ni = p->n_input, ns = p->n_state;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *xr = x + (int64_t)r * ni;
        const int8_t *hr = h + (int64_t)r * ns;
        int16_t *cr = c + (int64_t)r * ns;
        int8_t *outr = out + (int64_t)r * ns;
        for (int32_t s = 0; s < ns; ++s) {
            const int32_t ig = lstm_sigmoid(lstm_preact(p, 0, s, xr, hr), 3, 0, p->lut);
            const int32_t fg = lstm_sigmoid(lstm_preact(p, 1, s, xr, hr), 3, 0, p->lut);
            const int32_t cg = lstm_tanh(lstm_preact(p, 2, s, xr, hr), 3, 0, p->lut);
            /* int16 x int16 products: |.| <= 2^30 */
            const int32_t kept = lstm_clamp16(qk__requant(fg * (int32_t)cr[s], p->fc_mult, p->fc_shift));
            const int32_t added = lstm_clamp16(qk__requant(ig * cg, p->ig_mult, p->ig_shift));
            int32_t cell = lstm_clamp16(kept + added);
            if (p->clip >= 0) cell = qk__clamp(cell, -p->clip, p->clip);
            cr[s] = (int16_t)cell;
            const int32_t og = lstm_sigmoid(lstm_preact(p, 3, s, xr, hr), 3, 0, p->lut);
            const int32_t tc = lstm_tanh(cell, p->tanh_mult, p->tanh_shift, p->lut);
            const int32_t hv = p->h_zp + qk__requant(tc * og, p->hid_mult, p->hid_shift);
            outr[s] = (int8_t)qk__clamp(hv, -128, 127);
        }
    }
    memcpy(h, out, (size_t)rows * (size_t)ns);
}

static int lstm_shift_ok(int32_t shift) { return shift >= -31 && shift <= 30; }

/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM, int8 x int8 -> int8 with int16 cell state (TFLM 8x8_16).
 * args: in, out, h_state, c_state, lut, gate_params,
 *       wx_i, wx_f, wx_c, wx_o, wh_i, wh_f, wh_c, wh_o, bias_i, bias_f, bias_c, bias_o,
 *       batch, time, n_input, n_state, time_major, in_zp, h_zp,
 *       fc_mult, fc_shift (forget x cell), ig_mult, ig_shift (input x cell gate),
 *       hid_mult, hid_shift (tanh(cell) x output -> h), tanh_mult, tanh_shift (cell tanh input
 *       scaling, TFLite's power-of-two form already resolved), cell_clip (-1 none, else >= 0)
 *   in int8 [batch, time, n_input] or [time, batch, n_input] when time_major; out likewise with
 *   n_state; h_state int8 [batch, n_state], c_state int16 [batch, n_state] (both persist);
 *   lut uint16 [256] sigmoid table; gate_params int32 [4][6] (x_mult, x_shift, h_mult, h_shift,
 *   wx_zp, wh_zp) for gates input, forget, cell, output; wx int8 [n_state, n_input],
 *   wh int8 [n_state, n_state], bias int32 [n_state].
 */
QK__EXEC(lstm) {
    if (n_args != 34) return QK_ERR_ARG;
    const int32_t batch = args[18], time = args[19], ni = args[20], ns = args[21];
    const int32_t time_major = args[22];
    lstm_params p;
    p.n_input = ni;
    p.n_state = ns;
    p.in_zp = args[23];
    p.h_zp = args[24];
    p.fc_mult = args[25];
    p.fc_shift = args[26];
    p.ig_mult = args[27];
    p.ig_shift = args[28];
    p.hid_mult = args[29];
    p.hid_shift = args[30];
    p.tanh_mult = args[31];
    p.tanh_shift = args[32];
    p.clip = args[33];
    if (batch < 0 || time < 0 || ni < 0 || ns < 0 || ni > LSTM_MAX_DEPTH || ns > LSTM_MAX_DEPTH)
        return QK_ERR_ARG;
    if (time_major != 0 && time_major != 1) return QK_ERR_ARG;
    if (p.in_zp < -128 || p.in_zp > 127 || p.h_zp < -128 || p.h_zp > 127) return QK_ERR_ARG;
    if (p.fc_mult < 0 || p.ig_mult < 0 || p.hid_mult < 0 || !lstm_shift_ok(p.fc_shift) ||
        !lstm_shift_ok(p.ig_shift) || !lstm_shift_ok(p.hid_shift))
        return QK_ERR_ARG;
    if (p.tanh_mult < 1 || p.tanh_mult > (3 << 14) || p.tanh_shift < 0 || p.tanh_shift > 30)
        return QK_ERR_ARG;
    if (p.clip < -1 || p.clip > 32767) return QK_ERR_ARG;

    const int64_t steps = (int64_t)batch * time;
    const int8_t *in = qk__in(ctx, args[0], steps * ni);
    int8_t *out = qk__out(ctx, args[1], steps * ns);
    int8_t *h = qk__out(ctx, args[2], (int64_t)batch * ns);
    int16_t *c = qk__out(ctx, args[3], 2 * (int64_t)batch * ns);
    p.lut = qk__in(ctx, args[4], 2 * LSTM_LUT_LEN);
    p.gp = qk__in(ctx, args[5], 4 * 4 * LSTM_GATE_PARAMS);
    if (!in || !out || !h || !c || !p.lut || !p.gp) return QK_ERR_ARG;
    for (int g = 0; g < 4; ++g) {
        p.wx[g] = qk__in(ctx, args[6 + g], (int64_t)ns * ni);
        p.wh[g] = qk__in(ctx, args[10 + g], (int64_t)ns * ns);
        p.bias[g] = qk__in(ctx, args[14 + g], 4 * (int64_t)ns);
        if (!p.wx[g] || !p.wh[g] || !p.bias[g]) return QK_ERR_ARG;
        const int32_t *gp = p.gp + g * LSTM_GATE_PARAMS;
        if (gp[0] < 0 || gp[2] < 0 || !lstm_shift_ok(gp[1]) || !lstm_shift_ok(gp[3]) ||
            gp[4] < -128 || gp[4] > 127 || gp[5] < -128 || gp[5] > 127)
            return QK_ERR_ARG;
    }
    /* the sigmoid table must be non-decreasing: the interpolation relies on it */
    for (int k = 1; k < LSTM_LUT_LEN; ++k)
        if (p.lut[k] < p.lut[k - 1]) return QK_ERR_ARG;

    if (time_major) {
        /* [time, batch, *]: one step advances every batch row at once */
        for (int32_t t = 0; t < time; ++t)
            lstm_step(&p, in + (int64_t)t * batch * ni, h, c, out + (int64_t)t * batch * ns, batch);
    } else {
        /* [batch, time, *]: each batch row runs its whole sequence on its own state row */
        for (int32_t b = 0; b < batch; ++b)
            for (int32_t t = 0; t < time; ++t) {
                const int64_t step = (int64_t)b * time + t;
                lstm_step(&p, in + step * ni, h + (int64_t)b * ns, c + (int64_t)b * ns,
                          out + step * ns, 1);
            }
    }
    return QK_OK;
}
