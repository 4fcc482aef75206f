// C++ entries for the Wine harness: exceptions thrown and caught on a fiber. mingw-w64 x86-64
// C++ exceptions are SEH exceptions (RaiseException, then RtlUnwindEx through every frame), so
// they prove the first frame, the unwind data and the TEB stack bounds all at once.
#include <cstdint>
#include <cstring>
#include <stdexcept>

typedef intptr_t (*yield_fn)(void *self, intptr_t value);
extern "C" yield_fn harness_yield;

static __attribute__((noinline)) int thrower(int depth) {
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth == 0) throw std::runtime_error("fiber");
    return thrower(depth - 1) + pad[0];
}

// Fiber entry: throws from `depth` frames down and catches; 42 when caught with the right message.
extern "C" intptr_t harness_cxx_throw_catch(void *self, intptr_t depth) {
    (void)self;
    try {
        thrower((int)depth);
    } catch (const std::runtime_error &e) {
        return std::strcmp(e.what(), "fiber") == 0 ? 42 : -1;
    }
    return -2;
}

// Fiber entry: yields once inside the try block (the next resume may come from another thread),
// then throws and catches; 43 when caught.
extern "C" intptr_t harness_cxx_throw_after_yield(void *self, intptr_t depth) {
    try {
        harness_yield(self, 1);
        thrower((int)depth);
    } catch (const std::runtime_error &e) {
        return std::strcmp(e.what(), "fiber") == 0 ? 43 : -1;
    }
    return -2;
}
