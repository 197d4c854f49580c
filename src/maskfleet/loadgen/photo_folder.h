// The photos a load-generator run uploads: every JPEG, PNG, WebP or BMP file
// directly in a folder (not its subfolders), read into memory once, in name
// order; the runner cycles through them.
//
// A file counts as a photo when its first bytes are one of the four formats'
// signatures, or, failing that, when its extension is one of theirs (.jpg
// .jpeg .png .webp .bmp, any case), so that a deliberately broken photo can be
// part of the load. Anything else (a README, a hidden file) is skipped.
//
// Pure functions of the file system's content; safe from any thread.
#ifndef MASKFLEET_LOADGEN_PHOTO_FOLDER_H_
#define MASKFLEET_LOADGEN_PHOTO_FOLDER_H_

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::loadgen {

struct Photo {
  std::string name;          // the file name, without the folder
  std::string content_type;  // "image/jpeg" ...; "application/octet-stream" when only the name said image
  std::string bytes;
};

// The content type its signature says, or an empty view if it has none of the four.
std::string_view SniffImageType(std::string_view bytes);
// Whether `name`'s extension is one of the four formats'.
bool HasImageExtension(std::string_view name);

// Reads the folder's photos in name order (byte-wise). Errors: kNotFound when the
// folder cannot be read, kInvalidArgument when it holds no photo, kTooLarge when
// one file is above `max_file_bytes` (the message names it).
Result<std::vector<Photo>> LoadPhotoFolder(const std::filesystem::path& folder,
                                           std::int64_t max_file_bytes = 64 * 1024 * 1024);

}  // namespace maskfleet::loadgen

#endif  // MASKFLEET_LOADGEN_PHOTO_FOLDER_H_
