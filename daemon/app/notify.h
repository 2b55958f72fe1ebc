// systemd notifications (sd_notify). Every call is a no-op when sigmad was not started
// by systemd (no $NOTIFY_SOCKET), so the daemon runs the same everywhere.
// Thread-safety: safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace sigmad::app::notify {

void Ready(const std::string& status);
void Status(const std::string& status);
void Stopping(const std::string& status);
void Reloading();
void WatchdogPing();

// The interval systemd expects pings within ($WATCHDOG_USEC), if the watchdog is on.
std::optional<std::chrono::microseconds> WatchdogInterval();

}  // namespace sigmad::app::notify
