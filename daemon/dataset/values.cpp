#include "dataset/values.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <system_error>

namespace sigmad::dataset {
namespace {

// Whether all of `text` is a number from_chars reads (finite or not); sets *value.
// Returns the errc of the attempt: {} on a full read, result_out_of_range, or
// invalid_argument when any part is left over.
std::errc ReadAll(std::string_view text, double* value) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    // from_chars takes no sign of its own after ours: "+-1" and "++1" are not numbers.
    if (text.empty() || text.front() == '-' || text.front() == '+') {
      return std::errc::invalid_argument;
    }
  }
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) return ec;
  if (ec != std::errc() || ptr != end) return std::errc::invalid_argument;
  return std::errc();
}

// The length of the UTF-8 character starting at text[i], 1 for a byte that does not
// start one (the input is expected to be valid; this only keeps a cut from splitting).
size_t CharLength(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  return i + n <= text.size() ? n : 1;
}

}  // namespace

const char* ParseNumber(std::string_view text, double* value) {
  double v = 0;
  std::errc ec = ReadAll(text, &v);
  if (ec == std::errc::result_out_of_range) return "out of range";
  if (ec != std::errc()) {
    double ignored = 0;
    if (HasOuterSpace(text)) {
      size_t b = text.find_first_not_of(" \t");
      size_t e = text.find_last_not_of(" \t");
      if (b != std::string_view::npos &&
          ReadAll(text.substr(b, e - b + 1), &ignored) != std::errc::invalid_argument) {
        return "leading or trailing spaces";
      }
    }
    size_t comma = text.find(',');
    if (comma != std::string_view::npos && text.find(',', comma + 1) == std::string_view::npos &&
        text.find('.') == std::string_view::npos) {
      std::string dotted(text);
      dotted[comma] = '.';
      if (ReadAll(dotted, &ignored) == std::errc()) {
        return "not a number (the decimal separator is '.')";
      }
    }
    return "not a number";
  }
  if (!std::isfinite(v)) return "not a finite number";
  *value = v;
  return nullptr;
}

void AppendNumber(double value, std::string* out) {
  assert(std::isfinite(value));
  char buffer[32];  // the shortest form of any double fits in 24 characters
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  assert(ec == std::errc());
  out->append(buffer, static_cast<size_t>(ptr - buffer));
}

std::string FormatNumber(double value) {
  std::string out;
  AppendNumber(value, &out);
  return out;
}

std::string Printable(std::string_view text, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 8);
  size_t i = 0;
  while (i < text.size()) {
    size_t n = CharLength(text, i);
    if (i + n > max_bytes) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  if (i < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string FoldCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool HasOuterSpace(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  return !text.empty() && (space(text.front()) || space(text.back()));
}

}  // namespace sigmad::dataset
