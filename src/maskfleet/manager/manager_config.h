// Everything the manager is configured with: its own [manager] section, and the
// settings it shares with its workers (config/shared_config.h: data, database, objects,
// mail, pages, accounts, the first administrator, the mode), because it shares the
// database and the objects with them and starts them with the same file; it checks the
// workers' own settings of that file too. Flags win over the file and the environment
// (MASKFLEET_MANAGER_*), as for the worker. The [manager] settings about HAProxy and
// worker processes are the local mode's. See docs/configuration.md.
#ifndef MASKFLEET_MANAGER_MANAGER_CONFIG_H_
#define MASKFLEET_MANAGER_MANAGER_CONFIG_H_

#include <filesystem>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/config/config_source.h"
#include "maskfleet/config/shared_config.h"

namespace maskfleet::manager {

struct ManagerConfig {
  // [manager]
  std::string host = "127.0.0.1";     // host: where the UI and API listen
  int port = 5000;                    // port (0: any free port)
  std::string lb_host = "127.0.0.1";  // lb_host: HAProxy's entry address
  int lb_port = 8080;                 // lb_port (0: any free port)
  std::string lb_public_url;          // lb_public_url: the entry URL shown; default http://lb_host:lb_port/
  double worker_cpu = 0.25;           // worker_cpu: CPUs per worker ("instance size")
  std::string cpu_limit = "auto";     // cpu_limit: auto, cgroup, governor or none
  std::string haproxy = "haproxy";    // haproxy: the program
  int collect_seconds = 10;           // collect_seconds: how often workers are measured
  int scaler_sample_seconds = 60;     // scaler_sample_seconds: CPU sample length the
                                      // auto-scaler averages (shorter only for tests)
  int orphan_grace_seconds = 3600;    // orphan_grace_seconds: how long a photo object stays
                                      // without its image row before it is deleted
  int orphan_sweep_seconds = 10;      // orphan_sweep_seconds: one page of photo objects
                                      // (1,000 keys) is checked for rows this often
  std::filesystem::path config_file;  // the file read (--config), handed to the workers
  int worker_port = 8081;             // [worker] port: where the AWS mode's workers listen
  int worker_url_fetches = 2;         // [worker] url_fetches: the local mode's HAProxy bounds
                                      // the requests it sends a worker by the worker's bounds

  // The settings shared with the workers; data_dir here is the manager's too.
  config::SharedConfig shared;

  // Reads [manager] and the shared settings, and checks the workers' own; unknown keys
  // are errors.
  static Result<ManagerConfig> Load(config::ConfigSource& source);

  // Before use, after flags changed fields: makes data_dir absolute and creates it
  // (owner only), and fills in the derived defaults. Errors: kInvalidArgument when the
  // folder cannot be made.
  Status Prepare();
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_MANAGER_CONFIG_H_
