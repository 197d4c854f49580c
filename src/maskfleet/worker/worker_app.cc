#include "maskfleet/worker/worker_app.h"

#include <condition_variable>
#include <mutex>
#include <thread>

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
#include "maskfleet/worker/worker_server.h"

namespace maskfleet::worker {

struct WorkerApp::Parts {
  WorkerConfig config;
  Clock* clock = nullptr;
  WorkerBackends backends;
  std::unique_ptr<accounts::UserStore> users;
  std::unique_ptr<accounts::SessionStore> sessions;
  std::unique_ptr<accounts::ResetTokenStore> resets;
  std::unique_ptr<photos::ImageStore> images;
  std::unique_ptr<detect::DetectorPool> detectors;
  std::unique_ptr<detect::PhotoAnalyzer> analyzer;
  std::unique_ptr<net::UrlFetcher> fetcher;
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
};

namespace {

template <typename T>
Status Take(std::unique_ptr<T>& slot, Result<std::unique_ptr<T>> made, std::string_view what) {
  if (!made) return std::unexpected(made.error().WithContext(what));
  slot = std::move(*made);
  return {};
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
  p->images = std::make_unique<photos::ImageStore>(database, clock);

  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  cv::setNumThreads(c.opencv_threads);
  Result<detect::ModelData> model = detect::ModelData::Load(detect::ResolveModelDir(c.model_dir.string()));
  if (!model) return std::unexpected(model.error().WithContext("model"));
  Result<detect::Quality> quality = detect::ParseQuality(c.detection_quality);
  if (!quality) return std::unexpected(quality.error());
  if (Status s = Take(p->detectors,
                      detect::DetectorPool::Create(*model, c.detection_threads, {.quality = *quality}), "model");
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
  p->photos = std::make_unique<PhotoService>(
      *p->analyzer, *p->images, *p->backends.objects, *p->fetcher,
      PhotoServiceOptions{c.max_upload_bytes, c.detection_threads + c.detection_queue}, p->backends.cpu_budget);

  p->accounts = std::make_unique<accounts::AccountService>(*p->users, *p->sessions, *p->resets,
                                                           *p->backends.mailer, clock,
                                                           accounts::AccountOptionsFrom(c, c.register_enabled));
  if (Status s = accounts::EnsureFirstAdmin(c, *p->users, *p->accounts); !s) {
    return std::unexpected(s.error().WithContext("first administrator"));
  }
  return std::unique_ptr<WorkerApp>(new WorkerApp(std::move(p)));
}

Result<int> WorkerApp::Start() {
  Parts& p = *parts_;
  ServerHooks hooks;
  storage::Database* database = p.backends.database.get();
  hooks.health = [database]() -> Status {
    return database->Run("health check", [](soci::session&) -> Status { return {}; });
  };
  p.metrics = std::make_unique<observability::WorkerMetrics>(p.registry, *p.clock);
  observability::WorkerMetrics* metrics = p.metrics.get();
  PhotoService* photos = p.photos.get();
  p.registry.AddCallbackGauge("maskfleet_detections_in_flight",
                              "Analyses running or waiting for a network now",
                              [photos] { return static_cast<double>(photos->in_flight()); });
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
  options.http_threads = p.config.http_threads;
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
}

}  // namespace maskfleet::worker
