#include "render.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/time_format.h"

namespace sigmad::ctl {

void PrintKeyValues(std::ostream& out, const KeyValues& rows) {
  size_t width = 0;
  for (const auto& [k, _] : rows) width = std::max(width, k.size());
  for (const auto& [k, v] : rows) {
    out << k << std::string(width - k.size() + 2, ' ') << v << '\n';
  }
}

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&width](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      line += cell;
      if (i + 1 < width.size()) line += std::string(width[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print(header);
  for (const auto& r : rows) print(r);
}

std::string ToJson(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out, 2);
  return out.str();
}

std::string FormatBytes(double bytes) {
  char buf[32];
  if (bytes >= 1024.0 * 1024.0) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  } else {
    std::snprintf(buf, sizeof buf, "%.0f KiB", bytes / 1024.0);
  }
  return buf;
}

std::string FormatProgress(const Poco::Dynamic::Var& progress) {
  if (progress.type() != typeid(Poco::JSON::Object::Ptr)) return progress.toString();
  auto obj = progress.extract<Poco::JSON::Object::Ptr>();
  std::string line;
  if (obj->has("done") && obj->has("total")) {
    const double done = obj->getValue<double>("done");
    const double total = obj->getValue<double>("total");
    const int pct = total > 0 ? static_cast<int>(100.0 * done / total) : 0;
    const int filled = std::clamp(pct / 5, 0, 20);
    line += "[" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(20 - filled), '.') + "] " + std::to_string(pct) + "%";
  }
  if (obj->has("message")) line += (line.empty() ? "" : " ") + obj->getValue<std::string>("message");
  if (obj->has("eta_seconds")) {
    line += (line.empty() ? "" : " ") + std::string("ETA ") +
            FormatDuration(std::chrono::seconds(std::llround(
                std::clamp(obj->getValue<double>("eta_seconds"), 0.0, 1e9))));
  }
  for (const auto& [k, v] : *obj) {
    if (k == "done" || k == "total" || k == "message" || k == "eta_seconds") continue;
    line += (line.empty() ? "" : " ") + k + "=" + v.toString();
  }
  return line;
}

}  // namespace sigmad::ctl
