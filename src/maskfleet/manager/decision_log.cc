#include "maskfleet/manager/decision_log.h"

#include <cmath>
#include <string_view>
#include <utility>

#include "maskfleet/scaler/decision.h"
#include "maskfleet/storage/sql.h"

namespace maskfleet::manager {

using storage::DeleteWithValue;
using storage::FromEpochSeconds;
using storage::IsStorableText;
using storage::Prepare;
using storage::ToEpochSeconds;
using storage::TruncateUtf8;

namespace {

bool IsAction(std::string_view action) {
  for (scaler::Action a : {scaler::Action::kGrow, scaler::Action::kShrink, scaler::Action::kHold}) {
    if (action == scaler::ActionName(a)) return true;
  }
  return false;
}

Status Check(const DecisionRecord& record) {
  const auto invalid = [](std::string message) {
    return MakeError(ErrorCode::kInvalidArgument, "decision record: " + std::move(message));
  };
  if (!IsAction(record.action)) return invalid("action must be grow, shrink or hold");
  if (record.size_before < 0 || record.size_after < 0) return invalid("negative pool size");
  if (record.average_cpu && !std::isfinite(*record.average_cpu)) {
    return invalid("average CPU is not a finite number");
  }
  if (!IsStorableText(record.reason)) return invalid("reason is not UTF-8 or holds a NUL byte");
  return {};
}

}  // namespace

Status DecisionLog::Append(const DecisionRecord& record) {
  if (auto st = Check(record); !st) return st;
  return db_.Run("append scaling decision", [&](soci::session& s) -> Status {
    long long decided_at = ToEpochSeconds(record.time);
    double average_cpu = record.average_cpu.value_or(0);
    soci::indicator average_ind = record.average_cpu ? soci::i_ok : soci::i_null;
    int size_before = record.size_before, size_after = record.size_after;
    std::string reason(TruncateUtf8(record.reason, kMaxDecisionReasonLength));
    soci::statement q = Prepare(
        s,
        "INSERT INTO scaling_decisions (decided_at, average_cpu, size_before, size_after,"
        " action, reason) VALUES (:t, :c, :b, :a, :x, :r)",
        [&](soci::statement& b) {
          b.exchange(soci::use(decided_at));
          b.exchange(soci::use(average_cpu, average_ind));
          b.exchange(soci::use(size_before));
          b.exchange(soci::use(size_after));
          b.exchange(soci::use(record.action));
          b.exchange(soci::use(reason));
        });
    q.execute(true);
    return {};
  });
}

Result<std::vector<DecisionRecord>> DecisionLog::Recent(int limit) {
  if (limit < 1 || limit > kMaxDecisionsListed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "decision count must be 1 to " + std::to_string(kMaxDecisionsListed));
  }
  std::vector<DecisionRecord> out;
  Status st = db_.Run("list scaling decisions", [&](soci::session& s) -> Status {
    long long decided_at = 0;
    double average_cpu = 0;
    soci::indicator average_ind = soci::i_null;
    int size_before = 0, size_after = 0;
    std::string action, reason;
    int n = limit;
    soci::statement q = Prepare(s,
                                "SELECT decided_at, average_cpu, size_before, size_after, action, reason"
                                " FROM scaling_decisions ORDER BY decided_at DESC, id DESC LIMIT :n",
                                [&](soci::statement& b) {
                                  b.exchange(soci::into(decided_at));
                                  b.exchange(soci::into(average_cpu, average_ind));
                                  b.exchange(soci::into(size_before));
                                  b.exchange(soci::into(size_after));
                                  b.exchange(soci::into(action));
                                  b.exchange(soci::into(reason));
                                  b.exchange(soci::use(n));
                                });
    q.execute();
    while (q.fetch()) {
      DecisionRecord record;
      record.time = FromEpochSeconds(decided_at);
      if (average_ind == soci::i_ok) record.average_cpu = average_cpu;
      record.size_before = size_before;
      record.size_after = size_after;
      record.action = action;
      record.reason = reason;
      out.push_back(std::move(record));
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<std::int64_t> DecisionLog::DeleteOlderThan(Clock::TimePoint cutoff) {
  return DeleteWithValue(db_, "delete old scaling decisions",
                         "DELETE FROM scaling_decisions WHERE decided_at < :v", ToEpochSeconds(cutoff));
}

}  // namespace maskfleet::manager
