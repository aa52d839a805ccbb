/*
 * TFLM Signal custom ops (the audio front end: window, FFT, energy, mel filter bank, noise
 * reduction, PCAN gain control, log). All integer math, bit-exact with tflite-micro's
 * signal/src reference code, including its wrap-around on int16/uint32 overflow.
 */
#include "qk_internal.h"

/* Two's-complement wrap of an int32 to int16 (C leaves the plain cast implementation-defined). */
static inline int16_t qk__wrap16(int32_t x) {
    const uint32_t u = (uint32_t)x & 0xFFFFu;
    return (int16_t)(u >= 0x8000u ? (int32_t)u - 65536 : (int32_t)u);
}

/* Number of significant bits of x; TFLM's GCC build returns 32 for x == 0 (__builtin_clz). */
static int32_t qk__msb32(uint32_t x) {
    int32_t n = 0;
    if (x == 0) return 32;
    while (x) {
        x >>= 1;
        ++n;
    }
    return n;
}

static int32_t qk__msb64(uint64_t x) {
    int32_t n = 0;
    if (x == 0) return 64;
    while (x) {
        x >>= 1;
        ++n;
    }
    return n;
}

/*
 * SignalWindow: out[i] = sat16((in[i] * w[i % w_n]) >> shift), the window repeated over the input.
 * args: in (int16 [n]), weights (int16 [w_n]), out (int16 [n]), n, w_n, shift
 *   n % w_n == 0, shift in [0, 31]. |in * w| <= 2^30 fits int32.
 */
QK__EXEC(signal_window) {
    if (n_args != 6) return QK_ERR_ARG;
    const int32_t n = args[3], w_n = args[4], shift = args[5];
    if (n < 0 || w_n <= 0 || n % w_n != 0 || shift < 0 || shift > 31) return QK_ERR_ARG;
    const int16_t *in = qk__in(ctx, args[0], 2 * (int64_t)n);
    const int16_t *w = qk__in(ctx, args[1], 2 * (int64_t)w_n);
    int16_t *out = qk__out(ctx, args[2], 2 * (int64_t)n);
    if (!in || !w || !out) return QK_ERR_ARG;
    for (int32_t base = 0; base < n; base += w_n) {
        for (int32_t i = 0; i < w_n; ++i) {
            const int32_t raw = ((int32_t)in[base + i] * w[i]) >> shift;
            out[base + i] = (int16_t)qk__clamp(raw, INT16_MIN, INT16_MAX);
        }
    }
    return QK_OK;
}

/*
 * SignalFftAutoScale: shift the frame left as far as its peak allows; report the shift.
 * args: in (int16 [n]), out (int16 [n]), scale_bits (int32 scalar), n
 * TFLM's MaxAbs16 keeps its running max in an int16, so -32768 wraps to itself; reproduced.
 */
QK__EXEC(signal_fft_auto_scale) {
    if (n_args != 4) return QK_ERR_ARG;
    const int32_t n = args[3];
    if (n < 0) return QK_ERR_ARG;
    const int16_t *in = qk__in(ctx, args[0], 2 * (int64_t)n);
    int16_t *out = qk__out(ctx, args[1], 2 * (int64_t)n);
    int32_t *scale_out = qk__out(ctx, args[2], 4);
    if (!in || !out || !scale_out) return QK_ERR_ARG;
    int16_t max = 0;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = in[i];
        if (v > max) max = (int16_t)v;
        else if (-v > max) max = qk__wrap16(-v);
    }
    int32_t scale_bits = 16 - qk__msb32((uint32_t)(int32_t)max) - 1;
    if (scale_bits <= 0) scale_bits = 0;
    for (int32_t i = 0; i < n; ++i) out[i] = qk__wrap16(in[i] * (1 << scale_bits));
    *scale_out = scale_bits;
    return QK_OK;
}

/* ---- kissfft v130, FIXED_POINT=16 (what TFLM's int16 RFFT runs), forward transform only ---- */

typedef struct {
    int16_t r, i;
} qk__cpx;

static inline qk__cpx qk__ld(const int16_t *p, int32_t k) {
    qk__cpx c;
    c.r = p[2 * k];
    c.i = p[2 * k + 1];
    return c;
}

static inline void qk__st(int16_t *p, int32_t k, qk__cpx c) {
    p[2 * k] = c.r;
    p[2 * k + 1] = c.i;
}

/* sround(x) = (x + 2^14) >> 15, truncated to int16; |x| < 2^31 - 2^14 in every use below. */
static inline int16_t qk__sround(int32_t x) { return qk__wrap16((x + (1 << 14)) >> 15); }
static inline int16_t qk__smul(int16_t a, int32_t b) { return qk__sround((int32_t)a * b); }

static inline qk__cpx qk__cmul(qk__cpx a, qk__cpx b) {
    qk__cpx m;
    m.r = qk__sround((int32_t)a.r * b.r - (int32_t)a.i * b.i);
    m.i = qk__sround((int32_t)a.r * b.i + (int32_t)a.i * b.r);
    return m;
}

/* C_FIXDIV: multiply by (32767 / div) in Q15. */
static inline qk__cpx qk__fixdiv(qk__cpx c, int32_t div) {
    const int32_t k = 32767 / div;
    c.r = qk__smul(c.r, k);
    c.i = qk__smul(c.i, k);
    return c;
}

static inline qk__cpx qk__cadd(qk__cpx a, qk__cpx b) {
    qk__cpx c;
    c.r = qk__wrap16(a.r + b.r);
    c.i = qk__wrap16(a.i + b.i);
    return c;
}

static inline qk__cpx qk__csub(qk__cpx a, qk__cpx b) {
    qk__cpx c;
    c.r = qk__wrap16(a.r - b.r);
    c.i = qk__wrap16(a.i - b.i);
    return c;
}

static void qk__bfly2(int16_t *f, int32_t fstride, const int16_t *tw, int32_t m) {
    for (int32_t k = 0; k < m; ++k) {
        qk__cpx a = qk__fixdiv(qk__ld(f, k), 2), b = qk__fixdiv(qk__ld(f, k + m), 2);
        const qk__cpx t = qk__cmul(b, qk__ld(tw, k * fstride));
        qk__st(f, k + m, qk__csub(a, t));
        qk__st(f, k, qk__cadd(a, t));
    }
}

static void qk__bfly3(int16_t *f, int32_t fstride, const int16_t *tw, int32_t m) {
    const qk__cpx epi3 = qk__ld(tw, fstride * m);
    for (int32_t k = 0; k < m; ++k) {
        qk__cpx f0 = qk__fixdiv(qk__ld(f, k), 3);
        const qk__cpx f1 = qk__fixdiv(qk__ld(f, k + m), 3);
        const qk__cpx f2 = qk__fixdiv(qk__ld(f, k + 2 * m), 3);
        const qk__cpx s1 = qk__cmul(f1, qk__ld(tw, k * fstride));
        const qk__cpx s2 = qk__cmul(f2, qk__ld(tw, 2 * k * fstride));
        const qk__cpx s3 = qk__cadd(s1, s2);
        qk__cpx s0 = qk__csub(s1, s2);
        qk__cpx o1, o2;
        o1.r = qk__wrap16(f0.r - (s3.r >> 1));
        o1.i = qk__wrap16(f0.i - (s3.i >> 1));
        s0.r = qk__smul(s0.r, epi3.i);
        s0.i = qk__smul(s0.i, epi3.i);
        f0 = qk__cadd(f0, s3);
        o2.r = qk__wrap16(o1.r + s0.i);
        o2.i = qk__wrap16(o1.i - s0.r);
        o1.r = qk__wrap16(o1.r - s0.i);
        o1.i = qk__wrap16(o1.i + s0.r);
        qk__st(f, k, f0);
        qk__st(f, k + m, o1);
        qk__st(f, k + 2 * m, o2);
    }
}

static void qk__bfly4(int16_t *f, int32_t fstride, const int16_t *tw, int32_t m) {
    for (int32_t k = 0; k < m; ++k) {
        qk__cpx f0 = qk__fixdiv(qk__ld(f, k), 4);
        const qk__cpx f1 = qk__fixdiv(qk__ld(f, k + m), 4);
        const qk__cpx f2 = qk__fixdiv(qk__ld(f, k + 2 * m), 4);
        const qk__cpx f3 = qk__fixdiv(qk__ld(f, k + 3 * m), 4);
        const qk__cpx s0 = qk__cmul(f1, qk__ld(tw, k * fstride));
        const qk__cpx s1 = qk__cmul(f2, qk__ld(tw, 2 * k * fstride));
        const qk__cpx s2 = qk__cmul(f3, qk__ld(tw, 3 * k * fstride));
        const qk__cpx s5 = qk__csub(f0, s1);
        f0 = qk__cadd(f0, s1);
        const qk__cpx s3 = qk__cadd(s0, s2);
        const qk__cpx s4 = qk__csub(s0, s2);
        qk__cpx o1, o3;
        qk__st(f, k + 2 * m, qk__csub(f0, s3));
        f0 = qk__cadd(f0, s3);
        o1.r = qk__wrap16(s5.r + s4.i);
        o1.i = qk__wrap16(s5.i - s4.r);
        o3.r = qk__wrap16(s5.r - s4.i);
        o3.i = qk__wrap16(s5.i + s4.r);
        qk__st(f, k, f0);
        qk__st(f, k + m, o1);
        qk__st(f, k + 3 * m, o3);
    }
}

static void qk__bfly5(int16_t *f, int32_t fstride, const int16_t *tw, int32_t m) {
    const qk__cpx ya = qk__ld(tw, fstride * m), yb = qk__ld(tw, 2 * fstride * m);
    for (int32_t u = 0; u < m; ++u) {
        qk__cpx s[13];
        qk__cpx f0 = qk__fixdiv(qk__ld(f, u), 5);
        const qk__cpx f1 = qk__fixdiv(qk__ld(f, u + m), 5);
        const qk__cpx f2 = qk__fixdiv(qk__ld(f, u + 2 * m), 5);
        const qk__cpx f3 = qk__fixdiv(qk__ld(f, u + 3 * m), 5);
        const qk__cpx f4 = qk__fixdiv(qk__ld(f, u + 4 * m), 5);
        s[0] = f0;
        s[1] = qk__cmul(f1, qk__ld(tw, u * fstride));
        s[2] = qk__cmul(f2, qk__ld(tw, 2 * u * fstride));
        s[3] = qk__cmul(f3, qk__ld(tw, 3 * u * fstride));
        s[4] = qk__cmul(f4, qk__ld(tw, 4 * u * fstride));
        s[7] = qk__cadd(s[1], s[4]);
        s[10] = qk__csub(s[1], s[4]);
        s[8] = qk__cadd(s[2], s[3]);
        s[9] = qk__csub(s[2], s[3]);
        f0.r = qk__wrap16(f0.r + (s[7].r + s[8].r));
        f0.i = qk__wrap16(f0.i + (s[7].i + s[8].i));
        s[5].r = qk__wrap16(s[0].r + qk__smul(s[7].r, ya.r) + qk__smul(s[8].r, yb.r));
        s[5].i = qk__wrap16(s[0].i + qk__smul(s[7].i, ya.r) + qk__smul(s[8].i, yb.r));
        s[6].r = qk__wrap16(qk__smul(s[10].i, ya.i) + qk__smul(s[9].i, yb.i));
        s[6].i = qk__wrap16(-qk__smul(s[10].r, ya.i) - qk__smul(s[9].r, yb.i));
        qk__st(f, u, f0);
        qk__st(f, u + m, qk__csub(s[5], s[6]));
        qk__st(f, u + 4 * m, qk__cadd(s[5], s[6]));
        s[11].r = qk__wrap16(s[0].r + qk__smul(s[7].r, yb.r) + qk__smul(s[8].r, ya.r));
        s[11].i = qk__wrap16(s[0].i + qk__smul(s[7].i, yb.r) + qk__smul(s[8].i, ya.r));
        s[12].r = qk__wrap16(-qk__smul(s[10].i, yb.i) + qk__smul(s[9].i, ya.i));
        s[12].i = qk__wrap16(qk__smul(s[10].r, yb.i) - qk__smul(s[9].r, ya.i));
        qk__st(f, u + 2 * m, qk__cadd(s[11], s[12]));
        qk__st(f, u + 3 * m, qk__csub(s[11], s[12]));
    }
}

/* kf_work: out gets the DFT of in[0], in[fstride], ... (p * m points); recursion depth is the
 * number of factors (<= 16 for any int32 length). */
static void qk__kf_work(int16_t *out, const int16_t *in, int32_t fstride, const int32_t *factors,
                        const int16_t *tw) {
    const int32_t p = factors[0], m = factors[1];
    if (m == 1) {
        for (int32_t q = 0; q < p; ++q) qk__st(out, q, qk__ld(in, q * fstride));
    } else {
        for (int32_t q = 0; q < p; ++q)
            qk__kf_work(out + 2 * q * m, in + 2 * q * fstride, fstride * p, factors + 2, tw);
    }
    switch (p) {
    case 2: qk__bfly2(out, fstride, tw, m); break;
    case 3: qk__bfly3(out, fstride, tw, m); break;
    case 4: qk__bfly4(out, fstride, tw, m); break;
    default: qk__bfly5(out, fstride, tw, m); break;
    }
}

/*
 * SignalRfft, int16: per batch, zero-pad the frame to fft_length and run kissfft's real FFT.
 * args: in (int16 [batches, in_len]), out (int16 [batches, 2 * (fft_length/2 + 1)]),
 *       twiddles (int16 [ncfft, 2]), super_twiddles (int16 [ncfft/2, 2]),
 *       factors (int32 [n_factors, 2]: radix p in {2,3,4,5}, remaining length m), scratch
 *       (int16 [2 * fft_length]), batches, in_len, fft_length, n_factors
 *   ncfft = fft_length / 2; the factors were checked by lowering (product of p == ncfft).
 */
QK__EXEC(signal_rfft) {
    if (n_args != 10) return QK_ERR_ARG;
    const int32_t batches = args[6], in_len = args[7], fft_len = args[8], n_factors = args[9];
    if (batches < 0 || in_len < 0 || fft_len < 4 || (fft_len & 1) || in_len > fft_len ||
        n_factors < 1 || n_factors > 32)
        return QK_ERR_ARG;
    const int32_t ncfft = fft_len / 2, out_len = 2 * (ncfft + 1);
    const int16_t *in = qk__in(ctx, args[0], 2 * (int64_t)batches * in_len);
    int16_t *out = qk__out(ctx, args[1], 2 * (int64_t)batches * out_len);
    const int16_t *tw = qk__in(ctx, args[2], 4 * (int64_t)ncfft);
    const int16_t *stw = qk__in(ctx, args[3], 4 * (int64_t)(ncfft / 2));
    const int32_t *factors = qk__in(ctx, args[4], 8 * (int64_t)n_factors);
    int16_t *scratch = qk__out(ctx, args[5], 4 * (int64_t)fft_len);
    if (!in || !out || !tw || (ncfft / 2 > 0 && !stw) || !factors || !scratch) return QK_ERR_ARG;
    /* the factor chain must multiply out to ncfft (it bounds every twiddle and buffer index) */
    int64_t len = ncfft;
    for (int32_t s = 0; s < n_factors; ++s) {
        const int32_t p = factors[2 * s], m = factors[2 * s + 1];
        if (p < 2 || p > 5 || len % p != 0 || m != len / p) return QK_ERR_ARG;
        len = m;
    }
    if (len != 1) return QK_ERR_ARG;
    int16_t *work = scratch, *tmp = scratch + fft_len;
    for (int32_t b = 0; b < batches; ++b) {
        int16_t *fout = out + (int64_t)b * out_len;
        memcpy(work, in + (int64_t)b * in_len, 2 * (size_t)in_len);
        memset(work + in_len, 0, 2 * (size_t)(fft_len - in_len));
        qk__kf_work(tmp, work, 1, factors, tw);
        /* split the packed complex FFT of even/odd samples into the real FFT */
        const qk__cpx tdc = qk__fixdiv(qk__ld(tmp, 0), 2);
        fout[0] = qk__wrap16(tdc.r + tdc.i);
        fout[1] = 0;
        fout[2 * ncfft] = qk__wrap16(tdc.r - tdc.i);
        fout[2 * ncfft + 1] = 0;
        for (int32_t k = 1; k <= ncfft / 2; ++k) {
            qk__cpx fpk = qk__ld(tmp, k), fpnk = qk__ld(tmp, ncfft - k), a, c;
            fpnk.i = qk__wrap16(-fpnk.i);
            fpk = qk__fixdiv(fpk, 2);
            fpnk = qk__fixdiv(fpnk, 2);
            const qk__cpx f1k = qk__cadd(fpk, fpnk), f2k = qk__csub(fpk, fpnk);
            const qk__cpx t = qk__cmul(f2k, qk__ld(stw, k - 1));
            a.r = qk__wrap16((f1k.r + t.r) >> 1);
            a.i = qk__wrap16((f1k.i + t.i) >> 1);
            c.r = qk__wrap16((f1k.r - t.r) >> 1);
            c.i = qk__wrap16((t.i - f1k.i) >> 1);
            qk__st(fout, k, a);
            qk__st(fout, ncfft - k, c);
        }
    }
    return QK_OK;
}

/*
 * SignalEnergy: out[i] = re^2 + im^2 (uint32, wrapping like TFLM's int32 sum) for start <= i < end;
 * TFLM leaves the other outputs unwritten, we write 0 there.
 * args: in (int16 [n, 2]), out (uint32 [n]), n, start, end   (0 <= start <= end <= n)
 */
QK__EXEC(signal_energy) {
    if (n_args != 5) return QK_ERR_ARG;
    const int32_t n = args[2], start = args[3], end = args[4];
    if (n < 0 || start < 0 || start > end || end > n) return QK_ERR_ARG;
    const int16_t *in = qk__in(ctx, args[0], 4 * (int64_t)n);
    uint32_t *out = qk__out(ctx, args[1], 4 * (int64_t)n);
    if (!in || !out) return QK_ERR_ARG;
    for (int32_t i = 0; i < n; ++i) {
        if (i < start || i >= end) {
            out[i] = 0;
            continue;
        }
        const int32_t re = in[2 * i], im = in[2 * i + 1];
        out[i] = (uint32_t)(re * re) + (uint32_t)(im * im); /* each square <= 2^30 */
    }
    return QK_OK;
}

/*
 * SignalFilterBank: triangular mel channels as running weighted sums (uint64, wrapping).
 * args: in (uint32 [n_in]), weights, unweights (int16 [n_w]), freq_starts, weight_starts,
 *       widths (int16 [n_ch + 1]), out (uint64 [n_ch]), n_in, n_w, n_ch
 * Channel 0 of TFLM's n_ch + 1 accumulators is scratch; out gets channels 1..n_ch.
 */
QK__EXEC(signal_filter_bank) {
    if (n_args != 10) return QK_ERR_ARG;
    const int32_t n_in = args[7], n_w = args[8], n_ch = args[9];
    if (n_in < 0 || n_w < 0 || n_ch < 0 || n_ch == INT32_MAX) return QK_ERR_ARG;
    const uint32_t *in = qk__in(ctx, args[0], 4 * (int64_t)n_in);
    const int16_t *w = qk__in(ctx, args[1], 2 * (int64_t)n_w);
    const int16_t *uw = qk__in(ctx, args[2], 2 * (int64_t)n_w);
    const int16_t *fstart = qk__in(ctx, args[3], 2 * ((int64_t)n_ch + 1));
    const int16_t *wstart = qk__in(ctx, args[4], 2 * ((int64_t)n_ch + 1));
    const int16_t *width = qk__in(ctx, args[5], 2 * ((int64_t)n_ch + 1));
    uint64_t *out = qk__out(ctx, args[6], 8 * (int64_t)n_ch);
    if (!in || !w || !uw || !fstart || !wstart || !width || !out) return QK_ERR_ARG;
    uint64_t acc = 0, unacc = 0;
    for (int32_t c = 0; c <= n_ch; ++c) {
        const int32_t fs = fstart[c], ws = wstart[c], wd = width[c];
        if (wd > 0 && (fs < 0 || ws < 0 || fs + wd > n_in || ws + wd > n_w)) return QK_ERR_ARG;
        for (int32_t j = 0; j < wd; ++j) {
            const uint64_t x = in[fs + j];
            acc += (uint64_t)(int64_t)w[ws + j] * x;
            unacc += (uint64_t)(int64_t)uw[ws + j] * x;
        }
        if (c > 0) out[c - 1] = acc;
        acc = unacc;
        unacc = 0;
    }
    return QK_OK;
}

/* TFLM's Sqrt32: bitwise integer square root, rounded, as uint16. */
static uint32_t qk__sqrt32(uint32_t num) {
    if (num == 0) return 0;
    uint32_t res = 0;
    const int32_t max_bit = (32 - qk__msb32(num)) | 1;
    uint32_t bit = (uint32_t)1 << (31 - max_bit);
    for (int32_t it = (31 - max_bit) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFF) ++res;
    return res & 0xFFFFu;
}

/* TFLM's Sqrt64: Sqrt32 when the value fits 32 bits, else the 64-bit loop (result mod 2^32). */
static uint32_t qk__sqrt64(uint64_t num) {
    if ((num >> 32) == 0) return qk__sqrt32((uint32_t)num);
    uint64_t res = 0;
    const int32_t max_bit = (64 - qk__msb64(num)) | 1;
    uint64_t bit = (uint64_t)1 << (63 - max_bit);
    for (int32_t it = (63 - max_bit) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFFFFFu) ++res;
    return (uint32_t)res;
}

/*
 * SignalFilterBankSquareRoot: out[i] = Sqrt64(in[i]) >> scale_bits.
 * args: in (uint64 [n]), scale_bits (int32 scalar, read at run time, must be in [0, 31]),
 *       out (uint32 [n]), n
 */
QK__EXEC(signal_filter_bank_sqrt) {
    if (n_args != 4) return QK_ERR_ARG;
    const int32_t n = args[3];
    if (n < 0) return QK_ERR_ARG;
    const uint64_t *in = qk__in(ctx, args[0], 8 * (int64_t)n);
    const int32_t *scale = qk__in(ctx, args[1], 4);
    uint32_t *out = qk__out(ctx, args[2], 4 * (int64_t)n);
    if (!in || !scale || !out) return QK_ERR_ARG;
    const int32_t s = *scale;
    if (s < 0 || s > 31) return QK_ERR_ARG;
    for (int32_t i = 0; i < n; ++i) out[i] = qk__sqrt64(in[i]) >> s;
    return QK_OK;
}

/*
 * SignalFilterBankSpectralSubtraction: per-channel low-pass noise estimate (kept in `state`
 * between invokes; zeroed on reset), subtracted from the signal with a floor.
 * args: in (uint32 [n]), out (uint32 [n]), noise_out (uint32 [n]), state (uint32 [n]), n,
 *       smoothing, one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing,
 *       min_signal_remaining (all used as uint32), smoothing_bits in [0, 31],
 *       spectral_subtraction_bits in [0, 63], clamping (0/1)
 */
QK__EXEC(signal_filter_bank_spectral_subtraction) {
    if (n_args != 13) return QK_ERR_ARG;
    const int32_t n = args[4];
    const uint32_t smooth = (uint32_t)args[5], one_minus = (uint32_t)args[6];
    const uint32_t alt_smooth = (uint32_t)args[7], alt_one_minus = (uint32_t)args[8];
    const uint32_t min_remaining = (uint32_t)args[9];
    const int32_t smoothing_bits = args[10], ss_bits = args[11], clamping = args[12];
    if (n < 0 || smoothing_bits < 0 || smoothing_bits > 31 || ss_bits < 0 || ss_bits > 63)
        return QK_ERR_ARG;
    const uint32_t *in = qk__in(ctx, args[0], 4 * (int64_t)n);
    uint32_t *out = qk__out(ctx, args[1], 4 * (int64_t)n);
    uint32_t *noise_out = qk__out(ctx, args[2], 4 * (int64_t)n);
    uint32_t *noise = qk__out(ctx, args[3], 4 * (int64_t)n);
    if (!in || !out || !noise_out || !noise) return QK_ERR_ARG;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t s = (i & 1) ? alt_smooth : smooth;
        const uint32_t oms = (i & 1) ? alt_one_minus : one_minus;
        const uint32_t x = in[i];
        const uint32_t up = x << smoothing_bits;
        noise[i] = (uint32_t)(((uint64_t)up * s + (uint64_t)noise[i] * oms) >> ss_bits);
        uint32_t est = noise[i];
        if (est > up) {
            est = up;
            if (clamping) noise[i] = est;
        }
        const uint32_t floor_v = (uint32_t)(((uint64_t)x * min_remaining) >> ss_bits);
        const uint32_t sub = (up - est) >> smoothing_bits;
        out[i] = sub > floor_v ? sub : floor_v;
    }
    memcpy(noise_out, noise, 4 * (size_t)n);
    return QK_OK;
}

/* TFLM's WideDynamicFunction: piecewise-quadratic gain from a 125-entry LUT. */
static uint32_t qk__pcan_gain(uint32_t x, const int16_t *lut) {
    if (x <= 2) return (uint32_t)(int32_t)lut[x];
    const int32_t interval = qk__msb32(x); /* 2..32 */
    const int16_t *l = lut + 4 * interval - 6;
    const uint32_t fr = interval < 11 ? x << (11 - interval) : x >> (interval - 11);
    const int32_t frac = (int32_t)(fr & 0x3FF);
    /* int32 math as TFLM; the sums stay below 2^31 for any int16 LUT since frac < 2^10 */
    int32_t result = ((int32_t)l[2] * frac) >> 5;
    result = (int32_t)((uint32_t)result + ((uint32_t)(int32_t)l[1] << 5));
    result = (int32_t)((uint32_t)result * (uint32_t)frac);
    result = (int32_t)((uint32_t)result + (1u << 14)) >> 15;
    result += l[0];
    return (uint32_t)(int32_t)qk__wrap16(result);
}

/*
 * SignalPCAN: per-channel automatic gain control from the noise estimate, then PcanShrink.
 * args: in (uint32 [n]), noise (uint32 [n]), gain_lut (int16 [lut_n >= 125]), out (uint32 [n]),
 *       n, lut_n, snr_shift in [0, 63]
 */
QK__EXEC(signal_pcan) {
    if (n_args != 7) return QK_ERR_ARG;
    const int32_t n = args[4], lut_n = args[5], snr_shift = args[6];
    if (n < 0 || lut_n < 125 || snr_shift < 0 || snr_shift > 63) return QK_ERR_ARG;
    const uint32_t *in = qk__in(ctx, args[0], 4 * (int64_t)n);
    const uint32_t *noise = qk__in(ctx, args[1], 4 * (int64_t)n);
    const int16_t *lut = qk__in(ctx, args[2], 2 * (int64_t)lut_n);
    uint32_t *out = qk__out(ctx, args[3], 4 * (int64_t)n);
    if (!in || !noise || !lut || !out) return QK_ERR_ARG;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t gain = qk__pcan_gain(noise[i], lut);
        const uint32_t snr = (uint32_t)(((uint64_t)in[i] * gain) >> snr_shift);
        /* PcanShrink: x^2/4 below 2.0 (x in Q12, result Q6), else x - 1 */
        out[i] = snr < (2u << 12) ? (snr * snr) >> 20 : (snr >> 6) - (1u << 6);
    }
    return QK_OK;
}

/* TFLM's kLogLut: log2(1 + x) - x correction over 128 segments, Q16. */
static const uint16_t qk__log_lut[130] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646,
    2797, 2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460,
    4549, 4633, 4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408,
    5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633,
    5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249,
    5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341,
    4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981,
    2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224,
    1094, 963,  830,  695,  559,  421,  282,  142,  0,    0};

/* TFLM's Log32: natural log of x (x >= 2) in Q16, times out_scale / 2^16 (uint32 math). */
static uint32_t qk__log32(uint32_t x, uint32_t out_scale) {
    const int32_t integer = qk__msb32(x) - 1; /* 1..31 */
    int32_t frac = (int32_t)(x - ((uint32_t)1 << integer)); /* < 2^31 */
    if (integer < 16) frac = (int32_t)((uint32_t)frac << (16 - integer));
    else frac >>= integer - 16;
    const uint32_t seg = (uint32_t)frac >> 9; /* < 128 */
    const int32_t c0 = qk__log_lut[seg], c1 = qk__log_lut[seg + 1];
    const int32_t rel = ((c1 - c0) * (frac - (int32_t)(512 * seg))) >> 16;
    const uint32_t fraction = (uint32_t)frac + (uint32_t)c0 + (uint32_t)rel;
    const uint32_t log2 = ((uint32_t)integer << 16) + fraction;
    const uint32_t loge = (uint32_t)(((uint64_t)45426 * log2 + 32768) >> 16);
    return (out_scale * loge + 32768u) >> 16;
}

/*
 * SignalFilterBankLog: out[i] = min(Log32(in[i] << correction_bits, output_scale), 32767), 0 for
 * inputs <= 1 after the shift.
 * args: in (uint32 [n]), out (int16 [n]), n, output_scale (used as uint32), correction_bits [0,31]
 */
QK__EXEC(signal_filter_bank_log) {
    if (n_args != 5) return QK_ERR_ARG;
    const int32_t n = args[2], bits = args[4];
    const uint32_t scale = (uint32_t)args[3];
    if (n < 0 || bits < 0 || bits > 31) return QK_ERR_ARG;
    const uint32_t *in = qk__in(ctx, args[0], 4 * (int64_t)n);
    int16_t *out = qk__out(ctx, args[1], 2 * (int64_t)n);
    if (!in || !out) return QK_ERR_ARG;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t scaled = in[i] << bits;
        if (scaled > 1) {
            const uint32_t v = qk__log32(scaled, scale);
            out[i] = (int16_t)(v < 32767u ? v : 32767u);
        } else {
            out[i] = 0;
        }
    }
    return QK_OK;
}
