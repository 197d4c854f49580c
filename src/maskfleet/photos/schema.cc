#include "maskfleet/photos/schema.h"

#include <string>
#include <vector>

namespace maskfleet::photos {
namespace {

// Version 1, second part (after accounts' users, which images reference): images and
// their faces. Times are UTC epoch seconds, booleans SMALLINT 0/1, as for the accounts.
// Images carry no face counts: the lists compute them from faces through its primary
// key (image_id, ordinal), which is cheap for one owner's page (see ImageStore::List).
std::vector<std::string> ImageTables(storage::Backend backend) {
  const storage::Dialect d = storage::DialectOf(backend);
  const std::string tail(d.table_tail);
  const std::string id(d.id_column);
  return {
      "CREATE TABLE images ("
      "  " +
          id +
          ","
          "  owner_id BIGINT NOT NULL,"
          "  created_at BIGINT NOT NULL,"
          "  source VARCHAR(8) NOT NULL,"
          "  source_name VARCHAR(2048) NOT NULL,"
          "  format VARCHAR(16) NOT NULL,"
          "  width INTEGER NOT NULL,"
          "  height INTEGER NOT NULL,"
          "  original_key VARCHAR(512) NOT NULL,"
          "  annotated_key VARCHAR(512) NOT NULL,"
          "  thumbnail_key VARCHAR(512) NOT NULL,"
          "  CONSTRAINT images_source_check CHECK (source IN ('upload', 'url')),"
          "  CONSTRAINT images_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE"
          ")" +
          tail,
      // The lists: one owner's images, newest first.
      "CREATE INDEX images_owner_created ON images (owner_id, created_at, id)",

      "CREATE TABLE faces ("
      "  image_id BIGINT NOT NULL,"
      "  ordinal INTEGER NOT NULL,"
      "  x INTEGER NOT NULL,"
      "  y INTEGER NOT NULL,"
      "  w INTEGER NOT NULL,"
      "  h INTEGER NOT NULL,"
      "  masked SMALLINT NOT NULL,"
      "  confidence DOUBLE PRECISION NOT NULL,"
      "  PRIMARY KEY (image_id, ordinal),"
      "  CONSTRAINT faces_image_fk FOREIGN KEY (image_id) REFERENCES images (id) ON DELETE CASCADE"
      ")" +
          tail,
  };
}

}  // namespace

void RegisterMigrations(storage::MigrationRegistry& registry) {
  registry.Register(1, "images, faces", &ImageTables);
}

}  // namespace maskfleet::photos
