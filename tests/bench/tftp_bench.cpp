// A TFTP load generator: N clients, each on its own UDP socket, fetch one file from one server at
// the same time, in one thread with epoll. Each sends RRQ (octet) with blksize and tsize and, when
// asked, windowsize (RFC 2347/2348/2349/7440); a server that answers without OACK or without
// windowsize gets plain lock-step. With a window the client ACKs the last block of each window, the
// last block of the file, and, once per gap, the last block received in order. Block numbers roll
// over past 65535 (to 0, or to 1 as some servers do). An unanswered ACK or RRQ is sent again after
// the timeout, at most --retries times in a row. Every copy is compared with the expected file,
// loaded once. Prints one line for people and one RESULT line for scripts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint16_t kRrq = 1, kData = 3, kAck = 4, kError = 5, kOack = 6;

struct Args {
  std::string server = "127.0.0.1:69";
  std::string file;
  std::string expect;
  unsigned blksize = 1468;
  unsigned windowsize = 0;  // 0: do not ask for the option
  unsigned clients = 1;
  unsigned timeout_ms = 1000;
  unsigned retries = 5;
  double max_seconds = 600;
  double drop = 0;  // fraction of received DATA discarded as if lost (to test recovery)
  std::string label = "server";
};

void usage() {
  std::puts(
      "tftp_bench --server ADDR:PORT --file NAME --expect PATH [--blksize B] [--windowsize W]\n"
      "           [--clients N] [--timeout-ms MS] [--retries R] [--max-seconds S] [--drop P]\n"
      "           [--label NAME]\n"
      "  N clients (default 1), each on its own UDP socket, fetch NAME at once: RRQ with blksize B\n"
      "  (default 1468), tsize and, if W > 0, windowsize W. Every copy is compared with the file\n"
      "  PATH. An ACK or RRQ unanswered for MS ms (default 1000) is sent again, R times (default 5).\n"
      "  --drop discards that fraction of the DATA received, as if lost, to exercise recovery.\n"
      "  Exit status 0 when every copy is complete and correct.");
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") return false;
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--server")
      a.server = v;
    else if (k == "--file")
      a.file = v;
    else if (k == "--expect")
      a.expect = v;
    else if (k == "--blksize")
      a.blksize = static_cast<unsigned>(std::stoul(v));
    else if (k == "--windowsize")
      a.windowsize = static_cast<unsigned>(std::stoul(v));
    else if (k == "--clients")
      a.clients = static_cast<unsigned>(std::stoul(v));
    else if (k == "--timeout-ms")
      a.timeout_ms = static_cast<unsigned>(std::stoul(v));
    else if (k == "--retries")
      a.retries = static_cast<unsigned>(std::stoul(v));
    else if (k == "--max-seconds")
      a.max_seconds = std::stod(v);
    else if (k == "--drop")
      a.drop = std::stod(v);
    else if (k == "--label")
      a.label = v;
    else
      return false;
  }
  return !a.file.empty() && !a.expect.empty() && a.clients > 0 && a.blksize >= 8 && a.blksize <= 65464 &&
         a.windowsize <= 65535 && a.timeout_ms > 0;
}

bool parse_endpoint(const std::string& s, sockaddr_in& out) {
  const auto colon = s.rfind(':');
  const std::string host = colon == std::string::npos ? s : s.substr(0, colon);
  unsigned long port = 69;
  try {
    if (colon != std::string::npos) port = std::stoul(s.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  out = {};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<std::uint16_t>(port));
  return port > 0 && port < 65536 && ::inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

enum class State { kRequest, kTransfer, kDone, kFailed };

struct Session {
  int fd = -1;
  State state = State::kRequest;
  sockaddr_in peer{};  // the server's transfer ID, once known
  unsigned blksize = 512;
  unsigned window = 1;
  std::uint64_t offset = 0;  // bytes received in order
  std::uint16_t last = 0;    // block number last received in order (0: none, or the OACK)
  unsigned in_window = 0;    // blocks received in order since the last ACK
  bool gap_acked = false;    // a gap was reported; no more ACKs until progress or timeout
  bool negotiated = false;   // blksize and window are known (from the OACK, or the first DATA)
  bool corrupt = false;
  unsigned tries = 0;  // timeouts in a row
  Clock::time_point deadline;
  Clock::time_point finished;
};

class Bench {
 public:
  Bench(const Args& args, const sockaddr_in& server, std::vector<std::uint8_t> expect)
      : args_(args), server_(server), expect_(std::move(expect)), timeout_(args.timeout_ms) {
    // RRQ: opcode, file name, mode, then the options, each a NUL-terminated string.
    const auto put = [&](const std::string& s) {
      rrq_.insert(rrq_.end(), s.begin(), s.end());
      rrq_.push_back(0);
    };
    rrq_ = {0, kRrq};
    put(args.file);
    put("octet");
    put("blksize");
    put(std::to_string(args.blksize));
    put("tsize");
    put("0");
    if (args.windowsize > 0) {
      put("windowsize");
      put(std::to_string(args.windowsize));
    }
  }

  int run() {
    ep_ = ::epoll_create1(0);
    sessions_.resize(args_.clients);
    open_ = sessions_.size();
    for (std::size_t i = 0; i < sessions_.size(); ++i) {
      Session& s = sessions_[i];
      s.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      if (s.fd < 0) {
        std::fprintf(stderr, "tftp_bench: socket: %s\n", std::strerror(errno));
        return 1;
      }
      const int buf = 1 << 20;
      ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<std::uint32_t>(i);
      ::epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
    }
    start_ = Clock::now();
    for (Session& s : sessions_)
      send_rrq(s, start_);
    const auto give_up = start_ + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(args_.max_seconds));
    std::array<epoll_event, 256> events{};
    auto last_sweep = start_;
    while (open_ > 0) {
      const int n = ::epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 20);
      for (int i = 0; i < n; ++i)
        drain(sessions_[events[static_cast<std::size_t>(i)].data.u32]);
      const auto now = Clock::now();
      if (now - last_sweep >= std::chrono::milliseconds(20)) {
        last_sweep = now;
        for (Session& s : sessions_)
          if ((s.state == State::kRequest || s.state == State::kTransfer) && now >= s.deadline)
            expire(s, now);
      }
      if (now >= give_up) {
        for (Session& s : sessions_)
          if (s.state == State::kRequest || s.state == State::kTransfer) fail(s, now, "run too long");
      }
    }
    return report(last_end_);
  }

 private:
  void send_to(Session& s, const void* p, std::size_t n, const sockaddr_in& to) {
    if (::sendto(s.fd, p, n, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) ++send_errors_;
  }

  void send_rrq(Session& s, Clock::time_point now) {
    send_to(s, rrq_.data(), rrq_.size(), server_);
    s.deadline = now + timeout_;
  }

  void send_ack(Session& s, std::uint16_t block) {
    const std::array<std::uint8_t, 4> ack{0, kAck, static_cast<std::uint8_t>(block >> 8),
                                          static_cast<std::uint8_t>(block)};
    if (::send(s.fd, ack.data(), ack.size(), 0) < 0) ++send_errors_;
    s.in_window = 0;
  }

  void finish(Session& s, Clock::time_point now, State state) {
    s.state = state;
    s.finished = now;
    last_end_ = std::max(last_end_, now);
    --open_;
  }

  void fail(Session& s, Clock::time_point now, const char* why) {
    if (failures_reported_++ < 3) std::fprintf(stderr, "tftp_bench: a client failed: %s\n", why);
    finish(s, now, State::kFailed);
  }

  void expire(Session& s, Clock::time_point now) {
    if (++s.tries > args_.retries) {
      fail(s, now, s.state == State::kRequest ? "no answer to the RRQ" : "the server stopped sending");
      return;
    }
    ++retransmits_;
    if (s.state == State::kRequest) {
      send_rrq(s, now);
    } else {
      send_ack(s, s.last);  // the server goes on (or starts its window again) after our last block
      s.gap_acked = false;
      s.deadline = now + timeout_;
    }
  }

  // Everything queued on the socket, kBatch datagrams per system call (a window arrives at once).
  void drain(Session& s) {
    for (;;) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        riov_[i] = {rbuf_.data() + i * kSlot, kSlot};
        rmsg_[i].msg_hdr = {};
        rmsg_[i].msg_hdr.msg_name = &rfrom_[i];
        rmsg_[i].msg_hdr.msg_namelen = sizeof rfrom_[i];
        rmsg_[i].msg_hdr.msg_iov = &riov_[i];
        rmsg_[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(s.fd, rmsg_.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
        if (s.state != State::kFailed) handle(s, rfrom_[i], rbuf_.data() + i * kSlot, rmsg_[i].msg_len);
      if (static_cast<std::size_t>(n) < kBatch) return;  // epoll reports the socket again if more came
    }
  }

  void handle(Session& s, const sockaddr_in& from, const std::uint8_t* p, std::size_t n) {
    if (n < 4 || from.sin_addr.s_addr != server_.sin_addr.s_addr) return;
    const std::uint16_t op = get16(p);
    const auto now = Clock::now();
    if (s.state == State::kRequest) {
      if (op != kData && op != kOack && op != kError) return;
      s.peer = from;  // the first answer fixes the server's transfer ID
      s.state = State::kTransfer;
      if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0)  // ACKs by send()
        return fail(s, now, "cannot connect to the server's transfer ID");
    } else if (from.sin_port != s.peer.sin_port) {
      // RFC 1350: a packet from another transfer ID (say, a second answer to a repeated RRQ) gets
      // ERROR 5 and leaves this transfer alone. Once connected, the kernel refuses such packets
      // itself; these were queued before.
      static const char kUnknown[] = "\0\5\0\5unknown transfer ID";
      if (op != kError) send_to(s, kUnknown, sizeof kUnknown, from);
      return;
    }
    switch (op) {
      case kOack:
        if (!s.negotiated) {
          if (!oack(s, p, n)) return fail(s, now, "unusable OACK");
          negotiated(s);
        }
        if (s.offset == 0 && s.last == 0) {  // ACK 0, or again if the server missed it
          send_ack(s, 0);
          s.deadline = now + timeout_;
        }
        return;
      case kData:
        return data(s, get16(p + 2), p + 4, n - 4, now);
      case kError:
        if (errors_reported_++ < 3)
          std::fprintf(stderr, "tftp_bench: ERROR %u from the server: %.*s\n", get16(p + 2),
                       static_cast<int>(n > 5 ? n - 5 : 0), reinterpret_cast<const char*>(p + 4));
        if (s.state == State::kTransfer) fail(s, now, "ERROR from the server");
        return;
      default:
        return;
    }
  }

  // Options the server accepted; those it left out keep their RFC 1350 values (512, lock-step).
  bool oack(Session& s, const std::uint8_t* p, std::size_t n) {
    std::vector<std::string> fields;
    std::string cur;
    for (std::size_t i = 2; i < n; ++i) {
      if (p[i] == 0) {
        fields.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(static_cast<char>(std::tolower(p[i])));
      }
    }
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      const std::string& k = fields[i];
      unsigned long v = 0;
      try {
        v = std::stoul(fields[i + 1]);
      } catch (...) {
        return false;
      }
      if (k == "blksize") {
        if (v < 8 || v > args_.blksize) return false;
        s.blksize = static_cast<unsigned>(v);
      } else if (k == "windowsize") {
        if (v < 1 || v > args_.windowsize) return false;
        s.window = static_cast<unsigned>(v);
      } else if (k == "tsize") {
        if (v != expect_.size()) s.corrupt = true;
      }
    }
    return true;
  }

  void negotiated(Session& s) {
    s.negotiated = true;
    granted_blksize_ = std::max(granted_blksize_, s.blksize);
    granted_window_ = std::max(granted_window_, s.window);
  }

  void data(Session& s, std::uint16_t block, const std::uint8_t* p, std::size_t len, Clock::time_point now) {
    if (args_.drop > 0 && lose_(rng_) < args_.drop) return;
    if (s.state == State::kDone) {
      if (block == s.last) send_ack(s, block);  // our last ACK was lost
      return;
    }
    if (!s.negotiated) negotiated(s);  // no OACK: the server ignored every option
    const std::uint16_t next = static_cast<std::uint16_t>(s.last + 1);
    // After 65535 comes 0; a server that rolls over to 1 is followed (the 1 would otherwise be far ahead).
    const bool in_order = block == next || (next == 0 && block == 1 && s.offset > 0);
    if (!in_order) {
      if (static_cast<std::uint16_t>(block - next) < 0x8000) {  // ahead: blocks were lost
        if (!s.gap_acked) {
          ++gap_acks_;
          send_ack(s, s.last);
          s.gap_acked = true;
        }
      } else if (block == s.last) {  // the server sent our last block again: it missed our ACK
        send_ack(s, block);
      }
      return;
    }
    if (len > s.blksize || s.offset + len > expect_.size() ||
        std::memcmp(expect_.data() + s.offset, p, len) != 0)
      s.corrupt = true;
    s.offset += len;
    s.last = block;
    s.gap_acked = false;
    s.tries = 0;
    s.deadline = now + timeout_;
    ++s.in_window;
    if (len < s.blksize) {
      if (s.offset != expect_.size()) s.corrupt = true;
      send_ack(s, block);
      finish(s, now, State::kDone);
    } else if (s.in_window >= s.window) {
      send_ack(s, block);
    }
  }

  int report(Clock::time_point end) {
    const double seconds = std::chrono::duration<double>(end - start_).count();
    unsigned ok = 0, failed = 0, corrupt = 0;
    std::uint64_t bytes = 0;
    std::vector<double> times;
    for (const Session& s : sessions_) {
      bytes += s.offset;
      if (s.state == State::kFailed) {
        ++failed;
      } else if (s.corrupt) {
        ++corrupt;
      } else {
        ++ok;
        times.push_back(std::chrono::duration<double>(s.finished - start_).count());
      }
      ::close(s.fd);
    }
    ::close(ep_);
    std::sort(times.begin(), times.end());
    const double p50 = times.empty() ? 0 : times[times.size() / 2];
    const double mbps = seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
    std::printf(
        "%s: %u clients x %zu bytes, blksize %u, windowsize %u (asked %u): %.3f s, %.1f MB/s, ok %u, "
        "failed %u, corrupt %u; per client p50 %.3f s; retransmits %llu, gap ACKs %llu, send errors %llu\n",
        args_.label.c_str(), args_.clients, expect_.size(), granted_blksize_, granted_window_,
        args_.windowsize, seconds, mbps, ok, failed, corrupt, p50,
        static_cast<unsigned long long>(retransmits_), static_cast<unsigned long long>(gap_acks_),
        static_cast<unsigned long long>(send_errors_));
    std::printf(
        "RESULT label=%s seconds=%.3f mb_per_s=%.1f ok=%u failed=%u corrupt=%u clients=%u bytes=%zu "
        "blksize=%u windowsize=%u asked_windowsize=%u retransmits=%llu\n",
        args_.label.c_str(), seconds, mbps, ok, failed, corrupt, args_.clients, expect_.size(),
        granted_blksize_, granted_window_, args_.windowsize, static_cast<unsigned long long>(retransmits_));
    return failed == 0 && corrupt == 0 ? 0 : 1;
  }

  const Args& args_;
  const sockaddr_in server_;
  const std::vector<std::uint8_t> expect_;
  const std::chrono::milliseconds timeout_;
  std::vector<std::uint8_t> rrq_;
  std::vector<Session> sessions_;
  static constexpr std::size_t kBatch = 32, kSlot = 65536;
  std::vector<std::uint8_t> rbuf_ = std::vector<std::uint8_t>(kBatch * kSlot);
  std::array<iovec, kBatch> riov_{};
  std::array<mmsghdr, kBatch> rmsg_{};
  std::array<sockaddr_in, kBatch> rfrom_{};
  int ep_ = -1;
  std::size_t open_ = 0;
  Clock::time_point start_, last_end_;
  unsigned granted_blksize_ = 0, granted_window_ = 0;
  std::uint64_t retransmits_ = 0, gap_acks_ = 0, send_errors_ = 0;
  unsigned failures_reported_ = 0, errors_reported_ = 0;
  std::mt19937_64 rng_{7};
  std::uniform_real_distribution<double> lose_{0.0, 1.0};
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    if (!parse(argc, argv, args)) {
      usage();
      return 2;
    }
  } catch (const std::exception&) {
    usage();
    return 2;
  }
  sockaddr_in server{};
  if (!parse_endpoint(args.server, server)) {
    std::fprintf(stderr, "tftp_bench: --server takes an IPv4 ADDR:PORT\n");
    return 2;
  }
  std::ifstream in(args.expect, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "tftp_bench: cannot read %s\n", args.expect.c_str());
    return 2;
  }
  std::vector<std::uint8_t> expect((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bench bench(args, server, std::move(expect));
  return bench.run();
}
