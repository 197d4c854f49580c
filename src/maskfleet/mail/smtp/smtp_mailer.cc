#include "maskfleet/mail/smtp/smtp_mailer.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "maskfleet/mail/message.h"

namespace maskfleet::mail::smtp {
namespace {

void EnsureCurl() {
  // Reference-counted by curl; other components may call it too.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

struct Upload {
  std::string_view remaining;
};

std::size_t ReadBody(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->remaining.size());
  std::memcpy(buffer, upload->remaining.data(), n);
  upload->remaining.remove_prefix(n);
  return n;
}

}  // namespace

Result<std::unique_ptr<SmtpMailer>> SmtpMailer::Create(SmtpOptions options, const Clock& clock) {
  EnsureCurl();
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url) return MakeError(ErrorCode::kInternal, "curl_url: out of memory");
  if (curl_url_set(url.get(), CURLUPART_URL, options.url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "SMTP server URL must look like smtp://host:587 or smtps://host:465");
  }
  char* scheme_text = nullptr;
  std::string scheme;
  if (curl_url_get(url.get(), CURLUPART_SCHEME, &scheme_text, 0) == CURLUE_OK) {
    scheme = scheme_text;
    curl_free(scheme_text);
  }
  if (scheme != "smtp" && scheme != "smtps") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "SMTP server URL must start with smtp:// or smtps://, not " + scheme + "://");
  }
  if (Status ok = ValidateMailAddress(options.from_address, "SMTP sender address"); !ok) {
    return std::unexpected(ok.error());
  }
  const bool implicit_tls = scheme == "smtps";
  if (!options.username.empty() && !implicit_tls && !options.require_starttls &&
      !options.allow_plaintext_login) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "SMTP login over an unencrypted connection: use smtps://, or set "
                     "require_starttls");
  }
  return std::unique_ptr<SmtpMailer>(new SmtpMailer(std::move(options), implicit_tls, clock));
}

Status SmtpMailer::Send(const Message& message) {
  Result<std::string> text = BuildMessage(
      message, Envelope{options_.from_address, options_.from_name, clock_.Now(), ""});
  if (!text) return std::unexpected(text.error());

  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  CURL* h = easy.get();
  const std::string mail_from = "<" + options_.from_address + ">";
  std::unique_ptr<curl_slist, SlistDeleter> recipients(
      curl_slist_append(nullptr, ("<" + message.to + ">").c_str()));
  Upload upload{*text};
  char error_text[CURL_ERROR_SIZE] = "";

  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadBody);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text->size()));
  if (options_.require_starttls && !implicit_tls_) {
    curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
  }

  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    std::string why = error_text[0] != '\0' ? error_text : curl_easy_strerror(rc);
    if (reply != 0) why += " (last server reply " + std::to_string(reply) + ")";
    spdlog::warn("mail: sending to {} via SMTP failed: {}", message.to, why);
    return MakeError(ErrorCode::kUnavailable, "sending mail to " + message.to + " via SMTP: " + why);
  }
  spdlog::info("mail: message to {} accepted by the SMTP server", message.to);
  return {};
}

}  // namespace maskfleet::mail::smtp
