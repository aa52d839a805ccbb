/* Elementwise: ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM, QUANTIZE, DEQUANTIZE, CAST.
 *
 * Semantics follow TFLM's reference kernels (add.cc, sub.cc, mul.cc, div.cc, maximum_minimum.cc,
 * quantize.cc, dequantize.cc, cast.cc). Every multiplier and shift is precomputed by the Python
 * lowering (interp/ops/eltwise.py) exactly as TFLM computes it at Prepare time.
 */
#include "qk_internal.h"
#include "qk_simd.h"
#include "qk_arm.h"

/* TensorType codes for unsigned types qk.h does not name (same numbering as qk.h's enum). */
#define QK__U32 15
#define QK__U16 16

#define QK__MAX_DIMS 6

/* ---------------------------------------------------------------------------------------------
 * Binary ops with NumPy-style broadcasting.
 *
 * Common header of every binary op's args (QK__BIN_HDR words):
 *   [0] in1  [1] in2  [2] out  [3] dtype (inputs and output share it)
 *   [4..9]   output dims, 6-D, left-padded with 1s (the lowering may merge dims that both
 *            inputs walk alike, so this is a view of the output, not its declared shape)
 *   [10..15] in1 element strides per output dim (0 where in1 broadcasts)
 *   [16..21] in2 element strides per output dim (0 where in2 broadcasts)
 * followed by the op's own parameters (documented at each exec function).
 * ------------------------------------------------------------------------------------------- */
#define QK__BIN_HDR 22

typedef struct {
    int32_t in1_off, in2_off, out_off; /* -zero points of the inputs, zero point of the output */
    int32_t left_shift;                /* ADD/SUB: 20 (int8) or 15 (int16) */
    int32_t m1, s1, m2, s2;            /* ADD/SUB input multipliers (shift <= 0) */
    int32_t mo, so;                    /* output multiplier and shift */
    int32_t act_min, act_max;          /* integer activation range */
    float f_min, f_max;                /* float activation range */
    int32_t sub;                       /* ADD/SUB: 1 = subtract */
} qk__binp;

typedef void (*qk__row_fn)(const void *a, int32_t sa, const void *b, int32_t sb, void *o,
                           int32_t n, const qk__binp *p);

static float qk__f32_from_bits(int32_t bits) {
    float f;
    uint32_t u = (uint32_t)bits;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double qk__f64_from_words(int32_t lo, int32_t hi) {
    const uint64_t u = (uint64_t)(uint32_t)lo | ((uint64_t)(uint32_t)hi << 32);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Elements spanned by a strided view of `dims`: 1 + sum (d-1)*stride, or -1 if a param is bad. */
static int64_t qk__extent(const int32_t *dims, const int32_t *strides, int64_t count) {
    if (count == 0) return 0;
    int64_t last = 0;
    for (int32_t k = 0; k < QK__MAX_DIMS; ++k) {
        if (strides[k] < 0) return -1;
        last += (int64_t)(dims[k] - 1) * strides[k];
    }
    return last + 1;
}

/* Walk the 6-D output row by row (innermost dim), handing each row to `row`. */
static qk_status qk__binary(const qk_ctx *ctx, const int32_t *args, int32_t esize, qk__row_fn row,
                            const qk__binp *p) {
    const int32_t *dims = args + 4, *st1 = args + 10, *st2 = args + 16;
    const int64_t count = qk__count(dims, QK__MAX_DIMS);
    if (count < 0) return QK_ERR_ARG;
    const int64_t ext1 = qk__extent(dims, st1, count), ext2 = qk__extent(dims, st2, count);
    if (ext1 < 0 || ext2 < 0 || ext1 > INT32_MAX || ext2 > INT32_MAX) return QK_ERR_ARG;
    const uint8_t *in1 = qk__in(ctx, args[0], ext1 * esize);
    const uint8_t *in2 = qk__in(ctx, args[1], ext2 * esize);
    uint8_t *out = qk__out(ctx, args[2], count * esize);
    if (!in1 || !in2 || !out) return QK_ERR_ARG;
    if (count == 0) return QK_OK;
    const int32_t inner = dims[QK__MAX_DIMS - 1];
    const int64_t rows = count / inner;
    int32_t idx[QK__MAX_DIMS - 1] = {0, 0, 0, 0, 0};
    for (int64_t r = 0; r < rows; ++r) {
        int64_t o1 = 0, o2 = 0;
        for (int32_t k = 0; k < QK__MAX_DIMS - 1; ++k) {
            o1 += (int64_t)idx[k] * st1[k];
            o2 += (int64_t)idx[k] * st2[k];
        }
        row(in1 + o1 * esize, st1[QK__MAX_DIMS - 1], in2 + o2 * esize, st2[QK__MAX_DIMS - 1],
            out + r * inner * esize, inner, p);
        for (int32_t k = QK__MAX_DIMS - 2; k >= 0; --k) {
            if (++idx[k] < dims[k]) break;
            idx[k] = 0;
        }
    }
    return QK_OK;
}

/* A row loop over element type T computing `o[i] = EXPR(x, y)`. */
#define QK__ROW(name, T, EXPR)                                                                  \
    static void name(const void *a_, int32_t sa, const void *b_, int32_t sb, void *o_,        \
                     int32_t n, const qk__binp *p) {                                          \
        const T *a = (const T *)a_;                                                           \
        const T *b = (const T *)b_;                                                           \
        T *o = (T *)o_;                                                                       \
        (void)p;                                                                              \
        for (int32_t i = 0; i < n; ++i) {                                                     \
            const T x = a[(int64_t)i * sa];                                                   \
            const T y = b[(int64_t)i * sb];                                                   \
            o[i] = (T)(EXPR);                                                                 \
        }                                                                                     \
    }

/* TFLM's ActivationFunctionWithMinMax for floats: std::min(std::max(x, lo), hi) (NaN passes). */
static float qk__fact(float x, const qk__binp *p) {
    x = (x < p->f_min) ? p->f_min : x;
    return (p->f_max < x) ? p->f_max : x;
}

static int32_t qk__iact(int32_t x, const qk__binp *p) {
    return qk__clamp(x, p->act_min, p->act_max);
}

/* int32 arithmetic wraps, as TFLM's does in practice (no UB here: done in uint32). */
static int32_t qk__wrap_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t qk__wrap_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static int32_t qk__wrap_mul(int32_t a, int32_t b) {
    return (int32_t)(uint32_t)((uint64_t)(int64_t)a * (uint64_t)(int64_t)b);
}

/* ADD/SUB quantized element (TFLM AddElementwise / SubElementwise): inputs rescaled to a common
 * scale with `left_shift` bits of headroom. |input + offset| <= 65535, so the shifted value is
 * < 2^31 for left_shift 15 (int16) and < 2^29 for left_shift 20 (int8 offsets <= 256). */
static int32_t qk__addsub_q(int32_t a, int32_t b, const qk__binp *p) {
    const int32_t x1 = (int32_t)((uint32_t)(a + p->in1_off) << p->left_shift);
    const int32_t x2 = (int32_t)((uint32_t)(b + p->in2_off) << p->left_shift);
    const int32_t y1 = qk__requant(x1, p->m1, p->s1); /* multipliers <= 0.5: |y| < 2^30 */
    const int32_t y2 = qk__requant(x2, p->m2, p->s2);
    const int32_t raw = p->sub ? y1 - y2 : y1 + y2;
    return qk__iact(qk__requant(raw, p->mo, p->so) + p->out_off, p);
}

QK__ROW(qk__row_addsub_i8, int8_t, qk__addsub_q(x, y, p))
QK__ROW(qk__row_addsub_i16, int16_t, qk__addsub_q(x, y, p))
QK__ROW(qk__row_addsub_i32, int32_t,
        qk__iact(p->sub ? qk__wrap_sub(x, y) : qk__wrap_add(x, y), p))
QK__ROW(qk__row_addsub_f32, float, qk__fact(p->sub ? x - y : x + y, p))

#if QK_SIMD_VNNI
/* Host SIMD int8 ADD/SUB row (contiguous in1; in2 contiguous or one broadcast value): 16
 * elements at a time through qk__addsub_q's steps, each qk__requant as qk__rq16 (the exec
 * function checks multipliers >= 0 and shifts in [-31, 0], where the two agree). Other strides
 * take qk__row_addsub_i8. */
static void qk__row_addsub_i8_simd(const void *a_, int32_t sa, const void *b_, int32_t sb,
                                   void *o_, int32_t n, const qk__binp *p) {
    if (sa != 1 || (sb != 1 && sb != 0)) {
        qk__row_addsub_i8(a_, sa, b_, sb, o_, n, p);
        return;
    }
    const int8_t *a = (const int8_t *)a_, *b = (const int8_t *)b_;
    int8_t *o = (int8_t *)o_;
    const qk__rq16_params r1 = qk__rq16_set(p->m1, p->s1), r2 = qk__rq16_set(p->m2, p->s2);
    const qk__rq16_params ro = qk__rq16_set(p->mo, p->so);
    const __m512i off1 = _mm512_set1_epi32(p->in1_off), off2 = _mm512_set1_epi32(p->in2_off);
    const __m128i ls = _mm_cvtsi32_si128(p->left_shift);
    const __m512i z = _mm512_setzero_si512(), ozp = _mm512_set1_epi32(p->out_off);
    const __m512i imin = _mm512_set1_epi32(INT32_MIN), imax = _mm512_set1_epi32(INT32_MAX);
    const __m512i lo = _mm512_set1_epi32(p->act_min), hi = _mm512_set1_epi32(p->act_max);
    const __m512i yb = _mm512_set1_epi32(b[0]);
    for (int32_t i = 0; i < n; i += 16) {
        const __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1u);
        const __m512i x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, a + i));
        const __m512i y = sb ? _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, b + i)) : yb;
        /* (x + off) << left_shift as uint32, as qk__addsub_q */
        const __m512i x1 = _mm512_sll_epi32(_mm512_add_epi32(x, off1), ls);
        const __m512i x2 = _mm512_sll_epi32(_mm512_add_epi32(y, off2), ls);
        const __m512i y1 = qk__rq16(x1, &r1, z, imin, imax); /* |y| < 2^30 */
        const __m512i y2 = qk__rq16(x2, &r2, z, imin, imax);
        const __m512i raw = p->sub ? _mm512_sub_epi32(y1, y2) : _mm512_add_epi32(y1, y2);
        _mm512_mask_cvtepi32_storeu_epi8(o + i, m, qk__rq16(raw, &ro, ozp, lo, hi));
    }
}
#endif

#if defined(QK_ARM_MVE)
/* Helium int8 ADD/SUB row (contiguous in1; in2 contiguous or one broadcast value): four lanes
 * through qk__addsub_q's steps. Each qk__requant (m >= 0, shift s in [-31, 0], checked by the
 * exec function) is VQRDMULH (SRDHM exactly) then, when s < 0, VRSHL by s after adding -1 to
 * negative values, i.e. rounding half away from zero. (x + off) << ls is one VMLAS. The loop is
 * specialized on the input shifts being 0 (the larger input scale gives multiplier 0.5, shift
 * 0), SUB and the broadcast. */
static inline __attribute__((always_inline)) int32x4_t qk_arm_addsub_rq(int32x4_t y, int32_t m,
                                                                       int32_t s, const int z) {
    y = vqrdmulhq_n_s32(y, m);
    if (z) return y;
    return vrshlq_n_s32(vaddq_s32(y, vshrq_n_s32(y, 31)), s);
}

/* output requant, any shift: the -1 goes to negative values only when s < 0 (sign bit of y & s) */
static inline __attribute__((always_inline)) int32x4_t qk_arm_addsub_rqo(int32x4_t y, int32_t m,
                                                                        int32_t s, int32x4_t e) {
    y = vqrdmulhq_n_s32(y, m);
    return vrshlq_n_s32(vaddq_s32(y, vshrq_n_s32(vandq_s32(y, e), 31)), s);
}

static inline __attribute__((always_inline)) void
qk_arm_addsub_body(const int8_t *a, const int8_t *b, int8_t *o, int32_t n, const qk__binp *p,
                   const int z1, const int z2, const int sub, const int bc) {
    const int32x4_t pw = vdupq_n_s32((int32_t)(1u << p->left_shift));
    const int32_t k1 = (int32_t)((uint32_t)p->in1_off << p->left_shift);
    const int32_t k2 = (int32_t)((uint32_t)p->in2_off << p->left_shift);
    const int32_t m1 = p->m1, s1 = p->s1, m2 = p->m2, s2 = p->s2, mo = p->mo, so = p->so;
    const int32_t ozp = p->out_off;
    const int32x4_t eo = vdupq_n_s32(so);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32x4_t yb = /* (any shift) */
        qk_arm_addsub_rqo(vmlasq_n_s32(vdupq_n_s32(b[0]), pw, k2), m2, s2, vdupq_n_s32(s2));
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int32x4_t y1 = qk_arm_addsub_rq(vmlasq_n_s32(vldrbq_s32(a + i), pw, k1), m1, s1, z1);
        const int32x4_t y2 =
            bc ? yb : qk_arm_addsub_rq(vmlasq_n_s32(vldrbq_s32(b + i), pw, k2), m2, s2, z2);
        const int32x4_t r = qk_arm_addsub_rqo(sub ? vsubq_s32(y1, y2) : vaddq_s32(y1, y2), mo,
                                              so, eo);
        vstrbq_s32(o + i, vminq_s32(vmaxq_s32(vaddq_n_s32(r, ozp), lo), hi));
    }
    if (i < n) {
        const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
        const int32x4_t y1 =
            qk_arm_addsub_rq(vmlasq_n_s32(vldrbq_z_s32(a + i, pr), pw, k1), m1, s1, z1);
        const int32x4_t y2 =
            bc ? yb
               : qk_arm_addsub_rq(vmlasq_n_s32(vldrbq_z_s32(b + i, pr), pw, k2), m2, s2, z2);
        const int32x4_t r = qk_arm_addsub_rqo(sub ? vsubq_s32(y1, y2) : vaddq_s32(y1, y2), mo,
                                              so, eo);
        vstrbq_p_s32(o + i, vminq_s32(vmaxq_s32(vaddq_n_s32(r, ozp), lo), hi), pr);
    }
}

static void qk__row_addsub_i8_arm(const void *a_, int32_t sa, const void *b_, int32_t sb,
                                  void *o_, int32_t n, const qk__binp *p) {
    if (sa != 1 || (sb != 1 && sb != 0)) {
        qk__row_addsub_i8(a_, sa, b_, sb, o_, n, p);
        return;
    }
    const int8_t *a = (const int8_t *)a_, *b = (const int8_t *)b_;
    int8_t *o = (int8_t *)o_;
    const int z1 = p->s1 == 0, z2 = p->s2 == 0;
#define QK__ARM_ADD_V(Z1, Z2, SUB, BC) qk_arm_addsub_body(a, b, o, n, p, Z1, Z2, SUB, BC)
    switch ((z1 ? 1 : 0) | (z2 ? 2 : 0) | (p->sub ? 4 : 0) | (sb == 0 ? 8 : 0)) {
    case 0: QK__ARM_ADD_V(0, 0, 0, 0); break;
    case 1: QK__ARM_ADD_V(1, 0, 0, 0); break;
    case 2: QK__ARM_ADD_V(0, 1, 0, 0); break;
    case 3: QK__ARM_ADD_V(1, 1, 0, 0); break;
    case 4: QK__ARM_ADD_V(0, 0, 1, 0); break;
    case 5: QK__ARM_ADD_V(1, 0, 1, 0); break;
    case 6: QK__ARM_ADD_V(0, 1, 1, 0); break;
    case 7: QK__ARM_ADD_V(1, 1, 1, 0); break;
    case 8: case 10: QK__ARM_ADD_V(0, 0, 0, 1); break; /* (z2 only matters once, for yb) */
    case 9: case 11: QK__ARM_ADD_V(1, 0, 0, 1); break;
    case 12: case 14: QK__ARM_ADD_V(0, 0, 1, 1); break;
    default: QK__ARM_ADD_V(1, 0, 1, 1); break;
    }
#undef QK__ARM_ADD_V
}
#define QK__ADDSUB_I8_ARM 1
#elif defined(QK_ARM_DSP)
/* DSP int8 ADD/SUB row: qk__addsub_q with each qk__requant (m >= 0, shift -R in [-31, 0]) as
 * one SMLAL. R > 0: the roundings of SRDHM and of the shift merge (nested floors) into
 * floor((x m + 2^30 + (half - n) 2^31) / 2^(31 + R)), half = 2^(R-1), n = 1 if x < 0 (y is 0
 * or has x's sign, and y = 0 gives 0 either way), i.e. the top word of the 64-bit sum >> (R-1).
 * R == 0: floor((x m + 2^30) / 2^31) = floor((x 2m + 2^31) / 2^32), the top word of an SMLAL
 * with the multiplier 2m as int32, plus x when that wrapped (2m - 2^32, m >= 2^30). */
typedef struct {
    int32_t m, khi, sh, r0; /* khi: the high word of 2^30 + half 2^31 (R > 0); sh = R - 1 */
    int32_t xm;             /* R == 0: -1 if 2m wrapped (m >= 2^30), else 0 */
    uint32_t klo;
} qk__arm_rqs;

static inline qk__arm_rqs qk__arm_rqs_set(int32_t m, int32_t s) {
    qk__arm_rqs r;
    r.r0 = s == 0;
    if (s < 0) {
        const uint64_t k = ((uint64_t)1 << 30) + ((uint64_t)1 << (30 - s));
        r.m = m;
        r.klo = (uint32_t)k;
        r.khi = (int32_t)(k >> 32);
        r.sh = -s - 1;
        r.xm = 0;
    } else {
        r.m = (int32_t)(2u * (uint32_t)m); /* 2m, as int32 2m - 2^32 when m >= 2^30 */
        r.xm = m >= 0x40000000 ? -1 : 0;
        r.klo = 0x80000000u;
        r.khi = 0;
        r.sh = 0;
    }
    return r;
}

static inline int32_t qk__arm_rqs_r0(int32_t x, const qk__arm_rqs *q) {
    const int64_t acc = (int64_t)q->klo + (int64_t)x * q->m;
    return (int32_t)(acc >> 32) + (x & q->xm);
}

static inline int32_t qk__arm_rqs_rn(int32_t x, const qk__arm_rqs *q) {
    uint32_t lo, t;
    int32_t hi;
    __asm__("asr    %[t], %[x], #31\n\t"        /* t = -n */
            "adds   %[lo], %[klo], %[t], lsl #31\n\t"
            "adc    %[hi], %[khi], %[t]\n\t"     /* 2^30 + (half - n) 2^31 */
            "smlal  %[lo], %[hi], %[x], %[m]\n\t"
            "asr    %[hi], %[hi], %[sh]"
            : [lo] "=&r"(lo), [hi] "=&r"(hi), [t] "=&r"(t)
            : [x] "r"(x), [m] "r"(q->m), [klo] "r"(q->klo), [khi] "r"(q->khi), [sh] "r"(q->sh)
            : "cc");
    return hi;
}

static inline int32_t qk__arm_rqs_apply(int32_t x, const qk__arm_rqs *q) {
    return q->r0 ? qk__arm_rqs_r0(x, q) : qk__arm_rqs_rn(x, q);
}

#define QK__ARM_CHUNK 64
/* Rows of at least this many elements (both inputs full) rescale the inputs through tables:
 * building them (about 6K instructions) costs what some 450 elements save. */
#define QK__ARM_ADD_LUT_MIN 512
/* One input's pass over a chunk: buf = y (mode 0), buf += y (1) or buf -= y (2), y the
 * requantized (x + off) << ls; the shift kind (R == 0 or not) is fixed per loop. */
#define QK__ARM_IN_LOOP(RQ)                                                                \
    do {                                                                                    \
        if (mode == 0)                                                                      \
            for (int32_t i = 0; i < n; ++i) buf[i] = RQ((int32_t)((uint32_t)(x[i] + off) << ls), q); \
        else if (mode == 1)                                                                 \
            for (int32_t i = 0; i < n; ++i) buf[i] += RQ((int32_t)((uint32_t)(x[i] + off) << ls), q); \
        else                                                                                \
            for (int32_t i = 0; i < n; ++i) buf[i] -= RQ((int32_t)((uint32_t)(x[i] + off) << ls), q); \
    } while (0)

static __attribute__((noinline)) void qk__arm_add_in(const int8_t *x, int32_t n, int32_t off,
                                                     int32_t ls, const qk__arm_rqs *q_,
                                                     int32_t mode, int32_t *buf) {
    const qk__arm_rqs qv = *q_, *q = &qv; /* (locals: buf stores do not reload them) */
    if (q->r0)
        QK__ARM_IN_LOOP(qk__arm_rqs_r0);
    else
        QK__ARM_IN_LOOP(qk__arm_rqs_rn);
}
#undef QK__ARM_IN_LOOP

static __attribute__((noinline)) void qk__arm_add_out(const int32_t *buf, int32_t n,
                                                      const qk__arm_rqs *q_, int32_t ozp,
                                                      int32_t lo, int32_t hi, int8_t *o) {
    const qk__arm_rqs qv = *q_, *q = &qv;
    if (!q->r0 && hi == 127) { /* (lo >= -128: SSAT is the upper clamp) */
        for (int32_t i = 0; i < n; ++i) {
            int32_t v = qk__arm_rqs_rn(buf[i], q) + ozp;
            o[i] = (int8_t)__ssat(v < lo ? lo : v, 8);
        }
        return;
    }
    if (q->r0) {
        for (int32_t i = 0; i < n; ++i) {
            int32_t v = qk__arm_rqs_r0(buf[i], q) + ozp;
            v = v < lo ? lo : v;
            o[i] = (int8_t)(v > hi ? hi : v);
        }
    } else {
        for (int32_t i = 0; i < n; ++i) {
            int32_t v = qk__arm_rqs_rn(buf[i], q) + ozp;
            v = v < lo ? lo : v;
            o[i] = (int8_t)(v > hi ? hi : v);
        }
    }
}

/* One element of qk__arm_add4 from byte J of xa and xb, into y's byte J. */
#define QK__ARM_ADD4_EL(J, BFI)                                                              \
    "uxtb   %[s], %[xa], ror #" #J "*8\n\t"                                                  \
    "ldr    %[s], [%[t1], %[s], lsl #2]\n\t"                                                 \
    "uxtb   %[w], %[xb], ror #" #J "*8\n\t"                                                  \
    "ldr    %[w], [%[t2], %[w], lsl #2]\n\t"                                                 \
    "add    %[s], %[s], %[w]\n\t"                                                            \
    "smmlar %[w], %[s], %[m], %[k]\n\t"                                                      \
    "add    %[w], %[w], %[s], asr #31\n\t"                                                   \
    "asr    %[w], %[w], %[r]\n\t"                                                            \
    BFI

/* o[i] for i in [i0, 0), i0 < 0 a multiple of 4, ends a, b, o: the table loop of
 * qk__arm_add_lut, four elements a pass. mode bit 0 / 1: clamp below / above bytewise to the
 * words at t1[-2] / t1[-1]. */
static __attribute__((noinline)) void qk__arm_add4(const int8_t *a, const int8_t *b, int8_t *o,
                                                   int32_t i0, const int32_t *t1,
                                                   const int32_t *t2, int32_t m, int32_t k,
                                                   int32_t r, int mode) {
    uint32_t xa, xb, s, w, y;
    int32_t i = i0;
#define QK__ARM_ADD4_LOOP(CLAMP)                                                             \
    __asm__ volatile("1:\n\t"                                                               \
                     "ldr    %[xa], [%[a], %[i]]\n\t"                                       \
                     "ldr    %[xb], [%[b], %[i]]\n\t"                                       \
                     QK__ARM_ADD4_EL(0, "ssat   %[y], #8, %[w]\n\t")                        \
                     QK__ARM_ADD4_EL(1, "ssat   %[w], #8, %[w]\n\tbfi    %[y], %[w], #8, #8\n\t") \
                     QK__ARM_ADD4_EL(2, "ssat   %[w], #8, %[w]\n\tbfi    %[y], %[w], #16, #8\n\t") \
                     QK__ARM_ADD4_EL(3, "ssat   %[w], #8, %[w]\n\tbfi    %[y], %[w], #24, #8\n\t") \
                     CLAMP                                                                  \
                     "str    %[y], [%[o], %[i]]\n\t"                                        \
                     "adds   %[i], %[i], #4\n\t"                                            \
                     "bne    1b"                                                            \
                     : [i] "+r"(i), [xa] "=&r"(xa), [xb] "=&r"(xb), [s] "=&r"(s),           \
                       [w] "=&r"(w), [y] "=&r"(y)                                           \
                     : [a] "r"(a), [b] "r"(b), [o] "r"(o), [t1] "r"(t1), [t2] "r"(t2),      \
                       [m] "r"(m), [k] "r"(k), [r] "r"(r)                                   \
                     : "cc", "memory")
    /* bytewise max(y, lo): GE where y - lo >= 0; min(y, hi): GE where hi - y >= 0 */
#define QK__ARM_ADD4_LO                                                                      \
    "ldr    %[xa], [%[t1], #-8]\n\tssub8  %[xb], %[y], %[xa]\n\tsel    %[y], %[y], %[xa]\n\t"
#define QK__ARM_ADD4_HI                                                                      \
    "ldr    %[xa], [%[t1], #-4]\n\tssub8  %[xb], %[xa], %[y]\n\tsel    %[y], %[y], %[xa]\n\t"
    switch (mode) {
    case 0: QK__ARM_ADD4_LOOP(""); break;
    case 1: QK__ARM_ADD4_LOOP(QK__ARM_ADD4_LO); break;
    case 2: QK__ARM_ADD4_LOOP(QK__ARM_ADD4_HI); break;
    default: QK__ARM_ADD4_LOOP(QK__ARM_ADD4_LO QK__ARM_ADD4_HI); break;
    }
#undef QK__ARM_ADD4_LO
#undef QK__ARM_ADD4_HI
#undef QK__ARM_ADD4_LOOP
}
#undef QK__ARM_ADD4_EL

/* Both inputs full, rescaled through tables: an int8 input takes 256 values, so each y is
 * computed once per op into a table indexed by the input byte (y2 negated for SUB: the same
 * int32 sum), stored doubled, 2y. The output requant of raw = y1 + y2 (shift -R, R in [1, 31])
 * is then SMMLAR: SRDHM(raw, m) = floor((2 raw m + 2^31) / 2^32) with 2 raw in range;
 * RDBPOT(v, R) + zp = (v + half + zp 2^R - [v < 0]) >> R, and v < 0 only when raw < 0 (v = 0
 * gives zp either way), so the constant rides in SMMLAR's accumulate and the sign of 2 raw is
 * added before the shift. Four elements per pass from words, packed to one word; the
 * activation clamp is bytewise (SSAT gives [-128, 127] first). Returns 0, nothing written,
 * where a bound does not hold (the caller's chunked path then runs). */
static int qk__arm_add_lut(const int8_t *a, const int8_t *b, int8_t *o, int32_t n,
                           const qk__binp *p, const qk__arm_rqs *q1, const qk__arm_rqs *q2) {
    const int32_t R = -p->so;
    if (R < 1) return 0;
    int32_t tb[2 + 256], t2[256], *t1 = tb + 2; /* (the clamp words ahead of t1) */
    int8_t v[256];
    for (int32_t i = 0; i < 256; ++i) v[i] = (int8_t)i; /* (indexed by the input byte) */
    qk__arm_add_in(v, 256, p->in1_off, p->left_shift, q1, 0, t1);
    for (int32_t i = 0; i < 256; ++i) t2[i] = 0;
    qk__arm_add_in(v, 256, p->in2_off, p->left_shift, q2, p->sub ? 2 : 1, t2);
    /* y is monotone in the input (decreasing for SUB's y2): the extremes are at bytes 0x7f and
     * 0x80; 2 raw and v + the constant + the sign must stay in int32 (|v| <= |raw|) */
    const int64_t c = ((int64_t)1 << (R - 1)) + ((int64_t)p->out_off << R);
    int64_t mx = 0, mn = 0;
    for (int32_t k = 0x7f; k <= 0x80; ++k)
        for (int32_t j = 0x7f; j <= 0x80; ++j) {
            const int64_t r = (int64_t)t1[k] + t2[j];
            mx = r > mx ? r : mx;
            mn = r < mn ? r : mn;
        }
    if (2 * mx > INT32_MAX || 2 * mn < INT32_MIN || mx + c > INT32_MAX || mn + c - 1 < INT32_MIN)
        return 0;
    for (int32_t i = 0; i < 256; ++i) {
        t1[i] = (int32_t)(2u * (uint32_t)t1[i]);
        t2[i] = (int32_t)(2u * (uint32_t)t2[i]);
    }
    t1[-2] = (int32_t)(0x01010101u * (uint8_t)p->act_min);
    t1[-1] = (int32_t)(0x01010101u * (uint8_t)p->act_max);
    const int32_t n4 = n & ~3;
    if (n4) {
        const int mode = (p->act_min > -128) | (p->act_max < 127) << 1;
        qk__arm_add4(a + n4, b + n4, o + n4, -n4, t1, t2, p->mo, (int32_t)c, R, mode);
    }
    for (int32_t i = n4; i < n; ++i) {
        const int32_t x2 = t1[(uint8_t)a[i]] + t2[(uint8_t)b[i]];
        int32_t w;
        __asm__("smmlar %0, %1, %2, %3" : "=r"(w) : "r"(x2), "r"(p->mo), "r"((int32_t)c));
        const int32_t r = __ssat((w + (x2 >> 31)) >> R, 8);
        o[i] = (int8_t)(r < p->act_min ? p->act_min : r > p->act_max ? p->act_max : r);
    }
    return 1;
}

static void qk__row_addsub_i8_arm(const void *a_, int32_t sa, const void *b_, int32_t sb,
                                  void *o_, int32_t n, const qk__binp *p) {
    if (sa != 1 || (sb != 1 && sb != 0)) {
        qk__row_addsub_i8(a_, sa, b_, sb, o_, n, p);
        return;
    }
    const int8_t *a = (const int8_t *)a_, *b = (const int8_t *)b_;
    int8_t *o = (int8_t *)o_;
    const qk__arm_rqs q1 = qk__arm_rqs_set(p->m1, p->s1), q2 = qk__arm_rqs_set(p->m2, p->s2);
    const qk__arm_rqs qo = qk__arm_rqs_set(p->mo, p->so);
    const int32_t ls = p->left_shift;
    int32_t buf[QK__ARM_CHUNK];
    if (sb == 0) { /* one broadcast in2 value: y2 once, then buf = y1 +- y2 in pass 1 */
        const int32_t y2 = qk__arm_rqs_apply((int32_t)((uint32_t)(b[0] + p->in2_off) << ls), &q2);
        for (int32_t c = 0; c < n; c += QK__ARM_CHUNK) {
            const int32_t m = n - c < QK__ARM_CHUNK ? n - c : QK__ARM_CHUNK;
            qk__arm_add_in(a + c, m, p->in1_off, ls, &q1, 0, buf);
            for (int32_t i = 0; i < m; ++i) buf[i] = p->sub ? buf[i] - y2 : buf[i] + y2;
            qk__arm_add_out(buf, m, &qo, p->out_off, p->act_min, p->act_max, o + c);
        }
        return;
    }
    if (n >= QK__ARM_ADD_LUT_MIN && qk__arm_add_lut(a, b, o, n, p, &q1, &q2))
        return;
    for (int32_t c = 0; c < n; c += QK__ARM_CHUNK) {
        const int32_t m = n - c < QK__ARM_CHUNK ? n - c : QK__ARM_CHUNK;
        qk__arm_add_in(a + c, m, p->in1_off, ls, &q1, 0, buf);
        qk__arm_add_in(b + c, m, p->in2_off, ls, &q2, p->sub ? 2 : 1, buf);
        qk__arm_add_out(buf, m, &qo, p->out_off, p->act_min, p->act_max, o + c);
    }
}
#define QK__ADDSUB_I8_ARM 1
#endif

/* MUL quantized element: |(a+off1)*(b+off2)| <= 256*256 (int8) or 2^30 (int16, offsets 0). */
static int32_t qk__mul_q(int32_t a, int32_t b, const qk__binp *p) {
    const int32_t prod = (a + p->in1_off) * (b + p->in2_off);
    return qk__iact(qk__requant(prod, p->mo, p->so) + p->out_off, p);
}

QK__ROW(qk__row_mul_i8, int8_t, qk__mul_q(x, y, p))
QK__ROW(qk__row_mul_i16, int16_t, qk__mul_q(x, y, p))
QK__ROW(qk__row_mul_i32, int32_t, qk__iact(qk__wrap_mul(x, y), p))
QK__ROW(qk__row_mul_f32, float, qk__fact(x * y, p))

/* ---- DIV helpers: gemmlowp fixed point as TFLM's GetReciprocal uses it. ---- */

static int32_t qk__clz32(uint32_t x) {
    int32_t n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* CountLeadingSignBits for int32 (0 -> 31). */
static int32_t qk__clsb32(int32_t x) {
    if (x >= 0) return qk__clz32((uint32_t)x) - 1;
    if (x == INT32_MIN) return 0;
    return qk__clz32(2u * (uint32_t)(-x) - 1u);
}

/* SaturatingRoundingMultiplyByPOT<exponent> for a positive exponent: saturating left shift. */
static int32_t qk__sat_shl(int32_t x, int32_t exponent) {
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 on raw Q0.31 input; returns raw Q0.31. */
static int32_t qk__one_over_one_plus_x(int32_t a) {
    /* RoundingHalfSum(a, One): One is INT32_MAX in Q0.31 */
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c48_17 = 1515870810, cneg32_17 = -1010580540; /* Q2.29 constants */
    const int32_t one_q2 = 1 << 29;
    int32_t x = (int32_t)((uint32_t)c48_17 + (uint32_t)qk__srdhm(half_den, cneg32_17));
    for (int32_t i = 0; i < 3; ++i) {
        const int32_t hdx = qk__srdhm(half_den, x);                     /* Q2.29 */
        const int32_t one_minus = (int32_t)((uint32_t)one_q2 - (uint32_t)hdx); /* Q2.29 */
        const int32_t prod = qk__srdhm(x, one_minus);                   /* Q4.27 */
        x = (int32_t)((uint32_t)x + (uint32_t)qk__sat_shl(prod, 2));    /* Rescale<2> */
    }
    return qk__sat_shl(x, 1); /* ExactMulByPot<-1> then Rescale<0>: Q1 -> Q0 */
}

/* GetReciprocal(x, 31, &shift) for x > 0. */
static int32_t qk__reciprocal(int32_t x, int32_t *num_bits_over_unit) {
    const int32_t headroom_plus_one = qk__clz32((uint32_t)x);
    *num_bits_over_unit = 31 - headroom_plus_one;
    const int32_t shifted_minus_one =
        (int32_t)(((uint32_t)x << headroom_plus_one) - (1u << 31));
    return qk__one_over_one_plus_x(shifted_minus_one);
}

/* RoundingDivideByPOT for exponents past 31 as the x86 build of TFLM computes it: the mask is
 * the low 32 bits of (1 << e) - 1 (all ones) and the hardware shift count is e mod 32. */
static int32_t qk__rdbpot_any(int32_t x, int32_t exponent) {
    if (exponent <= 31) return qk__rdbpot(x, exponent);
    const int32_t mask = -1;
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> (exponent & 31)) + (remainder > threshold ? 1 : 0);
}

/* DIV quantized element (TFLM DivElementwise). */
static int32_t qk__div_q(int32_t a, int32_t b, const qk__binp *p) {
    int32_t v1 = a + p->in1_off;
    int32_t v2 = b + p->in2_off;
    if (v2 == 0) return qk__iact(p->out_off, p); /* TFLM: DCHECK; undefined. We return zero. */
    if (v2 < 0) {
        v1 = -v1;
        v2 = -v2;
    }
    int32_t recip_shift;
    const int32_t inv = qk__reciprocal(v2, &recip_shift);
    const int32_t headroom = qk__clsb32(v1);
    const int32_t q = qk__srdhm((int32_t)((uint32_t)v1 << headroom), inv);
    const int32_t total_shift = p->so - recip_shift - headroom;
    int32_t r;
    if (total_shift > 0) {
        r = qk__requant(q, p->mo, total_shift > 30 ? 30 : total_shift);
    } else {
        r = qk__rdbpot_any(qk__srdhm(q, p->mo), -total_shift);
    }
    return qk__iact(r + p->out_off, p);
}

/* int32 DIV truncates toward zero (C++ '/'); x/0 is UB in TFLM: we return 0. INT_MIN/-1 wraps. */
static int32_t qk__div_i32(int32_t x, int32_t y) {
    if (y == 0) return 0;
    if (y == -1) return qk__wrap_sub(0, x);
    return x / y;
}

QK__ROW(qk__row_div_i8, int8_t, qk__div_q(x, y, p))
QK__ROW(qk__row_div_i32, int32_t, qk__iact(qk__div_i32(x, y), p))
QK__ROW(qk__row_div_f32, float, qk__fact(x / y, p))

/* TFLM MaximumOp / MinimumOp: el1 > el2 ? el1 : el2, el1 < el2 ? el1 : el2. */
QK__ROW(qk__row_max_i8, int8_t, x > y ? x : y)
QK__ROW(qk__row_max_u8, uint8_t, x > y ? x : y)
QK__ROW(qk__row_max_i16, int16_t, x > y ? x : y)
QK__ROW(qk__row_max_i32, int32_t, x > y ? x : y)
QK__ROW(qk__row_max_i64, int64_t, x > y ? x : y)
QK__ROW(qk__row_max_f32, float, x > y ? x : y)
QK__ROW(qk__row_min_i8, int8_t, x < y ? x : y)
QK__ROW(qk__row_min_u8, uint8_t, x < y ? x : y)
QK__ROW(qk__row_min_i16, int16_t, x < y ? x : y)
QK__ROW(qk__row_min_i32, int32_t, x < y ? x : y)
QK__ROW(qk__row_min_i64, int64_t, x < y ? x : y)
QK__ROW(qk__row_min_f32, float, x < y ? x : y)

/* Params shared by ADD/SUB/MUL/DIV after the header: integer act range or float act bits. */
static int qk__act_params(int32_t dtype, const int32_t *a, qk__binp *p) {
    if (dtype == QK_F32) {
        p->f_min = qk__f32_from_bits(a[0]);
        p->f_max = qk__f32_from_bits(a[1]);
        return !(p->f_min <= p->f_max);
    }
    p->act_min = a[0];
    p->act_max = a[1];
    return p->act_min > p->act_max;
}

static qk_status qk__addsub(const qk_ctx *ctx, const int32_t *args, int32_t n_args, int32_t sub) {
    if (n_args != QK__BIN_HDR + 12) return QK_ERR_ARG;
    const int32_t dtype = args[3];
    const int32_t *a = args + QK__BIN_HDR;
    qk__binp p;
    memset(&p, 0, sizeof p);
    p.sub = sub;
    if (qk__act_params(dtype, a, &p)) return QK_ERR_ARG;
    p.in1_off = a[2];
    p.in2_off = a[3];
    p.out_off = a[4];
    p.left_shift = a[5];
    p.m1 = a[6];
    p.s1 = a[7];
    p.m2 = a[8];
    p.s2 = a[9];
    p.mo = a[10];
    p.so = a[11];
    switch (dtype) {
    case QK_I8:
    case QK_I16: {
        const int32_t lim = dtype == QK_I8 ? 256 : 65536;
        if (p.left_shift < 0 || p.left_shift > 20 || p.s1 > 0 || p.s2 > 0 || p.so > 0 ||
            p.s1 < -31 || p.s2 < -31 || p.so < -31 || p.m1 < 0 || p.m2 < 0 || p.mo < 0)
            return QK_ERR_ARG;
        if (p.in1_off <= -lim || p.in1_off >= lim || p.in2_off <= -lim || p.in2_off >= lim)
            return QK_ERR_ARG;
        /* (max |value + offset|) << left_shift must stay below 2^31 */
        if (((int64_t)lim << p.left_shift) > ((int64_t)1 << 31) + ((int64_t)1 << p.left_shift))
            return QK_ERR_ARG;
#if QK_SIMD_VNNI
        if (dtype == QK_I8) return qk__binary(ctx, args, 1, qk__row_addsub_i8_simd, &p);
#endif
#if defined(QK__ADDSUB_I8_ARM)
        if (dtype == QK_I8) return qk__binary(ctx, args, 1, qk__row_addsub_i8_arm, &p);
#endif
        return qk__binary(ctx, args, dtype == QK_I8 ? 1 : 2,
                          dtype == QK_I8 ? qk__row_addsub_i8 : qk__row_addsub_i16, &p);
    }
    case QK_I32: return qk__binary(ctx, args, 4, qk__row_addsub_i32, &p);
    case QK_F32: return qk__binary(ctx, args, 4, qk__row_addsub_f32, &p);
    default: return QK_ERR_UNSUPPORTED;
    }
}

/*
 * ADD. args: binary header (see QK__BIN_HDR), then
 *   act_min, act_max (int32; for F32 the float bit patterns),
 *   in1_offset, in2_offset, out_offset, left_shift, m1, s1, m2, s2, out_mult, out_shift
 *   (quantized int8/int16 only; 0 otherwise). Shifts are <= 0
 *   (QuantizeMultiplierSmallerThanOneExp).
 */
QK__EXEC(add) { return qk__addsub(ctx, args, n_args, 0); }

/* SUB. args: as ADD. */
QK__EXEC(sub) { return qk__addsub(ctx, args, n_args, 1); }

/* Params of MUL and DIV after the header:
 *   act_min, act_max, in1_offset, in2_offset, out_offset, out_mult, out_shift */
static qk_status qk__muldiv_params(const int32_t *args, int32_t n_args, qk__binp *p) {
    if (n_args != QK__BIN_HDR + 7) return QK_ERR_ARG;
    const int32_t *a = args + QK__BIN_HDR;
    memset(p, 0, sizeof *p);
    if (qk__act_params(args[3], a, p)) return QK_ERR_ARG;
    p->in1_off = a[2];
    p->in2_off = a[3];
    p->out_off = a[4];
    p->mo = a[5];
    p->so = a[6];
    if (p->mo < 0 || p->so < -31 || p->so > 30) return QK_ERR_ARG;
    return QK_OK;
}

/*
 * MUL. args: binary header, act_min, act_max, in1_offset, in2_offset, out_offset, out_mult,
 * out_shift. int8 offsets in [-256, 256]; int16 offsets must be 0 (as TFLM requires).
 */
QK__EXEC(mul) {
    qk__binp p;
    const qk_status st = qk__muldiv_params(args, n_args, &p);
    if (st != QK_OK) return st;
    switch (args[3]) {
    case QK_I8:
        if (p.in1_off < -256 || p.in1_off > 256 || p.in2_off < -256 || p.in2_off > 256)
            return QK_ERR_ARG;
        return qk__binary(ctx, args, 1, qk__row_mul_i8, &p);
    case QK_I16:
        if (p.in1_off != 0 || p.in2_off != 0) return QK_ERR_ARG;
        return qk__binary(ctx, args, 2, qk__row_mul_i16, &p);
    case QK_I32: return qk__binary(ctx, args, 4, qk__row_mul_i32, &p);
    case QK_F32: return qk__binary(ctx, args, 4, qk__row_mul_f32, &p);
    default: return QK_ERR_UNSUPPORTED;
    }
}

/*
 * DIV. args: as MUL. int8 offsets in [-256, 256]; a zero divisor gives out_offset (TFLM leaves
 * it undefined), int32 x/0 gives 0.
 */
QK__EXEC(div) {
    qk__binp p;
    const qk_status st = qk__muldiv_params(args, n_args, &p);
    if (st != QK_OK) return st;
    switch (args[3]) {
    case QK_I8:
        if (p.in1_off < -256 || p.in1_off > 256 || p.in2_off < -256 || p.in2_off > 256)
            return QK_ERR_ARG;
        return qk__binary(ctx, args, 1, qk__row_div_i8, &p);
    case QK_I32: return qk__binary(ctx, args, 4, qk__row_div_i32, &p);
    case QK_F32: return qk__binary(ctx, args, 4, qk__row_div_f32, &p);
    default: return QK_ERR_UNSUPPORTED;
    }
}

static qk_status qk__minmax(const qk_ctx *ctx, const int32_t *args, int32_t n_args, int is_max) {
    if (n_args != QK__BIN_HDR) return QK_ERR_ARG;
    qk__binp p;
    memset(&p, 0, sizeof p);
    switch (args[3]) {
    case QK_I8: return qk__binary(ctx, args, 1, is_max ? qk__row_max_i8 : qk__row_min_i8, &p);
    case QK_U8: return qk__binary(ctx, args, 1, is_max ? qk__row_max_u8 : qk__row_min_u8, &p);
    case QK_I16: return qk__binary(ctx, args, 2, is_max ? qk__row_max_i16 : qk__row_min_i16, &p);
    case QK_I32: return qk__binary(ctx, args, 4, is_max ? qk__row_max_i32 : qk__row_min_i32, &p);
    case QK_I64: return qk__binary(ctx, args, 8, is_max ? qk__row_max_i64 : qk__row_min_i64, &p);
    case QK_F32: return qk__binary(ctx, args, 4, is_max ? qk__row_max_f32 : qk__row_min_f32, &p);
    default: return QK_ERR_UNSUPPORTED;
    }
}

/* MINIMUM. args: binary header only (raw values compared, as TFLM does). */
QK__EXEC(minimum) { return qk__minmax(ctx, args, n_args, 0); }

/* MAXIMUM. args: binary header only. */
QK__EXEC(maximum) { return qk__minmax(ctx, args, n_args, 1); }

/* ---------------------------------------------------------------------------------------------
 * Unary conversions.
 * ------------------------------------------------------------------------------------------- */

static int32_t qk__size_of(int32_t dtype) {
    if (dtype == QK__U32) return 4;
    if (dtype == QK__U16) return 2;
    return qk__dtype_size(dtype);
}

/* Load element i of an integer tensor as int64 (0 for non-integer types). */
static int64_t qk__load_int(const void *base, int32_t dtype, int64_t i) {
    switch (dtype) {
    case QK_I8: return ((const int8_t *)base)[i];
    case QK_U8: return ((const uint8_t *)base)[i];
    case QK_BOOL: return ((const uint8_t *)base)[i] != 0;
    case QK_I16: return ((const int16_t *)base)[i];
    case QK__U16: return ((const uint16_t *)base)[i];
    case QK_I32: return ((const int32_t *)base)[i];
    case QK__U32: return ((const uint32_t *)base)[i];
    case QK_I64: return ((const int64_t *)base)[i];
    default: return 0;
    }
}

/* Store the low bits of v (static_cast to an integer type; bool is v != 0). */
static void qk__store_int(void *base, int32_t dtype, int64_t i, int64_t v) {
    const uint64_t u = (uint64_t)v;
    switch (dtype) {
    case QK_I8: ((int8_t *)base)[i] = (int8_t)(uint8_t)u; break;
    case QK_U8: ((uint8_t *)base)[i] = (uint8_t)u; break;
    case QK_BOOL: ((uint8_t *)base)[i] = v != 0; break;
    case QK_I16: ((int16_t *)base)[i] = (int16_t)(uint16_t)u; break;
    case QK__U16: ((uint16_t *)base)[i] = (uint16_t)u; break;
    case QK_I32: ((int32_t *)base)[i] = (int32_t)(uint32_t)u; break;
    case QK__U32: ((uint32_t *)base)[i] = (uint32_t)u; break;
    case QK_I64: ((int64_t *)base)[i] = (int64_t)u; break;
    default: break;
    }
}

/* TfLiteRound (half away from zero) then static_cast<int32_t>, with the x86 result for values
 * out of range or NaN (INT32_MIN), so no UB here. */
static int32_t qk__round_to_i32(double d) {
    if (!(d > -4503599627370496.0 && d < 4503599627370496.0)) return INT32_MIN; /* NaN, |d|>=2^52 */
    int64_t t = (int64_t)d; /* truncation; exact below 2^52 */
    const double frac = d - (double)t;
    if (frac >= 0.5) ++t;
    else if (frac <= -0.5) --t;
    if (t < INT32_MIN || t > INT32_MAX) return INT32_MIN;
    return (int32_t)t;
}

/* float -> integer as TFLM's CAST does it: truncate toward zero, saturate at the target's
 * range, NaN -> 0. */
static int64_t qk__sat_cast(float f, int32_t dtype) {
    int64_t lo, hi;
    switch (dtype) {
    case QK_I8: lo = INT8_MIN; hi = INT8_MAX; break;
    case QK_U8: lo = 0; hi = UINT8_MAX; break;
    case QK_I16: lo = INT16_MIN; hi = INT16_MAX; break;
    case QK__U16: lo = 0; hi = UINT16_MAX; break;
    case QK_I32: lo = INT32_MIN; hi = INT32_MAX; break;
    case QK__U32: lo = 0; hi = UINT32_MAX; break;
    default: return 0;
    }
    if (f != f) return 0;
    if (f <= (float)lo) return lo;
    if (f >= (float)hi) return hi; /* (float)hi rounds up to 2^k: values above hi saturate */
    return (int64_t)f;
}

static int32_t qk__is_int_type(int32_t dtype) {
    return dtype == QK_I8 || dtype == QK_U8 || dtype == QK_I16 || dtype == QK__U16 ||
           dtype == QK_I32 || dtype == QK__U32 || dtype == QK_I64;
}

/*
 * QUANTIZE. args: in, out, count, in_dtype, out_dtype, in_zp, out_zp, mult, shift, scale_bits
 *   integer input (I8, U8, I16, I32): Requantize:
 *     out = clamp(MultiplyByQuantizedMultiplier(in - in_zp, mult, shift) + out_zp)
 *   F32 input: AffineQuantize: out = clamp(roundf(in / scale) + out_zp), scale the output scale
 *   as float bits (TFLM divides in float at run time). out_dtype I8, U8, I16 or I32.
 */
QK__EXEC(quantize) {
    if (n_args != 10) return QK_ERR_ARG;
    const int32_t count = args[2], in_dt = args[3], out_dt = args[4];
    const int32_t in_zp = args[5], out_zp = args[6], mult = args[7], shift = args[8];
    const int32_t in_size = qk__size_of(in_dt), out_size = qk__size_of(out_dt);
    if (count < 0 || in_size == 0 || out_size == 0) return QK_ERR_ARG;
    if (out_dt != QK_I8 && out_dt != QK_U8 && out_dt != QK_I16 && out_dt != QK_I32)
        return QK_ERR_UNSUPPORTED;
    if (in_dt != QK_F32 && in_dt != QK_I8 && in_dt != QK_U8 && in_dt != QK_I16 && in_dt != QK_I32)
        return QK_ERR_UNSUPPORTED;
    const void *in = qk__in(ctx, args[0], (int64_t)count * in_size);
    void *out = qk__out(ctx, args[1], (int64_t)count * out_size);
    if (!in || !out) return QK_ERR_ARG;
    int32_t lo, hi;
    switch (out_dt) {
    case QK_I8: lo = -128; hi = 127; break;
    case QK_U8: lo = 0; hi = 255; break;
    case QK_I16: lo = -32768; hi = 32767; break;
    default: lo = INT32_MIN; hi = INT32_MAX; break;
    }
    if (in_dt == QK_F32) {
        const float scale = qk__f32_from_bits(args[9]);
        if (!(scale > 0.0f) || out_dt == QK_I32) return QK_ERR_ARG;
        const float *x = (const float *)in;
        for (int32_t i = 0; i < count; ++i) {
            const float r = x[i] / scale; /* rounding a float exactly widened to double = roundf */
            const int32_t q = qk__round_to_i32((double)r);
            const int32_t v = (int32_t)((uint32_t)q + (uint32_t)out_zp); /* wraps as on x86 */
            qk__store_int(out, out_dt, i, qk__clamp(v, lo, hi));
        }
        return QK_OK;
    }
    if (mult < 0 || shift < -31 || shift > 30) return QK_ERR_ARG;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t v = (int32_t)qk__load_int(in, in_dt, i);
        const int32_t x = (int32_t)((uint32_t)v - (uint32_t)in_zp); /* int32 inputs may wrap */
        const int32_t y = (int32_t)((uint32_t)qk__requant(x, mult, shift) + (uint32_t)out_zp);
        qk__store_int(out, out_dt, i, qk__clamp(y, lo, hi));
    }
    return QK_OK;
}

/*
 * DEQUANTIZE. args: in, out, count, in_dtype (I8, U8, I16), zp, scale_lo, scale_hi
 *   out (F32) = (float)(scale * (in - zp)), scale the input scale widened to double (as TFLM).
 */
QK__EXEC(dequantize) {
    if (n_args != 7) return QK_ERR_ARG;
    const int32_t count = args[2], in_dt = args[3], zp = args[4];
    const double scale = qk__f64_from_words(args[5], args[6]);
    if (in_dt != QK_I8 && in_dt != QK_U8 && in_dt != QK_I16) return QK_ERR_UNSUPPORTED;
    if (count < 0) return QK_ERR_ARG;
    const void *in = qk__in(ctx, args[0], (int64_t)count * qk__dtype_size(in_dt));
    float *out = qk__out(ctx, args[1], (int64_t)count * 4);
    if (!in || !out) return QK_ERR_ARG;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t v = (int32_t)qk__load_int(in, in_dt, i) - zp;
        out[i] = (float)(scale * (double)v);
    }
    return QK_OK;
}

/*
 * CAST. args: in, out, count, in_dtype, out_dtype
 *   between I8, I16, I32, U32, F32 and BOOL (TFLM's set; U8, U16 and I64 too, but
 *   not F32 -> I64).
 *   Integer -> integer keeps the low bits (static_cast); float -> integer truncates toward zero
 *   and saturates, NaN -> 0 (as TFLM); -> bool is != 0.
 */
QK__EXEC(cast) {
    if (n_args != 5) return QK_ERR_ARG;
    const int32_t count = args[2], in_dt = args[3], out_dt = args[4];
    const int32_t in_size = qk__size_of(in_dt), out_size = qk__size_of(out_dt);
    if (count < 0) return QK_ERR_ARG;
    if ((!qk__is_int_type(in_dt) && in_dt != QK_F32 && in_dt != QK_BOOL) ||
        (!qk__is_int_type(out_dt) && out_dt != QK_F32 && out_dt != QK_BOOL))
        return QK_ERR_UNSUPPORTED;
    if (in_dt == QK_F32 && out_dt == QK_I64) return QK_ERR_UNSUPPORTED;
    const void *in = qk__in(ctx, args[0], (int64_t)count * in_size);
    void *out = qk__out(ctx, args[1], (int64_t)count * out_size);
    if (!in || !out) return QK_ERR_ARG;
    for (int32_t i = 0; i < count; ++i) {
        if (in_dt == QK_F32) {
            const float f = ((const float *)in)[i];
            if (out_dt == QK_F32) ((float *)out)[i] = f;
            else if (out_dt == QK_BOOL) ((uint8_t *)out)[i] = f != 0.0f;
            else qk__store_int(out, out_dt, i, qk__sat_cast(f, out_dt));
        } else {
            const int64_t v = qk__load_int(in, in_dt, i);
            if (out_dt == QK_F32) {
                ((float *)out)[i] = in_dt == QK__U32 ? (float)(uint32_t)v : (float)v;
            } else {
                qk__store_int(out, out_dt, i, v);
            }
        }
    }
    return QK_OK;
}
