#ifndef MASKFLEET_CLI_VERSION_H_
#define MASKFLEET_CLI_VERSION_H_

#include <string_view>

namespace maskfleet::cli {

inline constexpr std::string_view kVersion = MASKFLEET_VERSION;

}  // namespace maskfleet::cli

#endif  // MASKFLEET_CLI_VERSION_H_
