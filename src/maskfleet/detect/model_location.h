#ifndef MASKFLEET_DETECT_MODEL_LOCATION_H_
#define MASKFLEET_DETECT_MODEL_LOCATION_H_

#include <filesystem>
#include <string>

namespace maskfleet::detect {

// The folder that holds the model's files, first found of:
//   `flag` when not empty (--model-dir),
//   $MASKFLEET_MODEL_DIR,
//   models/aizoo-face-mask in the folder above the binary's (where setup puts it).
std::filesystem::path ResolveModelDir(const std::string& flag);

}  // namespace maskfleet::detect

#endif  // MASKFLEET_DETECT_MODEL_LOCATION_H_
