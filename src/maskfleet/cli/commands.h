// Registration of the subcommands. Each Add*Command adds one subcommand to `app`;
// when it runs, it stores its exit status in `exit_code`:
//   0 success, 1 some inputs failed (each reported), 2 the command could not run.
#ifndef MASKFLEET_CLI_COMMANDS_H_
#define MASKFLEET_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace maskfleet::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitSomeFailed = 1;
inline constexpr int kExitCannotRun = 2;

void AddDetectCommand(CLI::App& app, int& exit_code);
void AddWorkerCommand(CLI::App& app, int& exit_code);
void AddUserCommand(CLI::App& app, int& exit_code);
void AddLoadgenCommand(CLI::App& app, int& exit_code);
void AddManagerCommand(CLI::App& app, int& exit_code);
void AddSimulateCommand(CLI::App& app, int& exit_code);

}  // namespace maskfleet::cli

#endif  // MASKFLEET_CLI_COMMANDS_H_
