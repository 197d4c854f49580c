#include "maskfleet/aws/sigv4.h"

#include <algorithm>
#include <ctime>

namespace maskfleet::aws {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

void AppendPercent(std::string& out, unsigned char c) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kDigits[c >> 4]);
  out.push_back(kDigits[c & 0xf]);
}

std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::string FormEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      AppendPercent(out, c);
    }
  }
  return out;
}

std::string FormBody(const Parameters& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += FormEncode(name);
    out.push_back('=');
    out += FormEncode(value);
  }
  return out;
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      AppendPercent(out, c);
    }
  }
  return out;
}

std::string CanonicalQueryString(const Parameters& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) encoded.emplace_back(UriEncode(name), UriEncode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

namespace {

std::string FormatUtc(std::chrono::system_clock::time_point t, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  const std::size_t length = std::strftime(text, sizeof(text), format, &utc);
  return std::string(text, length);
}

}  // namespace

std::string AmzDate(std::chrono::system_clock::time_point t) { return FormatUtc(t, "%Y%m%dT%H%M%SZ"); }

std::string AmzDateStamp(std::chrono::system_clock::time_point t) { return FormatUtc(t, "%Y%m%d"); }

Digest256 SigningKey(std::string_view secret_access_key, std::string_view date_stamp, std::string_view region,
                     std::string_view service) {
  const std::string initial = "AWS4" + std::string(secret_access_key);
  Digest256 key = HmacSha256(AsBytes(initial), date_stamp);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

namespace {

std::string Scope(const PresignRequest& request) {
  return AmzDateStamp(request.signed_at) + "/" + request.region + "/" + request.service + "/aws4_request";
}

std::string HostOf(std::string_view origin) {
  const auto scheme_end = origin.find("://");
  std::string_view host = scheme_end == std::string_view::npos ? origin : origin.substr(scheme_end + 3);
  host = host.substr(0, host.find('/'));
  return std::string(host);
}

Parameters PresignQuery(const PresignRequest& request, const Credentials& credentials) {
  Parameters query = request.query;
  query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  query.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + Scope(request));
  query.emplace_back("X-Amz-Date", AmzDate(request.signed_at));
  query.emplace_back("X-Amz-Expires", std::to_string(request.expires.count()));
  if (!credentials.session_token.empty()) {
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  query.emplace_back("X-Amz-SignedHeaders", "host");
  return query;
}

}  // namespace

std::string PresignCanonicalRequest(const PresignRequest& request, const Credentials& credentials) {
  return request.method + "\n" + UriEncode(request.path, /*keep_slash=*/true) + "\n" +
         CanonicalQueryString(PresignQuery(request, credentials)) + "\nhost:" + HostOf(request.origin) +
         "\n\nhost\nUNSIGNED-PAYLOAD";
}

std::string PresignUrl(const PresignRequest& request, const Credentials& credentials) {
  const std::string string_to_sign = "AWS4-HMAC-SHA256\n" + AmzDate(request.signed_at) + "\n" +
                                     Scope(request) + "\n" +
                                     Sha256Hex(PresignCanonicalRequest(request, credentials));
  const Digest256 key = SigningKey(credentials.secret_access_key, AmzDateStamp(request.signed_at),
                                   request.region, request.service);
  // The signature goes last, as AWS's own examples write it.
  return request.origin + UriEncode(request.path, /*keep_slash=*/true) + "?" +
         CanonicalQueryString(PresignQuery(request, credentials)) +
         "&X-Amz-Signature=" + HexLower(HmacSha256(key, string_to_sign));
}

}  // namespace maskfleet::aws
