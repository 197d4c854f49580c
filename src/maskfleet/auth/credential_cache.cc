#include "maskfleet/auth/credential_cache.h"

#include <sodium.h>

#include <cstring>

#include "maskfleet/auth/password_hash.h"
#include "maskfleet/auth/sodium.h"

namespace maskfleet::auth {
namespace {

// Each field is prefixed with its length, so that ("ab", "c") and ("a", "bc")
// give different digests.
void UpdateField(crypto_generichash_state& state, std::string_view field) {
  std::uint64_t size = field.size();
  std::uint8_t size_bytes[8];
  for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<std::uint8_t>(size >> (8 * i));
  crypto_generichash_update(&state, size_bytes, sizeof size_bytes);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(field.data()), field.size());
}

}  // namespace

std::size_t CredentialCache::KeyHash::operator()(const Key& key) const {
  // The key is already a keyed hash: any 8 of its bytes are uniformly distributed.
  std::size_t h;
  std::memcpy(&h, key.data(), sizeof h);
  return h;
}

CredentialCache::CredentialCache(const Clock& clock, CredentialCacheOptions options)
    : clock_(clock), options_(options) {
  internal::EnsureSodium();
  static_assert(sizeof secret_ == crypto_generichash_KEYBYTES);
  randombytes_buf(secret_.data(), secret_.size());
}

CredentialCache::~CredentialCache() { sodium_memzero(secret_.data(), secret_.size()); }

CredentialCache::Key CredentialCache::Digest(std::string_view username, std::string_view password,
                                             std::string_view stored_hash) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, secret_.data(), secret_.size(), sizeof(Key));
  UpdateField(state, username);
  UpdateField(state, password);
  UpdateField(state, stored_hash);
  Key key;
  crypto_generichash_final(&state, key.data(), key.size());
  sodium_memzero(&state, sizeof state);
  return key;
}

bool CredentialCache::Contains(std::string_view username, std::string_view password,
                               std::string_view stored_hash) {
  const Key key = Digest(username, password, stored_hash);
  const Clock::TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  if (now >= it->second->expires) {
    lru_.erase(it->second);
    index_.erase(it);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return true;
}

void CredentialCache::Insert(std::string_view username, std::string_view password,
                             std::string_view stored_hash) {
  if (options_.max_entries == 0) return;
  const Key key = Digest(username, password, stored_hash);
  const Clock::TimePoint expires = clock_.Now() + options_.ttl;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (lru_.size() >= options_.max_entries) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{key, expires});
  index_.emplace(key, lru_.begin());
}

Result<bool> CredentialCache::Verify(std::string_view username, std::string_view password,
                                     std::string_view stored_hash) {
  if (Contains(username, password, stored_hash)) return true;
  Result<bool> verified = VerifyPassword(password, stored_hash);
  if (verified && *verified) Insert(username, password, stored_hash);
  return verified;
}

void CredentialCache::Clear() {
  std::lock_guard lock(mu_);
  index_.clear();
  lru_.clear();
}

std::size_t CredentialCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace maskfleet::auth
