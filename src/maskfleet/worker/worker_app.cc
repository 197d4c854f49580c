#include "maskfleet/worker/worker_app.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <spdlog/spdlog.h>

#include "maskfleet/accounts/account_service.h"
#include "maskfleet/accounts/reset_token_store.h"
#include "maskfleet/accounts/session_store.h"
#include "maskfleet/accounts/setup.h"
#include "maskfleet/accounts/user_store.h"
#include "maskfleet/detect/model_location.h"
#include "maskfleet/detect/photo_analyzer.h"
#include "maskfleet/net/url_fetcher.h"
#include "maskfleet/observability/metrics.h"
#include "maskfleet/observability/worker_metrics.h"
#include "maskfleet/photos/image_store.h"
#include "maskfleet/worker/photo_service.h"
#include "maskfleet/worker/store_health.h"
#include "maskfleet/worker/worker_server.h"

namespace maskfleet::worker {

struct WorkerApp::Parts {
  WorkerConfig config;
  Clock* clock = nullptr;
  WorkerBackends backends;
  std::unique_ptr<accounts::UserStore> users;
  std::unique_ptr<accounts::SessionStore> sessions;
  std::unique_ptr<accounts::ResetTokenStore> resets;
  std::unique_ptr<accounts::ThrottleStore> throttles;
  std::unique_ptr<photos::ImageStore> images;
  std::unique_ptr<detect::DetectorPool> detectors;
  std::unique_ptr<detect::PhotoAnalyzer> analyzer;
  std::unique_ptr<net::UrlFetcher> fetcher;
  std::unique_ptr<StoreHealth> readiness;  // before photos, which reports to it
  std::unique_ptr<PhotoService> photos;
  std::unique_ptr<accounts::AccountService> accounts;
  observability::MetricsRegistry registry;
  std::unique_ptr<observability::WorkerMetrics> metrics;
  std::unique_ptr<WorkerServer> server;

  // Housekeeping: expired sessions and reset tokens are deleted every 10 minutes.
  std::mutex housekeeping_mu;
  std::condition_variable housekeeping_wake;
  bool stopping = false;  // guarded by housekeeping_mu
  std::thread housekeeping;
  // Hands the completed minutes' request counts to backends.request_counts, once a
  // minute (when there is one); waits on housekeeping_wake too.
  std::thread publisher;
};

namespace {

template <typename T>
Status Take(std::unique_ptr<T>& slot, Result<std::unique_ptr<T>> made, std::string_view what) {
  if (!made) return std::unexpected(made.error().WithContext(what));
  slot = std::move(*made);
  return {};
}

// How long after a minute ends its count is handed over: the counter closes a minute
// at its first request after the boundary, or when asked, so a few seconds suffice.
constexpr std::chrono::seconds kPublishAfterMinute{5};

// The request counter's completed minutes, as the publisher takes them.
std::vector<metrics::RequestMinute> CompletedMinutes(const observability::WorkerMetrics& m) {
  std::vector<metrics::RequestMinute> minutes;
  for (const observability::MinuteCount& c : m.request_rate().CompletedMinutes()) {
    minutes.push_back({c.minute_start, c.count});
  }
  return minutes;
}

// The threads of worker_config.h's count, with a line in the log when the configured
// number was too few.
int HttpThreadsFor(const WorkerConfig& c) {
  const int threads = HttpThreads(c);
  if (threads != c.http_threads) {
    spdlog::info(
        "worker.http_threads raised from {} to {}: {} admitted analyses, URL fetches and password checks, "
        "{} threads to answer beyond them and {} spare threads for /healthz",
        c.http_threads, threads, AdmittedRequests(c), kOverflowAnswers, kSpareHttpThreads);
  }
  return threads;
}

}  // namespace

WorkerApp::WorkerApp(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
WorkerApp::~WorkerApp() { Stop(); }

Result<std::unique_ptr<WorkerApp>> WorkerApp::Create(const WorkerConfig& config, WorkerBackends backends,
                                                     Clock& clock) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  p->config.FillDefaults();
  p->clock = &clock;
  p->backends = std::move(backends);
  const WorkerConfig& c = p->config;
  storage::Database& database = *p->backends.database;

  p->users = std::make_unique<accounts::UserStore>(database, clock);
  p->sessions = std::make_unique<accounts::SessionStore>(database, clock);
  p->resets = std::make_unique<accounts::ResetTokenStore>(database, clock);
  p->throttles = std::make_unique<accounts::ThrottleStore>(database);
  p->images = std::make_unique<photos::ImageStore>(database, clock);

  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  cv::setNumThreads(c.opencv_threads);
  Result<detect::ModelData> model = detect::ModelData::Load(detect::ResolveModelDir(c.model_dir.string()));
  if (!model) return std::unexpected(model.error().WithContext("model"));
  Result<detect::Quality> quality = detect::ParseQuality(c.detection_quality);
  if (!quality) return std::unexpected(quality.error());
  if (Status s = Take(p->detectors,
                      detect::DetectorPool::Create(*model, c.detection_threads, {.quality = *quality}),
                      "model");
      !s) {
    return std::unexpected(s.error());
  }
  detect::AnalyzerOptions analyzer;
  analyzer.decode.max_pixels = c.max_pixels;
  p->analyzer = std::make_unique<detect::PhotoAnalyzer>(*p->detectors, analyzer);

  net::FetchOptions fetch;
  fetch.max_bytes = static_cast<std::size_t>(c.max_upload_bytes);
  fetch.allow_private = c.allow_private_urls;
  Result<net::UrlFetcher> fetcher = net::UrlFetcher::Create(fetch);
  if (!fetcher) return std::unexpected(fetcher.error().WithContext("URL fetcher"));
  p->fetcher = std::make_unique<net::UrlFetcher>(std::move(*fetcher));
  p->readiness = std::make_unique<StoreHealth>(
      database, *p->backends.objects,
      StoreHealthOptions{.readiness_period = std::chrono::seconds(c.readiness_probe_seconds),
                         .probe_key = "readiness/probe-" + std::to_string(::getpid())});
  p->photos = std::make_unique<PhotoService>(
      *p->analyzer, *p->images, *p->backends.objects, *p->fetcher,
      PhotoServiceOptions{.max_photo_bytes = c.max_upload_bytes,
                          .max_in_flight = c.detection_threads + c.detection_queue,
                          .max_running = c.detection_threads,
                          .max_wait = std::chrono::milliseconds(c.detection_wait_ms),
                          .max_url_fetches = c.url_fetches,
                          .store_unavailable =
                              [readiness = p->readiness.get()](const Error& e) { readiness->StoreFailed(e); },
                          .stored = [readiness = p->readiness.get()] { readiness->StoreSucceeded(); }},
      p->backends.cpu_budget);

  p->accounts = std::make_unique<accounts::AccountService>(
      *p->users, *p->sessions, *p->resets, *p->throttles, *p->backends.mailer, clock,
      accounts::AccountOptionsFrom(c, c.register_enabled));
  if (Status s = accounts::EnsureFirstAdmin(c, *p->users, *p->accounts); !s) {
    return std::unexpected(s.error().WithContext("first administrator"));
  }
  if (Status s = accounts::ReportNameClashes(*p->users); !s) {
    spdlog::warn("could not check user names for case clashes: {}", s.error().ToString());
  }
  return std::unique_ptr<WorkerApp>(new WorkerApp(std::move(p)));
}

Result<int> WorkerApp::Start() {
  Parts& p = *parts_;
  ServerHooks hooks;
  p.readiness->StartChecking();
  hooks.health = [health = p.readiness.get()] { return health->Live(); };
  hooks.ready = [health = p.readiness.get()] { return health->Ready(); };
  p.metrics = std::make_unique<observability::WorkerMetrics>(p.registry, *p.clock);
  observability::WorkerMetrics* metrics = p.metrics.get();
  PhotoService* photos = p.photos.get();
  p.registry.AddCallbackGauge("maskfleet_detections_in_flight",
                              "Analyses running or waiting for a network now",
                              [photos] { return static_cast<double>(photos->in_flight()); });
  p.registry.AddCallbackGauge("maskfleet_url_fetches_in_flight", "URL uploads fetching their photo now",
                              [photos] { return static_cast<double>(photos->url_fetches()); });
  hooks.metrics = [registry = &p.registry] { return registry->Serialize(); };
  hooks.observe = [metrics](const std::string& route, const std::string& method, int status,
                            std::chrono::nanoseconds taken) {
    metrics->RecordRequest({route, method, status, taken});
  };
  hooks.detected = [metrics](int masked, int unmasked) { metrics->RecordDetection(masked, unmasked); };
  ServerOptions options;
  options.name = p.config.name;
  options.web_dir = p.config.web_dir;
  options.secure_cookies = p.config.secure_cookies;
  options.trust_forwarded_for = p.config.trust_forwarded_for;
  options.http_threads = HttpThreadsFor(p.config);
  p.server = std::make_unique<WorkerServer>(*p.accounts, *p.photos, *p.images, *p.backends.objects,
                                            std::move(hooks), std::move(options));
  Result<int> port = p.server->Start(p.config.host, p.config.port);
  if (port) {
    p.housekeeping = std::thread([&p] {
      std::unique_lock lock(p.housekeeping_mu);
      while (!p.housekeeping_wake.wait_for(lock, std::chrono::minutes(10), [&p] { return p.stopping; })) {
        lock.unlock();
        const Clock::TimePoint now = p.clock->Now();
        if (auto n = p.sessions->DeleteExpired(now); !n) {
          spdlog::warn("deleting expired sessions failed: {}", n.error().ToString());
        }
        if (auto n = p.resets->DeleteExpired(now); !n) {
          spdlog::warn("deleting expired reset tokens failed: {}", n.error().ToString());
        }
        // Throttle counters idle for a day: well past every forgetting time.
        if (auto n = p.throttles->DeleteStale(now - std::chrono::hours(24)); !n) {
          spdlog::warn("deleting stale sign-in throttles failed: {}", n.error().ToString());
        }
        lock.lock();
      }
    });
  }
  if (port && p.backends.request_counts) {
    p.publisher = std::thread([&p] {
      std::unique_lock lock(p.housekeeping_mu);
      for (;;) {
        const Clock::TimePoint now = p.clock->Now();
        const Clock::TimePoint next = std::chrono::floor<std::chrono::minutes>(now) +
                                      std::chrono::minutes(1) + kPublishAfterMinute;
        if (p.housekeeping_wake.wait_for(lock, next - now, [&p] { return p.stopping; })) break;
        lock.unlock();
        // The publisher keeps what it could not send and sends it with the next call.
        if (Status s = p.backends.request_counts->Publish(CompletedMinutes(*p.metrics)); !s) {
          spdlog::warn("publishing the request counts failed (kept for the next minute): {}",
                       s.error().ToString());
        }
        lock.lock();
      }
    });
  }
  if (port) spdlog::info("worker serving on http://{}:{}", p.config.host, *port);
  return port;
}

void WorkerApp::Stop() {
  if (!parts_) return;
  if (parts_->server) parts_->server->Stop();
  {
    std::lock_guard lock(parts_->housekeeping_mu);
    parts_->stopping = true;
  }
  parts_->housekeeping_wake.notify_all();
  if (parts_->housekeeping.joinable()) parts_->housekeeping.join();
  if (parts_->readiness) parts_->readiness->StopChecking();
  if (parts_->publisher.joinable()) parts_->publisher.join();
}

}  // namespace maskfleet::worker
