// Text from outside made safe to keep and to show: valid UTF-8, within a byte limit.
//
// A file name, a header or a form field may hold any bytes. What the program keeps and
// later sends as JSON (which must be UTF-8) goes through ToValidUtf8 once, where it
// comes in: every invalid sequence (a stray continuation byte, an overlong form, a
// surrogate, a code point above U+10FFFF, a sequence cut short) becomes U+FFFD, and a
// text over the limit is cut at the last character boundary that fits, so that no
// character is ever split.
//
// Pure functions (utf8cpp underneath); safe across threads.
#ifndef MASKFLEET_COMMON_UTF8_H_
#define MASKFLEET_COMMON_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace maskfleet {

// `text` with every invalid sequence replaced by U+FFFD (3 bytes), then cut to at most
// `max_bytes` bytes on a character boundary. Valid text within the limit comes back
// unchanged.
std::string ToValidUtf8(std::string_view text, std::size_t max_bytes);

// Whether `text` is valid UTF-8 as ToValidUtf8 judges it.
bool IsValidUtf8(std::string_view text);

}  // namespace maskfleet

#endif  // MASKFLEET_COMMON_UTF8_H_
