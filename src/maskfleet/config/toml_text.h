// A check of text before toml11 parses it.
//
// A TOML document is UTF-8 (TOML 1.0). toml11 3.7, the version Debian 12 ships, reads
// past the end of its buffer when a literal string ('...') holds bytes that are not
// UTF-8 (it rewinds a copy of the string with an iterator into the whole file); found
// by the config and scenario fuzz targets. So every reader of a TOML file checks the
// text with CheckTomlText first and hands toml11 only valid UTF-8.
//
// Pure; safe from any thread.
#ifndef MASKFLEET_CONFIG_TOML_TEXT_H_
#define MASKFLEET_CONFIG_TOML_TEXT_H_

#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::config {

// Ok if `text` is valid UTF-8 (no overlong forms, no surrogates, nothing above
// U+10FFFF). Errors: kInvalidArgument "<source>:<line>: not valid UTF-8 (a TOML file
// is UTF-8)", naming the line of the first bad byte.
Status CheckTomlText(std::string_view text, std::string_view source);

}  // namespace maskfleet::config

#endif  // MASKFLEET_CONFIG_TOML_TEXT_H_
