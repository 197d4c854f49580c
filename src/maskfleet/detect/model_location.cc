#include "maskfleet/detect/model_location.h"

#include <cstdlib>

namespace maskfleet::detect {

std::filesystem::path ResolveModelDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("MASKFLEET_MODEL_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::filesystem::path base = ec ? std::filesystem::current_path() : self.parent_path().parent_path();
  return base / "models" / "aizoo-face-mask";
}

}  // namespace maskfleet::detect
