// Object keys: what every ObjectStore accepts, and how to make a key part from
// untrusted text.
//
// A key is 1..kMaxObjectKeyLength bytes of segments separated by single '/'. A segment
// is made of [A-Za-z0-9._-] and does not start with '.' (which rules out "." and "..",
// hidden files, and the local store's temporary files). So a key has no leading or
// trailing '/', no "//", no backslash, NUL, space or non-ASCII byte: it can never
// escape the local store's root, and it needs no escaping in an S3 URL.
//
// Pure functions, safe across threads.
#ifndef MASKFLEET_OBJECTSTORE_OBJECT_KEY_H_
#define MASKFLEET_OBJECTSTORE_OBJECT_KEY_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::objectstore {

// Below S3's 1024 and the file systems' PATH_MAX; the database's key columns hold it.
inline constexpr std::size_t kMaxObjectKeyLength = 512;
// A segment is a file name on the local store; NAME_MAX is 255.
inline constexpr std::size_t kMaxObjectKeySegmentLength = 255;

// Success for a valid key; kInvalidArgument saying what is wrong otherwise (the message
// quotes no more than the start of the key).
Status ValidateObjectKey(std::string_view key);

// For List: "" or a key's beginning: complete segments as in a key, then optionally a
// '/' or the beginning of a segment ("images/4", "images/42/").
Status ValidateObjectPrefix(std::string_view prefix);

// A valid segment made from arbitrary text (an uploaded file's name): characters outside
// [A-Za-z0-9._-] become '_', leading dots become '_', the result is cut to `max_length`
// (at least 1, at most kMaxObjectKeySegmentLength) and is never empty ("_").
std::string SanitizeKeySegment(std::string_view text, std::size_t max_length = kMaxObjectKeySegmentLength);

}  // namespace maskfleet::objectstore

#endif  // MASKFLEET_OBJECTSTORE_OBJECT_KEY_H_
