#include "common/log.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>

#include <chrono>

#include "common/time_format.h"

namespace sigmad::log {
namespace {

int ToPoco(Level level) {
  switch (level) {
    case Level::kDebug:
      return Poco::Message::PRIO_DEBUG;
    case Level::kInfo:
      return Poco::Message::PRIO_INFORMATION;
    case Level::kWarning:
      return Poco::Message::PRIO_WARNING;
    case Level::kError:
      return Poco::Message::PRIO_ERROR;
  }
  return Poco::Message::PRIO_INFORMATION;
}

const char* PriorityLabel(Poco::Message::Priority p) {
  switch (p) {
    case Poco::Message::PRIO_FATAL:
      return "FATAL";
    case Poco::Message::PRIO_CRITICAL:
      return "CRIT";
    case Poco::Message::PRIO_ERROR:
      return "ERROR";
    case Poco::Message::PRIO_WARNING:
      return "WARN";
    case Poco::Message::PRIO_NOTICE:
      return "NOTICE";
    case Poco::Message::PRIO_INFORMATION:
      return "INFO";
    case Poco::Message::PRIO_DEBUG:
      return "DEBUG";
    case Poco::Message::PRIO_TRACE:
      return "TRACE";
  }
  return "INFO";
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warning") return Level::kWarning;
  if (name == "error") return Level::kError;
  return std::nullopt;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

void LineFormatter::format(const Poco::Message& msg, std::string& text) {
  const auto tp = std::chrono::system_clock::time_point(
      std::chrono::microseconds(msg.getTime().epochMicroseconds()));
  text = FormatUtc(tp);
  text += ' ';
  std::string label = PriorityLabel(msg.getPriority());
  label.resize(6, ' ');
  text += label;
  text += ' ';
  text += msg.getSource().empty() ? "sigmad" : msg.getSource();
  text += ": ";
  // One event, one line: a message never forges a second log line.
  for (char c : msg.getText()) text += (c == '\n' || c == '\r') ? ' ' : c;
}

void InitLogging(Level level) {
  Poco::AutoPtr<Poco::Formatter> formatter(new LineFormatter);
  Poco::AutoPtr<Poco::Channel> console(new Poco::ConsoleChannel);  // std::clog = stderr
  Poco::AutoPtr<Poco::Channel> channel(new Poco::FormattingChannel(formatter, console));
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::setChannel("", channel);  // loggers created before this call too
  SetLevel(level);
}

void SetLevel(Level level) { Poco::Logger::setLevel("", ToPoco(level)); }

Poco::Logger& For(const std::string& module) { return Poco::Logger::get(module); }

}  // namespace sigmad::log
