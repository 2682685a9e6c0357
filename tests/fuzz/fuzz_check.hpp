#pragma once
// FUZZ_CHECK: the fuzz targets' assertion. It must stay on in every build type (assert() is gone
// under NDEBUG) and must die in a way libFuzzer and the regress runner both count as a crash,
// after saying which property broke.
#include <cstdio>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::fflush(stderr);                                                               \
      __builtin_trap();                                                                  \
    }                                                                                    \
  } while (false)

// As FUZZ_CHECK, with a note (a printf format) for what the condition alone does not say.
#define FUZZ_CHECK_MSG(cond, ...)                                                        \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                 \
      std::fputc('\n', stderr);                                                          \
      std::fflush(stderr);                                                               \
      __builtin_trap();                                                                  \
    }                                                                                    \
  } while (false)
