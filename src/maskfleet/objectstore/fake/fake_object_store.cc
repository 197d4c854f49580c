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
  objects_[std::string(key)] = StoredObject{std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
                                            std::string(content_type)};
  return {};
}

Result<std::vector<std::uint8_t>> FakeObjectStore::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kGet)) return std::unexpected(*failure);
  if (auto st = ValidateObjectKey(key); !st) return std::unexpected(st.error());
  auto it = objects_.find(key);
  if (it == objects_.end())
    return MakeError(ErrorCode::kNotFound, "get " + std::string(key) + ": no such object");
  return it->second.bytes;
}

Status FakeObjectStore::Delete(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kDelete)) return std::unexpected(*failure);
  if (auto st = ValidateObjectKey(key); !st) return st;
  if (auto it = objects_.find(key); it != objects_.end()) objects_.erase(it);
  return {};
}

Result<KeyPage> FakeObjectStore::ListPage(std::string_view prefix, std::string_view page_token,
                                          int page_size) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kList)) return std::unexpected(*failure);
  if (Status st = ValidateListPage(prefix, page_token, page_size); !st) return std::unexpected(st.error());
  KeyPage page;
  auto it = page_token.empty() ? objects_.lower_bound(prefix) : objects_.upper_bound(page_token);
  for (; it != objects_.end() && it->first.starts_with(prefix) &&
         page.keys.size() < static_cast<std::size_t>(page_size);
       ++it) {
    page.keys.push_back(it->first);
  }
  if (it != objects_.end() && it->first.starts_with(prefix)) page.next_page_token = page.keys.back();
  return page;
}

Result<std::vector<KeyFailure>> FakeObjectStore::DeleteMany(std::span<const std::string> keys) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kDeleteMany)) return std::unexpected(*failure);
  if (Status st = ValidateDeleteMany(keys); !st) return std::unexpected(st.error());
  std::vector<KeyFailure> failures;
  for (const std::string& key : keys) {
    if (Status st = ValidateObjectKey(key); !st) {
      failures.push_back({key, st.error()});
    } else if (auto failing = failing_keys_.find(key); failing != failing_keys_.end()) {
      failures.push_back({key, failing->second});
    } else {
      objects_.erase(key);
    }
  }
  return failures;
}

Result<std::optional<SignedUrl>> FakeObjectStore::SignedReadUrl(std::string_view key,
                                                                std::chrono::seconds lifetime) {
  std::lock_guard lock(mu_);
  if (auto failure = NextFailure(Op::kSignedUrl)) return std::unexpected(*failure);
  if (Status st = ValidateSignedUrl(key, lifetime); !st) return std::unexpected(st.error());
  if (!signed_url_base_) return std::optional<SignedUrl>();
  const Clock::TimePoint expires = signed_url_clock_->Now() + lifetime;
  const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch());
  return std::optional<SignedUrl>(
      SignedUrl{*signed_url_base_ + std::string(key) + "?expires=" + std::to_string(epoch.count()), expires});
}

void FakeObjectStore::EnableSignedUrls(std::string base_url, const Clock& clock) {
  std::lock_guard lock(mu_);
  signed_url_base_ = std::move(base_url);
  signed_url_clock_ = &clock;
}

void FakeObjectStore::FailKeyInBatch(std::string key, Error error) {
  std::lock_guard lock(mu_);
  failing_keys_[std::move(key)] = std::move(error);
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
  failing_keys_.clear();
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
