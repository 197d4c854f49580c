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

struct DetectorOptions {
  PostprocessOptions postprocess;
  // Close-up check: a face found larger than `close_up_fraction` of the picture's
  // width or height is kept only if the network finds it again in the picture shown
  // at half size (padded with grey). An object that looks like a face at one scale
  // rarely does at another: on the dev set this removes the one false face of the
  // no-face photos (a coffee cup, 0.86) and loses no annotated face. It costs a
  // second inference, only for pictures with such a face. Default on, 0.3.
  bool verify_close_ups = true;
  float close_up_fraction = 0.3f;
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
  // Stage 2: runs the network; fills locations (N x 4) and scores (N x 2), which
  // share the network's buffers and stay valid until the next call.
  Status Infer(const cv::Mat& blob, cv::Mat& locations, cv::Mat& scores);
  // Stage 3: decoding and NMS, then scaling to the picture's pixels.
  std::vector<Face> Postprocess(const cv::Mat& locations, const cv::Mat& scores,
                                cv::Size picture) const;

  const DetectorOptions& options() const { return options_; }

 private:
  Detector(cv::dnn::Net net, const DetectorOptions& options);

  // Stages 1 to 3.
  Result<std::vector<Face>> DetectOnce(const cv::Mat& bgr);
  // Drops the close-ups of `faces` that the network does not find at half size.
  Result<std::vector<Face>> VerifyCloseUps(const cv::Mat& bgr, std::vector<Face> faces);
  bool IsCloseUp(const Face& face, cv::Size picture) const;

  cv::dnn::Net net_;
  DetectorOptions options_;
  std::vector<cv::String> output_names_;
};

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
