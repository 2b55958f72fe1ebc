// sigmactl: the sysadmin's control CLI for sigmad, over its unix control socket.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "sigmad/version.h"

namespace {
constexpr const char* kDefaultSocket = "/run/sigmad/control.sock";
constexpr const char* kFooter =
    "Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 daemon unreachable, "
    "4 access denied.\nThe socket is --socket, else $SIGMAD_SOCKET, else "
    "/run/sigmad/control.sock.";
}  // namespace

int main(int argc, char** argv) {
  using namespace sigmad::ctl;
  CLI::App app{"sigmactl: control sigmad, the on-premises analysis appliance", "sigmactl"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the command

  GlobalOptions g;
  const char* env = std::getenv("SIGMAD_SOCKET");
  g.socket = env && *env ? env : kDefaultSocket;
  double timeout_s = 60;
  app.add_option("--socket", g.socket, "control socket path")->type_name("PATH");
  app.add_flag("--json", g.json, "print the daemon's JSON result exactly, for scripts");
  app.add_option("--timeout", timeout_s,
                 "seconds to wait for the daemon between replies (0 waits forever)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.0, 86400.0));
  app.set_version_flag("--version", std::string("sigmactl ") + sigmad::kVersion);

  int rc = kExitOk;
  auto* status = app.add_subcommand(
      "status", "show the daemon: version, pid, uptime, state dir, socket, clients, runtime");
  status->callback([&] { rc = CmdStatus(g); });
  auto* version = app.add_subcommand("version", "print the versions of sigmactl and sigmad");
  version->callback([&] { rc = CmdVersion(g); });

  for (auto* sub : {status, version}) sub->footer(kFooter);
  app.parse_complete_callback(
      [&] { g.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000)); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint
    return kExitUsage;
  }
  return rc;
}
