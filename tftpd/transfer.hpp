#pragma once
// One read transfer as a pure state machine (RFC 1350, 2347, 2348, 2349, 7440): events go in
// (a packet from the client, a timer expiry, each with the time), actions come out (send the
// OACK, send DATA blocks [first, first+count), send an ERROR, arm the timer, the end). It never
// touches a socket or a file, so every rule here is tested by tables.
//
// Blocks are numbered absolutely from 1 (block 0 is the OACK's acknowledgement); the wire number
// is the low 16 bits, so block numbers roll over to 0 after 65535 and files of any size go.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tftpd/codec.hpp"

namespace bk::tftp {

struct Limits {
  std::uint16_t max_blksize = 1468;  // no IP fragmentation on Ethernet
  std::uint16_t max_windowsize = 64;
  // Without a timeout option: the longest the retransmission timer grows to, in seconds.
  unsigned default_timeout_s = 1;
  // A transfer with no progress for this many timeouts (at least 5 s) has failed.
  unsigned give_up_after_timeouts = 5;
};

// What was agreed from the request's options.
struct Agreed {
  std::uint16_t blksize = 512;
  std::uint16_t windowsize = 1;
  unsigned timeout_s = 1;
  std::vector<Option> oack;  // the accepted options, in the order asked; empty: no OACK
};

// RFC 2347: options outside their range, malformed or unknown are left out of the OACK (the
// client then uses the default); blksize and windowsize are lowered to the limits; tsize
// carries the real size; the first of repeated options counts.
Agreed negotiate(const std::vector<Option>& requested, std::uint64_t size, const Limits& limits);

struct Actions {
  bool send_oack = false;
  std::uint64_t first = 0;  // first DATA block to send (absolute)
  std::uint32_t count = 0;  // number of DATA blocks from `first`
  std::optional<ErrorCode> send_error;
  std::string error_message;
  std::uint32_t arm_timer_ms = 0;  // 0: leave the timer as it is
  enum class End { running, done, failed } end = End::running;
  std::string why;  // why it failed, or how it ended when that is worth telling
};

class Transfer {
 public:
  Transfer(const Agreed& agreed, std::uint64_t size, const Limits& limits);

  Actions start(std::uint64_t now_ms);
  Actions on_packet(const Packet& p, std::uint64_t now_ms);
  Actions on_timeout(std::uint64_t now_ms);

  std::uint16_t blksize() const { return blksize_; }
  std::uint64_t size() const { return size_; }
  // The number of DATA blocks: a last, short (possibly empty) block always ends the file.
  std::uint64_t last_block() const { return last_; }
  std::uint64_t acked() const { return acked_; }
  std::uint64_t retransmissions() const { return retransmissions_; }
  bool ended() const { return ended_; }
  // Byte range of an absolute block.
  std::uint64_t block_offset(std::uint64_t block) const { return (block - 1) * blksize_; }
  std::uint32_t block_length(std::uint64_t block) const;

 private:
  Actions send_window(std::uint64_t now_ms);
  Actions send_oack() const;
  Actions end(Actions::End how, std::string why);
  std::uint32_t rto_ms() const;

  std::uint16_t blksize_;
  std::uint16_t window_;
  std::uint64_t size_;
  std::uint64_t last_;
  bool oack_;
  std::uint32_t max_rto_ms_;
  std::uint64_t give_up_ms_;

  bool waiting_oack_ack_ = false;
  bool ended_ = false;
  std::uint64_t acked_ = 0;    // highest block the client acknowledged
  std::uint64_t sent_hi_ = 0;  // highest block sent
  std::uint64_t sent_at_ = 0;
  bool resent_ = false;  // the outstanding window is a retransmission (Karn: no RTT sample)
  std::uint64_t progress_at_ = 0;
  unsigned backoff_ = 0;
  double srtt_ms_ = -1;
  double rttvar_ms_ = 0;
  std::uint64_t retransmissions_ = 0;
};

}  // namespace bk::tftp
