// A Python helper of tests/aws (the moto bed, the fault proxy) run as a child process
// of a test binary: started with the build's venv Python, it prints one line of JSON
// (where it listens, keys) and runs until its standard input closes, which happens
// when this object is destroyed or the test binary exits.
//
// Thread safety: none needed (made once, read-only afterwards).
#ifndef MASKFLEET_AWS_TESTING_HELPER_SCRIPT_H_
#define MASKFLEET_AWS_TESTING_HELPER_SCRIPT_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "maskfleet/common/error.h"

namespace maskfleet::aws::testing {

class HelperScript {
 public:
  ~HelperScript();
  HelperScript(const HelperScript&) = delete;
  HelperScript& operator=(const HelperScript&) = delete;

  // The JSON object of its first line.
  const nlohmann::json& announced() const { return announced_; }

  // Runs `python script args...` and waits up to `timeout` for its line. Errors:
  // kFailedPrecondition (no such Python or script), kUnavailable (it did not start or
  // printed no JSON object; its errors are on stderr).
  static Result<std::unique_ptr<HelperScript>> Start(const std::string& python, const std::string& script,
                                                     const std::vector<std::string>& args,
                                                     std::chrono::seconds timeout);

 private:
  HelperScript() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  nlohmann::json announced_;
};

}  // namespace maskfleet::aws::testing

#endif  // MASKFLEET_AWS_TESTING_HELPER_SCRIPT_H_
