/*
 * fiberswitch for AArch64, AAPCS64 (Linux ELF, and macOS arm64 Mach-O from the same source).
 *
 * One switch body, saved and loaded the same way in both directions. It signs the return address
 * (paciasp), pushes a 176-byte frame holding x29, x30, x19-x28, d8-d15 and FPCR, stores sp in the
 * slot the caller named, loads the other side's sp, writes FPCR only when the other side's value
 * differs from this side's, pops the other side's frame, authenticates its return address
 * (autiasp) and returns with x0 = FCB_TRANSFER. Every path into the body is direct branches only
 * (resume, yield, the callback body and the entry trampoline branch to it), so no frame of ours sits
 * between a suspended side and the code it returns to.
 *
 * Return predictor. The x86-64 port enters the fiber with an indirect jmp, to keep the resumer's
 * return-stack entries, and comes back through a landing pad: one mispredicted return per round
 * trip. That is not open to us here: the target of an indirect `br` must be a BTI landing pad in a
 * guarded page, and the return site in the C code that called yield (or a callback stub) is an
 * ordinary instruction. `ret` is exempt from BTI, so both directions end with `ret`. The return
 * stack stays in step: every `bl` into resume, yield or a stub is matched by exactly one `ret`
 * (the switch's, on the other side), so each round trip costs two mispredicted returns (the
 * switch's `ret` onto the fiber and its `ret` back), and every return the resumer makes after
 * that, through its JNI wrapper and the Java frames above it, is predicted, at any depth. This is
 * Boost.Context's ending too (ret through a register). As on x86-64, that holds while the fiber
 * yields (or calls a stub) again from the same frame, as a loop does: a return the fiber makes past
 * that frame between two switches pops an entry the resumer pushed, and both sides mispredict once.
 *
 * FPCR. The whole register is saved in the frame; it is written only when the incoming side's
 * value differs from the outgoing side's, because a write to FPCR is slow on many cores (glibc's
 * fesetround and fesetenv compare before they write, for the same reason) and reading it is cheap.
 * A fresh fiber starts with FPCR = 0, the C default (round to nearest, no flush-to-zero, no default
 * NaN, no traps). The control bits that must survive, and that the probes compare, are
 * A64_FPCR_CONTROL_MASK in fiberswitch_aarch64.h. FPSR (the cumulative exception flags) is
 * status, not control, and is not switched, as the AAPCS64 does not preserve it across calls.
 *
 * PAC and BTI. Every exported or indirectly called entry starts with `bti c`; there is no `br` in
 * this library, so no `bti j` is needed. Return addresses that this code stores in memory are
 * signed with the A key and sp as the modifier (paciasp / autiasp, and pacia1716 in prepare for
 * the first frame); these are hint-space instructions, so they run as NOPs on cores without PAC
 * (where the same binary keeps working) and fault on a forged return address on cores with it.
 * The switch restores sp exactly, so C code on the fiber built with -mbranch-protection=standard
 * (which signs with sp as the modifier too) authenticates its own return addresses after any
 * number of switches. The ELF build carries the GNU property note with BTI and PAC, so a BTI-aware
 * loader maps this library's pages guarded. x18 is never touched (Apple reserves it).
 *
 * The frame the switch leaves on a suspended stack (the saved sp points at +0x00):
 *
 *   +0x00  x29 (fp)         +0x08  x30 (lr): signed, modifier = saved sp + 0xb0
 *   +0x10  x19              +0x18  x20
 *   +0x20  x21              +0x28  x22
 *   +0x30  x23              +0x38  x24
 *   +0x40  x25              +0x48  x26
 *   +0x50  x27              +0x58  x28
 *   +0x60  d8               +0x68  d9
 *   +0x70  d10              +0x78  d11
 *   +0x80  d12              +0x88  d13
 *   +0x90  d14              +0x98  d15
 *   +0xa0  FPCR             +0xa8  unused (sp stays 16-byte aligned)
 *   +0xb0  the side's sp before the switch: the CFA
 *
 * A fresh fiber (fiberswitch_prepare), below top = FCB_STACK_HI rounded down to 16:
 *
 *   top-0x10  the FCB's address, and 8 bytes of zero
 *   top-0x20  the first frame record: fp = 0, lr = 0 (frame-pointer walkers stop here)
 *   top-0xd0  a switch frame: all zero, except lr = the entry trampoline, signed with modifier
 *             top-0x20; FCB_FIBER_SP = top-0xd0
 *
 * The first resume pops that frame and returns into the entry trampoline with sp = top-0x20 and
 * FPCR = 0; the trampoline takes the FCB from the stack (not from a register the switch restored,
 * so that nothing but the switch frame's lr and FPCR carries a fresh fiber's start), points x29 at
 * the zero record and calls FCB_FUNCTION. Its CFI marks x30 undefined, so DWARF unwinders stop
 * there too.
 *
 * Build for Mach-O with -DFIBERSWITCH_MACHO: C symbols get a leading underscore and the ELF-only
 * directives drop out. Every instruction is the same in both builds: internal branches and address
 * computations only name assembler-local labels (L...), and padding is explicit where the two
 * assemblers would fill differently.
 */
#include "fiberswitch.h"
#include "fiberswitch_aarch64.h"

/*
 * Symbols. No statement separators: `;` separates statements in GNU as but starts a comment in
 * Apple's arm64 assembly syntax, so multi-statement definitions are assembler macros.
 */
#ifdef FIBERSWITCH_MACHO
#  define SYM(n) _##n
#  define SIZE_FN(n)
.macro FS_EXPORT name
    .globl \name
\name:
.endm
.macro FS_LOCAL name
\name:
.endm
#else
#  define SYM(n) n
#  define SIZE_FN(n) .size SYM(n),.-SYM(n)
.macro FS_EXPORT name
    .globl \name
    .type \name,%function
\name:
.endm
.macro FS_LOCAL name
    .type \name,%function
\name:
.endm
#endif

#define EXPORT(n) FS_EXPORT SYM(n)
#define LOCAL_FN(n) FS_LOCAL SYM(n)

/* Hint-space encodings, so that any assembler takes them and cores without the feature skip them. */
#define BTI_C     hint #34
#define PACIASP   hint #25
#define AUTIASP   hint #29
#define PACIA1716 hint #8

/* The switch frame (see the table above; the offsets are shared through fiberswitch_aarch64.h). */
#define SF_SIZE  A64_SWITCH_FRAME
#define SF_FPCR  A64_SF_FPCR

/* DWARF numbers of d8-d15 (v8-v15). */
#define DW_D8  72
#define DW_D9  73
#define DW_D10 74
#define DW_D11 75
#define DW_D12 76
#define DW_D13 77
#define DW_D14 78
#define DW_D15 79

/* After a frame is popped: CFA = sp again, every register back in place. */
.macro CFI_RESTORE_SAVED
    .cfi_def_cfa_offset 0
    .cfi_restore x29
    .cfi_restore x30
    .cfi_restore x19
    .cfi_restore x20
    .cfi_restore x21
    .cfi_restore x22
    .cfi_restore x23
    .cfi_restore x24
    .cfi_restore x25
    .cfi_restore x26
    .cfi_restore x27
    .cfi_restore x28
    .cfi_restore DW_D8
    .cfi_restore DW_D9
    .cfi_restore DW_D10
    .cfi_restore DW_D11
    .cfi_restore DW_D12
    .cfi_restore DW_D13
    .cfi_restore DW_D14
    .cfi_restore DW_D15
.endm

/* Pops a frame whose record (x29, signed x30) is at sp, and returns. */
.macro POP_FRAME_AND_RETURN size
    ldp x29, x30, [sp], #\size
    CFI_RESTORE_SAVED
    AUTIASP
    .cfi_negate_ra_state
    ret
.endm

    .text

/* ---------------------------------------------------------------- the switch */

/*
 * fiberswitch_switch(x0 = fcb, x1 = where to store this side's sp, x2 = the other side's sp):
 * returns on the other side with x0 = FCB_TRANSFER.
 *
 * # Safety
 * Reached only by a direct branch from resume, yield, the callback body or the entry trampoline,
 * with lr = this side's return address and sp = this side's sp at its call. x2 must be a frame this
 * function left (or prepare built) on a stack that nothing else runs on, and x0 a live FCB.
 */
    .p2align 4
LOCAL_FN(fiberswitch_switch)
Lswitch:
    .cfi_startproc
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-SF_SIZE]!
    .cfi_def_cfa_offset SF_SIZE
    .cfi_offset x29, -SF_SIZE
    .cfi_offset x30, -SF_SIZE + 8
    stp x19, x20, [sp, #0x10]
    .cfi_offset x19, -SF_SIZE + 0x10
    .cfi_offset x20, -SF_SIZE + 0x18
    stp x21, x22, [sp, #0x20]
    .cfi_offset x21, -SF_SIZE + 0x20
    .cfi_offset x22, -SF_SIZE + 0x28
    stp x23, x24, [sp, #0x30]
    .cfi_offset x23, -SF_SIZE + 0x30
    .cfi_offset x24, -SF_SIZE + 0x38
    stp x25, x26, [sp, #0x40]
    .cfi_offset x25, -SF_SIZE + 0x40
    .cfi_offset x26, -SF_SIZE + 0x48
    stp x27, x28, [sp, #0x50]
    .cfi_offset x27, -SF_SIZE + 0x50
    .cfi_offset x28, -SF_SIZE + 0x58
    stp d8, d9, [sp, #0x60]
    .cfi_offset DW_D8, -SF_SIZE + 0x60
    .cfi_offset DW_D9, -SF_SIZE + 0x68
    stp d10, d11, [sp, #0x70]
    .cfi_offset DW_D10, -SF_SIZE + 0x70
    .cfi_offset DW_D11, -SF_SIZE + 0x78
    stp d12, d13, [sp, #0x80]
    .cfi_offset DW_D12, -SF_SIZE + 0x80
    .cfi_offset DW_D13, -SF_SIZE + 0x88
    stp d14, d15, [sp, #0x90]
    .cfi_offset DW_D14, -SF_SIZE + 0x90
    .cfi_offset DW_D15, -SF_SIZE + 0x98
    mrs x9, fpcr
    str x9, [sp, #SF_FPCR]
    mov x10, sp
    str x10, [x1]
    /* From here the frame at sp is the other side's; it has the same shape, so the CFI holds. */
    mov sp, x2
    ldr x10, [sp, #SF_FPCR]
    cmp x9, x10
    b.eq 1f
    msr fpcr, x10
1:  ldp d8, d9, [sp, #0x60]
    ldp d10, d11, [sp, #0x70]
    ldp d12, d13, [sp, #0x80]
    ldp d14, d15, [sp, #0x90]
    ldp x19, x20, [sp, #0x10]
    ldp x21, x22, [sp, #0x20]
    ldp x23, x24, [sp, #0x30]
    ldp x25, x26, [sp, #0x40]
    ldp x27, x28, [sp, #0x50]
    ldp x29, x30, [sp], #SF_SIZE
    CFI_RESTORE_SAVED
    AUTIASP
    .cfi_negate_ra_state
    ldr x0, [x0, #FCB_TRANSFER]
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_switch)

/*
 * intptr_t fiberswitch_resume(fcb, value): switch onto the fiber; returns what it passes back
 * (a yield's value, a callback's arguments being in the FCB, or its result).
 *
 * # Safety
 * fcb is a prepared or suspended fiber that is not running, on no thread's call chain; the caller
 * is on its own stack (a thread's, or another fiber's when nesting). The value reaches the fiber as
 * yield's result, or as a callback stub's reply in x0 and, for double stubs, d0.
 */
    .p2align 4
EXPORT(fiberswitch_resume)
Lresume:
    .cfi_startproc
    BTI_C
    str x1, [x0, #FCB_TRANSFER]
    fmov d0, x1                     /* a callback stub's reply, for stubs that return double */
    add x1, x0, #FCB_RESUMER_SP
    ldr x2, [x0, #FCB_FIBER_SP]
    b Lswitch
    .cfi_endproc
SIZE_FN(fiberswitch_resume)

/*
 * intptr_t fiberswitch_yield(fcb, value): from the fiber back to its resumer; returns the value of
 * the next resume.
 *
 * # Safety
 * Called on fcb's own stack, by code that fcb's entry function called, while fcb is running.
 */
    .p2align 4
EXPORT(fiberswitch_yield)
Lyield:
    .cfi_startproc
    BTI_C
    str x1, [x0, #FCB_TRANSFER]
    mov x9, #FCB_EXIT_YIELD
    str x9, [x0, #FCB_EXIT]
    add x1, x0, #FCB_FIBER_SP
    ldr x2, [x0, #FCB_RESUMER_SP]
    b Lswitch
    .cfi_endproc
SIZE_FN(fiberswitch_yield)

/* ---------------------------------------------------------------- fresh stacks */

/*
 * void fiberswitch_prepare(fcb): build the first frame below FCB_STACK_HI (see the file comment) so
 * that the first resume enters the entry trampoline.
 *
 * # Safety
 * fcb's STACK_LO, STACK_HI, FUNCTION and ARGS are set, A64_PREPARE_BYTES (0xd0) bytes below
 * STACK_HI rounded down to 16 are writable, and the fiber is not running (a suspended one is discarded).
 */
    .p2align 4
EXPORT(fiberswitch_prepare)
Lprepare:
    .cfi_startproc
    BTI_C
    ldr x9, [x0, #FCB_STACK_HI]
    and x9, x9, #-16
    stp x0, xzr, [x9, #-16]!        /* the FCB, for the trampoline */
    stp xzr, xzr, [x9, #-16]!       /* the first frame record; x9 = the trampoline's sp */
    sub x10, x9, #SF_SIZE
    stp xzr, xzr, [x10, #0x00]
    stp xzr, xzr, [x10, #0x10]
    stp xzr, xzr, [x10, #0x20]
    stp xzr, xzr, [x10, #0x30]
    stp xzr, xzr, [x10, #0x40]
    stp xzr, xzr, [x10, #0x50]
    stp xzr, xzr, [x10, #0x60]
    stp xzr, xzr, [x10, #0x70]
    stp xzr, xzr, [x10, #0x80]
    stp xzr, xzr, [x10, #0x90]
    stp xzr, xzr, [x10, #0xa0]      /* FPCR = 0: the C default */
    adr x17, Lentry
    mov x16, x9
    PACIA1716                       /* sign as the switch's paciasp would at sp = x9 */
    str x17, [x10, #0x08]
    str x10, [x0, #FCB_FIBER_SP]
    str xzr, [x0, #FCB_EXIT]        /* FCB_EXIT_NONE */
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_prepare)

/*
 * The first frame of every fiber, entered by the switch's ret with sp at the zero frame record and
 * the FCB's address above it: calls FCB_FUNCTION(FCB_ARGS[0..5]), stores the result, switches out
 * for the last time.
 */
    .p2align 4
LOCAL_FN(fiberswitch_entry)
Lentry:
    .cfi_startproc
    .cfi_undefined x30
    ldr x19, [sp, #16]              /* the FCB */
    mov x29, sp                     /* the zero frame record */
    ldp x0, x1, [x19, #FCB_ARGS]
    ldp x2, x3, [x19, #FCB_ARGS + 16]
    ldp x4, x5, [x19, #FCB_ARGS + 32]
    ldr x9, [x19, #FCB_FUNCTION]
    blr x9
    str x0, [x19, #FCB_RESULT]
    str x0, [x19, #FCB_TRANSFER]
    mov x9, #FCB_EXIT_DONE
    str x9, [x19, #FCB_EXIT]
    mov x0, x19
    add x1, x19, #FCB_FIBER_SP
    ldr x2, [x19, #FCB_RESUMER_SP]
    bl Lswitch
    brk #0xf1                       /* a finished fiber is never resumed by the runtime */
    .cfi_endproc
SIZE_FN(fiberswitch_entry)

/* ---------------------------------------------------------------- callback stubs */

/*
 * Each stub: bti c; w9 = stub id; x10 = the user-data argument (the fiber's handle, in x<position>);
 * a direct branch to the common body; then brk padding to the 32-byte stride. The reply kind lives
 * only in the id: the switch returns every reply in both x0 and d0, so no frame of ours sits between
 * the switch and the stub's caller.
 */
.macro FS_STUB tag, pos, kind
    BTI_C
    mov w9, #((((\tag) * FCB_STUB_POSITIONS) + (\pos)) * 2 + (\kind))
    mov x10, x\pos
    b Lcallback_body
    brk #0xfb
    brk #0xfb
    brk #0xfb
    brk #0xfb
.endm

.macro FS_STUBS_FOR_TAG tag
    FS_STUB \tag, 0, 0
    FS_STUB \tag, 0, 1
    FS_STUB \tag, 1, 0
    FS_STUB \tag, 1, 1
    FS_STUB \tag, 2, 0
    FS_STUB \tag, 2, 1
    FS_STUB \tag, 3, 0
    FS_STUB \tag, 3, 1
    FS_STUB \tag, 4, 0
    FS_STUB \tag, 4, 1
    FS_STUB \tag, 5, 0
    FS_STUB \tag, 5, 1
    FS_STUB \tag, 6, 0
    FS_STUB \tag, 6, 1
    FS_STUB \tag, 7, 0
    FS_STUB \tag, 7, 1
.endm

/*
 * # Safety
 * Stub `position` must be called, as a C function whose integer arguments are 64-bit, with a live
 * FCB as its integer argument `position` and on that FCB's running fiber; anything else stops at
 * once (brk). Its caller must not need x8 (an indirect result) or more than the captured arguments.
 */
    .p2align 5
EXPORT(fiberswitch_callback_stubs)
    .cfi_startproc
    FS_STUBS_FOR_TAG 0
    FS_STUBS_FOR_TAG 1
    FS_STUBS_FOR_TAG 2
    FS_STUBS_FOR_TAG 3
    FS_STUBS_FOR_TAG 4
    FS_STUBS_FOR_TAG 5
    FS_STUBS_FOR_TAG 6
    FS_STUBS_FOR_TAG 7
    FS_STUBS_FOR_TAG 8
    FS_STUBS_FOR_TAG 9
    FS_STUBS_FOR_TAG 10
    FS_STUBS_FOR_TAG 11
    FS_STUBS_FOR_TAG 12
    FS_STUBS_FOR_TAG 13
    FS_STUBS_FOR_TAG 14
    FS_STUBS_FOR_TAG 15
    .cfi_endproc
SIZE_FN(fiberswitch_callback_stubs)

/*
 * Common body (x10 = fcb, w9 = stub id, the native caller's arguments still in place, sp = the
 * caller's sp, so its first stack argument is at [sp]). The user data must be a live FCB and we
 * must be on its stack; otherwise stop at once with brk rather than switch to a wrong stack.
 */
    .p2align 4
LOCAL_FN(fiberswitch_callback_body)
Lcallback_body:
    .cfi_startproc
    ldr w11, [x10, #FCB_MAGIC]
    movz w12, #(FCB_MAGIC_VALUE & 0xffff)
    movk w12, #(FCB_MAGIC_VALUE >> 16), lsl #16
    cmp w11, w12
    b.ne 9f
    mov x12, sp
    ldp x11, x13, [x10, #FCB_STACK_LO]      /* STACK_LO, STACK_HI */
    cmp x12, x11
    b.lo 9f
    cmp x12, x13
    b.hs 9f
    stp x0, x1, [x10, #FCB_CB_INT + 0x00]
    stp x2, x3, [x10, #FCB_CB_INT + 0x10]
    stp x4, x5, [x10, #FCB_CB_INT + 0x20]
    stp x6, x7, [x10, #FCB_CB_INT + 0x30]
    ldp x11, x12, [sp]                      /* the first four stack argument slots */
    stp x11, x12, [x10, #FCB_CB_INT + 0x40]
    ldp x11, x12, [sp, #0x10]
    stp x11, x12, [x10, #FCB_CB_INT + 0x50]
    stp d0, d1, [x10, #FCB_CB_FLOAT + 0x00]
    stp d2, d3, [x10, #FCB_CB_FLOAT + 0x10]
    stp d4, d5, [x10, #FCB_CB_FLOAT + 0x20]
    stp d6, d7, [x10, #FCB_CB_FLOAT + 0x30]
    mov x11, #FCB_EXIT_CALLBACK
    stp x11, x9, [x10, #FCB_EXIT]           /* EXIT, CALLBACK_ID */
    mov x0, x10
    add x1, x10, #FCB_FIBER_SP
    ldr x2, [x10, #FCB_RESUMER_SP]
    b Lswitch                       /* once resumed, the switch returns the reply (x0, d0) to the stub's caller */
9:  brk #0xfc
    .cfi_endproc
SIZE_FN(fiberswitch_callback_body)

/* ---------------------------------------------------------------- handshake */

/* int64 fiberswitch_abi_version(void) */
    .p2align 4
EXPORT(fiberswitch_abi_version)
    .cfi_startproc
    BTI_C
    mov x0, #FIBERSWITCH_ABI_VERSION
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_abi_version)

/* int64 fiberswitch_layout(int64 i): FCB_LAYOUT_VALUES[i], the constants this library was built with; -1 past the end. */
    .p2align 4
EXPORT(fiberswitch_layout)
    .cfi_startproc
    BTI_C
    cmp x0, #FCB_LAYOUT_COUNT
    b.hs 1f
    adr x1, Llayout
    ldr x0, [x1, x0, lsl #3]
    ret
1:  mov x0, #-1
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_layout)

/* ---------------------------------------------------------------- ABI probes */

/*
 * Pattern for callee-saved register k (the mask bit order: x19..x28 = 0-9, x29 = 10, d8..d15 =
 * 11-18) at round i: seed + i + Lpatterns[k], Lpatterns[k] = (k + 1) * A64_PATTERN_STEP.
 * LOAD_PATTERNS: x8 = seed + round; uses x9-x11; loads all 19.
 */
.macro LOAD_X2 ra, rb, off
    ldp x10, x11, [x9, #\off]
    add \ra, x10, x8
    add \rb, x11, x8
.endm
.macro LOAD_D2 da, db, off
    ldp x10, x11, [x9, #\off]
    add x10, x10, x8
    add x11, x11, x8
    fmov \da, x10
    fmov \db, x11
.endm
.macro LOAD_PATTERNS
    adr x9, Lpatterns
    LOAD_X2 x19, x20, 0
    LOAD_X2 x21, x22, 16
    LOAD_X2 x23, x24, 32
    LOAD_X2 x25, x26, 48
    LOAD_X2 x27, x28, 64
    ldp x10, x11, [x9, #80]
    add x29, x10, x8
    add x11, x11, x8
    fmov d8, x11
    LOAD_D2 d9, d10, 96
    LOAD_D2 d11, d12, 112
    LOAD_D2 d13, d14, 128
    ldr x10, [x9, #144]
    add x10, x10, x8
    fmov d15, x10
.endm

/* CHECK_*: x8 = seed + round, x9 = Lpatterns; x12 |= 1 << k if the register lost its pattern (uses x10, x11, x13) */
.macro CHECK_X reg, k
    ldr x10, [x9, #(8 * \k)]
    add x10, x10, x8
    cmp \reg, x10
    cset x11, ne
    orr x12, x12, x11, lsl #\k
.endm
.macro CHECK_D reg, k
    ldr x10, [x9, #(8 * \k)]
    add x10, x10, x8
    fmov x13, \reg
    cmp x13, x10
    cset x11, ne
    orr x12, x12, x11, lsl #\k
.endm
.macro CHECK_PATTERNS
    adr x9, Lpatterns
    CHECK_X x19, 0
    CHECK_X x20, 1
    CHECK_X x21, 2
    CHECK_X x22, 3
    CHECK_X x23, 4
    CHECK_X x24, 5
    CHECK_X x25, 6
    CHECK_X x26, 7
    CHECK_X x27, 8
    CHECK_X x28, 9
    CHECK_X x29, 10
    CHECK_D d8, 11
    CHECK_D d9, 12
    CHECK_D d10, 13
    CHECK_D d11, 14
    CHECK_D d12, 15
    CHECK_D d13, 16
    CHECK_D d14, 17
    CHECK_D d15, 18
.endm

/* A frame of \size bytes: the signed return address and x29 at +0, x19-x28 and d8-d15 at +0x10..+0x9f. */
.macro SAVE_ALL size
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-\size]!
    .cfi_def_cfa_offset \size
    .cfi_offset x29, -\size
    .cfi_offset x30, -\size + 8
    stp x19, x20, [sp, #0x10]
    stp x21, x22, [sp, #0x20]
    stp x23, x24, [sp, #0x30]
    stp x25, x26, [sp, #0x40]
    stp x27, x28, [sp, #0x50]
    stp d8, d9, [sp, #0x60]
    stp d10, d11, [sp, #0x70]
    stp d12, d13, [sp, #0x80]
    stp d14, d15, [sp, #0x90]
    .cfi_offset x19, -\size + 0x10
    .cfi_offset x20, -\size + 0x18
    .cfi_offset x21, -\size + 0x20
    .cfi_offset x22, -\size + 0x28
    .cfi_offset x23, -\size + 0x30
    .cfi_offset x24, -\size + 0x38
    .cfi_offset x25, -\size + 0x40
    .cfi_offset x26, -\size + 0x48
    .cfi_offset x27, -\size + 0x50
    .cfi_offset x28, -\size + 0x58
    .cfi_offset DW_D8, -\size + 0x60
    .cfi_offset DW_D9, -\size + 0x68
    .cfi_offset DW_D10, -\size + 0x70
    .cfi_offset DW_D11, -\size + 0x78
    .cfi_offset DW_D12, -\size + 0x80
    .cfi_offset DW_D13, -\size + 0x88
    .cfi_offset DW_D14, -\size + 0x90
    .cfi_offset DW_D15, -\size + 0x98
.endm
.macro RESTORE_ALL_AND_RETURN size
    ldp x19, x20, [sp, #0x10]
    ldp x21, x22, [sp, #0x20]
    ldp x23, x24, [sp, #0x30]
    ldp x25, x26, [sp, #0x40]
    ldp x27, x28, [sp, #0x50]
    ldp d8, d9, [sp, #0x60]
    ldp d10, d11, [sp, #0x70]
    ldp d12, d13, [sp, #0x80]
    ldp d14, d15, [sp, #0x90]
    POP_FRAME_AND_RETURN \size
.endm

/*
 * Fiber entry probe_registers(fcb, seed): three rounds of: load patterns, yield(round), check.
 * Returns the mask of registers that did not survive (bit order above).
 *
 * # Safety
 * Runs as a fiber's FCB_FUNCTION with ARGS[0] = its own FCB.
 */
    .p2align 4
EXPORT(fiberswitch_probe_registers)
    .cfi_startproc
    BTI_C
    SAVE_ALL 0xc0                   /* locals: [0xa0] fcb [0xa8] seed [0xb0] round [0xb8] mask */
    stp x0, x1, [sp, #0xa0]
    stp xzr, xzr, [sp, #0xb0]
1:  ldp x8, x13, [sp, #0xa8]
    add x8, x8, x13
    LOAD_PATTERNS
    ldr x0, [sp, #0xa0]
    ldr x1, [sp, #0xb0]
    bl Lyield
    ldp x8, x13, [sp, #0xa8]
    add x8, x8, x13
    ldr x12, [sp, #0xb8]
    CHECK_PATTERNS
    ldr x13, [sp, #0xb0]
    add x13, x13, #1
    stp x13, x12, [sp, #0xb0]
    cmp x13, #3
    b.lo 1b
    mov x0, x12
    RESTORE_ALL_AND_RETURN 0xc0
    .cfi_endproc
SIZE_FN(fiberswitch_probe_registers)

/*
 * Resumer side: probe_resume_registers(fcb, value, seed) loads patterns (round 0 of seed) into its
 * own callee-saved registers, resumes the fiber with value, and returns the mask of those that did
 * not survive the round trip. It restores its caller's registers itself.
 *
 * # Safety
 * As for fiberswitch_resume.
 */
    .p2align 4
EXPORT(fiberswitch_probe_resume_registers)
Lprobe_resume_registers:
    .cfi_startproc
    BTI_C
    SAVE_ALL 0xb0                   /* [0xa0] seed */
    str x2, [sp, #0xa0]
    mov x8, x2
    LOAD_PATTERNS
    bl Lresume
    ldr x8, [sp, #0xa0]
    mov x12, #0
    CHECK_PATTERNS
    mov x0, x12
    RESTORE_ALL_AND_RETURN 0xb0
    .cfi_endproc
SIZE_FN(fiberswitch_probe_resume_registers)

/*
 * Fiber entry probe_fpenv(fcb, env): sets FPCR to the low 32 bits of env, then three times yields
 * the FPCR it observes. Returns the FPCR it observes at the end.
 *
 * # Safety
 * Runs as a fiber's FCB_FUNCTION with ARGS[0] = its own FCB; env holds only bits that FPCR defines.
 */
    .p2align 4
EXPORT(fiberswitch_probe_fpenv)
    .cfi_startproc
    BTI_C
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-32]!
    .cfi_def_cfa_offset 32
    .cfi_offset x29, -32
    .cfi_offset x30, -24
    stp x19, x20, [sp, #16]
    .cfi_offset x19, -16
    .cfi_offset x20, -8
    mov x29, sp
    mov x19, x0
    mov w9, w1
    msr fpcr, x9
    mov x20, #3
1:  mrs x1, fpcr
    mov x0, x19
    bl Lyield
    subs x20, x20, #1
    b.ne 1b
    mrs x0, fpcr
    ldp x19, x20, [sp, #16]
    POP_FRAME_AND_RETURN 32
    .cfi_endproc
SIZE_FN(fiberswitch_probe_fpenv)

/*
 * Resumer side: probe_resume_fpenv(fcb, value, env) sets its own FPCR to the low 32 bits of env
 * (0 keeps it), resumes the fiber, and returns the FPCR bits that changed across the round trip,
 * masked with A64_FPCR_CONTROL_MASK. Its caller's FPCR is restored before returning.
 *
 * # Safety
 * As for fiberswitch_resume; env holds only bits that FPCR defines.
 */
    .p2align 4
EXPORT(fiberswitch_probe_resume_fpenv)
Lprobe_resume_fpenv:
    .cfi_startproc
    BTI_C
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-32]!
    .cfi_def_cfa_offset 32
    .cfi_offset x29, -32
    .cfi_offset x30, -24
    stp x19, x20, [sp, #16]
    .cfi_offset x19, -16
    .cfi_offset x20, -8
    mov x29, sp
    mrs x19, fpcr                   /* the caller's */
    cbz x2, 1f
    mov w9, w2
    msr fpcr, x9
1:  mrs x20, fpcr
    bl Lresume
    mrs x9, fpcr
    eor x0, x9, x20
    movz x10, #(A64_FPCR_CONTROL_MASK & 0xffff)
    movk x10, #(A64_FPCR_CONTROL_MASK >> 16), lsl #16
    and x0, x0, x10
    msr fpcr, x19
    ldp x19, x20, [sp, #16]
    POP_FRAME_AND_RETURN 32
    .cfi_endproc
SIZE_FN(fiberswitch_probe_resume_fpenv)

/* int64 probe_read_fpenv(void): the calling thread's FPCR. */
    .p2align 4
EXPORT(fiberswitch_probe_read_fpenv)
Lprobe_read_fpenv:
    .cfi_startproc
    BTI_C
    mrs x0, fpcr
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_probe_read_fpenv)

/*
 * Fiber entry probe_echo(fcb, first): yields first, then yields v + 1 for every resume value v,
 * until it is resumed with 0; returns how many values it yielded.
 *
 * # Safety
 * Runs as a fiber's FCB_FUNCTION with ARGS[0] = its own FCB.
 */
    .p2align 4
EXPORT(fiberswitch_probe_echo)
    .cfi_startproc
    BTI_C
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-32]!
    .cfi_def_cfa_offset 32
    .cfi_offset x29, -32
    .cfi_offset x30, -24
    stp x19, x20, [sp, #16]
    .cfi_offset x19, -16
    .cfi_offset x20, -8
    mov x29, sp
    mov x19, x0
    mov x20, #0
    b 2f
1:  cbz x0, 3f
    add x1, x0, #1
2:  add x20, x20, #1
    mov x0, x19
    bl Lyield
    b 1b
3:  mov x0, x20
    ldp x19, x20, [sp, #16]
    POP_FRAME_AND_RETURN 32
    .cfi_endproc
SIZE_FN(fiberswitch_probe_echo)

/* Fiber entry probe_alignment(fcb, arg): returns sp % 16 as seen at its own entry (0 = aligned). */
    .p2align 4
EXPORT(fiberswitch_probe_alignment)
    .cfi_startproc
    BTI_C
    mov x0, sp
    and x0, x0, #15
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_probe_alignment)

/*
 * Call-fiber probe_callback(fcb, stub, position | 0x100 for a double reply): calls stub with
 * integer argument k = (k + 1) * 0x0101010101010101 for k in 0..11 (x0-x7, then four stack slots),
 * except that integer argument `position` (0-7) carries fcb, and with d0-d7 = k + 1.25. Returns
 * the stub's reply: x0, or the bits of d0 for a double reply.
 *
 * # Safety
 * Runs on fcb's fiber; stub is one of fiberswitch_callback_stubs for that position.
 */
    .p2align 4
EXPORT(fiberswitch_probe_callback)
    .cfi_startproc
    BTI_C
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-48]!
    .cfi_def_cfa_offset 48
    .cfi_offset x29, -48
    .cfi_offset x30, -40
    stp x19, x20, [sp, #16]
    .cfi_offset x19, -32
    .cfi_offset x20, -24
    str x21, [sp, #32]
    .cfi_offset x21, -16
    mov x29, sp
    .cfi_def_cfa x29, 48
    mov x19, x0
    mov x20, x1
    mov x21, x2
    sub sp, sp, #32                 /* four stack argument slots */
    adr x9, Lpatterns
    ldp x10, x11, [x9, #64]
    stp x10, x11, [sp]
    ldp x10, x11, [x9, #80]
    stp x10, x11, [sp, #16]
    adr x10, Lfloats
    ldp d0, d1, [x10]
    ldp d2, d3, [x10, #16]
    ldp d4, d5, [x10, #32]
    ldp d6, d7, [x10, #48]
    ldp x0, x1, [x9]
    ldp x2, x3, [x9, #16]
    ldp x4, x5, [x9, #32]
    ldp x6, x7, [x9, #48]
    and w10, w21, #0xff
    cmp w10, #0
    csel x0, x19, x0, eq
    cmp w10, #1
    csel x1, x19, x1, eq
    cmp w10, #2
    csel x2, x19, x2, eq
    cmp w10, #3
    csel x3, x19, x3, eq
    cmp w10, #4
    csel x4, x19, x4, eq
    cmp w10, #5
    csel x5, x19, x5, eq
    cmp w10, #6
    csel x6, x19, x6, eq
    cmp w10, #7
    csel x7, x19, x7, eq
    blr x20
    tbz w21, #8, 1f
    fmov x0, d0
1:  mov sp, x29
    .cfi_def_cfa sp, 48
    ldr x21, [sp, #32]
    ldp x19, x20, [sp, #16]
    POP_FRAME_AND_RETURN 48
    .cfi_endproc
SIZE_FN(fiberswitch_probe_callback)

/*
 * int64 probe_recurse(depth): recursion with 1 KiB frames, each touched at both ends, so it walks
 * down the stack less than a page at a time and cannot skip a guard page. Returns depth.
 */
    .p2align 4
EXPORT(fiberswitch_probe_recurse)
Lrecurse:
    .cfi_startproc
    BTI_C
    cbz x0, 1f
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-16]!       /* touches the top of the frame */
    .cfi_def_cfa_offset 16
    .cfi_offset x29, -16
    .cfi_offset x30, -8
    mov x29, sp
    sub sp, sp, #1024
    .cfi_def_cfa_offset 1040
    str x0, [sp]                    /* and its bottom */
    sub x0, x0, #1
    bl Lrecurse
    add x0, x0, #1
    add sp, sp, #1024
    .cfi_def_cfa_offset 16
    POP_FRAME_AND_RETURN 16
1:  ret
    .cfi_endproc
SIZE_FN(fiberswitch_probe_recurse)

/* ---------------------------------------------------------------- JNI entry points */

/*
 * The hot calls bound as JNI static natives (HotSpot's native wrapper calls them with blr), so that
 * Java reaches the switch without JNA's generic dispatch. Each adapter drops JNIEnv* and jclass
 * (x0, x1) and branches to its C entry with the arguments moved down two registers; the thread is
 * in native state exactly as under JNA.
 */
    .p2align 4
LOCAL_FN(fiberswitch_jni_resume)
Ljni_resume:
    .cfi_startproc
    BTI_C
    mov x0, x2
    mov x1, x3
    b Lresume
    .cfi_endproc
SIZE_FN(fiberswitch_jni_resume)

    .p2align 4
LOCAL_FN(fiberswitch_jni_prepare)
Ljni_prepare:
    .cfi_startproc
    BTI_C
    mov x0, x2
    b Lprepare
    .cfi_endproc
SIZE_FN(fiberswitch_jni_prepare)

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_resume_registers)
Ljni_probe_resume_registers:
    .cfi_startproc
    BTI_C
    mov x0, x2
    mov x1, x3
    mov x2, x4
    b Lprobe_resume_registers
    .cfi_endproc
SIZE_FN(fiberswitch_jni_probe_resume_registers)

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_resume_fpenv)
Ljni_probe_resume_fpenv:
    .cfi_startproc
    BTI_C
    mov x0, x2
    mov x1, x3
    mov x2, x4
    b Lprobe_resume_fpenv
    .cfi_endproc
SIZE_FN(fiberswitch_jni_probe_resume_fpenv)

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_read_fpenv)
Ljni_probe_read_fpenv:
    .cfi_startproc
    BTI_C
    b Lprobe_read_fpenv
    .cfi_endproc
SIZE_FN(fiberswitch_jni_probe_read_fpenv)

/*
 * int64 fiberswitch_jni_register(JNIEnv *env, jclass cls): RegisterNatives(env, cls, table, 5) for
 * the five adapters above, under the names and signatures the header lists. Returns 0, or
 * RegisterNatives' negative result (a jint, sign-extended) after clearing the exception it left
 * pending, so that the caller can fall back to another binding.
 *
 * # Safety
 * env is the calling thread's JNIEnv and cls a class with those five static native methods.
 */
.macro JNI_METHOD name, sig, fn, slot
    adr x9, \name
    adr x10, \sig
    adr x11, \fn
    stp x9, x10, [sp, #(32 + (\slot) * 24)]
    str x11, [sp, #(32 + (\slot) * 24 + 16)]
.endm
#define JNI_FRAME 160   /* frame record, x19, x20, JNINativeMethod[5] (120 bytes), padding to 16 */
    .p2align 4
EXPORT(fiberswitch_jni_register)
    .cfi_startproc
    BTI_C
    PACIASP
    .cfi_negate_ra_state
    stp x29, x30, [sp, #-JNI_FRAME]!
    .cfi_def_cfa_offset JNI_FRAME
    .cfi_offset x29, -JNI_FRAME
    .cfi_offset x30, -JNI_FRAME + 8
    stp x19, x20, [sp, #16]
    .cfi_offset x19, -JNI_FRAME + 16
    .cfi_offset x20, -JNI_FRAME + 24
    mov x29, sp
    mov x19, x0
    JNI_METHOD Lname_resume, Lsig_jj_j, Ljni_resume, 0
    JNI_METHOD Lname_prepare, Lsig_j_v, Ljni_prepare, 1
    JNI_METHOD Lname_probe_resume_registers, Lsig_jjj_j, Ljni_probe_resume_registers, 2
    JNI_METHOD Lname_probe_resume_fpenv, Lsig_jjj_j, Ljni_probe_resume_fpenv, 3
    JNI_METHOD Lname_probe_read_fpenv, Lsig_v_j, Ljni_probe_read_fpenv, 4
    add x2, sp, #32                 /* x0 = env, x1 = cls as given */
    mov w3, #FIBERSWITCH_JNI_METHOD_COUNT
    ldr x9, [x19]
    ldr x9, [x9, #JNI_REGISTER_NATIVES]
    blr x9
    sxtw x20, w0                    /* a jint: the upper half of x0 is not part of it */
    cbz x20, 1f
    mov x0, x19
    ldr x9, [x19]
    ldr x9, [x9, #JNI_EXCEPTION_CLEAR]
    blr x9
1:  mov x0, x20
    ldp x19, x20, [sp, #16]
    POP_FRAME_AND_RETURN JNI_FRAME
    .cfi_endproc
SIZE_FN(fiberswitch_jni_register)

/* ---------------------------------------------------------------- constant tables */

/* Kept in the text section, after all code, so that ELF and Mach-O code bytes stay equal. */
    .p2align 3
Llayout:
    .quad FCB_LAYOUT_VALUES
Lpatterns:
    .quad 0x0101010101010101, 0x0202020202020202, 0x0303030303030303, 0x0404040404040404
    .quad 0x0505050505050505, 0x0606060606060606, 0x0707070707070707, 0x0808080808080808
    .quad 0x0909090909090909, 0x0a0a0a0a0a0a0a0a, 0x0b0b0b0b0b0b0b0b, 0x0c0c0c0c0c0c0c0c
    .quad 0x0d0d0d0d0d0d0d0d, 0x0e0e0e0e0e0e0e0e, 0x0f0f0f0f0f0f0f0f, 0x1010101010101010
    .quad 0x1111111111111111, 0x1212121212121212, 0x1313131313131313, 0
Lfloats:
    .double 1.25, 2.25, 3.25, 4.25, 5.25, 6.25, 7.25, 8.25
Lname_resume:                 .asciz "resume"
Lname_prepare:                .asciz "prepare"
Lname_probe_resume_registers: .asciz "probeResumeRegisters"
Lname_probe_resume_fpenv:     .asciz "probeResumeFpEnv"
Lname_probe_read_fpenv:       .asciz "probeReadFpEnv"
Lsig_jj_j:                    .asciz "(JJ)J"
Lsig_j_v:                     .asciz "(J)V"
Lsig_jjj_j:                   .asciz "(JJJ)J"
Lsig_v_j:                     .asciz "()J"
    .p2align 2

#ifndef FIBERSWITCH_MACHO
/* GNU_PROPERTY_AARCH64_FEATURE_1_AND: BTI (1) | PAC (2), so that a BTI-aware loader guards our pages. */
    .section .note.gnu.property, "a"
    .p2align 3
    .word 4                         /* name size */
    .word 16                        /* descriptor size */
    .word 5                         /* NT_GNU_PROPERTY_TYPE_0 */
    .asciz "GNU"
    .word 0xc0000000                /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
    .word 4
    .word 3
    .word 0
    .section .note.GNU-stack,"",%progbits
#else
    .subsections_via_symbols
#endif
