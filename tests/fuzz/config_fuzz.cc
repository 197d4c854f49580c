// Fuzz target: the configuration loader (config/config_source.h) on a TOML file, and
// the settings both apps share (config/shared_config.h) read from it. The file is an
// in-memory file (memfd), read through its /proc path as a real file would be. Checks
// that a refused file is refused with the documented code, that a file that loads
// gives settings within their documented ranges, and that every key of the file that
// no getter asked for is reported.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "maskfleet/config/config_source.h"
#include "maskfleet/config/shared_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maskfleet::ErrorCode;
  using maskfleet::config::ConfigSource;
  const int fd = memfd_create("fuzz.toml", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, data + written, size - written);
    FUZZ_CHECK(n > 0);
    written += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  // No environment: only the file speaks.
  maskfleet::Result<ConfigSource> source = ConfigSource::FromFile(
      path, [](const char*) -> const char* { return nullptr; });
  close(fd);
  if (!source) {
    FUZZ_CHECK(source.error().code == ErrorCode::kInvalidArgument);
    return 0;
  }
  maskfleet::Result<std::int64_t> port = source->Int("worker", "port", 8080, 1, 65535);
  if (port) FUZZ_CHECK(*port >= 1 && *port <= 65535);
  maskfleet::Result<double> ratio = source->Double("scaler", "grow_above", 70, 0, 100);
  if (ratio) FUZZ_CHECK(*ratio >= 0 && *ratio <= 100);
  (void)source->Bool("worker", "trust_forwarded_for", false);
  (void)source->String("worker", "host", "127.0.0.1");

  maskfleet::Result<maskfleet::config::SharedConfig> shared = maskfleet::config::SharedConfig::Read(*source);
  if (shared) {
    FUZZ_CHECK(shared->database_pool >= 1);
    FUZZ_CHECK(shared->session_days >= 1);
  } else {
    FUZZ_CHECK(shared.error().code == ErrorCode::kInvalidArgument);
  }
  maskfleet::Status unknown = source->RejectUnknownKeys();
  FUZZ_CHECK(unknown.has_value() == source->UnknownKeys().empty());
  return 0;
}
