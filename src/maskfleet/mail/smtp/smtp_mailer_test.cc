// SmtpMailer against a real SMTP server: aiosmtpd, run by tests/smtp_sink.py from
// the test Python environment (${MASKFLEET_VENV:-<repo>/build/venv}, made by
// scripts/setup.sh --for-tests). Skipped, saying so, when that environment is absent.
#include "maskfleet/mail/smtp/smtp_mailer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "maskfleet/mail/smtp/smtp_sink.h"

extern char** environ;

namespace maskfleet::mail::smtp {
namespace {

namespace fs = std::filesystem;

using testing::Read;
using testing::SmtpSink;
using testing::VenvPython;

class SmtpMailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(VenvPython())) {
      GTEST_SKIP() << "no test Python environment at " << VenvPython().parent_path().parent_path()
                   << ": run scripts/setup.sh --for-tests (or set MASKFLEET_VENV) to run the "
                      "SMTP tests against aiosmtpd";
    }
    char pattern[] = "/tmp/maskfleet-smtp-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "received");
  }
  void TearDown() override {
    sink_.reset();
    if (!root_.empty()) fs::remove_all(root_);
  }

  void StartSink(std::vector<std::string> extra = {}) {
    sink_.emplace(root_ / "received", std::move(extra));
    ASSERT_NE(sink_->port(), 0) << sink_->error();
  }
  // A self-signed certificate for 127.0.0.1, made with the openssl command.
  bool MakeCertificate() {
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
        " -addext subjectAltName=IP:127.0.0.1 -keyout " +
        (root_ / "key.pem").string() + " -out " + (root_ / "cert.pem").string() + " >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }
  SmtpOptions Options(std::string_view scheme = "smtp") const {
    SmtpOptions options;
    options.url = std::string(scheme) + "://127.0.0.1:" + std::to_string(sink_->port());
    options.from_address = "noreply@maskfleet.test";
    options.connect_timeout = std::chrono::milliseconds(5000);
    options.timeout = std::chrono::milliseconds(15000);
    return options;
  }
  static std::unique_ptr<SmtpMailer> Mailer(SmtpOptions options) {
    auto mailer = SmtpMailer::Create(std::move(options));
    EXPECT_TRUE(mailer) << mailer.error().ToString();
    return mailer ? std::move(*mailer) : nullptr;
  }
  std::size_t Received() const {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(root_ / "received")) {
      n += entry.path().extension() == ".eml";
    }
    return n;
  }

  fs::path root_;
  std::optional<SmtpSink> sink_;
};

const Message kMessage{"ann@example.com", "Reset your password",
                       "Hello Ann,\n.a line starting with a dot\n.\nhttps://maskfleet.test/r?t=abc\n"};

TEST_F(SmtpMailerTest, DeliversOverPlainSmtp) {
  StartSink();
  auto mailer = Mailer(Options());
  ASSERT_TRUE(mailer);
  Status sent = mailer->Send(kMessage);
  ASSERT_TRUE(sent) << sent.error().ToString();
  ASSERT_EQ(Received(), 1u);
  EXPECT_EQ(Read(root_ / "received" / "1.json"),
            R"({"mail_from": "noreply@maskfleet.test", "rcpt_tos": ["ann@example.com"]})");
  const std::string text = Read(root_ / "received" / "1.eml");
  EXPECT_NE(text.find("From: \"maskfleet\" <noreply@maskfleet.test>\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("To: <ann@example.com>\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Subject: Reset your password\r\n"), std::string::npos) << text;
  // Dot-stuffing done by curl and undone by the server: the body arrives intact.
  EXPECT_NE(text.find("\r\n\r\nHello Ann,\r\n.a line starting with a dot\r\n.\r\n"
                      "https://maskfleet.test/r?t=abc\r\n"),
            std::string::npos)
      << text;
}

TEST_F(SmtpMailerTest, SeveralMessagesFromSeveralThreads) {
  StartSink();
  auto mailer = Mailer(Options());
  ASSERT_TRUE(mailer);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&mailer] {
      for (int i = 0; i < 3; ++i) EXPECT_TRUE(mailer->Send(kMessage));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Received(), 9u);
}

TEST_F(SmtpMailerTest, LogsInWhenConfigured) {
  StartSink({"--auth", "mailer:s3cret"});
  SmtpOptions options = Options();
  options.username = "mailer";
  options.password = "s3cret";
  options.allow_plaintext_login = true;  // loopback test server without TLS
  Status sent = Mailer(options)->Send(kMessage);
  ASSERT_TRUE(sent) << sent.error().ToString();

  options.password = "wrong";
  sent = Mailer(options)->Send(kMessage);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(sent.error().message.find("wrong"), std::string::npos) << "password in the message";

  sent = Mailer(Options())->Send(kMessage);  // no login at all
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable) << sent.error().ToString();
  EXPECT_EQ(Received(), 1u);
}

TEST_F(SmtpMailerTest, RequiredStarttlsIsNeverSkipped) {
  StartSink();  // offers no STARTTLS
  SmtpOptions options = Options();
  options.require_starttls = true;
  Status sent = Mailer(options)->Send(kMessage);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable) << sent.error().ToString();
  EXPECT_EQ(Received(), 0u);
}

TEST_F(SmtpMailerTest, StarttlsThenLoginWithAVerifiedCertificate) {
  // The usual submission set-up (port 587): STARTTLS required, then AUTH.
  if (!MakeCertificate()) GTEST_SKIP() << "the openssl command is not available";
  StartSink({"--tls", "starttls", "--cert", (root_ / "cert.pem").string(), "--key",
             (root_ / "key.pem").string(), "--auth", "mailer:s3cret"});
  SmtpOptions options = Options();
  options.require_starttls = true;
  options.ca_file = (root_ / "cert.pem").string();
  options.username = "mailer";
  options.password = "s3cret";
  Status sent = Mailer(options)->Send(kMessage);
  ASSERT_TRUE(sent) << sent.error().ToString();

  // The same server is not trusted without its certificate.
  options.ca_file.clear();
  sent = Mailer(options)->Send(kMessage);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(Received(), 1u);
}

TEST_F(SmtpMailerTest, SubmitsAsAmazonSesExpectsStarttlsThenLoginFromAVerifiedSender) {
  // SES's SMTP interface on port 587 (docs/aws.md): STARTTLS first, AUTH offered only
  // after it, the sender (and in the sandbox every recipient) a verified identity.
  if (!MakeCertificate()) GTEST_SKIP() << "the openssl command is not available";
  StartSink({"--tls", "starttls", "--cert", (root_ / "cert.pem").string(), "--key",
             (root_ / "key.pem").string(), "--auth", "AKIAEXAMPLESMTPUSER:smtp-password",
             "--auth-require-tls", "--verified", "noreply@maskfleet.test", "--verified", "ann@example.com"});
  SmtpOptions options = Options();
  options.require_starttls = true;
  options.ca_file = (root_ / "cert.pem").string();
  options.username = "AKIAEXAMPLESMTPUSER";
  options.password = "smtp-password";
  Status sent = Mailer(options)->Send(kMessage);
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(Received(), 1u);

  // In the sandbox, an unverified recipient is refused: reported with SES's reply code.
  sent = Mailer(options)->Send(Message{"bob@example.com", "Reset your password", "Hello Bob\n"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(sent.error().message.find("554"), std::string::npos) << sent.error().message;
  // So is an unverified sender.
  options.from_address = "someone@maskfleet.test";
  sent = Mailer(options)->Send(kMessage);
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.error().message.find("554"), std::string::npos) << sent.error().message;
  EXPECT_EQ(Received(), 1u);
}

TEST_F(SmtpMailerTest, ImplicitTlsWithSmtps) {
  if (!MakeCertificate()) GTEST_SKIP() << "the openssl command is not available";
  StartSink(
      {"--tls", "implicit", "--cert", (root_ / "cert.pem").string(), "--key", (root_ / "key.pem").string()});
  SmtpOptions options = Options("smtps");
  options.ca_file = (root_ / "cert.pem").string();
  Status sent = Mailer(options)->Send(kMessage);
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(Received(), 1u);
}

TEST_F(SmtpMailerTest, UnsafeMessageIsRefusedBeforeConnecting) {
  StartSink();
  Status sent = Mailer(Options())->Send(Message{"ann@example.com", "Hi\r\nBcc: eve@evil.test", "b"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument);
  sent = Mailer(Options())->Send(Message{"ann@example.com>\r\nRCPT TO:<eve@evil.test", "s", "b"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Received(), 0u);
}

TEST(SmtpMailerConnectTest, ConnectionRefusedIsUnavailable) {
  // A port that was free a moment ago.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  close(fd);
  SmtpOptions options;
  options.url = "smtp://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  options.from_address = "noreply@maskfleet.test";
  auto mailer = SmtpMailer::Create(options);
  ASSERT_TRUE(mailer);
  Status sent = (*mailer)->Send(kMessage);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(sent.error().message.find("sending mail to ann@example.com via SMTP"), std::string::npos)
      << sent.error().message;
}

TEST(SmtpMailerCreateTest, RefusesBadOptions) {
  SmtpOptions options;
  options.from_address = "noreply@maskfleet.test";
  for (const char* url : {"http://mail.example.com", "mail.example.com:25", "", "ftp://x"}) {
    options.url = url;
    auto mailer = SmtpMailer::Create(options);
    ASSERT_FALSE(mailer) << url;
    EXPECT_EQ(mailer.error().code, ErrorCode::kInvalidArgument);
  }
  options.url = "smtp://mail.example.com:587";
  options.username = "user";
  options.password = "pw";
  auto plaintext_login = SmtpMailer::Create(options);
  ASSERT_FALSE(plaintext_login);
  EXPECT_NE(plaintext_login.error().message.find("unencrypted"), std::string::npos);
  options.require_starttls = true;
  EXPECT_TRUE(SmtpMailer::Create(options));
  options.from_address = "not an address";
  EXPECT_FALSE(SmtpMailer::Create(options));
}

}  // namespace
}  // namespace maskfleet::mail::smtp
