// Speed of the detection path: stage by stage for a 640x480 and a 3000x2000 JPEG;
// and over the 40 dev photos, inference alone against the whole path of an upload
// in each quality setting (bench/compare-opencv.sh runs those against two OpenCV
// builds and prints the ratios).
//
//   build/bench/detector_bench                      all benchmarks
//   build/bench/detector_bench --benchmark_filter=WholePath
//
// Photos are made from a dev photo of shared/testdata (blown up and re-encoded as
// JPEG), so the figures are reproducible anywhere the shared folder is. Results
// and the machine they came from: docs/performance.md.
#include <benchmark/benchmark.h>

#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "maskfleet/detect/annotate.h"
#include "maskfleet/detect/photo_analyzer.h"
#include "maskfleet/image/codec.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Fixture {
  detect::ModelData model;
  std::unique_ptr<detect::DetectorPool> pool;  // two networks: one per benchmark thread
  Bytes small_jpeg;                            // 640x480
  Bytes large_jpeg;                            // 3000x2000
};

Fixture& Shared() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    Result<detect::ModelData> model = detect::ModelData::Load(testing::ModelDir());
    if (!model) {
      std::fprintf(stderr, "%s\n", model.error().ToString().c_str());
      std::exit(2);
    }
    f->model = std::move(*model);
    f->pool = std::move(*detect::DetectorPool::Create(f->model, 2));
    const Bytes png = testing::ReadBytes(testing::FaceMaskDir() / "images" / "maksssksksss119.png");
    const cv::Mat source = cv::imdecode(png, cv::IMREAD_COLOR);
    for (auto [size, out] :
         {std::pair{cv::Size(640, 480), &f->small_jpeg}, std::pair{cv::Size(3000, 2000), &f->large_jpeg}}) {
      cv::Mat resized;
      cv::resize(source, resized, size, 0, 0, cv::INTER_CUBIC);
      cv::imencode(".jpg", resized, *out, {cv::IMWRITE_JPEG_QUALITY, 90});
    }
    return f;
  }();
  return *fixture;
}

const Bytes& Jpeg(const benchmark::State& state) {
  return state.range(0) == 0 ? Shared().small_jpeg : Shared().large_jpeg;
}

void SetLabel(benchmark::State& state) { state.SetLabel(state.range(0) == 0 ? "640x480" : "3000x2000"); }

image::DecodedPhoto Decoded(const benchmark::State& state) {
  return std::move(*image::DecodePhoto(Jpeg(state), {}));
}

void BM_Decode(benchmark::State& state) {
  const Bytes& jpeg = Jpeg(state);
  for (auto _ : state) benchmark::DoNotOptimize(image::DecodePhoto(jpeg, {}));
  SetLabel(state);
}

void BM_Prepare(benchmark::State& state) {
  const image::DecodedPhoto photo = Decoded(state);
  for (auto _ : state) benchmark::DoNotOptimize(detect::Detector::Prepare(photo.pixels));
  SetLabel(state);
}

void BM_Inference(benchmark::State& state) {
  cv::setNumThreads(static_cast<int>(state.range(0)));
  std::unique_ptr<detect::Detector> detector = std::move(*detect::Detector::Create(Shared().model));
  const cv::Mat blob = detect::Detector::Prepare(Decoded(state).pixels);
  cv::Mat locations, scores;
  for (auto _ : state) benchmark::DoNotOptimize(detector->Infer(blob, locations, scores));
  state.SetLabel("opencv threads " + std::to_string(state.range(0)));
  cv::setNumThreads(-1);
}

void BM_Postprocess(benchmark::State& state) {
  std::unique_ptr<detect::Detector> detector = std::move(*detect::Detector::Create(Shared().model));
  const image::DecodedPhoto photo = Decoded(state);
  cv::Mat locations, scores;
  (void)detector->Infer(detect::Detector::Prepare(photo.pixels), locations, scores);
  for (auto _ : state) {
    benchmark::DoNotOptimize(detector->Postprocess(locations, scores, photo.pixels.size()));
  }
  SetLabel(state);
}

void BM_Annotate(benchmark::State& state) {
  const image::DecodedPhoto photo = Decoded(state);
  const std::vector<detect::Face> faces = *Shared().pool->Detect(photo.pixels);
  for (auto _ : state) {
    state.PauseTiming();
    cv::Mat canvas = photo.pixels.clone();
    state.ResumeTiming();
    detect::Annotate(canvas, faces);
  }
  SetLabel(state);
}

void BM_EncodeJpeg(benchmark::State& state) {
  const image::DecodedPhoto photo = Decoded(state);
  for (auto _ : state) benchmark::DoNotOptimize(image::EncodeJpeg(photo.pixels, 88));
  SetLabel(state);
}

void BM_Thumbnail(benchmark::State& state) {
  const image::DecodedPhoto photo = Decoded(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(image::EncodeJpeg(image::Thumbnail(photo.pixels, 256), 80));
  }
  SetLabel(state);
}

// Everything the worker does for an upload, bytes in, counts and two JPEGs out.
// Arguments: photo (0 small, 1 large), OpenCV's own threads per call.
void BM_WholePath(benchmark::State& state) {
  if (state.thread_index() == 0) cv::setNumThreads(static_cast<int>(state.range(1)));
  const detect::PhotoAnalyzer analyzer(*Shared().pool, detect::AnalyzerOptions{});
  const Bytes& jpeg = Jpeg(state);
  for (auto _ : state) {
    Result<detect::AnalyzedPhoto> result = analyzer.Analyze(jpeg, /*with_images=*/true);
    if (!result) state.SkipWithError(result.error().ToString().c_str());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(state.range(0) == 0 ? "640x480" : "3000x2000") + ", opencv threads " +
                 std::to_string(state.range(1)));
}

// The 40 dev photos of shared/testdata/face-mask: their files, and their network
// inputs for inference alone.
struct DevSet {
  std::vector<Bytes> files;
  std::vector<cv::Mat> blobs;
};

const DevSet& Dev() {
  static const DevSet* set = [] {
    auto* d = new DevSet;
    for (const auto& path : testing::ListFiles(testing::FaceMaskDir() / "images", {".png"})) {
      d->files.push_back(testing::ReadBytes(path));
      d->blobs.push_back(detect::Detector::Prepare(image::DecodePhoto(d->files.back(), {})->pixels));
    }
    return d;
  }();
  return *set;
}

// One iteration is the whole dev set; "per_photo" is the time per photo. Both run with
// one OpenCV thread, as the worker does, so that their ratio is one of CPU time.
void SetPerPhoto(benchmark::State& state, std::size_t photos) {
  state.counters["per_photo"] = benchmark::Counter(static_cast<double>(state.iterations() * photos),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Inference alone: one pass of the network on each dev photo's input.
void BM_DevInference(benchmark::State& state) {
  cv::setNumThreads(1);
  std::unique_ptr<detect::Detector> detector = std::move(*detect::Detector::Create(Shared().model));
  cv::Mat locations, scores;
  for (auto _ : state) {
    for (const cv::Mat& blob : Dev().blobs)
      benchmark::DoNotOptimize(detector->Infer(blob, locations, scores));
  }
  SetPerPhoto(state, Dev().blobs.size());
  cv::setNumThreads(-1);
}

// The whole path of an upload (PhotoAnalyzer::Analyze with both JPEGs) on each dev
// photo, in a quality setting (0 fast, 1 thorough).
void BM_DevWholePath(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto quality = state.range(0) == 0 ? detect::Quality::kFast : detect::Quality::kThorough;
  std::unique_ptr<detect::DetectorPool> pool = std::move(
      *detect::DetectorPool::Create(Shared().model, 1, {.quality = quality}));
  const detect::PhotoAnalyzer analyzer(*pool, detect::AnalyzerOptions{});
  for (auto _ : state) {
    for (const Bytes& file : Dev().files) {
      Result<detect::AnalyzedPhoto> result = analyzer.Analyze(file, /*with_images=*/true);
      if (!result) state.SkipWithError(result.error().ToString().c_str());
      benchmark::DoNotOptimize(result);
    }
  }
  SetPerPhoto(state, Dev().files.size());
  state.SetLabel(std::string(detect::QualityName(quality)));
  cv::setNumThreads(-1);
}

BENCHMARK(BM_DevInference)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DevWholePath)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Prepare)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Inference)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Postprocess)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Annotate)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeJpeg)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Thumbnail)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WholePath)
    ->Args({0, 2})
    ->Args({1, 2})
    ->Threads(1)
    ->Args({0, 1})
    ->Args({1, 1})
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace maskfleet

BENCHMARK_MAIN();
