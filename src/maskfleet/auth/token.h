// Secret tokens: session ids, CSRF tokens, password-reset tokens.
//
// A token is 32 random bytes from libsodium (the OS's CSPRNG), written as
// base64url without padding: 43 characters from [A-Za-z0-9_-], safe in cookies,
// URLs and form fields without escaping. The database stores only TokenHash(token)
// (SHA-256, lower-case hex), so that a leaked table holds no usable token; a
// presented token is looked up by its hash.
//
// All functions are pure or use only the thread-safe libsodium generator; they
// may be called from any thread at once.
#ifndef MASKFLEET_AUTH_TOKEN_H_
#define MASKFLEET_AUTH_TOKEN_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace maskfleet::auth {

inline constexpr std::size_t kTokenBytes = 32;
// Length of a token's text: ceil(32 * 4 / 3) without padding.
inline constexpr std::size_t kTokenChars = 43;

// A fresh random token. Never fails (libsodium aborts the process if the OS has
// no randomness, see sodium.h).
std::string NewToken();

// True if `text` has a token's shape (43 base64url characters whose last one
// encodes no stray bits). Lets a caller refuse garbage before a database lookup.
bool IsWellFormedToken(std::string_view text);

// SHA-256 of the token's text, 64 lower-case hex characters: what to store.
std::string TokenHash(std::string_view token);

// Compares two secrets (tokens, token hashes) in time that depends only on their
// lengths, not on where they differ. Different lengths compare unequal at once:
// lengths are not secret here.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace maskfleet::auth

#endif  // MASKFLEET_AUTH_TOKEN_H_
