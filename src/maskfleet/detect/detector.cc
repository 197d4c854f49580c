#include "maskfleet/detect/detector.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
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

Result<std::unique_ptr<Detector>> Detector::Create(const ModelData& model, const DetectorOptions& options) {
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromCaffe(model.prototxt.data(), model.prototxt.size(), model.caffemodel.data(),
                                    model.caffemodel.size());
  } catch (const cv::Exception& e) {
    return MakeError(ErrorCode::kInternal, "cannot load the model from " + model.dir.string() + ": " + e.msg);
  }
  if (net.empty()) {
    return MakeError(ErrorCode::kInternal, "cannot load the model from " + model.dir.string());
  }
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return std::unique_ptr<Detector>(new Detector(std::move(net), options));
}

std::string_view QualityName(Quality quality) {
  switch (quality) {
    case Quality::kFast: return "fast";
    case Quality::kThorough: return "thorough";
  }
  return "fast";
}

Result<Quality> ParseQuality(std::string_view name) {
  for (Quality q : {Quality::kFast, Quality::kThorough}) {
    if (name == QualityName(q)) return q;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "detection quality must be fast or thorough, not \"" + std::string(name) + "\"");
}

namespace {

// The picture at the network's input size. blobFromImage's own resize samples
// bilinearly, which aliases a large photo into noise the model never saw in
// training; area averaging shrinks it cleanly.
cv::Mat ResizeForModel(const cv::Mat& bgr) {
  const bool shrinking = bgr.cols > kInputSide && bgr.rows > kInputSide;
  cv::Mat input;
  cv::resize(bgr, input, cv::Size(kInputSide, kInputSide), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return input;
}

// Positions and length of `grid` segments covering 0..length, neighbours overlapping
// by `overlap` of a segment.
std::vector<std::pair<int, int>> Segments(int length, int grid, float overlap) {
  if (grid <= 1) return {{0, length}};
  const int side = std::min(
      length, static_cast<int>(std::ceil(length / (grid - (grid - 1) * static_cast<double>(overlap)))));
  std::vector<std::pair<int, int>> out;
  for (int i = 0; i < grid; ++i) {
    out.emplace_back(static_cast<int>(std::lround(static_cast<double>(length - side) * i / (grid - 1))),
                     side);
  }
  return out;
}

// A face on a tile that touches an edge of the tile inside the picture is a face
// cut in two: the neighbouring tile or the whole picture sees it whole.
bool CutByTileEdge(const Box& box, const cv::Rect& tile, cv::Size picture) {
  const float margin_x = 0.01f * tile.width + 1;
  const float margin_y = 0.01f * tile.height + 1;
  return (tile.x > 0 && box.xmin < margin_x) || (tile.y > 0 && box.ymin < margin_y) ||
         (tile.x + tile.width < picture.width && box.xmax > tile.width - margin_x) ||
         (tile.y + tile.height < picture.height && box.ymax > tile.height - margin_y);
}

}  // namespace

std::vector<cv::Rect> Tiles(cv::Size size, int grid, float overlap) {
  std::vector<cv::Rect> tiles;
  for (const auto& [y, h] : Segments(size.height, grid, overlap)) {
    for (const auto& [x, w] : Segments(size.width, grid, overlap)) tiles.emplace_back(x, y, w, h);
  }
  return tiles;
}

std::vector<Face> FuseFaces(std::vector<Face> faces, float iou) {
  std::stable_sort(faces.begin(), faces.end(),
                   [](const Face& a, const Face& b) { return a.confidence > b.confidence; });
  struct Cluster {
    Box weighted;  // sum of confidence x corner
    float weight = 0;
    float mask_vote = 0;  // sum of +confidence (masked) and -confidence (not)
    Face fused;
  };
  std::vector<Cluster> clusters;
  for (const Face& f : faces) {
    Cluster* best = nullptr;
    float best_iou = iou;
    for (Cluster& c : clusters) {
      const float overlap = IntersectionOverUnion(c.fused.box, f.box);
      if (overlap > best_iou) {
        best_iou = overlap;
        best = &c;
      }
    }
    if (best == nullptr) {
      clusters.push_back({});
      best = &clusters.back();
      best->fused.confidence = f.confidence;
    }
    Cluster& c = *best;
    const float w = f.confidence;
    c.weighted = {c.weighted.xmin + w * f.box.xmin, c.weighted.ymin + w * f.box.ymin,
                  c.weighted.xmax + w * f.box.xmax, c.weighted.ymax + w * f.box.ymax};
    c.weight += w;
    c.mask_vote += f.masked ? w : -w;
    c.fused.box = {c.weighted.xmin / c.weight, c.weighted.ymin / c.weight, c.weighted.xmax / c.weight,
                   c.weighted.ymax / c.weight};
    c.fused.masked = c.mask_vote >= 0;
  }
  std::vector<Face> out;
  out.reserve(clusters.size());
  for (const Cluster& c : clusters) out.push_back(c.fused);
  return out;  // clusters were opened strongest first
}

bool SureOnTile(const Face& face, const TilingOptions& tiling) {
  return face.confidence > (face.masked ? tiling.tile_confidence : tiling.tile_unmasked_confidence);
}

Box CorrectBox(const Box& box, const BoxCorrection& correction, cv::Size picture) {
  const float cx = (box.xmin + box.xmax) / 2;
  const float cy = (box.ymin + box.ymax) / 2 + correction.shift_down * box.height();
  const float half_w = box.width() * correction.width_scale / 2;
  const float half_h = box.height() * correction.height_scale / 2;
  const auto w = static_cast<float>(picture.width);
  const auto h = static_cast<float>(picture.height);
  return {std::clamp(cx - half_w, 0.0f, w), std::clamp(cy - half_h, 0.0f, h),
          std::clamp(cx + half_w, 0.0f, w), std::clamp(cy + half_h, 0.0f, h)};
}

cv::Mat Detector::Prepare(const cv::Mat& bgr) {
  return cv::dnn::blobFromImage(ResizeForModel(bgr), 1.0 / 255, cv::Size(), cv::Scalar(),
                                /*swapRB=*/true, /*crop=*/false);
}

cv::Mat Detector::PrepareBatch(const std::vector<cv::Mat>& pictures) {
  std::vector<cv::Mat> inputs;
  inputs.reserve(pictures.size());
  for (const cv::Mat& p : pictures) inputs.push_back(ResizeForModel(p));
  return cv::dnn::blobFromImages(inputs, 1.0 / 255, cv::Size(), cv::Scalar(), /*swapRB=*/true,
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
  const std::size_t expected = Anchors().size() * static_cast<std::size_t>(blob.size[0]);
  if (outputs.size() != 2 || outputs[0].total() != expected * 4 || outputs[1].total() != expected * 2) {
    return MakeError(ErrorCode::kInternal, "the model's outputs do not match its 5972 anchors");
  }
  locations = outputs[0];
  scores = outputs[1];
  return {};
}

std::vector<Face> Detector::Postprocess(const cv::Mat& locations, const cv::Mat& scores, cv::Size picture,
                                        int index) const {
  const std::size_t anchors = Anchors().size();
  const std::span<const float> loc(locations.ptr<float>() + index * anchors * 4, anchors * 4);
  const std::span<const float> cls(scores.ptr<float>() + index * anchors * 2, anchors * 2);
  std::vector<Face> faces;
  for (const Detection& d : detect::Postprocess(loc, cls, Anchors(), options_.postprocess)) {
    const Box px{d.box.xmin * picture.width, d.box.ymin * picture.height, d.box.xmax * picture.width,
                 d.box.ymax * picture.height};
    faces.push_back({px, d.masked, d.confidence});
  }
  return faces;
}

Result<std::vector<Face>> Detector::Detect(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return MakeError(ErrorCode::kInvalidArgument, "detector input must be a non-empty BGR picture");
  }
  Result<std::vector<Face>> faces = DetectAsTheModelDraws(bgr);
  if (!faces) return faces;
  for (Face& f : *faces) f.box = CorrectBox(f.box, options_.box_correction, bgr.size());
  return faces;
}

Result<std::vector<Face>> Detector::DetectAsTheModelDraws(const cv::Mat& bgr) {
  cv::Mat locations;
  cv::Mat scores;
  if (Status s = Infer(Prepare(bgr), locations, scores); !s) return std::unexpected(s.error());
  std::vector<Face> faces = Postprocess(locations, scores, bgr.size());
  last_passes_ = 1;

  const bool check_close_ups = options_.verify_close_ups &&
                               std::any_of(faces.begin(), faces.end(),
                                           [&](const Face& f) { return NeedsCloseUpCheck(f, bgr.size()); });
  const bool tile = options_.quality == Quality::kThorough && MayHaveSmallFaces(faces, bgr.size());
  if (!check_close_ups && !tile) return faces;

  // One more forward call for the tiles and the close-up check together.
  std::vector<cv::Mat> pictures;
  const std::vector<cv::Rect> tiles = tile ? Tiles(bgr.size(), options_.tiling.grid, options_.tiling.overlap)
                                           : std::vector<cv::Rect>{};
  for (const cv::Rect& r : tiles) pictures.push_back(bgr(r));
  // For the close-up check, the picture in the middle of a grey frame twice its size:
  // the network sees it at half the scale, in the same aspect ratio.
  const int dx = bgr.cols / 2;
  const int dy = bgr.rows / 2;
  if (check_close_ups) {
    cv::Mat framed;
    cv::copyMakeBorder(bgr, framed, dy, dy, dx, dx, cv::BORDER_CONSTANT, cv::Scalar(127, 127, 127));
    pictures.push_back(framed);
  }
  if (Status s = Infer(PrepareBatch(pictures), locations, scores); !s) return std::unexpected(s.error());
  last_passes_ += static_cast<int>(pictures.size());

  if (check_close_ups) {
    const int framed_index = static_cast<int>(pictures.size()) - 1;
    const std::vector<Face> again = Postprocess(locations, scores, pictures[framed_index].size(),
                                                framed_index);
    std::erase_if(faces, [&](const Face& f) {
      if (!NeedsCloseUpCheck(f, bgr.size())) return false;
      const Box shifted{f.box.xmin + dx, f.box.ymin + dy, f.box.xmax + dx, f.box.ymax + dy};
      return std::none_of(again.begin(), again.end(), [&](const Face& g) {
        return IntersectionOverUnion(g.box, shifted) > options_.postprocess.iou_threshold;
      });
    });
  }
  if (!tile) return faces;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const cv::Rect& r = tiles[i];
    for (const Face& f : Postprocess(locations, scores, r.size(), static_cast<int>(i))) {
      if (!SureOnTile(f, options_.tiling) || CutByTileEdge(f.box, r, bgr.size())) continue;
      const auto x = static_cast<float>(r.x);
      const auto y = static_cast<float>(r.y);
      faces.push_back(
          {{f.box.xmin + x, f.box.ymin + y, f.box.xmax + x, f.box.ymax + y}, f.masked, f.confidence});
    }
  }
  return FuseFaces(std::move(faces), options_.tiling.fusion_iou);
}

bool Detector::IsCloseUp(const Face& face, cv::Size picture) const {
  return face.box.width() > options_.close_up_fraction * picture.width ||
         face.box.height() > options_.close_up_fraction * picture.height;
}

bool Detector::NeedsCloseUpCheck(const Face& face, cv::Size picture) const {
  return IsCloseUp(face, picture) && face.confidence < options_.close_up_sure;
}

bool Detector::MayHaveSmallFaces(const std::vector<Face>& faces, cv::Size picture) const {
  if (faces.empty()) return std::max(picture.width, picture.height) >= options_.tiling.min_side_without_faces;
  const float small = options_.tiling.small_face_fraction *
                      static_cast<float>(std::min(picture.width, picture.height));
  return std::any_of(faces.begin(), faces.end(),
                     [&](const Face& f) { return std::min(f.box.width(), f.box.height()) < small; });
}

DetectorPool::DetectorPool(std::vector<std::unique_ptr<Detector>> detectors) : all_(std::move(detectors)) {
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
