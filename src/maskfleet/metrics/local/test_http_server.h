// A cpp-httplib server on a free loopback port for the tests of this folder: serves
// whatever text the test sets at /metrics (and counts the scrapes).
#ifndef MASKFLEET_METRICS_LOCAL_TEST_HTTP_SERVER_H_
#define MASKFLEET_METRICS_LOCAL_TEST_HTTP_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace maskfleet::metrics::local::testing {

class CannedMetricsServer {
 public:
  CannedMetricsServer() {
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      ++scrapes_;
      std::lock_guard<std::mutex> lock(mu_);
      res.status = status_;
      res.set_content(body_, "text/plain; version=0.0.4");
    });
    port_ = static_cast<std::uint16_t>(server_.bind_to_any_port("127.0.0.1"));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // cpp-httplib 0.11 has no wait_until_ready(); the socket is bound already, so a
    // connection made before listen() starts waits in the backlog.
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~CannedMetricsServer() {
    server_.stop();
    thread_.join();
  }

  void Set(std::string body, int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
    status_ = status;
  }
  std::uint16_t port() const { return port_; }
  int scrapes() const { return scrapes_; }

 private:
  httplib::Server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string body_;  // guarded by mu_
  int status_ = 200;  // guarded by mu_
  std::atomic<int> scrapes_{0};
};

}  // namespace maskfleet::metrics::local::testing

#endif  // MASKFLEET_METRICS_LOCAL_TEST_HTTP_SERVER_H_
