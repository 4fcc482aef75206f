/*
 * A push-style native loop for the callback benchmarks: calls cb(i, ud) n times and returns the
 * sum of the replies. The user data sits at argument position 1, as a fiberswitch stub expects.
 */
typedef long (*fsbench_cb)(long i, void *ud);

long fsbench_loop(long n, fsbench_cb cb, void *ud) {
    long sum = 0;
    for (long i = 0; i < n; i++) {
        sum += cb(i, ud);
    }
    return sum;
}

/* A no-op that C code can call, as the floor of a downcall. */
long fsbench_noop(long x) {
    return x;
}

/*
 * The candidate switch sequence of bench/native/alt_switch.S, linked in here so the JMH suite can
 * drive it from Java through the same JNA path as the shipped switch (CandidateSwitchBench).
 */
#include "fiberswitch.h"
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

intptr_t alt_yield(void *fcb, intptr_t value);
void alt_prepare(void *fcb);

static intptr_t alt_echo(void *self, intptr_t v) {
    for (;;) {
        v = alt_yield(self, v + 1);
    }
    return 0;
}

/* A fiber on the candidate switch that echoes v + 1; returns its FCB, or 0 if mmap fails. */
void *fsbench_alt_fiber(void) {
    const size_t size = 64 * 1024;
    char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        return 0;
    }
    char *fcb = base + size - FCB_SIZE;
    memset(fcb, 0, FCB_SIZE);
    *(uint32_t *)(fcb + FCB_MAGIC) = FCB_MAGIC_VALUE;
    *(void **)(fcb + FCB_FUNCTION) = (void *)alt_echo;
    *(void **)(fcb + FCB_ARGS) = fcb;
    *(void **)(fcb + FCB_STACK_LO) = base;
    *(void **)(fcb + FCB_STACK_HI) = fcb;
    alt_prepare(fcb);
    return fcb;
}
