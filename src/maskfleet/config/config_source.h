// Where settings come from: a TOML file, overridden by environment variables.
//
// A setting is named by section and key ("worker", "port"): `port` in the file's
// [worker] table, or the variable MASKFLEET_WORKER_PORT, which wins. Commands apply
// their own flags on top. Every getter validates type and range and names the
// setting in its error ("worker.port must be an integer from 1 to 65535"). Keys in
// the file that nothing asked for are reported by UnknownKeys(), so that a typo is
// an error rather than a silently ignored line.
//
// Thread safety: not safe for concurrent use; settings are read once at start.
#ifndef MASKFLEET_CONFIG_CONFIG_SOURCE_H_
#define MASKFLEET_CONFIG_CONFIG_SOURCE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::config {

class ConfigSource {
 public:
  // Returns the value of an environment variable, or nullptr.
  using Environment = std::function<const char*(const char* name)>;

  // No file: defaults and the environment only.
  explicit ConfigSource(Environment env = DefaultEnvironment());

  // Reads `path`. Errors: kNotFound (no such file), kInvalidArgument (not valid
  // TOML, or a value that is a table where a setting belongs; the message has the
  // line).
  static Result<ConfigSource> FromFile(const std::filesystem::path& path,
                                       Environment env = DefaultEnvironment());

  // The process environment (std::getenv).
  static Environment DefaultEnvironment();

  Result<std::string> String(std::string_view section, std::string_view key, std::string_view fallback);
  Result<std::int64_t> Int(std::string_view section, std::string_view key, std::int64_t fallback,
                           std::int64_t min, std::int64_t max);
  Result<double> Double(std::string_view section, std::string_view key, double fallback, double min,
                        double max);
  Result<bool> Bool(std::string_view section, std::string_view key, bool fallback);
  // A list of strings: a TOML array of strings in the file (["a", "b"]), or the
  // environment variable's value split at commas (spaces around each item dropped,
  // empty items left out). Absent: `fallback`.
  Result<std::vector<std::string>> StringList(std::string_view section, std::string_view key,
                                              const std::vector<std::string>& fallback);

  // "section.key" for every key of the file that no getter asked for, sorted.
  std::vector<std::string> UnknownKeys() const;

  // Counts every key of `section` as asked for: a section that another command reads
  // from the same file (the worker leaves [manager] to the manager).
  void IgnoreSection(std::string_view section);

  // Ok, or kInvalidArgument "<file>: unknown setting(s): a.b, c.d".
  Status RejectUnknownKeys() const;

  // The file read, or empty.
  const std::filesystem::path& path() const { return path_; }

 private:
  using Name = std::pair<std::string, std::string>;

  // The raw text of a setting: from the environment, else the file (as TOML
  // wrote it: strings unquoted), else nothing. Sets `from` to where it came from.
  const std::string* Lookup(std::string_view section, std::string_view key, std::string& from);

  Environment env_;
  std::filesystem::path path_;
  std::map<Name, std::string> file_values_;              // scalars of the file, as text
  std::map<Name, char> file_types_;                      // 's'tring, 'i'nteger, 'f'loat, 'b'oolean, 'l'ist
  std::map<Name, std::vector<std::string>> file_lists_;  // the file's string arrays
  std::set<Name> asked_;
  std::string env_value_;  // keeps the last environment value alive for Lookup's caller
};

// Reads settings into fields, keeping the first error, so that a command reads them all
// and reports the first bad one: reader.Take(c.port, source.Int("worker", "port", ...)).
// A field stays as it is when its setting fails.
class SettingsReader {
 public:
  template <typename Field, typename Value>
  void Take(Field& field, Result<Value> result) {
    if (!result) {
      if (!first_error_) first_error_ = result.error();
      return;
    }
    field = static_cast<Field>(*result);
  }
  // Ok, or the first error taken.
  Status status() const {
    if (first_error_) return std::unexpected(*first_error_);
    return {};
  }

 private:
  std::optional<Error> first_error_;
};

}  // namespace maskfleet::config

#endif  // MASKFLEET_CONFIG_CONFIG_SOURCE_H_
