// Sending mail: the Mailer interface.
//
// The worker sends mail for one purpose, password recovery, and the mail carries a
// secret (the reset link). A Mailer takes a plain-text message to one recipient
// and either hands it on or says why not. Implementations:
//   outbox/outbox_mailer.h  writes each message as an .eml file into a folder
//                           (the local mode's default; tests read it back);
//   smtp/smtp_mailer.h      delivers through an SMTP server (libcurl);
//   fake_mailer.h           keeps messages in memory, for other components' tests.
// None of them logs a message body: bodies hold reset links.
//
// Implementations are safe to call from many threads at once.
#ifndef MASKFLEET_MAIL_MAILER_H_
#define MASKFLEET_MAIL_MAILER_H_

#include <string>

#include "maskfleet/common/error.h"

namespace maskfleet::mail {

struct Message {
  // One address, "name@example.com" (no display name, no list).
  std::string to;
  // One line of UTF-8 text; no CR or LF.
  std::string subject;
  // UTF-8 text; any line ending (LF, CRLF) is accepted and sent as CRLF.
  std::string text_body;
};

class Mailer {
 public:
  virtual ~Mailer() = default;

  // Sends `message`. On success it has been handed on (written durably to the
  // outbox, or accepted by the SMTP server); delivery beyond that is not known.
  // Errors: kInvalidArgument if the message cannot be written safely (a malformed
  // address, CR/LF or other control characters in the subject, a body that is not
  // UTF-8); kUnavailable if it could not be handed on now (disk, network, server
  // refusal: retry later); kInternal for a broken configuration.
  virtual Status Send(const Message& message) = 0;
};

}  // namespace maskfleet::mail

#endif  // MASKFLEET_MAIL_MAILER_H_
