/*
 * qk_insn_plugin.c: QEMU TCG plugin counting executed guest instructions, in total and at every
 * entry of marker functions, for deterministic per-inference and per-op instruction counts.
 *
 * Adapted from tools/tm_insn_plugin.c of the shared cortexm-recipe (our own shared material):
 * same API-v1 declarations and inline counters; markers changed from begin/end pairs to a list
 * of cumulative counts, written to a file.
 *
 * Build: gcc -O2 -shared -fPIC -Wall -Wextra qk_insn_plugin.c -o qk_insn_plugin.so
 * Run:   qemu-system-arm ... -plugin ./qk_insn_plugin.so,mark=0xADDR,out=counts.txt[,mode=tb]
 * Output file: "total N" then one "mark C" line per marker entry, C = instructions executed
 * before that entry. Differences of consecutive marks are the instructions between them.
 * pcs=FILE (profiling, tools/cortexm_profile.py): also one "ADDR INSNS EXECS" line per translated
 * block (start address, its instructions, times entered; a retranslated block appears again).
 *
 * mode=insn (default) one inline add per instruction: exact even when a block is left early.
 * mode=tb   one inline add per translation block: a little faster.
 *
 * Only the part of the plugin API (version 1, QEMU 6.x-8.x) that is used is declared below
 * (Debian 12's QEMU 7.2 supports plugins but ships no qemu-plugin.h); QEMU's
 * include/qemu/qemu-plugin.h is the reference. QEMU >= 9 removed the *_exec_inline calls in
 * favour of the *_per_vcpu scoreboard API: port these few lines when CI moves.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- minimal QEMU plugin API v1 declarations ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t {
    const char *target_name;
    struct { int min; int cur; } version;
    bool system_emulation;
    union { struct { int smp_vcpus; int max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;
/* ---- end of API declarations ---- */

#define MAX_MARK_ADDRS 8
static uint64_t insn_count; /* one vCPU (Cortex-M): no atomics needed */
static uint64_t mark_addrs[MAX_MARK_ADDRS];
static unsigned n_mark_addrs;
static uint64_t *marks;
static size_t n_marks, cap_marks;
static bool per_tb;
static char *out_path, *pcs_path;

/* Per translated block entry counts for pcs=FILE, in chunks that never move (the inline add
 * keeps a pointer to its counter). */
typedef struct { uint64_t addr, n_insns, execs; } tb_record;
#define TB_CHUNK 4096
static tb_record **tb_chunks;
static size_t n_tb, cap_chunks;

static tb_record *new_tb_record(uint64_t addr, uint64_t n_insns) {
    if (n_tb % TB_CHUNK == 0) {
        if (n_tb / TB_CHUNK == cap_chunks) {
            cap_chunks = cap_chunks ? 2 * cap_chunks : 16;
            tb_chunks = realloc(tb_chunks, cap_chunks * sizeof *tb_chunks);
            if (tb_chunks == NULL) abort();
        }
        tb_chunks[n_tb / TB_CHUNK] = calloc(TB_CHUNK, sizeof(tb_record));
        if (tb_chunks[n_tb / TB_CHUNK] == NULL) abort();
    }
    tb_record *r = &tb_chunks[n_tb / TB_CHUNK][n_tb % TB_CHUNK];
    n_tb++;
    r->addr = addr;
    r->n_insns = n_insns;
    return r;
}

static void on_mark(unsigned int vcpu, void *ud) {
    (void)vcpu;
    (void)ud;
    if (n_marks == cap_marks) {
        cap_marks = cap_marks ? 2 * cap_marks : 1024;
        marks = realloc(marks, cap_marks * sizeof *marks);
        if (marks == NULL) abort();
    }
    marks[n_marks++] = insn_count;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    const uint64_t pc = qemu_plugin_tb_vaddr(tb);
    /* registered before the counters, so on_mark sees the count before the marker's block */
    for (unsigned i = 0; i < n_mark_addrs; i++)
        if (pc == mark_addrs[i])
            qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
    const size_t n = qemu_plugin_tb_n_insns(tb);
    if (pcs_path != NULL)
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                                 &new_tb_record(pc, n)->execs, 1);
    if (per_tb) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, n);
    } else {
        for (size_t i = 0; i < n; i++)
            qemu_plugin_register_vcpu_insn_exec_inline(qemu_plugin_tb_get_insn(tb, i),
                                                       QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
    }
}

static void at_exit(qemu_plugin_id_t id, void *ud) {
    (void)id;
    (void)ud;
    FILE *f = out_path ? fopen(out_path, "w") : NULL;
    if (f == NULL) {
        qemu_plugin_outs("qk_insn: cannot write the counts file\n");
        return;
    }
    fprintf(f, "total %" PRIu64 "\n", insn_count);
    for (size_t i = 0; i < n_marks; i++) fprintf(f, "mark %" PRIu64 "\n", marks[i]);
    fclose(f);
    if (pcs_path == NULL || (f = fopen(pcs_path, "w")) == NULL) return;
    for (size_t i = 0; i < n_tb; i++) {
        const tb_record *r = &tb_chunks[i / TB_CHUNK][i % TB_CHUNK];
        fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", r->addr, r->n_insns, r->execs);
    }
    fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "mark=", 5) && n_mark_addrs < MAX_MARK_ADDRS)
            mark_addrs[n_mark_addrs++] = strtoull(a + 5, NULL, 0) & ~1ull; /* Thumb bit off */
        else if (!strncmp(a, "out=", 4)) out_path = strdup(a + 4);
        else if (!strncmp(a, "pcs=", 4)) pcs_path = strdup(a + 4);
        else if (!strcmp(a, "mode=insn")) per_tb = false;
        else if (!strcmp(a, "mode=tb")) per_tb = true;
        else {
            fprintf(stderr, "qk_insn: unknown argument '%s'\n", a);
            return -1;
        }
    }
    if (out_path == NULL) {
        fprintf(stderr, "qk_insn: out=FILE is required\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
