// Clock: the one source of wall-clock and monotonic time for the daemon.
//
// Services take a Clock& in their constructor so tests can move time with FakeClock
// instead of sleeping. SystemClock is stateless; FakeClock is safe to share between
// threads (its times are atomics).
#pragma once

#include <atomic>
#include <chrono>

namespace sigmad {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using MonoTime = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;          // UTC wall clock
  virtual MonoTime Monotonic() const = 0;    // for durations and timeouts
};

class SystemClock final : public Clock {
 public:
  WallTime Now() const override { return std::chrono::system_clock::now(); }
  MonoTime Monotonic() const override { return std::chrono::steady_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start) : wall_(start.time_since_epoch().count()) {}
  WallTime Now() const override { return WallTime(WallTime::duration(wall_.load())); }
  MonoTime Monotonic() const override { return MonoTime(MonoTime::duration(mono_.load())); }
  // Moves both clocks forward by d.
  template <typename Rep, typename Period>
  void Advance(std::chrono::duration<Rep, Period> d) {
    wall_ += std::chrono::duration_cast<WallTime::duration>(d).count();
    mono_ += std::chrono::duration_cast<MonoTime::duration>(d).count();
  }

 private:
  std::atomic<WallTime::duration::rep> wall_;
  std::atomic<MonoTime::duration::rep> mono_{0};
};

}  // namespace sigmad
