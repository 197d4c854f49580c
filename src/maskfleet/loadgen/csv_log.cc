#include "maskfleet/loadgen/csv_log.h"

#include <cerrno>
#include <cstring>
#include <utility>

namespace maskfleet::loadgen {

std::string_view CsvHeader() { return "seq,start_s,latency_ms,status,worker,num_faces,file"; }

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string CsvRow(const RequestRecord& r) {
  char numbers[96];
  std::snprintf(numbers, sizeof numbers, "%llu,%.6f,", static_cast<unsigned long long>(r.seq), r.start_s);
  std::string row = numbers;
  switch (r.outcome) {
    case Outcome::kAnswered:
      std::snprintf(numbers, sizeof numbers, "%.3f,%d", r.latency_ms, r.http_status);
      row += numbers;
      break;
    case Outcome::kTransportError: row += "," + CsvField(r.error); break;
    case Outcome::kDropped: row += ",dropped"; break;
  }
  row += "," + CsvField(r.worker) + ",";
  if (r.num_faces) row += std::to_string(*r.num_faces);
  row += "," + CsvField(r.file);
  return row;
}

Result<std::unique_ptr<CsvLog>> CsvLog::Create(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    const int error = errno;
    return MakeError(error == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kNotFound,
                     "cannot create " + path.string() + ": " + std::strerror(error));
  }
  std::unique_ptr<CsvLog> log(new CsvLog(file, path));
  std::fprintf(file, "%s\n", std::string(CsvHeader()).c_str());
  return log;
}

CsvLog::~CsvLog() { (void)Close(); }

void CsvLog::Append(const RequestRecord& record) {
  const std::string row = CsvRow(record) + "\n";
  std::lock_guard lock(mutex_);
  if (file_ == nullptr) return;
  if (std::fwrite(row.data(), 1, row.size(), file_) != row.size()) write_failed_ = true;
}

Status CsvLog::Close() {
  std::lock_guard lock(mutex_);
  if (file_ == nullptr) return {};
  const bool failed = std::fclose(file_) != 0 || write_failed_;
  file_ = nullptr;
  if (failed) return MakeError(ErrorCode::kInternal, "cannot write " + path_.string());
  return {};
}

}  // namespace maskfleet::loadgen
