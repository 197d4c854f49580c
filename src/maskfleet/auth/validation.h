// Validation of what people type: user names, passwords, e-mail addresses.
//
// Each function returns success or a kInvalidArgument Error whose message a person
// can act on and which names the field ("username must be ..."), so the web pages
// and the API can show it as it is. Messages never repeat the rejected value
// (a mistyped password must not end up in a log). Server-side validation is the
// rule; the pages' browser-side checks are only a convenience.
//
// Pure functions, safe from any thread.
#ifndef MASKFLEET_AUTH_VALIDATION_H_
#define MASKFLEET_AUTH_VALIDATION_H_

#include <cstddef>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::auth {

inline constexpr std::size_t kMaxUsernameChars = 100;

// 1 to 100 characters, each an ASCII letter (A-Z, a-z), a digit, or one of
// '.', '_', '-', '@' (so an e-mail address can serve as a user name). Being ASCII,
// characters and bytes are the same count here. Case is kept as typed; whether
// "Ann" and "ann" are one account is the storage layer's decision.
Status ValidateUsername(std::string_view username);

struct PasswordRules {
  // Fewest bytes a password may have. Default 8.
  std::size_t min_bytes = 8;
  // Most bytes; bounds the work of hashing. Default 256.
  std::size_t max_bytes = 256;
};

// Length between the rules' bounds, counted in bytes of UTF-8 (an accented letter
// counts 2). Any characters are allowed except NUL and other ASCII control
// characters, which no keyboard types and which forms or terminals would mangle.
Status ValidatePassword(std::string_view password, const PasswordRules& rules = {});

// The shape of an everyday address, "local@domain.tld": at most 254 characters;
// a local part of at most 64 characters from RFC 5322's atext and dots (no quoted
// strings, no leading, trailing or double dots); a domain of at least two
// dot-separated labels of letters, digits and inner hyphens. It cannot tell
// whether the address exists; only a mail sent to it can.
Status ValidateEmail(std::string_view email);

}  // namespace maskfleet::auth

#endif  // MASKFLEET_AUTH_VALIDATION_H_
