#include "maskfleet/auth/sodium.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace maskfleet::auth::internal {

void EnsureSodium() {
  // A function-local static is initialised once, and other threads wait for it.
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      std::fputs("maskfleet: libsodium failed to initialise (no randomness source?)\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

}  // namespace maskfleet::auth::internal
