#include "maskfleet/common/utf8.h"

#include <utf8.h>

namespace maskfleet {

std::string ToValidUtf8(std::string_view text, std::size_t max_bytes) {
  std::string out = utf8::is_valid(text.begin(), text.end()) ? std::string(text)
                                                             : utf8::replace_invalid(text);
  if (out.size() <= max_bytes) return out;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that
  // does not fit whole.
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out;
}

bool IsValidUtf8(std::string_view text) { return utf8::is_valid(text.begin(), text.end()); }

}  // namespace maskfleet
