#include "maskfleet/storage/store_util.h"

#include "maskfleet/common/utf8.h"

namespace maskfleet::storage {

soci::statement Prepare(soci::session& s, std::string_view sql, const Bind& bind) {
  soci::statement st(s);
  bind(st);
  st.alloc();
  st.prepare(std::string(sql));
  st.define_and_bind();
  return st;
}

long long InsertReturningId(soci::session& s, Backend backend, std::string_view table, std::string_view sql,
                            const Bind& bind) {
  long long id = 0;
  if (backend == Backend::kPostgresql) {
    soci::statement st = Prepare(s, std::string(sql) + " RETURNING id", [&](soci::statement& q) {
      bind(q);
      q.exchange(soci::into(id));
    });
    st.execute(true);
    return id;
  }
  soci::statement st = Prepare(s, sql, bind);
  st.execute(true);
  if (!s.get_last_insert_id(std::string(table), id)) {
    throw soci::soci_error("no last insert id for table " + std::string(table));
  }
  return id;
}

std::vector<std::string> SelectImageKeys(soci::session& s, std::string_view sql, const long long* id) {
  std::vector<std::string> keys;
  std::string original, annotated, thumbnail;
  long long bound = id ? *id : 0;
  soci::statement st = Prepare(s, sql, [&](soci::statement& q) {
    q.exchange(soci::into(original));
    q.exchange(soci::into(annotated));
    q.exchange(soci::into(thumbnail));
    if (id) q.exchange(soci::use(bound));
  });
  st.execute();
  while (st.fetch()) {
    keys.push_back(original);
    keys.push_back(annotated);
    keys.push_back(thumbnail);
  }
  return keys;
}

Result<std::int64_t> SelectCount(Database& db, std::string_view context, std::string_view sql) {
  long long count = 0;
  Status st = db.Run(context, [&](soci::session& s) -> Status {
    s << std::string(sql), soci::into(count);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return count;
}

Result<std::int64_t> DeleteWithValue(Database& db, std::string_view context, std::string_view sql,
                                     long long value) {
  long long deleted = 0;
  Status st = db.Run(context, [&](soci::session& s) -> Status {
    soci::statement stmt = Prepare(s, sql, [&](soci::statement& q) { q.exchange(soci::use(value)); });
    stmt.execute(true);
    deleted = stmt.get_affected_rows();
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return deleted;
}

namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

bool IsStorableText(std::string_view text) {
  return text.find('\0') == std::string_view::npos && IsValidUtf8(text);
}

std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && IsContinuation(static_cast<unsigned char>(text[end]))) --end;
  return text.substr(0, end);
}

}  // namespace maskfleet::storage
