// What every Mailer must do, run on each implementation: the fake, the outbox, and SMTP
// against a real server (aiosmtpd, tests/smtp_sink.py; skipped, saying so, without the
// test Python environment). Another implementation joins with one Implementation line
// at the end: an environment that makes its mailer, reads back what was delivered,
// and can make delivery fail.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "maskfleet/mail/fake_mailer.h"
#include "maskfleet/mail/mailer.h"
#include "maskfleet/mail/message.h"
#include "maskfleet/mail/outbox/outbox_mailer.h"
#include "maskfleet/mail/smtp/smtp_mailer.h"
#include "maskfleet/mail/smtp/smtp_sink.h"

namespace maskfleet::mail {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Environment {
 public:
  virtual ~Environment() = default;
  // Why this environment cannot run here (a missing service); empty when it can.
  virtual std::string unavailable() const { return ""; }
  virtual Mailer& mailer() = 0;
  // The RFC 5322 text of each message delivered so far, in any order.
  virtual std::vector<std::string> Delivered() = 0;
  // From now on messages cannot be handed on (a full disk, a server gone).
  virtual void BreakDelivery() = 0;
};

// A fresh folder under /tmp, removed on destruction.
class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "maskfleet-mail-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<std::string> EmlFiles(const fs::path& folder) {
  std::vector<std::string> texts;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().extension() == ".eml") texts.push_back(smtp::testing::Read(entry.path()));
  }
  return texts;
}

class FakeEnvironment : public Environment {
 public:
  Mailer& mailer() override { return fake_; }
  std::vector<std::string> Delivered() override {
    std::vector<std::string> texts;
    for (const Message& m : fake_.sent()) {
      texts.push_back(BuildMessage(m, Envelope{"fake@maskfleet.test", "", RealClock().Now(), ""}).value());
    }
    return texts;
  }
  void BreakDelivery() override {
    fake_.FailNextSends(1'000'000, Error{ErrorCode::kUnavailable, "the fake is broken"});
  }

 private:
  FakeMailer fake_;
};

class OutboxEnvironment : public Environment {
 public:
  OutboxEnvironment() {
    auto mailer = outbox::OutboxMailer::Create({.directory = folder()});
    EXPECT_TRUE(mailer) << mailer.error().ToString();
    if (mailer) mailer_ = std::move(*mailer);
  }
  Mailer& mailer() override { return *mailer_; }
  std::vector<std::string> Delivered() override { return EmlFiles(folder()); }
  void BreakDelivery() override {
    // The folder becomes a file: nothing can be written into it.
    fs::remove_all(folder());
    std::ofstream(folder()) << "not a folder";
  }

 private:
  fs::path folder() const { return scratch_.path() / "outbox"; }
  Scratch scratch_;
  std::unique_ptr<outbox::OutboxMailer> mailer_;
};

class SmtpEnvironment : public Environment {
 public:
  SmtpEnvironment() {
    if (!fs::exists(smtp::testing::VenvPython())) return;
    fs::create_directories(scratch_.path() / "received");
    sink_.emplace(scratch_.path() / "received", std::vector<std::string>{});
    if (sink_->port() == 0) return;
    smtp::SmtpOptions options;
    options.url = "smtp://127.0.0.1:" + std::to_string(sink_->port());
    options.from_address = "noreply@maskfleet.test";
    options.connect_timeout = 5000ms;
    options.timeout = 15000ms;
    auto mailer = smtp::SmtpMailer::Create(std::move(options));
    EXPECT_TRUE(mailer) << mailer.error().ToString();
    if (mailer) mailer_ = std::move(*mailer);
  }
  std::string unavailable() const override {
    if (!fs::exists(smtp::testing::VenvPython())) {
      return "no test Python environment at " + smtp::testing::VenvPython().string() +
             ": run scripts/setup.sh --for-tests (or set MASKFLEET_VENV) to run the SMTP "
             "contract against aiosmtpd";
    }
    if (!sink_ || sink_->port() == 0) return sink_ ? sink_->error() : "no sink";
    return "";
  }
  Mailer& mailer() override { return *mailer_; }
  std::vector<std::string> Delivered() override { return EmlFiles(scratch_.path() / "received"); }
  void BreakDelivery() override { sink_.reset(); }  // the server goes away

 private:
  Scratch scratch_;
  std::optional<smtp::testing::SmtpSink> sink_;
  std::unique_ptr<smtp::SmtpMailer> mailer_;
};

struct Implementation {
  std::string name;
  std::function<std::unique_ptr<Environment>()> make;
};

void PrintTo(const Implementation& implementation, std::ostream* os) { *os << implementation.name; }

class MailerContractTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    env_ = GetParam().make();
    if (const std::string why = env_->unavailable(); !why.empty()) GTEST_SKIP() << why;
  }
  Mailer& mailer() { return env_->mailer(); }
  std::unique_ptr<Environment> env_;
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const Message kReset{"ann@example.com", "Reset your password",
                     "Hello Ann,\n.a line starting with a dot\nhttps://maskfleet.test/r?t=abc\n"};

TEST_P(MailerContractTest, AMessageArrivesWholeWithItsHeadersAndBody) {
  Status sent = mailer().Send(kReset);
  ASSERT_TRUE(sent) << sent.error().ToString();
  const std::vector<std::string> delivered = env_->Delivered();
  ASSERT_EQ(delivered.size(), 1u);
  const std::string& text = delivered[0];
  EXPECT_TRUE(Has(text, "To: <ann@example.com>\r\n")) << text;
  EXPECT_TRUE(Has(text, "Subject: Reset your password\r\n")) << text;
  EXPECT_TRUE(Has(text,
                  "\r\n\r\nHello Ann,\r\n.a line starting with a dot\r\n"
                  "https://maskfleet.test/r?t=abc\r\n"))
      << text;
}

TEST_P(MailerContractTest, UnsafeMessagesAreRefusedAndNothingIsSent) {
  const std::vector<Message> unsafe{
      {"not an address", "Subject", "body"},
      {"ann@example.com\r\nBcc: eve@example.com", "Subject", "body"},
      {"ann@example.com", "Subject\r\nBcc: eve@example.com", "body"},
      {"ann@example.com", "Subject", std::string("\xff\xfe not UTF-8")},
  };
  for (const Message& m : unsafe) {
    Status sent = mailer().Send(m);
    ASSERT_FALSE(sent) << "to \"" << m.to << "\" subject \"" << m.subject << "\" was sent";
    EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument) << sent.error().ToString();
  }
  EXPECT_TRUE(env_->Delivered().empty());
}

TEST_P(MailerContractTest, MessagesFromSeveralThreadsAllArrive) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 2; ++i) {
        Message m = kReset;
        m.subject = "Message " + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(mailer().Send(m));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::vector<std::string> delivered = env_->Delivered();
  ASSERT_EQ(delivered.size(), 6u);
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 2; ++i) {
      const std::string subject = "Subject: Message " + std::to_string(t) + "-" + std::to_string(i) + "\r\n";
      EXPECT_EQ(std::count_if(delivered.begin(), delivered.end(),
                              [&](const std::string& text) { return Has(text, subject); }),
                1)
          << subject;
    }
  }
}

TEST_P(MailerContractTest, WhenDeliveryIsImpossibleSendIsUnavailable) {
  ASSERT_TRUE(mailer().Send(kReset));
  env_->BreakDelivery();
  Status sent = mailer().Send(kReset);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable) << sent.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    mail, MailerContractTest,
    ::testing::Values(Implementation{"fake", [] { return std::make_unique<FakeEnvironment>(); }},
                      Implementation{"outbox", [] { return std::make_unique<OutboxEnvironment>(); }},
                      Implementation{"smtp", [] { return std::make_unique<SmtpEnvironment>(); }}),
    [](const ::testing::TestParamInfo<Implementation>& param) { return param.param.name; });

}  // namespace
}  // namespace maskfleet::mail
