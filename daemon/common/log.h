// Logging: one line per event on stderr, where journald picks it up.
//
//   2026-11-23T07:05:00.123Z INFO    control: client uid=1000 pid=42 denied
//
// Timestamps are UTC (ISO-8601, milliseconds), then the level, the module and the
// message. Built on Poco::Logger (one logger per module, named after it) so POCO's own
// components log the same way. Secrets never go into a message.
// Thread-safety: all functions may be called from any thread after InitLogging().
#pragma once

#include <Poco/Formatter.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <optional>
#include <string>
#include <string_view>

namespace sigmad::log {

enum class Level { kDebug, kInfo, kWarning, kError };

// Parses "debug", "info", "warning", "error"; nullopt for anything else.
std::optional<Level> ParseLevel(std::string_view name);
const char* LevelName(Level level);  // "debug", ...

// Renders a Poco::Message in the format above.
class LineFormatter final : public Poco::Formatter {
 public:
  void format(const Poco::Message& msg, std::string& text) override;
};

// Routes all Poco loggers to stderr through LineFormatter at the given level.
void InitLogging(Level level);
void SetLevel(Level level);

// The logger for a module ("app", "control", ...).
Poco::Logger& For(const std::string& module);

}  // namespace sigmad::log
