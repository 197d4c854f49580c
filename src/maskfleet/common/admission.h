// Admission: a bound on how much of one kind of expensive work a process does at once,
// in time as well as in number.
//
// At most `running` callers hold a Ticket at a time; at most `waiting` more wait for
// one, each for at most `max_wait`, and a newcomer does not overtake them. A caller beyond that is refused at
// once, and so is one whose wait runs out: either way with kUnavailable and a retry hint, which the HTTP
// layer answers as 503 with Retry-After. A waiter may also give up because the work is no longer wanted (its
// client has left): `still_wanted` is asked every `poll` while it waits and once more when a slot frees up,
// so that a slot never goes to work nobody will read.
//
// Why a bound in time as well as in number: a request that waited longer than its
// client (or the load balancer in front) waits for an answer is wasted work, and a
// queue bounded only in length can still hold a slot's worth of such requests for as
// long as the work in front of them takes.
//
// The worker has one Admission per kind of work (detections, password hashing, URL
// fetches) and more HTTP threads than all of them admit together, so that some
// thread is always free for /healthz and cheap requests (docs/operations.md).
//
// Waits are measured on the steady clock (real time): the bounds are short, and tests
// use milliseconds.
//
// Thread safety: every method may be called from any thread at once. A Ticket is
// released by its destructor, on any thread, and must not outlive its Admission.
#ifndef MASKFLEET_COMMON_ADMISSION_H_
#define MASKFLEET_COMMON_ADMISSION_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "maskfleet/common/error.h"

namespace maskfleet {

struct AdmissionOptions {
  // What is admitted, for messages ("password checks"). Default "work".
  std::string name = "work";
  // Callers that may hold a ticket at once; at least 1 (smaller values count as 1).
  // Default 1.
  int running = 1;
  // Callers that may wait for a ticket; 0: none wait. Negative values count as 0.
  // Default 0.
  int waiting = 0;
  // The longest a caller waits for a ticket. Default 5 s.
  std::chrono::milliseconds max_wait{5000};
  // The retry hint of a refusal (Retry-After, rounded up to whole seconds by the HTTP
  // layer). Default 1 s.
  std::chrono::milliseconds retry_after{1000};
  // How often a waiter asks whether its work is still wanted. Default 100 ms.
  std::chrono::milliseconds poll{100};
};

class Admission {
 public:
  // A held slot; releases it when destroyed. Move-only.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class Admission;
    explicit Ticket(Admission* owner) : owner_(owner) {}
    Admission* owner_;
  };

  explicit Admission(AdmissionOptions options);
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // A ticket, at once or after waiting. `still_wanted` (empty: always) is asked while
  // waiting and before a waiter is handed a ticket; it must be cheap and must not call
  // back into this Admission.
  // Errors, all kUnavailable with retry_after set: every slot and every waiting place
  // taken ("busy"); the wait passed max_wait; the work was no longer wanted.
  Result<Ticket> Enter(const std::function<bool()>& still_wanted = {});

  // Tickets held now, and callers waiting now (snapshots, for /metrics).
  int running() const;
  int waiting() const;
  // Callers refused since construction, for any of the three reasons.
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  // running + waiting of the options: the most callers this Admission ever holds.
  int capacity() const { return options_.running + options_.waiting; }
  const AdmissionOptions& options() const { return options_; }

 private:
  void Release();
  std::unexpected<Error> Refuse(std::string why);

  const AdmissionOptions options_;
  mutable std::mutex mu_;
  std::condition_variable freed_;  // signalled when a ticket is released
  int running_ = 0;                // guarded by mu_
  int waiting_ = 0;                // guarded by mu_
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace maskfleet

#endif  // MASKFLEET_COMMON_ADMISSION_H_
