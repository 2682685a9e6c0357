// The pure Transfer, driven by tables of client behaviour: lock-step, windows, rollover, loss,
// duplicates and the ways a client ends a read.
#include <gtest/gtest.h>

#include "tftpd/transfer.hpp"

using namespace bk::tftp;
using End = Actions::End;

namespace {

Agreed agreed(std::uint16_t blksize, std::uint16_t window = 1, bool with_oack = false) {
  Agreed a;
  a.blksize = blksize;
  a.windowsize = window;
  if (with_oack) a.oack = {{"blksize", std::to_string(blksize)}};
  return a;
}

Ack ack(std::uint64_t block) {
  return Ack{static_cast<std::uint16_t>(block)};
}

// A client that receives every window whole and acknowledges its last block. Returns the
// number of windows it took; checks that the windows are contiguous and as large as agreed.
std::uint64_t drive_to_end(Transfer& t, Actions a, std::uint16_t window, std::uint64_t& now) {
  std::uint64_t windows = 0;
  std::uint64_t next = 1;
  while (a.end == End::running) {
    EXPECT_EQ(a.first, next);
    EXPECT_EQ(a.count, std::min<std::uint64_t>(window, t.last_block() - next + 1));
    if (a.count == 0) return windows;
    ++windows;
    next = a.first + a.count;
    a = t.on_packet(ack(next - 1), ++now);
  }
  EXPECT_EQ(a.end, End::done);
  EXPECT_EQ(next - 1, t.last_block());
  return windows;
}

}  // namespace

TEST(TftpTransfer, LockStepWithoutOptions) {
  Transfer t(agreed(512), 1024, Limits{});
  EXPECT_EQ(t.last_block(), 3U);  // two full blocks and an empty one that ends the file
  EXPECT_EQ(t.block_length(2), 512U);
  EXPECT_EQ(t.block_length(3), 0U);
  Actions a = t.start(0);
  EXPECT_FALSE(a.send_oack);
  EXPECT_EQ(a.first, 1U);
  EXPECT_EQ(a.count, 1U);
  EXPECT_GT(a.arm_timer_ms, 0U);
  a = t.on_packet(ack(1), 1);
  EXPECT_EQ(a.first, 2U);
  a = t.on_packet(ack(2), 2);
  EXPECT_EQ(a.first, 3U);
  a = t.on_packet(ack(3), 3);
  EXPECT_EQ(a.end, End::done);
  EXPECT_TRUE(t.ended());
}

TEST(TftpTransfer, EmptyFileIsOneEmptyBlock) {
  Transfer t(agreed(512), 0, Limits{});
  EXPECT_EQ(t.last_block(), 1U);
  EXPECT_EQ(t.block_length(1), 0U);
  EXPECT_EQ(t.start(0).count, 1U);
  EXPECT_EQ(t.on_packet(ack(1), 1).end, End::done);
}

TEST(TftpTransfer, OackWaitsForAckZero) {
  Transfer t(agreed(1468, 1, true), 3000, Limits{});
  Actions a = t.start(0);
  EXPECT_TRUE(a.send_oack);
  EXPECT_EQ(a.count, 0U);
  EXPECT_EQ(t.on_packet(ack(1), 1).count, 0U);  // not an answer to the OACK
  a = t.on_packet(ack(0), 2);
  EXPECT_EQ(a.first, 1U);
  EXPECT_EQ(a.count, 1U);
}

TEST(TftpTransfer, OackRetransmittedOnTimeout) {
  Transfer t(agreed(1468, 1, true), 3000, Limits{});
  (void)t.start(0);
  const Actions a = t.on_timeout(1000);
  EXPECT_TRUE(a.send_oack);
  EXPECT_EQ(t.retransmissions(), 1U);
}

// UEFI firmware asks for tsize, reads the OACK and ends with error 8: a normal end.
TEST(TftpTransfer, ErrorEightAfterOackIsANormalEnd) {
  Transfer t(agreed(1468, 1, true), 3000, Limits{});
  (void)t.start(0);
  const Actions a = t.on_packet(Error{8, "tsize only"}, 1);
  EXPECT_EQ(a.end, End::done);
  EXPECT_NE(a.why.find("error 8"), std::string::npos);
}

TEST(TftpTransfer, ClientErrorDuringDataFails) {
  Transfer t(agreed(512), 3000, Limits{});
  (void)t.start(0);
  const Actions a = t.on_packet(Error{0, "disk full"}, 1);
  EXPECT_EQ(a.end, End::failed);
  EXPECT_EQ(a.why, "the client sent error 0: disk full");
  EXPECT_FALSE(a.send_error);
}

TEST(TftpTransfer, UnexpectedPacketIsIllegalOperation) {
  Transfer t(agreed(512), 3000, Limits{});
  (void)t.start(0);
  const Actions a = t.on_packet(Data{1, {}}, 1);
  EXPECT_EQ(a.end, End::failed);
  ASSERT_TRUE(a.send_error);
  EXPECT_EQ(*a.send_error, ErrorCode::illegal_operation);
}

// Sorcerer's Apprentice (RFC 1123 4.2.3.1): a duplicate ACK must not send the block again.
TEST(TftpTransfer, DuplicateAckIsIgnored) {
  Transfer t(agreed(512), 5000, Limits{});
  (void)t.start(0);
  EXPECT_EQ(t.on_packet(ack(1), 1).first, 2U);
  const Actions dup = t.on_packet(ack(1), 2);
  EXPECT_EQ(dup.count, 0U);
  EXPECT_FALSE(dup.send_oack);
  EXPECT_EQ(dup.end, End::running);
  EXPECT_EQ(t.on_packet(ack(2), 3).first, 3U);
}

TEST(TftpTransfer, AckForABlockNotYetSentIsIgnored) {
  Transfer t(agreed(512, 4), 512 * 100, Limits{});
  const Actions a = t.start(0);
  EXPECT_EQ(a.count, 4U);
  EXPECT_EQ(t.on_packet(ack(5), 1).count, 0U);
  EXPECT_EQ(t.on_packet(ack(60000), 1).count, 0U);
  EXPECT_EQ(t.acked(), 0U);
}

TEST(TftpTransfer, WindowsOfOneFourSixteenSixtyFour) {
  for (const int wi : {1, 4, 16, 64}) {
    const auto w = static_cast<std::uint16_t>(wi);
    const std::uint64_t blocks = 1000;  // 999 full blocks and a short one
    Transfer t(agreed(512, w), (blocks - 1) * 512 + 100, Limits{});
    std::uint64_t now = 0;
    const std::uint64_t windows = drive_to_end(t, t.start(now), w, now);
    EXPECT_EQ(windows, (blocks + w - 1) / w) << "window " << w;
    EXPECT_EQ(t.retransmissions(), 0U);
  }
}

// RFC 7440: a DATA lost inside a window; the client acknowledges the last block it got in
// order, and the next window starts right after it.
TEST(TftpTransfer, LostBlockInsideAWindow) {
  Transfer t(agreed(512, 16), 512 * 100, Limits{});
  Actions a = t.start(0);
  EXPECT_EQ(a.first, 1U);
  EXPECT_EQ(a.count, 16U);
  a = t.on_packet(ack(5), 1);  // block 6 was lost
  EXPECT_EQ(a.first, 6U);
  EXPECT_EQ(a.count, 16U);
  EXPECT_EQ(t.acked(), 5U);
  a = t.on_packet(ack(21), 2);
  EXPECT_EQ(a.first, 22U);
}

TEST(TftpTransfer, BlockNumbersRollOverToZero) {
  // 70,000 blocks of 512 bytes: over 32 MB, so wire numbers pass 65535.
  const std::uint64_t blocks = 70'000;
  Transfer t(agreed(512), (blocks - 1) * 512 + 7, Limits{});
  Actions a = t.start(0);
  std::uint64_t now = 0;
  for (std::uint64_t b = 1; b < blocks; ++b) {
    ASSERT_EQ(a.first, b);
    a = t.on_packet(ack(b), ++now);  // ack() keeps the low 16 bits: 65536 goes out as 0
  }
  EXPECT_EQ(a.first, blocks);
  EXPECT_EQ(static_cast<std::uint16_t>(65536), 0);
  EXPECT_EQ(t.on_packet(ack(blocks), ++now).end, End::done);
}

TEST(TftpTransfer, RolloverInsideWindows) {
  const std::uint64_t blocks = 65'536 + 40;
  Transfer t(agreed(512, 64), (blocks - 1) * 512, Limits{});
  std::uint64_t now = 0;
  EXPECT_EQ(drive_to_end(t, t.start(now), 64, now), (blocks + 63) / 64);
}

TEST(TftpTransfer, TimeoutResendsTheWindowAndBacksOff) {
  Transfer t(agreed(512, 4), 512 * 100, Limits{});
  (void)t.start(0);
  (void)t.on_packet(ack(4), 2);  // RTT sample: 2 ms
  Actions a = t.on_timeout(100);
  EXPECT_EQ(a.first, 5U);
  EXPECT_EQ(a.count, 4U);
  const std::uint32_t first_rto = a.arm_timer_ms;
  EXPECT_GE(first_rto, 20U);
  a = t.on_timeout(200);
  EXPECT_EQ(a.first, 5U);
  EXPECT_GT(a.arm_timer_ms, first_rto);  // doubled
  EXPECT_LE(a.arm_timer_ms, 1000U);      // never over the timeout
  EXPECT_EQ(t.retransmissions(), 2U);
}

TEST(TftpTransfer, RetransmissionTimerFollowsTheRoundTrip) {
  Transfer t(agreed(512), 512 * 100, Limits{});
  EXPECT_EQ(t.start(0).arm_timer_ms, 1000U);  // before any sample
  std::uint64_t now = 0;
  Actions a;
  for (std::uint64_t b = 1; b <= 20; ++b)
    a = t.on_packet(ack(b), now += 1);
  EXPECT_LT(a.arm_timer_ms, 100U);
  EXPECT_GE(a.arm_timer_ms, 20U);
}

TEST(TftpTransfer, GivesUpAfterFiveSecondsWithoutProgress) {
  Transfer t(agreed(512), 512 * 100, Limits{});
  (void)t.start(0);
  EXPECT_EQ(t.on_timeout(1000).end, End::running);
  EXPECT_EQ(t.on_timeout(4999).end, End::running);
  const Actions a = t.on_timeout(5000);
  EXPECT_EQ(a.end, End::failed);
  EXPECT_EQ(a.why, "no answer from the client for 5 s");
  EXPECT_TRUE(a.send_error);
  EXPECT_EQ(t.on_packet(ack(1), 5001).count, 0U);  // ended: nothing more happens
}

TEST(TftpTransfer, NegotiatedTimeoutBoundsTheTimerAndTheGiveUp) {
  Agreed a = agreed(512, 1, true);
  a.timeout_s = 3;
  Transfer t(a, 512 * 100, Limits{});
  (void)t.start(0);
  std::uint32_t rto = 0;
  for (int i = 1; i <= 5; ++i)
    rto = t.on_timeout(static_cast<std::uint64_t>(i) * 1000).arm_timer_ms;
  EXPECT_EQ(rto, 3000U);
  EXPECT_EQ(t.on_timeout(14'999).end, End::running);
  EXPECT_EQ(t.on_timeout(15'000).end, End::failed);  // 5 timeouts of 3 s
}
