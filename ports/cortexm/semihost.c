/* Semihosting calls and the four <string.h> functions the freestanding build must provide
 * (libqk and gcc itself emit calls to them; no libc is linked). */
#include "semihost.h"

enum {
    SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06,
    SYS_FLEN = 0x0C, SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20024

static int32_t sh_call(int32_t op, const void *arg) {
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_puts(const char *s) { sh_call(SYS_WRITE0, s); }

void sh_put_int(const char *label, int32_t v) {
    char buf[64];
    int n = 0;
    while (*label && n < 40) buf[n++] = *label++;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    if (v < 0) buf[n++] = '-';
    char digits[12];
    int d = 0;
    do { digits[d++] = (char)('0' + u % 10u); u /= 10u; } while (u);
    while (d) buf[n++] = digits[--d];
    buf[n++] = '\n';
    buf[n] = 0;
    sh_puts(buf);
}

int32_t sh_open(const char *path, int write) {
    size_t len = 0;
    while (path[len]) ++len;
    /* ISO C fopen modes by index: 1 = "rb", 5 = "wb" */
    const uint32_t args[3] = {(uint32_t)(uintptr_t)path, write ? 5u : 1u, (uint32_t)len};
    return sh_call(SYS_OPEN, args);
}

int32_t sh_flen(int32_t fh) {
    const uint32_t args[1] = {(uint32_t)fh};
    return sh_call(SYS_FLEN, args);
}

/* SYS_READ / SYS_WRITE return the number of bytes NOT transferred. */
int sh_read(int32_t fh, void *buf, size_t n) {
    const uint32_t args[3] = {(uint32_t)fh, (uint32_t)(uintptr_t)buf, (uint32_t)n};
    return sh_call(SYS_READ, args) == 0 ? 0 : -1;
}

int sh_write(int32_t fh, const void *buf, size_t n) {
    const uint32_t args[3] = {(uint32_t)fh, (uint32_t)(uintptr_t)buf, (uint32_t)n};
    return sh_call(SYS_WRITE, args) == 0 ? 0 : -1;
}

void sh_close(int32_t fh) {
    const uint32_t args[1] = {(uint32_t)fh};
    sh_call(SYS_CLOSE, args);
}

void sh_exit(int status) {
    /* AArch32 SYS_EXIT carries no status (QEMU maps it to 0/1); SYS_EXIT_EXTENDED does. */
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    sh_call(SYS_EXIT_EXTENDED, block);
    sh_call(SYS_EXIT, (const void *)(uintptr_t)(status ? ADP_STOPPED_RUNTIME_ERROR
                                                        : ADP_STOPPED_APPLICATION_EXIT));
    for (;;) {
    }
}

/* gcc turns these loops back into calls to themselves unless told not to. */
#define NO_LDP __attribute__((optimize("no-tree-loop-distribute-patterns")))
NO_LDP void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}
NO_LDP void *memmove(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp) {
        while (n--) *dp++ = *sp++;
    } else {
        dp += n;
        sp += n;
        while (n--) *--dp = *--sp;
    }
    return d;
}
NO_LDP void *memset(void *d, int c, size_t n) {
    unsigned char *dp = d;
    while (n--) *dp++ = (unsigned char)c;
    return d;
}
NO_LDP int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}
