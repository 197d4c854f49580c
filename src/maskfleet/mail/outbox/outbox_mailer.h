// A Mailer that writes each message into a folder instead of sending it.
//
// The local mode's default: an operator (or a test) reads the folder. Each message
// becomes one file "<UTC time>-<random>.eml" (e.g.
// "20261127T202535Z-3f9c...eml", so names sort by time) holding the RFC 5322 text
// that SMTP would carry (message.h). A file appears complete or not at all: it is
// written as a hidden ".<name>.tmp" beside it, flushed to disk, then renamed.
// Readers should take only names ending in ".eml". Files and a folder created here
// are readable by the owner only (0600, 0700): bodies hold reset links.
//
// Each Send logs one line at info level naming the recipient and the file, never
// the subject or body.
//
// Thread-safe; several processes may share one outbox folder.
#ifndef MASKFLEET_MAIL_OUTBOX_OUTBOX_MAILER_H_
#define MASKFLEET_MAIL_OUTBOX_OUTBOX_MAILER_H_

#include <filesystem>
#include <memory>
#include <string>

#include "maskfleet/common/clock.h"
#include "maskfleet/mail/mailer.h"

namespace maskfleet::mail::outbox {

struct OutboxOptions {
  // The folder; created (with parents) if absent. Required.
  std::filesystem::path directory;
  // From address. Default "maskfleet@localhost".
  std::string from_address = "maskfleet@localhost";
  // From display name. Default "maskfleet".
  std::string from_name = "maskfleet";
};

class OutboxMailer : public Mailer {
 public:
  // Errors: kInvalidArgument for an empty directory or a malformed from_address;
  // kUnavailable if the folder cannot be created or is not a folder.
  // `clock` (for the Date header and file names) must outlive the mailer.
  static Result<std::unique_ptr<OutboxMailer>> Create(OutboxOptions options,
                                                      const Clock& clock = RealClock());

  // Writes the message file. Errors as Mailer::Send; kUnavailable for a failed
  // write (disk full, permissions), with the file name.
  Status Send(const Message& message) override;

  const std::filesystem::path& directory() const { return options_.directory; }

 private:
  OutboxMailer(OutboxOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

  const OutboxOptions options_;
  const Clock& clock_;
};

}  // namespace maskfleet::mail::outbox

#endif  // MASKFLEET_MAIL_OUTBOX_OUTBOX_MAILER_H_
