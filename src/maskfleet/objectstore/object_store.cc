#include "maskfleet/objectstore/object_store.h"

#include <algorithm>

#include "maskfleet/objectstore/object_key.h"

namespace maskfleet::objectstore {

Result<std::vector<std::string>> ObjectStore::List(std::string_view prefix) {
  std::vector<std::string> keys;
  std::string token;
  do {
    Result<KeyPage> page = ListPage(prefix, token, kMaxKeysPerPage);
    if (!page) return std::unexpected(page.error());
    std::move(page->keys.begin(), page->keys.end(), std::back_inserter(keys));
    token = std::move(page->next_page_token);
  } while (!token.empty());
  return keys;
}

Status ValidateListPage(std::string_view prefix, std::string_view page_token, int page_size,
                        bool check_token) {
  if (Status st = ValidateObjectPrefix(prefix); !st) return st;
  if (page_size < 1 || page_size > kMaxKeysPerPage) {
    return MakeError(ErrorCode::kInvalidArgument, "list: the page size must be from 1 to " +
                                                      std::to_string(kMaxKeysPerPage) + "; got " +
                                                      std::to_string(page_size));
  }
  if (check_token && !page_token.empty() &&
      (!page_token.starts_with(prefix) || !ValidateObjectKey(page_token))) {
    return MakeError(ErrorCode::kInvalidArgument, "list: not a page token of this listing");
  }
  return {};
}

Status ValidateDeleteMany(std::span<const std::string> keys) {
  if (keys.size() > static_cast<std::size_t>(kMaxKeysPerPage)) {
    return MakeError(ErrorCode::kInvalidArgument, "delete: at most " + std::to_string(kMaxKeysPerPage) +
                                                      " keys a call; got " + std::to_string(keys.size()));
  }
  return {};
}

Status ValidateSignedUrl(std::string_view key, std::chrono::seconds lifetime) {
  if (Status st = ValidateObjectKey(key); !st) return st;
  if (lifetime < std::chrono::seconds(1) || lifetime > kMaxSignedUrlLifetime) {
    return MakeError(ErrorCode::kInvalidArgument, "signed URL: the lifetime must be from 1 s to " +
                                                      std::to_string(kMaxSignedUrlLifetime.count()) +
                                                      " s; got " + std::to_string(lifetime.count()) + " s");
  }
  return {};
}

KeyPage PageOfSortedKeys(const std::vector<std::string>& sorted_keys, std::string_view page_token,
                         int page_size) {
  auto it = page_token.empty() ? sorted_keys.begin()
                               : std::upper_bound(sorted_keys.begin(), sorted_keys.end(), page_token,
                                                  [](std::string_view token, const std::string& key) {
                                                    return token < key;
                                                  });
  KeyPage page;
  for (; it != sorted_keys.end() && page.keys.size() < static_cast<std::size_t>(page_size); ++it) {
    page.keys.push_back(*it);
  }
  if (it != sorted_keys.end()) page.next_page_token = page.keys.back();
  return page;
}

}  // namespace maskfleet::objectstore
