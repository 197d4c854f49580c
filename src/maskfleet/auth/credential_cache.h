// A memory of recent successful password verifications.
//
// The testing API (/api/upload) sends username and password with every request,
// and an Argon2id verification (~50-100 ms, 64 MiB) would cost more than the
// detection itself. CredentialCache remembers that (username, password, stored
// hash) verified successfully, for a bounded time and a bounded number of
// entries, so that a repeated request skips Argon2id.
//
// What it stores: only a keyed BLAKE2b-256 digest of the three values, under a
// random key made at construction and never persisted; never the password. Because
// the stored hash is part of the digest, changing a password in the database
// (which changes its stored hash) invalidates the old entries without any call
// here. The caller must therefore still read the user's row (and its stored hash)
// on every request; the cache replaces only the Argon2id computation, so a deleted
// or disabled account is caught by that lookup, not by this cache.
//
// An entry lives `ttl` from the verification that made it (a hit does not extend
// it); when full, the least recently used entry is dropped. Failed verifications
// are never cached (the login rate limiter deals with those).
//
// Thread-safe: all methods may be called from any thread at once. Verify runs
// Argon2id outside the lock.
#ifndef MASKFLEET_AUTH_CREDENTIAL_CACHE_H_
#define MASKFLEET_AUTH_CREDENTIAL_CACHE_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"

namespace maskfleet::auth {

struct CredentialCacheOptions {
  // Entries kept at most; the least recently used goes first. Default 10000
  // (about 1.5 MB).
  std::size_t max_entries = 10000;
  // How long a successful verification is trusted. Default 10 minutes.
  std::chrono::seconds ttl = std::chrono::minutes(10);
};

class CredentialCache {
 public:
  // `clock` must outlive the cache.
  explicit CredentialCache(const Clock& clock, CredentialCacheOptions options = {});
  ~CredentialCache();
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;

  // True if this exact (username, password, stored_hash) verified successfully
  // less than `ttl` ago. An expired entry found here is removed.
  bool Contains(std::string_view username, std::string_view password, std::string_view stored_hash);

  // Records a successful verification. Call only after VerifyPassword returned true.
  void Insert(std::string_view username, std::string_view password, std::string_view stored_hash);

  // Contains(), else VerifyPassword() and, on success, Insert().
  // Returns what VerifyPassword would: true, false, or its error.
  Result<bool> Verify(std::string_view username, std::string_view password, std::string_view stored_hash);

  // Forgets every entry (e.g. after a mass password reset).
  void Clear();

  std::size_t size() const;

  // The keyed digest the cache files an entry under: equal for equal (username,
  // password, stored_hash), unguessable without this cache's random key. Also what
  // PasswordChecker tells identical checks in flight apart by.
  using Key = std::array<std::uint8_t, 32>;
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  Key Digest(std::string_view username, std::string_view password, std::string_view stored_hash) const;

 private:
  struct Entry {
    Key key;
    Clock::TimePoint expires;
  };

  const Clock& clock_;
  const CredentialCacheOptions options_;
  std::array<std::uint8_t, 32> secret_{};  // BLAKE2b key; set once in the constructor

  mutable std::mutex mu_;
  std::list<Entry> lru_;  // guarded by mu_; most recently used first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;  // guarded by mu_
};

}  // namespace maskfleet::auth

#endif  // MASKFLEET_AUTH_CREDENTIAL_CACHE_H_
