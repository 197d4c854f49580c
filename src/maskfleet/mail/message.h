// Turning a Message into RFC 5322 text that cannot smuggle headers.
//
// BuildMessage writes the headers Date, From, To, Subject, Message-ID,
// MIME-Version, Content-Type (text/plain; charset=utf-8) and
// Content-Transfer-Encoding, then the body, with CRLF line ends throughout. Every
// value that reaches a header is checked first: addresses must be plain
// "local@domain" of printable ASCII without spaces or specials; subject and display
// name must have no control characters at all (so no CR or LF, the ingredients of
// header injection) and be valid UTF-8. Non-ASCII subject and display name are
// written as RFC 2047 encoded-words. The body is sent as 7bit when it is ASCII with
// lines of at most 998 bytes, otherwise as quoted-printable, so that no SMTP
// extension (8BITMIME) is needed.
//
// Not supported: internationalised addresses (SMTPUTF8), several recipients,
// attachments, HTML. Nothing here needs them.
//
// Hand-written (UTF-8 check, RFC 2047 words, quoted-printable: about 150 lines)
// rather than a MIME library: libcurl's curl_mime encodes parts only while it
// transfers them, so it cannot write the outbox's files, and a MIME library
// (GMime, vmime) would be a large dependency for one plain-text message.
//
// Pure functions, safe from any thread.
#ifndef MASKFLEET_MAIL_MESSAGE_H_
#define MASKFLEET_MAIL_MESSAGE_H_

#include <string>
#include <string_view>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/mail/mailer.h"

namespace maskfleet::mail {

// What the sender adds to a Message.
struct Envelope {
  // "maskfleet@example.com". Required.
  std::string from_address;
  // Display name shown with From, e.g. "maskfleet". Optional.
  std::string from_name;
  // The Date header.
  Clock::TimePoint date;
  // The Message-ID without angle brackets ("abc@example.com"). Empty: a random one
  // at the From address's domain.
  std::string message_id;
};

// Errors: kInvalidArgument naming the field ("subject contains a line break").
Status ValidateMailAddress(std::string_view address, std::string_view field = "address");

// The complete message text, ready for an .eml file or SMTP DATA.
// Errors: kInvalidArgument as ValidateMailAddress, or for a subject or display
// name with control characters, over 900 bytes, or not UTF-8; or a body that is
// not UTF-8 or holds NUL bytes.
Result<std::string> BuildMessage(const Message& message, const Envelope& envelope);

// "Fri, 27 Nov 2026 20:25:35 +0000" (RFC 5322 date-time, always UTC).
std::string FormatDate(Clock::TimePoint time);

// 32 random hex digits: for Message-IDs and file names (not secret, only unique).
std::string RandomHex128();

}  // namespace maskfleet::mail

#endif  // MASKFLEET_MAIL_MESSAGE_H_
