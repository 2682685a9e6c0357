#pragma once
// Batched UDP for the load generators (tests/bench/bootp_bench, tests/tools/bootp_flood): up to
// N datagrams per sendmmsg or recvmmsg, so that the generator is not what limits a benchmark.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <span>
#include <vector>

namespace bk::tools {

template <std::size_t N = 64>
class SendBatch {
 public:
  static constexpr std::size_t capacity = N;

  // Queues `bytes` (which must live until flush) for `to`; the caller flushes when full().
  void add(std::vector<std::uint8_t>& bytes, const sockaddr_in& to) {
    iov_[pending_] = {bytes.data(), bytes.size()};
    auto& h = msgs_[pending_].msg_hdr;
    h = {};
    h.msg_name = const_cast<sockaddr_in*>(&to);
    h.msg_namelen = sizeof to;
    h.msg_iov = &iov_[pending_];
    h.msg_iovlen = 1;
    ++pending_;
  }
  bool full() const { return pending_ == N; }
  std::size_t size() const { return pending_; }

  // Sends everything queued. A full device queue (EAGAIN, ENOBUFS) is waited out, not counted
  // as a loss the generator caused; `waits` and `failures` count those and the datagrams that
  // could not be sent.
  void flush(int fd) {
    std::size_t done = 0;
    while (done < pending_) {
      const int n = ::sendmmsg(fd, msgs_.data() + done, static_cast<unsigned>(pending_ - done), 0);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
        ++waits;
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 5);
        continue;
      }
      ++failures;
      ++done;
    }
    pending_ = 0;
  }

  std::uint64_t waits = 0;
  std::uint64_t failures = 0;

 private:
  std::array<mmsghdr, N> msgs_{};
  std::array<iovec, N> iov_{};
  std::size_t pending_ = 0;
};

template <std::size_t N = 64>
class ReceiveBatch {
 public:
  static constexpr std::size_t capacity = N;

  ReceiveBatch() {
    for (std::size_t i = 0; i < N; ++i)
      iov_[i] = {buf_[i].data(), buf_[i].size()};
  }
  // Receives what is waiting, up to N datagrams, without blocking; returns how many.
  std::size_t receive(int fd) {
    for (std::size_t i = 0; i < N; ++i) {
      auto& h = msgs_[i].msg_hdr;
      h = {};
      h.msg_iov = &iov_[i];
      h.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd, msgs_.data(), N, MSG_DONTWAIT, nullptr);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  // The i-th datagram of the last receive().
  std::span<const std::uint8_t> operator[](std::size_t i) const { return {buf_[i].data(), msgs_[i].msg_len}; }

 private:
  std::array<std::array<std::uint8_t, 1500>, N> buf_{};
  std::array<iovec, N> iov_{};
  std::array<mmsghdr, N> msgs_{};
};

}  // namespace bk::tools
