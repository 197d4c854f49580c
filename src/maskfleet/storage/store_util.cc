#include "maskfleet/storage/store_util.h"

namespace maskfleet::storage {

soci::statement Prepare(soci::session& s, std::string_view sql, const Bind& bind) {
  soci::statement st(s);
  bind(st);
  st.alloc();
  st.prepare(std::string(sql));
  st.define_and_bind();
  return st;
}

long long InsertReturningId(soci::session& s, Backend backend, std::string_view table,
                            std::string_view sql, const Bind& bind) {
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

std::vector<std::string> SelectImageKeys(soci::session& s, std::string_view sql,
                                         const long long* id) {
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
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The sequence's length and the range of its second byte (RFC 3629, section 4).
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // overlong
      if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;   // overlong
      if (c == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < low || second > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (!IsContinuation(static_cast<unsigned char>(text[i + k]))) return false;
    }
    i += length;
  }
  return true;
}

std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && IsContinuation(static_cast<unsigned char>(text[end]))) --end;
  return text.substr(0, end);
}

}  // namespace maskfleet::storage
