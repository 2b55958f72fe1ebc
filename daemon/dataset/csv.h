// CSV: an RFC 4180 reader over a byte buffer, and a writer that reads back the same.
//
// Reading (ReadCsv). The first record is the header, the rest are data rows; every row
// has as many fields as the header. Accepted:
//   - LF or CRLF line ends, mixed; the last line with or without one;
//   - an optional UTF-8 byte order mark at the very start (dropped);
//   - quoted fields ("...") holding commas, quotes written "", CR and LF;
//   - blank lines (no bytes at all between two line ends) anywhere: skipped, they are
//     not rows. A one-column row with an empty value is written `""`, which is not blank.
// Nothing is trimmed: "a, b" has the fields "a" and " b".
// Refused, each with a message that says where: an empty file, a file of blank lines, a
// header with no data rows, an empty header name, a header name with leading or
// trailing spaces, two header names equal up to ASCII letter case (so "Temp" and "temp"
// can never be confused), a row with the wrong number of fields (all of them are listed,
// up to `max_reported`), a quote that is never closed, a quote inside an unquoted field,
// anything but a comma or a line end after a closing quote, a CR not followed by LF
// outside quotes, invalid UTF-8 (overlong forms and surrogates included), a NUL byte,
// and anything over the limits in CsvLimits. A row with the wrong number of fields does
// not stop the reading, so every such row is listed; any other problem stops it.
//
// Where: rows are counted as users count data rows: the first line after the header is
// "row 1". When row R does not start on line R + 1 of the file (quoted fields spanning
// lines, or blank lines, came before it) the physical line is added: "row 7 (line 9)";
// the same for a header not on line 1. A field is named by its header name: "row 7,
// column temp"; a header field, or a field past the header's width, by position:
// "header, column 3", "row 7, field 6". Byte offsets are 0-based offsets into the
// buffer, BOM included.
//
// Errors: Status code "invalid_csv"; the message holds one problem per line.
//
// Writing (CsvWriter, WriteCsv): LF line ends, no BOM, a field quoted only when it must
// be (a comma, quote, CR or LF inside; a leading or trailing space or tab; a leading
// BOM; the only field of a row and empty). Numbers are written by AppendNumber
// (dataset/values.h): the shortest text that reads back to the same double. So for any
// table t, ReadCsv(WriteCsv(t)) has t's fields, byte for byte.
//
// Thread-safety: a CsvTable is immutable once read; ReadCsv and WriteCsv are reentrant.
// A CsvWriter is a plain value used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sigmad::dataset {

// The hard cap on CsvLimits::max_bytes: field offsets are stored in 32 bits.
inline constexpr size_t kMaxCsvBytesCap = UINT32_MAX - 1;

struct CsvLimits {
  size_t max_bytes = size_t{1} << 30;        // the whole buffer, BOM included; <= kMaxCsvBytesCap
  size_t max_columns = 4096;                 // fields in the header
  size_t max_field_bytes = size_t{1} << 16;  // one field's value, after unquoting
  size_t max_reported = 100;  // rows with the wrong field count listed before "... and N more"
};

// A parsed CSV: the header and the data rows, all fields as UTF-8 text. Fields live in
// one buffer, with a 32-bit end offset each (no allocation per field); reading reserves
// about the input's size for the text plus 4 bytes per comma and line end.
class CsvTable {
 public:
  const std::vector<std::string>& header() const { return header_; }
  size_t column_count() const { return header_.size(); }
  // Data rows, at least 1 in a table ReadCsv returns.
  size_t row_count() const { return lines_.size(); }
  // The unquoted value of a field; row and column are 0-based and must be in range.
  std::string_view field(size_t row, size_t column) const {
    const size_t i = row * header_.size() + column;
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(text_.data() + begin, ends_[i] - begin);
  }
  // The 1-based physical line on which the 0-based `row` starts.
  size_t line(size_t row) const { return lines_[row]; }
  // How messages name the 0-based `row`: "row 7", or "row 7 (line 9)" when it does not
  // start on line 8.
  std::string RowName(size_t row) const;

 private:
  friend class CsvReader;  // csv.cpp
  std::vector<std::string> header_;
  std::string text_;             // every data field's value, one after the other
  std::vector<uint32_t> ends_;   // field i (row-major) ends at text_[ends_[i]]
  std::vector<uint32_t> lines_;  // the line each row starts on
};

// Parses a whole CSV file held in `bytes`. Error "invalid_csv" as described above.
Result<CsvTable> ReadCsv(std::string_view bytes, const CsvLimits& limits = {});

// Builds CSV text row by row.
class CsvWriter {
 public:
  // Appends a text field, quoted if it must be.
  void AddField(std::string_view text);
  // Appends a number in its shortest round-trip form; `value` must be finite.
  void AddNumber(double value);
  // Ends the current row with LF.
  void EndRow();
  // Makes room for `bytes` bytes of text in all, so that writing up to there does not
  // reallocate.
  void Reserve(size_t bytes) { out_.reserve(bytes); }
  // The text so far (complete rows only if EndRow was the last call).
  const std::string& text() const { return out_; }
  std::string Take() && { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  size_t row_start_ = 0;   // offset in out_ of the current row
  size_t row_fields_ = 0;  // fields added to the current row
};

// The table as CSV text: the header, then every row; see "Writing" above.
std::string WriteCsv(const CsvTable& table);

}  // namespace sigmad::dataset
