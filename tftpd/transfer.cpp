#include "tftpd/transfer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace bk::tftp {
namespace {

// A decimal number of at most 20 digits, nothing else (no sign, no spaces).
std::optional<std::uint64_t> parse_number(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr std::uint64_t rfc_max_blksize = 65464;
constexpr std::uint32_t min_rto_ms = 20;

}  // namespace

Agreed negotiate(const std::vector<Option>& requested, std::uint64_t size, const Limits& limits) {
  Agreed a;
  a.timeout_s = std::max(1U, limits.default_timeout_s);
  std::vector<std::string> seen;
  for (const auto& o : requested) {
    if (std::ranges::find(seen, o.name) != seen.end()) continue;
    seen.push_back(o.name);
    const auto v = parse_number(o.value);
    if (!v) continue;
    if (o.name == "blksize") {
      if (*v < 8) continue;
      const auto b = std::min<std::uint64_t>({*v, rfc_max_blksize, limits.max_blksize});
      a.blksize = static_cast<std::uint16_t>(std::max<std::uint64_t>(b, 8));
      a.oack.push_back({o.name, std::to_string(a.blksize)});
    } else if (o.name == "tsize") {
      a.oack.push_back({o.name, std::to_string(size)});
    } else if (o.name == "timeout") {
      if (*v < 1 || *v > 255) continue;
      a.timeout_s = static_cast<unsigned>(*v);
      a.oack.push_back({o.name, std::to_string(*v)});
    } else if (o.name == "windowsize") {
      if (*v < 1 || *v > 65535) continue;
      const auto w = std::min<std::uint64_t>(*v, std::max<std::uint16_t>(limits.max_windowsize, 1));
      a.windowsize = static_cast<std::uint16_t>(w);
      a.oack.push_back({o.name, std::to_string(a.windowsize)});
    }
  }
  return a;
}

Transfer::Transfer(const Agreed& agreed, std::uint64_t size, const Limits& limits)
    : blksize_(agreed.blksize),
      window_(std::max<std::uint16_t>(agreed.windowsize, 1)),
      size_(size),
      last_(size / agreed.blksize + 1),
      oack_(!agreed.oack.empty()),
      max_rto_ms_(agreed.timeout_s * 1000),
      give_up_ms_(std::max<std::uint64_t>(
          5000, std::uint64_t{limits.give_up_after_timeouts} * agreed.timeout_s * 1000)) {}

std::uint32_t Transfer::block_length(std::uint64_t block) const {
  if (block < last_) return blksize_;
  return static_cast<std::uint32_t>(size_ - (last_ - 1) * blksize_);
}

std::uint32_t Transfer::rto_ms() const {
  // RFC 6298's estimator, floored for timer granularity; before any sample, one second (or
  // less when the client asked for a shorter timeout).
  double base = srtt_ms_ < 0 ? 1000.0 : srtt_ms_ + (4 * rttvar_ms_);
  base = std::clamp(base, static_cast<double>(min_rto_ms), static_cast<double>(max_rto_ms_));
  const double backed = std::ldexp(base, static_cast<int>(std::min(backoff_, 16U)));
  return static_cast<std::uint32_t>(std::min(backed, static_cast<double>(max_rto_ms_)));
}

Actions Transfer::start(std::uint64_t now_ms) {
  progress_at_ = now_ms;
  if (oack_) {
    waiting_oack_ack_ = true;
    sent_at_ = now_ms;
    return send_oack();
  }
  return send_window(now_ms);
}

Actions Transfer::send_oack() const {
  Actions a;
  a.send_oack = true;
  a.arm_timer_ms = rto_ms();
  return a;
}

Actions Transfer::send_window(std::uint64_t now_ms) {
  Actions a;
  a.first = acked_ + 1;
  a.count = static_cast<std::uint32_t>(std::min<std::uint64_t>(window_, last_ - acked_));
  resent_ = a.first <= sent_hi_;
  sent_hi_ = std::max(sent_hi_, a.first + a.count - 1);
  sent_at_ = now_ms;
  a.arm_timer_ms = rto_ms();
  return a;
}

Actions Transfer::end(Actions::End how, std::string why) {
  ended_ = true;
  Actions a;
  a.end = how;
  a.why = std::move(why);
  return a;
}

Actions Transfer::on_packet(const Packet& p, std::uint64_t now_ms) {
  if (ended_) return {};
  if (const auto* ack = std::get_if<Ack>(&p)) {
    std::uint64_t block = 0;
    if (waiting_oack_ack_) {
      if (ack->block != 0) return {};  // not an answer to the OACK: ignored
    } else {
      // The one block in (acked, sent] with this wire number, if any. A window is at most
      // 65535 blocks, so there is never more than one.
      const auto delta = static_cast<std::uint16_t>(ack->block - static_cast<std::uint16_t>(acked_));
      block = acked_ + delta;
      if (delta == 0 || block > sent_hi_) return {};  // duplicate, or not yet sent: ignored
    }
    if (!resent_) {
      const double sample = static_cast<double>(now_ms - sent_at_);
      if (srtt_ms_ < 0) {
        srtt_ms_ = sample;
        rttvar_ms_ = sample / 2;
      } else {
        rttvar_ms_ = (0.75 * rttvar_ms_) + (0.25 * std::abs(srtt_ms_ - sample));
        srtt_ms_ = (0.875 * srtt_ms_) + (0.125 * sample);
      }
    }
    waiting_oack_ack_ = false;
    acked_ = block;
    progress_at_ = now_ms;
    backoff_ = 0;
    if (acked_ == last_) return end(Actions::End::done, {});
    return send_window(now_ms);
  }
  if (const auto* err = std::get_if<Error>(&p)) {
    // UEFI firmware asks for the size with a tsize request, then ends it with error 8.
    if (waiting_oack_ack_ && err->code == static_cast<std::uint16_t>(ErrorCode::option_refused)) {
      return end(Actions::End::done, "the client ended the transfer after the options (error 8)");
    }
    return end(Actions::End::failed, "the client sent error " + std::to_string(err->code) +
                                         (err->message.empty() ? "" : ": " + err->message));
  }
  Actions a = end(Actions::End::failed, "the client sent a packet that has no place in a read");
  a.send_error = ErrorCode::illegal_operation;
  a.error_message = "unexpected packet during a read";
  return a;
}

Actions Transfer::on_timeout(std::uint64_t now_ms) {
  if (ended_) return {};
  if (now_ms - progress_at_ >= give_up_ms_) {
    Actions a = end(Actions::End::failed,
                    "no answer from the client for " + std::to_string((now_ms - progress_at_) / 1000) + " s");
    a.send_error = ErrorCode::not_defined;
    a.error_message = "timed out";
    return a;
  }
  ++backoff_;
  ++retransmissions_;
  if (waiting_oack_ack_) {
    resent_ = true;
    return send_oack();
  }
  return send_window(now_ms);
}

}  // namespace bk::tftp
