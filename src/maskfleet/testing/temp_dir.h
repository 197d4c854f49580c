// A fresh folder under /tmp for one test, removed on destruction (test code only).
// Header-only, so that tests of any component can use it without linking the
// testing library (which pulls in the detector).
#ifndef MASKFLEET_TESTING_TEMP_DIR_H_
#define MASKFLEET_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace maskfleet::testing {

class TempDir {
 public:
  // /tmp/<prefix>-XXXXXX: keep the prefix short where a UNIX socket goes inside.
  explicit TempDir(std::string_view prefix = "mf-test") {
    std::string pattern = "/tmp/" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace maskfleet::testing

#endif  // MASKFLEET_TESTING_TEMP_DIR_H_
