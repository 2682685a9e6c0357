// Built into the fuzz binaries when BK_FUZZ is on. The project compiles with
// -fsanitize=undefined in recover mode there, which prints a finding and carries on: libFuzzer
// would not see it. Halting turns undefined behaviour into a crash with an input to replay.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}
