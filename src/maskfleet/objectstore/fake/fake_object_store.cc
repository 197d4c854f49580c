#include "maskfleet/objectstore/fake/fake_object_store.h"

#include <algorithm>

#include "maskfleet/objectstore/object_key.h"

namespace maskfleet::objectstore {

std::optional<Error> FakeObjectStore::NextFailure(Op op) {
  const int call = ++calls_[op];
  if (down_) return Error{ErrorCode::kUnavailable, "object store is down (fake)"};
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return p.op == op && p.call == call; });
  if (it == pending_.end()) return std::nullopt;
  Error error = it->error;
  pending_.erase(it);
  return error;
}

Status FakeObjectStore::Put(std::string_view key, std::span<const std::uint8_t> bytes,
                            std::string_view content_type) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kPut)) return std::unexpected(*failure);
  if (auto st = ValidateObjectKey(key); !st) return st;
  objects_[std::string(key)] =
      StoredObject{std::vector<std::uint8_t>(bytes.begin(), bytes.end()), std::string(content_type)};
  return {};
}

Result<std::vector<std::uint8_t>> FakeObjectStore::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kGet)) return std::unexpected(*failure);
  if (auto st = ValidateObjectKey(key); !st) return std::unexpected(st.error());
  auto it = objects_.find(key);
  if (it == objects_.end()) return MakeError(ErrorCode::kNotFound, "get " + std::string(key) + ": no such object");
  return it->second.bytes;
}

Status FakeObjectStore::Delete(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kDelete)) return std::unexpected(*failure);
  if (auto st = ValidateObjectKey(key); !st) return st;
  if (auto it = objects_.find(key); it != objects_.end()) objects_.erase(it);
  return {};
}

Result<std::vector<std::string>> FakeObjectStore::List(std::string_view prefix) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kList)) return std::unexpected(*failure);
  if (auto st = ValidateObjectPrefix(prefix); !st) return std::unexpected(st.error());
  std::vector<std::string> keys;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix);
       ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

void FakeObjectStore::FailNth(Op op, int nth, Error error) {
  std::lock_guard lock(mu_);
  pending_.push_back(Pending{op, calls_[op] + std::max(nth, 1), std::move(error)});
}

void FakeObjectStore::SetDown(bool down) {
  std::lock_guard lock(mu_);
  down_ = down;
}

void FakeObjectStore::ClearFailures() {
  std::lock_guard lock(mu_);
  pending_.clear();
}

std::size_t FakeObjectStore::size() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

bool FakeObjectStore::Contains(std::string_view key) const {
  std::lock_guard lock(mu_);
  return objects_.find(key) != objects_.end();
}

std::optional<FakeObjectStore::StoredObject> FakeObjectStore::Find(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

int FakeObjectStore::calls(Op op) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace maskfleet::objectstore
