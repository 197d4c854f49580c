#include "maskfleet/auth/password_hash.h"

#include <sodium.h>

#include "maskfleet/auth/sodium.h"

namespace maskfleet::auth {
namespace {

static_assert(PasswordHashOptions{}.ops_limit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(PasswordHashOptions{}.mem_limit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
static_assert(PasswordHashOptions::Minimum().ops_limit == crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(PasswordHashOptions::Minimum().mem_limit == crypto_pwhash_argon2id_MEMLIMIT_MIN);

bool IsArgon2String(std::string_view s) {
  return s.size() < crypto_pwhash_STRBYTES && (s.starts_with("$argon2id$") || s.starts_with("$argon2i$"));
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, const PasswordHashOptions& options) {
  internal::EnsureSodium();
  if (options.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      options.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
      options.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      options.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "password hash costs out of libsodium's bounds (ops_limit " +
                         std::to_string(options.ops_limit) + ", mem_limit " +
                         std::to_string(options.mem_limit) + ")");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), options.ops_limit, options.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // With valid costs the only documented failure is running out of memory.
    return MakeError(ErrorCode::kUnavailable, "hashing a password: out of memory (Argon2id needs " +
                                                  std::to_string(options.mem_limit / 1024) + " KiB)");
  }
  return std::string(out);
}

Result<bool> VerifyPassword(std::string_view password, std::string_view stored_hash) {
  internal::EnsureSodium();
  if (!IsArgon2String(stored_hash)) {
    return MakeError(ErrorCode::kInternal, "stored password hash is not an Argon2 string");
  }
  // libsodium wants a NUL-terminated string; stored_hash is a view.
  std::string terminated(stored_hash);
  // Returns -1 for a wrong password and for a malformed string alike; the prefix
  // check above is the best distinction libsodium allows.
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool NeedsRehash(std::string_view stored_hash, const PasswordHashOptions& options) {
  internal::EnsureSodium();
  if (!stored_hash.starts_with("$argon2id$") || stored_hash.size() >= crypto_pwhash_STRBYTES) {
    return true;
  }
  std::string terminated(stored_hash);
  // 0: same parameters; 1: different; -1: not a valid string for this algorithm.
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), options.ops_limit, options.mem_limit) != 0;
}

}  // namespace maskfleet::auth
