/*
 * fiberswitch_aarch64.h - constants of the AArch64 (AAPCS64) port that its assembly
 * (native/src/fiberswitch_aarch64_aapcs64.S) and the code that checks it (the qemu rule harness,
 * later the Java provider) share. Plain #defines: included by assembly and C alike.
 */
#ifndef FIBERSWITCH_AARCH64_H
#define FIBERSWITCH_AARCH64_H

/*
 * The frame the switch leaves on a suspended stack; the saved sp points at its start. x29 at +0,
 * the PAC-signed x30 at +8 (modifier: the saved sp + A64_SWITCH_FRAME), x19-x28 from +0x10, d8-d15
 * from +0x60, FPCR at +0xa0.
 */
#define A64_SWITCH_FRAME   0xb0
#define A64_SF_LR          0x08
#define A64_SF_X19         0x10
#define A64_SF_D8          0x60
#define A64_SF_FPCR        0xa0

/*
 * A fresh fiber (fiberswitch_prepare), below top = FCB_STACK_HI & ~15: the FCB's address at
 * top - 0x10, the zero frame record at top - A64_FIRST_RECORD, a switch frame below that; prepare
 * writes A64_PREPARE_BYTES bytes below top.
 */
#define A64_FIRST_RECORD   0x20
#define A64_PREPARE_BYTES  (A64_FIRST_RECORD + A64_SWITCH_FRAME)

/*
 * The FPCR control bits that must survive a switch and that the FP probes compare: AHP (26), DN (25),
 * FZ (24), RMode (23:22), FZ16 (19), IDE (15), EBF (13), IXE (12), UFE (11), OFE (10), DZE (9), IOE (8),
 * NEP (2), AH (1), FIZ (0). The trap enables are RAZ/WI on cores that do not trap FP exceptions
 * (most, and qemu); FZ16, EBF and NEP/AH/FIZ are RAZ/WI without FEAT_FP16, FEAT_EBF16 and FEAT_AFP.
 * Len (18:16) and Stride (21:20) are AArch32-only and have no effect in AArch64 state.
 */
#define A64_FPCR_CONTROL_MASK 0x07C8BF07

/* The ABI probes' pattern for callee-saved register k (mask bit k) at round i: seed + i + (k + 1) * this. */
#define A64_PATTERN_STEP   0x0101010101010101

#endif
