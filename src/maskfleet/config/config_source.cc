#include "maskfleet/config/config_source.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include <toml.hpp>

#include "maskfleet/config/toml_text.h"

namespace maskfleet::config {
namespace {

std::string EnvName(std::string_view section, std::string_view key) {
  std::string name = "MASKFLEET_";
  for (std::string_view part : {section, std::string_view("_"), key}) {
    for (char c : part) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::unexpected<Error> Invalid(std::string_view section, std::string_view key, std::string_view from,
                               const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string(section) + "." + std::string(key) + " (" + std::string(from) + ") " + what);
}

}  // namespace

ConfigSource::ConfigSource(Environment env) : env_(std::move(env)) {}

ConfigSource::Environment ConfigSource::DefaultEnvironment() {
  return [](const char* name) { return std::getenv(name); };
}

Result<ConfigSource> ConfigSource::FromFile(const std::filesystem::path& path, Environment env) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kNotFound, "config file not found: " + path.string());
  }
  ConfigSource source(std::move(env));
  source.path_ = path;
  std::ifstream file(path, std::ios::binary);
  const std::string contents((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file.good() && !file.eof()) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot read config file " + path.string());
  }
  if (Status valid = CheckTomlText(contents, path.string()); !valid) return std::unexpected(valid.error());
  try {
    std::istringstream in(contents);
    const toml::value root = toml::parse(in, path.string());
    for (const auto& [section, table] : root.as_table()) {
      if (!table.is_table()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         path.string() + ": top-level key '" + section +
                             "' must be a [section]; settings go inside sections");
      }
      for (const auto& [key, value] : table.as_table()) {
        const Name name{section, key};
        if (value.is_string()) {
          source.file_values_[name] = value.as_string().str;
          source.file_types_[name] = 's';
        } else if (value.is_integer()) {
          source.file_values_[name] = std::to_string(value.as_integer());
          source.file_types_[name] = 'i';
        } else if (value.is_floating()) {
          std::ostringstream text;
          text << value.as_floating();
          source.file_values_[name] = text.str();
          source.file_types_[name] = 'f';
        } else if (value.is_boolean()) {
          source.file_values_[name] = value.as_boolean() ? "true" : "false";
          source.file_types_[name] = 'b';
        } else if (value.is_array()) {
          std::vector<std::string> items;
          for (const toml::value& item : value.as_array()) {
            if (!item.is_string()) {
              return MakeError(ErrorCode::kInvalidArgument,
                               path.string() + ": " + section + "." + key + " must be a list of strings");
            }
            items.push_back(item.as_string().str);
          }
          source.file_values_[name] = "";
          source.file_types_[name] = 'l';
          source.file_lists_[name] = std::move(items);
        } else {
          return MakeError(ErrorCode::kInvalidArgument,
                           path.string() + ": " + section + "." + key +
                               " must be a string, number, boolean or list of strings");
        }
      }
    }
  } catch (const std::exception& e) {
    // toml11's messages span several lines with a source excerpt; keep them whole.
    return MakeError(ErrorCode::kInvalidArgument, path.string() + ": " + e.what());
  }
  return source;
}

const std::string* ConfigSource::Lookup(std::string_view section, std::string_view key, std::string& from) {
  const Name name{std::string(section), std::string(key)};
  asked_.insert(name);
  const std::string env_name = EnvName(section, key);
  if (const char* v = env_ ? env_(env_name.c_str()) : nullptr; v != nullptr) {
    env_value_ = v;
    from = env_name;
    return &env_value_;
  }
  if (auto it = file_values_.find(name); it != file_values_.end()) {
    from = path_.filename().string();
    return &it->second;
  }
  return nullptr;
}

Result<std::string> ConfigSource::String(std::string_view section, std::string_view key,
                                         std::string_view fallback) {
  std::string from;
  const std::string* raw = Lookup(section, key, from);
  if (raw == nullptr) return std::string(fallback);
  if (from != EnvName(section, key) && file_types_[{std::string(section), std::string(key)}] != 's') {
    return Invalid(section, key, from, "must be a string (in quotes)");
  }
  return *raw;
}

Result<std::int64_t> ConfigSource::Int(std::string_view section, std::string_view key, std::int64_t fallback,
                                       std::int64_t min, std::int64_t max) {
  std::string from;
  const std::string* raw = Lookup(section, key, from);
  if (raw == nullptr) return fallback;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), value);
  if (ec != std::errc() || end != raw->data() + raw->size() || value < min || value > max) {
    return Invalid(section, key, from,
                   "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                       ", not '" + *raw + "'");
  }
  return value;
}

Result<double> ConfigSource::Double(std::string_view section, std::string_view key, double fallback,
                                    double min, double max) {
  std::string from;
  const std::string* raw = Lookup(section, key, from);
  if (raw == nullptr) return fallback;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(raw->c_str(), &end);
  if (raw->empty() || errno != 0 || *end != '\0' || !(value >= min && value <= max)) {
    std::ostringstream range;
    range << "must be a number from " << min << " to " << max << ", not '" << *raw << "'";
    return Invalid(section, key, from, range.str());
  }
  return value;
}

Result<bool> ConfigSource::Bool(std::string_view section, std::string_view key, bool fallback) {
  std::string from;
  const std::string* raw = Lookup(section, key, from);
  if (raw == nullptr) return fallback;
  if (*raw == "true" || *raw == "1" || *raw == "yes" || *raw == "on") return true;
  if (*raw == "false" || *raw == "0" || *raw == "no" || *raw == "off") return false;
  return Invalid(section, key, from, "must be true or false, not '" + *raw + "'");
}

Result<std::vector<std::string>> ConfigSource::StringList(std::string_view section, std::string_view key,
                                                          const std::vector<std::string>& fallback) {
  std::string from;
  const std::string* raw = Lookup(section, key, from);
  if (raw == nullptr) return fallback;
  const Name name{std::string(section), std::string(key)};
  if (from != EnvName(section, key)) {
    if (file_types_[name] != 'l')
      return Invalid(section, key, from, "must be a list of strings ([\"a\", \"b\"])");
    return file_lists_[name];
  }
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= raw->size()) {
    std::size_t comma = raw->find(',', start);
    if (comma == std::string::npos) comma = raw->size();
    std::string item = raw->substr(start, comma - start);
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    start = comma + 1;
  }
  return items;
}

std::vector<std::string> ConfigSource::UnknownKeys() const {
  std::vector<std::string> unknown;
  for (const auto& [name, value] : file_values_) {
    if (!asked_.contains(name)) unknown.push_back(name.first + "." + name.second);
  }
  return unknown;
}

void ConfigSource::IgnoreSection(std::string_view section) {
  for (const auto& [name, value] : file_values_) {
    if (name.first == section) asked_.insert(name);
  }
}

Status ConfigSource::RejectUnknownKeys() const {
  const std::vector<std::string> unknown = UnknownKeys();
  if (unknown.empty()) return {};
  std::string list;
  for (const std::string& key : unknown) list += (list.empty() ? "" : ", ") + key;
  return MakeError(ErrorCode::kInvalidArgument, path_.string() + ": unknown setting(s): " + list);
}

}  // namespace maskfleet::config
