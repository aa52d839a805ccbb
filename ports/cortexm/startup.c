/* Vector table and reset for the QEMU Cortex-M boards (M0/M0+/M3/M4/M7/M33/M55). Runs in the
 * state the core resets into (Secure on the M33/M55 boards; no TrustZone set-up needed). */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];
int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void Default_Handler(void);

#define REG32(a) (*(volatile uint32_t *)(a))
#define SCB_CPACR 0xE000ED88u
#define SCB_CFSR 0xE000ED28u
#define SCB_HFSR 0xE000ED2Cu
#define STACK_PAINT 0x5354414Bu /* "STAK": main() measures stack use by finding it unchanged */

__attribute__((section(".isr_vector"), used)) void (*const qk_vectors[16])(void) = {
    (void (*)(void))__stack_top, /* initial MSP */
    Reset_Handler,
    Default_Handler, /* NMI */
    Fault_Handler,   /* HardFault */
    Fault_Handler,   /* MemManage */
    Fault_Handler,   /* BusFault */
    Fault_Handler,   /* UsageFault */
    Fault_Handler,   /* SecureFault (v8-M) */
    0, 0, 0,
    Default_Handler, /* SVC */
    Default_Handler, /* DebugMon */
    0,
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
};

/* Plain loops on purpose: no memcpy/memset calls, and no FP/MVE before CPACR is set
 * (gcc auto-vectorises with MVE on the M55 at -O2). */
__attribute__((noreturn, optimize("no-tree-loop-distribute-patterns", "no-tree-vectorize")))
void Reset_Handler(void) {
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    REG32(SCB_CPACR) |= 0xFu << 20; /* CP10/CP11: FPU, and Helium */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    volatile uint32_t *src = __data_load, *dst = __data_start;
    while (dst < __data_end) *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end;) *dst++ = 0;
    /* paint the stack below the current frame so main() can report the high-water mark */
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (dst = __stack_limit; (uintptr_t)dst < sp - 64;) *dst++ = STACK_PAINT;
    sh_exit(main());
}

/* Bytes of stack ever used: from the top down to the deepest overwritten paint word. */
uint32_t qk_stack_used(void) {
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT) ++p;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

static void put_hex(const char *label, uint32_t v) {
    char buf[32];
    int i = 0;
    while (*label) buf[i++] = *label++;
    buf[i++] = '0';
    buf[i++] = 'x';
    for (int s = 28; s >= 0; s -= 4) buf[i++] = "0123456789abcdef"[(v >> s) & 0xFu];
    buf[i] = 0;
    sh_puts(buf);
}

/* Report the fault and exit(3) rather than hang or lock up the emulator. */
__attribute__((used)) void fault_report(const uint32_t *frame) {
    sh_puts("\nqk: FAULT");
    put_hex(" pc=", frame[6]);
    put_hex(" lr=", frame[5]);
#if __ARM_ARCH >= 7 /* v6-M has no CFSR/HFSR */
    put_hex(" cfsr=", REG32(SCB_CFSR));
    put_hex(" hfsr=", REG32(SCB_HFSR));
#endif
    sh_puts("\n");
    sh_exit(3);
}

__attribute__((naked)) void Fault_Handler(void) {
    __asm__ volatile(
        "mov r0, lr\n\t"
        "movs r1, #4\n\t"
        "tst r0, r1\n\t" /* EXC_RETURN bit 2: which stack holds the frame */
        "bne 1f\n\t"
        "mrs r0, msp\n\t"
        "b fault_report\n"
        "1: mrs r0, psp\n\t"
        "b fault_report\n");
}

void Default_Handler(void) {
    sh_puts("\nqk: unexpected exception\n");
    sh_exit(4);
}
