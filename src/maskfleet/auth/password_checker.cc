#include "maskfleet/auth/password_checker.h"

#include <utility>

#include "maskfleet/auth/token.h"

namespace maskfleet::auth {
namespace {

AdmissionOptions AdmissionFor(const PasswordCheckOptions& options) {
  AdmissionOptions out;
  out.name = "password checks";
  out.running = options.concurrency;
  out.waiting = options.queue;
  out.max_wait = options.max_wait;
  out.retry_after = options.retry_after;
  return out;
}

}  // namespace

PasswordChecker::PasswordChecker(const Clock& clock, const PasswordHashOptions& hashing,
                                 PasswordCheckOptions options, VerifyFunction verify)
    : hashing_(hashing),
      options_(options),
      verify_(verify ? std::move(verify) : VerifyFunction(&VerifyPassword)),
      cache_(clock, options.cache),
      admission_(AdmissionFor(options)) {
  // Should this fail (no memory now), VerifyAbsent hashes instead, at the same cost.
  if (Result<std::string> made = HashPassword(NewToken(), hashing_); made) absent_hash_ = std::move(*made);
}

std::uint64_t PasswordChecker::refused() const {
  return admission_.refused() + followers_refused_.load(std::memory_order_relaxed);
}

std::unexpected<Error> PasswordChecker::Refuse(std::string why) {
  followers_refused_.fetch_add(1, std::memory_order_relaxed);
  return MakeRetryableError(ErrorCode::kUnavailable, "password checks: " + std::move(why),
                            options_.retry_after);
}

Result<bool> PasswordChecker::Verify(std::string_view username, std::string_view password,
                                     std::string_view stored_hash) {
  if (cache_.Contains(username, password, stored_hash)) return true;
  const CredentialCache::Key key = cache_.Digest(username, password, stored_hash);

  std::unique_lock lock(mu_);
  if (auto in_flight = flights_.find(key); in_flight != flights_.end()) {
    if (followers_ >= options_.queue) {
      lock.unlock();
      return Refuse("the worker is busy; try again in a moment");
    }
    ++followers_;
    Flight flight = in_flight->second;
    lock.unlock();
    const bool answered = flight.wait_for(options_.max_wait) == std::future_status::ready;
    lock.lock();
    --followers_;
    lock.unlock();
    if (!answered) return Refuse("waited too long; try again in a moment");
    return flight.get();
  }
  std::promise<Result<bool>> promise;
  flights_.emplace(key, promise.get_future().share());
  lock.unlock();

  Result<bool> verified = [&]() -> Result<bool> {
    Result<Admission::Ticket> ticket = admission_.Enter();
    if (!ticket) return std::unexpected(ticket.error());
    return verify_(password, stored_hash);
  }();
  if (verified && *verified) cache_.Insert(username, password, stored_hash);
  lock.lock();
  flights_.erase(key);
  lock.unlock();
  promise.set_value(verified);
  return verified;
}

Result<bool> PasswordChecker::VerifyAbsent(std::string_view username, std::string_view password) {
  if (absent_hash_.empty()) {
    Result<std::string> hashed = Hash(password);
    if (!hashed) return std::unexpected(hashed.error());
    return false;
  }
  Result<bool> verified = Verify(username, password, absent_hash_);
  if (!verified) return verified;
  return false;
}

Result<std::string> PasswordChecker::Hash(std::string_view password) {
  Result<Admission::Ticket> ticket = admission_.Enter();
  if (!ticket) return std::unexpected(ticket.error());
  return HashPassword(password, hashing_);
}

}  // namespace maskfleet::auth
