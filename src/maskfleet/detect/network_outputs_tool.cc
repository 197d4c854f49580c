// Checks that the OpenCV maskfleet is built against runs the model as another
// OpenCV build does: one build writes the network's raw outputs on the dev and
// no-face photos of shared/testdata, the other compares its own with them: scores
// and the boxes the offsets decode to within a tolerance, and the same faces
// decoded from both. CTest runs it across the pinned OpenCV and Debian's (see
// src/maskfleet/detect/CMakeLists.txt); it is a test tool, never installed.
//
//   detect_network_outputs version           the OpenCV version loaded at run time
//   detect_network_outputs write FILE        outputs of this build into FILE
//   detect_network_outputs compare FILE TOL  this build's outputs against FILE: exit 0
//                                            when every output is within TOL and the
//                                            faces are the same, else 1
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "maskfleet/detect/anchors.h"
#include "maskfleet/detect/detector.h"
#include "maskfleet/detect/postprocess.h"
#include "maskfleet/image/codec.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet::detect {
namespace {

// What one photo gives: the network's outputs for the photo at 260x260.
struct PhotoOutputs {
  std::vector<float> network;  // locations, then scores
  cv::Size picture;
};

// The faces that `network` gives for a picture of `picture`, decoded by this build's
// code (so the comparison does not depend on the other build's version of it).
std::vector<Face> FacesOf(const Detector& detector, const std::vector<float>& network, cv::Size picture) {
  const std::size_t anchors = network.size() / 6;
  const cv::Mat locations(1, static_cast<int>(anchors * 4), CV_32F, const_cast<float*>(network.data()));
  const cv::Mat scores(1, static_cast<int>(anchors * 2), CV_32F,
                       const_cast<float*>(network.data() + anchors * 4));
  return detector.Postprocess(locations, scores, picture);
}

std::vector<std::filesystem::path> Photos() {
  std::vector<std::filesystem::path> photos = testing::ListFiles(testing::FaceMaskDir() / "images", {".png"});
  for (const auto& p : testing::ListFiles(testing::NoFaceDir(), {".png", ".jpg"})) photos.push_back(p);
  return photos;
}

Result<std::vector<PhotoOutputs>> Compute() {
  Result<ModelData> model = ModelData::Load(testing::ModelDir());
  if (!model) return std::unexpected(model.error());
  Result<std::unique_ptr<Detector>> detector = Detector::Create(*model);
  if (!detector) return std::unexpected(detector.error());
  std::vector<PhotoOutputs> all;
  for (const auto& path : Photos()) {
    Result<image::DecodedPhoto> photo = image::DecodePhoto(testing::ReadBytes(path), {});
    if (!photo) return std::unexpected(photo.error());
    cv::Mat locations;
    cv::Mat scores;
    if (Status s = (*detector)->Infer(Detector::Prepare(photo->pixels), locations, scores); !s) {
      return std::unexpected(s.error());
    }
    PhotoOutputs out;
    out.network.assign(locations.ptr<float>(), locations.ptr<float>() + locations.total());
    out.network.insert(out.network.end(), scores.ptr<float>(), scores.ptr<float>() + scores.total());
    out.picture = photo->pixels.size();
    all.push_back(std::move(out));
  }
  return all;
}

template <typename T>
void Put(std::ofstream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
bool Get(std::ifstream& in, T& value) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&value), sizeof value));
}

int Write(const std::string& file) {
  Result<std::vector<PhotoOutputs>> all = Compute();
  if (!all) {
    std::fprintf(stderr, "%s\n", all.error().ToString().c_str());
    return 2;
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  Put(out, static_cast<std::uint32_t>(all->size()));
  for (const PhotoOutputs& p : *all) {
    Put(out, static_cast<std::uint32_t>(p.network.size()));
    out.write(reinterpret_cast<const char*>(p.network.data()),
              static_cast<std::streamsize>(p.network.size() * sizeof(float)));
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", file.c_str());
    return 2;
  }
  std::printf("OpenCV %s: outputs of %zu photos written to %s\n", CV_VERSION, all->size(), file.c_str());
  return 0;
}

int Compare(const std::string& file, double tolerance) {
  Result<std::vector<PhotoOutputs>> all = Compute();
  if (!all) {
    std::fprintf(stderr, "%s\n", all.error().ToString().c_str());
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  std::uint32_t count = 0;
  if (!Get(in, count) || count != all->size()) {
    std::fprintf(stderr, "%s: cannot read, or not %zu photos\n", file.c_str(), all->size());
    return 2;
  }
  const std::vector<std::filesystem::path> names = Photos();
  const std::vector<Box> anchors = GenerateAnchors(AizooAnchorConfig());
  Result<ModelData> model = ModelData::Load(testing::ModelDir());
  if (!model) return 2;
  Result<std::unique_ptr<Detector>> decoder = Detector::Create(*model);
  if (!decoder) return 2;
  double worst_box = 0;
  double worst_score = 0;
  int different_faces = 0;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const PhotoOutputs& mine = (*all)[i];
    std::uint32_t n = 0;
    if (!Get(in, n) || n != mine.network.size() || n != anchors.size() * 6) {
      std::fprintf(stderr, "%s: outputs of another size\n", file.c_str());
      return 2;
    }
    std::vector<float> theirs(n);
    in.read(reinterpret_cast<char*>(theirs.data()), static_cast<std::streamsize>(n * sizeof(float)));
    // Scores (0..1) are compared as they are; box offsets as the boxes they give,
    // in fractions of the picture (an offset's error is scaled by the SSD variance
    // and the anchor's size, and the raw offsets reach tens).
    const std::size_t n_anchors = anchors.size();
    for (std::size_t k = 0; k < n_anchors * 2; ++k) {
      worst_score = std::max(worst_score, std::abs(static_cast<double>(theirs[n_anchors * 4 + k]) -
                                                   mine.network[n_anchors * 4 + k]));
    }
    for (std::size_t k = 0; k < n_anchors; ++k) {
      const Box a = DecodeBox(anchors[k], std::span<const float, 4>(theirs.data() + 4 * k, 4));
      const Box b = DecodeBox(anchors[k], std::span<const float, 4>(mine.network.data() + 4 * k, 4));
      for (auto [x, y] : {std::pair{a.xmin, b.xmin}, {a.ymin, b.ymin}, {a.xmax, b.xmax}, {a.ymax, b.ymax}}) {
        worst_box = std::max(worst_box, std::abs(static_cast<double>(x) - y));
      }
    }
    const std::vector<Face> their_faces = FacesOf(**decoder, theirs, mine.picture);
    const std::vector<Face> my_faces = FacesOf(**decoder, mine.network, mine.picture);
    bool same = their_faces.size() == my_faces.size();
    for (std::size_t k = 0; same && k < their_faces.size(); ++k) {
      const Face& a = their_faces[k];
      const Face& b = my_faces[k];
      same = a.masked == b.masked && std::abs(a.confidence - b.confidence) <= tolerance &&
             IntersectionOverUnion(a.box, b.box) > 0.999f;
    }
    if (!same) {
      ++different_faces;
      std::printf("%s: faces differ (%zu there, %zu here)\n", names[i].filename().c_str(), their_faces.size(),
                  my_faces.size());
    }
  }
  if (!in) {
    std::fprintf(stderr, "%s: truncated\n", file.c_str());
    return 2;
  }
  std::printf(
      "OpenCV %s against %s: %zu photos, largest difference of a score %.3g, of a box's "
      "corner %.3g of the picture (tolerance %.3g), %d photos with other faces\n",
      CV_VERSION, file.c_str(), all->size(), worst_score, worst_box, tolerance, different_faces);
  return worst_score <= tolerance && worst_box <= tolerance && different_faces == 0 ? 0 : 1;
}

}  // namespace
}  // namespace maskfleet::detect

int main(int argc, char** argv) {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "version") {
    std::printf("%s\n", cv::getVersionString().c_str());
    return 0;
  }
  if (args.size() == 2 && args[0] == "write") return maskfleet::detect::Write(args[1]);
  if (args.size() == 3 && args[0] == "compare") {
    return maskfleet::detect::Compare(args[1], std::stod(args[2]));
  }
  std::fprintf(stderr, "usage: %s version | write FILE | compare FILE TOLERANCE\n", argv[0]);
  return 2;
}
