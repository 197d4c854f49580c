// The stop signals of the long-running commands (worker, manager).
#ifndef MASKFLEET_CLI_STOP_SIGNALS_H_
#define MASKFLEET_CLI_STOP_SIGNALS_H_

#include <signal.h>

namespace maskfleet::cli {

// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread it makes from
// then on, so that they are taken by sigwait or sigtimedwait on the returned set, never
// by a handler in another thread. Call it before any thread is made.
sigset_t BlockStopSignals();

}  // namespace maskfleet::cli

#endif  // MASKFLEET_CLI_STOP_SIGNALS_H_
