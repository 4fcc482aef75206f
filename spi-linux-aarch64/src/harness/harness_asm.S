/*
 * Assembly helpers for the AArch64 rule harness (harness.c). ELF only, built into the harness
 * executable, which is marked BTI (and PAC) so that its pages are guarded under qemu -cpu max.
 */
#define BTI_C   hint #34
#define BTI_JC  hint #38
#define PACIASP hint #25
#define AUTIASP hint #29

    .text

/*
 * The executable's entry. The dynamic loader enters it with `br`, so it must be a landing pad for
 * a br (bti jc); Debian bookworm's Scrt1.o has a nop where a BTI-built glibc has that pad, so the
 * harness is linked with -nostartfiles, Scrt1.o, and this entry in front of its _start.
 */
    .p2align 2
    .globl harness_entry
    .type harness_entry, %function
harness_entry:
    BTI_JC
    b _start
    .size harness_entry, .-harness_entry

/* Called with blr, it has no landing pad: on a guarded page that is a BTI fault (SIGILL). */
    .p2align 4
    .globl harness_not_a_landing_pad
    .type harness_not_a_landing_pad, %function
harness_not_a_landing_pad:
    mov x0, #0
    ret
    .size harness_not_a_landing_pad, .-harness_not_a_landing_pad

/* The same with its landing pad: the control. */
    .p2align 4
    .globl harness_landing_pad
    .type harness_landing_pad, %function
harness_landing_pad:
    BTI_C
    mov x0, #0
    ret
    .size harness_landing_pad, .-harness_landing_pad

/* uintptr_t harness_xpac(uintptr_t p): p with its pointer authentication code stripped (xpaclri). */
    .p2align 4
    .globl harness_xpac
    .type harness_xpac, %function
harness_xpac:
    BTI_C
    mov x9, x30
    mov x30, x0
    hint #7                         /* xpaclri */
    mov x0, x30
    mov x30, x9
    ret
    .size harness_xpac, .-harness_xpac

/* uintptr_t harness_pacia(uintptr_t p, uintptr_t modifier): p signed with the A key (pacia1716). */
    .p2align 4
    .globl harness_pacia
    .type harness_pacia, %function
harness_pacia:
    BTI_C
    mov x17, x0
    mov x16, x1
    hint #8                         /* pacia1716 */
    mov x0, x17
    ret
    .size harness_pacia, .-harness_pacia

/*
 * intptr_t harness_call_preserving(fn, a, b, uint64_t *lost): calls fn(a, b) with patterns in
 * x19-x28, x29 and d8-d15, and stores in *lost the bits (the probes' order: x19..x28 = 0-9, x29 =
 * 10, d8..d15 = 11-18) of those fn did not preserve. Returns fn's result.
 */
.macro PATTERN reg, k
    ldr x10, =(0x0123456789abcdef + (\k) * 0x1111111111111111)
    mov \reg, x10
.endm
.macro PATTERN_D reg, k
    ldr x10, =(0x0123456789abcdef + (\k) * 0x1111111111111111)
    fmov \reg, x10
.endm
.macro LOST reg, k
    ldr x10, =(0x0123456789abcdef + (\k) * 0x1111111111111111)
    cmp \reg, x10
    cset x11, ne
    orr x12, x12, x11, lsl #\k
.endm
.macro LOST_D reg, k
    ldr x10, =(0x0123456789abcdef + (\k) * 0x1111111111111111)
    fmov x13, \reg
    cmp x13, x10
    cset x11, ne
    orr x12, x12, x11, lsl #\k
.endm
    .p2align 4
    .globl harness_call_preserving
    .type harness_call_preserving, %function
harness_call_preserving:
    BTI_C
    PACIASP
    stp x29, x30, [sp, #-176]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    stp x27, x28, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    str x3, [sp, #160]
    mov x9, x0
    mov x0, x1
    mov x1, x2
    PATTERN x19, 0
    PATTERN x20, 1
    PATTERN x21, 2
    PATTERN x22, 3
    PATTERN x23, 4
    PATTERN x24, 5
    PATTERN x25, 6
    PATTERN x26, 7
    PATTERN x27, 8
    PATTERN x28, 9
    PATTERN x29, 10
    PATTERN_D d8, 11
    PATTERN_D d9, 12
    PATTERN_D d10, 13
    PATTERN_D d11, 14
    PATTERN_D d12, 15
    PATTERN_D d13, 16
    PATTERN_D d14, 17
    PATTERN_D d15, 18
    blr x9
    mov x12, #0
    LOST x19, 0
    LOST x20, 1
    LOST x21, 2
    LOST x22, 3
    LOST x23, 4
    LOST x24, 5
    LOST x25, 6
    LOST x26, 7
    LOST x27, 8
    LOST x28, 9
    LOST x29, 10
    LOST_D d8, 11
    LOST_D d9, 12
    LOST_D d10, 13
    LOST_D d11, 14
    LOST_D d12, 15
    LOST_D d13, 16
    LOST_D d14, 17
    LOST_D d15, 18
    ldr x3, [sp, #160]
    str x12, [x3]
    ldp x19, x20, [sp, #16]
    ldp x21, x22, [sp, #32]
    ldp x23, x24, [sp, #48]
    ldp x25, x26, [sp, #64]
    ldp x27, x28, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldp x29, x30, [sp], #176
    AUTIASP
    ret
    .ltorg
    .size harness_call_preserving, .-harness_call_preserving

/*
 * The fake JNI functions' entries: each records sp at its entry (the caller must call with sp
 * 16-byte aligned), overwrites the caller-saved registers that are not its arguments, as a real
 * JVM function may, and continues in C.
 */
.macro CLOBBER_CALLER_SAVED
    mov x4, #0xdead
    mov x5, #0xdead
    mov x6, #0xdead
    mov x7, #0xdead
    mov x8, #0xdead
    mov x11, #0xdead
    mov x12, #0xdead
    mov x13, #0xdead
    mov x14, #0xdead
    mov x15, #0xdead
    mov x16, #0xdead
    mov x17, #0xdead
    fmov d16, x4
    fmov d17, x4
    fmov d31, x4
.endm
    .p2align 4
    .globl harness_register_natives_stub
    .type harness_register_natives_stub, %function
harness_register_natives_stub:
    BTI_C
    mov x9, sp
    adrp x10, harness_jni_entry_sp
    str x9, [x10, #:lo12:harness_jni_entry_sp]
    CLOBBER_CALLER_SAVED
    b harness_fake_register_natives
    .size harness_register_natives_stub, .-harness_register_natives_stub

    .p2align 4
    .globl harness_exception_clear_stub
    .type harness_exception_clear_stub, %function
harness_exception_clear_stub:
    BTI_C
    mov x9, sp
    adrp x10, harness_jni_entry_sp
    add x10, x10, #:lo12:harness_jni_entry_sp
    str x9, [x10, #8]
    CLOBBER_CALLER_SAVED
    mov x1, #0xdead
    mov x2, #0xdead
    mov x3, #0xdead
    b harness_fake_exception_clear
    .size harness_exception_clear_stub, .-harness_exception_clear_stub

    .section .note.gnu.property, "a"
    .p2align 3
    .word 4, 16, 5
    .asciz "GNU"
    .word 0xc0000000, 4, 3, 0
    .section .note.GNU-stack,"",%progbits
