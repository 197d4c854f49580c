// UserStore: maskfleet's accounts (table users).
//
// A user has a name, unique regardless of case: "alice", "Alice" and "ALICE" are one
// account, kept with the case it was created with and found by any spelling (the
// column name_key holds the name folded to lower case, under a unique index). Accounts
// that clashed before names were compared so (NameClashes) keep their name and log in
// by its exact spelling only. A user has an optional
// e-mail address for password recovery, a password hash produced by the auth component
// (the store never sees a password), and an administrator flag. Deleting a user deletes
// their sessions, reset tokens, images and faces in the same transaction (foreign keys
// ON DELETE CASCADE) and hands back the object keys of the images, which the caller then
// deletes from the object store.
//
// Thread safety: safe to use from many threads; it holds no state of its own.
#ifndef MASKFLEET_ACCOUNTS_USER_STORE_H_
#define MASKFLEET_ACCOUNTS_USER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::accounts {

// Bounds the store enforces (the schema's column sizes). Validating what a name may
// contain is the caller's business (auth's validators); the store only refuses what
// does not fit.
inline constexpr std::size_t kMaxUsernameLength = 100;
inline constexpr std::size_t kMaxEmailLength = 254;
inline constexpr std::size_t kMaxPasswordHashLength = 255;

struct User {
  std::int64_t id = 0;
  std::string username;
  std::optional<std::string> email;
  std::string password_hash;
  bool is_admin = false;
  Clock::TimePoint created_at;
};

// The key a name is unique by: ASCII letters in lower case, every other byte as it is
// (user names are ASCII: auth/validation.h).
std::string NameKey(std::string_view username);

// An account whose name differs only in case from an older one's, from before names
// were compared regardless of case: it has no name key, and logs in by its exact name.
struct NameClash {
  std::int64_t id = 0;
  std::string username;
  std::int64_t older_id = 0;  // the account that holds the name's key
  std::string older_username;
};

struct NewUser {
  std::string username;
  std::optional<std::string> email;
  std::string password_hash;
  bool is_admin = false;
};

class UserStore {
 public:
  // `db` and `clock` must outlive the store.
  UserStore(storage::Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // Creates a user stamped with the clock's time. Errors: kInvalidArgument (empty or
  // over-long name, e-mail or hash), kAlreadyExists (the name is taken in any case,
  // also when another process took it at the same moment), kUnavailable, kInternal.
  Result<User> Create(const NewUser& user);

  // The user of exactly that name, else the one whose name matches it regardless of
  // case. Errors: kNotFound, kUnavailable, kInternal.
  Result<User> FindByName(std::string_view username);

  // The accounts whose names clashed by case when the name keys were introduced (see
  // above), by id. Errors: kUnavailable, kInternal.
  Result<std::vector<NameClash>> NameClashes();
  Result<User> FindById(std::int64_t id);

  // Every user, by name. Errors: kUnavailable, kInternal.
  Result<std::vector<User>> List();

  // Deletes the user and everything they own; returns the object keys (original,
  // annotated, thumbnail) of their images for the caller to delete. Errors: kNotFound,
  // kUnavailable, kInternal (nothing is deleted then).
  Result<std::vector<std::string>> Delete(std::int64_t id);

  // Sets the hash and voids every unused password-reset link of the user, in one
  // transaction. Errors: kInvalidArgument (empty or over-long hash), kNotFound,
  // kUnavailable, kInternal.
  Status SetPasswordHash(std::int64_t id, std::string_view password_hash);

  // Sets the user's e-mail address; nullopt removes it. Errors: kInvalidArgument
  // (over-long address), kNotFound, kUnavailable, kInternal.
  Status SetEmail(std::int64_t id, const std::optional<std::string>& email);

  // Errors: kUnavailable, kInternal.
  Result<std::int64_t> CountAdmins();

 private:
  storage::Database& db_;
  Clock& clock_;
};

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_USER_STORE_H_
