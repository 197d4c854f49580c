#include "maskfleet/aws/testing/helper_script.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

extern char** environ;

namespace maskfleet::aws::testing {

HelperScript::~HelperScript() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);  // the helper stops and exits
  if (pid_ > 0) {
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      ::usleep(50'000);
    }
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

Result<std::unique_ptr<HelperScript>> HelperScript::Start(const std::string& python,
                                                          const std::string& script,
                                                          const std::vector<std::string>& args,
                                                          std::chrono::seconds timeout) {
  for (const std::string& file : {python, script}) {
    if (!std::filesystem::exists(file)) return MakeError(ErrorCode::kFailedPrecondition, "no " + file);
  }
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return MakeError(ErrorCode::kUnavailable, "pipe failed");
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return MakeError(ErrorCode::kUnavailable, "pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  std::vector<std::string> words{python, script};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  std::unique_ptr<HelperScript> helper(new HelperScript());
  helper->stdin_fd_ = to_child[1];
  if (rc != 0) {
    ::close(from_child[0]);
    return MakeError(ErrorCode::kUnavailable, "could not start " + script);
  }
  helper->pid_ = pid;

  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            std::chrono::steady_clock::now());
    pollfd pfd{from_child[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[4096];
    const ssize_t n = ::read(from_child[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(from_child[0]);
  helper->announced_ = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!helper->announced_.is_object()) {
    return MakeError(ErrorCode::kUnavailable, script + " printed no JSON line (its errors are on stderr)");
  }
  return helper;
}

}  // namespace maskfleet::aws::testing
