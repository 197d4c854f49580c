// Request ids: one per HTTP request, in the X-Request-Id header of its answer and
// in every log line about it, so that a line in the load balancer's log, a
// worker's log and a user's bug report can be matched.
//
// An id that arrives in the request's X-Request-Id header is kept when it looks
// sane (a load balancer or a client chose it); anything else is replaced by a new
// random one, so a client cannot inject spaces, quotes or megabytes into logs.
// Ids are not secrets and not unguessable: they come from a per-thread
// std::mt19937_64 seeded from std::random_device.
//
// Thread safety: the functions may be called from any thread.
#ifndef MASKFLEET_OBSERVABILITY_REQUEST_ID_H_
#define MASKFLEET_OBSERVABILITY_REQUEST_ID_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace maskfleet::observability {

inline constexpr std::string_view kRequestIdHeader = "X-Request-Id";
inline constexpr std::size_t kMaxRequestIdLength = 64;

// True when `id` is 1..64 characters, each one of A-Z a-z 0-9 . _ -
bool IsAcceptableRequestId(std::string_view id);

// 16 lower-case hexadecimal digits of `bits` (for tests and for NewRequestId).
std::string FormatRequestId(std::uint64_t bits);

// A new random id: 16 lower-case hexadecimal digits.
std::string NewRequestId();

// `incoming` (the request's X-Request-Id, empty when absent) when it is
// acceptable, else NewRequestId().
std::string RequestIdFor(std::string_view incoming);

}  // namespace maskfleet::observability

#endif  // MASKFLEET_OBSERVABILITY_REQUEST_ID_H_
