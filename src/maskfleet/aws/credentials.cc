#include "maskfleet/aws/credentials.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "maskfleet/aws/http.h"

namespace maskfleet::aws {
namespace {

std::string Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// The shared files' INI dialect: "[section]", "key = value", comments with # or ;.
// Nested (indented) sub-settings, used for service-specific options, are skipped.
Result<IniSections> ReadIni(const std::string& path, bool* found) {
  std::ifstream in(path);
  *found = static_cast<bool>(in);
  IniSections sections;
  if (!in) return sections;
  std::string line;
  std::string section;
  bool nested = false;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    const std::string text = Trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[') {
      if (text.back() != ']') {
        return MakeError(ErrorCode::kInvalidArgument,
                         path + ":" + std::to_string(number) + ": unterminated section name");
      }
      section = Trim(std::string_view(text).substr(1, text.size() - 2));
      sections[section];
      nested = false;
      continue;
    }
    if (indented && nested) continue;
    const auto eq = text.find('=');
    if (eq == std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       path + ":" + std::to_string(number) + ": expected key = value");
    }
    const std::string key = Trim(std::string_view(text).substr(0, eq));
    const std::string value = Trim(std::string_view(text).substr(eq + 1));
    nested = value.empty();  // "s3 =" opens a block of indented sub-settings
    if (!section.empty() && !nested) sections[section][key] = value;
  }
  return sections;
}

std::string HomeFile(const Environment& env, std::string_view override_name, std::string_view relative) {
  if (auto path = env(override_name)) return *path;
  return env("HOME").value_or("") + "/" + std::string(relative);
}

Result<std::optional<Credentials>> KeysFrom(const std::map<std::string, std::string>& settings,
                                            std::string_view id_name, std::string_view secret_name,
                                            std::string_view token_name, std::string source) {
  auto get = [&](std::string_view name) -> std::string {
    auto it = settings.find(std::string(name));
    return it == settings.end() ? std::string() : it->second;
  };
  Credentials credentials{.access_key_id = get(id_name),
                          .secret_access_key = get(secret_name),
                          .session_token = get(token_name),
                          .source = std::move(source)};
  if (credentials.access_key_id.empty() && credentials.secret_access_key.empty()) {
    return std::optional<Credentials>();
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return MakeError(ErrorCode::kUnauthenticated, credentials.source + ": " + std::string(id_name) + " and " +
                                                      std::string(secret_name) + " must both be set");
  }
  return std::optional<Credentials>(std::move(credentials));
}

}  // namespace

bool IsTrueSetting(const std::optional<std::string>& value) {
  if (!value) return false;
  std::string lower;
  for (char c : *value) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower == "true" || lower == "1";
}

Environment ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Result<std::optional<Credentials>> CredentialsFromEnvironment(const Environment& env) {
  std::map<std::string, std::string> settings;
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
    if (auto value = env(name)) settings[name] = *value;
  }
  return KeysFrom(settings, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "environment");
}

Result<ProfileSettings> LoadProfile(const Environment& env) {
  const auto named = env("AWS_PROFILE");
  ProfileSettings profile{.name = named.value_or("default")};
  bool credentials_found = false;
  bool config_found = false;
  const std::string credentials_path = HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  const std::string config_path = HomeFile(env, "AWS_CONFIG_FILE", ".aws/config");
  auto credentials_file = ReadIni(credentials_path, &credentials_found);
  if (!credentials_file) return std::unexpected(credentials_file.error());
  auto config_file = ReadIni(config_path, &config_found);
  if (!config_file) return std::unexpected(config_file.error());

  const std::string config_section = profile.name == "default" ? "default" : "profile " + profile.name;
  const auto in_credentials = credentials_file->find(profile.name);
  const auto in_config = config_file->find(config_section);
  if (named && in_credentials == credentials_file->end() && in_config == config_file->end()) {
    return MakeError(ErrorCode::kInvalidArgument, "AWS_PROFILE names profile \"" + profile.name +
                                                      "\", which neither " + credentials_path + " nor " +
                                                      config_path + " holds");
  }
  const std::string source = "profile " + profile.name;
  if (in_credentials != credentials_file->end()) {
    auto keys = KeysFrom(in_credentials->second, "aws_access_key_id", "aws_secret_access_key",
                         "aws_session_token", source);
    if (!keys) return std::unexpected(keys.error());
    profile.credentials = *keys;
  }
  if (in_config != config_file->end()) {
    if (!profile.credentials) {
      auto keys = KeysFrom(in_config->second, "aws_access_key_id", "aws_secret_access_key",
                           "aws_session_token", source);
      if (!keys) return std::unexpected(keys.error());
      profile.credentials = *keys;
    }
    if (auto it = in_config->second.find("region"); it != in_config->second.end()) {
      profile.region = it->second;
    }
    if (auto it = in_config->second.find("endpoint_url"); it != in_config->second.end()) {
      profile.endpoint_url = it->second;
    }
  }
  return profile;
}

std::string FormatIso8601(std::chrono::sys_seconds t) {
  const std::time_t seconds = t.time_since_epoch().count();
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Result<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour, &minute, &second,
                  &tail) < 6 ||
      (tail != 'Z' && tail != '.' && tail != '+' && tail != 0)) {
    return MakeError(ErrorCode::kInvalidArgument, "not an ISO 8601 UTC time: " + copy);
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) {
    return MakeError(ErrorCode::kInvalidArgument, "not an ISO 8601 UTC time: " + copy);
  }
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

InstanceRoleCredentialsProvider::InstanceRoleCredentialsProvider(Options options, HttpTransport& transport,
                                                                 const Clock& clock)
    : options_(std::move(options)), transport_(transport), clock_(clock) {}

Result<std::string> InstanceRoleCredentialsProvider::Token() {
  const auto now = clock_.Now();
  if (!token_.empty() && now + std::chrono::seconds(60) < token_expires_at_) return token_;
  HttpRequest request{
      .method = "PUT",
      .url = options_.endpoint + "/latest/api/token",
      .headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl.count())},
                  {"Content-Type", "text/plain"}},
      .timeout = options_.timeout,
      .connect_timeout = options_.timeout};
  auto response = transport_.Send(request);
  if (!response) return std::unexpected(response.error().WithContext("instance metadata token"));
  if (response->status != 200 || response->body.empty()) {
    return MakeError(ErrorCode::kUnavailable,
                     "instance metadata token: HTTP status " + std::to_string(response->status));
  }
  token_ = response->body;
  token_expires_at_ = now + options_.token_ttl;
  return token_;
}

Result<std::string> InstanceRoleCredentialsProvider::GetWithToken(std::string_view path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = Token();
    if (!token) return std::unexpected(token.error());
    HttpRequest request{.method = "GET",
                        .url = options_.endpoint + std::string(path),
                        .headers = {{"X-aws-ec2-metadata-token", *token}},
                        .timeout = options_.timeout,
                        .connect_timeout = options_.timeout};
    auto response = transport_.Send(request);
    if (!response) return std::unexpected(response.error().WithContext("instance metadata"));
    if (response->status == 401 && attempt == 0) {
      token_.clear();  // the token expired early (the service restarted): ask again once
      continue;
    }
    if (response->status == 404) {
      return MakeError(ErrorCode::kNotFound, "instance metadata " + std::string(path) + ": not found");
    }
    if (response->status != 200) {
      return MakeError(ErrorCode::kUnavailable, "instance metadata " + std::string(path) + ": HTTP status " +
                                                    std::to_string(response->status));
    }
    return response->body;
  }
  return MakeError(ErrorCode::kUnavailable, "instance metadata: token refused twice");
}

Result<std::string> InstanceRoleCredentialsProvider::Metadata(std::string_view path) {
  std::lock_guard lock(mu_);
  return GetWithToken("/latest/meta-data/" + std::string(path));
}

Result<Credentials> InstanceRoleCredentialsProvider::Get() {
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  if (cached_ && cached_->expiration && now + options_.refresh_before < *cached_->expiration) {
    return *cached_;
  }
  auto fetched = [&]() -> Result<Credentials> {
    auto roles = GetWithToken("/latest/meta-data/iam/security-credentials/");
    if (!roles) return std::unexpected(roles.error());
    const std::string role = Trim(std::string_view(*roles).substr(0, roles->find('\n')));
    if (role.empty()) {
      return MakeError(ErrorCode::kUnauthenticated, "instance metadata: the instance has no role");
    }
    auto document = GetWithToken("/latest/meta-data/iam/security-credentials/" + role);
    if (!document) return std::unexpected(document.error());
    const auto json = nlohmann::json::parse(*document, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || json.value("Code", "") != "Success" || !json.contains("AccessKeyId") ||
        !json.contains("SecretAccessKey") || !json.contains("Token") || !json.contains("Expiration")) {
      return MakeError(ErrorCode::kUnavailable,
                       "instance metadata: role " + role + " gave no usable credentials");
    }
    auto expiration = ParseIso8601(json["Expiration"].get<std::string>());
    if (!expiration) return std::unexpected(expiration.error().WithContext("instance metadata"));
    return Credentials{.access_key_id = json["AccessKeyId"].get<std::string>(),
                       .secret_access_key = json["SecretAccessKey"].get<std::string>(),
                       .session_token = json["Token"].get<std::string>(),
                       .expiration = *expiration,
                       .source = "instance role " + role};
  }();
  if (!fetched) {
    // Credentials still valid for a while are better than none (the metadata service
    // can be briefly unreachable); expired ones are not.
    if (cached_ && cached_->expiration && now < *cached_->expiration) return *cached_;
    return std::unexpected(fetched.error());
  }
  cached_ = std::move(*fetched);
  return *cached_;
}

Result<std::unique_ptr<DefaultCredentialsChain>> DefaultCredentialsChain::Create(const Environment& env,
                                                                                 HttpTransport& transport,
                                                                                 const Clock& clock) {
  std::unique_ptr<DefaultCredentialsChain> chain(new DefaultCredentialsChain());
  auto from_env = CredentialsFromEnvironment(env);
  if (!from_env) return std::unexpected(from_env.error());
  auto profile = LoadProfile(env);
  if (!profile) return std::unexpected(profile.error());
  chain->profile_ = std::move(*profile);
  chain->fixed_ = *from_env ? *from_env : chain->profile_.credentials;
  chain->env_region_ = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
  if (!IsTrueSetting(env("AWS_EC2_METADATA_DISABLED"))) {
    InstanceRoleCredentialsProvider::Options options;
    if (auto endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      options.endpoint = *endpoint;
      while (options.endpoint.ends_with('/')) options.endpoint.pop_back();
    }
    chain->instance_role_ = std::make_unique<InstanceRoleCredentialsProvider>(options, transport, clock);
  }
  return chain;
}

Result<Credentials> DefaultCredentialsChain::Get() {
  if (fixed_) return *fixed_;
  if (!instance_role_) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "no AWS credentials: none in the environment, in profile \"" + profile_.name +
                         "\", and the instance metadata service is disabled");
  }
  auto credentials = instance_role_->Get();
  if (!credentials) {
    return std::unexpected(credentials.error().WithContext(
        "no AWS credentials in the environment or profile \"" + profile_.name + "\""));
  }
  return credentials;
}

Result<std::string> DefaultCredentialsChain::Region() {
  if (!env_region_.empty()) return env_region_;
  if (!profile_.region.empty()) return profile_.region;
  if (instance_role_) {
    auto region = instance_role_->Metadata("placement/region");
    if (region) return Trim(*region);
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   "no AWS region: set AWS_REGION, the profile's region, or run on EC2");
}

}  // namespace maskfleet::aws
