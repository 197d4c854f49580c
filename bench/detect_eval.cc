// Accuracy and cost of the detector on an annotated photo set of shared/testdata, in
// a chosen setting: the figures of docs/model.md, and the tool the tiling settings
// were tuned with.
//
//   build/bench/detect_eval                         dev set, fast
//   build/bench/detect_eval --set=tune --quality=thorough --tile-confidence=0.7
//
// Options (--name=value): set (dev, tune or a folder with images/ and annotations/),
// quality (fast, thorough), threshold, grid, overlap, small-face, min-side,
// tile-confidence, tile-unmasked-confidence, fusion-iou, close-up-sure,
// verify-close-ups (0/1), shift-down, height-scale, width-scale, iou (the matching
// bound, default 0.5), dump (1: print each annotated box with the detections
// overlapping it), categories (1: print each photo whose image category is wrong,
// with what was annotated and what each detection lies on).
//
// Scoring: a detection matches an annotated face at IoU >= the bound, best pairs
// first, one to one. Recall and precision count every face; mask accuracy counts
// matched with_mask and without_mask faces (mask_weared_incorrect is neither). AP per
// class (mask, no mask) is PASCAL VOC's all-point average precision over the
// detections the setting reports (at its threshold), mask_weared_incorrect faces
// being "difficult" (a detection on one is neither right nor wrong). The image
// category is the history list a photo lands in (no faces, all masked, none masked,
// some masked), mask_weared_incorrect counting as unmasked. Cost: CPU time of
// Detector::Detect per photo with one OpenCV thread, and passes of the network.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "maskfleet/detect/detector.h"
#include "maskfleet/image/codec.h"
#include "maskfleet/testing/evaluation.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet {
namespace {

using testing::Annotation;
using testing::MaskLabel;

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::vector<Annotation> LoadSet(const std::filesystem::path& dir) {
  std::vector<Annotation> set;
  for (const auto& xml : testing::ListFiles(dir / "annotations", {".xml"})) {
    set.push_back(testing::LoadAnnotation(xml, dir / "images"));
  }
  return set;
}

enum Category { kNoFaces, kAllMasked, kNoneMasked, kSomeMasked };

Category CategoryOf(int masked, int unmasked) {
  if (masked + unmasked == 0) return kNoFaces;
  if (unmasked == 0) return kAllMasked;
  if (masked == 0) return kNoneMasked;
  return kSomeMasked;
}

// One scored detection of a class, for average precision.
struct Ranked {
  float confidence;
  int outcome;  // 1 true, 0 false, -1 ignored (on a mask_weared_incorrect face)
};

// PASCAL VOC (2010 and later) average precision: the area under the precision-recall
// curve with precision made monotone.
double AveragePrecision(std::vector<Ranked> ranked, int positives) {
  if (positives == 0) return 0;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) { return a.confidence > b.confidence; });
  std::vector<double> recall{0};
  std::vector<double> precision{1};
  int tp = 0;
  int fp = 0;
  for (const Ranked& r : ranked) {
    if (r.outcome < 0) continue;
    (r.outcome ? tp : fp) += 1;
    recall.push_back(static_cast<double>(tp) / positives);
    precision.push_back(static_cast<double>(tp) / (tp + fp));
  }
  for (std::size_t i = precision.size() - 1; i > 0; --i)
    precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double ap = 0;
  for (std::size_t i = 1; i < recall.size(); ++i) ap += (recall[i] - recall[i - 1]) * precision[i];
  return ap;
}

// Ranks the detections of class `masked` of one photo (VOC matching: strongest first,
// each to its best-overlapping face of the class).
void RankClass(const Annotation& truth, const std::vector<detect::Face>& faces, bool masked, float min_iou,
               std::vector<Ranked>& ranked, int& positives) {
  const MaskLabel label = masked ? MaskLabel::kWithMask : MaskLabel::kWithoutMask;
  std::vector<bool> used(truth.faces.size());
  for (const auto& f : truth.faces) positives += f.label == label ? 1 : 0;
  std::vector<const detect::Face*> mine;
  for (const auto& f : faces) {
    if (f.masked == masked) mine.push_back(&f);
  }
  std::stable_sort(mine.begin(), mine.end(), [](auto* a, auto* b) { return a->confidence > b->confidence; });
  for (const detect::Face* d : mine) {
    int best = -1;
    float best_iou = min_iou;
    bool on_incorrect = false;
    for (std::size_t t = 0; t < truth.faces.size(); ++t) {
      const float iou = detect::IntersectionOverUnion(truth.faces[t].box, d->box);
      if (truth.faces[t].label == MaskLabel::kIncorrect) {
        on_incorrect = on_incorrect || iou >= min_iou;
      } else if (truth.faces[t].label == label && iou >= best_iou) {
        best_iou = iou;
        best = static_cast<int>(t);
      }
    }
    if (best >= 0 && !used[best]) {
      used[best] = true;
      ranked.push_back({d->confidence, 1});
    } else {
      ranked.push_back({d->confidence, best < 0 && on_incorrect ? -1 : 0});
    }
  }
}

int Run(const std::map<std::string, std::string>& args) {
  auto get = [&](const std::string& key, const std::string& fallback) {
    auto it = args.find(key);
    return it == args.end() ? fallback : it->second;
  };
  detect::DetectorOptions options;
  Result<detect::Quality> quality = detect::ParseQuality(get("quality", "fast"));
  if (!quality) {
    std::fprintf(stderr, "%s\n", quality.error().message.c_str());
    return 2;
  }
  options.quality = *quality;
  options.postprocess.confidence_threshold = std::stof(get("threshold", "0.5"));
  options.tiling.grid = std::stoi(get("grid", std::to_string(options.tiling.grid)));
  options.tiling.overlap = std::stof(get("overlap", std::to_string(options.tiling.overlap)));
  options.tiling.small_face_fraction = std::stof(
      get("small-face", std::to_string(options.tiling.small_face_fraction)));
  options.tiling.min_side_without_faces = std::stoi(
      get("min-side", std::to_string(options.tiling.min_side_without_faces)));
  options.tiling.tile_confidence = std::stof(
      get("tile-confidence", std::to_string(options.tiling.tile_confidence)));
  options.tiling.tile_unmasked_confidence = std::stof(
      get("tile-unmasked-confidence", std::to_string(options.tiling.tile_unmasked_confidence)));
  options.tiling.fusion_iou = std::stof(get("fusion-iou", std::to_string(options.tiling.fusion_iou)));
  options.close_up_sure = std::stof(get("close-up-sure", std::to_string(options.close_up_sure)));
  options.verify_close_ups = get("verify-close-ups", "1") == "1";
  options.box_correction.shift_down = std::stof(
      get("shift-down", std::to_string(options.box_correction.shift_down)));
  options.box_correction.height_scale = std::stof(
      get("height-scale", std::to_string(options.box_correction.height_scale)));
  options.box_correction.width_scale = std::stof(
      get("width-scale", std::to_string(options.box_correction.width_scale)));
  const float min_iou = std::stof(get("iou", "0.5"));
  const std::string set_name = get("set", "dev");
  const std::filesystem::path dir = set_name == "dev" ? testing::FaceMaskDir()
                                    : set_name == "tune"
                                        ? testing::SharedDir() / "testdata" / "face-mask-tune"
                                        : std::filesystem::path(set_name);

  cv::setNumThreads(1);
  Result<detect::ModelData> model = detect::ModelData::Load(testing::ModelDir());
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().ToString().c_str());
    return 2;
  }
  Result<std::unique_ptr<detect::Detector>> detector = detect::Detector::Create(*model, options);
  if (!detector) return 2;

  testing::Tally tally;
  std::vector<Ranked> ranked[2];
  int positives[2] = {0, 0};
  int category_right = 0;
  int photos = 0;
  int passes = 0;
  int tiled = 0;
  double cpu = 0;
  for (const Annotation& truth : LoadSet(dir)) {
    Result<image::DecodedPhoto> photo = image::DecodePhoto(testing::ReadBytes(truth.image), {});
    if (!photo) {
      std::fprintf(stderr, "%s: %s\n", truth.image.c_str(), photo.error().ToString().c_str());
      return 2;
    }
    const double started = CpuSeconds();
    Result<std::vector<detect::Face>> faces = (*detector)->Detect(photo->pixels);
    cpu += CpuSeconds() - started;
    if (!faces) return 2;
    ++photos;
    passes += (*detector)->last_passes();
    tiled += (*detector)->last_passes() > 2 ? 1 : 0;
    tally += testing::Score(truth, *faces, min_iou);
    if (get("dump", "0") == "1") {
      for (const auto& t : truth.faces) {
        for (const auto& f : *faces) {
          if (detect::IntersectionOverUnion(t.box, f.box) >= 0.2f) {
            std::printf("pair %g %g %g %g %g %g %g %g %d %d\n", t.box.xmin, t.box.ymin, t.box.xmax,
                        t.box.ymax, f.box.xmin, f.box.ymin, f.box.xmax, f.box.ymax, photo->pixels.cols,
                        photo->pixels.rows);
          }
        }
      }
    }
    for (int c = 0; c < 2; ++c) RankClass(truth, *faces, c == 0, min_iou, ranked[c], positives[c]);
    int masked = 0;
    for (const auto& f : truth.faces) masked += f.label == MaskLabel::kWithMask ? 1 : 0;
    const int found_masked = static_cast<int>(
        std::count_if(faces->begin(), faces->end(), [](auto& f) { return f.masked; }));
    const Category truth_category = CategoryOf(masked, static_cast<int>(truth.faces.size()) - masked);
    const Category found_category = CategoryOf(found_masked, static_cast<int>(faces->size()) - found_masked);
    category_right += truth_category == found_category ? 1 : 0;
    if (get("categories", "0") == "1" && truth_category != found_category) {
      std::printf(
          "category %s: annotated %d masked, %d not; found %d masked, %d not (confidence and what it lies "
          "on: M masked, N not, I incorrect, . nothing",
          truth.image.filename().c_str(), masked, static_cast<int>(truth.faces.size()) - masked, found_masked,
          static_cast<int>(faces->size()) - found_masked);
      for (const auto& f : *faces) {
        // What the detection lies on: M with mask, N without, I worn incorrectly, . nothing.
        char on = '.';
        float best = min_iou;
        for (const auto& t : truth.faces) {
          const float iou = detect::IntersectionOverUnion(t.box, f.box);
          if (iou < best) continue;
          best = iou;
          on = t.label == MaskLabel::kWithMask ? 'M' : t.label == MaskLabel::kWithoutMask ? 'N' : 'I';
        }
        std::printf(" %s%.2f%c", f.masked ? "+" : "-", f.confidence, on);
      }
      std::printf(")\n");
    }
  }
  int no_face_faces = 0;
  for (const auto& file : testing::ListFiles(testing::NoFaceDir(), {".png", ".jpg"})) {
    Result<image::DecodedPhoto> photo = image::DecodePhoto(testing::ReadBytes(file), {});
    Result<std::vector<detect::Face>> faces = (*detector)->Detect(photo->pixels);
    no_face_faces += faces ? static_cast<int>(faces->size()) : 0;
  }
  const double ap_mask = AveragePrecision(ranked[0], positives[0]);
  const double ap_bare = AveragePrecision(ranked[1], positives[1]);
  std::printf("set %s (%d photos, %d faces), quality %s, threshold %.2f\n", set_name.c_str(), photos,
              tally.annotated, std::string(detect::QualityName(options.quality)).c_str(),
              options.postprocess.confidence_threshold);
  std::printf("recall %.3f (%d/%d), precision %.3f (%d detections), mask accuracy %.3f (%d/%d)\n",
              tally.recall(), tally.matched, tally.annotated, tally.precision(), tally.detections,
              tally.mask_accuracy(), tally.label_correct, tally.labelled_matched);
  std::printf("AP mask %.3f, AP no mask %.3f, mAP@%.1f %.3f, image category %.3f (%d/%d)\n", ap_mask, ap_bare,
              min_iou, (ap_mask + ap_bare) / 2, static_cast<double>(category_right) / photos, category_right,
              photos);
  std::printf("passes per photo %.2f (tiled %d of %d), CPU per photo %.1f ms, faces on no-face photos %d\n",
              static_cast<double>(passes) / photos, tiled, photos, cpu * 1000 / photos, no_face_faces);
  return 0;
}

}  // namespace
}  // namespace maskfleet

int main(int argc, char** argv) {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const std::size_t eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "usage: %s [--name=value ...] (see the source's header)\n", argv[0]);
      return 2;
    }
    args[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  return maskfleet::Run(args);
}
