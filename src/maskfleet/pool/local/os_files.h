// Small file helpers for the local pool, turning errno into an Error once, with the
// file's name (after LevelDB's PosixError). Internal to pool/local.
//
// Thread safety: free functions without shared state.
#ifndef MASKFLEET_POOL_LOCAL_OS_FILES_H_
#define MASKFLEET_POOL_LOCAL_OS_FILES_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::pool::local {

// kUnavailable "<what>: <strerror(err)>".
Error OsError(std::string_view what, int err);

// The whole file. Errors: kNotFound (ENOENT), kUnavailable (others).
Result<std::string> ReadTextFile(const std::filesystem::path& path);

// Writes `text` with one write(2) to an existing file, as the kernel's cgroup files
// need (no truncation, no temporary file). Errors: kUnavailable with errno text.
Status WriteControlFile(const std::filesystem::path& path, std::string_view text);

// Replaces `path` with `text` atomically (a temporary file beside it, then rename).
// Errors: kUnavailable.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view text);

}  // namespace maskfleet::pool::local

#endif  // MASKFLEET_POOL_LOCAL_OS_FILES_H_
