#include "dataset/dataset.h"

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using sigmad::dataset::ColumnFill;
using sigmad::dataset::ColumnSpec;
using sigmad::dataset::ColumnType;
using sigmad::dataset::CsvTable;
using sigmad::dataset::Dataset;
using sigmad::dataset::DatasetOptions;
using sigmad::dataset::ExportCsv;
using sigmad::dataset::Imported;
using sigmad::dataset::MakeDataset;
using sigmad::dataset::Missing;
using sigmad::dataset::OnError;
using sigmad::dataset::ParseSchema;
using sigmad::dataset::ReadCsv;
using sigmad::dataset::Role;
using sigmad::dataset::Schema;

Schema ParsedSchema(const std::string& yaml) {
  auto r = ParseSchema(yaml, "s.yaml");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

CsvTable Csv(std::string_view text) {
  auto r = ReadCsv(text);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

Imported Make(std::string_view csv, const Schema& schema, DatasetOptions options = {}) {
  auto r = MakeDataset(Csv(csv), schema, options);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string ErrorOf(std::string_view csv, const Schema& schema, DatasetOptions options = {}) {
  auto r = MakeDataset(Csv(csv), schema, options);
  if (r.ok()) return "";
  CHECK(r.status().code() == "invalid_data");
  return r.status().message();
}

// Equal bit for bit, so -0 and 0 differ.
bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint64_t>(a[i]) != std::bit_cast<uint64_t>(b[i])) return false;
  }
  return true;
}

const Schema& Basic() {
  static const Schema schema = ParsedSchema(
      "columns:\n"
      "  - {name: temp, role: input, type: numeric, unit: degC, min: -40, max: 150}\n"
      "  - {name: grade, role: input, type: categorical, levels: [A, B, C]}\n"
      "  - {name: note, role: ignore}\n"
      "  - {name: yield, role: output, type: numeric}\n");
  return schema;
}
constexpr char kHeader[] = "temp,grade,note,yield\n";

TEST_CASE("MakeDataset types the columns the schema keeps", "[dataset][make]") {
  const Imported in = Make("yield,note,grade,temp\n1,hello,B,20.5\n2.5,,A,-3\n", Basic());
  const Dataset& d = in.dataset;
  REQUIRE(d.schema.columns.size() == 3);  // the ignored column is not stored
  CHECK(d.schema.columns[0] == Basic().columns[0]);
  CHECK(d.schema.columns[1] == Basic().columns[1]);
  CHECK(d.schema.columns[2] == Basic().columns[3]);
  CHECK(d.row_count() == 2);
  CHECK(d.columns == std::vector<std::vector<double>>{{20.5, -3}, {1, 0}, {1, 2.5}});
  CHECK(in.report.rows_read == 2);
  CHECK(in.report.rows_kept == 2);
  CHECK(in.report.problem_count == 0);
  CHECK(in.report.ToString() == "read 2 rows, kept 2");
}

TEST_CASE("MakeDataset refuses each bad value with an exact message", "[dataset][make]") {
  struct Case {
    std::string row;
    std::string error;
  };
  const Case cases[] = {
      {"abc,A,,1", "row 1, column temp: value \"abc\": not a number"},
      {"\" 1\",A,,1", "row 1, column temp: value \" 1\": leading or trailing spaces"},
      {"\"1 \",A,,1", "row 1, column temp: value \"1 \": leading or trailing spaces"},
      {"\"1,5\",A,,1",
       "row 1, column temp: value \"1,5\": not a number (the decimal separator is '.')"},
      {"0x10,A,,1", "row 1, column temp: value \"0x10\": not a number"},
      {"1e999,A,,1", "row 1, column temp: value \"1e999\": out of range"},
      {"NaN,A,,1", "row 1, column temp: value \"NaN\": not a finite number"},
      {"nan,A,,1", "row 1, column temp: value \"nan\": not a finite number"},
      {"Inf,A,,1", "row 1, column temp: value \"Inf\": not a finite number"},
      {"-inf,A,,1", "row 1, column temp: value \"-inf\": not a finite number"},
      {"infinity,A,,1", "row 1, column temp: value \"infinity\": not a finite number"},
      {"200,A,,1", "row 1, column temp: value \"200\": above the maximum 150 degC"},
      {"-40.5,A,,1", "row 1, column temp: value \"-40.5\": below the minimum -40 degC"},
      {",A,,1", "row 1, column temp: value \"\": missing (the column's rule is missing: reject)"},
      {"1,A,,NA", "row 1, column yield: value \"NA\": not a number"},
      {"1,D,,1", "row 1, column grade: value \"D\": not one of the levels \"A\", \"B\", \"C\""},
      {"1,a,,1",
       "row 1, column grade: value \"a\": not one of the levels \"A\", \"B\", \"C\"; did you "
       "mean \"A\"?"},
      {"1,\" B\",,1",
       "row 1, column grade: value \" B\": not one of the levels \"A\", \"B\", \"C\"; did you "
       "mean \"B\"?"},
      {"\"x\ty\",A,,1", "row 1, column temp: value \"x\\ty\": not a number"},
      {"\"x\ny\",A,,1", "row 1, column temp: value \"x\\ny\": not a number"},
      {std::string(100, '9') + "x,A,,1",
       "row 1, column temp: value \"" + std::string(64, '9') + "... (101 bytes)\": not a number"},
      {"x,D,,",
       "row 1, column temp: value \"x\": not a number\n"
       "row 1, column grade: value \"D\": not one of the levels \"A\", \"B\", \"C\"\n"
       "row 1, column yield: value \"\": missing (the column's rule is missing: reject)"},
  };
  for (const auto& c : cases) {
    INFO(c.row);
    CHECK(ErrorOf(kHeader + c.row + "\n", Basic()) == c.error);
  }
}

TEST_CASE("MakeDataset: an ignored column may hold anything", "[dataset][make]") {
  const Imported in = Make(std::string(kHeader) + "1,A,\"NaN, 0x10\nmore\",1\n", Basic());
  CHECK(in.dataset.row_count() == 1);
}

TEST_CASE("MakeDataset names a row by its line when they differ", "[dataset][make]") {
  CHECK(ErrorOf(std::string(kHeader) + "1,A,\"two\nlines\",1\n\nx,A,,1\n", Basic()) ==
        "row 2 (line 5), column temp: value \"x\": not a number");
}

TEST_CASE("MakeDataset lists problems up to the limit", "[dataset][make]") {
  std::string csv = kHeader;
  for (int i = 0; i < 5; ++i) csv += "x" + std::to_string(i) + ",A,,1\n";
  csv += "1,A,,1\n";
  DatasetOptions options;
  options.max_reported = 3;
  CHECK(ErrorOf(csv, Basic(), options) ==
        "row 1, column temp: value \"x0\": not a number\n"
        "row 2, column temp: value \"x1\": not a number\n"
        "row 3, column temp: value \"x2\": not a number\n"
        "... and 2 more");
  options.on_error = OnError::kSkip;
  const Imported in = Make(csv, Basic(), options);
  CHECK(in.report.rows_skipped == 5);
  CHECK(in.report.problem_count == 5);
  CHECK(in.report.problems.size() == 3);
  CHECK(in.report.ToString() ==
        "read 6 rows, kept 1\n"
        "skipped 5 rows with problems:\n"
        "  row 1, column temp: value \"x0\": not a number\n"
        "  row 2, column temp: value \"x1\": not a number\n"
        "  row 3, column temp: value \"x2\": not a number\n"
        "  ... and 2 more");
}

TEST_CASE("MakeDataset: a categorical column with many levels", "[dataset][make]") {
  const Schema s = ParsedSchema(
      "columns:\n"
      "  - {name: x, role: input, type: categorical, levels: [a,b,c,d,e,f,g,h,i,j,k]}\n"
      "  - {name: y, role: output, type: numeric}\n");
  CHECK(ErrorOf("x,y\nz,1\n", s) ==
        "row 1, column x: value \"z\": not one of the column's 11 levels");
  CHECK(ErrorOf("x,y\nK,1\n", s) ==
        "row 1, column x: value \"K\": not one of the column's 11 levels; did you mean \"k\"?");
  CHECK(Make("x,y\nk,1\na,2\n", s).dataset.columns[0] == std::vector<double>{10, 0});
}

TEST_CASE("MakeDataset binds schema and CSV columns by exact name", "[dataset][make]") {
  CHECK(ErrorOf("temp,grade,yield\n1,A,1\n", Basic()) ==
        "schema column \"note\" is not in the CSV");
  CHECK(ErrorOf("Temp,grade,note,yield\n1,A,,1\n", Basic()) ==
        "schema column \"temp\" is not in the CSV (the CSV has \"Temp\")\n"
        "CSV column \"Temp\" is not in the schema; add it with role: ignore to leave it out");
  CHECK(ErrorOf("temp,grade,note,yield,extra,more\n1,A,,1,2,3\n", Basic()) ==
        "CSV column \"extra\" is not in the schema; add it with role: ignore to leave it out\n"
        "CSV column \"more\" is not in the schema; add it with role: ignore to leave it out");
  // Binding problems fail even under on_error skip.
  DatasetOptions skip;
  skip.on_error = OnError::kSkip;
  CHECK(ErrorOf("temp,grade,yield\n1,A,1\n", Basic(), skip) ==
        "schema column \"note\" is not in the CSV");
}

TEST_CASE("MakeDataset with on_error skip keeps the good rows and reports the rest",
          "[dataset][make]") {
  DatasetOptions skip;
  skip.on_error = OnError::kSkip;
  const std::string csv = std::string(kHeader) +
                          "20,A,,1\n"
                          "x,A,,2\n"
                          "30,Z,,3\n"
                          "40,B,,4\n"
                          "500,C,,5\n";
  CHECK(ErrorOf(csv, Basic()) ==
        "row 2, column temp: value \"x\": not a number\n"
        "row 3, column grade: value \"Z\": not one of the levels \"A\", \"B\", \"C\"\n"
        "row 5, column temp: value \"500\": above the maximum 150 degC");
  const Imported in = Make(csv, Basic(), skip);
  CHECK(in.dataset.columns == std::vector<std::vector<double>>{{20, 40}, {0, 1}, {1, 4}});
  CHECK(in.report.rows_read == 5);
  CHECK(in.report.rows_kept == 2);
  CHECK(in.report.rows_skipped == 3);
  CHECK(in.report.rows_dropped == 0);
  CHECK(in.report.ToString() ==
        "read 5 rows, kept 2\n"
        "skipped 3 rows with problems:\n"
        "  row 2, column temp: value \"x\": not a number\n"
        "  row 3, column grade: value \"Z\": not one of the levels \"A\", \"B\", \"C\"\n"
        "  row 5, column temp: value \"500\": above the maximum 150 degC");
}

const Schema& WithMissing() {
  static const Schema schema = ParsedSchema(
      "columns:\n"
      "  - {name: a, role: input, type: numeric, missing: mean}\n"
      "  - {name: b, role: input, type: numeric, missing: median}\n"
      "  - {name: c, role: input, type: categorical, levels: [x, y], missing: drop}\n"
      "  - {name: y, role: output, type: numeric}\n");
  return schema;
}

TEST_CASE("MakeDataset fills or drops missing values by the column's rule", "[dataset][make]") {
  // Rows 3 and 5 are dropped and row 6 skipped: their values count towards no fill, and
  // their missing cells are not filled into another row.
  const std::string csv =
      "a,b,c,y\n"
      "1,10,x,1\n"
      ",20,y,2\n"
      ",,,9\n"
      "3,,x,3\n"
      "100,1000,,4\n"
      "500,5000,x,\n"
      "8,40,y,7\n";
  CHECK(ErrorOf(csv, WithMissing()) ==
        "row 6, column y: value \"\": missing (the column's rule is missing: reject)");
  DatasetOptions skip;
  skip.on_error = OnError::kSkip;
  const Imported in = Make(csv, WithMissing(), skip);
  CHECK(in.dataset.columns == std::vector<std::vector<double>>{
                                  {1, 4, 3, 8}, {10, 20, 20, 40}, {0, 1, 0, 1}, {1, 2, 3, 7}});
  CHECK(in.report.rows_dropped == 2);
  CHECK(in.report.rows_skipped == 1);
  CHECK(in.report.filled ==
        std::vector<ColumnFill>{{"a", Missing::kMean, 1, 4.0}, {"b", Missing::kMedian, 1, 20.0}});
  CHECK(in.report.ToString() ==
        "read 7 rows, kept 4\n"
        "skipped 1 row with problems:\n"
        "  row 6, column y: value \"\": missing (the column's rule is missing: reject)\n"
        "dropped 2 rows with a missing value (missing: drop)\n"
        "column a: filled 1 missing value with the mean 4\n"
        "column b: filled 1 missing value with the median 20");
}

TEST_CASE("MakeDataset: mean and median values", "[dataset][make]") {
  struct Case {
    const char* name;
    std::string a_values;  // one per row, "" missing
    std::vector<double> a, b;
  };
  // b is the median column, a the mean column; each row gives both the same value.
  const Case cases[] = {
      {"odd count", "1,,2,9", {1, 4, 2, 9}, {1, 2, 2, 9}},
      {"even count", "1,4,,2,9", {1, 4, 4, 2, 9}, {1, 4, 3, 2, 9}},
      {"equal values stay exact", "0.1,,0.1,0.1", {0.1, 0.1, 0.1, 0.1}, {0.1, 0.1, 0.1, 0.1}},
      {"huge values do not overflow",
       "1.7e308,1.7e308,",
       {1.7e308, 1.7e308, 1.7e308},
       {1.7e308, 1.7e308, 1.7e308}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    std::string csv = "a,b,c,y\n";
    std::string_view values = c.a_values;
    while (true) {
      const size_t comma = values.find(',');
      const std::string v(values.substr(0, comma));
      csv += v + "," + v + ",x,1\n";
      if (comma == std::string_view::npos) break;
      values.remove_prefix(comma + 1);
    }
    const Imported in = Make(csv, WithMissing());
    CHECK(in.dataset.columns[0] == c.a);
    CHECK(in.dataset.columns[1] == c.b);
  }
}

TEST_CASE("MakeDataset fails when nothing is left or nothing can fill", "[dataset][make]") {
  DatasetOptions skip;
  skip.on_error = OnError::kSkip;
  CHECK(ErrorOf("a,b,c,y\n1,1,x,\n2,2,x,\n", WithMissing(), skip) ==
        "no row is left to import: 2 rows with problems, 0 dropped for missing values\n"
        "row 1, column y: value \"\": missing (the column's rule is missing: reject)\n"
        "row 2, column y: value \"\": missing (the column's rule is missing: reject)");
  CHECK(ErrorOf("a,b,c,y\n1,1,,1\n2,2,,2\n", WithMissing()) ==
        "no row is left to import: 0 rows with problems, 2 dropped for missing values");
  CHECK(ErrorOf("a,b,c,y\n,1,x,1\n,2,x,2\n", WithMissing()) ==
        "column a: every kept row is missing a value, so there is no mean to fill them with");
  // The only value of b is in a dropped row.
  CHECK(ErrorOf("a,b,c,y\n1,,x,1\n2,5,,2\n", WithMissing()) ==
        "column b: every kept row is missing a value, so there is no median to fill them with");
}

TEST_CASE("ExportCsv writes the values back, byte-stable on a round trip", "[dataset][export]") {
  const Schema schema = ParsedSchema(
      "columns:\n"
      "  - {name: 'x, y', role: input, type: numeric}\n"
      "  - name: label\n"
      "    role: input\n"
      "    type: categorical\n"
      "    levels: ['a,b', 'say \"hi\"', \"line\\nbreak\", ' pad ', plain]\n"
      "  - {name: out, role: output, type: numeric}\n");
  const std::string csv =
      "\xEF\xBB\xBF"
      "\"x, y\",label,out\r\n"
      "1e-300,\"a,b\",0.10\r\n"
      "-0,\"say \"\"hi\"\"\",123456789012345678\r\n"
      "+2.50,\"line\nbreak\",-1E+3\r\n"
      "0.1,\" pad \",1.7976931348623157e308\r\n"
      "4.9e-324,plain,00\r\n";
  const Dataset first = Make(csv, schema).dataset;
  const std::string exported = ExportCsv(first);
  CHECK(exported ==
        "\"x, y\",label,out\n"
        "1e-300,\"a,b\",0.1\n"
        "-0,\"say \"\"hi\"\"\",123456789012345680\n"
        "2.5,\"line\nbreak\",-1000\n"
        "0.1,\" pad \",1.7976931348623157e+308\n"
        "5e-324,plain,0\n");
  const Dataset second = Make(exported, first.schema).dataset;
  CHECK(second == first);
  for (size_t c = 0; c < first.columns.size(); ++c)
    CHECK(SameBits(second.columns[c], first.columns[c]));
  CHECK(ExportCsv(second) == exported);
}

// Random datasets of awkward values: export, import under the dataset's own schema, and
// export again; the values come back bit for bit and the bytes are the same.
TEST_CASE("ExportCsv/MakeDataset round trip on random datasets", "[dataset][export]") {
  std::mt19937_64 random(20240502);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
  const std::vector<std::string> pieces = {"a", "B",        ",", "\"", "\n",  "\r\n",
                                           " ", "\xC3\xA9", "1", "-0", "NaN", "x y"};
  const double nice[] = {
      0.0,  -0.0, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 123456789012345678.0,
      1e21, 3.0};
  for (int round = 0; round < 200; ++round) {
    INFO("round " << round);
    Dataset d;
    const size_t columns = 2 + pick(5), rows = 1 + pick(30);
    for (size_t c = 0; c < columns; ++c) {
      ColumnSpec spec;
      spec.name = "col " + std::to_string(c);
      spec.role = c == 0 ? Role::kOutput : Role::kInput;
      std::vector<double> values;
      if (pick(3) == 0) {
        spec.type = ColumnType::kCategorical;
        const size_t levels = 1 + pick(6);
        for (size_t l = 0; l < levels; ++l) {
          std::string level = std::to_string(l);  // distinct
          for (size_t k = pick(4); k > 0; --k) level += pieces[pick(pieces.size())];
          spec.levels.push_back(level);
        }
        for (size_t r = 0; r < rows; ++r) values.push_back(static_cast<double>(pick(levels)));
      } else {
        for (size_t r = 0; r < rows; ++r) {
          double v = nice[pick(std::size(nice))];
          if (pick(2)) {
            do v = std::bit_cast<double>(random());
            while (!std::isfinite(v));
          }
          values.push_back(v);
        }
      }
      d.schema.columns.push_back(spec);
      d.columns.push_back(std::move(values));
    }
    const std::string exported = ExportCsv(d);
    const Dataset back = Make(exported, d.schema).dataset;
    REQUIRE(back.schema == d.schema);
    for (size_t c = 0; c < columns; ++c) REQUIRE(SameBits(back.columns[c], d.columns[c]));
    REQUIRE(ExportCsv(back) == exported);
  }
}

}  // namespace
