#include "maskfleet/loadgen/runner.h"

#include <httplib.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

namespace maskfleet::loadgen {
namespace {

using Seconds = std::chrono::duration<double>;

std::string TransportErrorName(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection: return "connection";
    case httplib::Error::ConnectionTimeout: return "connect_timeout";
    // httplib reports a read timeout and a reset connection alike.
    case httplib::Error::Read: return "read";
    case httplib::Error::Write: return "write";
    case httplib::Error::Canceled: return "canceled";
    default: {
      std::string name = httplib::to_string(error);
      std::replace(name.begin(), name.end(), ' ', '_');
      return name;
    }
  }
}

std::optional<int> NumFaces(const std::string& body) {
  const nlohmann::json answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) return std::nullopt;
  const auto payload = answer.find("payload");
  if (payload == answer.end() || !payload->is_object()) return std::nullopt;
  const auto faces = payload->find("num_faces");
  if (faces == payload->end() || !faces->is_number_integer()) return std::nullopt;
  return faces->get<int>();
}

}  // namespace

Runner::Runner(RunOptions options, std::vector<Photo> photos)
    : options_(std::move(options)), photos_(std::move(photos)) {
  assert(!photos_.empty());
}

Runner::~Runner() {
  Stop();
  JoinThreads();
}

void Runner::Stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  state_cv_.notify_all();
}

double Runner::SecondsSinceStart() const {
  return Seconds(std::chrono::steady_clock::now() - start_).count();
}

void Runner::Finish(const RequestRecord& record) {
  stats_.Add(record);
  if (options_.on_record) options_.on_record(record);
}

RequestRecord Runner::Send(httplib::Client& client, std::uint64_t seq) {
  const Photo& photo = photos_[seq % photos_.size()];
  RequestRecord record{.seq = seq, .file = photo.name};
  const httplib::MultipartFormDataItems items = {
      {"username", options_.username, "", ""},
      {"password", options_.password, "", ""},
      {"file", photo.bytes, photo.name, photo.content_type},
  };
  const httplib::Headers headers = {{"User-Agent", options_.user_agent}};
  const auto begin = std::chrono::steady_clock::now();
  record.start_s = Seconds(begin - start_).count();
  httplib::Result result = client.Post(options_.target.path, headers, items);
  const auto end = std::chrono::steady_clock::now();
  if (result) {
    record.outcome = Outcome::kAnswered;
    record.latency_ms = std::chrono::duration<double, std::milli>(end - begin).count();
    record.http_status = result->status;
    record.worker = result->get_header_value("X-Maskfleet-Worker");
    if (result->status >= 200 && result->status < 300) record.num_faces = NumFaces(result->body);
  } else {
    record.outcome = Outcome::kTransportError;
    std::lock_guard lock(mutex_);
    record.error = aborting_ ? "canceled" : TransportErrorName(result.error());
  }
  return record;
}

void Runner::RunWithClient(void (Runner::*body)(httplib::Client&)) {
  httplib::Client client(options_.target.host, options_.target.port);
  client.set_keep_alive(true);
  // Without it, the last small segment of a request can wait for the server's
  // delayed ACK (up to 40 ms on Linux), which would be counted as server latency.
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(options_.connect_timeout);
  client.set_read_timeout(options_.request_timeout);
  client.set_write_timeout(options_.request_timeout);
  {
    std::lock_guard lock(mutex_);
    clients_.push_back(&client);
  }
  (this->*body)(client);
  std::lock_guard lock(mutex_);
  std::erase(clients_, &client);
  --running_threads_;
  state_cv_.notify_all();
}

void Runner::SenderBody(httplib::Client& client) {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    work_cv_.wait(lock, [&] { return !queue_.empty() || no_more_work_; });
    --idle_;
    if (queue_.empty()) return;
    const Job job = queue_.front();
    queue_.pop_front();
    const bool canceled = aborting_;
    lock.unlock();
    if (canceled) {
      Finish({.seq = job.seq,
              .start_s = SecondsSinceStart(),
              .outcome = Outcome::kTransportError,
              .error = "canceled",
              .file = photos_[job.seq % photos_.size()].name});
    } else {
      Finish(Send(client, job.seq));
    }
    lock.lock();
    --in_flight_;
    state_cv_.notify_all();
  }
}

void Runner::ClosedBody(httplib::Client& client) {
  const auto deadline_s = options_.duration_s;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_ || no_more_work_ || aborting_) return;
    if (options_.max_count != 0 && next_seq_ >= options_.max_count) return;
    if (SecondsSinceStart() >= deadline_s) return;
    const std::uint64_t seq = next_seq_++;
    ++in_flight_;
    lock.unlock();
    Finish(Send(client, seq));
    lock.lock();
    --in_flight_;
    state_cv_.notify_all();
  }
}

void Runner::Drain(std::unique_lock<std::mutex>& lock, bool bounded) {
  if (!bounded) state_cv_.wait(lock, [&] { return in_flight_ == 0 || stopping_; });
  if (in_flight_ == 0) return;
  state_cv_.wait_for(lock, options_.drain_timeout, [&] { return in_flight_ == 0; });
  aborting_ = true;
  // A request that was between taking its job and opening its socket misses one
  // stop(); shutting again until none is in flight catches it.
  while (in_flight_ > 0) {
    for (httplib::Client* client : clients_) client->stop();
    state_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return in_flight_ == 0; });
  }
}

void Runner::JoinThreads() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    no_more_work_ = true;
    work_cv_.notify_all();
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

Result<RunSummary> Runner::Run() {
  start_ = std::chrono::steady_clock::now();
  const auto deadline = [&](double offset_s) {
    return start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(Seconds(offset_s));
  };
  std::unique_lock lock(mutex_);
  bool bounded = false;  // ended by Stop() or the duration, not by running out of requests

  if (options_.schedule) {
    OpenLoopSchedule schedule = *options_.schedule;
    const int max_in_flight = std::max(1, options_.max_in_flight);
    while (const std::optional<double> offset = schedule.Next()) {
      if (*offset >= options_.duration_s) {
        bounded = true;
        break;
      }
      if (state_cv_.wait_until(lock, deadline(*offset), [&] { return stopping_; })) break;
      const std::uint64_t seq = next_seq_++;
      if (in_flight_ >= max_in_flight) {
        lock.unlock();
        Finish({.seq = seq,
                .start_s = *offset,
                .outcome = Outcome::kDropped,
                .file = photos_[seq % photos_.size()].name});
        lock.lock();
        continue;
      }
      ++in_flight_;
      queue_.push_back({seq});
      if (static_cast<std::size_t>(idle_) < queue_.size() &&
          static_cast<int>(threads_.size()) < max_in_flight) {
        try {
          ++running_threads_;
          threads_.emplace_back([this] { RunWithClient(&Runner::SenderBody); });
        } catch (const std::system_error&) {
          // Out of threads: the job waits for one of those running.
          --running_threads_;
          if (threads_.empty()) {
            lock.unlock();
            JoinThreads();
            return MakeError(ErrorCode::kInternal, "cannot start a sending thread");
          }
        }
      }
      work_cv_.notify_one();
    }
    // A duration that ends before the schedule also counts when the last request
    // was simply due after it.
    bounded = bounded || stopping_;
  } else {
    const int concurrency = std::max(1, options_.concurrency);
    for (int i = 0; i < concurrency; ++i) {
      try {
        threads_.emplace_back([this] { RunWithClient(&Runner::ClosedBody); });
        ++running_threads_;
      } catch (const std::system_error&) {
        if (threads_.empty()) {
          lock.unlock();
          return MakeError(ErrorCode::kInternal, "cannot start a sending thread");
        }
        break;
      }
    }
    const auto all_done = [&] { return running_threads_ == 0 || stopping_; };
    if (std::isfinite(options_.duration_s)) {
      bounded = !state_cv_.wait_until(lock, deadline(options_.duration_s), all_done) || stopping_;
    } else {
      state_cv_.wait(lock, all_done);
      bounded = stopping_;
    }
  }

  no_more_work_ = true;
  work_cv_.notify_all();
  Drain(lock, bounded);
  const double elapsed_s = SecondsSinceStart();
  lock.unlock();
  JoinThreads();
  return stats_.Summarize(elapsed_s);
}

}  // namespace maskfleet::loadgen
