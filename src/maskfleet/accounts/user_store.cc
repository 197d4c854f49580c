#include "maskfleet/accounts/user_store.h"

#include <utility>

#include "maskfleet/storage/sql.h"

namespace maskfleet::accounts {

using storage::FromEpochSeconds;
using storage::InsertReturningId;
using storage::Prepare;
using storage::SelectImageKeys;
using storage::ToEpochSeconds;

namespace {

constexpr std::string_view kUserColumns = "id, username, email, password_hash, is_admin, created_at";

// The target of a one-row SELECT of kUserColumns.
struct UserRow {
  long long id = 0;
  std::string username;
  std::string email;
  soci::indicator email_ind = soci::i_null;
  std::string password_hash;
  int is_admin = 0;
  long long created_at = 0;

  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(username));
    st.exchange(soci::into(email, email_ind));
    st.exchange(soci::into(password_hash));
    st.exchange(soci::into(is_admin));
    st.exchange(soci::into(created_at));
  }

  User ToUser() const {
    User u;
    u.id = id;
    u.username = username;
    if (email_ind == soci::i_ok) u.email = email;
    u.password_hash = password_hash;
    u.is_admin = is_admin != 0;
    u.created_at = FromEpochSeconds(created_at);
    return u;
  }
};

Status CheckHash(std::string_view hash) {
  if (hash.empty() || hash.size() > kMaxPasswordHashLength) {
    return MakeError(ErrorCode::kInvalidArgument, "password hash is empty or too long");
  }
  return {};
}

std::optional<User> SelectOneBy(soci::session& s, std::string_view column, const std::string& value) {
  UserRow row;
  soci::statement st = Prepare(
      s, "SELECT " + std::string(kUserColumns) + " FROM users WHERE " + std::string(column) + " = :v",
      [&](soci::statement& q) {
        row.Bind(q);
        q.exchange(soci::use(value));
      });
  if (!st.execute(true)) return std::nullopt;
  return row.ToUser();
}

// Looks a user up by name on `s`: the exact name first (an account of a case clash has
// no key), then the name key; nullopt when there is none.
std::optional<User> SelectByName(soci::session& s, const std::string& username) {
  if (std::optional<User> exact = SelectOneBy(s, "username", username)) return exact;
  return SelectOneBy(s, "name_key", NameKey(username));
}

}  // namespace

std::string NameKey(std::string_view username) {
  std::string key(username);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

Result<User> UserStore::Create(const NewUser& user) {
  if (user.username.empty() || user.username.size() > kMaxUsernameLength) {
    return MakeError(ErrorCode::kInvalidArgument, "username must be 1 to 100 bytes");
  }
  if (user.email && (user.email->empty() || user.email->size() > kMaxEmailLength)) {
    return MakeError(ErrorCode::kInvalidArgument, "e-mail address is empty or too long");
  }
  if (auto st = CheckHash(user.password_hash); !st) return std::unexpected(st.error());

  User created;
  created.username = user.username;
  created.email = user.email;
  created.password_hash = user.password_hash;
  created.is_admin = user.is_admin;
  created.created_at = FromEpochSeconds(ToEpochSeconds(clock_.Now()));

  const auto already_exists = [&] {
    return MakeError(ErrorCode::kAlreadyExists, "user '" + user.username + "' already exists");
  };
  Status st = db_.RunInTransaction("create user", [&](soci::session& s) -> Status {
    if (SelectByName(s, user.username)) return already_exists();
    std::string email = user.email.value_or("");
    soci::indicator email_ind = user.email ? soci::i_ok : soci::i_null;
    int is_admin = user.is_admin ? 1 : 0;
    long long created_at = ToEpochSeconds(created.created_at);
    const std::string name_key = NameKey(user.username);
    auto id = InsertReturningId(
        s, db_.backend(), "users",
        "INSERT INTO users (username, name_key, email, password_hash, is_admin, created_at) "
        "VALUES (:u, :k, :e, :p, :a, :c)",
        [&](soci::statement& q) {
          q.exchange(soci::use(user.username));
          q.exchange(soci::use(name_key));
          q.exchange(soci::use(email, email_ind));
          q.exchange(soci::use(user.password_hash));
          q.exchange(soci::use(is_admin));
          q.exchange(soci::use(created_at));
        });
    created.id = id;
    return {};
  });
  if (!st) {
    // Two processes may pass the check above at the same moment; the unique constraint
    // stops the second, with a message that differs per back end and language. Asking
    // again tells a duplicate from any other failure, on every back end.
    if (st.error().code != ErrorCode::kAlreadyExists) {
      auto existing = FindByName(user.username);
      if (existing) return already_exists();
    }
    return std::unexpected(st.error());
  }
  return created;
}

Result<User> UserStore::FindByName(std::string_view username) {
  std::optional<User> found;
  std::string name(username);
  Status st = db_.Run("find user", [&](soci::session& s) -> Status {
    found = SelectByName(s, name);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  if (!found) return MakeError(ErrorCode::kNotFound, "no user '" + name + "'");
  return std::move(*found);
}

Result<std::vector<NameClash>> UserStore::NameClashes() {
  std::vector<NameClash> clashes;
  Status st = db_.Run("find name clashes", [&](soci::session& s) -> Status {
    long long id = 0;
    std::string username;
    soci::statement stmt = Prepare(s, "SELECT id, username FROM users WHERE name_key IS NULL ORDER BY id",
                                   [&](soci::statement& q) {
                                     q.exchange(soci::into(id));
                                     q.exchange(soci::into(username));
                                   });
    stmt.execute();
    while (stmt.fetch()) clashes.push_back({id, username, 0, ""});
    for (NameClash& clash : clashes) {
      if (std::optional<User> older = SelectOneBy(s, "name_key", NameKey(clash.username))) {
        clash.older_id = older->id;
        clash.older_username = older->username;
      }
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return clashes;
}

Result<User> UserStore::FindById(std::int64_t id) {
  std::optional<User> found;
  Status st = db_.Run("find user", [&](soci::session& s) -> Status {
    UserRow row;
    long long key = id;
    soci::statement stmt = Prepare(s, "SELECT " + std::string(kUserColumns) + " FROM users WHERE id = :id",
                                   [&](soci::statement& q) {
                                     row.Bind(q);
                                     q.exchange(soci::use(key));
                                   });
    if (stmt.execute(true)) found = row.ToUser();
    return {};
  });
  if (!st) return std::unexpected(st.error());
  if (!found) return MakeError(ErrorCode::kNotFound, "no user with id " + std::to_string(id));
  return std::move(*found);
}

Result<std::vector<User>> UserStore::List() {
  std::vector<User> users;
  Status st = db_.Run("list users", [&](soci::session& s) -> Status {
    UserRow row;
    soci::statement stmt = Prepare(
        s, "SELECT " + std::string(kUserColumns) + " FROM users ORDER BY username, id",
        [&](soci::statement& q) { row.Bind(q); });
    stmt.execute();
    while (stmt.fetch()) users.push_back(row.ToUser());
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return users;
}

Result<std::vector<std::string>> UserStore::Delete(std::int64_t id) {
  std::vector<std::string> keys;
  Status st = db_.RunInTransaction("delete user", [&](soci::session& s) -> Status {
    long long key = id;
    keys = SelectImageKeys(s,
                           "SELECT original_key, annotated_key, thumbnail_key FROM images "
                           "WHERE owner_id = :id",
                           &key);
    soci::statement stmt = (s.prepare << "DELETE FROM users WHERE id = :id", soci::use(key));
    stmt.execute(true);
    if (stmt.get_affected_rows() == 0) {
      return MakeError(ErrorCode::kNotFound, "no user with id " + std::to_string(id));
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return keys;
}

Status UserStore::SetPasswordHash(std::int64_t id, std::string_view password_hash) {
  if (auto st = CheckHash(password_hash); !st) return st;
  return db_.RunInTransaction("set password", [&](soci::session& s) -> Status {
    long long key = id;
    std::string hash(password_hash);
    long long exists = 0;
    s << "SELECT COUNT(*) FROM users WHERE id = :id", soci::use(key), soci::into(exists);
    if (exists == 0) return MakeError(ErrorCode::kNotFound, "no user with id " + std::to_string(id));
    s << "UPDATE users SET password_hash = :h WHERE id = :id", soci::use(hash), soci::use(key);
    long long now = ToEpochSeconds(clock_.Now());
    s << "UPDATE password_reset_tokens SET used_at = :t WHERE user_id = :u AND used_at IS NULL",
        soci::use(now), soci::use(key);
    return {};
  });
}

Status UserStore::SetEmail(std::int64_t id, const std::optional<std::string>& email) {
  if (email && email->size() > kMaxEmailLength) {
    return MakeError(ErrorCode::kInvalidArgument, "e-mail address too long");
  }
  return db_.Run("set e-mail", [&](soci::session& s) -> Status {
    long long key = id;
    std::string address = email.value_or("");
    soci::indicator ind = email ? soci::i_ok : soci::i_null;
    soci::statement stmt = (s.prepare << "UPDATE users SET email = :e WHERE id = :id",
                            soci::use(address, ind), soci::use(key));
    stmt.execute(true);
    if (stmt.get_affected_rows() == 0) {
      return MakeError(ErrorCode::kNotFound, "no user with id " + std::to_string(id));
    }
    return {};
  });
}

Result<std::int64_t> UserStore::CountAdmins() {
  return storage::SelectCount(db_, "count administrators", "SELECT COUNT(*) FROM users WHERE is_admin = 1");
}

}  // namespace maskfleet::accounts
