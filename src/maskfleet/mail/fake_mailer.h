// A Mailer that keeps what it is given, for tests of the components that send mail.
//
// Send() validates the message as the real mailers do (it builds the RFC 5322
// text and throws it away), then records the message, or returns the error set with
// FailNextSends(). Thread-safe.
#ifndef MASKFLEET_MAIL_FAKE_MAILER_H_
#define MASKFLEET_MAIL_FAKE_MAILER_H_

#include <mutex>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/mail/mailer.h"
#include "maskfleet/mail/message.h"

namespace maskfleet::mail {

class FakeMailer : public Mailer {
 public:
  Status Send(const Message& message) override {
    Result<std::string> text = BuildMessage(message,
                                            Envelope{"fake@maskfleet.test", "", RealClock().Now(), ""});
    if (!text) return std::unexpected(text.error());
    std::lock_guard lock(mu_);
    if (failures_left_ > 0) {
      --failures_left_;
      return std::unexpected(failure_);
    }
    sent_.push_back(message);
    return {};
  }

  // The next `count` Send calls fail with `error`.
  void FailNextSends(int count, Error error) {
    std::lock_guard lock(mu_);
    failures_left_ = count;
    failure_ = std::move(error);
  }

  std::vector<Message> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Message> sent_;  // guarded by mu_
  int failures_left_ = 0;      // guarded by mu_
  Error failure_;              // guarded by mu_
};

}  // namespace maskfleet::mail

#endif  // MASKFLEET_MAIL_FAKE_MAILER_H_
