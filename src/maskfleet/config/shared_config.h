// The settings the worker and the manager share: where the data is (folder, database,
// objects), how mail goes out, the pages, cookies and accounts, the first
// administrator, and the deployment mode. Both read them from the same file (the
// manager starts its workers with it); each adds settings of its own
// (worker/worker_config.h, manager/manager_config.h).
//
// TOML names are "[section] key" as noted beside each field, with MASKFLEET_SECTION_KEY
// environment overrides; several live in [worker] because the worker had them first
// (files people wrote keep working). See docs/configuration.md.
#ifndef MASKFLEET_CONFIG_SHARED_CONFIG_H_
#define MASKFLEET_CONFIG_SHARED_CONFIG_H_

#include <filesystem>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/config/config_source.h"

namespace maskfleet::config {

// The deployment modes this program can run; "local" only for now.
inline constexpr const char* kModes[] = {"local"};

struct SharedConfig {
  // [deployment]
  std::string mode = "local";          // mode: where workers, balancer, metrics, objects live

  // [worker]
  std::filesystem::path data_dir = "data";  // data_dir
  std::filesystem::path web_dir;    // web_dir; default "web" beside the binary
  bool secure_cookies = false;      // secure_cookies
  std::string public_url;           // public_url: base of mailed links (the worker fills
                                    // in its own default, worker_config.h)
  int session_days = 7;             // session_days

  // [database]
  std::string database_url;         // url; default sqlite:<data_dir>/maskfleet.db
  int database_pool = 4;            // pool_size

  // [objects]
  std::filesystem::path objects_root;  // root; default <data_dir>/objects

  // [mail]
  std::string mail_kind = "outbox";    // kind: outbox or smtp
  std::filesystem::path outbox_dir;    // outbox_dir; default <data_dir>/outbox
  std::string mail_from_address = "maskfleet@localhost";  // from_address
  std::string mail_from_name = "maskfleet";               // from_name
  std::string smtp_url;                // smtp_url: smtp://host:587 or smtps://host:465
  std::string smtp_username;           // smtp_username
  std::string smtp_password;           // smtp_password (better: MASKFLEET_MAIL_SMTP_PASSWORD)
  bool smtp_starttls = true;           // smtp_starttls

  // [auth]
  std::string password_hashing = "interactive";  // password_hashing: interactive, moderate, minimum
  int password_min_length = 8;                   // password_min_length
  int hash_concurrency = 1;                      // hash_concurrency: Argon2id computations at once
  int hash_queue = 2;                            // hash_queue: computations that may wait (2 s at most)

  // [admin]: the first administrator, created at start when there is none.
  std::string admin_username;          // username
  std::string admin_password;          // password (better: MASKFLEET_ADMIN_PASSWORD)

  // Reads these settings (and no others: the caller checks for unknown keys).
  // Errors: kInvalidArgument naming the setting (an unknown mode among them).
  static Result<SharedConfig> Read(ConfigSource& source);
  // Derived defaults (database, objects, outbox and web folders), after flags changed
  // fields.
  void FillDefaults();
};

}  // namespace maskfleet::config

#endif  // MASKFLEET_CONFIG_SHARED_CONFIG_H_
