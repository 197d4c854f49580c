// Password hashing with Argon2id (libsodium's crypto_pwhash_str).
//
// HashPassword returns libsodium's self-describing string
// ("$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>", at most 127 characters): the
// random per-user salt and the cost parameters travel inside it, so the database
// stores this one string and nothing else. VerifyPassword checks a password
// against such a string in constant time. NeedsRehash tells whether a stored
// string was made with other costs than the current options, so that a login can
// re-hash the password it has just verified.
//
// All functions are safe to call from any thread at once. Each hash or verify
// takes the options' time and memory (by default about 64 MiB and tens of
// milliseconds), so callers on a request path should bound their concurrency and
// use CredentialCache (credential_cache.h) for repeated logins.
#ifndef MASKFLEET_AUTH_PASSWORD_HASH_H_
#define MASKFLEET_AUTH_PASSWORD_HASH_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::auth {

struct PasswordHashOptions {
  // Argon2id passes over memory. Default: crypto_pwhash_OPSLIMIT_INTERACTIVE (2).
  unsigned long long ops_limit = 2;
  // Memory in bytes. Default: crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB).
  std::size_t mem_limit = 64u * 1024 * 1024;

  // libsodium's smallest allowed costs (1 pass, 8 KiB): fast and weak, for tests.
  static constexpr PasswordHashOptions Minimum() { return {1, 8192}; }
};

// Hashes `password` with a fresh random salt.
// Errors: kInvalidArgument if the options are outside libsodium's bounds;
// kUnavailable if the memory for the hash could not be allocated (retry later).
Result<std::string> HashPassword(std::string_view password, const PasswordHashOptions& options = {});

// True if `password` matches `stored_hash`, false if it does not.
// Errors: kInternal if `stored_hash` is not an Argon2 string at all (a corrupt
// database row, not the user's fault).
Result<bool> VerifyPassword(std::string_view password, std::string_view stored_hash);

// True if `stored_hash` was made with costs other than `options` (or is not an
// Argon2id string at all), so that the password should be hashed again after a
// successful verification.
bool NeedsRehash(std::string_view stored_hash, const PasswordHashOptions& options = {});

}  // namespace maskfleet::auth

#endif  // MASKFLEET_AUTH_PASSWORD_HASH_H_
