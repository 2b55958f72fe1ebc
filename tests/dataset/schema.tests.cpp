#include "dataset/schema.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using sigmad::dataset::ColumnSpec;
using sigmad::dataset::ColumnType;
using sigmad::dataset::CsvTable;
using sigmad::dataset::InferSchema;
using sigmad::dataset::Missing;
using sigmad::dataset::ParseSchema;
using sigmad::dataset::ReadCsv;
using sigmad::dataset::Role;
using sigmad::dataset::Schema;
using sigmad::dataset::SchemaToYaml;

Schema Parse(const std::string& yaml) {
  auto r = ParseSchema(yaml, "s.yaml");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string ErrorOf(const std::string& yaml) {
  auto r = ParseSchema(yaml, "s.yaml");
  if (r.ok()) return "";
  CHECK(r.status().code() == "invalid_schema");
  return r.status().message();
}

CsvTable Csv(std::string_view text) {
  auto r = ReadCsv(text);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

ColumnSpec Spec(std::string name, Role role, ColumnType type = ColumnType::kNumeric) {
  ColumnSpec c;
  c.name = std::move(name);
  c.role = role;
  c.type = type;
  return c;
}

const std::string kFull =
    "columns:\n"
    "  - name: temp\n"
    "    role: input\n"
    "    type: numeric\n"
    "    unit: degC\n"
    "    min: -40\n"
    "    max: 1.5e2\n"
    "    missing: mean\n"
    "  - name: grade\n"
    "    role: output\n"
    "    type: categorical\n"
    "    levels: [A, \"b c\", 3]\n"
    "    missing: drop\n"
    "  - name: note\n"
    "    role: ignore\n"
    "  - {name: yield, role: output, type: numeric, missing: median}\n";

TEST_CASE("ParseSchema reads every key", "[dataset][schema]") {
  const Schema s = Parse(kFull);
  REQUIRE(s.columns.size() == 4);
  ColumnSpec temp = Spec("temp", Role::kInput);
  temp.unit = "degC";
  temp.min = -40;
  temp.max = 150;
  temp.missing = Missing::kMean;
  CHECK(s.columns[0] == temp);
  ColumnSpec grade = Spec("grade", Role::kOutput, ColumnType::kCategorical);
  grade.levels = {"A", "b c", "3"};
  grade.missing = Missing::kDrop;
  CHECK(s.columns[1] == grade);
  CHECK(s.columns[2] == Spec("note", Role::kIgnore));
  ColumnSpec yield = Spec("yield", Role::kOutput);
  yield.missing = Missing::kMedian;
  CHECK(s.columns[3] == yield);
}

TEST_CASE("ParseSchema reports every problem as FILE:LINE:COL", "[dataset][schema]") {
  struct Case {
    const char* name;
    std::string yaml;
    std::string error;
  };
  const std::string io =
      "  - {name: x, role: input, type: numeric}\n"
      "  - {name: y, role: output, type: numeric}\n";
  const Case cases[] = {
      {"empty", "", "s.yaml:1:1: the schema is empty; it needs a 'columns' list"},
      {"comment only", "# nothing\n", "s.yaml:1:1: the schema is empty; it needs a 'columns' list"},
      {"a list", "- a\n",
       "s.yaml:1:1: the schema must be a mapping with a 'columns' list, got a list"},
      {"invalid YAML", "columns: [\n", "s.yaml:2:1: invalid YAML: end of sequence flow not found"},
      {"two documents", "columns: []\n---\ncolumns: []\n",
       "s.yaml:3:1: a schema file holds one YAML document; found 2"},
      {"unknown top-level key", "colums:\n" + io,
       "s.yaml:1:1: unknown key 'colums' (the only top-level key is 'columns')\n"
       "s.yaml:1:1: 'columns' is missing"},
      {"columns not a list", "columns: 3\n",
       "s.yaml:1:10: 'columns' must be a non-empty list of columns, got '3'"},
      {"columns empty", "columns: []\n",
       "s.yaml:1:10: 'columns' must be a non-empty list of columns, got an empty list"},
      {"columns null", "columns:\n",
       "s.yaml:1:1: 'columns' must be a non-empty list of columns, got nothing (null)"},
      {"duplicate columns key", "columns:\n" + io + "columns: []\n",
       "s.yaml:4:1: duplicate key 'columns'"},
      {"column not a mapping", "columns:\n  - x\n" + io,
       "s.yaml:2:5: columns[0] must be a mapping, got 'x'"},
      {"unknown column key",
       "columns:\n  - {name: z, role: input, type: numeric, lvls: [a]}\n" + io,
       "s.yaml:2:43: columns[0]: unknown key 'lvls' (known keys: levels, max, min, missing, name, "
       "role, type, unit)"},
      {"duplicate column key",
       "columns:\n  - {name: x, role: input, type: numeric, role: output}\n",
       "s.yaml:2:43: columns[0]: duplicate key 'role'"},
      {"no name", "columns:\n  - {role: input, type: numeric}\n" + io,
       "s.yaml:2:5: columns[0]: 'name' is missing"},
      {"empty name", "columns:\n  - {name: '', role: input, type: numeric}\n" + io,
       "s.yaml:2:12: columns[0]: 'name' must be a non-empty text, got an empty text"},
      {"null name", "columns:\n  - name:\n    role: input\n    type: numeric\n" + io,
       "s.yaml:2:5: columns[0]: 'name' must be a non-empty text, got nothing (null)"},
      {"list name", "columns:\n  - {name: [a], role: input, type: numeric}\n" + io,
       "s.yaml:2:12: columns[0]: 'name' must be a non-empty text, got a list"},
      {"name with spaces", "columns:\n  - {name: ' x', role: input, type: numeric}\n" + io,
       "s.yaml:2:12: column \" x\": the name has leading or trailing spaces; remove them"},
      {"no role", "columns:\n  - {name: z, type: numeric}\n" + io,
       "s.yaml:2:5: column \"z\": 'role' is missing (input, output or ignore)"},
      {"bad role", "columns:\n  - {name: z, role: inptu, type: numeric}\n" + io,
       "s.yaml:2:21: column \"z\": 'role' must be input, output or ignore, got 'inptu'"},
      {"no type", "columns:\n  - {name: z, role: input}\n" + io,
       "s.yaml:2:5: column \"z\": 'type' is missing (numeric or categorical)"},
      {"bad type", "columns:\n  - {name: z, role: input, type: text}\n" + io,
       "s.yaml:2:34: column \"z\": 'type' must be numeric or categorical, got 'text'"},
      {"categorical without levels",
       "columns:\n  - {name: z, role: input, type: categorical}\n" + io,
       "s.yaml:2:5: column \"z\": a categorical column needs 'levels'"},
      {"levels on numeric",
       "columns:\n  - {name: z, role: input, type: numeric, levels: [a]}\n" + io,
       "s.yaml:2:43: column \"z\": 'levels' is only for categorical columns"},
      {"empty levels", "columns:\n  - {name: z, role: input, type: categorical, levels: []}\n" + io,
       "s.yaml:2:55: column \"z\": 'levels' must be a non-empty list of texts, got an empty list"},
      {"levels not a list",
       "columns:\n  - {name: z, role: input, type: categorical, levels: a}\n" + io,
       "s.yaml:2:55: column \"z\": 'levels' must be a non-empty list of texts, got 'a'"},
      {"duplicate level",
       "columns:\n  - {name: z, role: input, type: categorical, levels: [a, b, a]}\n" + io,
       "s.yaml:2:62: column \"z\": level \"a\" is listed twice"},
      {"empty level",
       "columns:\n  - {name: z, role: input, type: categorical, levels: [a, '']}\n" + io,
       "s.yaml:2:59: column \"z\": a level must not be empty (an empty field is a missing value)"},
      {"list level",
       "columns:\n  - {name: z, role: input, type: categorical, levels: [[a]]}\n" + io,
       "s.yaml:2:56: column \"z\": a level must be a text, got a list"},
      {"unit on categorical",
       "columns:\n  - {name: z, role: input, type: categorical, levels: [a], unit: m}\n" + io,
       "s.yaml:2:60: column \"z\": 'unit' is only for numeric columns"},
      {"min on categorical",
       "columns:\n  - {name: z, role: input, type: categorical, levels: [a], min: 1}\n" + io,
       "s.yaml:2:60: column \"z\": 'min' is only for numeric columns"},
      {"min greater than max",
       "columns:\n  - {name: z, role: input, type: numeric, min: 10, max: 5}\n" + io,
       "s.yaml:2:57: column \"z\": 'min' (10) is greater than 'max' (5)"},
      {"min not a number", "columns:\n  - {name: z, role: input, type: numeric, min: ten}\n" + io,
       "s.yaml:2:48: column \"z\": 'min' must be a finite number, got 'ten' (not a number)"},
      {"min quoted", "columns:\n  - {name: z, role: input, type: numeric, min: '5'}\n" + io,
       "s.yaml:2:48: column \"z\": 'min' must be a finite number, got the quoted string \"5\""},
      {"max infinite", "columns:\n  - {name: z, role: input, type: numeric, max: .inf}\n" + io,
       "s.yaml:2:48: column \"z\": 'max' must be a finite number, got '.inf' (not a number)"},
      {"max overflows", "columns:\n  - {name: z, role: input, type: numeric, max: 1e999}\n" + io,
       "s.yaml:2:48: column \"z\": 'max' must be a finite number, got '1e999' (out of range)"},
      {"empty unit", "columns:\n  - {name: z, role: input, type: numeric, unit: ''}\n" + io,
       "s.yaml:2:49: column \"z\": 'unit' must be a non-empty text, got an empty text"},
      {"bad missing", "columns:\n  - {name: z, role: input, type: numeric, missing: zero}\n" + io,
       "s.yaml:2:52: column \"z\": 'missing' must be reject, drop, mean or median, got 'zero'"},
      {"mean on categorical",
       "columns:\n  - {name: z, role: input, type: categorical, levels: [a], missing: mean}\n" + io,
       "s.yaml:2:69: column \"z\": missing: mean is only for numeric columns; use reject or drop"},
      {"median on categorical",
       "columns:\n  - {name: z, role: input, type: categorical, levels: [a], missing: median}\n" +
           io,
       "s.yaml:2:69: column \"z\": missing: median is only for numeric columns; use reject or "
       "drop"},
      {"column listed twice", "columns:\n" + io + "  - {name: x, role: ignore}\n",
       "s.yaml:4:12: column \"x\" is listed twice, first on line 2"},
      {"columns differing in case", "columns:\n" + io + "  - {name: X, role: ignore}\n",
       "s.yaml:4:12: column \"X\" and column \"x\" (line 2) differ only in letter case"},
      {"no input column", "columns:\n  - {name: y, role: output, type: numeric}\n",
       "s.yaml:1:1: the schema has no input column"},
      {"no output column",
       "columns:\n  - {name: x, role: input, type: numeric}\n  - {name: n, role: ignore}\n",
       "s.yaml:1:1: the schema has no output column"},
      {"several problems, in file order",
       "columns:\n"
       "  - name: a\n"
       "    role: input\n"
       "    type: numeric\n"
       "    min: 3\n"
       "    max: 1\n"
       "  - name: b\n"
       "    role: output\n"
       "    type: categorical\n"
       "    levels: [p, p]\n"
       "    missing: mean\n",
       "s.yaml:6:10: column \"a\": 'min' (3) is greater than 'max' (1)\n"
       "s.yaml:10:17: column \"b\": level \"p\" is listed twice\n"
       "s.yaml:11:14: column \"b\": missing: mean is only for numeric columns; use reject or drop"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(ErrorOf(c.yaml) == c.error);
  }
}

TEST_CASE("ParseSchema caps the number of levels", "[dataset][schema]") {
  std::string levels;
  for (int i = 0; i < 1001; ++i) levels += (i ? ", l" : "l") + std::to_string(i);
  CHECK(ErrorOf("columns:\n  - {name: z, role: input, type: categorical, levels: [" + levels +
                "]}\n  - {name: y, role: output, type: numeric}\n") ==
        "s.yaml:2:47: column \"z\": 1001 levels, more than the limit of 1000");
}

TEST_CASE("An ignored column needs no type, and its keys are still checked", "[dataset][schema]") {
  const std::string io =
      "  - {name: x, role: input, type: numeric}\n"
      "  - {name: y, role: output, type: numeric}\n";
  CHECK(Parse("columns:\n" + io + "  - {name: n, role: ignore}\n").columns[2] ==
        Spec("n", Role::kIgnore));
  CHECK(ErrorOf("columns:\n" + io + "  - {name: n, role: ignore, min: 2, max: 1}\n") ==
        "s.yaml:4:42: column \"n\": 'min' (2) is greater than 'max' (1)");
}

TEST_CASE("SchemaToYaml writes what ParseSchema reads back equal", "[dataset][schema]") {
  Schema s = Parse(kFull);
  ColumnSpec odd = Spec("null", Role::kIgnore, ColumnType::kCategorical);
  odd.levels = {"~", "true", "a: b", "#x", " pad", "1e-300", "caf\xC3\xA9"};
  s.columns.push_back(odd);
  ColumnSpec small = Spec("small", Role::kInput);
  small.min = 1e-300;
  small.max = 0.1;
  s.columns.push_back(small);
  const std::string yaml = SchemaToYaml(s);
  CHECK(Parse(yaml) == s);
  CHECK(yaml.find("  - name: note\n    role: ignore\n  - ") != std::string::npos);
}

TEST_CASE("InferSchema types columns from their values", "[dataset][schema]") {
  const CsvTable t =
      Csv("id,temp,grade,flag,yield\n"
          "1,20.5,B,,3\n"
          "2,,A,x,1e-3\n"
          "3,-4,B,,-0\n"
          "4,1e3,10,y,7\n");
  auto r = InferSchema(t, {"temp", "grade", "flag"}, {"yield"});
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  const Schema& s = r.value();
  REQUIRE(s.columns.size() == 5);
  CHECK(s.columns[0] == Spec("id", Role::kIgnore));
  CHECK(s.columns[1] == Spec("temp", Role::kInput));
  ColumnSpec grade = Spec("grade", Role::kInput, ColumnType::kCategorical);
  grade.levels = {"10", "A", "B"};  // sorted bytewise; "10" is not a number's sort
  CHECK(s.columns[2] == grade);
  ColumnSpec flag = Spec("flag", Role::kInput, ColumnType::kCategorical);
  flag.levels = {"x", "y"};
  CHECK(s.columns[3] == flag);
  CHECK(s.columns[4] == Spec("yield", Role::kOutput));
}

TEST_CASE("InferSchema: NaN, Inf and spaced numbers make a column categorical",
          "[dataset][schema]") {
  const CsvTable t = Csv("a,b,c,d\n1,1,1,1\nNaN,-inf, 2,1e999\n");
  auto r = InferSchema(t, {"a", "b", "c"}, {"d"});
  REQUIRE(r.ok());
  for (const auto& c : r.value().columns) {
    INFO(c.name);
    CHECK(c.type == ColumnType::kCategorical);
  }
  CHECK(r.value().columns[0].levels == std::vector<std::string>{"1", "NaN"});
}

TEST_CASE("InferSchema refuses bad column lists and uninferable columns", "[dataset][schema]") {
  const CsvTable t = Csv("a,b,c\n1,,x\n2,,y\n");
  struct Case {
    const char* name;
    std::vector<std::string> inputs, outputs;
    std::string code, error;
  };
  const Case cases[] = {
      {"unknown name",
       {"a", "z"},
       {"c"},
       "invalid_argument",
       "input column \"z\" is not in the CSV; its columns are \"a\", \"b\", \"c\""},
      {"no inputs", {}, {"a"}, "invalid_argument", "no input column given"},
      {"no outputs", {"a"}, {}, "invalid_argument", "no output column given"},
      {"listed twice", {"a", "a"}, {"c"}, "invalid_argument", "input column \"a\" is listed twice"},
      {"input and output",
       {"a"},
       {"a", "c"},
       "invalid_argument",
       "column \"a\" is listed as both input and output"},
      {"all problems",
       {"A"},
       {"q", "q"},
       "invalid_argument",
       "input column \"A\" is not in the CSV; its columns are \"a\", \"b\", \"c\"\n"
       "output column \"q\" is not in the CSV; its columns are \"a\", \"b\", \"c\"\n"
       "output column \"q\" is not in the CSV; its columns are \"a\", \"b\", \"c\""},
      {"a column with no values",
       {"a", "b"},
       {"c"},
       "invalid_data",
       "column \"b\" has no values; its type cannot be inferred"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = InferSchema(t, c.inputs, c.outputs);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == c.code);
    CHECK(r.status().message() == c.error);
  }
}

TEST_CASE("InferSchema caps the levels of a categorical column", "[dataset][schema]") {
  std::string text = "x,y\n";
  for (int i = 0; i < 1001; ++i) text += "1,v" + std::to_string(i) + "\n";
  const CsvTable many = Csv(text);
  auto r = InferSchema(many, {"x"}, {"y"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == "invalid_data");
  CHECK(r.status().message() ==
        "column \"y\" is not numeric (row 1: value \"v0\": not a number) and has more than 1000 "
        "distinct values, the limit for a categorical column");
  // 1000 distinct values are fine.
  text = "x,y\n";
  for (int i = 0; i < 1000; ++i) text += "1,v" + std::to_string(i) + "\n";
  auto ok = InferSchema(Csv(text), {"x"}, {"y"});
  REQUIRE(ok.ok());
  CHECK(ok.value().columns[1].levels.size() == 1000);
}

}  // namespace
