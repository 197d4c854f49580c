// A Mailer that delivers through an SMTP server, with libcurl.
//
// Each Send opens one connection, says EHLO, secures it if configured, logs in if
// configured, and hands over one message (MAIL FROM, RCPT TO, DATA); libcurl does
// the protocol, including dot-stuffing. Password-recovery mail is rare, so there is
// no connection reuse.
//
// Transport security: "smtps://" is TLS from the first byte; "smtp://" is
// plaintext unless `require_starttls` is set, in which case the server must offer
// STARTTLS or nothing is sent (never a silent fall-back to plaintext). Server
// certificates are verified against the system store or `ca_file`. Logging in over
// plaintext is refused at Create unless `allow_plaintext_login` says otherwise
// (only sensible on loopback, e.g. in tests).
//
// Environment proxies are ignored. Neither the password nor message bodies are
// logged or put in error messages.
//
// Thread-safe: each Send uses its own curl handle.
#ifndef MASKFLEET_MAIL_SMTP_SMTP_MAILER_H_
#define MASKFLEET_MAIL_SMTP_SMTP_MAILER_H_

#include <chrono>
#include <memory>
#include <string>

#include "maskfleet/common/clock.h"
#include "maskfleet/mail/mailer.h"

namespace maskfleet::mail::smtp {

struct SmtpOptions {
  // "smtp://host[:port]" or "smtps://host[:port]". Required. Default ports 25 / 465
  // (curl's); submission is usually "smtp://host:587" with require_starttls.
  std::string url;
  // From address (also the envelope sender). Required.
  std::string from_address;
  // From display name. Default "maskfleet".
  std::string from_name = "maskfleet";
  // For smtp://: refuse to send unless STARTTLS succeeds. Default false.
  bool require_starttls = false;
  // Log in (AUTH) with these if `username` is not empty. Default: no login.
  std::string username;
  std::string password;
  // Allow AUTH on an unencrypted connection. Default false.
  bool allow_plaintext_login = false;
  // Verify the server's TLS certificate and name. Default true.
  bool verify_tls = true;
  // PEM file of CA certificates to trust instead of the system's. Default: system.
  std::string ca_file;
  // Per connection. Default 10 s.
  std::chrono::milliseconds connect_timeout{10'000};
  // Whole conversation. Default 30 s.
  std::chrono::milliseconds timeout{30'000};
};

class SmtpMailer : public Mailer {
 public:
  // Checks the options; does not connect.
  // Errors: kInvalidArgument for a URL that is not smtp:// or smtps://, a malformed
  // from_address, a login over plaintext without allow_plaintext_login.
  // `clock` (for the Date header) must outlive the mailer.
  static Result<std::unique_ptr<SmtpMailer>> Create(SmtpOptions options, const Clock& clock = RealClock());

  // Delivers the message to the server. Errors as Mailer::Send; every failure of
  // the connection or the conversation (refused connection, timeout, TLS failure,
  // STARTTLS not offered, login denied, recipient refused) is kUnavailable, with
  // curl's description and the server's last reply code.
  Status Send(const Message& message) override;

 private:
  SmtpMailer(SmtpOptions options, bool implicit_tls, const Clock& clock)
      : options_(std::move(options)), implicit_tls_(implicit_tls), clock_(clock) {}

  const SmtpOptions options_;
  const bool implicit_tls_;
  const Clock& clock_;
};

}  // namespace maskfleet::mail::smtp

#endif  // MASKFLEET_MAIL_SMTP_SMTP_MAILER_H_
