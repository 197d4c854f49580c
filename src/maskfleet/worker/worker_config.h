// Everything a worker is configured with, read from a ConfigSource (TOML file and
// MASKFLEET_* environment variables) and then command-line flags. Each field's
// TOML name is "[section] key"; defaults are those of a single-machine install
// with all state under data_dir. See docs/configuration.md.
#ifndef MASKFLEET_WORKER_WORKER_CONFIG_H_
#define MASKFLEET_WORKER_WORKER_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/config/config_source.h"

namespace maskfleet::worker {

struct WorkerConfig {
  // [worker]
  std::string name;                 // name; default "<host>:<port>" as bound
  std::string host = "127.0.0.1";   // host
  int port = 8081;                  // port
  int http_threads = 24;            // http_threads
  int detection_threads = 2;        // detection_threads: networks in the detector pool
  int detection_queue = 14;         // detection_queue: analyses that may wait for one
  int opencv_threads = 1;           // opencv_threads: OpenCV's own threads per inference
  bool register_enabled = true;     // register_enabled: POST /api/register
  std::string public_url;           // public_url: base of mailed links; default http://host:port
                                    // (set it when port is 0 or behind a load balancer)
  bool secure_cookies = false;      // secure_cookies
  bool trust_forwarded_for = false; // trust_forwarded_for
  std::filesystem::path data_dir = "data";  // data_dir
  std::filesystem::path web_dir;    // web_dir; default "web" beside the binary
  std::int64_t max_upload_bytes = 10 * 1024 * 1024;  // max_upload_bytes
  std::int64_t max_pixels = 50'000'000;              // max_pixels
  bool allow_private_urls = false;  // allow_private_urls: URL uploads from private addresses
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

  // [model]
  std::filesystem::path model_dir;     // dir; default: see cli/model_location.h

  // [auth]
  std::string password_hashing = "interactive";  // password_hashing: interactive, moderate, minimum
  int password_min_length = 8;                   // password_min_length

  // [admin]: the first administrator, created at start when there is none.
  std::string admin_username;          // username
  std::string admin_password;          // password (better: MASKFLEET_ADMIN_PASSWORD)

  // Reads every setting and fills in the derived defaults. Errors: kInvalidArgument
  // naming the setting; unknown keys of the file are errors too.
  // The [manager] section is the manager's (it shares the file with its workers).
  static Result<WorkerConfig> Load(config::ConfigSource& source);
  // Load without the check for unknown keys: for a command that reads sections of its
  // own from the same source and checks afterwards (the manager).
  static Result<WorkerConfig> Read(config::ConfigSource& source);
  // Derived defaults, after flags changed fields.
  void FillDefaults();
};

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_WORKER_CONFIG_H_
