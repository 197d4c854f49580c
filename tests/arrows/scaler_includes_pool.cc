// Must not compile: the scaler depends on common only, so the pool's headers are not on
// its include path. The test "include_arrows" builds this and expects exactly that error.
#include "maskfleet/scaler/decision.h"
#include "maskfleet/pool/worker_pool.h"
