#include "maskfleet/aws/testing/moto_bed.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <nlohmann/json.hpp>

namespace maskfleet::aws::testing {

MotoBed::~MotoBed() = default;

const MotoUser& MotoBed::user(const std::string& name) const {
  if (name == "admin") return admin_;
  if (name == "manager") return manager_;
  return worker_;
}

ClientOptions MotoBed::OptionsFor(const std::string& name) const {
  const MotoUser& keys = user(name);
  ClientOptions options{.region = region_,
                        .credentials = std::make_shared<StaticCredentialsProvider>(
                            Credentials{.access_key_id = keys.access_key_id,
                                        .secret_access_key = keys.secret_access_key,
                                        .source = "moto user " + name}),
                        .env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
                        .retry = {.max_attempts = 2,
                                  .base_delay = std::chrono::milliseconds(1),
                                  .max_delay = std::chrono::milliseconds(1)}};
  for (const Service* service : {&kEc2, &kElbv2, &kCloudWatch, &kS3, &kSecretsManager}) {
    options.endpoints.emplace(std::string(service->signing_name), endpoint_);
  }
  return options;
}

std::unique_ptr<Client> MotoBed::ClientFor(const std::string& name, const std::string& secret_override,
                                           int max_attempts, std::shared_ptr<HttpTransport> transport) const {
  ClientOptions options = OptionsFor(name);
  if (!secret_override.empty()) {
    const MotoUser& keys = user(name);
    options.credentials = std::make_shared<StaticCredentialsProvider>(
        Credentials{.access_key_id = keys.access_key_id,
                    .secret_access_key = secret_override,
                    .source = "moto user " + name});
  }
  options.transport = std::move(transport);
  options.retry.max_attempts = max_attempts;
  return std::make_unique<Client>(std::move(options));
}

Result<std::string> MotoBed::WorkerImage() {
  std::lock_guard lock(image_mu_);
  if (!image_.empty()) return image_;
  auto answer = ClientFor("admin")->Query(
      kEc2, "RegisterImage", {{"Name", "maskfleet-worker-test"}, {"RootDeviceName", "/dev/xvda"}},
      Idempotency::kNotIdempotent);
  if (!answer) return std::unexpected(ToError(answer.error()));
  image_ = ChildText(answer->root(), "imageId");
  if (image_.empty()) return MakeError(ErrorCode::kInternal, "RegisterImage named no image");
  return image_;
}

Result<std::unique_ptr<MotoBed>> MotoBed::Start() {
  const std::filesystem::path python = MASKFLEET_PYTHON;
  const std::filesystem::path script = MASKFLEET_MOTO_BED;
  if (!std::filesystem::exists(python.parent_path() / "moto_server")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no moto_server in " + python.parent_path().string() +
                         ": run scripts/setup.sh --for-tests (tests/requirements.txt has moto[server])");
  }
  auto helper = HelperScript::Start(python.string(), script.string(), {},
                                    std::chrono::seconds(90));  // moto's first start imports a lot
  if (!helper) return std::unexpected(helper.error());
  std::unique_ptr<MotoBed> bed(new MotoBed());
  const nlohmann::json& json = (*helper)->announced();
  if (!json.contains("endpoint")) {
    return MakeError(ErrorCode::kUnavailable,
                     script.string() + " gave no endpoint (its errors are on stderr)");
  }
  bed->helper_ = std::move(*helper);
  bed->endpoint_ = json["endpoint"];
  bed->region_ = json["region"];
  bed->bucket_ = json["bucket"];
  auto keys = [&](const char* name) {
    return MotoUser{json[name]["access_key_id"], json[name]["secret_access_key"]};
  };
  bed->admin_ = keys("admin");
  bed->manager_ = keys("manager");
  bed->worker_ = keys("worker");
  return bed;
}

Result<MotoBed*> SharedMotoBed() {
  static std::mutex mu;
  static std::unique_ptr<MotoBed> bed;
  static std::optional<Error> failure;
  std::lock_guard lock(mu);
  if (bed) return bed.get();
  if (failure) return std::unexpected(*failure);
  auto started = MotoBed::Start();
  if (!started) {
    failure = started.error();
    return std::unexpected(*failure);
  }
  bed = std::move(*started);
  return bed.get();
}

}  // namespace maskfleet::aws::testing

namespace maskfleet::aws::testing {

MotoBed& RequireMotoBed() {
  auto bed = SharedMotoBed();
  if (!bed) {
    std::fprintf(stderr, "SKIPPED: the moto test bed cannot run: %s\n", bed.error().ToString().c_str());
    std::fflush(stderr);
    std::_Exit(77);
  }
  return **bed;
}

}  // namespace maskfleet::aws::testing
