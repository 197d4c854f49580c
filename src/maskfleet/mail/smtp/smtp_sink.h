// Test support for the mail tests (test code only): tests/smtp_sink.py, an aiosmtpd
// server from the test Python environment (${MASKFLEET_VENV:-<repo>/build/venv}, made
// by scripts/setup.sh --for-tests), run as a child process that writes each message it
// accepts into a folder as N.eml and N.json. Needs MASKFLEET_SOURCE_DIR defined.
#ifndef MASKFLEET_MAIL_SMTP_SMTP_SINK_H_
#define MASKFLEET_MAIL_SMTP_SMTP_SINK_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace maskfleet::mail::smtp::testing {

namespace fs = std::filesystem;

inline fs::path VenvPython() {
  const char* venv = std::getenv("MASKFLEET_VENV");
  const fs::path dir = venv != nullptr && venv[0] != '\0' ? fs::path(venv)
                                                          : fs::path(MASKFLEET_SOURCE_DIR) / "build" / "venv";
  return dir / "bin" / "python";
}

inline std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// tests/smtp_sink.py as a child process, stopped by the destructor.
class SmtpSink {
 public:
  // Starts the sink; port() is 0 if it did not come up (the reason is in error()).
  SmtpSink(const fs::path& folder, std::vector<std::string> extra) {
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      error_ = "pipe failed";
      return;
    }
    const std::string python = VenvPython().string();
    const std::string script = (fs::path(MASKFLEET_SOURCE_DIR) / "tests" / "smtp_sink.py").string();
    std::vector<std::string> args = {python, script, "--dir", folder.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    const int rc = posix_spawn(&pid_, python.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    if (rc != 0) {
      pid_ = -1;
      close(from_child[0]);
      error_ = "cannot start " + python;
      return;
    }
    // Wait for "PORT <n>\n".
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{from_child[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buffer[256];
      const ssize_t n = read(from_child[0], buffer, sizeof buffer);
      if (n <= 0) break;
      line.append(buffer, static_cast<std::size_t>(n));
    }
    close(from_child[0]);
    if (line.starts_with("PORT ")) {
      port_ = std::atoi(line.c_str() + 5);
    } else {
      error_ = "smtp_sink.py did not start (see its stderr above); got \"" + line + "\"";
    }
  }
  ~SmtpSink() {
    if (stdin_ >= 0) close(stdin_);  // the sink stops at end of stdin
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  int port() const { return port_; }
  const std::string& error() const { return error_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
  std::string error_;
};

}  // namespace maskfleet::mail::smtp::testing

#endif  // MASKFLEET_MAIL_SMTP_SMTP_SINK_H_
