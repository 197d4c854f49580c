// Where tests and benchmarks find the model and the photos of ../shared.
//
// The folder is MASKFLEET_SHARED_DIR when set (CTest sets it from the CMake cache),
// else the `shared` folder beside the repository. Nothing there is ever copied into
// the repository or the build tree.
#ifndef MASKFLEET_TESTING_SHARED_DATA_H_
#define MASKFLEET_TESTING_SHARED_DATA_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskfleet/detect/box.h"

namespace maskfleet::testing {

std::filesystem::path SharedDir();
std::filesystem::path ModelDir();     // models/aizoo-face-mask
std::filesystem::path FaceMaskDir();  // testdata/face-mask (images/, annotations/)
std::filesystem::path NoFaceDir();    // testdata/no-face

// Files of `dir` with one of the given extensions (".png"), sorted by name.
std::vector<std::filesystem::path> ListFiles(const std::filesystem::path& dir,
                                             const std::vector<std::string>& extensions);

// The whole file; aborts the test binary when it cannot be read (test data missing
// is a broken environment, not a test result).
std::vector<std::uint8_t> ReadBytes(const std::filesystem::path& path);

enum class MaskLabel { kWithMask, kWithoutMask, kIncorrect };

struct AnnotatedFace {
  detect::Box box;  // pixels, clipped to the image
  MaskLabel label;
};

// A PASCAL VOC annotation of the face-mask data set (see testdata/SOURCES.md).
struct Annotation {
  std::filesystem::path image;
  int width = 0;
  int height = 0;
  std::vector<AnnotatedFace> faces;
};

// Parses one XML file; aborts on malformed data, as ReadBytes does.
Annotation LoadAnnotation(const std::filesystem::path& xml, const std::filesystem::path& image_dir);

// Every annotated photo of testdata/face-mask, sorted by file name.
std::vector<Annotation> LoadFaceMaskSet();

}  // namespace maskfleet::testing

#endif  // MASKFLEET_TESTING_SHARED_DATA_H_
