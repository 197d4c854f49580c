#include "maskfleet/detect/detector.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "maskfleet/detect/anchors.h"

namespace maskfleet::detect {
namespace {

Result<std::vector<char>> ReadWholeFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kNotFound, "model file not found: " + path.string());
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return MakeError(ErrorCode::kInternal,
                     "cannot read model file " + path.string() + ": " + std::strerror(errno));
  }
  if (data.empty()) {
    return MakeError(ErrorCode::kInternal, "model file is empty: " + path.string());
  }
  return data;
}

const std::vector<Box>& Anchors() {
  static const std::vector<Box> anchors = GenerateAnchors(AizooAnchorConfig());
  return anchors;
}

}  // namespace

Result<ModelData> ModelData::Load(const std::filesystem::path& dir) {
  Result<std::vector<char>> prototxt = ReadWholeFile(dir / kPrototxtName);
  if (!prototxt) return std::unexpected(prototxt.error());
  Result<std::vector<char>> caffemodel = ReadWholeFile(dir / kCaffemodelName);
  if (!caffemodel) return std::unexpected(caffemodel.error());
  return ModelData{dir, std::move(*prototxt), std::move(*caffemodel)};
}

Detector::Detector(cv::dnn::Net net, const DetectorOptions& options)
    : net_(std::move(net)), options_(options) {
  output_names_ = {"loc_branch_concat", "cls_branch_concat"};
}

Result<std::unique_ptr<Detector>> Detector::Create(const ModelData& model,
                                                   const DetectorOptions& options) {
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromCaffe(model.prototxt.data(), model.prototxt.size(),
                                    model.caffemodel.data(), model.caffemodel.size());
  } catch (const cv::Exception& e) {
    return MakeError(ErrorCode::kInternal,
                     "cannot load the model from " + model.dir.string() + ": " + e.msg);
  }
  if (net.empty()) {
    return MakeError(ErrorCode::kInternal, "cannot load the model from " + model.dir.string());
  }
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return std::unique_ptr<Detector>(new Detector(std::move(net), options));
}

cv::Mat Detector::Prepare(const cv::Mat& bgr) {
  // blobFromImage's own resize samples bilinearly, which aliases a large photo into
  // noise the model never saw in training; area averaging shrinks it cleanly.
  const bool shrinking = bgr.cols > kInputSide && bgr.rows > kInputSide;
  cv::Mat input;
  cv::resize(bgr, input, cv::Size(kInputSide, kInputSide), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return cv::dnn::blobFromImage(input, 1.0 / 255, cv::Size(), cv::Scalar(), /*swapRB=*/true,
                                /*crop=*/false);
}

Status Detector::Infer(const cv::Mat& blob, cv::Mat& locations, cv::Mat& scores) {
  std::vector<cv::Mat> outputs;
  try {
    net_.setInput(blob);
    net_.forward(outputs, output_names_);
  } catch (const cv::Exception& e) {
    return MakeError(ErrorCode::kInternal, "inference failed: " + e.msg);
  }
  const std::size_t anchors = Anchors().size();
  if (outputs.size() != 2 || outputs[0].total() != anchors * 4 || outputs[1].total() != anchors * 2) {
    return MakeError(ErrorCode::kInternal, "the model's outputs do not match its 5972 anchors");
  }
  locations = outputs[0];
  scores = outputs[1];
  return {};
}

std::vector<Face> Detector::Postprocess(const cv::Mat& locations, const cv::Mat& scores,
                                        cv::Size picture) const {
  const std::span<const float> loc(locations.ptr<float>(), locations.total());
  const std::span<const float> cls(scores.ptr<float>(), scores.total());
  std::vector<Face> faces;
  for (const Detection& d : detect::Postprocess(loc, cls, Anchors(), options_.postprocess)) {
    const Box px{d.box.xmin * picture.width, d.box.ymin * picture.height,
                 d.box.xmax * picture.width, d.box.ymax * picture.height};
    faces.push_back({px, d.masked, d.confidence});
  }
  return faces;
}

Result<std::vector<Face>> Detector::Detect(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return MakeError(ErrorCode::kInvalidArgument, "detector input must be a non-empty BGR picture");
  }
  Result<std::vector<Face>> faces = DetectOnce(bgr);
  if (!faces || !options_.verify_close_ups) return faces;
  return VerifyCloseUps(bgr, std::move(*faces));
}

Result<std::vector<Face>> Detector::DetectOnce(const cv::Mat& bgr) {
  cv::Mat locations;
  cv::Mat scores;
  if (Status s = Infer(Prepare(bgr), locations, scores); !s) return std::unexpected(s.error());
  return Postprocess(locations, scores, bgr.size());
}

bool Detector::IsCloseUp(const Face& face, cv::Size picture) const {
  return face.box.width() > options_.close_up_fraction * picture.width ||
         face.box.height() > options_.close_up_fraction * picture.height;
}

Result<std::vector<Face>> Detector::VerifyCloseUps(const cv::Mat& bgr, std::vector<Face> faces) {
  if (std::none_of(faces.begin(), faces.end(),
                   [&](const Face& f) { return IsCloseUp(f, bgr.size()); })) {
    return faces;
  }
  // The picture in the middle of a grey frame twice its size: the network sees it
  // at half the scale, in the same aspect ratio.
  const int dx = bgr.cols / 2;
  const int dy = bgr.rows / 2;
  cv::Mat framed;
  cv::copyMakeBorder(bgr, framed, dy, dy, dx, dx, cv::BORDER_CONSTANT, cv::Scalar(127, 127, 127));
  Result<std::vector<Face>> again = DetectOnce(framed);
  if (!again) return std::unexpected(again.error());

  std::erase_if(faces, [&](const Face& f) {
    if (!IsCloseUp(f, bgr.size())) return false;
    const Box shifted{f.box.xmin + dx, f.box.ymin + dy, f.box.xmax + dx, f.box.ymax + dy};
    return std::none_of(again->begin(), again->end(), [&](const Face& g) {
      return IntersectionOverUnion(g.box, shifted) > options_.postprocess.iou_threshold;
    });
  });
  return faces;
}

DetectorPool::DetectorPool(std::vector<std::unique_ptr<Detector>> detectors)
    : all_(std::move(detectors)) {
  for (auto& d : all_) idle_.push_back(d.get());
}

Result<std::unique_ptr<DetectorPool>> DetectorPool::Create(const ModelData& model, int size,
                                                           const DetectorOptions& options) {
  std::vector<std::unique_ptr<Detector>> detectors;
  for (int i = 0; i < std::max(size, 1); ++i) {
    Result<std::unique_ptr<Detector>> d = Detector::Create(model, options);
    if (!d) return std::unexpected(d.error());
    detectors.push_back(std::move(*d));
  }
  return std::unique_ptr<DetectorPool>(new DetectorPool(std::move(detectors)));
}

Result<std::vector<Face>> DetectorPool::Detect(const cv::Mat& bgr) {
  Detector* detector;
  {
    std::unique_lock lock(mu_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    detector = idle_.back();
    idle_.pop_back();
  }
  Result<std::vector<Face>> faces = detector->Detect(bgr);
  {
    std::lock_guard lock(mu_);
    idle_.push_back(detector);
  }
  available_.notify_one();
  return faces;
}

}  // namespace maskfleet::detect
