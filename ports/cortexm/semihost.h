/* Arm semihosting (BKPT 0xAB) as the harness uses it under QEMU: console, host files, exit. */
#ifndef QK_SEMIHOST_H
#define QK_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

void sh_puts(const char *s);                 /* console (QEMU: its stderr) */
void sh_put_int(const char *label, int32_t v); /* label + decimal + newline */
int32_t sh_open(const char *path, int write); /* host file relative to QEMU's cwd; -1 on error */
int32_t sh_flen(int32_t fh);                 /* file length in bytes, -1 on error */
int sh_read(int32_t fh, void *buf, size_t n);        /* 0 when all n bytes were read */
int sh_write(int32_t fh, const void *buf, size_t n); /* 0 when all n bytes were written */
void sh_close(int32_t fh);
void sh_exit(int status) __attribute__((noreturn)); /* QEMU exits with this status */

#endif
