// What every mode makes the same way from the shared settings: the database and the
// mailer. The mode factories (local/local_mode.cc, aws/aws_mode.cc) call these.
//
// Thread safety: call from the main thread at start.
#ifndef MASKFLEET_MODES_SHARED_PARTS_H_
#define MASKFLEET_MODES_SHARED_PARTS_H_

#include <filesystem>
#include <memory>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/config/shared_config.h"
#include "maskfleet/mail/mailer.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::modes {

// The database at `c.database_url`, with maskfleet's whole schema. Errors: the
// database's, with "database" as context.
Result<std::unique_ptr<storage::Database>> OpenDatabase(const config::SharedConfig& c, Clock& clock);

// Creates the worker's data folder `dir` if it is missing. Errors: kInvalidArgument
// naming the folder and the system's reason.
Status MakeDataDir(const std::filesystem::path& dir);

// The mailer [mail] kind asks for: an outbox folder or SMTP. Errors: the mailer's, with
// "mail" as context.
Result<std::unique_ptr<mail::Mailer>> MakeMailer(const config::SharedConfig& c);

}  // namespace maskfleet::modes

#endif  // MASKFLEET_MODES_SHARED_PARTS_H_
