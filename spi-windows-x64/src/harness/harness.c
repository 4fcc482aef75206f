/*
 * Wine harness for the Win64 port: loads fiberswitch.dll with LoadLibrary/GetProcAddress and
 * drives the same probes and rules as the JVM testkit, in both TEB modes. Built with mingw-w64
 * (-O0, so big local arrays get ___chkstk_ms calls), run under wine by run-wine-harness.sh.
 *
 *   harness.exe DLL [rule ...]     run all rules (or the named ones); last line "N passed, N failed"
 *   harness.exe DLL --child WHAT   helper modes the parent runs in a separate process
 *
 * Stacks are made the way the Java provider makes them (WindowsX64SwitchProvider): a reservation
 * with PAGE_READWRITE, an uncommitted bottom page as the hard guard, and either a small committed
 * top plus a PAGE_GUARD page (full TEB mode, grown by the OS) or everything committed (trick mode).
 */
#include <windows.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fiberswitch.h"

typedef intptr_t (*fn2)(void *, intptr_t);
typedef intptr_t (*fn3)(void *, intptr_t, intptr_t);
typedef intptr_t (*fn1)(intptr_t);
typedef intptr_t (*fn0)(void);
typedef void (*prep_fn)(void *);

static fn2 fs_resume, fs_yield, fs_probe_registers, fs_probe_fpenv, fs_probe_alignment, fs_probe_echo;
static fn3 fs_probe_resume_registers, fs_probe_resume_fpenv, fs_probe_callback;
static fn1 fs_layout, fs_read_teb, fs_probe_recurse;
static fn0 fs_abi_version, fs_read_fpenv;
static prep_fn fs_prepare;
static char *fs_stubs;
/* for harness_cxx.cpp */
fn2 harness_yield;

#define F(fcb, off) (*(intptr_t *)((char *)(fcb) + (off)))
#define PAGE 4096

/* TEB modes and the values the trick mode gives a fiber (same as the Java provider). */
enum { MODE_FULL = 0, MODE_TRICK = 1 };
#define TRICK_STACK_LIMIT ((intptr_t)0)
#define TRICK_STACK_BASE ((intptr_t)0x7FFFFFFF0000LL)
static const char *mode_name[] = { "full", "trick" };

/* TEB fields read by C, independently of the DLL. */
typedef struct { intptr_t base, limit, dealloc, fiber, exlist; } teb4;
static teb4 teb_now(void) {
    char *teb = (char *)NtCurrentTeb();
    teb4 t = { *(intptr_t *)(teb + 0x08), *(intptr_t *)(teb + 0x10), *(intptr_t *)(teb + 0x1478),
               *(intptr_t *)(teb + 0x20), *(intptr_t *)(teb + 0x00) };
    return t;
}
static int teb_eq(teb4 a, teb4 b) {
    return a.base == b.base && a.limit == b.limit && a.dealloc == b.dealloc && a.fiber == b.fiber
        && a.exlist == b.exlist;
}
static teb4 teb_via_dll(void) {
    teb4 t = { fs_read_teb(0), fs_read_teb(1), fs_read_teb(2), fs_read_teb(3), fs_read_teb(5) };
    return t;
}

/* ------------------------------------------------------------------------- results */
static int passed, failed;
static char detail[512];
static void result(const char *rule, const char *mode, int ok) {
    if (ok) passed++; else failed++;
    printf("%s %s%s%s%s%s\n", ok ? "PASS" : "FAIL", rule, mode ? " [" : "", mode ? mode : "",
           mode ? "]" : "", ok ? "" : detail);
    detail[0] = 0;
    fflush(stdout);
}
#define WHY(...) snprintf(detail, sizeof detail, ": " __VA_ARGS__)

/* ------------------------------------------------------------------------- stacks */
typedef struct {
    char *base;
    size_t size;
    char *fcb;
    intptr_t initial_limit;
} fiber;

#define INITIAL_COMMIT (16 * 1024)

/* Builds a fiber whose entry is fn(a0, a1, ...); a0 == -1 means "the fcb itself". */
static int make_fiber(fiber *f, size_t size, int mode, void *fn, intptr_t a0, intptr_t a1, intptr_t a2) {
    memset(f, 0, sizeof *f);
    char *base = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_READWRITE);
    if (!base) { WHY("VirtualAlloc reserve failed %lu", GetLastError()); return 0; }
    /* bottom page stays reserved-only: any touch faults (the hard guard) */
    if (mode == MODE_FULL) {
        if (!VirtualAlloc(base + size - INITIAL_COMMIT, INITIAL_COMMIT, MEM_COMMIT, PAGE_READWRITE)) return 0;
        if (!VirtualAlloc(base + size - INITIAL_COMMIT - PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD)) return 0;
    } else {
        if (!VirtualAlloc(base + PAGE, size - PAGE, MEM_COMMIT, PAGE_READWRITE)) return 0;
    }
    char *fcb = base + size - FCB_SIZE;
    memset(fcb, 0, FCB_SIZE);
    *(uint32_t *)fcb = FCB_MAGIC_VALUE;
    *(uint32_t *)(fcb + 4) = FIBERSWITCH_ABI_VERSION;
    F(fcb, FCB_FUNCTION) = (intptr_t)fn;
    F(fcb, FCB_ARGS + 0) = a0 == -1 ? (intptr_t)fcb : a0;
    F(fcb, FCB_ARGS + 8) = a1;
    F(fcb, FCB_ARGS + 16) = a2;
    F(fcb, FCB_STACK_LO) = (intptr_t)(base + PAGE);
    F(fcb, FCB_STACK_HI) = (intptr_t)fcb;
    if (mode == MODE_FULL) {
        F(fcb, FCB_PORT + 0) = (intptr_t)fcb;                               /* StackBase */
        F(fcb, FCB_PORT + 8) = (intptr_t)(base + size - INITIAL_COMMIT);    /* StackLimit */
        F(fcb, FCB_PORT + 16) = (intptr_t)base;                             /* DeallocationStack */
    } else {
        F(fcb, FCB_PORT + 0) = TRICK_STACK_BASE;
        F(fcb, FCB_PORT + 8) = TRICK_STACK_LIMIT;
        F(fcb, FCB_PORT + 16) = TRICK_STACK_LIMIT;
    }
    F(fcb, FCB_PORT + 24) = 0;                                              /* FiberData */
    F(fcb, FCB_PORT + 32) = -1;                                             /* ExceptionList: empty */
    fs_prepare(fcb);
    f->base = base;
    f->size = size;
    f->fcb = fcb;
    f->initial_limit = F(fcb, FCB_PORT + 8);
    return 1;
}
static void free_fiber(fiber *f) {
    if (f->base) VirtualFree(f->base, 0, MEM_RELEASE);
    f->base = NULL;
}
/* what a fiber in this mode must see in its TEB */
static teb4 expected_teb(const fiber *f) {
    teb4 t = { F(f->fcb, FCB_PORT + 0), F(f->fcb, FCB_PORT + 8), F(f->fcb, FCB_PORT + 16),
               F(f->fcb, FCB_PORT + 24), F(f->fcb, FCB_PORT + 32) };
    return t;
}

/* ------------------------------------------------------------------------- rules */

static void rule_layout(void) {
    static const intptr_t want[] = {
        FCB_MAGIC_VALUE, FCB_SIZE, FCB_MAGIC, FCB_FIBER_SP, FCB_RESUMER_SP, FCB_TRANSFER, FCB_EXIT,
        FCB_CALLBACK_ID, FCB_FUNCTION, FCB_ARGS, FCB_RESULT, FCB_STACK_LO, FCB_STACK_HI, FCB_CB_INT,
        FCB_CB_FLOAT, FCB_PORT, FCB_EXIT_YIELD, FCB_EXIT_DONE, FCB_EXIT_CALLBACK, FCB_STUB_COUNT,
        FCB_STUB_STRIDE };
    int ok = fs_abi_version() == FIBERSWITCH_ABI_VERSION;
    for (int i = 0; i < 21; i++)
        if (fs_layout(i) != want[i]) { ok = 0; WHY("layout[%d] = %lld", i, (long long)fs_layout(i)); }
    if (fs_layout(21) != -1) { ok = 0; WHY("layout[21] should be -1"); }
    result("layout", NULL, ok);
}

static intptr_t gen_entry(void *self, intptr_t n) {
    for (intptr_t i = 0; i < n; i++) {
        intptr_t got = fs_yield(self, i * 10);
        if (got != i + 100) return -1;
    }
    return 999;
}

static void rule_yield_resume(int mode) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, mode, gen_entry, -1, 3, 0);
    intptr_t v = ok ? fs_resume(f.fcb, 0) : 0;
    for (int i = 0; ok && i < 3; i++) {
        if (v != i * 10 || F(f.fcb, FCB_EXIT) != FCB_EXIT_YIELD) { ok = 0; WHY("round %d got %lld", i, (long long)v); }
        v = fs_resume(f.fcb, i + 100);
    }
    if (ok && (v != 999 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE || F(f.fcb, FCB_RESULT) != 999)) { ok = 0; WHY("end %lld", (long long)v); }
    free_fiber(&f);
    result("yield_resume", mode_name[mode], ok);
}

/* The asm echo probe: yields first, then v + 1 per resume value v, until resumed with 0. */
static void rule_echo(int mode) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, mode, fs_probe_echo, -1, 5, 0);
    intptr_t v = ok ? fs_resume(f.fcb, 0) : 0;
    if (v != 5) { ok = 0; WHY("first %lld", (long long)v); }
    for (intptr_t i = 1; ok && i <= 1000; i++) {
        v = fs_resume(f.fcb, i * 3);
        if (v != i * 3 + 1 || F(f.fcb, FCB_EXIT) != FCB_EXIT_YIELD) { ok = 0; WHY("round %lld got %lld", (long long)i, (long long)v); }
    }
    v = ok ? fs_resume(f.fcb, 0) : 0;
    if (ok && (v != 1001 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE)) { ok = 0; WHY("count %lld", (long long)v); }
    free_fiber(&f);
    result("echo_probe", mode_name[mode], ok);
}

/* Registers: both sides load different patterns each round; every callee-saved register of both
 * must survive, xmm6-15 in full. */
static void rule_registers(int mode) {
    fiber a, b;
    int ok = make_fiber(&a, 64 * 1024, mode, fs_probe_registers, -1, 0x1000, 0)
          && make_fiber(&b, 64 * 1024, mode, fs_probe_registers, -1, 0x5000, 0);
    for (int i = 0; ok && i < 4; i++) {
        intptr_t ma = fs_probe_resume_registers(a.fcb, 0, 0x9000 + i);
        intptr_t mb = fs_probe_resume_registers(b.fcb, 0, 0xD000 + i);
        if (ma || mb) { ok = 0; WHY("resumer lost mask %llx / %llx in round %d", (long long)ma, (long long)mb, i); }
    }
    if (ok && (F(a.fcb, FCB_EXIT) != FCB_EXIT_DONE || F(a.fcb, FCB_RESULT) != 0 || F(b.fcb, FCB_RESULT) != 0)) {
        ok = 0; WHY("fiber lost mask %llx / %llx", (long long)F(a.fcb, FCB_RESULT), (long long)F(b.fcb, FCB_RESULT));
    }
    free_fiber(&a); free_fiber(&b);
    result("callee_saved_registers", mode_name[mode], ok);
}

static void rule_alignment(int mode) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, mode, fs_probe_alignment, -1, 0, 0);
    intptr_t r = ok ? fs_resume(f.fcb, 0) : -1;
    /* the probe spilled into its home space; the first frame must be intact for the final switch */
    if (r != 0 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("(rsp+8)%%16 = %lld", (long long)r); }
    free_fiber(&f);
    result("alignment_and_home_space", mode_name[mode], ok);
}

/* MXCSR / x87 CW: the fiber runs with round-toward-zero and a 24-bit x87 precision; the resumer
 * never sees them, and changes its own in between without the fiber seeing that. */
static void rule_fpenv(int mode) {
    fiber f;
    intptr_t thread_env = fs_read_fpenv();
    intptr_t env = (0x1F80 | 0x6000) | ((intptr_t)0x007F << 32);
    int ok = make_fiber(&f, 64 * 1024, mode, fs_probe_fpenv, -1, env, 0);
    for (int i = 0; ok && i < 4; i++) {
        intptr_t other = i == 2 ? (0x1F80 | 0x2000) | ((intptr_t)0x037F << 32) : 0;
        intptr_t diff = fs_probe_resume_fpenv(f.fcb, 0, other);
        if (diff) { ok = 0; WHY("resumer control bits changed %llx in round %d", (long long)diff, i); }
        intptr_t seen = F(f.fcb, FCB_TRANSFER);
        if (((seen ^ env) & 0x0000FFFF0000FFC0LL) != 0) { ok = 0; WHY("fiber saw %llx, set %llx", (long long)seen, (long long)env); }
    }
    if (fs_read_fpenv() != thread_env) { ok = 0; WHY("thread env %llx, was %llx", (long long)fs_read_fpenv(), (long long)thread_env); }
    free_fiber(&f);
    result("mxcsr_x87_isolation", mode_name[mode], ok);
}

/* TEB: what the fiber sees (through the DLL's gs:0x30 and through C's NtCurrentTeb), and that the
 * thread's own values are back after every switch out. Includes a nested fiber-to-fiber resume. */
struct teb_seen { teb4 seen[4]; };
static intptr_t teb_report_entry(void *self, intptr_t out) {
    struct teb_seen *s = (struct teb_seen *)out;
    s->seen[0] = teb_now();
    s->seen[1] = teb_via_dll();
    fs_yield(self, 1);
    s->seen[2] = teb_now();
    return 2;
}
static intptr_t teb_outer_entry(void *self, intptr_t out, intptr_t inner_fcb) {
    struct teb_seen *s = (struct teb_seen *)out;
    s->seen[0] = teb_now();
    fs_resume((void *)inner_fcb, 0);          /* fiber to fiber */
    s->seen[1] = teb_now();                   /* back on this fiber after the inner yield */
    fs_resume((void *)inner_fcb, 0);          /* inner runs to completion */
    s->seen[2] = teb_now();
    fs_yield(self, 1);
    s->seen[3] = teb_now();
    return 3;
}
static void rule_teb(int mode) {
    fiber f, outer, inner;
    struct teb_seen s, so, si;
    memset(&s, 0, sizeof s); memset(&so, 0, sizeof so); memset(&si, 0, sizeof si);
    teb4 thread = teb_now();
    int ok = make_fiber(&f, 64 * 1024, mode, teb_report_entry, -1, (intptr_t)&s, 0);
    fs_resume(f.fcb, 0);
    teb4 after1 = teb_now();
    fs_resume(f.fcb, 0);
    teb4 after2 = teb_now();
    teb4 want = expected_teb(&f);
    if (!teb_eq(s.seen[0], want) || !teb_eq(s.seen[1], want) || !teb_eq(s.seen[2], want)) {
        ok = 0; WHY("fiber saw base %llx limit %llx dealloc %llx fiber %llx, want %llx %llx %llx %llx",
                    (long long)s.seen[0].base, (long long)s.seen[0].limit, (long long)s.seen[0].dealloc,
                    (long long)s.seen[0].fiber, (long long)want.base, (long long)want.limit,
                    (long long)want.dealloc, (long long)want.fiber);
    }
    if (!teb_eq(after1, thread) || !teb_eq(after2, thread)) {
        ok = 0; WHY("thread TEB not restored: limit %llx, was %llx", (long long)after2.limit, (long long)thread.limit);
    }
    free_fiber(&f);
    result("teb_fields", mode_name[mode], ok);

    ok = make_fiber(&inner, 64 * 1024, mode, teb_report_entry, -1, (intptr_t)&si, 0)
      && make_fiber(&outer, 64 * 1024, mode, teb_outer_entry, -1, (intptr_t)&so, (intptr_t)0);
    F(outer.fcb, FCB_ARGS + 16) = (intptr_t)inner.fcb;
    fs_resume(outer.fcb, 0);
    teb4 mid = teb_now();
    fs_resume(outer.fcb, 0);
    teb4 end = teb_now();
    teb4 wo = expected_teb(&outer), wi = expected_teb(&inner);
    if (!teb_eq(so.seen[0], wo) || !teb_eq(so.seen[1], wo) || !teb_eq(so.seen[2], wo) || !teb_eq(so.seen[3], wo)) {
        ok = 0; WHY("outer fiber lost its TEB values across the nested resume (limit %llx, want %llx)",
                    (long long)so.seen[1].limit, (long long)wo.limit);
    }
    if (!teb_eq(si.seen[0], wi) || !teb_eq(si.seen[2], wi)) { ok = 0; WHY("inner fiber saw wrong TEB values"); }
    if (!teb_eq(mid, thread) || !teb_eq(end, thread)) { ok = 0; WHY("thread TEB not restored after nested fibers"); }
    free_fiber(&outer); free_fiber(&inner);
    result("teb_fields_fiber_to_fiber", mode_name[mode], ok);
}

/* Deep recursion past 256 KiB with C frames of 8 KiB (each calls ___chkstk_ms) on a guard-page
 * stack (full mode: the OS grows it page by page through the TEB bounds) or a committed one. */
static __attribute__((noinline)) intptr_t deep_c(int n) {
    volatile char big[8192];
    big[0] = (char)n;
    big[sizeof big - 1] = (char)n;
    if (n == 0) return 0;
    return deep_c(n - 1) + 1 + (big[0] - (char)n);
}
struct deep_out { intptr_t limit_before, limit_after; };
static intptr_t deep_entry(void *self, intptr_t depth, intptr_t out) {
    (void)self;
    struct deep_out *o = (struct deep_out *)out;
    o->limit_before = fs_read_teb(1);
    intptr_t r = deep_c((int)depth);
    intptr_t r2 = fs_probe_recurse(300);     /* 300 frames of 1 KiB from the asm probe */
    o->limit_after = fs_read_teb(1);
    return r == depth && r2 == 300 ? r : -1;
}
static void rule_deep_recursion(int mode) {
    fiber f;
    struct deep_out o = { 0, 0 };
    int depth = 48;                            /* 48 x 8 KiB = 384 KiB */
    int ok = make_fiber(&f, 1024 * 1024, mode, deep_entry, -1, depth, (intptr_t)&o);
    teb4 thread = teb_now();
    intptr_t r = ok ? fs_resume(f.fcb, 0) : -2;
    if (r != depth) { ok = 0; WHY("returned %lld", (long long)r); }
    if (mode == MODE_FULL && !(o.limit_after < o.limit_before && o.limit_after <= (intptr_t)f.fcb - 384 * 1024)) {
        ok = 0; WHY("StackLimit did not follow the guard page down: %llx -> %llx", (long long)o.limit_before, (long long)o.limit_after);
    }
    if (mode == MODE_TRICK && (o.limit_before != TRICK_STACK_LIMIT || o.limit_after != TRICK_STACK_LIMIT)) {
        ok = 0; WHY("trick StackLimit changed: %llx -> %llx", (long long)o.limit_before, (long long)o.limit_after);
    }
    if (!teb_eq(teb_now(), thread)) { ok = 0; WHY("thread TEB not restored"); }
    free_fiber(&f);
    result("deep_recursion_chkstk_guard_page", mode_name[mode], ok);
}

/* C++ (SEH) exceptions thrown and caught on a fiber. */
intptr_t harness_cxx_throw_catch(void *self, intptr_t depth);
intptr_t harness_cxx_throw_after_yield(void *self, intptr_t depth);
static void rule_cxx(int mode) {
    fiber f;
    int ok = make_fiber(&f, 256 * 1024, mode, harness_cxx_throw_catch, -1, 20, 0);
    intptr_t r = ok ? fs_resume(f.fcb, 0) : 0;
    if (r != 42 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("returned %lld", (long long)r); }
    free_fiber(&f);
    result("cxx_exception_on_fiber", mode_name[mode], ok);
}

/* The first frame stops unwinders: a RtlVirtualUnwind walk from inside a fiber ends on a zero
 * return address with rsp == the fiber's TEB StackBase (where Windows and Wine stop), and
 * RtlCaptureStackBackTrace, which walks until StackBase, stays finite in both modes. */
struct walk_out { int frames; intptr_t last_rsp; DWORD captured; };
static intptr_t walk_entry(void *self, intptr_t out) {
    (void)self;
    struct walk_out *o = (struct walk_out *)out;
    CONTEXT ctx;
    RtlCaptureContext(&ctx);
    o->frames = 0;
    while (ctx.Rip != 0 && o->frames < 64) {
        DWORD64 image;
        PRUNTIME_FUNCTION fe = RtlLookupFunctionEntry(ctx.Rip, &image, NULL);
        if (fe) {
            PVOID hd; DWORD64 est;
            RtlVirtualUnwind(UNW_FLAG_NHANDLER, image, ctx.Rip, fe, &ctx, &hd, &est, NULL);
        } else {
            ctx.Rip = *(DWORD64 *)ctx.Rsp;
            ctx.Rsp += 8;
        }
        o->frames++;
    }
    o->last_rsp = (intptr_t)ctx.Rsp;
    void *bt[62];
    o->captured = RtlCaptureStackBackTrace(0, 62, bt, NULL);
    return 7;
}
static void rule_first_frame(int mode) {
    fiber f;
    struct walk_out o = { 0, 0, 0 };
    int ok = make_fiber(&f, 64 * 1024, mode, walk_entry, -1, (intptr_t)&o, 0);
    intptr_t r = ok ? fs_resume(f.fcb, 0) : 0;
    if (r != 7 || o.frames >= 64 || o.last_rsp != F(f.fcb, FCB_PORT + 0)) {
        ok = 0; WHY("walk: %d frames, ended at rsp %llx (StackBase %llx)", o.frames, (long long)o.last_rsp, (long long)F(f.fcb, FCB_PORT + 0));
    }
    if (o.captured == 0 || o.captured >= 62) { ok = 0; WHY("RtlCaptureStackBackTrace gave %lu frames", o.captured); }
    free_fiber(&f);
    result("first_frame_stops_unwinders", mode_name[mode], ok);
}

/* setjmp/longjmp on a fiber, across a yield in between (msvcrt's longjmp unwinds with RtlUnwindEx). */
static jmp_buf jb;
static __attribute__((noinline)) void jumper(void *self, int depth) {
    volatile char pad[256];
    pad[0] = 1;
    if (depth == 0) { fs_yield(self, 5); longjmp(jb, 77); }
    jumper(self, depth - 1);
    (void)pad[0];
}
static intptr_t setjmp_entry(void *self, intptr_t unused) {
    (void)unused;
    volatile int r = setjmp(jb);
    if (r == 0) { jumper(self, 10); return -1; }
    return r;
}
static void rule_setjmp(int mode) {
    fiber f;
    int ok = make_fiber(&f, 128 * 1024, mode, setjmp_entry, -1, 0, 0);
    intptr_t r1 = ok ? fs_resume(f.fcb, 0) : 0;
    intptr_t r2 = ok ? fs_resume(f.fcb, 0) : 0;
    if (r1 != 5 || r2 != 77 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("got %lld then %lld", (long long)r1, (long long)r2); }
    free_fiber(&f);
    result("setjmp_longjmp_on_fiber", mode_name[mode], ok);
}

/* Thread migration: started on this thread, resumed by a CreateThread thread (which sees its own
 * TEB back afterwards), then finished here; a C++ exception runs on the second thread. */
struct mig { fiber *f; int mode; teb4 fiber_seen; DWORD fiber_tid; teb4 t2_before, t2_after; intptr_t r; };
static intptr_t mig_entry(void *self, intptr_t arg) {
    struct mig *m = (struct mig *)arg;
    fs_yield(self, 1);                        /* resumed next by the other thread */
    m->fiber_seen = teb_now();
    m->fiber_tid = GetCurrentThreadId();
    intptr_t c = harness_cxx_throw_catch(self, 8);
    fs_yield(self, c);
    return 9;                                 /* finished on the first thread */
}
static DWORD WINAPI mig_thread(LPVOID p) {
    struct mig *m = (struct mig *)p;
    m->t2_before = teb_now();
    m->r = fs_resume(m->f->fcb, 0);
    m->t2_after = teb_now();
    return 0;
}
static void rule_migration(int mode) {
    fiber f;
    struct mig m;
    memset(&m, 0, sizeof m);
    int ok = make_fiber(&f, 128 * 1024, mode, mig_entry, -1, (intptr_t)&m, 0);
    m.f = &f;
    m.mode = mode;
    teb4 thread = teb_now();
    intptr_t r0 = fs_resume(f.fcb, 0);
    HANDLE h = CreateThread(NULL, 0, mig_thread, &m, 0, NULL);
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
    intptr_t r2 = fs_resume(f.fcb, 0);
    if (r0 != 1 || m.r != 42 || r2 != 9) { ok = 0; WHY("results %lld %lld %lld", (long long)r0, (long long)m.r, (long long)r2); }
    if (m.fiber_tid == GetCurrentThreadId() || m.fiber_tid == 0) { ok = 0; WHY("fiber did not run on the second thread"); }
    if (!teb_eq(m.fiber_seen, expected_teb(&f))) { ok = 0; WHY("fiber on second thread saw limit %llx", (long long)m.fiber_seen.limit); }
    if (!teb_eq(m.t2_before, m.t2_after)) { ok = 0; WHY("second thread's TEB not restored"); }
    if (!teb_eq(teb_now(), thread)) { ok = 0; WHY("first thread's TEB not restored"); }
    free_fiber(&f);
    result("thread_migration", mode_name[mode], ok);
}

/* Callback stubs: every tag, every user-data position, both reply kinds. */
static void rule_callbacks(int mode) {
    int bad = 0, n = 0;
    for (int tag = 0; tag < FCB_STUB_TAGS; tag++)
        for (int pos = 0; pos < FCB_STUB_POSITIONS; pos++)
            for (int kind = 0; kind < 2; kind++) {
                int id = ((tag * FCB_STUB_POSITIONS) + pos) * 2 + kind;
                fiber f;
                if (!make_fiber(&f, 64 * 1024, mode, fs_probe_callback, -1,
                                (intptr_t)(fs_stubs + id * FCB_STUB_STRIDE), pos | (kind << 8))) { bad++; continue; }
                n++;
                fs_resume(f.fcb, 0);
                int ok = F(f.fcb, FCB_EXIT) == FCB_EXIT_CALLBACK && F(f.fcb, FCB_CALLBACK_ID) == id;
                for (int k = 0; k < 8; k++) {
                    intptr_t e = k == pos ? (intptr_t)f.fcb : (intptr_t)(0x0101010101010101ULL * (k + 1));
                    if (F(f.fcb, FCB_CB_INT + 8 * k) != e) ok = 0;
                    if (k < 4) {
                        double d; memcpy(&d, f.fcb + FCB_CB_FLOAT + 8 * k, 8);
                        if (d != k + 1.25) ok = 0;
                    } else if (F(f.fcb, FCB_CB_FLOAT + 8 * k) != e) ok = 0;   /* same stack slot */
                }
                double dr = 42.5 + id;
                intptr_t reply = kind ? 0 : 4242 + id;
                if (kind) memcpy(&reply, &dr, 8);
                intptr_t r = fs_resume(f.fcb, reply);
                if (r != reply || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) ok = 0;
                if (!ok && !bad) WHY("tag %d pos %d kind %d", tag, pos, kind);
                bad += !ok;
                free_fiber(&f);
            }
    if (bad && !detail[0]) WHY("%d bad", bad);
    result("callback_stubs_all_positions_both_kinds", mode_name[mode], bad == 0 && n == FCB_STUB_COUNT);
}

/* Child processes: a stub given bad user data must stop with an illegal instruction (ud2) rather
 * than switch stacks; and the DLL must load away from its preferred image base. */
static LONG WINAPI exit_with_code(EXCEPTION_POINTERS *e) {
    TerminateProcess(GetCurrentProcess(), e->ExceptionRecord->ExceptionCode);
    return EXCEPTION_EXECUTE_HANDLER;
}
static int child(const char *what) {
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    SetUnhandledExceptionFilter(exit_with_code);
    typedef intptr_t (*stub4)(intptr_t, intptr_t, intptr_t, intptr_t);
    if (strcmp(what, "bad-magic") == 0) {
        static char junk[FCB_SIZE];
        ((stub4)(fs_stubs + 0))((intptr_t)junk, 0, 0, 0);          /* tag 0, pos 0, int */
        return 1;
    }
    if (strcmp(what, "wrong-stack") == 0) {
        fiber f;
        make_fiber(&f, 64 * 1024, MODE_FULL, gen_entry, -1, 1, 0);
        ((stub4)(fs_stubs + 2 * FCB_STUB_STRIDE))(0, (intptr_t)f.fcb, 0, 0);   /* pos 1, from the thread's stack */
        return 1;
    }
    return 2;
}
static DWORD run_child(const char *dll, const char *what) {
    char exe[MAX_PATH], cmd[3 * MAX_PATH];
    GetModuleFileNameA(NULL, exe, sizeof exe);
    snprintf(cmd, sizeof cmd, "\"%s\" \"%s\" --child %s", exe, dll, what);
    STARTUPINFOA si; PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si); si.cb = sizeof si;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) return 0xFFFFFFFF;
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess); CloseHandle(pi.hThread);
    return code;
}
static void rule_bad_user_data(const char *dll) {
    DWORD a = run_child(dll, "bad-magic");
    DWORD b = run_child(dll, "wrong-stack");
    int ok = a == STATUS_ILLEGAL_INSTRUCTION && b == STATUS_ILLEGAL_INSTRUCTION;
    if (!ok) WHY("child exit codes %lx %lx, want %lx", a, b, (unsigned long)STATUS_ILLEGAL_INSTRUCTION);
    result("callback_bad_user_data_stops", NULL, ok);
}
static void rule_relocated(const char *dll) {
    DWORD c = run_child(dll, "relocated");
    if (c != 0) WHY("child exit code %lx", c);
    result("dll_loads_away_from_image_base", NULL, c == 0);
}

/* ------------------------------------------------------------------------- main */
static HMODULE fs_module;
static int load(const char *dll) {
    HMODULE h = fs_module = LoadLibraryA(dll);
    if (!h) { printf("cannot load %s: error %lu\n", dll, GetLastError()); return 0; }
#define BIND(var, type, name) if (!(var = (type)(void *)GetProcAddress(h, name))) { printf("missing export %s\n", name); return 0; }
    BIND(fs_resume, fn2, "fiberswitch_resume");
    BIND(fs_yield, fn2, "fiberswitch_yield");
    BIND(fs_prepare, prep_fn, "fiberswitch_prepare");
    BIND(fs_stubs, char *, "fiberswitch_callback_stubs");
    BIND(fs_abi_version, fn0, "fiberswitch_abi_version");
    BIND(fs_layout, fn1, "fiberswitch_layout");
    BIND(fs_read_teb, fn1, "fiberswitch_probe_read_teb");
    BIND(fs_probe_registers, fn2, "fiberswitch_probe_registers");
    BIND(fs_probe_resume_registers, fn3, "fiberswitch_probe_resume_registers");
    BIND(fs_probe_fpenv, fn2, "fiberswitch_probe_fpenv");
    BIND(fs_probe_resume_fpenv, fn3, "fiberswitch_probe_resume_fpenv");
    BIND(fs_read_fpenv, fn0, "fiberswitch_probe_read_fpenv");
    BIND(fs_probe_alignment, fn2, "fiberswitch_probe_alignment");
    BIND(fs_probe_echo, fn2, "fiberswitch_probe_echo");
    BIND(fs_probe_callback, fn3, "fiberswitch_probe_callback");
    BIND(fs_probe_recurse, fn1, "fiberswitch_probe_recurse");
    harness_yield = fs_yield;
    return 1;
}

static int wanted(int argc, char **argv, const char *name) {
    if (argc <= 2) return 1;
    for (int i = 2; i < argc; i++) if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: harness.exe DLL [rule ...] | DLL --child WHAT\n"); return 2; }
    if (argc == 4 && strcmp(argv[2], "--child") == 0) {
        if (strcmp(argv[3], "relocated") == 0) {
            /* take the DLL's preferred base first, so the loader has to put it elsewhere */
            void *taken = VirtualAlloc((void *)0x180000000ULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
            if (!taken) return 3;
            if (!load(argv[1])) return 4;
            if ((void *)fs_module == taken) return 5;
            fiber f;
            if (!make_fiber(&f, 64 * 1024, MODE_FULL, gen_entry, -1, 1, 0)) return 6;
            if (fs_resume(f.fcb, 0) != 0 || fs_resume(f.fcb, 100) != 999) return 7;
            if (harness_cxx_throw_catch(NULL, 3) != 42) return 8;
            return 0;
        }
        if (!load(argv[1])) return 4;
        return child(argv[3]);
    }
    if (!load(argv[1])) { printf("0 passed, 1 failed\n"); return 1; }
    if (wanted(argc, argv, "layout")) rule_layout();
    for (int mode = MODE_FULL; mode <= MODE_TRICK; mode++) {
        if (wanted(argc, argv, "yield_resume")) rule_yield_resume(mode);
        if (wanted(argc, argv, "echo")) rule_echo(mode);
        if (wanted(argc, argv, "teb")) rule_teb(mode);
        if (wanted(argc, argv, "registers")) rule_registers(mode);
        if (wanted(argc, argv, "alignment")) rule_alignment(mode);
        if (wanted(argc, argv, "fpenv")) rule_fpenv(mode);
        if (wanted(argc, argv, "deep")) rule_deep_recursion(mode);
        if (wanted(argc, argv, "cxx")) rule_cxx(mode);
        if (wanted(argc, argv, "first_frame")) rule_first_frame(mode);
        if (wanted(argc, argv, "setjmp")) rule_setjmp(mode);
        if (wanted(argc, argv, "migration")) rule_migration(mode);
        if (wanted(argc, argv, "callbacks")) rule_callbacks(mode);
    }
    if (wanted(argc, argv, "bad_user_data")) rule_bad_user_data(argv[1]);
    if (wanted(argc, argv, "relocated")) rule_relocated(argv[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
