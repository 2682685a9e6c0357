#include <gtest/gtest.h>

#include "server/bootp/rate_limiter.hpp"

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
