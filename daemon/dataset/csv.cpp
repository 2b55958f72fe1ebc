#include "dataset/csv.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <unordered_map>

#include "dataset/values.h"

namespace sigmad::dataset {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Bytes that end a run of plain bytes inside a field, outside and inside quotes.
constexpr std::array<bool, 256> SpecialBytes(bool quoted) {
  std::array<bool, 256> special{};
  for (size_t c = 0x80; c < 256; ++c) special[c] = true;  // UTF-8 is checked
  special['\0'] = special['"'] = special['\n'] = true;
  if (!quoted) special[','] = special['\r'] = true;
  return special;
}
constexpr std::array<bool, 256> kSpecialUnquoted = SpecialBytes(false);
constexpr std::array<bool, 256> kSpecialQuoted = SpecialBytes(true);

// The length of the valid UTF-8 character at in[pos] (a byte >= 0x80), or 0 if there is
// none: no overlong forms, no surrogates, nothing above U+10FFFF.
size_t Utf8Length(std::string_view in, size_t pos) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(in[pos + i]); };
  const unsigned c = at(0);
  size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (in.size() - pos < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((at(i) & 0xC0) != 0x80) return 0;
  }
  if ((c == 0xE0 && at(1) < 0xA0) || (c == 0xED && at(1) > 0x9F) || (c == 0xF0 && at(1) < 0x90) ||
      (c == 0xF4 && at(1) > 0x8F)) {
    return 0;
  }
  return n;
}

// "row 7", or "row 7 (line 9)" when row 7 does not start on line 8.
std::string RowLabel(size_t row, size_t line) {
  std::string out = "row " + std::to_string(row);
  if (line != row + 1) out += " (line " + std::to_string(line) + ")";
  return out;
}

std::string Fields(size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); }

std::string Quoted(std::string_view name) { return "\"" + Printable(name) + "\""; }

bool NeedsQuotes(std::string_view text) {
  return HasOuterSpace(text) || text.substr(0, kBom.size()) == kBom ||
         text.find_first_of(",\"\r\n") != std::string_view::npos;
}

}  // namespace

std::string CsvTable::RowName(size_t row) const { return RowLabel(row + 1, lines_[row]); }

// One pass over the buffer. Plain runs of bytes are copied with one append each; only
// quotes, line ends, NUL and non-ASCII bytes are looked at one by one.
class CsvReader {
 public:
  CsvReader(std::string_view in, const CsvLimits& limits) : in_(in), limits_(limits) {}

  Result<CsvTable> Read() {
    const size_t max_bytes = std::min(limits_.max_bytes, kMaxCsvBytesCap);
    if (in_.size() > max_bytes) {
      return Error("the file is " + std::to_string(in_.size()) + " bytes, more than the limit of " +
                   std::to_string(max_bytes));
    }
    if (in_.substr(0, kBom.size()) == kBom) pos_ = kBom.size();
    if (pos_ == in_.size()) return Error("the file is empty");
    Reserve();
    SkipBlankLines();
    if (pos_ == in_.size()) return Error("the file holds only blank lines; it needs a header row");

    record_line_ = line_;
    size_t count = 0;
    if (!ParseRecord(/*header=*/true, &count)) return Error(fatal_);
    CsvTable& t = table_;
    t.header_.reserve(count);
    for (size_t i = 0; i < count; ++i) t.header_.emplace_back(Field(i));
    t.text_.clear();
    t.ends_.clear();
    if (!CheckHeader()) return Error();

    const size_t width = t.header_.size();
    while (true) {
      SkipBlankLines();
      if (pos_ == in_.size()) break;
      ++row_;
      record_line_ = line_;
      const size_t text_mark = t.text_.size(), ends_mark = t.ends_.size();
      if (!ParseRecord(/*header=*/false, &count)) break;
      if (count != width) {
        Problem(RowLabel(row_, record_line_) + " has " + Fields(count) + ", the header has " +
                std::to_string(width));
        t.text_.resize(text_mark);
        t.ends_.resize(ends_mark);
        continue;
      }
      t.lines_.push_back(static_cast<uint32_t>(record_line_));
    }
    if (!fatal_.empty() || problem_count_ > 0) return Error(fatal_);
    if (t.lines_.empty()) return Error("the file has a header but no data rows");
    return std::move(table_);
  }

 private:
  // Parses the record at pos_ into table_.text_/ends_ and moves past its line end. Sets
  // *count to its number of fields; false (fatal_ set) if the rest cannot be read.
  bool ParseRecord(bool header, size_t* count) {
    std::string& text = table_.text_;
    const size_t n = in_.size();
    size_t field = 0;  // 0-based index of the field being read
    while (true) {
      const size_t start = text.size();
      if (pos_ < n && in_[pos_] == '"') {
        const size_t open = pos_++;
        while (true) {
          const size_t run = pos_;
          while (pos_ < n && !kSpecialQuoted[static_cast<unsigned char>(in_[pos_])]) ++pos_;
          text.append(in_, run, pos_ - run);
          if (text.size() - start > limits_.max_field_bytes) {
            return Fail(Where(header, field) + ": the field is longer than " +
                        std::to_string(limits_.max_field_bytes) +
                        " bytes; is its closing quote missing?");
          }
          if (pos_ == n) {
            return Fail(Where(header, field) + ": the quote at offset " + std::to_string(open) +
                        " is never closed");
          }
          const char c = in_[pos_];
          if (c == '"') {
            if (pos_ + 1 < n && in_[pos_ + 1] == '"') {
              text += '"';
              pos_ += 2;
              continue;
            }
            ++pos_;
            break;
          }
          if (c == '\n') {
            text += '\n';
            ++pos_;
            ++line_;
            continue;
          }
          if (!TakeOther(header, field)) return false;
        }
        if (pos_ < n && in_[pos_] != ',' && in_[pos_] != '\n' && in_[pos_] != '\r') {
          return Fail(Where(header, field) + ": text after the closing quote at offset " +
                      std::to_string(pos_ - 1) + "; a quote inside a quoted field is written \"\"");
        }
      } else {
        while (true) {
          const size_t run = pos_;
          while (pos_ < n && !kSpecialUnquoted[static_cast<unsigned char>(in_[pos_])]) ++pos_;
          text.append(in_, run, pos_ - run);
          if (text.size() - start > limits_.max_field_bytes) {
            return Fail(Where(header, field) + ": the field is longer than " +
                        std::to_string(limits_.max_field_bytes) + " bytes");
          }
          if (pos_ == n) break;
          const char c = in_[pos_];
          if (c == ',' || c == '\n' || c == '\r') break;
          if (c == '"') {
            return Fail(Where(header, field) + ": a quote inside an unquoted field (offset " +
                        std::to_string(pos_) +
                        "); quote the whole field and write the quote as \"\"");
          }
          if (!TakeOther(header, field)) return false;
        }
      }
      table_.ends_.push_back(static_cast<uint32_t>(text.size()));
      ++field;
      if (header && field > limits_.max_columns) {
        return Fail("the header has more than " + std::to_string(limits_.max_columns) + " columns");
      }
      if (pos_ == n) break;
      const char c = in_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == '\n') {
        ++pos_;
        ++line_;
        break;
      }
      assert(c == '\r');
      if (pos_ + 1 < n && in_[pos_ + 1] == '\n') {
        pos_ += 2;
        ++line_;
        break;
      }
      return Fail(Where(header, field - 1) + ": a carriage return without a line feed (offset " +
                  std::to_string(pos_) + "); use LF or CRLF line ends");
    }
    *count = field;
    return true;
  }

  // Takes the NUL or non-ASCII byte at pos_ into the field: a valid UTF-8 character is
  // copied; anything else is fatal.
  bool TakeOther(bool header, size_t field) {
    const auto c = static_cast<unsigned char>(in_[pos_]);
    if (c == 0) {
      return Fail(Where(header, field) + ": a NUL byte (offset " + std::to_string(pos_) +
                  "); this is not a text file");
    }
    const size_t length = Utf8Length(in_, pos_);
    if (length == 0) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      return Fail(Where(header, field) + ": invalid UTF-8 (byte 0x" + kHex[c >> 4] + kHex[c & 0xf] +
                  " at offset " + std::to_string(pos_) + "); save the file as UTF-8");
    }
    table_.text_.append(in_, pos_, length);
    pos_ += length;
    return true;
  }

  // Sizes the table's buffers once, from upper bounds, so that growing them never
  // copies (a CSV of hundreds of MB would otherwise be copied a few times over).
  void Reserve() {
    const std::string_view rest = in_.substr(pos_);
    const size_t lines = static_cast<size_t>(std::count(rest.begin(), rest.end(), '\n')) + 1;
    const size_t commas = static_cast<size_t>(std::count(rest.begin(), rest.end(), ','));
    table_.text_.reserve(rest.size());
    table_.ends_.reserve(lines + commas);  // every field but the last ends at one of them
    table_.lines_.reserve(lines);
  }

  void SkipBlankLines() {
    while (pos_ < in_.size()) {
      if (in_[pos_] == '\n') {
        pos_ += 1;
      } else if (in_.substr(pos_, 2) == "\r\n") {
        pos_ += 2;
      } else {
        return;
      }
      ++line_;
    }
  }

  // Empty names, names with outer spaces, names equal up to letter case.
  bool CheckHeader() {
    const std::vector<std::string>& names = table_.header_;
    std::unordered_map<std::string, size_t> seen;  // folded name -> first column
    seen.reserve(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string& name = names[i];
      if (name.empty()) {
        Problem(Where(true, i) + ": the column has no name");
        continue;
      }
      if (HasOuterSpace(name)) {
        Problem(Where(true, i) + ": the name " + Quoted(name) +
                " has leading or trailing spaces; remove them");
        continue;
      }
      auto [it, fresh] = seen.emplace(FoldCase(name), i);
      if (fresh) continue;
      const std::string& first = names[it->second];
      const std::string column = "column " + std::to_string(it->second + 1);
      Problem(Where(true, i) + ": " + Quoted(name) +
              (first == name
                   ? " is also the name of " + column
                   : " and " + column + " " + Quoted(first) + " differ only in letter case"));
    }
    return problem_count_ == 0;
  }

  // "header, column 3" or "row 7 (line 9), column temp" or "row 7, field 6".
  std::string Where(bool header, size_t field) const {
    if (header) {
      std::string out = "header";
      if (record_line_ != 1) out += " (line " + std::to_string(record_line_) + ")";
      return out + ", column " + std::to_string(field + 1);
    }
    const auto& names = table_.header_;
    return RowLabel(row_, record_line_) + ", " +
           (field < names.size() ? "column " + Printable(names[field])
                                 : "field " + std::to_string(field + 1));
  }

  // The value of field i of the record just read (the header, while it is parsed).
  std::string_view Field(size_t i) const {
    const size_t begin = i == 0 ? 0 : table_.ends_[i - 1];
    return std::string_view(table_.text_.data() + begin, table_.ends_[i] - begin);
  }

  void Problem(std::string message) {
    if (problems_.size() < limits_.max_reported) problems_.push_back(std::move(message));
    ++problem_count_;
  }

  bool Fail(std::string message) {
    fatal_ = std::move(message);
    return false;
  }

  // The listed problems, then `last` (if any), one per line.
  Status Error(const std::string& last = {}) const {
    std::string message;
    for (const auto& p : problems_) message += p + "\n";
    if (problem_count_ > problems_.size()) {
      message += "... and " + std::to_string(problem_count_ - problems_.size()) + " more\n";
    }
    message += last;
    if (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::Error("invalid_csv", message);
  }

  const std::string_view in_;
  const CsvLimits& limits_;
  size_t pos_ = 0;
  size_t line_ = 1;         // the physical line at pos_
  size_t record_line_ = 1;  // the line the record being read starts on
  size_t row_ = 0;          // the 1-based number of the data row being read; 0: header
  CsvTable table_;
  std::vector<std::string> problems_;  // the first max_reported problems
  size_t problem_count_ = 0;
  std::string fatal_;  // the problem that stopped the reading
};

Result<CsvTable> ReadCsv(std::string_view bytes, const CsvLimits& limits) {
  return CsvReader(bytes, limits).Read();
}

void CsvWriter::Separate() {
  if (row_fields_ > 0) out_ += ',';
  ++row_fields_;
}

void CsvWriter::AddField(std::string_view text) {
  Separate();
  if (!NeedsQuotes(text)) {
    out_.append(text);
    return;
  }
  out_ += '"';
  size_t from = 0;
  for (size_t q = text.find('"'); q != std::string_view::npos; q = text.find('"', from)) {
    out_.append(text, from, q + 1 - from);
    out_ += '"';
    from = q + 1;
  }
  out_.append(text, from);
  out_ += '"';
}

void CsvWriter::AddNumber(double value) {
  Separate();
  AppendNumber(value, &out_);
}

void CsvWriter::EndRow() {
  assert(row_fields_ > 0 && "a CSV row has at least one field");
  // A lone empty field would make a blank line, which readers skip.
  if (row_fields_ == 1 && out_.size() == row_start_) out_ += "\"\"";
  out_ += '\n';
  row_start_ = out_.size();
  row_fields_ = 0;
}

std::string WriteCsv(const CsvTable& table) {
  CsvWriter writer;
  for (const auto& name : table.header()) writer.AddField(name);
  writer.EndRow();
  for (size_t r = 0; r < table.row_count(); ++r) {
    for (size_t c = 0; c < table.column_count(); ++c) writer.AddField(table.field(r, c));
    writer.EndRow();
  }
  return std::move(writer).Take();
}

}  // namespace sigmad::dataset
