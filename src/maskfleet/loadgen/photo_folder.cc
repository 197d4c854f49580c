#include "maskfleet/loadgen/photo_folder.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace maskfleet::loadgen {

std::string_view SniffImageType(std::string_view b) {
  if (b.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (b.starts_with("\x89PNG\r\n\x1A\n")) return "image/png";
  if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
  if (b.starts_with("BM")) return "image/bmp";
  return {};
}

bool HasImageExtension(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "webp" || ext == "bmp";
}

Result<std::vector<Photo>> LoadPhotoFolder(const std::filesystem::path& folder, std::int64_t max_file_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return MakeError(ErrorCode::kNotFound, folder.string() + " is not a folder");
  }
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->path().filename().string().starts_with("."))
      files.push_back(it->path());
  }
  if (ec) return MakeError(ErrorCode::kNotFound, "cannot read " + folder.string() + ": " + ec.message());
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.filename().string() < b.filename().string(); });

  std::vector<Photo> photos;
  for (const std::filesystem::path& path : files) {
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) continue;  // vanished or unreadable between listing and now
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return MakeError(ErrorCode::kNotFound, "cannot open " + path.string() + ": " + std::strerror(errno));
    }
    char head[12] = {};
    in.read(head, sizeof head);
    const std::string_view sniffed = SniffImageType(
        std::string_view(head, static_cast<std::size_t>(in.gcount())));
    const std::string name = path.filename().string();
    if (sniffed.empty() && !HasImageExtension(name)) continue;
    if (size > static_cast<std::uintmax_t>(max_file_bytes)) {
      return MakeError(ErrorCode::kTooLarge, path.string() + " is " + std::to_string(size) +
                                                 " bytes, above the limit of " +
                                                 std::to_string(max_file_bytes));
    }
    in.clear();
    in.seekg(0);
    Photo photo{.name = name,
                .content_type = sniffed.empty() ? "application/octet-stream" : std::string(sniffed),
                .bytes = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())};
    photos.push_back(std::move(photo));
  }
  if (photos.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     folder.string() + " holds no photo (JPEG, PNG, WebP or BMP by content or extension)");
  }
  return photos;
}

}  // namespace maskfleet::loadgen
