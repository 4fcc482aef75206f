/*
 * Native switch benchmark: fiberswitch's exported switch (the committed libfiberswitch.so) in a
 * resume/yield ping-pong, beside Boost.Context jump_fcontext and glibc swapcontext, in one process.
 * Each round trip is two switches; results are ns per switch (median of batches). A second table
 * times the same round trips with the resumer returning through 0-3 frames of its own between two
 * resumes, as a JVM returns through the JNI wrapper and the Java methods above it.
 *
 *   switchbench [iterations] [which]   which = all | fs | alt | boost | ucontext | none
 * "none" runs nothing but the process start-up: run.sh uses it with callgrind, together with N and
 * 2N iterations of one kind, to count instructions per switch.
 *
 * It builds for x86-64 (run.sh) and for AArch64 (run-arm64.sh, against the arm64 library and
 * Boost's arm64 jump_fcontext); the pop+jmp alternative (alt_switch.S) is x86-64 only.
 */
#define _GNU_SOURCE
#include "fiberswitch.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

/* Not in the public header: built by the runtime, called here to start a fiber by hand. */
void fiberswitch_prepare(void *fcb);

#if defined(__x86_64__)
#define HAVE_ALT 1
/* The alternative sequence in alt_switch.S (same FCB layout): pop + jmp in both directions. */
intptr_t alt_resume(void *fcb, intptr_t value);
intptr_t alt_yield(void *fcb, intptr_t value);
void alt_prepare(void *fcb);
#else
#define HAVE_ALT 0
#endif

/* Boost.Context's C ABI (boost/context/detail/fcontext.hpp only has a C++ header). */
typedef void *fcontext_t;
typedef struct { fcontext_t fctx; void *data; } transfer_t;
extern transfer_t jump_fcontext(fcontext_t const to, void *vp);
extern fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

#define STACK (256 * 1024)
#define BATCHES 11

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *map_stack(void) {
    void *p = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    return p;
}

/* ---- fiberswitch (and the alt sequence): the FCB sits at the top of the mapping */

static intptr_t echo_fs(void *self, intptr_t v) {
    for (;;) v = fiberswitch_yield(self, v + 1);
    return 0;
}

#if HAVE_ALT
static intptr_t echo_alt(void *self, intptr_t v) {
    for (;;) v = alt_yield(self, v + 1);
    return 0;
}
#endif

static void *make_fcb(intptr_t (*fn)(void *, intptr_t), int alt) {
    char *base = map_stack();
    char *fcb = base + STACK - FCB_SIZE;
    memset(fcb, 0, FCB_SIZE);
    *(uint32_t *)(fcb + FCB_MAGIC) = FCB_MAGIC_VALUE;
    *(uint32_t *)(fcb + FCB_MAGIC + 4) = FIBERSWITCH_ABI_VERSION;
    *(void **)(fcb + FCB_FUNCTION) = (void *)fn;
    *(void **)(fcb + FCB_ARGS) = fcb;
    *(void **)(fcb + FCB_STACK_LO) = base;
    *(void **)(fcb + FCB_STACK_HI) = fcb;
#if HAVE_ALT
    if (alt) alt_prepare(fcb); else
#endif
    fiberswitch_prepare(fcb);
    (void)alt;
    return fcb;
}

static __attribute__((noinline)) intptr_t run_fs(void *fcb, long n) {
    intptr_t v = 0;
    for (long i = 0; i < n; i++) v = fiberswitch_resume(fcb, v);
    return v;
}

#if HAVE_ALT
static __attribute__((noinline)) intptr_t run_alt(void *fcb, long n) {
    intptr_t v = 0;
    for (long i = 0; i < n; i++) v = alt_resume(fcb, v);
    return v;
}
#endif

/* ---- Boost.Context */

static void echo_boost(transfer_t t) {
    intptr_t v = (intptr_t)t.data;
    for (;;) {
        t = jump_fcontext(t.fctx, (void *)(v + 1));
        v = (intptr_t)t.data;
    }
}

static fcontext_t boost_ctx;

/* One resume, inlined where it is used: the ping-pong loop below, and the nested frames. */
static inline __attribute__((always_inline)) intptr_t resume_boost(intptr_t v) {
    transfer_t t = jump_fcontext(boost_ctx, (void *)v);
    boost_ctx = t.fctx;
    return (intptr_t)t.data;
}

static __attribute__((noinline)) intptr_t run_boost(long n) {
    intptr_t v = 0;
    for (long i = 0; i < n; i++) v = resume_boost(v);
    return v;
}

/* ---- glibc ucontext */

static ucontext_t uc_main, uc_fiber;
static volatile intptr_t uc_value;

static void echo_uc(void) {
    for (;;) {
        uc_value++;
        swapcontext(&uc_fiber, &uc_main);
    }
}

static __attribute__((noinline)) intptr_t run_uc(long n) {
    for (long i = 0; i < n; i++) swapcontext(&uc_main, &uc_fiber);
    return uc_value;
}

/* ---- the resumer returns through d frames (d >= 1) between two resumes */

#define RESUME_FS(v) fiberswitch_resume(fcb_fs, (v))
#if HAVE_ALT
#define RESUME_ALT(v) alt_resume(fcb_alt, (v))
#else
#define RESUME_ALT(v) (v)
#endif

/* d frames deep, the innermost one resumes; each level returns (the asm keeps it from being a tail call). */
#define NESTED(name, RESUME)                                                   \
    static __attribute__((noinline, noipa)) intptr_t name(int d, intptr_t v) { \
        v = d == 1 ? RESUME(v) : name(d - 1, v);                                \
        __asm__ volatile("" : "+r"(v));                                        \
        return v;                                                              \
    }
static void *fcb_fs, *fcb_alt;
NESTED(nested_fs, RESUME_FS)
NESTED(nested_alt, RESUME_ALT)
NESTED(nested_boost, resume_boost)

/* ---- driver */

enum { FS, ALT, BOOST, UC, KINDS };
static const char *names[KINDS] = {
    "fiberswitch_resume/yield (libfiberswitch.so)",
    "alternative: pop+jmp back to the resumer (alt_switch.S)",
#if defined(__x86_64__)
    "Boost.Context jump_fcontext (full FP control)",
#else
    "Boost.Context jump_fcontext (arm64: no FPCR, no PAC)",
#endif
    "glibc swapcontext",
};

static intptr_t run(int k, long n) {
    switch (k) {
    case FS: return run_fs(fcb_fs, n);
#if HAVE_ALT
    case ALT: return run_alt(fcb_alt, n);
#endif
    case BOOST: return run_boost(n);
    default: return run_uc(n);
    }
}

/* Round trips with the resumer d frames deep (d = 0: the loop resumes itself, as run() does). */
static __attribute__((noinline)) intptr_t run_nested(int k, long n, int d) {
    if (d == 0) return run(k, n);
    intptr_t v = 0;
    for (long i = 0; i < n; i++)
        v = k == FS ? nested_fs(d, v) : k == ALT ? nested_alt(d, v) : nested_boost(d, v);
    return v;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    const char *which = argc > 2 ? argv[2] : "all";
    int only = -1;
    if (!strcmp(which, "fs")) only = FS;
    else if (!strcmp(which, "alt")) only = ALT;
    else if (!strcmp(which, "boost")) only = BOOST;
    else if (!strcmp(which, "ucontext")) only = UC;
    else if (!strcmp(which, "none")) only = KINDS;
    else if (strcmp(which, "all")) { fprintf(stderr, "unknown kind %s\n", which); return 2; }

    fcb_fs = make_fcb(echo_fs, 0);
#if HAVE_ALT
    fcb_alt = make_fcb(echo_alt, 1);
#else
    if (only == ALT) { fprintf(stderr, "the alt sequence exists only on x86-64\n"); return 2; }
#endif
    char *bs = map_stack();
    boost_ctx = make_fcontext(bs + STACK, STACK, echo_boost);
    getcontext(&uc_fiber);
    uc_fiber.uc_stack.ss_sp = map_stack();
    uc_fiber.uc_stack.ss_size = STACK;
    uc_fiber.uc_link = NULL;
    makecontext(&uc_fiber, echo_uc, 0);

    for (int k = 0; k < KINDS; k++) {
        if (k == ALT && !HAVE_ALT) continue;
        /* Each round trip must add exactly 1: the echo really ran on the other stack. */
        intptr_t a = run(k, 1), b = run(k, 10);
        if (k == UC ? b != a + 10 : (a != 1 || b != 10)) { fprintf(stderr, "%s: ping-pong check failed (%ld, %ld)\n", names[k], (long)a, (long)b); return 1; }
    }
    if (only >= 0) {
        /* One kind, no timing: for callgrind. */
        intptr_t v = only < KINDS ? run(only, n) : 0;
        return v == -1;
    }
    double med[KINDS];
    for (int k = 0; k < KINDS; k++) {
        if (k == ALT && !HAVE_ALT) continue;
        long per = k == UC ? n / 10 : n;  /* swapcontext makes a syscall per switch */
        run(k, per / 10);                 /* warm up */
        double t[BATCHES];
        for (int b = 0; b < BATCHES; b++) {
            double t0 = now_ns();
            intptr_t v = run(k, per);
            t[b] = (now_ns() - t0) / (2.0 * per);
            if (v == -1) puts("");
        }
        qsort(t, BATCHES, sizeof t[0], cmp_double);
        med[k] = t[BATCHES / 2];
    }
    printf("%-54s %10s %10s\n", "switch (ping-pong, 2 switches per round trip)", "ns/switch", "vs boost");
    for (int k = 0; k < KINDS; k++)
        if (k != ALT || HAVE_ALT) printf("%-54s %10.2f %9.2fx\n", names[k], med[k], med[k] / med[BOOST]);

    printf("\n%-54s %s\n", "round trip, the resumer returning through d frames", "ns per round trip, d = 0 1 2 3");
    for (int k = FS; k <= BOOST; k++) {
        if (k == ALT && !HAVE_ALT) continue;
        if (run_nested(k, 10, 2) != 10) { fprintf(stderr, "%s: nested ping-pong check failed\n", names[k]); return 1; }
        printf("%-54s", names[k]);
        for (int d = 0; d <= 3; d++) {
            run_nested(k, n / 10, d);
            double t[BATCHES];
            for (int b = 0; b < BATCHES; b++) {
                double t0 = now_ns();
                intptr_t v = run_nested(k, n, d);
                t[b] = (now_ns() - t0) / n;
                if (v == -1) puts("");
            }
            qsort(t, BATCHES, sizeof t[0], cmp_double);
            printf(" %6.2f", t[BATCHES / 2]);
        }
        printf("\n");
    }
    return 0;
}
