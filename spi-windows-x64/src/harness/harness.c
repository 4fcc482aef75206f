/*
 * Wine harness for the Win64 port: loads fiberswitch.dll with LoadLibrary/GetProcAddress and
 * drives the same probes and rules as the JVM testkit, in both TEB modes. Built with mingw-w64
 * (-O0, so big local arrays get ___chkstk_ms calls), run under wine by run-wine-harness.sh.
 *
 *   harness.exe DLL [rule ...]     run all rules (or the named ones); last line "N passed, N failed"
 *   harness.exe DLL --child WHAT   helper modes the parent runs in a separate process
 *
 * The switch rules run twice, through the C entry points and through the JNI natives that
 * fiberswitch_jni_register registers on a fake JNIEnv (the "jni" rules check that registration and
 * its ABI; see the JNI binding section). Rules print "[mode]" or "[mode, jni]".
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
#include <xmmintrin.h>
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
static HMODULE fs_module;
typedef intptr_t (*jni_register_fn)(void *env, void *cls);
static jni_register_fn fs_jni_register;
/* the C entry points, kept while the fs_ pointers above may be switched to the JNI natives */
static fn2 c_resume;
static fn3 c_probe_resume_registers, c_probe_resume_fpenv;
static fn0 c_read_fpenv;
static prep_fn c_prepare;
/* for harness_cxx.cpp */
fn2 harness_yield;

#define F(fcb, off) (*(intptr_t *)((char *)(fcb) + (off)))
#define PAGE 4096

/* TEB modes and the values the trick mode gives a fiber (same as the Java provider). */
enum { MODE_FULL = 0, MODE_TRICK = 1 };
#define TRICK_STACK_LIMIT ((intptr_t)0)
#define TRICK_STACK_BASE ((intptr_t)0x7FFFFFFF0000LL)
/* Which entries fs_resume, fs_prepare, the resumer-side probes and fs_read_fpenv are: the C entry
 * points from GetProcAddress, or the JNI natives fiberswitch_jni_register registered, called the
 * way the JVM calls a static native (see the JNI section). Rules print the binding with the mode. */
enum { BIND_C = 0, BIND_JNI = 1 };
static int binding = BIND_C;
static const char *mode_name[2][2] = { { "full", "trick" }, { "full, jni", "trick, jni" } };
#define MODE(mode) (mode_name[binding][mode])

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
    static const intptr_t want[] = { FCB_LAYOUT_VALUES };
    int ok = fs_abi_version() == FIBERSWITCH_ABI_VERSION;
    for (int i = 0; i < FCB_LAYOUT_COUNT; i++)
        if (fs_layout(i) != want[i]) { ok = 0; WHY("layout[%d] = %lld", i, (long long)fs_layout(i)); }
    if (fs_layout(FCB_LAYOUT_COUNT) != -1) { ok = 0; WHY("layout[%d] should be -1", FCB_LAYOUT_COUNT); }
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
    result("yield_resume", MODE(mode), ok);
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
    result("echo_probe", MODE(mode), ok);
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
    result("callee_saved_registers", MODE(mode), ok);
}

static void rule_alignment(int mode) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, mode, fs_probe_alignment, -1, 0, 0);
    intptr_t r = ok ? fs_resume(f.fcb, 0) : -1;
    /* the probe spilled into its home space; the first frame must be intact for the final switch */
    if (r != 0 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("(rsp+8)%%16 = %lld", (long long)r); }
    free_fiber(&f);
    result("alignment_and_home_space", MODE(mode), ok);
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
    result("mxcsr_x87_isolation", MODE(mode), ok);
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
    result("teb_fields", MODE(mode), ok);

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
    result("teb_fields_fiber_to_fiber", MODE(mode), ok);
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
    result("deep_recursion_chkstk_guard_page", MODE(mode), ok);
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
    result("cxx_exception_on_fiber", MODE(mode), ok);
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
    result("first_frame_stops_unwinders", MODE(mode), ok);
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
    result("setjmp_longjmp_on_fiber", MODE(mode), ok);
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
    result("thread_migration", MODE(mode), ok);
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
    result("callback_stubs_all_positions_both_kinds", MODE(mode), bad == 0 && n == FCB_STUB_COUNT);
}

/*
 * Unwinding through the callback path. A stub's caller calls it, the stub jumps to the body, the
 * body jumps into the switch: no frame of ours may sit between the switch frame and the caller,
 * and the unwind data must say so.
 *
 * callback_suspended_stack_walks_to_caller: while a fiber is suspended in a callback (both reply
 * kinds; the user data in a register and on the stack), RtlVirtualUnwind from its switch frame (rip
 * just past the switch's prologue, rsp = FCB_FIBER_SP, the state the switch's unwind data
 * describes) must land first in the C function that called the stub, then walk on to the first
 * frame and end on a zero return address at the fiber's StackBase. An extra frame of ours between
 * the switch and the caller would be the first return address instead (and, without unwind data
 * of its own, derail the walk).
 */
typedef intptr_t (*stub_i8)(intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t);
typedef double (*stub_d8)(intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t);
struct cb_call { char *stub; int pos; int kind; };
static __attribute__((noinline)) intptr_t cb_caller(void *self, intptr_t arg) {
    struct cb_call *c = (struct cb_call *)arg;
    intptr_t a[8];
    for (int k = 0; k < 8; k++) a[k] = k == c->pos ? (intptr_t)self : k + 1;
    if (c->kind) {
        double d = ((stub_d8)c->stub)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        intptr_t bits; memcpy(&bits, &d, 8);
        return bits;
    }
    return ((stub_i8)c->stub)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
}
/* The one function in the DLL whose unwind data saves xmm registers is the switch; returns the
 * address just past its prologue, or 0. */
static DWORD64 swap_after_prologue(void) {
    char *base = (char *)fs_module;
    IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    IMAGE_DATA_DIRECTORY d = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXCEPTION];
    RUNTIME_FUNCTION *rf = (RUNTIME_FUNCTION *)(base + d.VirtualAddress);
    DWORD64 found = 0;
    int matches = 0;
    for (DWORD i = 0; i < d.Size / sizeof *rf; i++) {
        unsigned char *ui = (unsigned char *)base + rf[i].UnwindData;
        int count = ui[2];
        for (int c = 0; c < count; ) {
            int op = ui[4 + 2 * c + 1] & 15, info = ui[4 + 2 * c + 1] >> 4;
            if (op == 8 || op == 9) { found = (DWORD64)base + rf[i].BeginAddress + ui[1]; matches++; break; }
            c += op == 1 ? (info ? 3 : 2) : op == 4 || op == 8 ? 2 : op == 5 || op == 9 ? 3 : 1;
        }
    }
    return matches == 1 ? found : 0;
}
static int in_function(DWORD64 pc, void *fn) {
    DWORD64 image;
    PRUNTIME_FUNCTION fe = RtlLookupFunctionEntry(pc, &image, NULL);
    return fe && image + fe->BeginAddress == (DWORD64)fn && pc < image + fe->EndAddress;
}
static void rule_callback_unwind(int mode) {
    DWORD64 swap_pc = swap_after_prologue();
    int ok = swap_pc != 0, n = 0;
    if (!ok) WHY("no unique function with xmm saves in the DLL's unwind data");
    static const int positions[] = { 0, 6 };
    for (int pi = 0; ok && pi < 2; pi++)
        for (int kind = 0; ok && kind < 2; kind++) {
            int pos = positions[pi];
            int id = ((3 * FCB_STUB_POSITIONS) + pos) * 2 + kind;   /* tag 3 */
            struct cb_call c = { fs_stubs + id * FCB_STUB_STRIDE, pos, kind };
            fiber f;
            if (!make_fiber(&f, 64 * 1024, mode, cb_caller, -1, (intptr_t)&c, 0)) { ok = 0; break; }
            fs_resume(f.fcb, 0);
            if (F(f.fcb, FCB_EXIT) != FCB_EXIT_CALLBACK || F(f.fcb, FCB_CALLBACK_ID) != id) {
                ok = 0; WHY("pos %d kind %d: not suspended in the callback", pos, kind);
            }
            CONTEXT ctx;
            memset(&ctx, 0, sizeof ctx);
            ctx.Rip = swap_pc;
            ctx.Rsp = F(f.fcb, FCB_FIBER_SP);
            int frames = 0;
            DWORD64 first = 0;
            /* stops early on a wrong first frame or a walk off the fiber's stack, so that a broken
             * DLL fails the rule instead of crashing the harness */
            while (ok && ctx.Rip != 0 && frames < 64) {
                DWORD64 image;
                if ((intptr_t)ctx.Rsp < F(f.fcb, FCB_STACK_LO) || (intptr_t)ctx.Rsp >= F(f.fcb, FCB_STACK_HI)) break;
                PRUNTIME_FUNCTION fe = RtlLookupFunctionEntry(ctx.Rip, &image, NULL);
                if (fe) {
                    PVOID hd; DWORD64 est;
                    RtlVirtualUnwind(UNW_FLAG_NHANDLER, image, ctx.Rip, fe, &ctx, &hd, &est, NULL);
                } else {
                    ctx.Rip = *(DWORD64 *)ctx.Rsp;
                    ctx.Rsp += 8;
                }
                if (frames++ == 0) {
                    first = ctx.Rip;
                    if (!in_function(first, cb_caller)) break;
                }
            }
            if (ok && !in_function(first, cb_caller)) {
                ok = 0; WHY("pos %d kind %d: the switch frame unwinds to %llx, not into the stub's caller",
                            pos, kind, (unsigned long long)first);
            } else if (ok && (ctx.Rip != 0 || (intptr_t)ctx.Rsp != F(f.fcb, FCB_PORT + 0))) {
                ok = 0; WHY("pos %d kind %d: walk of %d frames ended at rip %llx rsp %llx", pos, kind,
                            frames, (unsigned long long)ctx.Rip, (unsigned long long)ctx.Rsp);
            }
            double dr = 0.5 + id;
            intptr_t reply = kind ? 0 : 777 + id;
            if (kind) memcpy(&reply, &dr, 8);
            intptr_t r = ok ? fs_resume(f.fcb, reply) : reply;
            if (ok && (r != reply || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE)) { ok = 0; WHY("pos %d kind %d: reply lost", pos, kind); }
            if (!ok && F(f.fcb, FCB_EXIT) == FCB_EXIT_CALLBACK) fs_resume(f.fcb, reply);   /* let it finish */
            free_fiber(&f);
            n++;
        }
    result("callback_suspended_stack_walks_to_caller", MODE(mode), ok && n == 4);
}

/*
 * callback_body_unwinds_to_caller: a fault inside the body (its ud2 for user data that is not an
 * FCB) seen by a vectored handler. The body's unwind data must exist and describe rsp at the
 * return address into the stub's caller: one RtlVirtualUnwind from the fault lands in that caller
 * with rsp just above the return address. The handler then returns from the stub by hand (the
 * leaf pop, right whatever the unwind data says) with a marker in rax and xmm0.
 */
static struct { int hit, has_entry, lands; DWORD64 rsp_fault, rsp_after; } body_fault;
static __attribute__((noinline)) intptr_t body_fault_caller(char *junk) {
    typedef intptr_t (*stub4)(intptr_t, intptr_t, intptr_t, intptr_t);
    return ((stub4)(fs_stubs + (2 * FCB_STUB_POSITIONS + 1) * 2 * FCB_STUB_STRIDE))(0, (intptr_t)junk, 0, 0);   /* tag 2, pos 1, int */
}
static LONG CALLBACK body_fault_handler(EXCEPTION_POINTERS *ep) {
    CONTEXT *cr = ep->ContextRecord;
    DWORD64 pc = cr->Rip;
    if (ep->ExceptionRecord->ExceptionCode != STATUS_ILLEGAL_INSTRUCTION
        || pc < (DWORD64)fs_module || pc >= (DWORD64)fs_module + 0x100000) return EXCEPTION_CONTINUE_SEARCH;
    body_fault.hit++;
    body_fault.rsp_fault = cr->Rsp;
    CONTEXT ctx = *cr;
    DWORD64 image;
    PRUNTIME_FUNCTION fe = RtlLookupFunctionEntry(ctx.Rip, &image, NULL);
    body_fault.has_entry = fe != NULL && image == (DWORD64)fs_module;
    if (fe) {
        PVOID hd; DWORD64 est;
        RtlVirtualUnwind(UNW_FLAG_NHANDLER, image, ctx.Rip, fe, &ctx, &hd, &est, NULL);
        body_fault.lands = in_function(ctx.Rip, body_fault_caller) && ctx.Rip == *(DWORD64 *)cr->Rsp;
        body_fault.rsp_after = ctx.Rsp;
    }
    cr->Rip = *(DWORD64 *)cr->Rsp;
    cr->Rsp += 8;
    cr->Rax = 0x5AFE;
    return EXCEPTION_CONTINUE_EXECUTION;
}
static void rule_callback_body_unwind(void) {
    memset(&body_fault, 0, sizeof body_fault);
    static char junk[FCB_SIZE];
    PVOID h = AddVectoredExceptionHandler(1, body_fault_handler);
    intptr_t r = h ? body_fault_caller(junk) : 0;
    if (h) RemoveVectoredExceptionHandler(h);
    int ok = r == 0x5AFE && body_fault.hit == 1 && body_fault.has_entry && body_fault.lands
          && body_fault.rsp_after == body_fault.rsp_fault + 8;
    if (!ok) WHY("returned %llx, hit %d, unwind data %d, lands in caller %d, rsp %llx -> %llx", (long long)r,
                 body_fault.hit, body_fault.has_entry, body_fault.lands,
                 (unsigned long long)body_fault.rsp_fault, (unsigned long long)body_fault.rsp_after);
    result("callback_body_unwinds_to_caller", NULL, ok);
}

/* ------------------------------------------------------------------------- JNI binding */

/*
 * fiberswitch_jni_register(JNIEnv *env, jclass cls) driven with a fake JNIEnv. A JNIEnv is the
 * address of a pointer to the JNI function table (struct JNINativeInterface_), in which
 * RegisterNatives sits at byte offset JNI_REGISTER_NATIVES and ExceptionClear at
 * JNI_EXCEPTION_CLEAR; every other slot points at a function that counts unexpected calls, so a
 * wrong offset shows. Both fakes are entered through asm stubs that record rsp (the caller must call
 * with rsp 16-byte aligned) and overwrite the caller's 32-byte home space (which must be there: the
 * JNINativeMethod table sits right above it), then continue in C. The fake RegisterNatives returns
 * its jint with garbage in the upper half of rax, which the caller must ignore.
 * The registered natives are then called as the JVM calls a static native: (JNIEnv*, jclass,
 * args...) in rcx, rdx, r8, r9 and, for the third argument, the stack slot above the home space.
 */
#define JNI_TABLE_SLOTS 240                                  /* JDK 21's table has 235 entries */
#define JNI_CLASS ((void *)(intptr_t)0x00000C1A55C1A550LL)   /* a jclass is an opaque handle */
typedef struct { const char *name, *signature; void *fnPtr; } jni_native_method;   /* JNINativeMethod */

static const char *const jni_names[FIBERSWITCH_JNI_METHOD_COUNT] =
    { "resume", "prepare", "probeResumeRegisters", "probeResumeFpEnv", "probeReadFpEnv" };
static const char *const jni_sigs[FIBERSWITCH_JNI_METHOD_COUNT] =
    { "(JJ)J", "(J)V", "(JJJ)J", "(JJJ)J", "()J" };

static void *jni_functions[JNI_TABLE_SLOTS];
static void **jni_env = jni_functions;       /* the JNIEnv passed is &jni_env */
static struct {
    int register_calls, clear_calls, unexpected_calls, seq, register_seq, clear_seq, count;
    void *env, *cls, *clear_env;
    char name[FIBERSWITCH_JNI_METHOD_COUNT][32], sig[FIBERSWITCH_JNI_METHOD_COUNT][16];
    void *fn[FIBERSWITCH_JNI_METHOD_COUNT];
    int32_t answer;                           /* what the fake RegisterNatives returns */
} jrec;
intptr_t harness_jni_entry_rsp[2];            /* rsp at the entry of RegisterNatives, ExceptionClear */

static int in_dll_image(const void *p) {
    const char *base = (const char *)fs_module;
    const IMAGE_NT_HEADERS64 *nt = (const IMAGE_NT_HEADERS64 *)(base + ((const IMAGE_DOS_HEADER *)base)->e_lfanew);
    return (const char *)p >= base && (const char *)p < base + nt->OptionalHeader.SizeOfImage;
}

intptr_t harness_fake_register_natives(void *env, void *cls, const jni_native_method *m, int32_t n) {
    jrec.register_calls++;
    jrec.register_seq = ++jrec.seq;
    jrec.env = env;
    jrec.cls = cls;
    jrec.count = n;
    for (int i = 0; i < n && i < FIBERSWITCH_JNI_METHOD_COUNT; i++) {
        /* read the strings only where the DLL keeps them: a clobbered table must not crash us */
        snprintf(jrec.name[i], sizeof jrec.name[i], "%s", in_dll_image(m[i].name) ? m[i].name : "<bad pointer>");
        snprintf(jrec.sig[i], sizeof jrec.sig[i], "%s", in_dll_image(m[i].signature) ? m[i].signature : "<bad pointer>");
        jrec.fn[i] = m[i].fnPtr;
    }
    return (intptr_t)0x5A5A5A5A00000000LL | (intptr_t)(uint32_t)jrec.answer;
}
void harness_fake_exception_clear(void *env) {
    jrec.clear_calls++;
    jrec.clear_seq = ++jrec.seq;
    jrec.clear_env = env;
}
static void jni_unexpected(void) { jrec.unexpected_calls++; }

void harness_register_natives_stub(void);
void harness_exception_clear_stub(void);
/* fn(a, b) with patterns in rbx, rbp, rdi, rsi, r12-r15; *lost != 0 if fn did not preserve them */
intptr_t harness_call_preserving(void *fn, void *a, void *b, intptr_t *lost);
__asm__(
    "    .text\n"
    "    .p2align 4\n"
    "    .globl harness_register_natives_stub\n"
    "harness_register_natives_stub:\n"
    "    movq %rsp, harness_jni_entry_rsp(%rip)\n"
    "    movabsq $0xDEADDEADDEADDEAD, %rax\n"
    "    movq %rax, 8(%rsp)\n"
    "    movq %rax, 16(%rsp)\n"
    "    movq %rax, 24(%rsp)\n"
    "    movq %rax, 32(%rsp)\n"
    "    jmp harness_fake_register_natives\n"
    "    .p2align 4\n"
    "    .globl harness_exception_clear_stub\n"
    "harness_exception_clear_stub:\n"
    "    movq %rsp, harness_jni_entry_rsp+8(%rip)\n"
    "    movabsq $0xDEADDEADDEADDEAD, %rax\n"
    "    movq %rax, 8(%rsp)\n"
    "    movq %rax, 16(%rsp)\n"
    "    movq %rax, 24(%rsp)\n"
    "    movq %rax, 32(%rsp)\n"
    "    jmp harness_fake_exception_clear\n"
    "    .p2align 4\n"
    "    .globl harness_call_preserving\n"
    "harness_call_preserving:\n"
    "    pushq %rbp\n"
    "    pushq %rbx\n"
    "    pushq %rdi\n"
    "    pushq %rsi\n"
    "    pushq %r12\n"
    "    pushq %r13\n"
    "    pushq %r14\n"
    "    pushq %r15\n"
    "    subq $40, %rsp\n"                  /* home space, lost pointer; rsp 16-aligned at the call */
    "    movq %r9, 32(%rsp)\n"
    "    movq %rcx, %rax\n"
    "    movq %rdx, %rcx\n"
    "    movq %r8, %rdx\n"
    "    movabsq $0x1111111111111111, %rbx\n"
    "    movabsq $0x2222222222222222, %rbp\n"
    "    movabsq $0x3333333333333333, %r12\n"
    "    movabsq $0x4444444444444444, %r13\n"
    "    movabsq $0x5555555555555555, %r14\n"
    "    movabsq $0x6666666666666666, %r15\n"
    "    movabsq $0x7777777777777777, %rdi\n"
    "    movabsq $0x0888888888888888, %rsi\n"
    "    callq *%rax\n"
    "    movabsq $0x1111111111111111, %r10\n"
    "    xorq %rbx, %r10\n"
    "    movabsq $0x2222222222222222, %r11\n"
    "    xorq %rbp, %r11\n"
    "    orq %r11, %r10\n"
    "    movabsq $0x3333333333333333, %r11\n"
    "    xorq %r12, %r11\n"
    "    orq %r11, %r10\n"
    "    movabsq $0x4444444444444444, %r11\n"
    "    xorq %r13, %r11\n"
    "    orq %r11, %r10\n"
    "    movabsq $0x5555555555555555, %r11\n"
    "    xorq %r14, %r11\n"
    "    orq %r11, %r10\n"
    "    movabsq $0x6666666666666666, %r11\n"
    "    xorq %r15, %r11\n"
    "    orq %r11, %r10\n"
    "    movabsq $0x7777777777777777, %r11\n"
    "    xorq %rdi, %r11\n"
    "    orq %r11, %r10\n"
    "    movabsq $0x0888888888888888, %r11\n"
    "    xorq %rsi, %r11\n"
    "    orq %r11, %r10\n"
    "    movq 32(%rsp), %r11\n"
    "    movq %r10, (%r11)\n"
    "    addq $40, %rsp\n"
    "    popq %r15\n"
    "    popq %r14\n"
    "    popq %r13\n"
    "    popq %r12\n"
    "    popq %rsi\n"
    "    popq %rdi\n"
    "    popq %rbx\n"
    "    popq %rbp\n"
    "    ret\n");

/* The registered natives, with their JNI signatures. */
typedef intptr_t (*jni_jj_j)(void *env, void *cls, intptr_t, intptr_t);
typedef void (*jni_j_v)(void *env, void *cls, intptr_t);
typedef intptr_t (*jni_jjj_j)(void *env, void *cls, intptr_t, intptr_t, intptr_t);
typedef intptr_t (*jni_v_j)(void *env, void *cls);
static jni_jj_j jni_resume;
static jni_j_v jni_prepare;
static jni_jjj_j jni_probe_resume_registers, jni_probe_resume_fpenv;
static jni_v_j jni_probe_read_fpenv;
static char jni_why[256];                     /* why the JNI binding could not be set up */

/* The harness's entry pointers as calls of the natives. */
static intptr_t via_jni_resume(void *fcb, intptr_t v) { return jni_resume(&jni_env, JNI_CLASS, (intptr_t)fcb, v); }
static void via_jni_prepare(void *fcb) { jni_prepare(&jni_env, JNI_CLASS, (intptr_t)fcb); }
static intptr_t via_jni_probe_resume_registers(void *fcb, intptr_t v, intptr_t seed) {
    return jni_probe_resume_registers(&jni_env, JNI_CLASS, (intptr_t)fcb, v, seed);
}
static intptr_t via_jni_probe_resume_fpenv(void *fcb, intptr_t v, intptr_t env) {
    return jni_probe_resume_fpenv(&jni_env, JNI_CLASS, (intptr_t)fcb, v, env);
}
static intptr_t via_jni_read_fpenv(void) { return jni_probe_read_fpenv(&jni_env, JNI_CLASS); }

static void use_binding(int b) {
    binding = b;
    fs_resume = b == BIND_JNI ? via_jni_resume : c_resume;
    fs_prepare = b == BIND_JNI ? via_jni_prepare : c_prepare;
    fs_probe_resume_registers = b == BIND_JNI ? via_jni_probe_resume_registers : c_probe_resume_registers;
    fs_probe_resume_fpenv = b == BIND_JNI ? via_jni_probe_resume_fpenv : c_probe_resume_fpenv;
    fs_read_fpenv = b == BIND_JNI ? via_jni_read_fpenv : c_read_fpenv;
}

/* One call of fiberswitch_jni_register on the fake env, whose RegisterNatives answers `answer`. */
static intptr_t jni_register_recorded(int32_t answer, intptr_t *lost) {
    for (int i = 0; i < JNI_TABLE_SLOTS; i++) jni_functions[i] = (void *)jni_unexpected;
    jni_functions[JNI_REGISTER_NATIVES / sizeof(void *)] = (void *)harness_register_natives_stub;
    jni_functions[JNI_EXCEPTION_CLEAR / sizeof(void *)] = (void *)harness_exception_clear_stub;
    memset(&jrec, 0, sizeof jrec);
    jrec.answer = answer;
    harness_jni_entry_rsp[0] = harness_jni_entry_rsp[1] = 1;
    *lost = 0;
    return harness_call_preserving((void *)fs_jni_register, &jni_env, JNI_CLASS, lost);
}

/* The registered function of that name and signature, as the JVM looks it up; NULL if none. */
static void *jni_lookup(const char *name, const char *sig) {
    for (int i = 0; i < jrec.count && i < FIBERSWITCH_JNI_METHOD_COUNT; i++)
        if (strcmp(jrec.name[i], name) == 0 && strcmp(jrec.sig[i], sig) == 0) return jrec.fn[i];
    return NULL;
}

/* Registers on the fake env and takes the five natives; 0 (and jni_why) when that fails. */
static int jni_bind(void) {
    intptr_t lost;
    intptr_t r = jni_register_recorded(0, &lost);
    jni_resume = (jni_jj_j)jni_lookup(jni_names[0], jni_sigs[0]);
    jni_prepare = (jni_j_v)jni_lookup(jni_names[1], jni_sigs[1]);
    jni_probe_resume_registers = (jni_jjj_j)jni_lookup(jni_names[2], jni_sigs[2]);
    jni_probe_resume_fpenv = (jni_jjj_j)jni_lookup(jni_names[3], jni_sigs[3]);
    jni_probe_read_fpenv = (jni_v_j)jni_lookup(jni_names[4], jni_sigs[4]);
    if (r != 0 || jrec.register_calls != 1 || !jni_resume || !jni_prepare || !jni_probe_resume_registers
            || !jni_probe_resume_fpenv || !jni_probe_read_fpenv) {
        snprintf(jni_why, sizeof jni_why, ": fiberswitch_jni_register returned %lld after %d RegisterNatives"
                 " call(s) of %d methods", (long long)r, jrec.register_calls, jrec.count);
        return 0;
    }
    return 1;
}

/* The registration itself: one RegisterNatives call on the given env and class with the five
 * names and signatures in header order, pointers into the DLL, aligned calls with home space, the
 * jint result read as a jint, nonvolatile registers kept; a refusal is returned (sign-extended)
 * after ExceptionClear on the same env. */
static void rule_jni_register(void) {
    intptr_t lost;
    intptr_t r = jni_register_recorded(0, &lost);
    int ok = 1;
    if (r != 0) { ok = 0; WHY("returned %lld (RegisterNatives answered 0 with garbage above eax)", (long long)r); }
    if (jrec.register_calls != 1 || jrec.clear_calls != 0 || jrec.unexpected_calls != 0) {
        ok = 0; WHY("%d RegisterNatives, %d ExceptionClear, %d other JNI calls", jrec.register_calls,
                    jrec.clear_calls, jrec.unexpected_calls);
    }
    if (jrec.env != (void *)&jni_env || jrec.cls != JNI_CLASS || jrec.count != FIBERSWITCH_JNI_METHOD_COUNT) {
        ok = 0; WHY("RegisterNatives(env %p, cls %p, n %d), want (%p, %p, %d)", jrec.env, jrec.cls, jrec.count,
                    (void *)&jni_env, JNI_CLASS, FIBERSWITCH_JNI_METHOD_COUNT);
    }
    for (int i = 0; ok && i < FIBERSWITCH_JNI_METHOD_COUNT; i++) {
        if (strcmp(jrec.name[i], jni_names[i]) != 0 || strcmp(jrec.sig[i], jni_sigs[i]) != 0) {
            ok = 0; WHY("method %d is %s%s, want %s%s", i, jrec.name[i], jrec.sig[i], jni_names[i], jni_sigs[i]);
        }
        if (!in_dll_image(jrec.fn[i])) { ok = 0; WHY("method %d's fnPtr %p is outside the DLL", i, jrec.fn[i]); }
        for (int k = 0; k < i; k++)
            if (jrec.fn[k] == jrec.fn[i]) { ok = 0; WHY("methods %d and %d share fnPtr %p", k, i, jrec.fn[i]); }
    }
    if ((harness_jni_entry_rsp[0] + 8) % 16 != 0) {
        ok = 0; WHY("RegisterNatives entered with rsp %llx: the call was not 16-byte aligned", (long long)harness_jni_entry_rsp[0]);
    }
    if (lost) { ok = 0; WHY("nonvolatile registers not preserved (xor %llx)", (long long)lost); }
    result("jni_register_names_signatures_abi", NULL, ok);

    ok = 1;
    const int32_t refusals[] = { -1, -4 };    /* JNI_ERR, JNI_ENOMEM */
    for (int t = 0; t < 2; t++) {
        r = jni_register_recorded(refusals[t], &lost);
        if (r != refusals[t]) { ok = 0; WHY("RegisterNatives answered %d, returned %lld", refusals[t], (long long)r); }
        if (jrec.register_calls != 1 || jrec.clear_calls != 1 || jrec.unexpected_calls != 0 || jrec.clear_seq <= jrec.register_seq) {
            ok = 0; WHY("answer %d: %d RegisterNatives, %d ExceptionClear (after it: %s), %d other JNI calls", refusals[t],
                        jrec.register_calls, jrec.clear_calls, jrec.clear_seq > jrec.register_seq ? "yes" : "no",
                        jrec.unexpected_calls);
        }
        if (jrec.clear_env != (void *)&jni_env) { ok = 0; WHY("ExceptionClear(env %p), want %p", jrec.clear_env, (void *)&jni_env); }
        if ((harness_jni_entry_rsp[1] + 8) % 16 != 0) {
            ok = 0; WHY("ExceptionClear entered with rsp %llx: the call was not 16-byte aligned", (long long)harness_jni_entry_rsp[1]);
        }
        if (lost) { ok = 0; WHY("nonvolatile registers not preserved on refusal (xor %llx)", (long long)lost); }
    }
    result("jni_register_refused_clears_exception", NULL, ok);
    if (!jni_bind()) { result("jni_bind", NULL, 0); }   /* leave the binding as it was */
}

/* prepare: the native writes exactly the bytes the C entry writes, and that first frame runs. */
static unsigned char prep_a[4096 + FCB_SIZE], prep_b[4096 + FCB_SIZE];
static void rule_jni_prepare(int mode) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, mode, gen_entry, -1, 3, 0);
    char *lo = f.fcb - 4096;
    if (ok) {
        memset(lo, 0xA5, 4096); F(f.fcb, FCB_FIBER_SP) = 0x1234; F(f.fcb, FCB_EXIT) = 77;
        c_prepare(f.fcb);
        memcpy(prep_a, lo, sizeof prep_a);
        memset(lo, 0xA5, 4096); F(f.fcb, FCB_FIBER_SP) = 0x1234; F(f.fcb, FCB_EXIT) = 77;
        jni_prepare(&jni_env, JNI_CLASS, (intptr_t)f.fcb);
        memcpy(prep_b, lo, sizeof prep_b);
        if (memcmp(prep_a, prep_b, sizeof prep_a) != 0) { ok = 0; WHY("the frames differ"); }
        if (F(f.fcb, FCB_FIBER_SP) == 0x1234 || F(f.fcb, FCB_EXIT) != FCB_EXIT_NONE) { ok = 0; WHY("prepare did not run"); }
    }
    intptr_t v[4] = { -1, -1, -1, -1 };
    for (int i = 0; ok && i < 4; i++) v[i] = jni_resume(&jni_env, JNI_CLASS, (intptr_t)f.fcb, i == 0 ? 0 : 99 + i);
    if (ok && (v[0] != 0 || v[1] != 10 || v[2] != 20 || v[3] != 999 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE)) {
        ok = 0; WHY("fiber gave %lld %lld %lld %lld", (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3]);
    }
    free_fiber(&f);
    result("jni_prepare_same_frame", MODE(mode), ok);
}

/*
 * Every argument reaches the switch, the stack-passed third one included: a fiber reads its
 * resumer's switch frame (xmm6-15 at +0, MXCSR and x87 CW at +160, then r15, r14, r13, r12, rsi,
 * rdi, rbx, rbp from +216), where the resumer-side probes left their seed's rbx pattern
 * (seed + 0x1111111111111111) and their env. Same calls through the C entries and the natives must
 * give the same observations.
 */
#define SW_FRAME_FPENV 160
#define SW_FRAME_RBX (216 + 6 * 8)
#define FPENV_CONTROL 0x0000FFFF0000FFC0LL
struct peek { int n; intptr_t value[3], rbx[3], fpenv[3]; };
static intptr_t peek_entry(void *self, intptr_t out) {
    struct peek *p = (struct peek *)out;
    intptr_t v = F(self, FCB_TRANSFER);
    for (;;) {
        char *frame = (char *)F(self, FCB_RESUMER_SP);
        p->value[p->n] = v;
        p->rbx[p->n] = *(intptr_t *)(frame + SW_FRAME_RBX);
        p->fpenv[p->n] = (intptr_t)*(uint32_t *)(frame + SW_FRAME_FPENV)
                       | ((intptr_t)*(uint16_t *)(frame + SW_FRAME_FPENV + 4) << 32);
        if (++p->n == 3) return v + 1000;
        v = fs_yield(self, v + 1);
    }
}
static void rule_jni_arguments(int mode) {
    const intptr_t seed = 0x0123456789ABC000LL;
    const intptr_t env = (0x1F80 | 0x4000) | ((intptr_t)0x0C7F << 32);    /* round up; x87 truncate, 24 bits */
    struct peek seen[2];
    intptr_t r[2][3];
    int ok = 1;
    for (int b = BIND_C; b <= BIND_JNI; b++) {
        use_binding(b);
        fiber f;
        memset(&seen[b], 0, sizeof seen[b]);
        if (!make_fiber(&f, 64 * 1024, mode, peek_entry, -1, (intptr_t)&seen[b], 0)) { ok = 0; break; }
        r[b][0] = fs_probe_resume_registers(f.fcb, 11, seed);
        r[b][1] = fs_probe_resume_fpenv(f.fcb, 22, env);
        r[b][2] = fs_resume(f.fcb, 33);
        if (F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("%s: the fiber did not finish", b ? "jni" : "c"); }
        free_fiber(&f);
        struct peek *p = &seen[b];
        if (p->n != 3 || p->value[0] != 11 || p->value[1] != 22 || p->value[2] != 33) {
            ok = 0; WHY("%s: the fiber got %lld %lld %lld", b ? "jni" : "c", (long long)p->value[0], (long long)p->value[1], (long long)p->value[2]);
        }
        if (p->rbx[0] != seed + 0x1111111111111111LL) {
            ok = 0; WHY("%s: probeResumeRegisters' seed arrived as %llx, want %llx", b ? "jni" : "c",
                        (long long)(p->rbx[0] - 0x1111111111111111LL), (long long)seed);
        }
        if (((p->fpenv[1] ^ env) & FPENV_CONTROL) != 0) {
            ok = 0; WHY("%s: probeResumeFpEnv's env arrived as %llx, want %llx", b ? "jni" : "c", (long long)p->fpenv[1], (long long)env);
        }
        if (r[b][0] != 0 || r[b][1] != 0 || r[b][2] != 1033) {
            ok = 0; WHY("%s: returned %lld %lld %lld", b ? "jni" : "c", (long long)r[b][0], (long long)r[b][1], (long long)r[b][2]);
        }
    }
    use_binding(BIND_C);
    if (ok && (memcmp(r[0], r[1], sizeof r[0]) != 0 || seen[0].rbx[0] != seen[1].rbx[0]
               || ((seen[0].fpenv[1] ^ seen[1].fpenv[1]) & FPENV_CONTROL) != 0)) {
        ok = 0; WHY("the C entries and the natives disagree");
    }
    result("jni_arguments_reach_the_switch", MODE(mode), ok);
}

/* probeReadFpEnv reads the calling thread's env exactly as the C entry does. */
static void rule_jni_read_fpenv(void) {
    unsigned int saved_csr = _mm_getcsr();
    uint16_t saved_cw, cw = 0x0C7F;
    __asm__ volatile("fnstcw %0" : "=m"(saved_cw));
    intptr_t c0 = c_read_fpenv(), j0 = jni_probe_read_fpenv(&jni_env, JNI_CLASS);
    _mm_setcsr(0x1F80 | 0x4000);
    __asm__ volatile("fldcw %0" : : "m"(cw));
    intptr_t c1 = c_read_fpenv(), j1 = jni_probe_read_fpenv(&jni_env, JNI_CLASS);
    _mm_setcsr(saved_csr);
    __asm__ volatile("fldcw %0" : : "m"(saved_cw));
    intptr_t want = (0x1F80 | 0x4000) | ((intptr_t)0x0C7F << 32);
    int ok = c0 == j0 && c1 == j1 && ((c1 ^ want) & FPENV_CONTROL) == 0 && c0 != c1;
    if (!ok) WHY("C %llx / %llx, jni %llx / %llx, set %llx", (long long)c0, (long long)c1, (long long)j0, (long long)j1, (long long)want);
    result("jni_read_fpenv", NULL, ok);
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
    BIND(fs_jni_register, jni_register_fn, "fiberswitch_jni_register");
    harness_yield = fs_yield;
    c_resume = fs_resume;
    c_prepare = fs_prepare;
    c_probe_resume_registers = fs_probe_resume_registers;
    c_probe_resume_fpenv = fs_probe_resume_fpenv;
    c_read_fpenv = fs_read_fpenv;
    return 1;
}

static int wanted(int argc, char **argv, const char *name) {
    if (argc <= 2) return 1;
    for (int i = 2; i < argc; i++) if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

/* The rules that go through fs_resume and friends, in both TEB modes, under the current binding. */
static void run_switch_rules(int argc, char **argv) {
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
        if (wanted(argc, argv, "callback_unwind")) rule_callback_unwind(mode);
    }
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
            /* the natives registered from a relocated DLL point into it and run */
            if (!jni_bind()) return 9;
            use_binding(BIND_JNI);
            fiber g;
            if (!make_fiber(&g, 64 * 1024, MODE_FULL, gen_entry, -1, 1, 0)) return 10;
            if (fs_resume(g.fcb, 0) != 0 || fs_resume(g.fcb, 100) != 999) return 11;
            return 0;
        }
        if (!load(argv[1])) return 4;
        return child(argv[3]);
    }
    if (!load(argv[1])) { printf("0 passed, 1 failed\n"); return 1; }
    int jni_ok = jni_bind();
    if (wanted(argc, argv, "layout")) rule_layout();
    if (wanted(argc, argv, "jni")) {
        rule_jni_register();
        if (jni_ok) {
            rule_jni_read_fpenv();
            for (int mode = MODE_FULL; mode <= MODE_TRICK; mode++) {
                rule_jni_prepare(mode);
                rule_jni_arguments(mode);
            }
        }
    }
    /* The switch rules run twice: through the C entry points, then through the JNI natives. */
    run_switch_rules(argc, argv);
    if (jni_ok) {
        use_binding(BIND_JNI);
        run_switch_rules(argc, argv);
        use_binding(BIND_C);
    } else {
        snprintf(detail, sizeof detail, "%s", jni_why);
        result("switch_rules_through_the_jni_natives", NULL, 0);
    }
    if (wanted(argc, argv, "callback_unwind")) rule_callback_body_unwind();
    if (wanted(argc, argv, "bad_user_data")) rule_bad_user_data(argv[1]);
    if (wanted(argc, argv, "relocated")) rule_relocated(argv[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
