#pragma once
// Other programs that bootkeeperd runs: tftp-hpa's client for `check boot`, its in.tftpd server
// for --tftp-backend tftp-hpa.
#include <sys/types.h>
#include <string>
#include <vector>

namespace bk::server {

struct ProcessResult {
  int status = -1;     // exit status; 127 when the program could not be started
  std::string output;  // standard output and standard error together
};

// Runs argv (argv[0] looked up in PATH) with `input` on its standard input and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input);

// Starts argv in the background with standard input from /dev/null; -1 (errno set) on failure.
pid_t spawn_process(const std::vector<std::string>& argv);

}  // namespace bk::server
