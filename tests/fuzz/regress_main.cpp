// main() for the fuzz targets in builds without libFuzzer: runs LLVMFuzzerTestOneInput once on
// each file named on the command line or found in a directory named there (not recursively),
// so that the ordinary build replays every seed and every saved crash as a regression test.
// Arguments starting with '-' are libFuzzer flags and are ignored, so that one command line
// serves both kinds of binary.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// The input being run, for the crash handler: a failure should name the file that replays it.
char g_current[4096];

void on_crash(int sig) {
  static constexpr char kPrefix[] = "regress: crashed on input ";
  // Only async-signal-safe calls here.
  (void)!::write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  (void)!::write(STDERR_FILENO, g_current, std::strlen(g_current));
  (void)!::write(STDERR_FILENO, "\n", 1);
  // SA_RESETHAND put back the default action: die of the same signal, as the test expects.
  std::raise(sig);
}

void install_crash_handlers() {
  for (const int sig : {SIGABRT, SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP}) {
    struct sigaction old {};
    // Leave a sanitizer's handler in place: its report says more than ours.
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction sa {};
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "regress: %s: cannot read it\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // A buffer of exactly the input's size, as libFuzzer passes it, so that AddressSanitizer
  // catches a read one byte past the end (a vector's spare capacity would hide it).
  const auto buffer = std::make_unique<std::uint8_t[]>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), buffer.get());
  std::snprintf(g_current, sizeof g_current, "%s", path.c_str());
  LLVMFuzzerTestOneInput(buffer.get(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  install_crash_handlers();
  std::size_t ran = 0;
  bool ok = true;
  const auto run = [&](const fs::path& f) {
    if (run_file(f)) {
      ++ran;
    } else {
      ok = false;
    }
  };
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    const fs::path arg(argv[i]);
    std::error_code ec;
    const fs::file_status st = fs::status(arg, ec);
    if (fs::is_regular_file(st)) {
      run(arg);
    } else if (fs::is_directory(st)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      if (ec) {
        std::fprintf(stderr, "regress: %s: %s\n", argv[i], ec.message().c_str());
        ok = false;
      }
      // A fixed order, so that a failure replays the same way on every machine.
      std::sort(files.begin(), files.end());
      for (const auto& f : files)
        run(f);
    } else {
      // A mistyped corpus path must fail the test rather than pass it with nothing run.
      std::fprintf(stderr, "regress: %s: no such file or directory\n", argv[i]);
      ok = false;
    }
  }
  std::printf("%zu inputs ran\n", ran);
  return ok ? 0 : 1;
}
