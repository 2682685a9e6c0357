#pragma once
// --tftp-backend tftp-hpa: sites that trust tftp-hpa's server keep it. bootkeeperd then runs
// in.tftpd on the image root and supervises it (restarted when it dies, stopped on exit), and
// writes the files it would otherwise generate on the fly beneath the root, so that in.tftpd
// serves them too.
#include <sys/types.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/snapshot.hpp"

namespace bk::server {

// Keeps the generated files of a Snapshot written beneath the image root. Each file is written
// to a temporary name and renamed, so a client never reads half of one; a file that is the same
// is not written again; files it wrote that are no longer generated are removed. What it wrote
// is listed in `.bootkeeper-generated` in the root, so that a restart still knows, and a file an
// administrator put there is never overwritten.
class Materializer {
 public:
  explicit Materializer(std::filesystem::path root);
  struct Result {
    std::size_t written = 0;
    std::size_t unchanged = 0;
    std::size_t removed = 0;
    std::vector<std::string> kept;  // an administrator's file of the same name: left alone
  };
  Result update(const db::Snapshot& snap);

 private:
  void save_manifest() const;
  std::filesystem::path root_;
  std::set<std::string> ours_;
};

// Runs a program and starts it again when it exits (after 1 s, doubling to 30 s while it keeps
// dying within a minute), until stop().
class Supervisor {
 public:
  explicit Supervisor(std::vector<std::string> argv);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  void stop();
  pid_t pid() const;
  unsigned starts() const;

 private:
  void run();
  std::vector<std::string> argv_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  pid_t pid_ = -1;
  unsigned starts_ = 0;
  std::thread thread_;
};

// in.tftpd's command line for the image root, address and block-size limit.
std::vector<std::string> in_tftpd_command(const std::string& root, const std::string& listen,
                                          int max_blksize);

}  // namespace bk::server
