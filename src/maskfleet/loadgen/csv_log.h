// The --csv file of a load-generator run: a header line, then one row per
// scheduled request, written as each request finishes (so rows come in
// completion order; `seq` gives the scheduling order):
//
//   seq,start_s,latency_ms,status,worker,num_faces,file
//   0,0.000000,123.456,200,127.0.0.1:8081,3,a.jpg
//   7,1.400000,,connection,,,b.png
//   9,1.800000,,dropped,,,c.jpg
//
// status is the HTTP status, or the transport error's name, or "dropped" for a
// request never sent because --max-in-flight were already in flight. Empty
// fields are unknown. Fields that could hold a comma, quote or line break are
// quoted as RFC 4180 says.
//
// CsvLog is safe to use from many threads at once (one mutex); rows are never
// interleaved.
#ifndef MASKFLEET_LOADGEN_CSV_LOG_H_
#define MASKFLEET_LOADGEN_CSV_LOG_H_

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"
#include "maskfleet/loadgen/stats.h"

namespace maskfleet::loadgen {

// One row, without the line break.
std::string CsvRow(const RequestRecord& record);
// The header row, without the line break.
std::string_view CsvHeader();
// `field` quoted for CSV when it needs to be.
std::string CsvField(std::string_view field);

class CsvLog {
 public:
  // Creates (or truncates) the file and writes the header. Errors: kNotFound or
  // kPermissionDenied (as the system says) naming the file.
  static Result<std::unique_ptr<CsvLog>> Create(const std::filesystem::path& path);
  ~CsvLog();
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;

  void Append(const RequestRecord& record);
  // Flushes and closes the file. Errors: kInternal when a write failed (disk full).
  Status Close();

 private:
  CsvLog(std::FILE* file, std::filesystem::path path) : file_(file), path_(std::move(path)) {}

  std::mutex mutex_;
  std::FILE* file_;            // guarded by mutex_; null once closed
  bool write_failed_ = false;  // guarded by mutex_
  std::filesystem::path path_;
};

}  // namespace maskfleet::loadgen

#endif  // MASKFLEET_LOADGEN_CSV_LOG_H_
