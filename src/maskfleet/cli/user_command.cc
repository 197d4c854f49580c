// maskfleet user add [--admin] [--email E] NAME (--data-dir DIR | --config FILE)
// maskfleet user list (--data-dir DIR | --config FILE)
//
// Account administration from the command line: how the first administrator comes
// to be. The password is read from the terminal without echo (asked twice), or
// from standard input when it is not a terminal; never from an argument, which
// other users of the machine could read in the process list.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "maskfleet/auth/password_hash.h"
#include "maskfleet/auth/validation.h"
#include "maskfleet/cli/commands.h"
#include "maskfleet/cli/config_loading.h"
#include "maskfleet/accounts/setup.h"
#include "maskfleet/accounts/user_store.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::cli {
namespace {

struct UserArgs {
  std::string config_file;
  std::string data_dir;
  std::string username;
  std::string email;
  bool admin = false;
};

std::string ReadLineNoEcho(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  termios old_mode{};
  const bool tty = tcgetattr(STDIN_FILENO, &old_mode) == 0;
  if (tty) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old_mode);
    std::fprintf(stderr, "\n");
  }
  return line;
}

Result<std::string> ReadNewPassword() {
  if (!isatty(STDIN_FILENO)) {
    std::string line;
    std::getline(std::cin, line);
    return line;
  }
  const std::string first = ReadLineNoEcho("Password: ");
  const std::string second = ReadLineNoEcho("Password again: ");
  if (first != second) return MakeError(ErrorCode::kInvalidArgument, "the two passwords differ");
  return first;
}

Result<std::unique_ptr<storage::Database>> OpenDatabase(const UserArgs& args, worker::WorkerConfig& config) {
  Result<worker::WorkerConfig> loaded = LoadWorkerConfig(args.config_file);
  if (!loaded) return std::unexpected(loaded.error());
  config = *loaded;
  if (!args.data_dir.empty()) config.data_dir = args.data_dir;
  config.FillDefaults();
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  return storage::Database::Open(
      {.url = config.database_url, .migrations = schema::Maskfleet(), .pool_size = 1}, RealClock());
}

int Fail(const char* what, const Error& e) {
  std::fprintf(stderr, "maskfleet user %s: %s\n", what, e.message.c_str());
  return e.code == ErrorCode::kAlreadyExists || e.code == ErrorCode::kInvalidArgument ? kExitSomeFailed
                                                                                      : kExitCannotRun;
}

int RunAdd(const UserArgs& args) {
  if (Status valid = auth::ValidateUsername(args.username); !valid) return Fail("add", valid.error());
  if (!args.email.empty()) {
    if (Status valid = auth::ValidateEmail(args.email); !valid) return Fail("add", valid.error());
  }
  worker::WorkerConfig config;
  Result<std::unique_ptr<storage::Database>> db = OpenDatabase(args, config);
  if (!db) return Fail("add", db.error());
  Result<std::string> password = ReadNewPassword();
  if (!password) return Fail("add", password.error());
  auth::PasswordRules rules;
  rules.min_bytes = static_cast<std::size_t>(config.password_min_length);
  if (Status valid = auth::ValidatePassword(*password, rules); !valid) return Fail("add", valid.error());
  Result<std::string> hash = auth::HashPassword(*password, accounts::HashingByName(config.password_hashing));
  if (!hash) return Fail("add", hash.error());
  accounts::UserStore users(**db, RealClock());
  Result<accounts::User> user = users.Create(
      {args.username, args.email.empty() ? std::nullopt : std::optional(args.email), *hash, args.admin});
  if (!user) return Fail("add", user.error());
  std::printf("created %s '%s' (id %lld) in %s\n", args.admin ? "administrator" : "user",
              user->username.c_str(), static_cast<long long>(user->id), (*db)->redacted_url().c_str());
  return kExitOk;
}

int RunList(const UserArgs& args) {
  worker::WorkerConfig config;
  Result<std::unique_ptr<storage::Database>> db = OpenDatabase(args, config);
  if (!db) return Fail("list", db.error());
  accounts::UserStore users(**db, RealClock());
  Result<std::vector<accounts::User>> all = users.List();
  if (!all) return Fail("list", all.error());
  for (const accounts::User& u : *all) {
    std::printf("%lld\t%s\t%s\t%s\n", static_cast<long long>(u.id), u.username.c_str(),
                u.is_admin ? "admin" : "user", u.email.value_or("-").c_str());
  }
  return kExitOk;
}

void AddWhere(CLI::App* cmd, UserArgs& args) {
  cmd->add_option("--config", args.config_file, "The workers' TOML configuration file");
  cmd->add_option("--data-dir", args.data_dir, "The data folder of a local install");
}

}  // namespace

void AddUserCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<UserArgs>();
  CLI::App* user = app.add_subcommand("user", "Manage accounts from the command line");
  user->require_subcommand(1);
  CLI::App* add = user->add_subcommand("add",
                                       "Create an account; the password is read from the terminal or stdin");
  add->add_option("name", args->username, "User name (1 to 100 of letters, digits . _ - @)")->required();
  add->add_flag("--admin", args->admin, "Make the account an administrator");
  add->add_option("--email", args->email, "Email address for password recovery");
  AddWhere(add, *args);
  add->callback([args, &exit_code] { exit_code = RunAdd(*args); });
  CLI::App* list = user->add_subcommand("list", "List the accounts");
  AddWhere(list, *args);
  list->callback([args, &exit_code] { exit_code = RunList(*args); });
}

}  // namespace maskfleet::cli
