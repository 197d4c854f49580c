#include "maskfleet/worker/worker_config.h"

#include <algorithm>
#include <optional>
#include <type_traits>

namespace maskfleet::worker {

Result<WorkerConfig> WorkerConfig::Load(config::ConfigSource& source) {
  Result<WorkerConfig> c = Read(source);
  if (!c) return c;
  source.IgnoreSection("manager");
  if (Status s = source.RejectUnknownKeys(); !s) return std::unexpected(s.error());
  return c;
}

Result<WorkerConfig> WorkerConfig::Read(config::ConfigSource& source) {
  WorkerConfig c;
  Result<config::SharedConfig> shared = config::SharedConfig::Read(source);
  if (!shared) return std::unexpected(shared.error());
  static_cast<config::SharedConfig&>(c) = std::move(*shared);
  // Reads every setting, keeping the first error: a field stays at its default
  // when its setting is absent.
  config::SettingsReader reader;
  reader.Take(c.name, source.String("worker", "name", c.name));
  reader.Take(c.host, source.String("worker", "host", c.host));
  reader.Take(c.port, source.Int("worker", "port", c.port, 0, 65535));
  reader.Take(c.http_threads, source.Int("worker", "http_threads", c.http_threads, 2, 512));
  reader.Take(c.detection_threads, source.Int("worker", "detection_threads", c.detection_threads, 1, 64));
  reader.Take(c.detection_queue, source.Int("worker", "detection_queue", c.detection_queue, 0, 4096));
  reader.Take(c.opencv_threads, source.Int("worker", "opencv_threads", c.opencv_threads, 1, 64));
  reader.Take(c.detection_wait_ms,
              source.Int("worker", "detection_wait_ms", c.detection_wait_ms, 0, 600'000));
  reader.Take(c.url_fetches, source.Int("worker", "url_fetches", c.url_fetches, 1, 256));
  // POST /api/register is the specification's testing endpoint: open by default on one
  // machine (the load generator and the tests make their users with it), closed by
  // default in any other mode, where the service faces the internet.
  c.register_enabled = c.mode == "local";
  reader.Take(c.detection_quality, source.String("worker", "detection_quality", c.detection_quality));
  reader.Take(c.register_enabled, source.Bool("worker", "register_enabled", c.register_enabled));
  reader.Take(c.trust_forwarded_for, source.Bool("worker", "trust_forwarded_for", c.trust_forwarded_for));
  reader.Take(c.max_upload_bytes,
              source.Int("worker", "max_upload_bytes", c.max_upload_bytes, 1024, std::int64_t{1} << 30));
  reader.Take(c.max_pixels, source.Int("worker", "max_pixels", c.max_pixels, 10'000, 1'000'000'000));
  reader.Take(c.allow_private_urls, source.Bool("worker", "allow_private_urls", c.allow_private_urls));
  // Each probe writes an object: free on a local disk, a billed request on S3, where a
  // probe a minute (and none while photos are being stored) costs next to nothing.
  c.readiness_probe_seconds = c.mode == "local" ? 5 : 60;
  reader.Take(c.readiness_probe_seconds,
              source.Int("worker", "readiness_probe_seconds", c.readiness_probe_seconds, 1, 3600));
  reader.Take(c.model_dir, source.String("model", "dir", ""));

  if (Status read = reader.status(); !read) return std::unexpected(read.error());
  if (c.detection_quality != "fast" && c.detection_quality != "thorough") {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "[worker] detection_quality must be fast or thorough, not \"" + c.detection_quality + "\"");
  }
  return c;
}

void WorkerConfig::FillDefaults() {
  if (public_url.empty()) public_url = "http://" + host + ":" + std::to_string(port);
  SharedConfig::FillDefaults();
}

int AdmittedRequests(const WorkerConfig& c) {
  return c.detection_threads + c.detection_queue + c.url_fetches + c.hash_concurrency + 2 * c.hash_queue;
}

int HttpThreads(const WorkerConfig& c) {
  return std::max(c.http_threads, AdmittedRequests(c) + kOverflowAnswers + kSpareHttpThreads);
}

int BalancedRequestLimit(const WorkerConfig& c) { return HttpThreads(c) - kSpareHttpThreads; }

}  // namespace maskfleet::worker
