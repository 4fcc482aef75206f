/*
 * fiberswitch for x86-64 Windows (Microsoft x64 calling convention), GAS syntax for mingw-w64,
 * assembled into a PE DLL with no imports and no CRT.
 *
 * Same structure and exported names as the SysV port (spi-linux-x64), with the Win64 differences:
 * arguments in rcx/rdx/r8/r9 with 32 bytes of home space, no red zone, rdi/rsi and the full 128
 * bits of xmm6-xmm15 callee-saved, and the TEB stack fields, which __chkstk, the stack-growth guard
 * page logic and SEH dispatch all read.
 *
 * One hot switch (fiberswitch_swap) serves resume, yield, callback stubs and completion. Frame
 * left on a suspended stack (low to high, 16-byte aligned at its start):
 *     +0    xmm6..xmm15 (160 bytes, movaps)
 *     +160  MXCSR (u32), x87 CW (u16), pad
 *     +168  TEB StackBase, StackLimit, DeallocationStack, FiberData, ExceptionList as they were
 *           when this side switched out
 *     +208  pad
 *     +216  r15, r14, r13, r12, rsi, rdi, rbx, rbp, return address
 *
 * The switch resumes with `ret`, which keeps the return-stack predictor balanced, and every path
 * into it is jumps only (resume, yield, and the callback path below), so a switch costs one
 * mispredicted return on each side and no more. The callback path: a native caller calls a stub,
 * the stub jumps to fiberswitch_callback_body, the body jumps into the switch. The reply kind
 * lives only in the stub id: the switch returns every reply in both rax and xmm0, so no frame of
 * ours sits between the switch frame and the stub's native caller, and the switch's `ret` lands
 * directly in that caller. (It used to go through a per-kind frame for double replies, which
 * moved the reply to xmm0 after a `call` into the switch; one frame less means one return less
 * across the stacks, and each such return mispredicts.) The return address above a suspended
 * callback's switch frame is therefore the native caller's, and the switch's unwind data is all
 * an unwinder needs to walk from the switch frame into that caller.
 *
 * TEB modes. Each side's TEB stack fields travel in its own switch frame, so whichever thread
 * resumes a fiber gets the fiber's values and gets its own back when control returns (thread
 * migration needs nothing more). What a fiber's values are is chosen when it is created, through
 * FCB_PORT slots 0-4 (copied into the first frame by fiberswitch_prepare):
 *   - full mode: the fiber's real bounds (StackBase = stack top, StackLimit = lowest committed
 *     byte, DeallocationStack = allocation base), so guard-page growth and __chkstk work as on a
 *     thread stack;
 *   - StackLimit trick: the stack is fully committed, StackLimit = DeallocationStack = 0 and
 *     StackBase = the top of user space, so __chkstk never probes and SEH accepts frames on any
 *     fiber (the first frame still stops unwinders, see fiberswitch_prepare). All trick-mode
 *     fibers carry the same values, so a fiber-to-fiber switch finds nothing to write and skips
 *     the TEB stores; only the step back onto the thread's stack writes the thread's values back.
 * ExceptionList (TEB +0) is unused by Windows x64 itself but Wine walks it during SEH dispatch
 * ("wine frames", compared by address against the stack being unwound), so a fiber starts with
 * the empty list (-1), as CreateFiber does. GuaranteedStackBytes is left to the thread.
 * The switch compares and writes the five fields only when they differ. MXCSR and the x87 CW it
 * loads unconditionally: reading back what stmxcsr just stored, to compare, waits on that store and
 * measured slower than the load (the SysV port's measurement; the code is the same).
 *
 * The hot calls are also reachable as JNI static natives (see "JNI entry points" below), which
 * fiberswitch_jni_register registers; they jump into the same entries, so nothing above changes.
 *
 * -DFIBERSWITCH_NO_TEB builds the negative control for the harness: no TEB work at all.
 */
#include "fiberswitch.h"

#define EXPORT(n) .globl n; .def n; .scl 2; .type 32; .endef; n:
#define LOCAL_FN(n) .def n; .scl 3; .type 32; .endef; n:

/* Windows start values for a fresh fiber: all exceptions masked, round to nearest, and the x87
 * precision control at 53 bits (0x027F), which is what the Windows x64 CRT runs with. */
#define MXCSR_DEFAULT 0x1F80
#define X87CW_DEFAULT 0x027F

/* TEB (NT_TIB + TEB) offsets on x64; gs:0x30 holds the TEB's own address. */
#define TEB_EXCEPTION_LIST 0x00
#define TEB_SELF 0x30
#define TEB_STACK_BASE 0x08
#define TEB_STACK_LIMIT 0x10
#define TEB_FIBER_DATA 0x20
#define TEB_DEALLOCATION_STACK 0x1478
#define TEB_GUARANTEED_STACK_BYTES 0x1748

/* Switch frame offsets (see above). */
#define SW_XMM 0
#define SW_FPENV 160
#define SW_TEB 168
#define SW_SIZE 216

    .text

/* ---------------------------------------------------------------- the switch */

/*
 * fiberswitch_swap(rcx = fcb, rdx = slot to save this side's sp, r8 = other side's sp)
 *     -> rax = xmm0 (low 64 bits) = FCB_TRANSFER, rcx still = fcb.
 * Entered by jmp from a function entry (rsp = 8 mod 16: resume, yield, and the callback body,
 * which a stub jumps to from its caller's `call`) or by the entry trampoline's call, so the frame
 * below is 16-byte aligned. xmm0 is volatile, so writing it costs callers of resume and yield
 * nothing; it carries the reply of a callback stub whose caller expects a double.
 */
    .p2align 4
LOCAL_FN(fiberswitch_swap)
    .seh_proc fiberswitch_swap
    pushq %rbp
    .seh_pushreg %rbp
    pushq %rbx
    .seh_pushreg %rbx
    pushq %rdi
    .seh_pushreg %rdi
    pushq %rsi
    .seh_pushreg %rsi
    pushq %r12
    .seh_pushreg %r12
    pushq %r13
    .seh_pushreg %r13
    pushq %r14
    .seh_pushreg %r14
    pushq %r15
    .seh_pushreg %r15
    subq $SW_SIZE, %rsp
    .seh_stackalloc SW_SIZE
    movaps %xmm6, SW_XMM+0(%rsp)
    .seh_savexmm %xmm6, SW_XMM+0
    movaps %xmm7, SW_XMM+16(%rsp)
    .seh_savexmm %xmm7, SW_XMM+16
    movaps %xmm8, SW_XMM+32(%rsp)
    .seh_savexmm %xmm8, SW_XMM+32
    movaps %xmm9, SW_XMM+48(%rsp)
    .seh_savexmm %xmm9, SW_XMM+48
    movaps %xmm10, SW_XMM+64(%rsp)
    .seh_savexmm %xmm10, SW_XMM+64
    movaps %xmm11, SW_XMM+80(%rsp)
    .seh_savexmm %xmm11, SW_XMM+80
    movaps %xmm12, SW_XMM+96(%rsp)
    .seh_savexmm %xmm12, SW_XMM+96
    movaps %xmm13, SW_XMM+112(%rsp)
    .seh_savexmm %xmm13, SW_XMM+112
    movaps %xmm14, SW_XMM+128(%rsp)
    .seh_savexmm %xmm14, SW_XMM+128
    movaps %xmm15, SW_XMM+144(%rsp)
    .seh_savexmm %xmm15, SW_XMM+144
    .seh_endprologue
    stmxcsr SW_FPENV(%rsp)
    fnstcw SW_FPENV+4(%rsp)
#ifndef FIBERSWITCH_NO_TEB
    movq %gs:TEB_SELF, %r9
    movq TEB_STACK_BASE(%r9), %rax
    movq TEB_STACK_LIMIT(%r9), %r10
    movq TEB_DEALLOCATION_STACK(%r9), %r11
    movq TEB_FIBER_DATA(%r9), %rbx
    movq TEB_EXCEPTION_LIST(%r9), %rbp
    movq %rax, SW_TEB+0(%rsp)
    movq %r10, SW_TEB+8(%rsp)
    movq %r11, SW_TEB+16(%rsp)
    movq %rbx, SW_TEB+24(%rsp)
    movq %rbp, SW_TEB+32(%rsp)
#endif
    movq %rsp, (%rdx)
    /* From here the frame at rsp is the other side's; same shape, so the unwind data holds. */
    movq %r8, %rsp
#ifndef FIBERSWITCH_NO_TEB
    /* rax/r10/r11/rbx/rbp hold the live TEB values; write the incoming ones only if any differs
     * (trick-mode fiber to trick-mode fiber: never). */
    movq SW_TEB+0(%rsp), %r12
    movq SW_TEB+8(%rsp), %r13
    movq SW_TEB+16(%rsp), %r14
    movq SW_TEB+24(%rsp), %r15
    movq SW_TEB+32(%rsp), %rdx
    xorq %r12, %rax
    xorq %r13, %r10
    xorq %r14, %r11
    xorq %r15, %rbx
    xorq %rdx, %rbp
    orq %r10, %rax
    orq %r11, %rax
    orq %rbx, %rax
    orq %rbp, %rax
    jnz 5f
#endif
0:  ldmxcsr SW_FPENV(%rsp)
    fldcw SW_FPENV+4(%rsp)
    movaps SW_XMM+0(%rsp), %xmm6
    movaps SW_XMM+16(%rsp), %xmm7
    movaps SW_XMM+32(%rsp), %xmm8
    movaps SW_XMM+48(%rsp), %xmm9
    movaps SW_XMM+64(%rsp), %xmm10
    movaps SW_XMM+80(%rsp), %xmm11
    movaps SW_XMM+96(%rsp), %xmm12
    movaps SW_XMM+112(%rsp), %xmm13
    movaps SW_XMM+128(%rsp), %xmm14
    movaps SW_XMM+144(%rsp), %xmm15
    addq $SW_SIZE, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rsi
    popq %rdi
    popq %rbx
    popq %rbp
    movq FCB_TRANSFER(%rcx), %rax
    movq %rax, %xmm0                /* a callback stub's reply, for stubs that return double */
    ret
#ifndef FIBERSWITCH_NO_TEB
5:  movq %r12, TEB_STACK_BASE(%r9)
    movq %r13, TEB_STACK_LIMIT(%r9)
    movq %r14, TEB_DEALLOCATION_STACK(%r9)
    movq %r15, TEB_FIBER_DATA(%r9)
    movq %rdx, TEB_EXCEPTION_LIST(%r9)
    jmp 0b
#endif
    .seh_endproc

/* intptr_t fiberswitch_resume(fcb, value): switch onto the fiber; returns what it passes back. */
    .p2align 4
EXPORT(fiberswitch_resume)
Lresume:
    movq %rdx, FCB_TRANSFER(%rcx)
    leaq FCB_RESUMER_SP(%rcx), %rdx
    movq FCB_FIBER_SP(%rcx), %r8
    jmp fiberswitch_swap

/* intptr_t fiberswitch_yield(fcb, value): from the fiber back to its resumer. */
    .p2align 4
EXPORT(fiberswitch_yield)
Lyield:
    movq %rdx, FCB_TRANSFER(%rcx)
    movq $FCB_EXIT_YIELD, FCB_EXIT(%rcx)
    leaq FCB_FIBER_SP(%rcx), %rdx
    movq FCB_RESUMER_SP(%rcx), %r8
    jmp fiberswitch_swap

/* ---------------------------------------------------------------- fresh stacks */

/*
 * void fiberswitch_prepare(fcb): build the first frame below FCB_STACK_HI so that the first resume
 * "returns" into the entry trampoline. Above the trampoline's frame sits a machine frame (as an
 * interrupt would push: rip, cs, rflags, rsp, ss) with rip = 0 and rsp = the fiber's StackBase
 * value; the trampoline's unwind data pops it, so every unwinder (SEH dispatch, RtlUnwindEx,
 * RtlCaptureStackBackTrace) ends on a zero return address with rsp == TEB StackBase, which is where
 * Windows and Wine stop walking, in both TEB modes (in trick mode StackBase is the top of user
 * space, and a plain walk past the fiber's top would run off the mapping).
 * The TEB values come from FCB_PORT slots 0-4 (StackBase, StackLimit, DeallocationStack,
 * FiberData, ExceptionList), filled by the caller.
 *
 *   top-8   spare (0)        top-48..top-8  machine frame: rip 0, cs 0, rflags 0, rsp, ss 0
 *   top-56  entry trampoline address (the switch's ret)
 *   below   8 zeroed registers and the switch frame
 */
    .p2align 4
EXPORT(fiberswitch_prepare)
Lprepare:
    movq FCB_STACK_HI(%rcx), %rax
    andq $-16, %rax
    xorl %edx, %edx
    leaq -(56 + 64 + SW_SIZE)(%rax), %r8  /* frame start: 8 pushes + SW_SIZE below the return slot */
    movq %r8, FCB_FIBER_SP(%rcx)
    /* zero everything from the frame start to the top (rbp = 0 for frame-pointer walkers) */
1:  movq %rdx, (%r8)
    addq $8, %r8
    cmpq %rax, %r8
    jb 1b
    movq FCB_PORT+0(%rcx), %r9
    movq %r9, -24(%rax)             /* machine frame rsp = the fiber's TEB StackBase */
    leaq fiberswitch_entry(%rip), %r8
    movq %r8, -56(%rax)             /* the switch's ret lands here */
    leaq -(56 + 64 + SW_SIZE)(%rax), %r8
    movl $MXCSR_DEFAULT, SW_FPENV(%r8)
    movl $X87CW_DEFAULT, SW_FPENV+4(%r8)
    movq FCB_PORT+0(%rcx), %r9
    movq %r9, SW_TEB+0(%r8)
    movq FCB_PORT+8(%rcx), %r9
    movq %r9, SW_TEB+8(%r8)
    movq FCB_PORT+16(%rcx), %r9
    movq %r9, SW_TEB+16(%r8)
    movq FCB_PORT+24(%rcx), %r9
    movq %r9, SW_TEB+24(%r8)
    movq FCB_PORT+32(%rcx), %r9
    movq %r9, SW_TEB+32(%r8)
    movq $FCB_EXIT_NONE, FCB_EXIT(%rcx)
    ret

/*
 * The first frame of every fiber: calls FCB_FUNCTION(FCB_ARGS[0..5]) (0-3 in rcx, rdx, r8, r9;
 * 4-5 on the stack above the 32-byte home space), stores the result, switches out for the last
 * time. Entered by the switch's ret with rsp = top - 48 (16-byte aligned) and rcx = fcb; its
 * unwind data (the machine frame prepare left above, then one 48-byte allocation) ends the walk.
 */
    .p2align 4
LOCAL_FN(fiberswitch_entry)
    .seh_proc fiberswitch_entry
    .seh_pushframe
    subq $48, %rsp
    .seh_stackalloc 48
    .seh_endprologue
    movq %rcx, %rbx
    movq FCB_ARGS+32(%rbx), %rax
    movq %rax, 32(%rsp)
    movq FCB_ARGS+40(%rbx), %rax
    movq %rax, 40(%rsp)
    movq FCB_ARGS+0(%rbx), %rcx
    movq FCB_ARGS+8(%rbx), %rdx
    movq FCB_ARGS+16(%rbx), %r8
    movq FCB_ARGS+24(%rbx), %r9
    call *FCB_FUNCTION(%rbx)
    movq %rbx, %rcx
    movq %rax, FCB_RESULT(%rcx)
    movq %rax, FCB_TRANSFER(%rcx)
    movq $FCB_EXIT_DONE, FCB_EXIT(%rcx)
    leaq FCB_FIBER_SP(%rcx), %rdx
    movq FCB_RESUMER_SP(%rcx), %r8
    call fiberswitch_swap
    ud2                             /* a finished fiber is never resumed by the runtime */
    .seh_endproc

/* ---------------------------------------------------------------- callback stubs */

/*
 * Each stub: eax = stub id; r10 = the user-data argument (the fiber's handle); jump to the common
 * body. Positions 0-3 are rcx, rdx, r8, r9; 4-7 are the stack slots above the return address and
 * the 32-byte home space. The reply kind lives only in the id: the switch returns every reply in
 * both rax and xmm0, so no frame of ours sits between the switch and the stub's caller (see the
 * header: one frame less means one cross-stack return less, and each such return mispredicts).
 * Every stub is at most 15 bytes, padded with int3 to FCB_STUB_STRIDE (32).
 */
.macro FS_STUB tag, pos, kind
    .p2align 5, 0xcc
    movl $((((\tag) * FCB_STUB_POSITIONS) + (\pos)) * 2 + (\kind)), %eax
  .if (\pos) == 0
    movq %rcx, %r10
  .elseif (\pos) == 1
    movq %rdx, %r10
  .elseif (\pos) == 2
    movq %r8, %r10
  .elseif (\pos) == 3
    movq %r9, %r10
  .else
    movq (40 + ((\pos) - 4) * 8)(%rsp), %r10
  .endif
    {disp32} jmp fiberswitch_callback_body   /* one width in every stub, near the body or not */
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

    .p2align 5, 0xcc
EXPORT(fiberswitch_callback_stubs)
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
    .p2align 5, 0xcc

/*
 * Common body (r10 = fcb, eax = stub id, the native caller's arguments still in place). Entered by
 * a stub's jmp, so rsp points at the return address into the stub's native caller, exactly as at
 * the entry of a function that caller called: its home space is at [rsp + 8, rsp + 40) and
 * argument position k >= 4 at [rsp + 40 + 8 (k - 4)]. The body moves neither rsp nor a
 * nonvolatile register before it jumps into the switch, so its unwind data is an empty prologue
 * (unwinding it pops that return address, as for a leaf), and an exception at its ud2 unwinds
 * straight into the caller.
 * The user data must be a live FCB and we must be on its stack; otherwise stop at once with ud2
 * rather than switch to a wrong stack. Win64 arguments are positional: position k < 4 is
 * rcx/rdx/r8/r9 or xmm0-3, position k >= 4 is one stack slot whichever its type, so float
 * positions 4-7 record the same slots' raw bits.
 */
    .p2align 4
LOCAL_FN(fiberswitch_callback_body)
    .seh_proc fiberswitch_callback_body
    .seh_endprologue
    cmpl $FCB_MAGIC_VALUE, FCB_MAGIC(%r10)
    jne 9f
    cmpq FCB_STACK_LO(%r10), %rsp
    jb 9f
    cmpq FCB_STACK_HI(%r10), %rsp
    jae 9f
    movq %rcx, FCB_CB_INT+0(%r10)
    movq %rdx, FCB_CB_INT+8(%r10)
    movq %r8,  FCB_CB_INT+16(%r10)
    movq %r9,  FCB_CB_INT+24(%r10)
    movq %xmm0, FCB_CB_FLOAT+0(%r10)
    movq %xmm1, FCB_CB_FLOAT+8(%r10)
    movq %xmm2, FCB_CB_FLOAT+16(%r10)
    movq %xmm3, FCB_CB_FLOAT+24(%r10)
    movq 40(%rsp), %r11             /* over the return address and the 32-byte home space */
    movq %r11, FCB_CB_INT+32(%r10)
    movq %r11, FCB_CB_FLOAT+32(%r10)
    movq 48(%rsp), %r11
    movq %r11, FCB_CB_INT+40(%r10)
    movq %r11, FCB_CB_FLOAT+40(%r10)
    movq 56(%rsp), %r11
    movq %r11, FCB_CB_INT+48(%r10)
    movq %r11, FCB_CB_FLOAT+48(%r10)
    movq 64(%rsp), %r11
    movq %r11, FCB_CB_INT+56(%r10)
    movq %r11, FCB_CB_FLOAT+56(%r10)
    movq %rax, FCB_CALLBACK_ID(%r10)
    movq $FCB_EXIT_CALLBACK, FCB_EXIT(%r10)
    movq %r10, %rcx
    leaq FCB_FIBER_SP(%rcx), %rdx
    movq FCB_RESUMER_SP(%rcx), %r8
    jmp fiberswitch_swap            /* its ret hands the reply (rax and xmm0) to the stub's caller */
9:  ud2
    .seh_endproc

/* ---------------------------------------------------------------- handshake */

/* int64 fiberswitch_abi_version(void) */
    .p2align 4
EXPORT(fiberswitch_abi_version)
    movl $FIBERSWITCH_ABI_VERSION, %eax
    ret

/*
 * int64 fiberswitch_layout(int64 i): the constant this library was assembled with, so the Java side
 * can check the FCB contract. Same table as every port; -1 past the end.
 */
    .p2align 4
EXPORT(fiberswitch_layout)
    cmpq $FCB_LAYOUT_COUNT, %rcx
    jae 1f
    leaq Llayout(%rip), %rax
    movq (%rax,%rcx,8), %rax
    ret
1:  movq $-1, %rax
    ret

/*
 * const char *fiberswitch_abi_description(void): the ABI facts of this library as "key=value" lines,
 * read once by the Java side (org.fiberswitch.spi.AbiDescription). The FP environment of the probes
 * packs MXCSR in bits 0-31 and the x87 control word in bits 32-47, as on SysV.
 */
    .p2align 4
EXPORT(fiberswitch_abi_description)
    leaq Labi_description(%rip), %rax
    ret

/* ---------------------------------------------------------------- ABI probes */

/*
 * int64 fiberswitch_probe_read_teb(int64 i): the calling thread's TEB field, i = 0 StackBase,
 * 1 StackLimit, 2 DeallocationStack, 3 FiberData, 4 GuaranteedStackBytes (u32), 5 ExceptionList;
 * -1 past the end (ambiguous with ExceptionList's empty value, so check i < 6 on the caller side).
 * Lets Java (and the harness) check what a fiber and its thread see.
 */
    .p2align 4
EXPORT(fiberswitch_probe_read_teb)
    cmpq $6, %rcx
    jae 1f
    leaq Lteb_offsets(%rip), %rax
    movq (%rax,%rcx,8), %rdx
    movq %gs:TEB_SELF, %rax
    cmpq $4, %rcx
    je 2f
    movq (%rax,%rdx), %rax
    ret
2:  movl (%rax,%rdx), %eax
    ret
1:  movq $-1, %rax
    ret

/*
 * Pattern for callee-saved register k at round base b = seed + round: b + K. The xmm registers get
 * a different pattern in each 64-bit half, so a switch that keeps only the low half is caught.
 */
#define K_RBX 0x1111111111111111
#define K_RBP 0x2222222222222222
#define K_R12 0x3333333333333333
#define K_R13 0x4444444444444444
#define K_R14 0x5555555555555555
#define K_R15 0x6666666666666666
#define K_RDI 0x7777777777777777
#define K_RSI 0x0888888888888888
#define K_XLO 0x0A0A0A0A0A0A0A00
#define K_XHI 0x0B0B0B0B0B0B0B00

/* Loads xmm(6+j) from rax; r11 scratch; the 16 bytes at \s(%rsp) are scratch. */
.macro LOAD_XMM j, x, s
    movabsq $(K_XLO + (\j)), %r11
    addq %rax, %r11
    movq %r11, \s(%rsp)
    movabsq $(K_XHI + (\j)), %r11
    addq %rax, %r11
    movq %r11, \s+8(%rsp)
    movdqu \s(%rsp), \x
.endm

/* r9d |= (1 << (8 + j)) if xmm(6+j) lost its pattern; r10, r11 scratch. */
.macro CHECK_XMM j, x, s
    movdqu \x, \s(%rsp)
    movabsq $(K_XLO + (\j)), %r11
    addq %rax, %r11
    xorq \s(%rsp), %r11
    movq %r11, %r10
    movabsq $(K_XHI + (\j)), %r11
    addq %rax, %r11
    xorq \s+8(%rsp), %r11
    orq %r11, %r10
    setne %r10b
    movzbl %r10b, %r10d
    shll $(8 + (\j)), %r10d
    orl %r10d, %r9d
.endm

.macro LOAD_GPR k, reg
    movabsq $\k, \reg
    addq %rax, \reg
.endm

.macro CHECK_GPR k, reg, bit
    movabsq $\k, %r11
    addq %rax, %r11
    cmpq %r11, \reg
    setne %r10b
    movzbl %r10b, %r10d
    shll $\bit, %r10d
    orl %r10d, %r9d
.endm

/* rax = base; scratch area at \s(%rsp); preserves rcx, rdx, r8 */
.macro LOAD_PATTERNS s
    LOAD_GPR K_RBX, %rbx
    LOAD_GPR K_RBP, %rbp
    LOAD_GPR K_R12, %r12
    LOAD_GPR K_R13, %r13
    LOAD_GPR K_R14, %r14
    LOAD_GPR K_R15, %r15
    LOAD_GPR K_RDI, %rdi
    LOAD_GPR K_RSI, %rsi
    LOAD_XMM 0, %xmm6, \s
    LOAD_XMM 1, %xmm7, \s
    LOAD_XMM 2, %xmm8, \s
    LOAD_XMM 3, %xmm9, \s
    LOAD_XMM 4, %xmm10, \s
    LOAD_XMM 5, %xmm11, \s
    LOAD_XMM 6, %xmm12, \s
    LOAD_XMM 7, %xmm13, \s
    LOAD_XMM 8, %xmm14, \s
    LOAD_XMM 9, %xmm15, \s
.endm

/* rax = base; r9d |= mask of lost registers */
.macro CHECK_PATTERNS s
    CHECK_GPR K_RBX, %rbx, 0
    CHECK_GPR K_RBP, %rbp, 1
    CHECK_GPR K_R12, %r12, 2
    CHECK_GPR K_R13, %r13, 3
    CHECK_GPR K_R14, %r14, 4
    CHECK_GPR K_R15, %r15, 5
    CHECK_GPR K_RDI, %rdi, 6
    CHECK_GPR K_RSI, %rsi, 7
    CHECK_XMM 0, %xmm6, \s
    CHECK_XMM 1, %xmm7, \s
    CHECK_XMM 2, %xmm8, \s
    CHECK_XMM 3, %xmm9, \s
    CHECK_XMM 4, %xmm10, \s
    CHECK_XMM 5, %xmm11, \s
    CHECK_XMM 6, %xmm12, \s
    CHECK_XMM 7, %xmm13, \s
    CHECK_XMM 8, %xmm14, \s
    CHECK_XMM 9, %xmm15, \s
.endm

/*
 * Saves every Win64 callee-saved register of the probe's own caller: 8 pushes, then \size bytes
 * whose top 160 (at \size - 168, 16-aligned) hold xmm6-15. \size must be 8 mod 16.
 */
.macro PROBE_PROLOGUE size
    pushq %rbp
    pushq %rbx
    pushq %rdi
    pushq %rsi
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $\size, %rsp
    movaps %xmm6, (\size - 168)(%rsp)
    movaps %xmm7, (\size - 152)(%rsp)
    movaps %xmm8, (\size - 136)(%rsp)
    movaps %xmm9, (\size - 120)(%rsp)
    movaps %xmm10, (\size - 104)(%rsp)
    movaps %xmm11, (\size - 88)(%rsp)
    movaps %xmm12, (\size - 72)(%rsp)
    movaps %xmm13, (\size - 56)(%rsp)
    movaps %xmm14, (\size - 40)(%rsp)
    movaps %xmm15, (\size - 24)(%rsp)
.endm

.macro PROBE_EPILOGUE size
    movaps (\size - 168)(%rsp), %xmm6
    movaps (\size - 152)(%rsp), %xmm7
    movaps (\size - 136)(%rsp), %xmm8
    movaps (\size - 120)(%rsp), %xmm9
    movaps (\size - 104)(%rsp), %xmm10
    movaps (\size - 88)(%rsp), %xmm11
    movaps (\size - 72)(%rsp), %xmm12
    movaps (\size - 56)(%rsp), %xmm13
    movaps (\size - 40)(%rsp), %xmm14
    movaps (\size - 24)(%rsp), %xmm15
    addq $\size, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rsi
    popq %rdi
    popq %rbx
    popq %rbp
.endm

/*
 * Fiber entry probe_registers(fcb, seed): three rounds of: load patterns, yield(round), check.
 * Returns the mask of registers that did not survive: bit 0 rbx, 1 rbp, 2-5 r12-r15, 6 rdi,
 * 7 rsi, 8-17 xmm6-xmm15 (either half).
 * Frame: [0,32) home, [32,48) scratch, [48] fcb, [56] seed, [64] round, [72] mask, xmm save above.
 */
    .p2align 4
EXPORT(fiberswitch_probe_registers)
    PROBE_PROLOGUE 248
    movq %rcx, 48(%rsp)
    movq %rdx, 56(%rsp)
    movq $0, 64(%rsp)
    movq $0, 72(%rsp)
1:  movq 56(%rsp), %rax
    addq 64(%rsp), %rax
    LOAD_PATTERNS 32
    movq 48(%rsp), %rcx
    movq 64(%rsp), %rdx
    call Lyield
    movq 56(%rsp), %rax
    addq 64(%rsp), %rax
    movl 72(%rsp), %r9d
    CHECK_PATTERNS 32
    movl %r9d, 72(%rsp)
    incq 64(%rsp)
    cmpq $3, 64(%rsp)
    jb 1b
    movq 72(%rsp), %rax
    PROBE_EPILOGUE 248
    ret

/*
 * Resumer side: probe_resume_registers(fcb, value, seed) loads patterns, resumes the fiber, and
 * returns the mask of its own registers that did not survive the round trip.
 * Frame: [0,32) home, [32,48) scratch, [48] seed.
 */
    .p2align 4
EXPORT(fiberswitch_probe_resume_registers)
Lprobe_resume_registers:
    PROBE_PROLOGUE 232
    movq %r8, 48(%rsp)
    movq %r8, %rax
    LOAD_PATTERNS 32
    call Lresume
    movq 48(%rsp), %rax
    xorl %r9d, %r9d
    CHECK_PATTERNS 32
    movl %r9d, %eax
    PROBE_EPILOGUE 232
    ret

/* rax = mxcsr | x87cw << 32, through the 8 bytes at \s(%rsp); r11 scratch */
.macro READ_FPENV s
    stmxcsr \s(%rsp)
    fnstcw \s+4(%rsp)
    movzwl \s+4(%rsp), %eax
    shlq $32, %rax
    movl \s(%rsp), %r11d
    orq %r11, %rax
.endm

/* loads env \reg (mxcsr | cw << 32) through \s(%rsp) */
.macro WRITE_FPENV reg, s
    movq \reg, \s(%rsp)
    ldmxcsr \s(%rsp)
    fldcw \s+4(%rsp)
.endm

/*
 * Fiber entry probe_fpenv(fcb, env): sets its MXCSR / x87 CW from env, then three times yields
 * the env it observes. Returns the env it observes at the end.
 * Frame: [0,32) home, [32] scratch.
 */
    .p2align 4
EXPORT(fiberswitch_probe_fpenv)
    pushq %rbx
    pushq %r12
    subq $40, %rsp
    movq %rcx, %rbx
    WRITE_FPENV %rdx, 32
    movl $3, %r12d
1:  READ_FPENV 32
    movq %rbx, %rcx
    movq %rax, %rdx
    call Lyield
    decl %r12d
    jnz 1b
    READ_FPENV 32
    addq $40, %rsp
    popq %r12
    popq %rbx
    ret

/*
 * Resumer side: probe_resume_fpenv(fcb, value, env) sets its own env to env (0 keeps it), resumes
 * the fiber, and returns which control bits changed across the round trip (MXCSR bits masked with
 * 0xFFC0 in the low half, x87 CW in the high half). Its caller's env is restored before returning.
 * Frame: [0,32) home, [32] scratch, [40] caller's env.
 */
    .p2align 4
EXPORT(fiberswitch_probe_resume_fpenv)
Lprobe_resume_fpenv:
    pushq %rbx
    pushq %r12
    pushq %r13
    subq $48, %rsp
    stmxcsr 40(%rsp)
    fnstcw 44(%rsp)
    testq %r8, %r8
    jz 1f
    WRITE_FPENV %r8, 32
1:  READ_FPENV 32
    movq %rax, %r12
    call Lresume
    READ_FPENV 32
    xorq %r12, %rax
    movabsq $0x0000FFFF0000FFC0, %rcx
    andq %rcx, %rax
    ldmxcsr 40(%rsp)
    fldcw 44(%rsp)
    addq $48, %rsp
    popq %r13
    popq %r12
    popq %rbx
    ret

/* int64 probe_read_fpenv(void): the calling thread's env, packed as above. */
    .p2align 4
EXPORT(fiberswitch_probe_read_fpenv)
Lprobe_read_fpenv:
    subq $8, %rsp
    READ_FPENV 0
    addq $8, %rsp
    ret

/*
 * Fiber entry probe_echo(fcb, first): yields first, then yields v + 1 for every resume value v,
 * until it is resumed with 0; returns how many values it yielded.
 */
    .p2align 4
EXPORT(fiberswitch_probe_echo)
    pushq %rbx
    pushq %r12
    subq $40, %rsp
    movq %rcx, %rbx
    xorl %r12d, %r12d
    movq %rdx, %rax
    jmp 2f
1:  testq %rax, %rax
    jz 3f
    incq %rax
2:  incq %r12
    movq %rbx, %rcx
    movq %rax, %rdx
    call Lyield
    jmp 1b
3:  movq %r12, %rax
    addq $40, %rsp
    popq %r12
    popq %rbx
    ret

/*
 * Fiber entry probe_alignment(fcb, arg): returns (rsp + 8) % 16 as seen at its own entry. It also
 * spills its four register arguments into the caller's home space, as MSVC debug code does, so a
 * caller without home space would have its frame clobbered.
 */
    .p2align 4
EXPORT(fiberswitch_probe_alignment)
    movq %rcx, 8(%rsp)
    movq %rdx, 16(%rsp)
    movq %r8, 24(%rsp)
    movq %r9, 32(%rsp)
    leaq 8(%rsp), %rax
    andq $15, %rax
    ret

/*
 * Call-fiber probe_callback(fcb, stub, position | 0x100 for a double reply): calls stub with
 * integer argument k = (k + 1) * 0x0101010101010101 for k in 0..7 (positions 4-7 on the stack
 * above the home space), except that `position` carries fcb, and with xmm k = k + 1.25 for k in
 * 0..3. Returns the stub's reply: rax, or the bits of xmm0 for a double reply.
 * Frame: [0,32) home, [32,64) stack arguments 4-7.
 */
    .p2align 4
EXPORT(fiberswitch_probe_callback)
    pushq %rbx
    pushq %r12
    pushq %r13
    subq $64, %rsp
    movq %rcx, %rbx
    movq %rdx, %r12
    movq %r8, %r13
    movabsq $0x0505050505050505, %rax
    movq %rax, 32(%rsp)
    movabsq $0x0606060606060606, %rax
    movq %rax, 40(%rsp)
    movabsq $0x0707070707070707, %rax
    movq %rax, 48(%rsp)
    movabsq $0x0808080808080808, %rax
    movq %rax, 56(%rsp)
    movabsq $0x0101010101010101, %rcx
    movabsq $0x0202020202020202, %rdx
    movabsq $0x0303030303030303, %r8
    movabsq $0x0404040404040404, %r9
    movzbl %r13b, %eax
    cmpl $0, %eax
    cmoveq %rbx, %rcx
    cmpl $1, %eax
    cmoveq %rbx, %rdx
    cmpl $2, %eax
    cmoveq %rbx, %r8
    cmpl $3, %eax
    cmoveq %rbx, %r9
    cmpl $4, %eax
    jb 1f
    cmpl $7, %eax
    ja 1f
    movq %rbx, (32 - 32)(%rsp,%rax,8)  /* position k >= 4 is at 32 + (k - 4) * 8 = 8k */
1:  movsd Lfloats+0(%rip), %xmm0
    movsd Lfloats+8(%rip), %xmm1
    movsd Lfloats+16(%rip), %xmm2
    movsd Lfloats+24(%rip), %xmm3
    call *%r12
    testl $0x100, %r13d
    jz 3f
    movq %xmm0, %rax
3:  addq $64, %rsp
    popq %r13
    popq %r12
    popq %rbx
    ret

/*
 * int64 probe_recurse(depth): recursion with 1 KiB frames, each touched at both ends, so it walks
 * down the stack less than a page at a time and cannot skip a guard page. Returns depth.
 */
    .p2align 4
EXPORT(fiberswitch_probe_recurse)
Lrecurse:
    testq %rcx, %rcx
    jz 1f
    subq $1064, %rsp
    movq %rcx, 1056(%rsp)
    movq %rcx, 32(%rsp)
    decq %rcx
    call Lrecurse
    incq %rax
    addq $1064, %rsp
    ret
1:  xorl %eax, %eax
    ret

/* ---------------------------------------------------------------- JNI entry points */

/*
 * The hot calls bound as JNI static natives, so that Java reaches the switch through HotSpot's own
 * native-method wrapper instead of JNA's generic dispatch. A JNI static native is called with
 * rcx = JNIEnv*, rdx = jclass, r8 and r9 = its first two arguments and the third in the stack slot
 * above the return address and the 32-byte home space ([rsp + 40] at entry). Each adapter drops
 * JNIEnv* and jclass and tail-jumps to its C entry with the arguments moved down two positions
 * (r8 is read before the stack argument overwrites it). The jump keeps rsp: the C entry sees the
 * JNI caller's return address and home space, which the caller allocated for at least four
 * arguments. The adapters touch no stack and no nonvolatile register, so as leaf functions they
 * need no unwind data; the thread is in native state exactly as under JNA.
 */
    .p2align 4
LOCAL_FN(fiberswitch_jni_resume)
    movq %r8, %rcx
    movq %r9, %rdx
    jmp Lresume

    .p2align 4
LOCAL_FN(fiberswitch_jni_prepare)
    movq %r8, %rcx
    jmp Lprepare

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_resume_registers)
    movq %r8, %rcx
    movq %r9, %rdx
    movq 40(%rsp), %r8
    jmp Lprobe_resume_registers

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_resume_fpenv)
    movq %r8, %rcx
    movq %r9, %rdx
    movq 40(%rsp), %r8
    jmp Lprobe_resume_fpenv

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_read_fpenv)
    jmp Lprobe_read_fpenv

/*
 * int64 fiberswitch_jni_register(JNIEnv *env, jclass cls): RegisterNatives(env, cls, table, 5) for
 * the five adapters above, under the names and signatures of fiberswitch.h. Returns 0, or
 * RegisterNatives' negative result (a jint, sign-extended) after clearing the exception it left
 * pending, so that the caller can fall back to JNA.
 * Frame below the saved rbx (env): [0,32) the callees' home space, [32,152) JNINativeMethod[5]
 * {name, signature, fnPtr}, [152] the result kept over ExceptionClear; 8 + 160 bytes keep rsp
 * 16-byte aligned at both calls.
 */
#define JNI_TABLE 32
#define JNI_RESULT (JNI_TABLE + FIBERSWITCH_JNI_METHOD_COUNT * 24)
#define JNI_FRAME (JNI_RESULT + 8)
#define JNI_METHOD(name, sig, fn, slot) \
    leaq name(%rip), %rax; movq %rax, (JNI_TABLE + (slot) * 24)(%rsp); \
    leaq sig(%rip), %rax; movq %rax, (JNI_TABLE + (slot) * 24 + 8)(%rsp); \
    leaq fn(%rip), %rax; movq %rax, (JNI_TABLE + (slot) * 24 + 16)(%rsp)
    .p2align 4
EXPORT(fiberswitch_jni_register)
    .seh_proc fiberswitch_jni_register
    pushq %rbx
    .seh_pushreg %rbx
    subq $JNI_FRAME, %rsp
    .seh_stackalloc JNI_FRAME
    .seh_endprologue
    movq %rcx, %rbx                 /* env; rdx (cls) stays as it is for RegisterNatives */
    JNI_METHOD(Ljni_resume, Ljni_sig_jj_j, fiberswitch_jni_resume, 0)
    JNI_METHOD(Ljni_prepare, Ljni_sig_j_v, fiberswitch_jni_prepare, 1)
    JNI_METHOD(Ljni_probe_resume_registers, Ljni_sig_jjj_j, fiberswitch_jni_probe_resume_registers, 2)
    JNI_METHOD(Ljni_probe_resume_fpenv, Ljni_sig_jjj_j, fiberswitch_jni_probe_resume_fpenv, 3)
    JNI_METHOD(Ljni_probe_read_fpenv, Ljni_sig_v_j, fiberswitch_jni_probe_read_fpenv, 4)
    movq %rbx, %rcx
    leaq JNI_TABLE(%rsp), %r8
    movl $FIBERSWITCH_JNI_METHOD_COUNT, %r9d
    movq (%rbx), %rax
    call *JNI_REGISTER_NATIVES(%rax)
    movslq %eax, %rax               /* jint: the upper half of rax is not part of the result */
    testq %rax, %rax
    jz 1f
    movq %rax, JNI_RESULT(%rsp)
    movq %rbx, %rcx
    movq (%rbx), %rax
    call *JNI_EXCEPTION_CLEAR(%rax)
    movq JNI_RESULT(%rsp), %rax
1:  addq $JNI_FRAME, %rsp
    popq %rbx
    ret
    .seh_endproc

/* The DLL entry point: nothing to set up, no CRT. */
    .p2align 4
.globl fiberswitch_dll_entry
LOCAL_FN(fiberswitch_dll_entry)
    movl $1, %eax
    ret

/* ---------------------------------------------------------------- read-only data */

    .section .rdata,"dr"
    .p2align 3
Llayout:
    .quad FCB_LAYOUT_VALUES
Lteb_offsets:
    .quad TEB_STACK_BASE, TEB_STACK_LIMIT, TEB_DEALLOCATION_STACK, TEB_FIBER_DATA
    .quad TEB_GUARANTEED_STACK_BYTES, TEB_EXCEPTION_LIST
Lfloats:
    .double 1.25, 2.25, 3.25, 4.25
Labi_description:
    .ascii "abi=x86-64 Microsoft x64\n"
    .ascii "callee-saved=rbx rbp r12 r13 r14 r15 rdi rsi xmm6 xmm7 xmm8 xmm9 xmm10 xmm11 xmm12 xmm13 xmm14 xmm15\n"
    .ascii "fp-control=MXCSR (bits 0-31) and the x87 control word (bits 32-47)\n"
    .ascii "fp-control-mask=0x0000ffff0000ffc0\n"
    .ascii "fp-sample-a=0x00000f7f00007f80\n"
    .ascii "fp-sample-b=0x0000027f00003f80\n"
    .ascii "alignment=(sp + 8) % 16 == 0 at every function entry, with 32 bytes of home space above the return address; the alignment probe returns (sp + 8) % 16\n"
    .ascii "callback-user-data-positions=8\n"
    .ascii "callback-integer-arguments=8\n"
    .ascii "callback-float-arguments=4\n"
    .ascii "callback-positions=arguments are positional: positions 0-3 are rcx, rdx, r8, r9 (or xmm0-xmm3 for floats), positions 4-7 the stack slots above the return address and the 32-byte home space, whatever their type\n"
    .asciz ""
/* JNI method names and signatures for fiberswitch_jni_register (modified UTF-8, NUL-terminated). */
Ljni_resume:                 .asciz "resume"
Ljni_prepare:                .asciz "prepare"
Ljni_probe_resume_registers: .asciz "probeResumeRegisters"
Ljni_probe_resume_fpenv:     .asciz "probeResumeFpEnv"
Ljni_probe_read_fpenv:       .asciz "probeReadFpEnv"
Ljni_sig_jj_j:               .asciz "(JJ)J"
Ljni_sig_j_v:                .asciz "(J)V"
Ljni_sig_jjj_j:              .asciz "(JJJ)J"
Ljni_sig_v_j:                .asciz "()J"

/* Exports, named here so the link needs no .def file. */
    .section .drectve,"yn"
    .ascii " -export:fiberswitch_resume"
    .ascii " -export:fiberswitch_yield"
    .ascii " -export:fiberswitch_prepare"
    .ascii " -export:fiberswitch_callback_stubs"
    .ascii " -export:fiberswitch_abi_version"
    .ascii " -export:fiberswitch_layout"
    .ascii " -export:fiberswitch_abi_description"
    .ascii " -export:fiberswitch_probe_read_teb"
    .ascii " -export:fiberswitch_probe_registers"
    .ascii " -export:fiberswitch_probe_resume_registers"
    .ascii " -export:fiberswitch_probe_fpenv"
    .ascii " -export:fiberswitch_probe_resume_fpenv"
    .ascii " -export:fiberswitch_probe_read_fpenv"
    .ascii " -export:fiberswitch_probe_echo"
    .ascii " -export:fiberswitch_probe_alignment"
    .ascii " -export:fiberswitch_probe_callback"
    .ascii " -export:fiberswitch_probe_recurse"
    .ascii " -export:fiberswitch_jni_register"
