#include "maskfleet/mail/message.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>
#include <vector>

namespace maskfleet::mail {
namespace {

constexpr std::size_t kMaxHeaderValue = 900;  // RFC 5322 allows 998 per line
constexpr std::size_t kMaxBodyLine = 998;

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Length of the UTF-8 sequence starting at text[i], or 0 if it is not valid
// (overlong forms, surrogates and values past U+10FFFF included).
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) return 1;
  std::size_t length;
  unsigned char min2 = 0x80;
  unsigned char max2 = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 == 0xe0) min2 = 0xa0;
    if (b0 == 0xed) max2 = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 == 0xf0) min2 = 0x90;
    if (b0 == 0xf4) max2 = 0x8f;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if (b1 < min2 || b1 > max2) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}

bool IsUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

bool IsAscii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Base64 for RFC 2047 encoded-words. Hand-written (a dozen lines) to keep the mail
// library free of a crypto dependency for it.
std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

// RFC 2047 "B" encoded-words of at most 75 characters each, split between UTF-8
// characters, joined by folding whitespace.
std::string EncodedWords(std::string_view text) {
  constexpr std::size_t kMaxBytesPerWord = 45;  // 60 base64 chars + 12 = 72 <= 75
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size()) {
      const std::size_t length = Utf8SequenceLength(text, end);
      if (end + length - start > kMaxBytesPerWord) break;
      end += length;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

// Checks a one-line header value typed by people (subject, display name).
Status CheckHeaderText(std::string_view text, std::string_view field) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n') {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " contains a line break");
    }
    if (u < 0x20 || u == 0x7f) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " contains a control character");
    }
  }
  if (text.size() > kMaxHeaderValue) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(field) + " is longer than " + std::to_string(kMaxHeaderValue) + " bytes");
  }
  if (!IsUtf8(text)) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " is not valid UTF-8");
  }
  return {};
}

std::string HeaderText(std::string_view text) {
  return IsAscii(text) ? std::string(text) : EncodedWords(text);
}

std::string DisplayName(std::string_view name) {
  if (!IsAscii(name)) return EncodedWords(name);
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// Lines split on CRLF, LF or a lone CR.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      lines.push_back(text.substr(start, i - start));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// RFC 2045 quoted-printable of one line, with soft breaks keeping lines <= 76.
void AppendQuotedPrintable(std::string_view line, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto u = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    std::string piece;
    if ((u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !last)) {
      piece = static_cast<char>(u);
    } else {
      piece = {'=', kHex[u >> 4], kHex[u & 15]};
    }
    if (column + piece.size() > 75) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  }
  out += "\r\n";
}

}  // namespace

Status ValidateMailAddress(std::string_view address, std::string_view field) {
  const std::string rule = std::string(field) + " must be a plain address like name@example.com";
  auto refuse = [&](std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument, rule + " (" + std::string(why) + ")");
  };
  if (address.empty()) return refuse("it is empty");
  if (address.size() > 254) return refuse("it is longer than 254 characters");
  const std::size_t at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
    return refuse("it needs exactly one @");
  }
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  constexpr std::string_view kAtextSpecials = "!#$%&'*+-/=?^_`{|}~";
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return refuse("the part before @ is malformed");
  }
  for (const char c : local) {
    if (!IsAsciiAlnum(c) && c != '.' && kAtextSpecials.find(c) == std::string_view::npos) {
      return refuse("the part before @ has a character not allowed there");
    }
  }
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return refuse("the domain is malformed");
  }
  for (const char c : domain) {
    if (!IsAsciiAlnum(c) && c != '.' && c != '-') {
      return refuse("the domain has a character not allowed there");
    }
  }
  return {};
}

std::string FormatDate(Clock::TimePoint time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday], utc.tm_mday,
                kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

std::string RandomHex128() {
  static std::mutex mu;
  static std::mt19937_64 generator = [] {
    // Several processes share one outbox: seed with more than one 32-bit value.
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  std::uint64_t a;
  std::uint64_t b;
  {
    std::lock_guard lock(mu);
    a = generator();
    b = generator();
  }
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return text;
}

Result<std::string> BuildMessage(const Message& message, const Envelope& envelope) {
  if (Status ok = ValidateMailAddress(envelope.from_address, "sender address"); !ok)
    return std::unexpected(ok.error());
  if (Status ok = ValidateMailAddress(message.to, "recipient address"); !ok)
    return std::unexpected(ok.error());
  if (Status ok = CheckHeaderText(message.subject, "subject"); !ok) return std::unexpected(ok.error());
  if (Status ok = CheckHeaderText(envelope.from_name, "sender name"); !ok) return std::unexpected(ok.error());
  if (!IsUtf8(message.text_body)) {
    return MakeError(ErrorCode::kInvalidArgument, "message body is not valid UTF-8");
  }
  if (message.text_body.find('\0') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "message body contains a NUL byte");
  }
  std::string message_id = envelope.message_id;
  if (message_id.empty()) {
    message_id = RandomHex128() + envelope.from_address.substr(envelope.from_address.find('@'));
  } else if (Status ok = ValidateMailAddress(message_id, "message id"); !ok) {
    return std::unexpected(ok.error());
  }

  const std::vector<std::string_view> lines = Lines(message.text_body);
  bool plain = IsAscii(message.text_body);
  for (std::string_view line : lines) {
    if (line.size() > kMaxBodyLine) plain = false;
  }

  std::string out;
  out += "Date: " + FormatDate(envelope.date) + "\r\n";
  out += "From: ";
  if (!envelope.from_name.empty()) out += DisplayName(envelope.from_name) + " ";
  out += "<" + envelope.from_address + ">\r\n";
  out += "To: <" + message.to + ">\r\n";
  out += "Subject: " + HeaderText(message.subject) + "\r\n";
  out += "Message-ID: <" + message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += plain ? "Content-Transfer-Encoding: 7bit\r\n" : "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  for (std::string_view line : lines) {
    if (plain) {
      out += line;
      out += "\r\n";
    } else {
      AppendQuotedPrintable(line, out);
    }
  }
  return out;
}

}  // namespace maskfleet::mail
