/*
 * Native rule harness for the AArch64 port (linux-aarch64 libfiberswitch.so): loads the library
 * with dlopen and drives every contract of the port as a rule, the way the JVM testkit will, plus
 * what only native code can check here: PAC and BTI live under qemu -cpu max, unwinders on a fiber,
 * C code that signs its return addresses yielding many times, thousands of interleaved switches.
 * Built with the cross compiler (-mbranch-protection=standard, the executable marked BTI) and run
 * under qemu-aarch64 by run-qemu-harness.sh.
 *
 *   harness LIB [rule ...]     run every rule (or the named ones); last line "N passed, M failed"
 *
 * Each rule runs in a child process, so a crash is that rule's failure ("died with signal N") and
 * the report goes on. The switch rules run twice: through the C entry points ("[c]") and through
 * the JNI natives that fiberswitch_jni_register registers on a fake JNIEnv ("[jni]"), called as
 * HotSpot calls a static native: (JNIEnv*, jclass, args...) in x0, x1, x2...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unwind.h>
#include "fiberswitch.h"
#include "fiberswitch_aarch64.h"

typedef intptr_t (*fn2)(void *, intptr_t);
typedef intptr_t (*fn3)(void *, intptr_t, intptr_t);
typedef intptr_t (*fn1)(intptr_t);
typedef intptr_t (*fn0)(void);
typedef void (*prep_fn)(void *);
typedef intptr_t (*jni_register_fn)(void *env, void *cls);

/* The library's entry points. fs_resume, fs_prepare, the resumer-side probes and fs_read_fpenv are
 * switched between the C entries (c_*) and the JNI natives by use_binding(). */
static fn2 fs_resume, fs_yield, fs_probe_registers, fs_probe_fpenv, fs_probe_alignment, fs_probe_echo;
static fn3 fs_probe_resume_registers, fs_probe_resume_fpenv, fs_probe_callback;
static fn1 fs_layout, fs_probe_recurse;
static fn0 fs_abi_version, fs_read_fpenv;
static prep_fn fs_prepare;
static char *fs_stubs;
static jni_register_fn fs_jni_register;
static fn2 c_resume;
static fn3 c_probe_resume_registers, c_probe_resume_fpenv;
static fn0 c_read_fpenv;
static prep_fn c_prepare;
static void *lib_handle, *lib_base;

static const char *const export_names[] = {
    "fiberswitch_resume", "fiberswitch_yield", "fiberswitch_prepare", "fiberswitch_callback_stubs",
    "fiberswitch_abi_version", "fiberswitch_layout", "fiberswitch_probe_registers",
    "fiberswitch_probe_resume_registers", "fiberswitch_probe_fpenv", "fiberswitch_probe_resume_fpenv",
    "fiberswitch_probe_read_fpenv", "fiberswitch_probe_echo", "fiberswitch_probe_alignment",
    "fiberswitch_probe_callback", "fiberswitch_probe_recurse", "fiberswitch_jni_register",
};
#define EXPORT_COUNT (int)(sizeof export_names / sizeof export_names[0])

/* helpers in harness_asm.S */
void harness_not_a_landing_pad(void);
void harness_landing_pad(void);
uintptr_t harness_xpac(uintptr_t p);
uintptr_t harness_pacia(uintptr_t p, uintptr_t modifier);
intptr_t harness_call_preserving(void *fn, void *a, void *b, uint64_t *lost);
void harness_register_natives_stub(void);
void harness_exception_clear_stub(void);

#define F(fcb, off) (*(intptr_t *)((char *)(fcb) + (off)))
#define INSN_BTI_C   0xd503245fu
#define INSN_PACIASP 0xd503233fu
/* The port's switch frame, FPCR control bits and probe pattern (fiberswitch_aarch64.h). */
#define SF_LR   A64_SF_LR
#define SF_X19  A64_SF_X19
#define SF_FPCR A64_SF_FPCR
#define FPCR_CONTROL ((uint64_t)A64_FPCR_CONTROL_MASK)
#define PATTERN_X19  ((intptr_t)A64_PATTERN_STEP)
/* Sample FPCR values: round toward zero | FZ | DN, and round toward +inf | AHP. */
#define FPCR_RZ_FZ_DN 0x03C00000ull
#define FPCR_RP_AHP   0x04400000ull

static inline uint64_t get_fpcr(void) { uint64_t v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return v; }
static inline void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" : : "r"(v)); }

/* ------------------------------------------------------------------------- results */

enum { BIND_C = 0, BIND_JNI = 1 };
static int binding = BIND_C;
static const char *const bind_name[] = { "c", "jni" };
static int passed, failed;
static char detail[600];
static const char *current_rule;
static int current_per_binding, current_result = -1;
static int argc_g;
static char **argv_g;

static void result(int ok) {
    printf("%s %s%s%s%s%s\n", ok ? "PASS" : "FAIL", current_rule, current_per_binding ? " [" : "",
           current_per_binding ? bind_name[binding] : "", current_per_binding ? "]" : "", ok ? "" : detail);
    fflush(stdout);
    detail[0] = 0;
    current_result = ok;
}
#define WHY(...) snprintf(detail, sizeof detail, ": " __VA_ARGS__)

static int wanted(const char *name) {
    if (argc_g <= 2) return 1;
    for (int i = 2; i < argc_g; i++) if (strcmp(argv_g[i], name) == 0) return 1;
    return 0;
}

/* Runs one rule in a child process; a crash or a hang is the rule's failure. */
static void run_rule(const char *name, int per_binding, void (*fn)(void)) {
    if (!wanted(name)) return;
    current_rule = name;
    current_per_binding = per_binding;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        alarm(300);
        current_result = -1;
        fn();
        fflush(stdout);
        _exit(current_result == 1 ? 0 : current_result == 0 ? 1 : 3);
    }
    int st = 0;
    waitpid(p, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) { passed++; return; }
    failed++;
    const char *tag = per_binding ? (binding ? " [jni]" : " [c]") : "";
    if (WIFSIGNALED(st)) printf("FAIL %s%s: died with signal %d (%s)\n", name, tag, WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WEXITSTATUS(st) == 3) printf("FAIL %s%s: finished without a result\n", name, tag);
    fflush(stdout);
}

/* Runs fn(arg) in a child process and returns its wait status (for rules that expect a death). */
static int child_status(void (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) { alarm(60); fn(arg); _exit(0); }
    int st = 0;
    waitpid(p, &st, 0);
    return st;
}
static const char *describe(int st) {
    static char buf[64];
    if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
    return buf;
}

/* ------------------------------------------------------------------------- stacks */

typedef struct { char *base; size_t size; char *fcb; } fiber;
static size_t page;

/* A stack as the Java provider makes one: a PROT_NONE guard page at the bottom, the FCB at the top.
 * fn(a0, a1, a2, a3) runs on it; a0 == -1 means "the FCB itself". */
static int make_fiber(fiber *f, size_t size, void *fn, intptr_t a0, intptr_t a1, intptr_t a2, intptr_t a3) {
    memset(f, 0, sizeof *f);
    char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) { WHY("mmap failed"); return 0; }
    if (mprotect(base, page, PROT_NONE) != 0) { WHY("mprotect failed"); return 0; }
    char *fcb = base + size - FCB_SIZE;
    memset(fcb, 0, FCB_SIZE);
    *(uint32_t *)(fcb + FCB_MAGIC) = FCB_MAGIC_VALUE;
    *(uint32_t *)(fcb + FCB_MAGIC + 4) = FIBERSWITCH_ABI_VERSION;
    F(fcb, FCB_FUNCTION) = (intptr_t)fn;
    F(fcb, FCB_ARGS + 0) = a0 == -1 ? (intptr_t)fcb : a0;
    F(fcb, FCB_ARGS + 8) = a1;
    F(fcb, FCB_ARGS + 16) = a2;
    F(fcb, FCB_ARGS + 24) = a3;
    F(fcb, FCB_STACK_LO) = (intptr_t)(base + page);
    F(fcb, FCB_STACK_HI) = (intptr_t)fcb;
    fs_prepare(fcb);
    f->base = base;
    f->size = size;
    f->fcb = fcb;
    return 1;
}
static void free_fiber(fiber *f) {
    if (f->base) munmap(f->base, f->size);
    f->base = NULL;
}

static int in_lib(const void *p) {
    Dl_info di;
    return dladdr(p, &di) && di.dli_fbase == lib_base;
}

/* ------------------------------------------------------------------------- handshake and code */

static void rule_layout(void) {
    static const intptr_t want[] = { FCB_LAYOUT_VALUES };
    int ok = fs_abi_version() == FIBERSWITCH_ABI_VERSION;
    if (!ok) WHY("abi version %lld", (long long)fs_abi_version());
    for (int i = 0; i < FCB_LAYOUT_COUNT; i++)
        if (fs_layout(i) != want[i]) { ok = 0; WHY("layout[%d] = %lld, want %lld", i, (long long)fs_layout(i), (long long)want[i]); }
    if (fs_layout(FCB_LAYOUT_COUNT) != -1 || fs_layout(-1) != -1 || fs_layout(1000) != -1) { ok = 0; WHY("layout past the end should be -1"); }
    result(ok);
}

/* Every export is code that starts with bti c (fiberswitch_callback_stubs: every stub). */
static void rule_exports_bti(void) {
    int ok = 1;
    for (int i = 0; i < EXPORT_COUNT; i++) {
        uint32_t *p = dlsym(lib_handle, export_names[i]);
        if (!p || *p != INSN_BTI_C) { ok = 0; WHY("%s starts with %08x", export_names[i], p ? *p : 0); }
    }
    for (int i = 0; i < FCB_STUB_COUNT; i++)
        if (*(uint32_t *)(fs_stubs + i * FCB_STUB_STRIDE) != INSN_BTI_C) { ok = 0; WHY("stub %d lacks bti c", i); }
    result(ok);
}

/* ------------------------------------------------------------------------- PAC and BTI are live */

/* PAC: pacia changes a pointer (qemu -cpu max has FEAT_PAuth), and this harness's own C code signs
 * its return addresses (a non-leaf function starts with paciasp). */
static __attribute__((noinline)) intptr_t pac_depth(void *self, int depth, intptr_t acc);
static void rule_pac_live(void) {
    uintptr_t p = (uintptr_t)&rule_pac_live;
    uintptr_t s = harness_pacia(p, 0x1234);
    int ok = s != p && harness_xpac(s) == p;
    if (!ok) WHY("pacia(%lx) = %lx: pointer authentication is not enabled (run qemu with -cpu max)", (unsigned long)p, (unsigned long)s);
    if (*(uint32_t *)(void *)pac_depth != INSN_PACIASP) { ok = 0; WHY("pac_depth starts with %08x, not paciasp: the harness was not built with -mbranch-protection=standard", *(uint32_t *)(void *)pac_depth); }
    result(ok);
}

static void call_not_a_landing_pad(void *unused) { (void)unused; void (*volatile f)(void) = harness_not_a_landing_pad; f(); }
static void call_landing_pad(void *unused) { (void)unused; void (*volatile f)(void) = harness_landing_pad; f(); }
static void call_lib_not_a_landing_pad(void *unused) {
    (void)unused;
    intptr_t (*volatile f)(void) = (fn0)(void *)((char *)(void *)fs_abi_version + 4);   /* past its bti c */
    f();
}
/* BTI: an indirect call to a non-landing-pad faults in this executable and in the library (so the
 * loader mapped both guarded), and the same call to a landing pad does not. */
static void rule_bti_live(void) {
    int a = child_status(call_not_a_landing_pad, NULL);
    int b = child_status(call_lib_not_a_landing_pad, NULL);
    int c = child_status(call_landing_pad, NULL);
    int ok = WIFSIGNALED(a) && WTERMSIG(a) == SIGILL && WIFSIGNALED(b) && WTERMSIG(b) == SIGILL
          && WIFEXITED(c) && WEXITSTATUS(c) == 0;
    if (!ok) {
        char da[64], db[64];
        snprintf(da, sizeof da, "%s", describe(a));
        snprintf(db, sizeof db, "%s", describe(b));
        WHY("blr to a non-pad in the harness: %s, in the library: %s (want SIGILL both), to a pad: %s", da, db, describe(c));
    }
    result(ok);
}

/* ------------------------------------------------------------------------- the switch rules */

static intptr_t gen_entry(void *self, intptr_t n) {
    for (intptr_t i = 0; i < n; i++) {
        intptr_t got = fs_yield(self, i * 10);
        if (got != i + 100) return -1;
    }
    return 999;
}

static void rule_yield_resume(void) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, gen_entry, -1, 3, 0, 0);
    if (ok && F(f.fcb, FCB_EXIT) != FCB_EXIT_NONE) { ok = 0; WHY("prepare left EXIT %lld", (long long)F(f.fcb, FCB_EXIT)); }
    intptr_t v = ok ? fs_resume(f.fcb, 0) : 0;
    for (int i = 0; ok && i < 3; i++) {
        if (v != i * 10 || F(f.fcb, FCB_EXIT) != FCB_EXIT_YIELD || F(f.fcb, FCB_TRANSFER) != v) { ok = 0; WHY("round %d got %lld", i, (long long)v); }
        v = fs_resume(f.fcb, i + 100);
    }
    if (ok && (v != 999 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE || F(f.fcb, FCB_RESULT) != 999 || F(f.fcb, FCB_TRANSFER) != 999)) {
        ok = 0; WHY("end %lld, exit %lld, result %lld", (long long)v, (long long)F(f.fcb, FCB_EXIT), (long long)F(f.fcb, FCB_RESULT));
    }
    free_fiber(&f);
    result(ok);
}

/* The asm echo probe: yields first, then v + 1 per resume value v, until resumed with 0. */
static void rule_echo(void) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, fs_probe_echo, -1, 5, 0, 0);
    intptr_t v = ok ? fs_resume(f.fcb, 0) : 0;
    if (v != 5) { ok = 0; WHY("first %lld", (long long)v); }
    for (intptr_t i = 1; ok && i <= 1000; i++) {
        v = fs_resume(f.fcb, i * 3);
        if (v != i * 3 + 1 || F(f.fcb, FCB_EXIT) != FCB_EXIT_YIELD) { ok = 0; WHY("round %lld got %lld", (long long)i, (long long)v); }
    }
    v = ok ? fs_resume(f.fcb, 0) : 0;
    if (ok && (v != 1001 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE)) { ok = 0; WHY("count %lld", (long long)v); }
    free_fiber(&f);
    result(ok);
}

/* Both sides load different patterns each round; every callee-saved register of both survives. */
static void rule_registers(void) {
    fiber a, b;
    int ok = make_fiber(&a, 64 * 1024, fs_probe_registers, -1, 0x1000, 0, 0)
          && make_fiber(&b, 64 * 1024, fs_probe_registers, -1, 0x5000, 0, 0);
    for (int i = 0; ok && i < 4; i++) {
        intptr_t ma = fs_probe_resume_registers(a.fcb, 0, 0x9000 + i);
        intptr_t mb = fs_probe_resume_registers(b.fcb, 0, 0xD000 + i);
        if (ma || mb) { ok = 0; WHY("the resumer lost mask %llx / %llx in round %d", (long long)ma, (long long)mb, i); }
    }
    if (ok && (F(a.fcb, FCB_EXIT) != FCB_EXIT_DONE || F(b.fcb, FCB_EXIT) != FCB_EXIT_DONE
               || F(a.fcb, FCB_RESULT) != 0 || F(b.fcb, FCB_RESULT) != 0)) {
        ok = 0; WHY("the fiber lost mask %llx / %llx", (long long)F(a.fcb, FCB_RESULT), (long long)F(b.fcb, FCB_RESULT));
    }
    free_fiber(&a);
    free_fiber(&b);
    result(ok);
}

/* sp % 16 at the entry of a fiber's function, and the first frame is intact for the final switch. */
static void rule_alignment(void) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, fs_probe_alignment, -1, 0, 0, 0);
    intptr_t r = ok ? fs_resume(f.fcb, 0) : -1;
    if (r != 0 || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("sp %% 16 = %lld", (long long)r); }
    free_fiber(&f);
    result(ok);
}

/* FPCR: the fiber runs with round-toward-zero, FZ and DN; the resumer never sees them, and changes
 * its own in between without the fiber seeing that; the thread's FPCR is its own at the end. */
static void rule_fpcr_isolation(void) {
    fiber f;
    uint64_t thread_fpcr = get_fpcr();
    int ok = make_fiber(&f, 64 * 1024, fs_probe_fpenv, -1, FPCR_RZ_FZ_DN, 0, 0);
    for (int i = 0; ok && i < 4; i++) {
        intptr_t other = i == 2 ? (intptr_t)FPCR_RP_AHP : 0;
        intptr_t diff = fs_probe_resume_fpenv(f.fcb, 0, other);
        if (diff) { ok = 0; WHY("the resumer's control bits changed by %llx in round %d", (long long)diff, i); }
        intptr_t seen = F(f.fcb, FCB_TRANSFER);
        if (((uint64_t)seen ^ FPCR_RZ_FZ_DN) & FPCR_CONTROL) { ok = 0; WHY("the fiber saw %llx in round %d, set %llx", (long long)seen, i, FPCR_RZ_FZ_DN); }
    }
    if (ok && F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("the fiber did not finish"); }
    if (get_fpcr() != thread_fpcr || (uint64_t)fs_read_fpenv() != thread_fpcr) {
        ok = 0; WHY("thread FPCR %llx, was %llx", (long long)get_fpcr(), (long long)thread_fpcr);
    }
    free_fiber(&f);
    result(ok);
}

/* A fresh fiber starts with the C default FPCR (0), whatever its resumer runs with. */
static void rule_fresh_fiber_fpcr(void) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, c_read_fpenv, 0, 0, 0, 0);
    uint64_t saved = get_fpcr();
    set_fpcr(FPCR_RZ_FZ_DN);
    intptr_t seen = ok ? fs_resume(f.fcb, 0) : -1;
    uint64_t after = get_fpcr();
    set_fpcr(saved);
    if (seen != 0) { ok = 0; WHY("a fresh fiber started with FPCR %llx", (long long)seen); }
    if (((after ^ FPCR_RZ_FZ_DN) & FPCR_CONTROL) != 0) { ok = 0; WHY("the resumer's FPCR came back as %llx", (long long)after); }
    free_fiber(&f);
    result(ok);
}

/* Callback stubs: every tag, every user-data position, both reply kinds; x0-x7, the first four
 * stack argument slots and d0-d7 land in the FCB; the reply comes back in x0 (and d0). */
static void rule_callbacks(void) {
    int bad = 0, n = 0;
    for (int tag = 0; tag < FCB_STUB_TAGS; tag++)
        for (int pos = 0; pos < FCB_STUB_POSITIONS; pos++)
            for (int kind = 0; kind < 2; kind++) {
                int id = ((tag * FCB_STUB_POSITIONS) + pos) * 2 + kind;
                fiber f;
                if (!make_fiber(&f, 64 * 1024, fs_probe_callback, -1, (intptr_t)(fs_stubs + id * FCB_STUB_STRIDE),
                                pos | (kind << 8), 0)) { bad++; continue; }
                n++;
                fs_resume(f.fcb, 0);
                int ok = F(f.fcb, FCB_EXIT) == FCB_EXIT_CALLBACK && F(f.fcb, FCB_CALLBACK_ID) == id;
                if (!ok && !bad) WHY("tag %d pos %d kind %d: exit %lld id %lld", tag, pos, kind,
                                     (long long)F(f.fcb, FCB_EXIT), (long long)F(f.fcb, FCB_CALLBACK_ID));
                for (int k = 0; k < FCB_CB_INT_SLOTS; k++) {
                    intptr_t e = k == pos ? (intptr_t)f.fcb : (intptr_t)((uint64_t)A64_PATTERN_STEP * (k + 1));
                    if (F(f.fcb, FCB_CB_INT + 8 * k) != e) {
                        if (ok && !bad) WHY("tag %d pos %d kind %d: integer argument %d captured as %llx, want %llx", tag, pos, kind,
                                            k, (long long)F(f.fcb, FCB_CB_INT + 8 * k), (long long)e);
                        ok = 0;
                    }
                }
                for (int k = 0; k < FCB_CB_FLOAT_SLOTS; k++) {
                    double d;
                    memcpy(&d, f.fcb + FCB_CB_FLOAT + 8 * k, 8);
                    if (d != k + 1.25) {
                        if (ok && !bad) WHY("tag %d pos %d kind %d: float argument %d captured as %g", tag, pos, kind, k, d);
                        ok = 0;
                    }
                }
                int captured = ok;
                double dr = 42.5 + id;
                intptr_t reply = kind ? 0 : 4242 + id;
                if (kind) memcpy(&reply, &dr, 8);
                intptr_t r = fs_resume(f.fcb, reply);
                if (r != reply || F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) {
                    if (captured && !bad) WHY("tag %d pos %d kind %d: reply %llx came back as %llx, exit %lld", tag, pos, kind,
                                              (long long)reply, (long long)r, (long long)F(f.fcb, FCB_EXIT));
                    ok = 0;
                }
                bad += !ok;
                free_fiber(&f);
            }
    result(bad == 0 && n == FCB_STUB_COUNT);
}

/* Deep recursion on a big fiber stack: C frames of 8 KiB, then the asm probe's 1 KiB frames. */
static __attribute__((noinline)) intptr_t deep_c(int n) {
    volatile char big[8192];
    big[0] = (char)n;
    big[sizeof big - 1] = (char)n;
    if (n == 0) return 0;
    return deep_c(n - 1) + 1 + (big[0] - (char)n);
}
static intptr_t deep_entry(void *self, intptr_t depth) {
    (void)self;
    intptr_t r = deep_c((int)depth);
    intptr_t r2 = fs_probe_recurse(1500);
    return r == depth && r2 == 1500 ? r : -1;
}
static void rule_deep_recursion(void) {
    fiber f;
    int ok = make_fiber(&f, 2 * 1024 * 1024, deep_entry, -1, 100, 0, 0);   /* 800 KiB, then 1.5 MiB */
    intptr_t r = ok ? fs_resume(f.fcb, 0) : -2;
    if (r != 100) { ok = 0; WHY("returned %lld", (long long)r); }
    free_fiber(&f);
    result(ok);
}

/* A fiber resumes another (fiber to fiber): the inner one's yields come back to the outer fiber. */
static intptr_t inner_entry(void *self, intptr_t base) {
    intptr_t v = base;
    for (int i = 0; i < 5; i++) v = fs_yield(self, v + 1);
    return v * 2;
}
static intptr_t outer_entry(void *self, intptr_t inner) {
    intptr_t sum = 0, v = fs_resume((void *)inner, 0);        /* inner's first yield: base + 1 */
    for (int i = 0; i < 5; i++) {
        sum += v;
        intptr_t from_main = fs_yield(self, v);               /* to main, with inner suspended */
        v = fs_resume((void *)inner, from_main);
    }
    return sum * 1000 + v;                                    /* v: inner's result */
}
static void rule_nested(void) {
    fiber in, out;
    int ok = make_fiber(&in, 64 * 1024, inner_entry, -1, 100, 0, 0);
    ok = ok && make_fiber(&out, 64 * 1024, outer_entry, -1, (intptr_t)in.fcb, 0, 0);
    intptr_t v = ok ? fs_resume(out.fcb, 0) : 0, expect_inner = 101;
    for (int i = 0; ok && i < 5; i++) {
        if (v != expect_inner) { ok = 0; WHY("round %d: outer passed on %lld, want %lld", i, (long long)v, (long long)expect_inner); }
        v = fs_resume(out.fcb, 10 * (i + 1));
        expect_inner = 10 * (i + 1) + 1;
    }
    /* inner yielded 101, 11, 21, 31, 41; its result is 50 * 2 */
    if (ok && (v != (101 + 11 + 21 + 31 + 41) * 1000 + 100 || F(out.fcb, FCB_EXIT) != FCB_EXIT_DONE
               || F(in.fcb, FCB_EXIT) != FCB_EXIT_DONE)) {
        ok = 0; WHY("outer returned %lld", (long long)v);
    }
    free_fiber(&in);
    free_fiber(&out);
    result(ok);
}

/* Thread migration: started on this thread, resumed by another, finished here. */
struct mig { void *fcb; pid_t tid1, tid2; intptr_t r; };
static intptr_t mig_entry(void *self, intptr_t arg) {
    struct mig *m = (struct mig *)arg;
    m->tid1 = gettid();
    fs_yield(self, 1);
    m->tid2 = gettid();
    fs_yield(self, 2);
    return 9;
}
static void *mig_thread(void *p) {
    struct mig *m = p;
    m->r = fs_resume(m->fcb, 0);
    return NULL;
}
static void rule_migration(void) {
    fiber f;
    struct mig m;
    memset(&m, 0, sizeof m);
    int ok = make_fiber(&f, 64 * 1024, mig_entry, -1, (intptr_t)&m, 0, 0);
    m.fcb = f.fcb;
    intptr_t r0 = ok ? fs_resume(f.fcb, 0) : 0;
    pthread_t t;
    if (ok && pthread_create(&t, NULL, mig_thread, &m) == 0) pthread_join(t, NULL); else ok = 0;
    intptr_t r2 = ok ? fs_resume(f.fcb, 0) : 0;
    if (r0 != 1 || m.r != 2 || r2 != 9) { ok = 0; WHY("results %lld %lld %lld", (long long)r0, (long long)m.r, (long long)r2); }
    if (m.tid1 != gettid() || m.tid2 == gettid() || m.tid2 == 0) { ok = 0; WHY("the fiber ran on threads %d then %d (main %d)", m.tid1, m.tid2, gettid()); }
    free_fiber(&f);
    result(ok);
}

/*
 * Unwinders on a fiber stop at the first frame: glibc backtrace() and _Unwind_Backtrace end in the
 * entry trampoline (in the library) well before 64 frames, _Unwind_Backtrace says end of stack,
 * and the frame-pointer chain ends at the zero record (at the stack top - 32). Done once at the
 * first entry and once after a yield.
 */
struct walk { int bt_n, bt_last_in_lib, uw_n, uw_rc, uw_last_in_lib, fp_steps, fp_end_ok; };
static _Unwind_Reason_Code uw_count(struct _Unwind_Context *c, void *arg) {
    struct walk *w = arg;
    uintptr_t ip = _Unwind_GetIP(c);
    if (ip == 0) return _URC_NO_REASON;     /* libgcc's last call: the frame past an undefined return address */
    w->uw_last_in_lib = in_lib((void *)ip);
    return ++w->uw_n >= 64 ? _URC_NORMAL_STOP : _URC_NO_REASON;
}
static __attribute__((noinline)) void walk_here(void *self, struct walk *w) {
    void *bt[64];
    w->bt_n = backtrace(bt, 64);
    w->bt_last_in_lib = w->bt_n > 0 && in_lib(bt[w->bt_n - 1]);
    w->uw_rc = _Unwind_Backtrace(uw_count, w);
    uintptr_t top = (uintptr_t)F(self, FCB_STACK_HI) & ~(uintptr_t)15;
    uintptr_t *fp = __builtin_frame_address(0);
    while (fp && w->fp_steps < 64) {
        if ((uintptr_t)fp < (uintptr_t)F(self, FCB_STACK_LO) || (uintptr_t)fp >= top) break;
        if (fp[0] == 0) { w->fp_end_ok = fp[1] == 0 && (uintptr_t)fp == top - A64_FIRST_RECORD; break; }
        fp = (uintptr_t *)fp[0];
        w->fp_steps++;
    }
    __asm__ volatile("" : : : "memory");
}
static intptr_t walk_entry(void *self, intptr_t out) {
    struct walk *w = (struct walk *)out;
    walk_here(self, &w[0]);
    fs_yield(self, 1);
    walk_here(self, &w[1]);
    return 7;
}
static void rule_first_frame(void) {
    fiber f;
    struct walk w[2];
    memset(w, 0, sizeof w);
    int ok = make_fiber(&f, 256 * 1024, walk_entry, -1, (intptr_t)w, 0, 0);
    intptr_t r1 = ok ? fs_resume(f.fcb, 0) : 0;
    intptr_t r2 = ok ? fs_resume(f.fcb, 0) : 0;
    if (r1 != 1 || r2 != 7) { ok = 0; WHY("results %lld %lld", (long long)r1, (long long)r2); }
    for (int i = 0; ok && i < 2; i++) {
        if (w[i].bt_n < 2 || w[i].bt_n >= 64 || !w[i].bt_last_in_lib) {
            ok = 0; WHY("walk %d: backtrace() gave %d frames, the last %s the library", i, w[i].bt_n, w[i].bt_last_in_lib ? "in" : "not in");
        } else if (w[i].uw_rc != _URC_END_OF_STACK || w[i].uw_n >= 64 || !w[i].uw_last_in_lib) {
            ok = 0; WHY("walk %d: _Unwind_Backtrace returned %d after %d frames, the last %s the library", i, w[i].uw_rc, w[i].uw_n, w[i].uw_last_in_lib ? "in" : "not in");
        } else if (!w[i].fp_end_ok) {
            ok = 0; WHY("walk %d: the frame-pointer chain did not end at the zero record at the stack top - 32 (%d steps)", i, w[i].fp_steps);
        }
    }
    free_fiber(&f);
    result(ok);
}

/*
 * C code that signs its return addresses (this harness is built with -mbranch-protection=standard:
 * pac_depth starts with paciasp, and each of its frames holds a signed return address) yields from
 * 24 frames deep, thousands of times, on two fibers whose stacks alternate; every frame
 * authenticates its return address after the switches, so a switch that moved sp by one byte, or
 * lost the fiber's frames, would fault.
 */
static __attribute__((noinline)) intptr_t pac_depth(void *self, int depth, intptr_t acc) {
    volatile intptr_t pad[4];
    pad[0] = acc;
    intptr_t v = depth == 0 ? fs_yield(self, acc) : pac_depth(self, depth - 1, acc * 3 + depth);
    return v + (pad[0] - acc);       /* the reply, if this frame is intact */
}
static intptr_t pac_entry(void *self, intptr_t salt, intptr_t rounds) {
    intptr_t sum = 0;
    for (intptr_t i = 0; i < rounds; i++) sum += pac_depth(self, 24, salt + i);
    return sum;
}
static intptr_t pac_expected_acc(intptr_t acc) {
    for (int depth = 24; depth > 0; depth--) acc = acc * 3 + depth;
    return acc;
}
static void rule_pac_c_code(void) {
    fiber a, b;
    const intptr_t rounds = 3000;
    int ok = make_fiber(&a, 128 * 1024, pac_entry, -1, 1000, rounds, 0)
          && make_fiber(&b, 128 * 1024, pac_entry, -1, 7, rounds, 0);
    for (intptr_t i = 0; ok && i < rounds; i++) {
        intptr_t va = fs_resume(a.fcb, 5 * i);          /* the reply to round i - 1 */
        intptr_t vb = fs_resume(b.fcb, 7 * i);
        if (va != pac_expected_acc(1000 + i) || vb != pac_expected_acc(7 + i)) {
            ok = 0; WHY("round %lld: got %llx / %llx", (long long)i, (long long)va, (long long)vb);
        }
    }
    intptr_t ra = ok ? fs_resume(a.fcb, 5 * rounds) : 0, rb = ok ? fs_resume(b.fcb, 7 * rounds) : 0;
    intptr_t want = rounds * (rounds + 1) / 2;         /* the replies 1..rounds, times 5 and 7 */
    if (ok && (ra != 5 * want || rb != 7 * want || F(a.fcb, FCB_EXIT) != FCB_EXIT_DONE || F(b.fcb, FCB_EXIT) != FCB_EXIT_DONE)) {
        ok = 0; WHY("results %lld / %lld, want %lld / %lld", (long long)ra, (long long)rb, (long long)(5 * want), (long long)(7 * want));
    }
    free_fiber(&a);
    free_fiber(&b);
    result(ok);
}

/*
 * Many interleaved fibers: 64 fibers, each keeping integer and double state live across its
 * yields, resumed in a shuffled order with pseudo-random values; each yielded value is checked
 * against a model of the same arithmetic, so a fault on any one switch is caught and named.
 */
struct mix { uint64_t a, b, c; double e, g; };
#define MIX_INIT(st, id) do { (st).a = (uint64_t)(id) * 0x9E3779B97F4A7C15ull + 1; (st).b = (uint64_t)(id) << 32; \
    (st).c = 7; (st).e = (double)(id) + 0.5; (st).g = 1.0; } while (0)
#define MIX_STEP(st, v) do { \
    (st).a = (st).a * 6364136223846793005ull + 1442695040888963407ull + (uint64_t)(v); \
    (st).b ^= (st).a >> 17; (st).c += (st).b * 31; \
    (st).e = (st).e + (double)((uint64_t)(v) & 0xff); (st).g = (st).g * 0.75 + 1.0; } while (0)
#define MIX_OUT(st) ((intptr_t)((st).a ^ (st).b ^ (st).c ^ (uint64_t)(int64_t)(st).e ^ (uint64_t)(int64_t)((st).g * 1024.0)))
static intptr_t mix_entry(void *self, intptr_t id) {
    struct mix st;
    MIX_INIT(st, id);
    intptr_t v = 0;
    for (;;) {
        MIX_STEP(st, v);
        v = fs_yield(self, MIX_OUT(st));
        if (v == -1) return (intptr_t)st.a;
    }
}
#define MIX_FIBERS 64
#define MIX_ROUNDS 2000
static void rule_many_fibers(void) {
    static fiber f[MIX_FIBERS];
    static struct mix model[MIX_FIBERS];
    int ok = 1;
    for (int i = 0; ok && i < MIX_FIBERS; i++) {
        ok = make_fiber(&f[i], 64 * 1024, mix_entry, -1, i, 0, 0);
        MIX_INIT(model[i], i);
    }
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    long switches = 0;
    for (int r = 0; ok && r < MIX_ROUNDS; r++) {
        int start = (int)(rng >> 58), stride = 2 * (int)((rng >> 40) & 15) + 1;   /* odd stride: a permutation of 64 */
        for (int j = 0; ok && j < MIX_FIBERS; j++) {
            int i = (start + j * stride) % MIX_FIBERS;
            rng = rng * 6364136223846793005ull + 1;
            intptr_t send = r == 0 ? 0 : (intptr_t)(rng >> 1);
            MIX_STEP(model[i], send);
            intptr_t got = fs_resume(f[i].fcb, send);
            switches += 2;
            if (got != MIX_OUT(model[i]) || F(f[i].fcb, FCB_EXIT) != FCB_EXIT_YIELD) {
                ok = 0; WHY("switch %ld (fiber %d, round %d): got %llx, want %llx", switches, i, r,
                            (long long)got, (long long)MIX_OUT(model[i]));
            }
        }
    }
    for (int i = 0; ok && i < MIX_FIBERS; i++) {
        intptr_t end = fs_resume(f[i].fcb, -1);
        if (end != (intptr_t)model[i].a || F(f[i].fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("fiber %d ended with %llx", i, (long long)end); }
    }
    for (int i = 0; i < MIX_FIBERS; i++) free_fiber(&f[i]);
    if (ok && switches != 2L * MIX_FIBERS * MIX_ROUNDS) { ok = 0; WHY("%ld switches", switches); }
    result(ok);
}

/* ------------------------------------------------------------------------- stops and faults */

/* A stub given user data that is not an FCB, or called off its fiber's stack, stops with brk. */
static void stub_bad_magic(void *unused) {
    (void)unused;
    static char junk[FCB_SIZE];
    typedef intptr_t (*stub4)(intptr_t, intptr_t, intptr_t, intptr_t);
    ((stub4)(void *)(fs_stubs + 0))((intptr_t)junk, 0, 0, 0);              /* tag 0, pos 0, int */
}
static void stub_wrong_stack(void *unused) {
    (void)unused;
    fiber f;
    make_fiber(&f, 64 * 1024, gen_entry, -1, 1, 0, 0);
    typedef intptr_t (*stub4)(intptr_t, intptr_t, intptr_t, intptr_t);
    ((stub4)(void *)(fs_stubs + 2 * FCB_STUB_STRIDE))(0, (intptr_t)f.fcb, 0, 0);   /* pos 1, from the thread's stack */
}
static void rule_bad_user_data(void) {
    int a = child_status(stub_bad_magic, NULL), b = child_status(stub_wrong_stack, NULL);
    int ok = WIFSIGNALED(a) && WTERMSIG(a) == SIGTRAP && WIFSIGNALED(b) && WTERMSIG(b) == SIGTRAP;
    if (!ok) { char da[64]; snprintf(da, sizeof da, "%s", describe(a)); WHY("bad magic: %s, wrong stack: %s (want SIGTRAP: brk)", da, describe(b)); }
    result(ok);
}

/* A fault inside the callback body (its brk) is unwound by the DWARF unwinder from a signal
 * handler, through the body's CFI, into the C function that called the stub. */
__attribute__((noinline)) intptr_t harness_body_fault_caller(char *junk) {
    typedef intptr_t (*stub4)(intptr_t, intptr_t, intptr_t, intptr_t);
    intptr_t r = ((stub4)(void *)(fs_stubs + (2 * FCB_STUB_POSITIONS + 1) * 2 * FCB_STUB_STRIDE))(0, (intptr_t)junk, 0, 0);
    __asm__ volatile("" : "+r"(r));
    return r + 1;
}
static void body_trap_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    void *bt[64];
    int n = backtrace(bt, 64), in_body = 0, in_caller = 0;
    for (int i = 0; i < n; i++) {
        if (in_lib(bt[i])) in_body = 1;
        if ((char *)bt[i] > (char *)(void *)harness_body_fault_caller && (char *)bt[i] < (char *)(void *)harness_body_fault_caller + 128) in_caller = 1;
    }
    _exit(in_body && in_caller ? 42 : 40 + in_body);
}
static void body_fault(void *unused) {
    (void)unused;
    static char junk[FCB_SIZE];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = body_trap_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, NULL);
    harness_body_fault_caller(junk);
    _exit(0);
}
static void rule_callback_body_unwind(void) {
    int st = child_status(body_fault, NULL);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 42;
    if (!ok) WHY("%s (42: walked from the body into its caller; 41: the walk reached the body but not the caller; 40: not even the body)", describe(st));
    result(ok);
}

/* probe_recurse touches every frame, so it runs into the guard page instead of past it. */
static void recurse_far(void *unused) {
    (void)unused;
    fiber f;
    make_fiber(&f, 256 * 1024, fs_probe_recurse, 1000, 0, 0, 0);    /* 1000 KiB on a 256 KiB stack */
    fs_resume(f.fcb, 0);
    _exit(7);
}
static void rule_guard_page(void) {
    fiber f;
    int ok = make_fiber(&f, 256 * 1024, fs_probe_recurse, 200, 0, 0, 0);
    intptr_t r = ok ? fs_resume(f.fcb, 0) : 0;
    if (r != 200) { ok = 0; WHY("200 frames on 256 KiB returned %lld", (long long)r); }
    free_fiber(&f);
    int st = child_status(recurse_far, NULL);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)) { ok = 0; WHY("1000 frames on 256 KiB: %s, want SIGSEGV", describe(st)); }
    result(ok);
}

/*
 * Return addresses stored on fiber stacks are signed: the prepared first frame, a suspended
 * fiber's switch frame, and the resumer's. A suspended fiber whose saved return address is
 * replaced by the same address unsigned faults on resume (autiasp), and the same resume untouched
 * does not.
 */
static intptr_t peek_resumer_lr(void *self, intptr_t out) {
    *(uintptr_t *)out = *(uintptr_t *)(F(self, FCB_RESUMER_SP) + SF_LR);
    fs_yield(self, 10);
    return 0;
}
static void forge_child(void *arg) {
    fiber f;
    make_fiber(&f, 64 * 1024, gen_entry, -1, 3, 0, 0);
    fs_resume(f.fcb, 0);
    uintptr_t *slot = (uintptr_t *)(F(f.fcb, FCB_FIBER_SP) + SF_LR);
    if (arg) *slot = harness_xpac(*slot);
    intptr_t v = fs_resume(f.fcb, 100);
    _exit(v == 10 ? 0 : 5);
}
static void rule_pac_frames(void) {
    fiber f;
    uintptr_t resumer_lr = 0;
    int ok = make_fiber(&f, 64 * 1024, peek_resumer_lr, -1, (intptr_t)&resumer_lr, 0, 0);
    uintptr_t first = ok ? *(uintptr_t *)(F(f.fcb, FCB_FIBER_SP) + SF_LR) : 0;
    if (ok && (harness_xpac(first) == first || !in_lib((void *)harness_xpac(first)))) { ok = 0; WHY("the prepared frame's return address %lx is not signed", (unsigned long)first); }
    intptr_t v = ok ? fs_resume(f.fcb, 0) : 0;
    uintptr_t suspended = ok ? *(uintptr_t *)(F(f.fcb, FCB_FIBER_SP) + SF_LR) : 0;
    if (ok && v != 10) { ok = 0; WHY("peek returned %lld", (long long)v); }
    if (ok && harness_xpac(suspended) == suspended) { ok = 0; WHY("the suspended fiber's return address %lx is not signed", (unsigned long)suspended); }
    if (ok && harness_xpac(resumer_lr) == resumer_lr) { ok = 0; WHY("the resumer's saved return address %lx is not signed", (unsigned long)resumer_lr); }
    if (ok) fs_resume(f.fcb, 0);
    free_fiber(&f);
    int intact = child_status(forge_child, NULL), forged = child_status(forge_child, (void *)1);
    if (!(WIFEXITED(intact) && WEXITSTATUS(intact) == 0)) { ok = 0; WHY("the untouched resume: %s", describe(intact)); }
    else if (!WIFSIGNALED(forged)) { ok = 0; WHY("the resume with an unsigned return address did not fault: %s", describe(forged)); }
    result(ok);
}

/* ------------------------------------------------------------------------- JNI binding */

/*
 * fiberswitch_jni_register(JNIEnv *env, jclass cls) driven with a fake JNIEnv: the address of a
 * pointer to a function table in which RegisterNatives sits at byte offset JNI_REGISTER_NATIVES and
 * ExceptionClear at JNI_EXCEPTION_CLEAR; every other slot counts unexpected calls. Both fakes enter
 * through asm stubs that record sp and clobber caller-saved registers. The fake RegisterNatives
 * returns its jint with garbage in the upper half of x0, which the caller must ignore.
 */
#define JNI_TABLE_SLOTS 240
#define JNI_CLASS ((void *)(intptr_t)0x00000C1A55C1A550LL)
typedef struct { const char *name, *signature; void *fnPtr; } jni_native_method;
static const char *const jni_names[FIBERSWITCH_JNI_METHOD_COUNT] =
    { "resume", "prepare", "probeResumeRegisters", "probeResumeFpEnv", "probeReadFpEnv" };
static const char *const jni_sigs[FIBERSWITCH_JNI_METHOD_COUNT] = { "(JJ)J", "(J)V", "(JJJ)J", "(JJJ)J", "()J" };
static void *jni_functions[JNI_TABLE_SLOTS];
static void **jni_env = jni_functions;
static struct {
    int register_calls, clear_calls, unexpected_calls, seq, register_seq, clear_seq, count;
    void *env, *cls, *clear_env, *methods;
    char name[FIBERSWITCH_JNI_METHOD_COUNT][32], sig[FIBERSWITCH_JNI_METHOD_COUNT][16];
    void *fn[FIBERSWITCH_JNI_METHOD_COUNT];
    int32_t answer;
} jrec;
intptr_t harness_jni_entry_sp[2];

intptr_t harness_fake_register_natives(void *env, void *cls, const jni_native_method *m, int32_t n) {
    jrec.register_calls++;
    jrec.register_seq = ++jrec.seq;
    jrec.env = env;
    jrec.cls = cls;
    jrec.count = n;
    jrec.methods = (void *)m;
    for (int i = 0; i < n && i < FIBERSWITCH_JNI_METHOD_COUNT; i++) {
        snprintf(jrec.name[i], sizeof jrec.name[i], "%s", in_lib(m[i].name) ? m[i].name : "<bad pointer>");
        snprintf(jrec.sig[i], sizeof jrec.sig[i], "%s", in_lib(m[i].signature) ? m[i].signature : "<bad pointer>");
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

typedef intptr_t (*jni_jj_j)(void *env, void *cls, intptr_t, intptr_t);
typedef void (*jni_j_v)(void *env, void *cls, intptr_t);
typedef intptr_t (*jni_jjj_j)(void *env, void *cls, intptr_t, intptr_t, intptr_t);
typedef intptr_t (*jni_v_j)(void *env, void *cls);
static jni_jj_j jni_resume;
static jni_j_v jni_prepare;
static jni_jjj_j jni_probe_resume_registers, jni_probe_resume_fpenv;
static jni_v_j jni_probe_read_fpenv;
static char jni_why[256];

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

static intptr_t jni_register_recorded(int32_t answer, uint64_t *lost) {
    for (int i = 0; i < JNI_TABLE_SLOTS; i++) jni_functions[i] = (void *)jni_unexpected;
    jni_functions[JNI_REGISTER_NATIVES / sizeof(void *)] = (void *)harness_register_natives_stub;
    jni_functions[JNI_EXCEPTION_CLEAR / sizeof(void *)] = (void *)harness_exception_clear_stub;
    memset(&jrec, 0, sizeof jrec);
    jrec.answer = answer;
    harness_jni_entry_sp[0] = harness_jni_entry_sp[1] = 1;
    *lost = 0;
    return harness_call_preserving((void *)fs_jni_register, &jni_env, JNI_CLASS, lost);
}
static void *jni_lookup(const char *name, const char *sig) {
    for (int i = 0; i < jrec.count && i < FIBERSWITCH_JNI_METHOD_COUNT; i++)
        if (strcmp(jrec.name[i], name) == 0 && strcmp(jrec.sig[i], sig) == 0) return jrec.fn[i];
    return NULL;
}
static int jni_bind(void) {
    uint64_t lost;
    intptr_t r = jni_register_recorded(0, &lost);
    jni_resume = (jni_jj_j)jni_lookup(jni_names[0], jni_sigs[0]);
    jni_prepare = (jni_j_v)jni_lookup(jni_names[1], jni_sigs[1]);
    jni_probe_resume_registers = (jni_jjj_j)jni_lookup(jni_names[2], jni_sigs[2]);
    jni_probe_resume_fpenv = (jni_jjj_j)jni_lookup(jni_names[3], jni_sigs[3]);
    jni_probe_read_fpenv = (jni_v_j)jni_lookup(jni_names[4], jni_sigs[4]);
    if (r != 0 || jrec.register_calls != 1 || !jni_resume || !jni_prepare || !jni_probe_resume_registers
            || !jni_probe_resume_fpenv || !jni_probe_read_fpenv) {
        snprintf(jni_why, sizeof jni_why, ": fiberswitch_jni_register returned %lld after %d RegisterNatives call(s) of %d methods",
                 (long long)r, jrec.register_calls, jrec.count);
        return 0;
    }
    return 1;
}

/* One RegisterNatives call on the given env and class with the five names and signatures in
 * header order, pointers into the library, sp 16-byte aligned at the call, the jint read as a
 * jint, callee-saved registers kept; a refusal is returned sign-extended after ExceptionClear. */
static void rule_jni_register(void) {
    uint64_t lost;
    intptr_t r = jni_register_recorded(0, &lost);
    int ok = 1;
    if (r != 0) { ok = 0; WHY("returned %lld (RegisterNatives answered 0 with garbage above w0)", (long long)r); }
    if (jrec.register_calls != 1 || jrec.clear_calls != 0 || jrec.unexpected_calls != 0) {
        ok = 0; WHY("%d RegisterNatives, %d ExceptionClear, %d other JNI calls", jrec.register_calls, jrec.clear_calls, jrec.unexpected_calls);
    }
    if (jrec.env != (void *)&jni_env || jrec.cls != JNI_CLASS || jrec.count != FIBERSWITCH_JNI_METHOD_COUNT || ((uintptr_t)jrec.methods & 7)) {
        ok = 0; WHY("RegisterNatives(env %p, cls %p, methods %p, n %d), want (%p, %p, aligned, %d)", jrec.env, jrec.cls, jrec.methods,
                    jrec.count, (void *)&jni_env, JNI_CLASS, FIBERSWITCH_JNI_METHOD_COUNT);
    }
    for (int i = 0; ok && i < FIBERSWITCH_JNI_METHOD_COUNT; i++) {
        if (strcmp(jrec.name[i], jni_names[i]) != 0 || strcmp(jrec.sig[i], jni_sigs[i]) != 0) {
            ok = 0; WHY("method %d is %s%s, want %s%s", i, jrec.name[i], jrec.sig[i], jni_names[i], jni_sigs[i]);
        }
        if (!in_lib(jrec.fn[i]) || *(uint32_t *)jrec.fn[i] != INSN_BTI_C) { ok = 0; WHY("method %d's fnPtr %p is not a bti c entry in the library", i, jrec.fn[i]); }
        for (int k = 0; k < i; k++)
            if (jrec.fn[k] == jrec.fn[i]) { ok = 0; WHY("methods %d and %d share fnPtr %p", k, i, jrec.fn[i]); }
    }
    if (harness_jni_entry_sp[0] % 16 != 0) { ok = 0; WHY("RegisterNatives entered with sp %llx", (long long)harness_jni_entry_sp[0]); }
    if (lost) { ok = 0; WHY("callee-saved registers not preserved (mask %llx)", (unsigned long long)lost); }
    if (!ok) { result(0); return; }

    const int32_t refusals[] = { -1, -4 };    /* JNI_ERR, JNI_ENOMEM */
    for (int t = 0; t < 2; t++) {
        r = jni_register_recorded(refusals[t], &lost);
        if (r != refusals[t]) { ok = 0; WHY("RegisterNatives answered %d, returned %lld", refusals[t], (long long)r); }
        if (jrec.register_calls != 1 || jrec.clear_calls != 1 || jrec.unexpected_calls != 0 || jrec.clear_seq <= jrec.register_seq) {
            ok = 0; WHY("answer %d: %d RegisterNatives, %d ExceptionClear (after it: %s), %d other JNI calls", refusals[t],
                        jrec.register_calls, jrec.clear_calls, jrec.clear_seq > jrec.register_seq ? "yes" : "no", jrec.unexpected_calls);
        }
        if (jrec.clear_env != (void *)&jni_env) { ok = 0; WHY("ExceptionClear(env %p), want %p", jrec.clear_env, (void *)&jni_env); }
        if (harness_jni_entry_sp[1] % 16 != 0) { ok = 0; WHY("ExceptionClear entered with sp %llx", (long long)harness_jni_entry_sp[1]); }
        if (lost) { ok = 0; WHY("callee-saved registers not preserved on refusal (mask %llx)", (unsigned long long)lost); }
    }
    result(ok);
}

/* prepare: the native writes exactly the bytes the C entry writes, and that first frame runs. */
static unsigned char prep_a[4096 + FCB_SIZE], prep_b[4096 + FCB_SIZE];
static void rule_jni_prepare(void) {
    fiber f;
    int ok = make_fiber(&f, 64 * 1024, gen_entry, -1, 3, 0, 0);
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
    result(ok);
}

/* Every argument reaches the switch: a fiber reads its resumer's switch frame, where the
 * resumer-side probes left their seed's x19 pattern and their FPCR; the C entries and the natives
 * must give the same observations and results. */
struct peek { int n; intptr_t value[3], x19[3], fpcr[3]; };
static intptr_t peek_entry(void *self, intptr_t out) {
    struct peek *p = (struct peek *)out;
    intptr_t v = F(self, FCB_TRANSFER);
    for (;;) {
        char *frame = (char *)F(self, FCB_RESUMER_SP);
        p->value[p->n] = v;
        p->x19[p->n] = *(intptr_t *)(frame + SF_X19);
        p->fpcr[p->n] = *(intptr_t *)(frame + SF_FPCR);
        if (++p->n == 3) return v + 1000;
        v = fs_yield(self, v + 1);
    }
}
static void rule_jni_arguments(void) {
    const intptr_t seed = 0x0123456789ABC000LL;
    struct peek seen[2];
    intptr_t r[2][3];
    int ok = 1;
    int saved = binding;
    for (int b = BIND_C; b <= BIND_JNI; b++) {
        use_binding(b);
        fiber f;
        memset(&seen[b], 0, sizeof seen[b]);
        if (!make_fiber(&f, 64 * 1024, peek_entry, -1, (intptr_t)&seen[b], 0, 0)) { ok = 0; break; }
        r[b][0] = fs_probe_resume_registers(f.fcb, 11, seed);
        r[b][1] = fs_probe_resume_fpenv(f.fcb, 22, FPCR_RP_AHP);
        r[b][2] = fs_resume(f.fcb, 33);
        if (F(f.fcb, FCB_EXIT) != FCB_EXIT_DONE) { ok = 0; WHY("%s: the fiber did not finish", bind_name[b]); }
        free_fiber(&f);
        struct peek *p = &seen[b];
        if (p->n != 3 || p->value[0] != 11 || p->value[1] != 22 || p->value[2] != 33) {
            ok = 0; WHY("%s: the fiber got %lld %lld %lld", bind_name[b], (long long)p->value[0], (long long)p->value[1], (long long)p->value[2]);
        }
        if (p->x19[0] != seed + PATTERN_X19) {
            ok = 0; WHY("%s: probeResumeRegisters' seed arrived as %llx, want %llx", bind_name[b], (long long)(p->x19[0] - PATTERN_X19), (long long)seed);
        }
        if (((uint64_t)p->fpcr[1] ^ FPCR_RP_AHP) & FPCR_CONTROL) {
            ok = 0; WHY("%s: probeResumeFpEnv's env arrived as %llx, want %llx", bind_name[b], (long long)p->fpcr[1], FPCR_RP_AHP);
        }
        if (r[b][0] != 0 || r[b][1] != 0 || r[b][2] != 1033) {
            ok = 0; WHY("%s: returned %lld %lld %lld", bind_name[b], (long long)r[b][0], (long long)r[b][1], (long long)r[b][2]);
        }
    }
    use_binding(saved);
    if (ok && (memcmp(r[0], r[1], sizeof r[0]) != 0 || seen[0].x19[0] != seen[1].x19[0] || seen[0].fpcr[1] != seen[1].fpcr[1])) {
        ok = 0; WHY("the C entries and the natives disagree");
    }
    result(ok);
}

/* probeReadFpEnv reads the calling thread's FPCR exactly as the C entry does. */
static void rule_jni_read_fpenv(void) {
    uint64_t saved = get_fpcr();
    intptr_t c0 = c_read_fpenv(), j0 = jni_probe_read_fpenv(&jni_env, JNI_CLASS);
    set_fpcr(FPCR_RZ_FZ_DN);
    intptr_t c1 = c_read_fpenv(), j1 = jni_probe_read_fpenv(&jni_env, JNI_CLASS);
    set_fpcr(saved);
    int ok = c0 == j0 && c1 == j1 && (((uint64_t)c1 ^ FPCR_RZ_FZ_DN) & FPCR_CONTROL) == 0 && c0 != c1;
    if (!ok) WHY("C %llx / %llx, jni %llx / %llx, set %llx", (long long)c0, (long long)c1, (long long)j0, (long long)j1, FPCR_RZ_FZ_DN);
    result(ok);
}

/* ------------------------------------------------------------------------- main */

static int load(const char *path) {
    lib_handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib_handle) { printf("cannot load %s: %s\n", path, dlerror()); return 0; }
#define BIND(var, type, name) if (!(var = (type)dlsym(lib_handle, name))) { printf("missing export %s\n", name); return 0; }
    BIND(fs_resume, fn2, "fiberswitch_resume");
    BIND(fs_yield, fn2, "fiberswitch_yield");
    BIND(fs_prepare, prep_fn, "fiberswitch_prepare");
    BIND(fs_stubs, char *, "fiberswitch_callback_stubs");
    BIND(fs_abi_version, fn0, "fiberswitch_abi_version");
    BIND(fs_layout, fn1, "fiberswitch_layout");
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
    Dl_info di;
    if (!dladdr((void *)fs_resume, &di)) { printf("dladdr failed\n"); return 0; }
    lib_base = di.dli_fbase;
    c_resume = fs_resume;
    c_prepare = fs_prepare;
    c_probe_resume_registers = fs_probe_resume_registers;
    c_probe_resume_fpenv = fs_probe_resume_fpenv;
    c_read_fpenv = fs_read_fpenv;
    return 1;
}

/* The rules that go through fs_resume and friends, under the current binding. */
static void run_switch_rules(void) {
    run_rule("yield_resume", 1, rule_yield_resume);
    run_rule("echo_probe", 1, rule_echo);
    run_rule("callee_saved_registers", 1, rule_registers);
    run_rule("alignment", 1, rule_alignment);
    run_rule("fpcr_isolation", 1, rule_fpcr_isolation);
    run_rule("fresh_fiber_default_fpcr", 1, rule_fresh_fiber_fpcr);
    run_rule("callback_stubs_all_positions_both_kinds", 1, rule_callbacks);
    run_rule("deep_recursion", 1, rule_deep_recursion);
    run_rule("nested_fiber_to_fiber", 1, rule_nested);
    run_rule("thread_migration", 1, rule_migration);
    run_rule("first_frame_stops_unwinders", 1, rule_first_frame);
    run_rule("pac_signed_c_code_on_fibers", 1, rule_pac_c_code);
    run_rule("many_fibers_interleaved", 1, rule_many_fibers);
}

int main(int argc, char **argv) {
    argc_g = argc;
    argv_g = argv;
    if (argc < 2) { printf("usage: harness LIB [rule ...]\n"); return 2; }
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);      /* the death tests must not leave core files */
    page = (size_t)sysconf(_SC_PAGESIZE);
    if (!load(argv[1])) { printf("0 passed, 1 failed\n"); return 1; }
    int jni_ok = jni_bind();

    run_rule("layout", 0, rule_layout);
    run_rule("exports_start_with_bti_c", 0, rule_exports_bti);
    run_rule("pac_is_live", 0, rule_pac_live);
    run_rule("bti_is_enforced", 0, rule_bti_live);
    run_rule("pac_signed_return_addresses_on_fiber_stacks", 0, rule_pac_frames);
    run_rule("callback_bad_user_data_traps", 0, rule_bad_user_data);
    run_rule("callback_body_unwinds_to_caller", 0, rule_callback_body_unwind);
    run_rule("recursion_hits_the_guard_page", 0, rule_guard_page);
    run_rule("jni_register_names_signatures_abi", 0, rule_jni_register);
    if (jni_ok) {
        run_rule("jni_read_fpenv", 0, rule_jni_read_fpenv);
        run_rule("jni_prepare_same_frame", 0, rule_jni_prepare);
        run_rule("jni_arguments_reach_the_switch", 0, rule_jni_arguments);
    }
    /* The switch rules run twice: through the C entry points, then through the JNI natives. */
    use_binding(BIND_C);
    run_switch_rules();
    if (jni_ok) {
        use_binding(BIND_JNI);
        run_switch_rules();
        use_binding(BIND_C);
    } else {
        printf("FAIL switch_rules_through_the_jni_natives%s\n", jni_why);
        failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
