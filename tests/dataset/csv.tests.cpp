#include "dataset/csv.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

using sigmad::dataset::CsvLimits;
using sigmad::dataset::CsvTable;
using sigmad::dataset::CsvWriter;
using sigmad::dataset::ReadCsv;
using sigmad::dataset::WriteCsv;

using Rows = std::vector<std::vector<std::string>>;

Rows AllRows(const CsvTable& t) {
  Rows rows;
  for (size_t r = 0; r < t.row_count(); ++r) {
    rows.emplace_back();
    for (size_t c = 0; c < t.column_count(); ++c) rows.back().emplace_back(t.field(r, c));
  }
  return rows;
}

CsvTable Read(std::string_view text) {
  auto r = ReadCsv(text);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// The error ReadCsv gives for `text` ("" if it reads).
std::string ErrorOf(std::string_view text, const CsvLimits& limits = {}) {
  auto r = ReadCsv(text, limits);
  if (r.ok()) return "";
  CHECK(r.status().code() == "invalid_csv");
  return r.status().message();
}

TEST_CASE("ReadCsv reads RFC 4180 CSV", "[dataset][csv]") {
  struct Case {
    const char* name;
    std::string text;
    std::vector<std::string> header;
    Rows rows;
  };
  const Case cases[] = {
      {"LF", "a,b\n1,2\n3,4\n", {"a", "b"}, {{"1", "2"}, {"3", "4"}}},
      {"CRLF", "a,b\r\n1,2\r\n3,4\r\n", {"a", "b"}, {{"1", "2"}, {"3", "4"}}},
      {"mixed line ends", "a,b\r\n1,2\n3,4\r\n", {"a", "b"}, {{"1", "2"}, {"3", "4"}}},
      {"no final line end", "a,b\n1,2\n3,4", {"a", "b"}, {{"1", "2"}, {"3", "4"}}},
      {"no final CRLF", "a,b\r\n1,2", {"a", "b"}, {{"1", "2"}}},
      {"BOM",
       "\xEF\xBB\xBF"
       "a,b\n1,2\n",
       {"a", "b"},
       {{"1", "2"}}},
      {"quoted comma", "a,b\n\"1,5\",2\n", {"a", "b"}, {{"1,5", "2"}}},
      {"doubled quotes", "a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n", {"a", "b"}, {{"say \"hi\"", "\""}}},
      {"LF inside quotes", "a,b\n\"x\ny\",2\n", {"a", "b"}, {{"x\ny", "2"}}},
      {"CRLF inside quotes kept", "a,b\r\n\"x\r\ny\",2\r\n", {"a", "b"}, {{"x\r\ny", "2"}}},
      {"CR inside quotes kept", "a,b\n\"x\ry\",2\n", {"a", "b"}, {{"x\ry", "2"}}},
      {"quoted header", "\"a,1\",\"b\"\"\"\n1,2\n", {"a,1", "b\""}, {{"1", "2"}}},
      {"empty fields", "a,b,c\n,,\n1,,\n", {"a", "b", "c"}, {{"", "", ""}, {"1", "", ""}}},
      {"empty quoted field", "a,b\n\"\",2\n", {"a", "b"}, {{"", "2"}}},
      {"spaces are kept", "a,b\n 1 ,\" 2\"\n", {"a", "b"}, {{" 1 ", " 2"}}},
      {"blank lines skipped",
       "\na,b\n\n1,2\r\n\r\n3,4\n\n\n",
       {"a", "b"},
       {{"1", "2"}, {"3", "4"}}},
      {"one column", "a\n1\n\"\"\n2\n", {"a"}, {{"1"}, {""}, {"2"}}},
      {"UTF-8",
       "na\xC3\xAFve,\xE2\x82\xAC\n\xF0\x9F\x98\x80,x\n",
       {"na\xC3\xAFve", "\xE2\x82\xAC"},
       {{"\xF0\x9F\x98\x80", "x"}}},
      {"quoted last field at EOF", "a,b\n1,\"2\"", {"a", "b"}, {{"1", "2"}}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const CsvTable t = Read(c.text);
    CHECK(t.header() == c.header);
    CHECK(AllRows(t) == c.rows);
  }
}

TEST_CASE("ReadCsv numbers rows as users count them, with the line when it differs",
          "[dataset][csv]") {
  const CsvTable t = Read("a,b\n1,2\n\"x\ny\",3\n4,5\n\n6,7\n");
  REQUIRE(t.row_count() == 4);
  CHECK(t.RowName(0) == "row 1");
  CHECK(t.line(0) == 2);
  CHECK(t.RowName(1) == "row 2");
  CHECK(t.RowName(2) == "row 3 (line 5)");
  CHECK(t.RowName(3) == "row 4 (line 7)");
  CHECK(t.line(3) == 7);
}

TEST_CASE("ReadCsv refuses malformed CSV with an exact message", "[dataset][csv]") {
  struct Case {
    const char* name;
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"empty file", "", "the file is empty"},
      {"only a BOM", "\xEF\xBB\xBF", "the file is empty"},
      {"blank lines", "\n\r\n\n", "the file holds only blank lines; it needs a header row"},
      {"header only", "a,b\n", "the file has a header but no data rows"},
      {"header only, no line end", "a,b", "the file has a header but no data rows"},
      {"header and blank lines", "a,b\r\n\r\n\n", "the file has a header but no data rows"},
      {"duplicate header", "a,b,a\n1,2,3\n",
       "header, column 3: \"a\" is also the name of column 1"},
      {"header differing in case", "Temp,temp\n1,2\n",
       "header, column 2: \"temp\" and column 1 \"Temp\" differ only in letter case"},
      {"empty header name", "a,,b\n1,2,3\n", "header, column 2: the column has no name"},
      {"empty quoted header name", "a,\"\"\n1,2\n", "header, column 2: the column has no name"},
      {"header name with spaces", "a, b\n1,2\n",
       "header, column 2: the name \" b\" has leading or trailing spaces; remove them"},
      {"every header problem", "\n\nx,,x, y\n1,2,3,4\n",
       "header (line 3), column 2: the column has no name\n"
       "header (line 3), column 3: \"x\" is also the name of column 1\n"
       "header (line 3), column 4: the name \" y\" has leading or trailing spaces; remove them"},
      {"ragged rows", "a,b,c\n1,2,3\n1,2\n1,2,3,4\n4,5,6\n",
       "row 2 has 2 fields, the header has 3\nrow 3 has 4 fields, the header has 3"},
      {"ragged row after a multi-line field", "a,b\n\"x\ny\",1\n1\n",
       "row 2 (line 4) has 1 field, the header has 2"},
      {"trailing comma", "a,b\n1,2,\n", "row 1 has 3 fields, the header has 2"},
      {"unterminated quote", "a,b\n1,\"abc\n2,3\n",
       "row 1, column b: the quote at offset 6 is never closed"},
      {"unterminated quote past the header", "a\n1,\"x\n",
       "row 1, field 2: the quote at offset 4 is never closed"},
      {"quote inside an unquoted field", "a,b\n1,ab\"c\n",
       "row 1, column b: a quote inside an unquoted field (offset 8); quote the whole field and "
       "write the quote as \"\""},
      {"quote after a leading space", "a,b\n1, \"c\"\n",
       "row 1, column b: a quote inside an unquoted field (offset 7); quote the whole field and "
       "write the quote as \"\""},
      {"text after a closing quote", "a,b\n1,\"ab\"c\n",
       "row 1, column b: text after the closing quote at offset 9; a quote inside a quoted field "
       "is written \"\""},
      {"space after a closing quote", "a,b\n\"1\" ,2\n",
       "row 1, column a: text after the closing quote at offset 6; a quote inside a quoted field "
       "is written \"\""},
      {"Latin-1 byte", "a,b\n1,caf\xE9\n",
       "row 1, column b: invalid UTF-8 (byte 0xE9 at offset 9); save the file as UTF-8"},
      {"Latin-1 in the header", "caf\xE9\n1\n",
       "header, column 1: invalid UTF-8 (byte 0xE9 at offset 3); save the file as UTF-8"},
      {"invalid UTF-8 in quotes", "a\n\"\xFF\"\n",
       "row 1, column a: invalid UTF-8 (byte 0xFF at offset 3); save the file as UTF-8"},
      {"overlong UTF-8", "a\nx\xC0\xAF\n",
       "row 1, column a: invalid UTF-8 (byte 0xC0 at offset 3); save the file as UTF-8"},
      {"overlong 3-byte UTF-8", "a\n\xE0\x80\xAF\n",
       "row 1, column a: invalid UTF-8 (byte 0xE0 at offset 2); save the file as UTF-8"},
      {"UTF-16 surrogate", "a\n\xED\xA0\x80\n",
       "row 1, column a: invalid UTF-8 (byte 0xED at offset 2); save the file as UTF-8"},
      {"beyond U+10FFFF", "a\n\xF4\x90\x80\x80\n",
       "row 1, column a: invalid UTF-8 (byte 0xF4 at offset 2); save the file as UTF-8"},
      {"cut UTF-8 at the end", "a\nx\xE2\x82",
       "row 1, column a: invalid UTF-8 (byte 0xE2 at offset 3); save the file as UTF-8"},
      {"a lone continuation byte", "a\n\x80\n",
       "row 1, column a: invalid UTF-8 (byte 0x80 at offset 2); save the file as UTF-8"},
      {"NUL byte", std::string("a,b\n1,x\0y\n", 10),
       "row 1, column b: a NUL byte (offset 7); this is not a text file"},
      {"NUL byte in quotes", std::string("a\n\"\0\"\n", 6),
       "row 1, column a: a NUL byte (offset 3); this is not a text file"},
      {"UTF-16 file",
       std::string("\xFF\xFE"
                   "a\0,\0b\0",
                   8),
       "header, column 1: invalid UTF-8 (byte 0xFF at offset 0); save the file as UTF-8"},
      {"old Mac line ends", "a,b\r1,2\r",
       "header, column 2: a carriage return without a line feed (offset 3); use LF or CRLF line "
       "ends"},
      {"CR in a data row", "a,b\n1,2\r3,4\n",
       "row 1, column b: a carriage return without a line feed (offset 7); use LF or CRLF line "
       "ends"},
      {"ragged rows, then a fatal error", "a,b\n1\n2\n\"x\n",
       "row 1 has 1 field, the header has 2\nrow 2 has 1 field, the header has 2\n"
       "row 3, column a: the quote at offset 8 is never closed"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(ErrorOf(c.text) == c.error);
  }
}

TEST_CASE("ReadCsv enforces its limits", "[dataset][csv]") {
  CsvLimits limits;
  SECTION("bytes") {
    limits.max_bytes = 10;
    CHECK(ErrorOf("a,b\n1,2\n3,4\n", limits) == "the file is 12 bytes, more than the limit of 10");
    CHECK(ErrorOf("a,b\n1,2\n3\n", limits) == "row 2 has 1 field, the header has 2");
  }
  SECTION("columns") {
    limits.max_columns = 3;
    CHECK(ErrorOf("a,b,c,d\n1,2,3,4\n", limits) == "the header has more than 3 columns");
    CHECK(ErrorOf("a,b,c\n1,2,3\n", limits).empty());
  }
  SECTION("the default column limit is 4096") {
    std::string header = "c0";
    for (int i = 1; i < 4097; ++i) header += ",c" + std::to_string(i);
    CHECK(ErrorOf(header + "\n") == "the header has more than 4096 columns");
  }
  SECTION("field bytes") {
    limits.max_field_bytes = 4;
    CHECK(ErrorOf("a\n1234\n", limits).empty());
    CHECK(ErrorOf("a\n\"12\"\"4\"\n", limits).empty());  // counted after unquoting
    CHECK(ErrorOf("a\n12345\n", limits) == "row 1, column a: the field is longer than 4 bytes");
    CHECK(ErrorOf("a\n1\n\"12345\n", limits) ==
          "row 2, column a: the field is longer than 4 bytes; is its closing quote missing?");
    CHECK(ErrorOf("abcde\n1\n", limits) == "header, column 1: the field is longer than 4 bytes");
  }
  SECTION("ragged rows listed") {
    limits.max_reported = 2;
    CHECK(ErrorOf("a,b\n1\n2\n3\n4,5\n6\n7\n", limits) ==
          "row 1 has 1 field, the header has 2\nrow 2 has 1 field, the header has 2\n"
          "... and 3 more");
  }
}

TEST_CASE("CsvWriter quotes only when it must", "[dataset][csv]") {
  struct Case {
    std::string field;
    std::string written;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"\"", "\"\"\"\""},
      {"line\nbreak", "\"line\nbreak\""},
      {"cr\r", "\"cr\r\""},
      {" lead", "\" lead\""},
      {"trail ", "\"trail \""},
      {"\ttab", "\"\ttab\""},
      {"in side", "in side"},
      {"\xEF\xBB\xBF"
       "bom",
       "\"\xEF\xBB\xBF"
       "bom\""},
      {"caf\xC3\xA9", "caf\xC3\xA9"},
  };
  for (const auto& c : cases) {
    INFO(c.field);
    CsvWriter w;
    w.AddField("x");
    w.AddField(c.field);
    w.EndRow();
    CHECK(w.text() == "x," + c.written + "\n");
  }
  CsvWriter lone;
  lone.AddField("");
  lone.EndRow();
  lone.AddField("a");
  lone.EndRow();
  CHECK(lone.text() == "\"\"\na\n");  // a lone empty field is not a blank line
}

TEST_CASE("CsvWriter writes numbers in their shortest round-trip form", "[dataset][csv]") {
  CsvWriter w;
  for (double v : {1e-300, 0.1, -0.0, 123456789012345678.0, 1e21, 2.0}) w.AddNumber(v);
  w.EndRow();
  CHECK(w.text() == "1e-300,0.1,-0,123456789012345680,1e+21,2\n");
}

TEST_CASE("WriteCsv and ReadCsv round-trip tricky fields byte for byte", "[dataset][csv]") {
  const std::string original =
      "\xEF\xBB\xBF"
      "name,\"a,b\",\"q\"\"\"\r\n"
      "\"x,y\",\"line\r\nbreak\",\" space \"\r\n"
      ",\"\",\"\"\"\"\r\n"
      "1e-300,0.1,-0\r\n"
      "123456789012345678,\"multi\n\nline\",caf\xC3\xA9";
  const CsvTable first = Read(original);
  const std::string written = WriteCsv(first);
  CHECK(written ==
        "name,\"a,b\",\"q\"\"\"\n"
        "\"x,y\",\"line\r\nbreak\",\" space \"\n"
        ",,\"\"\"\"\n"
        "1e-300,0.1,-0\n"
        "123456789012345678,\"multi\n\nline\",caf\xC3\xA9\n");
  const CsvTable second = Read(written);
  CHECK(second.header() == first.header());
  CHECK(AllRows(second) == AllRows(first));
  CHECK(WriteCsv(second) == written);
}

// Random tables of awkward fields survive WriteCsv -> ReadCsv unchanged, and writing
// again gives the same bytes.
TEST_CASE("WriteCsv/ReadCsv round trip on random tables", "[dataset][csv]") {
  std::mt19937 random(4180);
  const std::vector<std::string> pieces = {"a",
                                           "Z",
                                           "0",
                                           "1.5",
                                           ",",
                                           "\"",
                                           "\"\"",
                                           "\r",
                                           "\n",
                                           "\r\n",
                                           " ",
                                           "\t",
                                           "\xC3\xA9",
                                           "\xF0\x9F\x98\x80",
                                           "\xEF\xBB\xBF",
                                           "x y",
                                           "-0",
                                           "1e-300",
                                           "NaN",
                                           "''"};
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
  for (int round = 0; round < 300; ++round) {
    INFO("round " << round);
    const size_t columns = 1 + pick(6), rows = 1 + pick(20);
    CsvWriter w;
    std::vector<std::string> header;
    for (size_t c = 0; c < columns; ++c) {
      header.push_back("c" + std::to_string(c) + (pick(2) ? pieces[pick(pieces.size())] : "") +
                       "z");
      w.AddField(header.back());
    }
    w.EndRow();
    Rows expected;
    for (size_t r = 0; r < rows; ++r) {
      expected.emplace_back();
      for (size_t c = 0; c < columns; ++c) {
        std::string field;
        for (size_t k = pick(5); k > 0; --k) field += pieces[pick(pieces.size())];
        w.AddField(field);
        expected.back().push_back(field);
      }
      w.EndRow();
    }
    const std::string text = std::move(w).Take();
    const CsvTable t = Read(text);
    REQUIRE(t.header() == header);
    REQUIRE(AllRows(t) == expected);
    REQUIRE(WriteCsv(t) == text);
  }
}

}  // namespace
