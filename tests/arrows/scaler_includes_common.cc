// Must compile: the scaler's own headers and those of its dependency (common). The
// control for "include_arrows": the probe fails for the wrong include, not the setup.
#include "maskfleet/common/error.h"
#include "maskfleet/scaler/decision.h"
