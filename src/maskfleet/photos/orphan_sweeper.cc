#include "maskfleet/photos/orphan_sweeper.h"

#include <charconv>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "maskfleet/photos/data_eraser.h"

namespace maskfleet::photos {
namespace {

// The owner of "u/<owner id>/...", or nullopt for a key of another form.
std::optional<std::int64_t> OwnerOf(std::string_view key) {
  const std::string_view prefix = kPhotoObjectPrefix;
  if (!key.starts_with(prefix)) return std::nullopt;
  key.remove_prefix(prefix.size());
  const std::size_t slash = key.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  std::int64_t owner = 0;
  const auto [end, error] = std::from_chars(key.data(), key.data() + slash, owner);
  if (error != std::errc() || end != key.data() + slash) return std::nullopt;
  return owner;
}

}  // namespace

OrphanSweeper::OrphanSweeper(ImageStore& images, objectstore::ObjectStore& objects, const Clock& clock,
                             OrphanSweeperOptions options)
    : images_(images), objects_(objects), clock_(clock), options_(options) {}

Result<SweepStep> OrphanSweeper::SweepPage() {
  Result<objectstore::KeyPage> page = objects_.ListPage(kPhotoObjectPrefix, page_token_, options_.page_size);
  if (!page) return std::unexpected(page.error().WithContext("listing photo objects"));
  SweepStep step;
  step.keys_listed = static_cast<int>(page->keys.size());

  // The page's keys by owner, and which of them a row holds.
  std::map<std::int64_t, std::vector<std::string>> by_owner;
  for (const std::string& key : page->keys) {
    if (std::optional<std::int64_t> owner = OwnerOf(key)) by_owner[*owner].push_back(key);
  }
  std::set<std::string> unreferenced;
  for (const auto& [owner, keys] : by_owner) {
    Result<std::set<std::string>> referenced = images_.ReferencedKeys(owner, keys);
    if (!referenced)
      return std::unexpected(referenced.error().WithContext("finding the rows of photo objects"));
    for (const std::string& key : keys) {
      if (!referenced->contains(key)) unreferenced.insert(key);
    }
  }

  // Suspects in the page's range that are no longer unreferenced (a row came, or the
  // object went) are forgotten.
  const auto range_begin = page_token_.empty() ? suspects_.begin() : suspects_.upper_bound(page_token_);
  const auto range_end = page->next_page_token.empty() ? suspects_.end()
                                                       : suspects_.upper_bound(page->next_page_token);
  for (auto it = range_begin; it != range_end;) {
    it = unreferenced.contains(it->first) ? std::next(it) : suspects_.erase(it);
  }

  const Clock::TimePoint now = clock_.Now();
  for (const std::string& key : unreferenced) {
    auto found = suspects_.find(key);
    if (found == suspects_.end()) {
      if (suspects_.size() < options_.max_suspects) {
        suspects_.emplace(key, now);
        ++step.suspected;
      }
      continue;
    }
    if (now - found->second < options_.grace) continue;
    if (Status deleted = objects_.Delete(key); !deleted) {
      spdlog::warn("could not delete the orphaned photo object {}: {}", key, deleted.error().ToString());
      ++step.delete_failed;
      continue;
    }
    spdlog::info("deleted {}: no image row has referred to it for {} s or more", key,
                 std::chrono::duration_cast<std::chrono::seconds>(now - found->second).count());
    suspects_.erase(found);
    ++step.deleted;
  }

  page_token_ = page->next_page_token;
  step.walk_finished = page_token_.empty();
  return step;
}

}  // namespace maskfleet::photos
