// Everything a worker is configured with, read from a ConfigSource (TOML file and
// MASKFLEET_* environment variables) and then command-line flags. Each field's
// TOML name is "[section] key"; defaults are those of a single-machine install
// with all state under data_dir. See docs/configuration.md.
#ifndef MASKFLEET_WORKER_WORKER_CONFIG_H_
#define MASKFLEET_WORKER_WORKER_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/config/config_source.h"
#include "maskfleet/config/shared_config.h"

namespace maskfleet::worker {

// The shared settings (data, database, objects, mail, pages, accounts, the first
// administrator, the mode: config/shared_config.h) and the worker's own.
struct WorkerConfig : config::SharedConfig {
  // [worker]
  std::string name;                        // name; default "<host>:<port>" as bound
  std::string host = "127.0.0.1";          // host
  int port = 8081;                         // port
  int http_threads = 32;                   // http_threads: raised to the admitted work + 4 spare
  int detection_threads = 2;               // detection_threads: networks in the detector pool
  int detection_queue = 14;                // detection_queue: analyses that may wait for one
  int opencv_threads = 1;                  // opencv_threads: OpenCV's own threads per inference
  int detection_wait_ms = 10000;           // detection_wait_ms: longest wait of a queued analysis
  int url_fetches = 2;                     // url_fetches: URL uploads fetching at once
  std::string detection_quality = "fast";  // detection_quality: "fast" or "thorough"
                                           // (detect::Quality, docs/model.md)
  bool register_enabled = true;  // register_enabled: POST /api/register; default true in the local mode only
                                 // public_url (shared): default http://host:port
                                 // (set it when port is 0 or behind a load balancer)
  bool trust_forwarded_for = false;                  // trust_forwarded_for
  std::int64_t max_upload_bytes = 10 * 1024 * 1024;  // max_upload_bytes
  std::int64_t max_pixels = 50'000'000;              // max_pixels
  bool allow_private_urls = false;                   // allow_private_urls: URL uploads from private addresses
  int readiness_probe_seconds = 5;  // readiness_probe_seconds: write probe of the stores; default 5 in the
                                    // local mode, 60 in others (a probe is a billed PUT on S3)

  // [model]
  std::filesystem::path model_dir;  // dir; default: see detect/model_location.h

  // Reads every setting and fills in the derived defaults. Errors: kInvalidArgument
  // naming the setting; unknown keys of the file are errors too.
  // The [manager] section is the manager's (it shares the file with its workers).
  static Result<WorkerConfig> Load(config::ConfigSource& source);
  // Load without the check for unknown keys: for a command that reads sections of its
  // own from the same source and checks afterwards (the manager checks the workers'
  // settings of the file it starts them with).
  static Result<WorkerConfig> Read(config::ConfigSource& source);
  // Derived defaults, after flags changed fields.
  void FillDefaults();
};

// How a worker's HTTP threads are counted, for the worker and for the balancer in front
// of it. The bounded work (detections running and waiting, URL fetches, password
// checks: AdmittedRequests) may hold that many threads; kOverflowAnswers more answer
// whatever comes beyond the bounds at once (503); kSpareHttpThreads more are kept for
// /healthz and /readyz. A balancer that sends a worker at most BalancedRequestLimit
// requests at once (HAProxy's maxconn; the rest wait in its queue) so never takes the
// threads of the health checks, and a check never waits behind requests.
inline constexpr int kOverflowAnswers = 4;
inline constexpr int kSpareHttpThreads = 4;

// Detections running and waiting, URL fetches and password checks (hash_concurrency +
// 2 × hash_queue: computing, waiting for a turn, waiting for an identical check).
int AdmittedRequests(const WorkerConfig& c);

// The worker's HTTP threads: http_threads, or AdmittedRequests + kOverflowAnswers +
// kSpareHttpThreads when that is more.
int HttpThreads(const WorkerConfig& c);

// HttpThreads - kSpareHttpThreads.
int BalancedRequestLimit(const WorkerConfig& c);

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_WORKER_CONFIG_H_
