#include "maskfleet/testing/shared_data.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <pugixml.hpp>

namespace maskfleet::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "test data: %s\n", message.c_str());
  std::abort();
}

}  // namespace

std::filesystem::path SharedDir() {
  if (const char* env = std::getenv("MASKFLEET_SHARED_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return std::filesystem::path(MASKFLEET_SOURCE_DIR) / ".." / "shared";
}

std::filesystem::path ModelDir() { return SharedDir() / "models" / "aizoo-face-mask"; }
std::filesystem::path FaceMaskDir() { return SharedDir() / "testdata" / "face-mask"; }
std::filesystem::path NoFaceDir() { return SharedDir() / "testdata" / "no-face"; }

std::vector<std::filesystem::path> ListFiles(const std::filesystem::path& dir,
                                             const std::vector<std::string>& extensions) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (std::find(extensions.begin(), extensions.end(), entry.path().extension().string()) !=
        extensions.end()) {
      files.push_back(entry.path());
    }
  }
  if (ec) Die("cannot list " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Annotation LoadAnnotation(const std::filesystem::path& xml, const std::filesystem::path& image_dir) {
  pugi::xml_document doc;
  if (pugi::xml_parse_result r = doc.load_file(xml.c_str()); !r) {
    Die(xml.string() + ": " + r.description());
  }
  const pugi::xml_node root = doc.child("annotation");
  Annotation a;
  a.image = image_dir / root.child_value("filename");
  a.width = root.child("size").child("width").text().as_int();
  a.height = root.child("size").child("height").text().as_int();
  for (pugi::xml_node object : root.children("object")) {
    const std::string name = object.child_value("name");
    const pugi::xml_node b = object.child("bndbox");
    // A few boxes reach one pixel past the edge; clip them (SOURCES.md).
    const auto clip = [](float v, int limit) { return std::clamp(v, 0.0f, static_cast<float>(limit)); };
    AnnotatedFace face;
    face.box = {
        clip(b.child("xmin").text().as_float(), a.width), clip(b.child("ymin").text().as_float(), a.height),
        clip(b.child("xmax").text().as_float(), a.width), clip(b.child("ymax").text().as_float(), a.height)};
    if (name == "with_mask") {
      face.label = MaskLabel::kWithMask;
    } else if (name == "without_mask") {
      face.label = MaskLabel::kWithoutMask;
    } else if (name == "mask_weared_incorrect") {
      face.label = MaskLabel::kIncorrect;
    } else {
      Die(xml.string() + ": unknown label " + name);
    }
    a.faces.push_back(face);
  }
  return a;
}

std::vector<Annotation> LoadFaceMaskSet() {
  std::vector<Annotation> set;
  for (const auto& xml : ListFiles(FaceMaskDir() / "annotations", {".xml"})) {
    set.push_back(LoadAnnotation(xml, FaceMaskDir() / "images"));
  }
  if (set.empty()) Die("no annotations under " + FaceMaskDir().string());
  return set;
}

}  // namespace maskfleet::testing
