#include "maskfleet/worker/worker_app.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <spdlog/spdlog.h>

#include "maskfleet/detect/model_location.h"
#include "maskfleet/detect/photo_analyzer.h"
#include "maskfleet/mail/outbox/outbox_mailer.h"
#include "maskfleet/mail/smtp/smtp_mailer.h"
#include "maskfleet/net/url_fetcher.h"
#include "maskfleet/objectstore/local/local_object_store.h"
#include "maskfleet/observability/metrics.h"
#include "maskfleet/observability/worker_metrics.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/worker/account_service.h"
#include "maskfleet/worker/photo_service.h"
#include "maskfleet/worker/worker_server.h"

namespace maskfleet::worker {

struct WorkerApp::Parts {
  WorkerConfig config;
  Clock* clock = nullptr;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<storage::UserStore> users;
  std::unique_ptr<storage::SessionStore> sessions;
  std::unique_ptr<storage::ResetTokenStore> resets;
  std::unique_ptr<storage::ImageStore> images;
  std::unique_ptr<objectstore::ObjectStore> objects;
  std::unique_ptr<mail::Mailer> mailer;
  std::unique_ptr<detect::DetectorPool> detectors;
  std::unique_ptr<detect::PhotoAnalyzer> analyzer;
  std::unique_ptr<PhotoService> photos;
  std::unique_ptr<AccountService> accounts;
  std::unique_ptr<net::UrlFetcher> fetcher;
  observability::MetricsRegistry registry;
  std::unique_ptr<observability::WorkerMetrics> metrics;
  std::unique_ptr<WorkerServer> server;

  // Housekeeping: expired sessions and reset tokens are deleted every 10 minutes.
  std::mutex housekeeping_mu;
  std::condition_variable housekeeping_wake;
  bool stopping = false;  // guarded by housekeeping_mu
  std::thread housekeeping;
};

auth::PasswordHashOptions HashingByName(const std::string& name) {
  if (name == "minimum") return auth::PasswordHashOptions::Minimum();
  if (name == "moderate") return {3, 256u * 1024 * 1024};
  return {};
}

namespace {

template <typename T>
Status Take(std::unique_ptr<T>& slot, Result<std::unique_ptr<T>> made, std::string_view what) {
  if (!made) return std::unexpected(made.error().WithContext(what));
  slot = std::move(*made);
  return {};
}


}  // namespace

Result<std::unique_ptr<mail::Mailer>> MakeMailer(const WorkerConfig& c) {
  if (c.mail_kind == "smtp") {
    mail::smtp::SmtpOptions smtp;
    smtp.url = c.smtp_url;
    smtp.from_address = c.mail_from_address;
    smtp.from_name = c.mail_from_name;
    smtp.username = c.smtp_username;
    smtp.password = c.smtp_password;
    smtp.require_starttls = c.smtp_starttls;
    Result<std::unique_ptr<mail::smtp::SmtpMailer>> m = mail::smtp::SmtpMailer::Create(smtp);
    if (!m) return std::unexpected(m.error());
    return std::unique_ptr<mail::Mailer>(std::move(*m));
  }
  Result<std::unique_ptr<mail::outbox::OutboxMailer>> m =
      mail::outbox::OutboxMailer::Create({c.outbox_dir, c.mail_from_address, c.mail_from_name});
  if (!m) return std::unexpected(m.error());
  return std::unique_ptr<mail::Mailer>(std::move(*m));
}

Status EnsureFirstAdmin(const WorkerConfig& c, storage::UserStore& users, AccountService& accounts) {
  if (c.admin_username.empty()) return {};
  Result<std::int64_t> admins = users.CountAdmins();
  if (!admins) return std::unexpected(admins.error());
  if (*admins > 0) return {};
  if (c.admin_password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "admin.username is set but no password (set MASKFLEET_ADMIN_PASSWORD)");
  }
  Result<storage::User> admin = accounts.CreateUser(c.admin_username, c.admin_password, std::nullopt, true);
  if (!admin && admin.error().code != ErrorCode::kAlreadyExists) return std::unexpected(admin.error());
  if (admin) spdlog::info("first administrator '{}' created from the configuration", c.admin_username);
  return {};
}

WorkerApp::WorkerApp(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
WorkerApp::~WorkerApp() { Stop(); }

Result<std::unique_ptr<WorkerApp>> WorkerApp::Create(const WorkerConfig& config, Clock& clock) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  p->config.FillDefaults();
  p->clock = &clock;
  const WorkerConfig& c = p->config;

  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot create data_dir " + c.data_dir.string() + ": " + ec.message());

  storage::DatabaseOptions db;
  db.url = c.database_url;
  db.pool_size = static_cast<std::size_t>(c.database_pool);
  if (Status s = Take(p->database, storage::Database::Open(db, clock), "database"); !s) return std::unexpected(s.error());
  p->users = std::make_unique<storage::UserStore>(*p->database, clock);
  p->sessions = std::make_unique<storage::SessionStore>(*p->database, clock);
  p->resets = std::make_unique<storage::ResetTokenStore>(*p->database, clock);
  p->images = std::make_unique<storage::ImageStore>(*p->database, clock);

  Result<std::unique_ptr<objectstore::LocalObjectStore>> objects =
      objectstore::LocalObjectStore::Open({.root = c.objects_root});
  if (!objects) return std::unexpected(objects.error().WithContext("object store"));
  p->objects = std::move(*objects);
  if (Status s = Take(p->mailer, MakeMailer(c), "mail"); !s) return std::unexpected(s.error());

  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  cv::setNumThreads(c.opencv_threads);
  Result<detect::ModelData> model = detect::ModelData::Load(detect::ResolveModelDir(c.model_dir.string()));
  if (!model) return std::unexpected(model.error().WithContext("model"));
  if (Status s = Take(p->detectors, detect::DetectorPool::Create(*model, c.detection_threads), "model");
      !s) {
    return std::unexpected(s.error());
  }
  detect::AnalyzerOptions analyzer;
  analyzer.decode.max_pixels = c.max_pixels;
  p->analyzer = std::make_unique<detect::PhotoAnalyzer>(*p->detectors, analyzer);
  p->photos = std::make_unique<PhotoService>(
      *p->analyzer, *p->images, *p->objects,
      PhotoServiceOptions{c.max_upload_bytes, c.detection_threads + c.detection_queue});

  AccountOptions accounts;
  accounts.hashing = HashingByName(c.password_hashing);
  accounts.password_rules.min_bytes = static_cast<std::size_t>(c.password_min_length);
  accounts.session_ttl = std::chrono::hours(24 * c.session_days);
  accounts.public_url = c.public_url;
  accounts.register_enabled = c.register_enabled;
  p->accounts = std::make_unique<AccountService>(*p->users, *p->sessions, *p->resets, *p->mailer,
                                                 clock, accounts);
  if (Status s = EnsureFirstAdmin(c, *p->users, *p->accounts); !s) {
    return std::unexpected(s.error().WithContext("first administrator"));
  }

  net::FetchOptions fetch;
  fetch.max_bytes = static_cast<std::size_t>(c.max_upload_bytes);
  fetch.allow_private = c.allow_private_urls;
  Result<net::UrlFetcher> fetcher = net::UrlFetcher::Create(fetch);
  if (!fetcher) return std::unexpected(fetcher.error().WithContext("URL fetcher"));
  p->fetcher = std::make_unique<net::UrlFetcher>(std::move(*fetcher));
  return std::unique_ptr<WorkerApp>(new WorkerApp(std::move(p)));
}

Result<int> WorkerApp::Start() {
  Parts& p = *parts_;
  ServerHooks hooks;
  storage::Database* database = p.database.get();
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
  p.server = std::make_unique<WorkerServer>(*p.accounts, *p.photos, *p.images, *p.objects,
                                            *p.fetcher, std::move(hooks), std::move(options));
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
