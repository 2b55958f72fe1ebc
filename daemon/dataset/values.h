// Values: how the dataset module reads and writes the text of one value, and how it
// shows a value or a name inside an error message.
//
// Numbers are read strictly, the same way everywhere (CSV cells, schema min/max,
// inference): the whole text must be a decimal floating-point number as std::from_chars
// reads it ("12", "-0.5", ".5", "1.", "1e-3", "1E+5"), optionally after one leading '+'.
// Nothing is trimmed; hexadecimal, digit grouping, a decimal comma, "NaN" and "Inf" in
// any spelling are refused. Numbers are written in the shortest form that reads back to
// the same double (std::to_chars), so write(read(write(x))) == write(x).
// Thread-safety: pure functions, reentrant.
#pragma once

#include <string>
#include <string_view>

namespace sigmad::dataset {

// Reads `text` as a finite number: sets *value and returns nullptr, or leaves *value
// alone and returns the reason (a static string, e.g. "not a number", "out of range").
const char* ParseNumber(std::string_view text, double* value);

// Appends the shortest text that ParseNumber reads back as exactly `value` ("-0" for
// negative zero). `value` must be finite.
void AppendNumber(double value, std::string* out);

// AppendNumber into a new string.
std::string FormatNumber(double value);

// `text` made safe for a one-line message: '\\', '"' and control characters escaped
// (\n \r \t \" \\ \xHH), cut at a UTF-8 character boundary after `max_bytes` bytes
// with "..." and the full length appended. No surrounding quotes.
std::string Printable(std::string_view text, size_t max_bytes = 64);

// `text` with ASCII letters lower-cased; other bytes unchanged. For "differs only in
// letter case" checks.
std::string FoldCase(std::string_view text);

// Whether `text` starts or ends with a space or a tab.
bool HasOuterSpace(std::string_view text);

}  // namespace sigmad::dataset
