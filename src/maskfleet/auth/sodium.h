// libsodium's one-time initialisation, shared by everything in maskfleet/auth.
//
// Internal to the auth library: callers of its public headers never need it.
#ifndef MASKFLEET_AUTH_SODIUM_H_
#define MASKFLEET_AUTH_SODIUM_H_

namespace maskfleet::auth::internal {

// Calls sodium_init() exactly once per process; safe from any thread, cheap after
// the first call. If libsodium cannot initialise (it fails only when the system
// offers no source of randomness) the process aborts with a message on stderr:
// nothing in this library can work without randomness, and libsodium's own
// randombytes_buf() aborts in the same situation.
void EnsureSodium();

}  // namespace maskfleet::auth::internal

#endif  // MASKFLEET_AUTH_SODIUM_H_
