/*
 * fiberswitch.h - the native side of the fiberswitch port contract.
 *
 * Included by every port's assembly (with __ASSEMBLER__ defined) and by C code that runs on a
 * fiber and wants to yield. The fiber control block (FCB) layout below is defined once for all
 * ports; org.fiberswitch.spi.FiberControlBlock mirrors it and the conformance rules check that the
 * assembled library reports the same offsets (fiberswitch_layout).
 */
#ifndef FIBERSWITCH_H
#define FIBERSWITCH_H

/* Bumped whenever the FCB layout or an entry point's meaning changes. */
#define FIBERSWITCH_ABI_VERSION 2

/* First 32 bits of every live FCB; callback stubs refuse user data without it. ("FSW1") */
#define FCB_MAGIC_VALUE 0x31575346

/* Offsets in bytes. Every field is 8 bytes unless noted. */
#define FCB_MAGIC        0x00  /* u32 magic, u32 ABI version */
#define FCB_FIBER_SP     0x08  /* saved stack pointer of the fiber */
#define FCB_RESUMER_SP   0x10  /* saved stack pointer of whoever resumed it */
#define FCB_TRANSFER     0x18  /* value passed by resume / yield / reply */
#define FCB_EXIT         0x20  /* why the fiber last switched out: FCB_EXIT_* */
#define FCB_CALLBACK_ID  0x28  /* which callback stub fired (see stub id below) */
#define FCB_FUNCTION     0x30  /* function the entry trampoline calls */
#define FCB_ARGS         0x38  /* FCB_MAX_CALL_ARGS integer/pointer arguments for FCB_FUNCTION */
#define FCB_RESULT       0x68  /* FCB_FUNCTION's return value */
#define FCB_STACK_LO     0x70  /* lowest usable stack address (above the guard) */
#define FCB_STACK_HI     0x78  /* stack top: the FCB's own address */
#define FCB_CB_INT       0x80  /* FCB_CB_INT_SLOTS integer positions captured by a callback stub */
#define FCB_CB_FLOAT     0xE0  /* FCB_CB_FLOAT_SLOTS float positions (raw 64 bits of each register) */
#define FCB_PORT         0x120 /* FCB_PORT_SLOTS slots a port may use for itself (Windows: TEB fields) */
#define FCB_LINK         0x160 /* another FCB this one is linked to (symmetric transfer); 0 if none */
#define FCB_SIZE         0x180 /* 0x168..0x17f reserved, zero */

#define FCB_MAX_CALL_ARGS   6
#define FCB_CB_INT_SLOTS    12
#define FCB_CB_FLOAT_SLOTS  8
#define FCB_PORT_SLOTS      8

#define FCB_EXIT_NONE     0
#define FCB_EXIT_YIELD    1
#define FCB_EXIT_DONE     2
#define FCB_EXIT_CALLBACK 3

/*
 * Callback stubs: FCB_STUB_COUNT entry points, FCB_STUB_STRIDE bytes apart, starting at
 * fiberswitch_callback_stubs. Stub id = ((tag * FCB_STUB_POSITIONS) + userDataPosition) * 2 + kind,
 * kind 0 returns the reply as an integer (rax), kind 1 as a double (xmm0).
 */
#define FCB_STUB_TAGS      16
#define FCB_STUB_POSITIONS 8
#define FCB_STUB_KINDS     2
#define FCB_STUB_COUNT     (FCB_STUB_TAGS * FCB_STUB_POSITIONS * FCB_STUB_KINDS)
#define FCB_STUB_STRIDE    32

/*
 * The handshake: fiberswitch_layout(i) returns the i-th value of FCB_LAYOUT_VALUES (the library's
 * assembled constants, in the order of org.fiberswitch.spi.FiberControlBlock.LAYOUT_NAMES) and -1 for
 * i >= FCB_LAYOUT_COUNT. Ports emit the table with `.quad FCB_LAYOUT_VALUES` (or `.xword`).
 */
#define FCB_LAYOUT_VALUES \
    FCB_MAGIC_VALUE, FCB_SIZE, \
    FCB_MAGIC, FCB_FIBER_SP, FCB_RESUMER_SP, FCB_TRANSFER, FCB_EXIT, FCB_CALLBACK_ID, \
    FCB_FUNCTION, FCB_ARGS, FCB_RESULT, FCB_STACK_LO, FCB_STACK_HI, FCB_CB_INT, \
    FCB_CB_FLOAT, FCB_PORT, FCB_LINK, \
    FCB_EXIT_YIELD, FCB_EXIT_DONE, FCB_EXIT_CALLBACK, \
    FCB_STUB_COUNT, FCB_STUB_STRIDE, \
    FCB_MAX_CALL_ARGS, FCB_CB_INT_SLOTS, FCB_CB_FLOAT_SLOTS, FCB_PORT_SLOTS
#define FCB_LAYOUT_COUNT 26

/*
 * JNI binding (optional). A port may export
 *     int64 fiberswitch_jni_register(JNIEnv *env, jclass cls)
 * which registers, with JNI RegisterNatives, static native methods of cls that reach the C entry
 * points without JNA's generic dispatch. Each adapter drops JNIEnv* and jclass and tail-jumps to its
 * C entry. The methods, in table order:
 *     long resume(long fcb, long value)                         -> fiberswitch_resume
 *     void prepare(long fcb)                                    -> fiberswitch_prepare
 *     long probeResumeRegisters(long fcb, long value, long seed) -> fiberswitch_probe_resume_registers
 *     long probeResumeFpEnv(long fcb, long value, long env)     -> fiberswitch_probe_resume_fpenv
 *     long probeReadFpEnv()                                     -> fiberswitch_probe_read_fpenv
 * It returns 0, or RegisterNatives' negative result with the pending exception cleared.
 * org.fiberswitch.spi.JniBinding calls it once; a port without it is bound through JNA alone.
 */
#define FIBERSWITCH_JNI_METHOD_COUNT 5
/* Byte offsets in the JNI function table (struct JNINativeInterface_), the same on every JDK. */
#define JNI_EXCEPTION_CLEAR  136
#define JNI_REGISTER_NATIVES 1720

#ifndef __ASSEMBLER__
#include <stdint.h>

/* A fiber's handle is the address of its control block. */
typedef void *fiberswitch_handle;

/* The signature of a fiber entry point. */
typedef intptr_t (*fiberswitch_entry)(fiberswitch_handle self, intptr_t arg);

/* Switch from the running fiber back to its resumer; returns the value of the next resume. */
intptr_t fiberswitch_yield(fiberswitch_handle self, intptr_t value);

/* Switch into a fiber from native code (nesting); returns what it yields or its result. */
intptr_t fiberswitch_resume(fiberswitch_handle fiber, intptr_t value);
#endif

#endif
