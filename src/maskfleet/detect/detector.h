// The face-mask detector: the AIZOO Caffe model run by OpenCV's DNN module.
//
// A Detector owns one network and is NOT safe to use from several threads (a
// network's forward pass writes into its own buffers). DetectorPool holds several
// and is safe: each call borrows one network for its duration, so as many
// detections run at once as the pool has networks, and further callers wait.
//
// The model's files are read once per process (ModelData) and every network is
// built from those bytes in memory.
#ifndef MASKFLEET_DETECT_DETECTOR_H_
#define MASKFLEET_DETECT_DETECTOR_H_

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "maskfleet/common/error.h"
#include "maskfleet/detect/box.h"
#include "maskfleet/detect/postprocess.h"

namespace maskfleet::detect {

inline constexpr char kPrototxtName[] = "face_mask_detection.prototxt";
inline constexpr char kCaffemodelName[] = "face_mask_detection.caffemodel";
inline constexpr int kInputSide = 260;

// The model's two files, read into memory.
struct ModelData {
  std::filesystem::path dir;
  std::vector<char> prototxt;
  std::vector<char> caffemodel;

  // Reads both files from `dir`. Errors: kNotFound naming the missing file,
  // kInternal when a file cannot be read.
  static Result<ModelData> Load(const std::filesystem::path& dir);
};

// A face in the pixel coordinates of the picture it was found in.
struct Face {
  Box box;
  bool masked = false;
  float confidence = 0;
};

// How hard the detector looks. kFast runs the model once on the whole picture (and
// once more on pictures with an uncertain close-up). kThorough also runs it on
// overlapping tiles of the picture, which see faces at twice the resolution and find
// the small faces of crowd photos, when the first pass says faces may be small; it
// costs on average about twice the CPU of kFast (docs/model.md has the figures).
enum class Quality { kFast, kThorough };

// "fast", "thorough".
std::string_view QualityName(Quality quality);
// The inverse of QualityName. Errors: kInvalidArgument naming the accepted values.
Result<Quality> ParseQuality(std::string_view name);

struct TilingOptions {
  // The picture is cut into grid x grid tiles, neighbours overlapping by `overlap` of
  // a tile's side. Default 2 and 0.25.
  int grid = 2;
  float overlap = 0.25f;
  // The tiles run only when the whole-picture pass finds a face whose shorter side is
  // under this fraction of the picture's shorter side, or finds none and the picture
  // is not small. Default 0.15.
  float small_face_fraction = 0.15f;
  // A picture whose longer side is under this (pixels) is not tiled when the first
  // pass finds nothing: tiles of it would be blown up past anything the model learnt.
  int min_side_without_faces = 300;
  // A face found on a tile is kept when its confidence is above `tile_confidence` if
  // masked, above `tile_unmasked_confidence` if not. Seen twice as large as in the
  // whole picture, hands, hair and the backs of heads pass for unmasked faces far more
  // often than for masked ones (measured on the tuning photos, docs/model.md).
  // Default 0.5 (as PostprocessOptions::confidence_threshold) and 0.8.
  float tile_confidence = 0.5f;
  float tile_unmasked_confidence = 0.8f;
  // Faces of different passes overlapping by more than this IoU are one face, fused
  // by their confidence-weighted box and mask vote. Default 0.4.
  float fusion_iou = 0.4f;
};

// The model draws a face's box higher and taller than the annotations of the
// face-mask photos do (measured on the tuning photos: the centre 13% of the face's
// height higher, 9% taller, 4% narrower, at every face size). Reported boxes are
// moved and scaled to match: the centre down by `shift_down` of the box's height, the
// height times `height_scale`, the width times `width_scale`.
struct BoxCorrection {
  float shift_down = 0.12f;
  float height_scale = 0.92f;
  float width_scale = 1.04f;
};

// `box` corrected by `correction`, clipped to a picture of `picture`.
Box CorrectBox(const Box& box, const BoxCorrection& correction, cv::Size picture);

struct DetectorOptions {
  PostprocessOptions postprocess;
  Quality quality = Quality::kFast;
  TilingOptions tiling;
  BoxCorrection box_correction;
  // Close-up check: a face found larger than `close_up_fraction` of the picture's
  // width or height, with a confidence under `close_up_sure`, is kept only if the
  // network finds it again in the picture shown at half size (padded with grey). An
  // object that looks like a face at one scale rarely does at another: on the dev set
  // this removes the one false face of the no-face photos (a coffee cup, 0.86) and
  // loses no annotated face. It costs a second inference, only for pictures with such
  // a face. Default on, 0.3, 0.97.
  bool verify_close_ups = true;
  float close_up_fraction = 0.3f;
  float close_up_sure = 0.97f;
};

// The stages of one detection, public so that the benchmark can time each.
class Detector {
 public:
  // Errors: kInternal when OpenCV cannot build the network from `model`.
  static Result<std::unique_ptr<Detector>> Create(const ModelData& model,
                                                  const DetectorOptions& options = {});

  // Faces in `bgr` (8-bit, 3 channels), strongest first.
  Result<std::vector<Face>> Detect(const cv::Mat& bgr);

  // Stage 1: the network's input, 1x3x260x260 RGB scaled to 0..1.
  static cv::Mat Prepare(const cv::Mat& bgr);
  // Several pictures in one input, Nx3x260x260, for one forward call.
  static cv::Mat PrepareBatch(const std::vector<cv::Mat>& pictures);
  // Stage 2: runs the network on a batch of N pictures; fills locations (N x 5972 x 4)
  // and scores (N x 5972 x 2), which share the network's buffers and stay valid until
  // the next call.
  Status Infer(const cv::Mat& blob, cv::Mat& locations, cv::Mat& scores);
  // Stage 3: decoding and NMS of picture `index` of the batch, then scaling to the
  // picture's pixels.
  std::vector<Face> Postprocess(const cv::Mat& locations, const cv::Mat& scores, cv::Size picture,
                                int index = 0) const;

  // Passes run by the last Detect (1 for a plain fast detection).
  int last_passes() const { return last_passes_; }

  const DetectorOptions& options() const { return options_; }

 private:
  Detector(cv::dnn::Net net, const DetectorOptions& options);

  // Detect before the box correction.
  Result<std::vector<Face>> DetectAsTheModelDraws(const cv::Mat& bgr);
  bool IsCloseUp(const Face& face, cv::Size picture) const;
  bool NeedsCloseUpCheck(const Face& face, cv::Size picture) const;
  bool MayHaveSmallFaces(const std::vector<Face>& faces, cv::Size picture) const;

  cv::dnn::Net net_;
  DetectorOptions options_;
  std::vector<cv::String> output_names_;
  int last_passes_ = 0;
};

// The tiles of a picture of `size`: grid x grid rectangles covering it, neighbours
// overlapping by `overlap` of a tile's side.
std::vector<cv::Rect> Tiles(cv::Size size, int grid, float overlap);

// Faces of several passes over one picture made one list: faces overlapping by more
// than `iou` become one, with the confidence-weighted mean box, the highest
// confidence and the confidence-weighted mask vote. Strongest first.
std::vector<Face> FuseFaces(std::vector<Face> faces, float iou);

// Whether a face found on a tile is sure enough to keep: its confidence above
// `tiling.tile_confidence` when masked, above `tiling.tile_unmasked_confidence` when not.
bool SureOnTile(const Face& face, const TilingOptions& tiling);

class DetectorPool {
 public:
  // Builds `size` networks (at least 1). Errors: those of Detector::Create.
  static Result<std::unique_ptr<DetectorPool>> Create(const ModelData& model, int size,
                                                      const DetectorOptions& options = {});

  // Like Detector::Detect; waits while every network is busy.
  Result<std::vector<Face>> Detect(const cv::Mat& bgr);

  int size() const { return static_cast<int>(all_.size()); }

 private:
  explicit DetectorPool(std::vector<std::unique_ptr<Detector>> detectors);

  std::vector<std::unique_ptr<Detector>> all_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<Detector*> idle_;  // guarded by mu_
};

}  // namespace maskfleet::detect

#endif  // MASKFLEET_DETECT_DETECTOR_H_
