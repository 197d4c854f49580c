#include "maskfleet/objectstore/object_key.h"

#include <algorithm>

namespace maskfleet::objectstore {
namespace {

bool AllowedChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

// What to show of a rejected key: its start, with anything odd made visible.
std::string Shown(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (key.size() > 40) out += "...";
  return "'" + out + "'";
}

Status Invalid(std::string_view key, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument, "object key " + Shown(key) + ": " + std::string(why));
}

// Checks one segment; `partial` allows an empty segment (a prefix ending in '/' or "").
Status CheckSegment(std::string_view key, std::string_view segment, bool partial) {
  if (segment.empty()) {
    return partial ? Status{} : Invalid(key, "empty segment (leading, trailing or double '/')");
  }
  if (segment.size() > kMaxObjectKeySegmentLength) return Invalid(key, "segment too long");
  if (segment.front() == '.') return Invalid(key, "segment starts with '.'");
  if (!std::all_of(segment.begin(), segment.end(), AllowedChar)) {
    return Invalid(key, "character outside [A-Za-z0-9._-] in a segment");
  }
  return {};
}

Status Check(std::string_view key, bool prefix) {
  if (key.size() > kMaxObjectKeyLength) return Invalid(key, "longer than 512 bytes");
  if (key.empty()) return prefix ? Status{} : Invalid(key, "empty");
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view segment = key.substr(start, last ? std::string_view::npos : slash - start);
    if (auto st = CheckSegment(key, segment, prefix && last); !st) return st;
    if (last) return {};
    start = slash + 1;
  }
}

}  // namespace

Status ValidateObjectKey(std::string_view key) { return Check(key, /*prefix=*/false); }

Status ValidateObjectPrefix(std::string_view prefix) { return Check(prefix, /*prefix=*/true); }

std::string SanitizeKeySegment(std::string_view text, std::size_t max_length) {
  max_length = std::clamp<std::size_t>(max_length, 1, kMaxObjectKeySegmentLength);
  std::string out;
  for (char c : text) {
    if (out.size() == max_length) break;
    out += AllowedChar(c) ? c : '_';
  }
  for (char& c : out) {
    if (c != '.') break;
    c = '_';
  }
  if (out.empty()) out = "_";
  return out;
}

}  // namespace maskfleet::objectstore
