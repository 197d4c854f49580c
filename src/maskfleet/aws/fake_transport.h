// A scripted HttpTransport for tests: answers queued in advance, requests recorded.
// Safe from many threads.
#ifndef MASKFLEET_AWS_FAKE_TRANSPORT_H_
#define MASKFLEET_AWS_FAKE_TRANSPORT_H_

#include <deque>
#include <mutex>
#include <vector>

#include "maskfleet/aws/http.h"

namespace maskfleet::aws {

class FakeTransport : public HttpTransport {
 public:
  // Queues an answer with `status` and `body` (and headers).
  void Answer(long status, std::string body, Headers headers = {}) {
    std::lock_guard lock(mu_);
    answers_.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  // Queues a failure to connect (kUnavailable).
  void FailConnection(std::string message = "connection refused") {
    std::lock_guard lock(mu_);
    answers_.push_back(std::unexpected(Error{ErrorCode::kUnavailable, std::move(message)}));
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (answers_.empty()) return MakeError(ErrorCode::kInternal, "FakeTransport: no answer queued");
    auto answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  std::deque<Result<HttpResponse>> answers_;  // guarded by mu_
  std::vector<HttpRequest> requests_;         // guarded by mu_
};

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_FAKE_TRANSPORT_H_
