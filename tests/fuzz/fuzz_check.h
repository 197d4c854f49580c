// FUZZ_CHECK: an invariant of a fuzz target. Unlike assert() it holds in every build
// type; a broken invariant prints what broke and aborts, which libFuzzer (and the
// corpus replay in the sanitizer build) reports as a crash with the input that did it.
#ifndef MASKFLEET_TESTS_FUZZ_FUZZ_CHECK_H_
#define MASKFLEET_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

#endif  // MASKFLEET_TESTS_FUZZ_FUZZ_CHECK_H_
