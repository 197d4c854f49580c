#include "maskfleet/auth/credential_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "maskfleet/auth/password_hash.h"

namespace maskfleet::auth {
namespace {

using std::chrono::minutes;

TEST(CredentialCacheTest, MissThenHitAfterInsert) {
  SimulatedClock clock;
  CredentialCache cache(clock);
  EXPECT_FALSE(cache.Contains("ann", "secret-pw", "$argon2id$h1"));
  cache.Insert("ann", "secret-pw", "$argon2id$h1");
  EXPECT_TRUE(cache.Contains("ann", "secret-pw", "$argon2id$h1"));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CredentialCacheTest, AnyDifferentFieldMisses) {
  SimulatedClock clock;
  CredentialCache cache(clock);
  cache.Insert("ann", "secret-pw", "$argon2id$h1");
  EXPECT_FALSE(cache.Contains("bob", "secret-pw", "$argon2id$h1"));
  EXPECT_FALSE(cache.Contains("ann", "secret-pW", "$argon2id$h1"));
  // Field boundaries matter: ("ann", "secret-pw") is not ("anns", "ecret-pw").
  EXPECT_FALSE(cache.Contains("anns", "ecret-pw", "$argon2id$h1"));
}

TEST(CredentialCacheTest, ChangedStoredHashInvalidatesTheEntry) {
  SimulatedClock clock;
  CredentialCache cache(clock);
  cache.Insert("ann", "old-password", "$argon2id$before");
  // The password was changed in the database: the row now holds another hash.
  EXPECT_FALSE(cache.Contains("ann", "old-password", "$argon2id$after"));
}

TEST(CredentialCacheTest, EntriesExpireAfterTtlMeasuredFromInsertion) {
  SimulatedClock clock;
  CredentialCache cache(clock, {.max_entries = 10, .ttl = minutes(10)});
  cache.Insert("ann", "pw", "h");
  clock.Advance(minutes(9));
  EXPECT_TRUE(cache.Contains("ann", "pw", "h"));  // a hit does not extend the entry
  clock.Advance(minutes(1));
  EXPECT_FALSE(cache.Contains("ann", "pw", "h"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CredentialCacheTest, SizeIsBoundedAndLeastRecentlyUsedGoesFirst) {
  SimulatedClock clock;
  CredentialCache cache(clock, {.max_entries = 3});
  cache.Insert("a", "pw", "h");
  cache.Insert("b", "pw", "h");
  cache.Insert("c", "pw", "h");
  EXPECT_TRUE(cache.Contains("a", "pw", "h"));  // "a" is now the most recent
  cache.Insert("d", "pw", "h");
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Contains("b", "pw", "h"));
  EXPECT_TRUE(cache.Contains("a", "pw", "h"));
  EXPECT_TRUE(cache.Contains("c", "pw", "h"));
  EXPECT_TRUE(cache.Contains("d", "pw", "h"));
}

TEST(CredentialCacheTest, ZeroCapacityCachesNothing) {
  SimulatedClock clock;
  CredentialCache cache(clock, {.max_entries = 0});
  cache.Insert("a", "pw", "h");
  EXPECT_FALSE(cache.Contains("a", "pw", "h"));
}

TEST(CredentialCacheTest, VerifyCachesOnlySuccess) {
  SimulatedClock clock;
  CredentialCache cache(clock);
  Result<std::string> hash = HashPassword("right password", PasswordHashOptions::Minimum());
  ASSERT_TRUE(hash);
  EXPECT_EQ(cache.Verify("ann", "wrong password", *hash), false);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Verify("ann", "right password", *hash), true);
  EXPECT_TRUE(cache.Contains("ann", "right password", *hash));
  EXPECT_EQ(cache.Verify("ann", "right password", *hash), true);
  EXPECT_FALSE(cache.Verify("ann", "pw", "corrupt"));
}

TEST(CredentialCacheTest, TwoCachesUseDifferentKeys) {
  // Not observable through the API except that both work independently.
  SimulatedClock clock;
  CredentialCache one(clock);
  CredentialCache two(clock);
  one.Insert("a", "pw", "h");
  EXPECT_FALSE(two.Contains("a", "pw", "h"));
}

TEST(CredentialCacheTest, ConcurrentUseKeepsTheBound) {
  SimulatedClock clock;
  CredentialCache cache(clock, {.max_entries = 50});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string user = std::to_string(t) + "-" + std::to_string(i % 80);
        cache.Insert(user, "pw", "h");
        cache.Contains(user, "pw", "h");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 50u);
}

}  // namespace
}  // namespace maskfleet::auth
