/*
 * fiberswitch for x86-64 System V (Linux ELF, and macOS Mach-O from the same source).
 *
 * One switch body, saved and loaded the same way in both directions: it pushes the callee-saved
 * registers rbx, rbp, r12-r15, stores MXCSR and the x87 control word, stores the stack pointer,
 * loads the other side's, and loads the other side's MXCSR and x87 CW. The loads are unconditional:
 * reading back what stmxcsr/fnstcw just stored, to load only when the control bits differ, waits on
 * those stores and measured slower than loading (bench/native/run.sh on this project's Zen 4: 7.1
 * ns per switch with the compare, 5.7 without; stmxcsr itself costs about 2.3 ns, and no cheaper
 * way to learn MXCSR exists). Every path into the body is jumps only (resume, yield and the stub
 * body tail-jump), so no frame of ours sits between a suspended side and the code it returns to.
 *
 * The two directions end differently, for the CPU's return-stack buffer (RSB), which is one stack
 * for two stacks of frames:
 *   - onto the fiber (fiberswitch_swap_in): pop and an indirect jmp, not `ret`. The jmp's target is
 *     the same call site every time and is predicted, and the RSB keeps the resumer's entries.
 *   - back to the resumer (fiberswitch_swap_out): the fiber's call into a stub or yield left one
 *     entry above the resumer's; a `ret` to a landing pad drops it (mispredicted: it names the
 *     fiber's call site), and the landing pad's own `ret` then pops the resumer's entry for its
 *     call into resume, so it is predicted, and so is every return the resumer makes after it.
 * So a round trip costs one mispredicted return however deep the resumer returns before it calls
 * again: the JNI wrapper and the Java methods above it (an iterator's hasNext), or JNA's dispatch.
 * With pop+jmp back as well, each of those returns mispredicted instead, one per frame, because the
 * RSB stayed one entry out of step. The fiber side keeps its entries balanced as long as the code
 * that calls a stub calls it again from the same frame (a loop); it is not worse otherwise.
 *
 * Frame left on a suspended stack (low to high): r15, r14, r13, r12, rbx, rbp, return address; the
 * saved sp points at r15. The fp env (mxcsr u32, x87 cw u16) sits in the 8 bytes below it, in the
 * red zone: nothing runs on a suspended stack, and the running side's signals land on its own.
 *
 * Build for Mach-O with -DFIBERSWITCH_MACHO: C symbols get a leading underscore and the ELF-only
 * directives drop out.
 */
#include "fiberswitch.h"

#ifdef FIBERSWITCH_MACHO
#  define SYM(n) _##n
#  define TYPE_FN(n)
#  define SIZE_FN(n)
#else
#  define SYM(n) n
#  define TYPE_FN(n) .type SYM(n),@function
#  define SIZE_FN(n) .size SYM(n),.-SYM(n)
#endif

#define EXPORT(n) .globl SYM(n); TYPE_FN(n); SYM(n):
#define LOCAL_FN(n) TYPE_FN(n); SYM(n):

/* Standard C start values for a fresh fiber: all exceptions masked, round to nearest. */
#define MXCSR_DEFAULT 0x1F80
#define X87CW_DEFAULT 0x037F

    .text

/* ---------------------------------------------------------------- the switch */

/*
 * The switch body (rdi = fcb, rsi = slot to save this side's sp, rdx = other side's sp); it leaves
 * rax = TRANSFER and the other side's return address on top of its stack, for the caller's tail.
 */
.macro FS_SWITCH_BODY
    .cfi_startproc
    pushq %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0
    stmxcsr -8(%rsp)                /* in the red zone: nothing runs on a suspended stack */
    fnstcw -4(%rsp)
    movq %rsp, (%rsi)
    /* From here the frame at rsp is the other side's; it has the same shape, so the CFI holds. */
    movq %rdx, %rsp
    ldmxcsr -8(%rsp)
    fldcw -4(%rsp)
    popq %r15
    .cfi_adjust_cfa_offset -8
    popq %r14
    .cfi_adjust_cfa_offset -8
    popq %r13
    .cfi_adjust_cfa_offset -8
    popq %r12
    .cfi_adjust_cfa_offset -8
    popq %rbx
    .cfi_adjust_cfa_offset -8
    popq %rbp
    .cfi_adjust_cfa_offset -8
    movq FCB_TRANSFER(%rdi), %rax
.endm

/* swap_in(rdi = fcb, rsi = &RESUMER_SP, rdx = FIBER_SP) -> rax = TRANSFER, on the fiber */
    .p2align 4
LOCAL_FN(fiberswitch_swap_in)
    FS_SWITCH_BODY
    popq %rcx
    .cfi_adjust_cfa_offset -8
    .cfi_register rip, rcx
    notrack jmp *%rcx               /* not ret: see the file comment; notrack: return sites carry no endbr64 */
    .cfi_endproc
SIZE_FN(fiberswitch_swap_in)

/* swap_out(rdi = fcb, rsi = &FIBER_SP, rdx = RESUMER_SP) -> rax = TRANSFER, in the resumer */
    .p2align 4
LOCAL_FN(fiberswitch_swap_out)
    FS_SWITCH_BODY
    leaq 1f(%rip), %rcx
    pushq %rcx
    .cfi_adjust_cfa_offset 8
    ret                             /* drops the fiber's RSB entry: see the file comment */
1:  .cfi_adjust_cfa_offset -8
    ret                             /* predicted: the resumer's call into resume */
    .cfi_endproc
SIZE_FN(fiberswitch_swap_out)

/* intptr_t fiberswitch_resume(fcb, value): switch onto the fiber; returns what it passes back. */
    .p2align 4
EXPORT(fiberswitch_resume)
Lresume:
    .cfi_startproc
    endbr64
    movq %rsi, FCB_TRANSFER(%rdi)
    movq %rsi, %xmm0                /* a callback stub's reply, for stubs that return double */
    leaq FCB_RESUMER_SP(%rdi), %rsi
    movq FCB_FIBER_SP(%rdi), %rdx
    jmp SYM(fiberswitch_swap_in)
    .cfi_endproc
SIZE_FN(fiberswitch_resume)

/* intptr_t fiberswitch_yield(fcb, value): from the fiber back to its resumer. */
    .p2align 4
EXPORT(fiberswitch_yield)
Lyield:
    .cfi_startproc
    endbr64
    movq %rsi, FCB_TRANSFER(%rdi)
    movq $FCB_EXIT_YIELD, FCB_EXIT(%rdi)
    leaq FCB_FIBER_SP(%rdi), %rsi
    movq FCB_RESUMER_SP(%rdi), %rdx
    jmp SYM(fiberswitch_swap_out)
    .cfi_endproc
SIZE_FN(fiberswitch_yield)

/* ---------------------------------------------------------------- fresh stacks */

/*
 * void fiberswitch_prepare(fcb): build the first frame below FCB_STACK_HI so that the first resume
 * "returns" into the entry trampoline with rsp 16-byte aligned and a zero return-address slot above.
 */
    .p2align 4
EXPORT(fiberswitch_prepare)
Lprepare:
    .cfi_startproc
    endbr64
    movq FCB_STACK_HI(%rdi), %rax
    andq $-16, %rax
    xorl %ecx, %ecx
    movq %rcx, -8(%rax)
    movq %rcx, -16(%rax)            /* the entry trampoline's (absent) return address */
    leaq SYM(fiberswitch_entry)(%rip), %rdx
    movq %rdx, -24(%rax)            /* swap_in's jmp lands here */
    movq %rcx, -32(%rax)            /* rbp = 0: frame-pointer walkers stop */
    movq %rcx, -40(%rax)            /* rbx */
    movq %rcx, -48(%rax)            /* r12 */
    movq %rcx, -56(%rax)            /* r13 */
    movq %rcx, -64(%rax)            /* r14 */
    movq %rcx, -72(%rax)            /* r15 */
    movl $MXCSR_DEFAULT, -80(%rax)  /* in the red zone below the saved sp, as the switch keeps it */
    movl $X87CW_DEFAULT, -76(%rax)
    leaq -72(%rax), %rdx
    movq %rdx, FCB_FIBER_SP(%rdi)
    movq $FCB_EXIT_NONE, FCB_EXIT(%rdi)
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_prepare)

/*
 * The first frame of every fiber: calls FCB_FUNCTION(FCB_ARGS[0..5]), stores the result, switches
 * out for the last time. The return address is undefined to unwinders and rbp is zero.
 */
    .p2align 4
LOCAL_FN(fiberswitch_entry)
    .cfi_startproc
    .cfi_undefined rip
    endbr64
    xorl %ebp, %ebp
    movq %rdi, %rbx
    movq FCB_ARGS+0(%rbx), %rdi
    movq FCB_ARGS+8(%rbx), %rsi
    movq FCB_ARGS+16(%rbx), %rdx
    movq FCB_ARGS+24(%rbx), %rcx
    movq FCB_ARGS+32(%rbx), %r8
    movq FCB_ARGS+40(%rbx), %r9
    xorl %eax, %eax                 /* no vector registers used, for variadic callees */
    call *FCB_FUNCTION(%rbx)
    movq %rbx, %rdi
    movq %rax, FCB_RESULT(%rdi)
    movq %rax, FCB_TRANSFER(%rdi)
    movq $FCB_EXIT_DONE, FCB_EXIT(%rdi)
    leaq FCB_FIBER_SP(%rdi), %rsi
    movq FCB_RESUMER_SP(%rdi), %rdx
    call SYM(fiberswitch_swap_out)
    ud2                             /* a finished fiber is never resumed by the runtime */
    .cfi_endproc
SIZE_FN(fiberswitch_entry)

/* ---------------------------------------------------------------- callback stubs */

/*
 * Each stub: endbr64; eax = stub id; r10 = the user-data argument (the fiber's handle); jump to the
 * common body. Positions 0-5 are rdi, rsi, rdx, rcx, r8, r9; 6 and 7 are the first two stack
 * arguments. The reply kind lives only in the id: the switch returns every reply in both rax and
 * xmm0, so no frame of ours sits between the switch and the stub's caller. One frame less means
 * one return less across the stacks, and each such return mispredicts.
 */
.macro FS_STUB tag, pos, kind
    .p2align 5, 0xcc
    endbr64
    movl $((((\tag) * FCB_STUB_POSITIONS) + (\pos)) * 2 + (\kind)), %eax
  .if (\pos) == 0
    movq %rdi, %r10
  .elseif (\pos) == 1
    movq %rsi, %r10
  .elseif (\pos) == 2
    movq %rdx, %r10
  .elseif (\pos) == 3
    movq %rcx, %r10
  .elseif (\pos) == 4
    movq %r8, %r10
  .elseif (\pos) == 5
    movq %r9, %r10
  .elseif (\pos) == 6
    movq 8(%rsp), %r10
  .else
    movq 16(%rsp), %r10
  .endif
    {disp32} jmp SYM(fiberswitch_callback_body)   /* one width in every stub, in gas and llvm-mc alike */
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
SIZE_FN(fiberswitch_callback_stubs)

/*
 * Common body (r10 = fcb, eax = stub id, the native caller's arguments still in place). The user
 * data must be a live FCB and we must be on its stack; otherwise stop at once with ud2 rather than
 * switch to a wrong stack and corrupt memory.
 */
    .p2align 4
LOCAL_FN(fiberswitch_callback_body)
    .cfi_startproc
    cmpl $FCB_MAGIC_VALUE, FCB_MAGIC(%r10)
    jne 9f
    cmpq FCB_STACK_LO(%r10), %rsp
    jb 9f
    cmpq FCB_STACK_HI(%r10), %rsp
    jae 9f
    movq %rdi, FCB_CB_INT+0(%r10)
    movq %rsi, FCB_CB_INT+8(%r10)
    movq %rdx, FCB_CB_INT+16(%r10)
    movq %rcx, FCB_CB_INT+24(%r10)
    movq %r8,  FCB_CB_INT+32(%r10)
    movq %r9,  FCB_CB_INT+40(%r10)
    movq 8(%rsp), %r11              /* over the return address into the stub's caller */
    movq %r11, FCB_CB_INT+48(%r10)
    movq 16(%rsp), %r11
    movq %r11, FCB_CB_INT+56(%r10)
    movq %xmm0, FCB_CB_FLOAT+0(%r10)
    movq %xmm1, FCB_CB_FLOAT+8(%r10)
    movq %xmm2, FCB_CB_FLOAT+16(%r10)
    movq %xmm3, FCB_CB_FLOAT+24(%r10)
    movq %xmm4, FCB_CB_FLOAT+32(%r10)
    movq %xmm5, FCB_CB_FLOAT+40(%r10)
    movq %xmm6, FCB_CB_FLOAT+48(%r10)
    movq %xmm7, FCB_CB_FLOAT+56(%r10)
    movq %rax, FCB_CALLBACK_ID(%r10)
    movq $FCB_EXIT_CALLBACK, FCB_EXIT(%r10)
    movq %r10, %rdi
    leaq FCB_FIBER_SP(%rdi), %rsi
    movq FCB_RESUMER_SP(%rdi), %rdx
    jmp SYM(fiberswitch_swap_out)    /* once resumed, swap_in's jmp hands the reply (rax, xmm0) to the stub's caller */
9:  ud2
    .cfi_endproc
SIZE_FN(fiberswitch_callback_body)

/* ---------------------------------------------------------------- handshake */

/* int64 fiberswitch_abi_version(void) */
    .p2align 4
EXPORT(fiberswitch_abi_version)
    .cfi_startproc
    endbr64
    movl $FIBERSWITCH_ABI_VERSION, %eax
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_abi_version)

/*
 * int64 fiberswitch_layout(int64 i): the constant this library was assembled with, so the Java side
 * can check the FCB contract. 0 MAGIC_VALUE, 1 SIZE, 2.. the field offsets in header order, then
 * stub count and stride; -1 past the end.
 */
    .p2align 4
EXPORT(fiberswitch_layout)
    .cfi_startproc
    endbr64
    cmpq $FCB_LAYOUT_COUNT, %rdi
    jae 1f
    leaq Llayout(%rip), %rax
    movq (%rax,%rdi,8), %rax
    ret
1:  movq $-1, %rax
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_layout)
    .p2align 3
Llayout:
    .quad FCB_LAYOUT_VALUES

/*
 * const char *fiberswitch_abi_description(void): the ABI facts of this library as "key=value" lines,
 * read once by the Java side (org.fiberswitch.spi.AbiDescription), so that they live only here, next
 * to the code they describe. The FP environment of the probes packs MXCSR in bits 0-31 and the x87
 * control word in bits 32-47; the control mask keeps MXCSR's rounding, flush and exception-mask bits
 * (0xFFC0, not the sticky flags) and the whole x87 control word.
 */
    .p2align 4
EXPORT(fiberswitch_abi_description)
    .cfi_startproc
    endbr64
    leaq Labi_description(%rip), %rax
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_abi_description)
Labi_description:
    .ascii "abi=x86-64 System V\n"
    .ascii "callee-saved=rbx rbp r12 r13 r14 r15\n"
    .ascii "fp-control=MXCSR (bits 0-31) and the x87 control word (bits 32-47)\n"
    .ascii "fp-control-mask=0x0000ffff0000ffc0\n"
    /* round toward zero, all exceptions masked; x87 round up, 64-bit precision */
    .ascii "fp-sample-a=0x00000f7f00007f80\n"
    /* round down; x87 default */
    .ascii "fp-sample-b=0x0000037f00003f80\n"
    .ascii "alignment=(sp + 8) % 16 == 0 at every function entry; the alignment probe returns (sp + 8) % 16\n"
    .ascii "callback-user-data-positions=8\n"
    .ascii "callback-integer-arguments=8\n"
    .ascii "callback-float-arguments=8\n"
    .ascii "callback-positions=integer positions 0-5 are rdi, rsi, rdx, rcx, r8, r9, 6-7 the first two stack arguments; float positions 0-7 are xmm0-xmm7\n"
    .asciz ""

/* ---------------------------------------------------------------- ABI probes */

/* Pattern for callee-saved register k at round i: seed + i + K[k]. */
#define K_RBX 0x1111111111111111
#define K_RBP 0x2222222222222222
#define K_R12 0x3333333333333333
#define K_R13 0x4444444444444444
#define K_R14 0x5555555555555555
#define K_R15 0x6666666666666666

/* rax = base; loads the six patterns */
#define LOAD_PATTERNS \
    movabsq $K_RBX, %rbx; addq %rax, %rbx; \
    movabsq $K_RBP, %rbp; addq %rax, %rbp; \
    movabsq $K_R12, %r12; addq %rax, %r12; \
    movabsq $K_R13, %r13; addq %rax, %r13; \
    movabsq $K_R14, %r14; addq %rax, %r14; \
    movabsq $K_R15, %r15; addq %rax, %r15

/* rax = base; ecx |= bit for each register that lost its pattern (uses r11, rdx) */
#define CHECK_ONE(K, REG, BIT) \
    movabsq $K, %r11; addq %rax, %r11; xorl %edx, %edx; cmpq %r11, REG; setne %dl; \
    shll $BIT, %edx; orl %edx, %ecx
#define CHECK_PATTERNS \
    CHECK_ONE(K_RBX, %rbx, 0); CHECK_ONE(K_RBP, %rbp, 1); CHECK_ONE(K_R12, %r12, 2); \
    CHECK_ONE(K_R13, %r13, 3); CHECK_ONE(K_R14, %r14, 4); CHECK_ONE(K_R15, %r15, 5)

#define SAVE_CALLEE_SAVED pushq %rbp; pushq %rbx; pushq %r12; pushq %r13; pushq %r14; pushq %r15
#define RESTORE_CALLEE_SAVED popq %r15; popq %r14; popq %r13; popq %r12; popq %rbx; popq %rbp

/*
 * Fiber entry probe_registers(fcb, seed): three rounds of: load patterns, yield(round), check.
 * Returns the mask of registers that did not survive (bit 0 rbx, 1 rbp, 2-5 r12-r15).
 */
    .p2align 4
EXPORT(fiberswitch_probe_registers)
    endbr64
    SAVE_CALLEE_SAVED
    subq $40, %rsp                  /* [0] fcb [8] seed [16] round [24] mask */
    movq %rdi, 0(%rsp)
    movq %rsi, 8(%rsp)
    movq $0, 16(%rsp)
    movq $0, 24(%rsp)
1:  movq 8(%rsp), %rax
    addq 16(%rsp), %rax
    LOAD_PATTERNS
    movq 0(%rsp), %rdi
    movq 16(%rsp), %rsi
    call Lyield
    movq 8(%rsp), %rax
    addq 16(%rsp), %rax
    movl 24(%rsp), %ecx
    CHECK_PATTERNS
    movl %ecx, 24(%rsp)
    incq 16(%rsp)
    cmpq $3, 16(%rsp)
    jb 1b
    movq 24(%rsp), %rax
    addq $40, %rsp
    RESTORE_CALLEE_SAVED
    ret
SIZE_FN(fiberswitch_probe_registers)

/*
 * Resumer side: probe_resume_registers(fcb, value, seed) loads patterns, resumes the fiber, and
 * returns the mask of its own registers that did not survive the round trip.
 */
    .p2align 4
EXPORT(fiberswitch_probe_resume_registers)
Lprobe_resume_registers:
    endbr64
    SAVE_CALLEE_SAVED
    subq $24, %rsp                  /* [0] seed */
    movq %rdx, 0(%rsp)
    movq %rdx, %rax
    LOAD_PATTERNS
    call Lresume
    movq 0(%rsp), %rax
    xorl %ecx, %ecx
    CHECK_PATTERNS
    movl %ecx, %eax
    addq $24, %rsp
    RESTORE_CALLEE_SAVED
    ret
SIZE_FN(fiberswitch_probe_resume_registers)

/* rax = mxcsr | x87cw << 32, through the 8 bytes at 0(%rsp) */
#define READ_FPENV \
    stmxcsr 0(%rsp); fnstcw 4(%rsp); movzwl 4(%rsp), %eax; shlq $32, %rax; \
    movl 0(%rsp), %edx; orq %rdx, %rax

/* loads env REG (mxcsr | cw << 32) through 0(%rsp) */
#define WRITE_FPENV(REG) \
    movq REG, 0(%rsp); ldmxcsr 0(%rsp); fldcw 4(%rsp)

/*
 * Fiber entry probe_fpenv(fcb, env): sets its MXCSR / x87 CW from env, then three times yields
 * the env it observes. Returns the env it observes at the end.
 */
    .p2align 4
EXPORT(fiberswitch_probe_fpenv)
    endbr64
    pushq %rbx
    pushq %r12
    subq $24, %rsp
    movq %rdi, %rbx
    WRITE_FPENV(%rsi)
    movl $3, %r12d
1:  READ_FPENV
    movq %rbx, %rdi
    movq %rax, %rsi
    call Lyield
    decl %r12d
    jnz 1b
    READ_FPENV
    addq $24, %rsp
    popq %r12
    popq %rbx
    ret
SIZE_FN(fiberswitch_probe_fpenv)

/*
 * Resumer side: probe_resume_fpenv(fcb, value, env) sets its own env to env (0 keeps it), resumes
 * the fiber, and returns which control bits changed across the round trip (MXCSR bits masked with
 * 0xFFC0 in the low half, x87 CW in the high half). Its caller's env is restored before returning.
 */
    .p2align 4
EXPORT(fiberswitch_probe_resume_fpenv)
Lprobe_resume_fpenv:
    endbr64
    pushq %rbx
    pushq %r12
    pushq %r13
    subq $16, %rsp                  /* [0] scratch [8] caller's env */
    stmxcsr 8(%rsp)
    fnstcw 12(%rsp)
    testq %rdx, %rdx
    jz 1f
    WRITE_FPENV(%rdx)
1:  READ_FPENV
    movq %rax, %r12
    call Lresume
    READ_FPENV
    xorq %r12, %rax
    movabsq $0x0000FFFF0000FFC0, %rcx
    andq %rcx, %rax
    ldmxcsr 8(%rsp)
    fldcw 12(%rsp)
    addq $16, %rsp
    popq %r13
    popq %r12
    popq %rbx
    ret
SIZE_FN(fiberswitch_probe_resume_fpenv)

/* int64 probe_read_fpenv(void): the calling thread's env, packed as above. */
    .p2align 4
EXPORT(fiberswitch_probe_read_fpenv)
Lprobe_read_fpenv:
    endbr64
    subq $8, %rsp
    READ_FPENV
    addq $8, %rsp
    ret
SIZE_FN(fiberswitch_probe_read_fpenv)

/*
 * Fiber entry probe_echo(fcb, first): yields first, then yields v + 1 for every resume value v,
 * until it is resumed with 0; returns how many values it yielded.
 */
    .p2align 4
EXPORT(fiberswitch_probe_echo)
    endbr64
    pushq %rbx
    pushq %r12
    pushq %r13
    movq %rdi, %rbx
    xorl %r12d, %r12d
    movq %rsi, %rax
    jmp 2f
1:  testq %rax, %rax
    jz 3f
    incq %rax
2:  incq %r12
    movq %rbx, %rdi
    movq %rax, %rsi
    call Lyield
    jmp 1b
3:  movq %r12, %rax
    popq %r13
    popq %r12
    popq %rbx
    ret
SIZE_FN(fiberswitch_probe_echo)

/* Fiber entry probe_alignment(fcb, arg): returns (rsp + 8) % 16 as seen at its own entry. */
    .p2align 4
EXPORT(fiberswitch_probe_alignment)
    endbr64
    leaq 8(%rsp), %rax
    andq $15, %rax
    ret
SIZE_FN(fiberswitch_probe_alignment)

/*
 * Call-fiber probe_callback(fcb, stub, position | 0x100 for a double reply): calls stub with
 * integer argument k = (k + 1) * 0x0101010101010101 for k in 0..7 (positions 6 and 7 on the stack),
 * except that `position` carries fcb, and with xmm k = k + 1.25. Returns the stub's reply: rax, or
 * the bits of xmm0 for a double reply.
 */
    .p2align 4
EXPORT(fiberswitch_probe_callback)
    endbr64
    pushq %rbx
    pushq %r12
    pushq %r13
    subq $16, %rsp                  /* [0] arg 6, [8] arg 7 */
    movq %rdi, %rbx
    movq %rsi, %r12
    movq %rdx, %r13
    movabsq $0x0707070707070707, %rax
    movq %rax, 0(%rsp)
    movabsq $0x0808080808080808, %rax
    movq %rax, 8(%rsp)
    movabsq $0x0101010101010101, %rdi
    movabsq $0x0202020202020202, %rsi
    movabsq $0x0303030303030303, %rdx
    movabsq $0x0404040404040404, %rcx
    movabsq $0x0505050505050505, %r8
    movabsq $0x0606060606060606, %r9
    movzbl %r13b, %eax
    cmpl $0, %eax
    cmoveq %rbx, %rdi
    cmpl $1, %eax
    cmoveq %rbx, %rsi
    cmpl $2, %eax
    cmoveq %rbx, %rdx
    cmpl $3, %eax
    cmoveq %rbx, %rcx
    cmpl $4, %eax
    cmoveq %rbx, %r8
    cmpl $5, %eax
    cmoveq %rbx, %r9
    cmpl $6, %eax
    jne 1f
    movq %rbx, 0(%rsp)
1:  cmpl $7, %eax
    jne 2f
    movq %rbx, 8(%rsp)
2:  movsd Lfloats+0(%rip), %xmm0
    movsd Lfloats+8(%rip), %xmm1
    movsd Lfloats+16(%rip), %xmm2
    movsd Lfloats+24(%rip), %xmm3
    movsd Lfloats+32(%rip), %xmm4
    movsd Lfloats+40(%rip), %xmm5
    movsd Lfloats+48(%rip), %xmm6
    movsd Lfloats+56(%rip), %xmm7
    movl $8, %eax
    call *%r12
    testl $0x100, %r13d
    jz 3f
    movq %xmm0, %rax
3:  addq $16, %rsp
    popq %r13
    popq %r12
    popq %rbx
    ret
SIZE_FN(fiberswitch_probe_callback)
    .p2align 3
Lfloats:
    .double 1.25, 2.25, 3.25, 4.25, 5.25, 6.25, 7.25, 8.25

/*
 * int64 probe_recurse(depth): recursion with 1 KiB frames, each touched, so it walks down the
 * stack a page at a time and cannot skip a guard page. Returns depth.
 */
    .p2align 4
EXPORT(fiberswitch_probe_recurse)
Lrecurse:
    endbr64
    testq %rdi, %rdi
    jz 1f
    subq $1032, %rsp
    movq %rdi, 0(%rsp)
    movq %rdi, 1024(%rsp)
    decq %rdi
    call Lrecurse
    incq %rax
    addq $1032, %rsp
    ret
1:  xorl %eax, %eax
    ret
SIZE_FN(fiberswitch_probe_recurse)

/* ---------------------------------------------------------------- JNI entry points */

/*
 * The hot calls bound as JNI static natives, so that Java reaches the switch through HotSpot's own
 * native-method wrapper instead of JNA's generic dispatch (measured here: 5 ns against 60-90 ns a
 * call). Each adapter drops JNIEnv* and jclass and tail-jumps to its C entry with the arguments
 * moved down two registers; the thread is in native state exactly as under JNA.
 */
    .p2align 4
LOCAL_FN(fiberswitch_jni_resume)
    endbr64
    movq %rdx, %rdi
    movq %rcx, %rsi
    jmp Lresume
SIZE_FN(fiberswitch_jni_resume)

    .p2align 4
LOCAL_FN(fiberswitch_jni_prepare)
    endbr64
    movq %rdx, %rdi
    jmp Lprepare
SIZE_FN(fiberswitch_jni_prepare)

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_resume_registers)
    endbr64
    movq %rdx, %rdi
    movq %rcx, %rsi
    movq %r8, %rdx
    jmp Lprobe_resume_registers
SIZE_FN(fiberswitch_jni_probe_resume_registers)

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_resume_fpenv)
    endbr64
    movq %rdx, %rdi
    movq %rcx, %rsi
    movq %r8, %rdx
    jmp Lprobe_resume_fpenv
SIZE_FN(fiberswitch_jni_probe_resume_fpenv)

    .p2align 4
LOCAL_FN(fiberswitch_jni_probe_read_fpenv)
    endbr64
    jmp Lprobe_read_fpenv
SIZE_FN(fiberswitch_jni_probe_read_fpenv)

/*
 * int64 fiberswitch_jni_register(JNIEnv *env, jclass cls): RegisterNatives(env, cls, table, 5) for
 * the five adapters above, under the names and signatures of FIBERSWITCH_JNI_METHODS. Returns 0, or
 * RegisterNatives' negative result after clearing the exception it left pending, so that the caller
 * can fall back to another binding.
 */
#define JNI_METHOD(name, sig, fn, slot) \
    leaq name(%rip), %rax; movq %rax, (slot * 24)(%rsp); \
    leaq sig(%rip), %rax; movq %rax, (slot * 24 + 8)(%rsp); \
    leaq SYM(fn)(%rip), %rax; movq %rax, (slot * 24 + 16)(%rsp)
#define JNI_FRAME (FIBERSWITCH_JNI_METHOD_COUNT * 24 + 8)
    .p2align 4
EXPORT(fiberswitch_jni_register)
    .cfi_startproc
    endbr64
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    subq $JNI_FRAME, %rsp          /* JNINativeMethod[5] and 8 bytes of padding: rsp 16-aligned */
    .cfi_adjust_cfa_offset JNI_FRAME
    movq %rdi, %rbx
    JNI_METHOD(Ljni_resume, Ljni_sig_jj_j, fiberswitch_jni_resume, 0)
    JNI_METHOD(Ljni_prepare, Ljni_sig_j_v, fiberswitch_jni_prepare, 1)
    JNI_METHOD(Ljni_probe_resume_registers, Ljni_sig_jjj_j, fiberswitch_jni_probe_resume_registers, 2)
    JNI_METHOD(Ljni_probe_resume_fpenv, Ljni_sig_jjj_j, fiberswitch_jni_probe_resume_fpenv, 3)
    JNI_METHOD(Ljni_probe_read_fpenv, Ljni_sig_v_j, fiberswitch_jni_probe_read_fpenv, 4)
    movq %rsp, %rdx
    movl $FIBERSWITCH_JNI_METHOD_COUNT, %ecx
    movq (%rbx), %rax
    call *JNI_REGISTER_NATIVES(%rax)
    movslq %eax, %rax
    testq %rax, %rax
    jz 1f
    movq %rax, (%rsp)               /* keep the result over the call */
    movq %rbx, %rdi
    movq (%rbx), %rax
    call *JNI_EXCEPTION_CLEAR(%rax)
    movq (%rsp), %rax
1:  addq $JNI_FRAME, %rsp
    .cfi_adjust_cfa_offset -JNI_FRAME
    popq %rbx
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
SIZE_FN(fiberswitch_jni_register)

/* Names and signatures, kept in the text section so that ELF and Mach-O code bytes stay equal. */
Ljni_resume:                 .asciz "resume"
Ljni_prepare:                .asciz "prepare"
Ljni_probe_resume_registers: .asciz "probeResumeRegisters"
Ljni_probe_resume_fpenv:     .asciz "probeResumeFpEnv"
Ljni_probe_read_fpenv:       .asciz "probeReadFpEnv"
Ljni_sig_jj_j:               .asciz "(JJ)J"
Ljni_sig_j_v:                .asciz "(J)V"
Ljni_sig_jjj_j:              .asciz "(JJJ)J"
Ljni_sig_v_j:                .asciz "()J"

#ifndef FIBERSWITCH_MACHO
    .section .note.GNU-stack,"",@progbits
#else
    .subsections_via_symbols
#endif
