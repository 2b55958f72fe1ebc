// sigmactl's commands: each turns a daemon result into human or --json output and
// returns sigmactl's exit code.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace sigmad::ctl {

// Exit codes (documented in `sigmactl --help` and sigmactl(8)).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;
inline constexpr int kExitDenied = 4;

struct GlobalOptions {
  std::string socket;
  bool json = false;
  std::chrono::milliseconds timeout{60000};
};

// Prints "sigmactl: message" for a failed call and maps its code to an exit code.
int ReportFailure(const Status& status);

int CmdStatus(const GlobalOptions& g);
int CmdVersion(const GlobalOptions& g);

}  // namespace sigmad::ctl
