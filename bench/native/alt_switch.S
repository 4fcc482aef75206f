/*
 * An alternative switch sequence, for measurement only (the shipped one is
 * native/src/fiberswitch_x86_64_sysv.S). Same FCB layout, same guarantees (rbx,
 * rbp, r12-r15, MXCSR control bits, x87 CW), same red-zone env and unconditional loads as the
 * shipped switch. It differs in one point: it goes back to the resumer the way it goes onto the
 * fiber, with pop + jmp, as the shipped switch did until it was measured against a `ret` through a
 * landing pad. With pop + jmp the return-stack buffer stays one entry out of step on the resumer's
 * side, so each frame the resumer returns through before its next call mispredicts
 * (bench/native/run.sh prints both, by that depth).
 */
#include "fiberswitch.h"

    .text
/* alt_swap(rdi = fcb, rsi = slot for this side's sp, rdx = other side's sp) -> rax = TRANSFER */
    .p2align 4
    .type alt_swap,@function
alt_swap:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    stmxcsr -8(%rsp)
    fnstcw -4(%rsp)
    movq %rsp, (%rsi)
    movq %rdx, %rsp
    ldmxcsr -8(%rsp)
    fldcw -4(%rsp)
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    movq FCB_TRANSFER(%rdi), %rax
    popq %rcx
    jmp *%rcx
    .size alt_swap,.-alt_swap

    .globl alt_resume
    .type alt_resume,@function
    .p2align 4
alt_resume:
    endbr64
    movq %rsi, FCB_TRANSFER(%rdi)
    leaq FCB_RESUMER_SP(%rdi), %rsi
    movq FCB_FIBER_SP(%rdi), %rdx
    jmp alt_swap
    .size alt_resume,.-alt_resume

    .globl alt_yield
    .type alt_yield,@function
    .p2align 4
alt_yield:
    endbr64
    movq %rsi, FCB_TRANSFER(%rdi)
    movq $FCB_EXIT_YIELD, FCB_EXIT(%rdi)
    leaq FCB_FIBER_SP(%rdi), %rsi
    movq FCB_RESUMER_SP(%rdi), %rdx
    jmp alt_swap
    .size alt_yield,.-alt_yield

/* alt_prepare(fcb): first frame so that the first alt_resume jumps into alt_entry. */
    .globl alt_prepare
    .type alt_prepare,@function
    .p2align 4
alt_prepare:
    endbr64
    movq FCB_STACK_HI(%rdi), %rax
    andq $-16, %rax
    xorl %ecx, %ecx
    movq %rcx, -8(%rax)
    movq %rcx, -16(%rax)
    leaq alt_entry(%rip), %rdx
    movq %rdx, -24(%rax)
    movq %rcx, -32(%rax)
    movq %rcx, -40(%rax)
    movq %rcx, -48(%rax)
    movq %rcx, -56(%rax)
    movq %rcx, -64(%rax)
    movq %rcx, -72(%rax)
    movl $0x1F80, -80(%rax)
    movl $0x037F, -76(%rax)
    leaq -72(%rax), %rdx
    movq %rdx, FCB_FIBER_SP(%rdi)
    movq $FCB_EXIT_NONE, FCB_EXIT(%rdi)
    ret
    .size alt_prepare,.-alt_prepare

    .p2align 4
    .type alt_entry,@function
alt_entry:
    endbr64
    xorl %ebp, %ebp
    movq %rdi, %rbx
    movq FCB_ARGS+0(%rbx), %rdi
    movq FCB_ARGS+8(%rbx), %rsi
    call *FCB_FUNCTION(%rbx)
    movq %rbx, %rdi
    movq %rax, FCB_RESULT(%rdi)
    movq %rax, FCB_TRANSFER(%rdi)
    movq $FCB_EXIT_DONE, FCB_EXIT(%rdi)
    leaq FCB_FIBER_SP(%rdi), %rsi
    movq FCB_RESUMER_SP(%rdi), %rdx
    call alt_swap
    ud2
    .size alt_entry,.-alt_entry

    .section .note.GNU-stack,"",@progbits
