// Fuzz target: one raw HTTP request, as a client could send it, through cpp-httplib's
// request parser (request line, headers, chunked bodies, urlencoded and multipart
// forms) into the project's own form handling, as the worker's upload routes use it:
// FormField, the multipart 'file' part into the image probe, ParseJsonObject and
// JsonString, IntParam, GetCookie, and RespondError. Checks that no request is
// answered 500 (every way a stranger's request can fail is the caller's error) and
// that whatever the handlers answer is a valid HTTP response.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include <httplib.h>

#include "fuzz_check.h"
#include "maskfleet/http/http_util.h"
#include "maskfleet/image/probe.h"

namespace {

using maskfleet::Error;
using maskfleet::ErrorCode;
using maskfleet::Result;

// The request's bytes in, the answer's bytes out; no socket.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view input) : input_(input) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override {
    const std::size_t n = std::min(size, input_.size() - offset_);
    std::memcpy(ptr, input_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    output_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  const std::string& output() const { return output_; }

 private:
  std::string_view input_;
  std::size_t offset_ = 0;
  std::string output_;
};

// A server whose protected per-connection entry point the fuzzer can call.
class FuzzServer final : public httplib::Server {
 public:
  bool Process(httplib::Stream& stream) {
    bool closed = false;
    return process_request(stream, /*close_connection=*/true, closed, [](httplib::Request&) {});
  }
};

void Fail(httplib::Response& res, const Error& error) {
  maskfleet::http::RespondError(res, error, maskfleet::http::ErrorStyle::kApiV1, "fuzz");
}

// As the upload routes read a file part: bytes to the probe, never trusted.
void ProbeFilePart(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_file("file")) return Fail(res, {ErrorCode::kInvalidArgument, "file is missing"});
  const httplib::MultipartFormData file = req.get_file_value("file");
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(file.content.data()),
                                            file.content.size());
  Result<maskfleet::image::ImageInfo> info = maskfleet::image::ProbeImage(bytes);
  if (!info) return Fail(res, info.error());
  FUZZ_CHECK(info->width > 0 && info->height > 0);
  maskfleet::http::RespondJson(res, 201, {{"width", info->width}, {"height", info->height}});
}

FuzzServer& Server() {
  static FuzzServer* server = [] {
    auto* s = new FuzzServer();
    // The worker's limits (10 MiB photo plus multipart overhead).
    maskfleet::http::ApplyServerDefaults(*s, 2, 10 * 1024 * 1024 + 64 * 1024, "default-src 'self'");
    maskfleet::http::AnswerExceptionsWith(*s, Fail);
    s->Post("/api/upload", [](const httplib::Request& req, httplib::Response& res) {
      const std::optional<std::string> username = maskfleet::http::FormField(req, "username");
      const std::optional<std::string> password = maskfleet::http::FormField(req, "password");
      if (!username || !password)
        return Fail(res, {ErrorCode::kInvalidArgument, "username and password are required"});
      ProbeFilePart(req, res);
    });
    s->Post("/api/v1/images", [](const httplib::Request& req, httplib::Response& res) {
      if (req.is_multipart_form_data()) return ProbeFilePart(req, res);
      Result<nlohmann::json> body = maskfleet::http::ParseJsonObject(req);
      if (!body) return Fail(res, body.error());
      Result<std::string> url = maskfleet::http::JsonString(*body, "url");
      if (!url) return Fail(res, url.error());
      maskfleet::http::RespondJson(res, 202, {{"length", url->size()}});
    });
    s->Get("/api/v1/images", [](const httplib::Request& req, httplib::Response& res) {
      Result<std::int64_t> page = maskfleet::http::IntParam(req, "page", 1, 1, 1'000'000);
      if (!page) return Fail(res, page.error());
      FUZZ_CHECK(*page >= 1 && *page <= 1'000'000);
      Result<std::int64_t> page_size = maskfleet::http::IntParam(req, "page_size", 20, 1, 100);
      if (!page_size) return Fail(res, page_size.error());
      FUZZ_CHECK(*page_size >= 1 && *page_size <= 100);
      const bool has_cookie = maskfleet::http::GetCookie(req, maskfleet::http::kSessionCookie).has_value();
      maskfleet::http::RespondJson(res, 200,
                                   {{"page", *page}, {"page_size", *page_size}, {"cookie", has_cookie}});
    });
    return s;
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemoryStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  Server().Process(stream);
  const std::string& answer = stream.output();
  if (answer.empty()) return 0;  // cpp-httplib wrote nothing: a request it could not read
  FUZZ_CHECK(answer.rfind("HTTP/1.1 ", 0) == 0 && answer.size() >= 12);
  const std::string status = answer.substr(9, 3);
  FUZZ_CHECK(status != "500");
  return 0;
}
