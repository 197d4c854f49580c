// Retrying AWS calls: capped exponential back-off with full jitter behind a small
// interface (after Envoy's backoff_strategy.h), with the random source passed in so
// that tests are repeatable, and the rule for what may be retried.
//
// Thread safety: a BackoffStrategy belongs to one call (one sequence of attempts);
// RandomSource implementations say their own.
#ifndef MASKFLEET_AWS_RETRY_H_
#define MASKFLEET_AWS_RETRY_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

namespace maskfleet::aws {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniformly distributed 64-bit value.
  virtual std::uint64_t Next() = 0;
};

// std::mt19937_64 seeded from std::random_device; safe from many threads.
class SystemRandomSource : public RandomSource {
 public:
  SystemRandomSource() : engine_(std::random_device{}()) {}
  std::uint64_t Next() override {
    std::lock_guard lock(mu_);
    return engine_();
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;  // guarded by mu_
};

class BackoffStrategy {
 public:
  virtual ~BackoffStrategy() = default;
  // How long to wait before the next attempt.
  virtual std::chrono::milliseconds NextBackOff() = 0;
  // Back to the first interval (after a success).
  virtual void Reset() = 0;
};

// The n-th delay (n = 0, 1, ...) is uniform in [0, min(max, base * 2^n)): "full
// jitter", which spreads clients that failed together.
class JitteredExponentialBackoff : public BackoffStrategy {
 public:
  JitteredExponentialBackoff(std::chrono::milliseconds base, std::chrono::milliseconds max,
                             RandomSource& random)
      : base_(base), max_(max), random_(random) {}
  std::chrono::milliseconds NextBackOff() override;
  void Reset() override { attempt_ = 0; }

 private:
  const std::chrono::milliseconds base_;
  const std::chrono::milliseconds max_;
  RandomSource& random_;
  int attempt_ = 0;
};

// How the client retries a call.
struct RetryOptions {
  // Attempts in all, the first included (1 = never retry). Default 4, as the AWS SDKs'
  // "standard" mode less one: the manager's loops retry on their next pass anyway.
  int max_attempts = 4;
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5'000};
};

// Whether a call may be sent again after a failure that may or may not have reached the
// service: only calls that are safe to repeat (reads, deletes, puts that replace) and
// calls that carry a client token the service de-duplicates on.
enum class Idempotency { kIdempotent, kNotIdempotent };

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_RETRY_H_
