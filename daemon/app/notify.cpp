#include "app/notify.h"

#include <systemd/sd-daemon.h>

namespace sigmad::app::notify {

namespace {
void Send(const std::string& text) { sd_notify(0, text.c_str()); }
std::string StatusLine(const std::string& status) {
  std::string s = "STATUS=";
  for (char c : status) s += c == '\n' ? ' ' : c;
  return s;
}
}  // namespace

void Ready(const std::string& status) { Send("READY=1\n" + StatusLine(status)); }
void Status(const std::string& status) { Send(StatusLine(status)); }
void Stopping(const std::string& status) { Send("STOPPING=1\n" + StatusLine(status)); }
void Reloading() { Send("RELOADING=1"); }
void WatchdogPing() { Send("WATCHDOG=1"); }

WatchdogPinger::WatchdogPinger() {
  const auto interval = WatchdogInterval();
  if (!interval) return;
  thread_ = std::thread([this, tick = *interval / 2] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, tick, [this] { return stop_; })) WatchdogPing();
  });
}

WatchdogPinger::~WatchdogPinger() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::chrono::microseconds> WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(static_cast<long long>(usec));
  }
  return std::nullopt;
}

}  // namespace sigmad::app::notify
