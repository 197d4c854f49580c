// maskfleet detect [--json] [--out DIR] [--threshold T] [--quality fast|thorough]
//                  [--model-dir DIR] IMAGE...
//
// Runs the detector on each image and prints one result per image: a summary line,
// or with --json one JSON object per line (JSON Lines). A bad image is reported on
// stderr with its name and the others are still processed; the exit status is then 1.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "maskfleet/cli/commands.h"
#include "maskfleet/detect/model_location.h"
#include "maskfleet/detect/photo_analyzer.h"

namespace maskfleet::cli {
namespace {

struct DetectArgs {
  std::vector<std::string> images;
  bool json = false;
  std::string out_dir;
  float threshold = 0.5f;
  std::string quality = "fast";
  std::string model_dir;
  std::int64_t max_file_bytes = 64 * 1024 * 1024;
};

Result<std::vector<std::uint8_t>> ReadImageFile(const std::string& path, std::int64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return MakeError(ErrorCode::kInvalidArgument, "is a directory, not an image");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, std::string("cannot open: ") + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > max_bytes) {
    return MakeError(ErrorCode::kTooLarge, "file is " + std::to_string(size) + " bytes, above the limit of " +
                                               std::to_string(max_bytes));
  }
  in.seekg(0);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return MakeError(ErrorCode::kInternal, std::string("cannot read: ") + std::strerror(errno));
  }
  return bytes;
}

// "<stem>.jpg" in `dir`, with "-2", "-3" ... when two inputs share a stem.
std::filesystem::path OutputPath(const std::filesystem::path& dir, const std::string& input,
                                 std::set<std::string>& used) {
  const std::string stem = std::filesystem::path(input).stem().string();
  std::string name = stem + ".jpg";
  for (int n = 2; !used.insert(name).second; ++n) name = stem + "-" + std::to_string(n) + ".jpg";
  return dir / name;
}

Status WriteFile(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    return MakeError(ErrorCode::kInternal, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

void PrintSummary(const std::string& file, const detect::PhotoReport& r) {
  std::printf("%s: %dx%d %s, %zu face%s, %d masked, %d unmasked\n", file.c_str(), r.width, r.height,
              std::string(image::FormatName(r.info.format)).c_str(), r.faces.size(),
              r.faces.size() == 1 ? "" : "s", r.num_masked(), r.num_unmasked());
}

int RunDetect(const DetectArgs& args) {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  const std::filesystem::path model_dir = detect::ResolveModelDir(args.model_dir);
  Result<detect::ModelData> model = detect::ModelData::Load(model_dir);
  if (!model) {
    std::fprintf(stderr, "maskfleet detect: %s (set --model-dir or MASKFLEET_MODEL_DIR)\n",
                 model.error().message.c_str());
    return kExitCannotRun;
  }
  detect::DetectorOptions detector_options;
  detector_options.postprocess.confidence_threshold = args.threshold;
  detector_options.quality = *detect::ParseQuality(args.quality);  // checked by CLI11
  Result<std::unique_ptr<detect::DetectorPool>> pool = detect::DetectorPool::Create(*model, 1,
                                                                                    detector_options);
  if (!pool) {
    std::fprintf(stderr, "maskfleet detect: %s\n", pool.error().message.c_str());
    return kExitCannotRun;
  }
  if (!args.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.out_dir, ec);
    if (ec) {
      std::fprintf(stderr, "maskfleet detect: cannot create %s: %s\n", args.out_dir.c_str(),
                   ec.message().c_str());
      return kExitCannotRun;
    }
  }

  const detect::PhotoAnalyzer analyzer(**pool, detect::AnalyzerOptions{});
  std::set<std::string> used_names;
  int failures = 0;
  for (const std::string& file : args.images) {
    // (g++ 12's std::expected has no and_then yet.)
    Result<std::vector<std::uint8_t>> bytes = ReadImageFile(file, args.max_file_bytes);
    Result<detect::AnalyzedPhoto> result = bytes ? analyzer.Analyze(*bytes, !args.out_dir.empty())
                                                 : std::unexpected(bytes.error());
    if (result && !args.out_dir.empty()) {
      if (Status written = WriteFile(OutputPath(args.out_dir, file, used_names), result->annotated_jpeg);
          !written) {
        result = std::unexpected(written.error());
      }
    }
    if (!result) {
      ++failures;
      std::fflush(stdout);
      std::fprintf(stderr, "maskfleet detect: %s: %s\n", file.c_str(), result.error().message.c_str());
      continue;
    }
    if (args.json) {
      nlohmann::json line = {{"file", file}};
      line.update(detect::ToJson(result->report));
      std::cout << line.dump() << '\n';
    } else {
      PrintSummary(file, result->report);
    }
    std::cout.flush();
  }
  return failures == 0 ? kExitOk : kExitSomeFailed;
}

}  // namespace

void AddDetectCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand("detect", "Find faces and masks in images");
  cmd->add_option("images", args->images, "Image files (JPEG, PNG, WebP, BMP)")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object per image (JSON Lines)");
  cmd->add_option("--out", args->out_dir, "Write the annotated images (<name>.jpg) into this folder");
  cmd->add_option("--threshold", args->threshold, "Confidence threshold for a face, 0..1")
      ->check(CLI::Range(0.01f, 0.99f))
      ->capture_default_str();
  cmd->add_option("--quality", args->quality,
                  "fast: the model once on the whole photo; thorough: also on tiles of it when faces "
                  "may be small (finds more small faces, about 2.5x the CPU)")
      ->check(CLI::IsMember({"fast", "thorough"}))
      ->capture_default_str();
  cmd->add_option(
      "--model-dir", args->model_dir,
      "Folder with the model files (default: $MASKFLEET_MODEL_DIR, else models/ beside the build)");
  cmd->add_option("--max-file-bytes", args->max_file_bytes, "Largest image file accepted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = RunDetect(*args); });
}

}  // namespace maskfleet::cli
