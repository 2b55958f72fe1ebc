// systemd notifications (sd_notify). Every call is a no-op when sigmad was not started
// by systemd (no $NOTIFY_SOCKET), so the daemon runs the same everywhere.
// Thread-safety: safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sigmad::app::notify {

void Ready(const std::string& status);
void Status(const std::string& status);
void Stopping(const std::string& status);
void Reloading();
void WatchdogPing();

// The interval systemd expects pings within ($WATCHDOG_USEC), if the watchdog is on.
std::optional<std::chrono::microseconds> WatchdogInterval();

// Pings the watchdog from its own thread, at half the interval, for as long as it lives.
// For the stretch of an in-place restore when the main loop cannot: systemd keeps the
// watchdog armed while RELOADING=1, and the drain, a backup finishing, the swap and
// reopening the store can outlast WatchdogSec=. Does nothing without a watchdog.
class WatchdogPinger {
 public:
  WatchdogPinger();
  ~WatchdogPinger();
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sigmad::app::notify
