#include "maskfleet/auth/token.h"

#include <sodium.h>

#include <array>
#include <cstdint>

#include "maskfleet/auth/sodium.h"

namespace maskfleet::auth {

static_assert(kTokenChars + 1 ==
              sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING));

std::string NewToken() {
  internal::EnsureSodium();
  std::array<unsigned char, kTokenBytes> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  char text[kTokenChars + 1];
  sodium_bin2base64(text, sizeof text, bytes.data(), bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes.data(), bytes.size());
  return std::string(text, kTokenChars);
}

bool IsWellFormedToken(std::string_view text) {
  if (text.size() != kTokenChars) return false;
  internal::EnsureSodium();
  std::array<unsigned char, kTokenBytes> bytes;
  std::size_t decoded = 0;
  const char* end = nullptr;
  // libsodium refuses non-alphabet characters and a last character with stray bits.
  const bool ok = sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &decoded,
                                    &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
                  decoded == kTokenBytes && end == text.data() + text.size();
  sodium_memzero(bytes.data(), bytes.size());
  return ok;
}

std::string TokenHash(std::string_view token) {
  internal::EnsureSodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest.data(), digest.size());
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  internal::EnsureSodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace maskfleet::auth
