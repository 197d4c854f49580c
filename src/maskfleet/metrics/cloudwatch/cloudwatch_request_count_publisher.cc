#include "maskfleet/metrics/cloudwatch/cloudwatch_request_count_publisher.h"

#include <algorithm>

#include <ctime>

#include "maskfleet/aws/credentials.h"
#include "maskfleet/metrics/metrics_source.h"

namespace maskfleet::metrics::cloudwatch {
namespace {}  // namespace

CloudWatchRequestCountPublisher::CloudWatchRequestCountPublisher(
    std::shared_ptr<aws::Client> client, CloudWatchRequestCountPublisherOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

CloudWatchRequestCountPublisher::~CloudWatchRequestCountPublisher() { Stop(); }

std::vector<RequestMinute> CloudWatchRequestCountPublisher::Pending() const {
  std::lock_guard lock(mu_);
  return {queue_.begin(), queue_.end()};
}

Status CloudWatchRequestCountPublisher::Publish(std::span<const RequestMinute> minutes) {
  if (Status st = ValidateRequestMinutes(minutes); !st) return st;
  std::vector<RequestMinute> completed(minutes.begin(), minutes.end());
  std::sort(completed.begin(), completed.end(),
            [](const RequestMinute& a, const RequestMinute& b) { return a.minute < b.minute; });
  std::lock_guard lock(mu_);
  for (const RequestMinute& m : completed) {
    if (last_queued_ && m.minute <= *last_queued_) continue;
    queue_.push_back(m);
    last_queued_ = m.minute;
  }
  while (queue_.size() > options_.max_pending_minutes) queue_.pop_front();
  while (!queue_.empty()) {
    const std::size_t n = std::min(queue_.size(), std::max<std::size_t>(1, options_.values_per_request));
    aws::Parameters params{{"Namespace", options_.metric_namespace}};
    for (std::size_t i = 0; i < n; ++i) {
      const std::string d = "MetricData.member." + std::to_string(i + 1) + ".";
      params.emplace_back(d + "MetricName", options_.metric_name);
      params.emplace_back(d + "Dimensions.member.1.Name", "InstanceId");
      params.emplace_back(d + "Dimensions.member.1.Value", options_.instance_id);
      params.emplace_back(d + "Timestamp", aws::FormatIso8601(queue_[i].minute));
      params.emplace_back(d + "Value", std::to_string(queue_[i].count));
      params.emplace_back(d + "Unit", "Count");
    }
    // Sending a minute again is harmless (the manager reads the Maximum).
    auto sent = client_->Query(aws::kCloudWatch, "PutMetricData", params, aws::Idempotency::kIdempotent);
    if (!sent) return std::unexpected(aws::ToError(sent.error()));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return {};
}

void CloudWatchRequestCountPublisher::Start(const Clock& clock,
                                            std::function<std::vector<RequestMinute>()> completed_minutes,
                                            std::function<void(const Error&)> on_error) {
  Stop();
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = false;
  }
  thread_ = std::thread(
      [this, &clock, completed_minutes = std::move(completed_minutes), on_error = std::move(on_error)] {
        std::unique_lock lock(thread_mu_);
        while (!stopping_) {
          // The next minute boundary plus the delay, on `clock`; waited for in real time.
          const auto now = clock.Now();
          const auto next = MinuteOf(now) + std::chrono::minutes(1) + options_.delay_after_minute;
          wake_.wait_for(lock, next - now, [this] { return stopping_; });
          if (stopping_) break;
          lock.unlock();
          if (Status st = Publish(completed_minutes()); !st && on_error) on_error(st.error());
          lock.lock();
        }
      });
}

void CloudWatchRequestCountPublisher::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace maskfleet::metrics::cloudwatch
