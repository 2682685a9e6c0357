// Fuzz target: the pure Transfer driven by any sequence of client packets and timer expiries.
// The first bytes choose what was agreed (block size, window, OACK, file size); every further
// three bytes are one event and a step of the clock. Whatever the client does, the server only
// ever sends the window after the last acknowledged block, never a block past the end, never
// goes backwards, keeps its timer within the agreed timeout, and says nothing once ended.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "tftpd/transfer.hpp"

namespace {
using namespace bk::tftp;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  Agreed agreed;
  agreed.blksize = static_cast<std::uint16_t>(8 + (((data[0] << 8) | data[1]) % 1461));
  agreed.windowsize = static_cast<std::uint16_t>(1 + (data[2] % 64));
  agreed.timeout_s = 1 + (data[3] % 8);
  if ((data[4] & 1) != 0) agreed.oack = {{"blksize", std::to_string(agreed.blksize)}};
  // Up to ~16 M blocks' worth of bytes, so that wire numbers roll over in long inputs.
  const std::uint64_t file_size =
      ((std::uint64_t{data[5]} << 16) | (data[6] << 8) | data[7]) * (data[4] >> 1);
  Limits limits;
  Transfer t(agreed, file_size, limits);
  FUZZ_CHECK(t.last_block() == file_size / agreed.blksize + 1);

  std::uint64_t now = 0;
  std::uint64_t acked = 0;
  bool ended = false;
  const auto check = [&](const Actions& a) {
    if (ended) {
      FUZZ_CHECK(a.count == 0 && !a.send_oack && !a.send_error && a.end == Actions::End::running);
      return;
    }
    FUZZ_CHECK(t.acked() >= acked);
    acked = t.acked();
    if (a.count > 0) {
      FUZZ_CHECK(a.first == t.acked() + 1);
      FUZZ_CHECK(a.count <= agreed.windowsize);
      FUZZ_CHECK(a.first + a.count - 1 <= t.last_block());
      std::uint64_t bytes = 0;
      for (std::uint32_t i = 0; i < a.count; ++i)
        bytes += t.block_length(a.first + i);
      FUZZ_CHECK(t.block_offset(a.first) + bytes <= file_size);
    }
    if (a.arm_timer_ms > 0) FUZZ_CHECK(a.arm_timer_ms >= 20 && a.arm_timer_ms <= agreed.timeout_s * 1000);
    if (a.end == Actions::End::done) FUZZ_CHECK(t.acked() == t.last_block() || !agreed.oack.empty());
    if (a.end != Actions::End::running) {
      ended = true;
      FUZZ_CHECK(t.ended());
    }
  };

  check(t.start(now));
  for (std::size_t i = 8; i + 3 <= size; i += 3) {
    now += data[i] & 0x3F;
    const std::uint16_t arg = static_cast<std::uint16_t>((data[i + 1] << 8) | data[i + 2]);
    switch (data[i] >> 6) {
      case 0:  // an ACK near the window, as clients send them
        check(t.on_packet(Ack{static_cast<std::uint16_t>(t.acked() + (arg % 70))}, now));
        break;
      case 1:  // any ACK
        check(t.on_packet(Ack{arg}, now));
        break;
      case 2:
        now += std::uint64_t{arg} % 3000;
        check(t.on_timeout(now));
        break;
      default:
        if (arg % 16 == 0) {
          check(t.on_packet(Error{static_cast<std::uint16_t>(arg >> 4), "x"}, now));
        } else {
          check(t.on_packet(Data{arg, {}}, now));
        }
    }
  }
  return 0;
}
