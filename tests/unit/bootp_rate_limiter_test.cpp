#include <gtest/gtest.h>

#include "server/bootp/rate_limiter.hpp"
#include "server/bootp/seen_recently.hpp"

using bk::bootp::RateLimiter;
using bk::db::Mac;

TEST(RateLimiter, AllowsABurstThenTheRate) {
  RateLimiter r(10);
  const Mac a = *Mac::parse("52:54:00:00:00:01");
  int allowed = 0;
  for (int i = 0; i < 100; ++i)
    allowed += r.allow(a, 100.0) ? 1 : 0;
  EXPECT_EQ(allowed, 10);  // the burst
  EXPECT_FALSE(r.allow(a, 100.05));
  EXPECT_TRUE(r.allow(a, 100.11));  // one token back after 1/10 s
  EXPECT_FALSE(r.allow(a, 100.11));
}

TEST(RateLimiter, OneFlooderDoesNotStarveOthers) {
  RateLimiter r(10);
  const Mac flooder = *Mac::parse("52:54:00:00:00:01");
  const Mac quiet = *Mac::parse("52:54:00:00:00:02");
  for (int i = 0; i < 10'000; ++i)
    r.allow(flooder, 5.0 + i * 1e-5);
  EXPECT_TRUE(r.allow(quiet, 5.1));
}

TEST(RateLimiter, ZeroTurnsItOff) {
  RateLimiter r(0);
  const Mac a = *Mac::parse("52:54:00:00:00:01");
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(r.allow(a, 1.0));
}

TEST(RateLimiter, ForgetsIdleClients) {
  RateLimiter r(10);
  for (std::uint64_t i = 0; i < 1000; ++i)
    r.allow(Mac::from_value(i), 1.0);
  EXPECT_EQ(r.tracked(), 1000u);
  r.allow(Mac::from_value(5000), 20.0);  // a prune runs every 10 s
  EXPECT_EQ(r.tracked(), 1u);
}

TEST(SeenRecently, OncePerWindowPerMac) {
  bk::bootp::SeenRecently seen(1.0, 1024);
  const Mac a = *Mac::parse("52:54:00:00:00:01");
  const Mac b = *Mac::parse("52:54:00:00:00:02");
  EXPECT_FALSE(seen.check_and_mark(a, 10.0));
  EXPECT_TRUE(seen.check_and_mark(a, 10.5));
  EXPECT_FALSE(seen.check_and_mark(b, 10.5));
  EXPECT_FALSE(seen.check_and_mark(a, 11.1));  // the window has passed
  EXPECT_TRUE(seen.check_and_mark(a, 11.2));
  // Another kind (a DHCP ACK after the OFFER) is its own entry.
  EXPECT_FALSE(seen.check_and_mark(a, 11.3, 5));
  EXPECT_TRUE(seen.check_and_mark(a, 11.4, 5));
}

TEST(SeenRecently, CollisionsErrTowardsLogging) {
  bk::bootp::SeenRecently seen(1.0, 1);  // every MAC shares the one slot
  const Mac a = *Mac::parse("52:54:00:00:00:01");
  const Mac b = *Mac::parse("52:54:00:00:00:02");
  EXPECT_FALSE(seen.check_and_mark(a, 1.0));
  EXPECT_FALSE(seen.check_and_mark(b, 1.1));
  EXPECT_FALSE(seen.check_and_mark(a, 1.2));  // pushed out by b: logged again, not hidden
}
