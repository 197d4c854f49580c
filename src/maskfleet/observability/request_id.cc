#include "maskfleet/observability/request_id.h"

#include <algorithm>
#include <random>

namespace maskfleet::observability {
namespace {

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

bool IsAcceptableRequestId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestIdLength && std::all_of(id.begin(), id.end(), IsIdChar);
}

std::string FormatRequestId(std::uint64_t bits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = kHex[bits & 0xF];
    bits >>= 4;
  }
  return id;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 engine([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  return FormatRequestId(engine());
}

std::string RequestIdFor(std::string_view incoming) {
  if (IsAcceptableRequestId(incoming)) return std::string(incoming);
  return NewRequestId();
}

}  // namespace maskfleet::observability
