#include "maskfleet/auth/validation.h"

#include <string>

namespace maskfleet::auth {
namespace {

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext (without the dot, which has its own rules).
bool IsAtext(char c) {
  if (IsAsciiAlnum(c)) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(c) != std::string_view::npos;
}

constexpr std::string_view kUsernameRule = "username must be 1 to 100 characters: letters, digits, . _ - @";

}  // namespace

Status ValidateUsername(std::string_view username) {
  if (username.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(kUsernameRule) + " (it is empty)");
  }
  if (username.size() > kMaxUsernameChars) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(kUsernameRule) + " (it has " + std::to_string(username.size()) + ")");
  }
  for (std::size_t i = 0; i < username.size(); ++i) {
    const char c = username[i];
    if (!IsAsciiAlnum(c) && c != '.' && c != '_' && c != '-' && c != '@') {
      return MakeError(ErrorCode::kInvalidArgument, std::string(kUsernameRule) + " (character " +
                                                        std::to_string(i + 1) + " is not one of them)");
    }
  }
  return {};
}

Status ValidatePassword(std::string_view password, const PasswordRules& rules) {
  if (password.size() < rules.min_bytes || password.size() > rules.max_bytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "password must be " + std::to_string(rules.min_bytes) + " to " +
                         std::to_string(rules.max_bytes) +
                         " characters long (accented letters and symbols may count as 2 to 4)");
  }
  for (const char c : password) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "password must not contain control characters (tab, newline and the like)");
    }
  }
  return {};
}

Status ValidateEmail(std::string_view email) {
  constexpr std::string_view kRule = "email must look like name@example.com";
  auto refuse = [&](std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(kRule) + " (" + std::string(why) + ")");
  };
  if (email.empty()) return refuse("it is empty");
  if (email.size() > 254) return refuse("it is longer than 254 characters");
  const std::size_t at = email.rfind('@');
  if (at == std::string_view::npos) return refuse("it has no @");
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64) return refuse("the part before @ must be 1 to 64 characters");
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return refuse("dots before @ must separate words");
  }
  for (const char c : local) {
    if (c != '.' && !IsAtext(c)) return refuse("the part before @ has a character not allowed there");
  }
  if (domain.empty()) return refuse("nothing after @");
  std::size_t labels = 0;
  std::size_t start = 0;
  while (start <= domain.size()) {
    std::size_t end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63) return refuse("the domain after @ is malformed");
    if (label.front() == '-' || label.back() == '-') return refuse("the domain after @ is malformed");
    for (const char c : label) {
      if (!IsAsciiAlnum(c) && c != '-') return refuse("the domain after @ has a character not allowed there");
    }
    ++labels;
    start = end + 1;
  }
  if (labels < 2) return refuse("the domain after @ needs a dot, as in example.com");
  return {};
}

}  // namespace maskfleet::auth
