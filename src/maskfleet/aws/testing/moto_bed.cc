#include "maskfleet/aws/testing/moto_bed.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <nlohmann/json.hpp>

extern char** environ;

namespace maskfleet::aws::testing {

MotoBed::~MotoBed() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);  // the helper stops moto and exits
  if (pid_ > 0) {
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      ::usleep(50'000);
    }
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

const MotoUser& MotoBed::user(const std::string& name) const {
  if (name == "admin") return admin_;
  if (name == "manager") return manager_;
  return worker_;
}

ClientOptions MotoBed::OptionsFor(const std::string& name) const {
  const MotoUser& keys = user(name);
  ClientOptions options{
      .region = region_,
      .credentials = std::make_shared<StaticCredentialsProvider>(Credentials{
          .access_key_id = keys.access_key_id, .secret_access_key = keys.secret_access_key,
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
    options.credentials = std::make_shared<StaticCredentialsProvider>(Credentials{
        .access_key_id = keys.access_key_id, .secret_access_key = secret_override,
        .source = "moto user " + name});
  }
  options.transport = std::move(transport);
  options.retry.max_attempts = max_attempts;
  return std::make_unique<Client>(std::move(options));
}

Result<std::string> MotoBed::WorkerImage() {
  std::lock_guard lock(image_mu_);
  if (!image_.empty()) return image_;
  auto answer = ClientFor("admin")->Query(kEc2, "RegisterImage",
                                          {{"Name", "maskfleet-worker-test"}, {"RootDeviceName", "/dev/xvda"}},
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
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kUnavailable, "pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  const std::string python_text = python.string(), script_text = script.string();
  char* argv[] = {const_cast<char*>(python_text.c_str()), const_cast<char*>(script_text.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, python_text.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  std::unique_ptr<MotoBed> bed(new MotoBed());
  bed->stdin_fd_ = to_child[1];
  if (rc != 0) {
    ::close(from_child[0]);
    return MakeError(ErrorCode::kUnavailable, "could not start " + script_text);
  }
  bed->pid_ = pid;

  // One line of JSON within 90 s (moto's first start imports a lot of Python).
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{from_child[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[4096];
    const ssize_t n = ::read(from_child[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(from_child[0]);
  const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("endpoint")) {
    return MakeError(ErrorCode::kUnavailable, script_text + " gave no endpoint (its errors are on stderr)");
  }
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
