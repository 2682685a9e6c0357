#include "server/tftp_hpa.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "server/process.hpp"
#include "tftpd/generated.hpp"

namespace bk::server {
namespace fs = std::filesystem;

namespace {

constexpr const char* kManifest = ".bootkeeper-generated";

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Written beside the target and renamed over it: readers see the old file or the new one.
void write_atomically(const fs::path& target, const std::string& text) {
  fs::create_directories(target.parent_path());
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".bk-tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(tmp.string() + ": cannot write it");
  }
  fs::permissions(
      tmp, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  fs::rename(tmp, target);
}

}  // namespace

Materializer::Materializer(fs::path root) : root_(std::move(root)) {
  if (const auto text = read_file(root_ / kManifest)) {
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) ours_.insert(line);
  }
}

void Materializer::save_manifest() const {
  std::string text;
  for (const auto& n : ours_)
    text += n + "\n";
  write_atomically(root_ / kManifest, text);
}

Materializer::Result Materializer::update(const db::Snapshot& snap) {
  Result r;
  const auto files = tftp::all_generated(snap);
  std::set<std::string> now;
  for (const auto& [name, text] : files) {
    const fs::path target = root_ / name;
    const bool exists = fs::exists(target);
    if (exists && !ours_.contains(name)) {
      r.kept.push_back(name);
      continue;
    }
    now.insert(name);
    if (exists && read_file(target) == text) {
      ++r.unchanged;
      continue;
    }
    write_atomically(target, text);
    ++r.written;
  }
  for (const auto& old : ours_) {
    if (!now.contains(old)) {
      std::error_code ec;
      if (fs::remove(root_ / old, ec)) ++r.removed;
    }
  }
  if (now != ours_) {
    ours_ = std::move(now);
    save_manifest();
  }
  return r;
}

std::vector<std::string> in_tftpd_command(const std::string& root, const std::string& listen,
                                          int max_blksize) {
  // --secure: in.tftpd changes root to the image root, so names are relative to it as with our
  // server. --foreground: it stays our child, so that we see it die.
  return {"in.tftpd",
          "--foreground",
          "--listen",
          "--secure",
          "--address",
          listen,
          "--blocksize",
          std::to_string(max_blksize),
          fs::absolute(root).string()};
}

Supervisor::Supervisor(std::vector<std::string> argv) : argv_(std::move(argv)), thread_([this] { run(); }) {}

Supervisor::~Supervisor() {
  stop();
}

pid_t Supervisor::pid() const {
  std::lock_guard l(mu_);
  return pid_;
}

unsigned Supervisor::starts() const {
  std::lock_guard l(mu_);
  return starts_;
}

void Supervisor::run() {
  using clock = std::chrono::steady_clock;
  auto delay = std::chrono::seconds(1);
  std::unique_lock l(mu_);
  while (!stopping_) {
    const pid_t pid = spawn_process(argv_);
    if (pid < 0) {
      spdlog::error("{}: cannot start it: {} (apt-get install tftpd-hpa)", argv_[0], std::strerror(errno));
    } else {
      pid_ = pid;
      ++starts_;
      spdlog::info("{} started (pid {})", argv_[0], pid);
      const auto started = clock::now();
      l.unlock();
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      l.lock();
      pid_ = -1;
      if (stopping_) break;
      if (clock::now() - started > std::chrono::minutes(1)) delay = std::chrono::seconds(1);
      spdlog::warn("{} exited ({} {}); starting it again in {} s", argv_[0],
                   WIFEXITED(status) ? "status" : "signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), delay.count());
    }
    cv_.wait_for(l, delay, [this] { return stopping_; });
    delay = std::min(delay * 2, std::chrono::seconds(30));
  }
}

void Supervisor::stop() {
  {
    std::lock_guard l(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace bk::server
