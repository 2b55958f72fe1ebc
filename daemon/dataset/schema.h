// Dataset schema: what each CSV column is. Written as YAML by users, or inferred from a
// CSV and the lists of input and output column names.
//
//   columns:
//     - name: temp           # the CSV header name, exactly (case-sensitive)
//       role: input          # input | output | ignore
//       type: numeric        # numeric | categorical; may be left out for role ignore
//       unit: degC           # numeric only, optional, free text
//       min: -40             # numeric only, optional, inclusive; plain YAML numbers
//       max: 150
//       missing: mean        # reject (default) | drop | mean | median (numeric only)
//     - name: grade
//       role: output
//       type: categorical
//       levels: [A, B, C]    # required for categorical: distinct, non-empty texts
//       missing: drop
//
// Rules (each break is an error): `columns` is the only top-level key, a non-empty list;
// every key of a column is one of the above, at most once; name, role and type (unless
// role is ignore) are required; a name has no leading or trailing spaces and no two
// names are equal up to ASCII letter case; levels only and always for categorical, each
// level non-empty and listed once, at most kMaxLevels; unit, min and max only for
// numeric, min and max finite and min <= max; missing: mean/median only for numeric;
// at least one input and one output column. The keys of an ignored column are checked
// the same way, but nothing else about it is used: its values are never read.
//
// Every problem is reported, as FILE:LINE:COL: message (1-based, yaml-cpp marks), in
// document order, in one Status "invalid_schema" (one problem per line).
// Thread-safety: pure functions; Schema is a plain value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dataset/csv.h"

namespace sigmad::dataset {

inline constexpr size_t kMaxLevels = 1000;                   // per categorical column
inline constexpr size_t kMaxSchemaBytes = size_t{16} << 20;  // a schema file

enum class Role { kInput, kOutput, kIgnore };
enum class ColumnType { kNumeric, kCategorical };
// What a missing value (an empty field) does: reject the row as a problem, drop the row,
// or take the mean or median of the column's kept values (dataset/dataset.h).
enum class Missing { kReject, kDrop, kMean, kMedian };

struct ColumnSpec {
  std::string name;
  Role role = Role::kInput;
  ColumnType type = ColumnType::kNumeric;
  std::vector<std::string> levels;  // categorical: a value's code is its index here
  std::string unit;                 // numeric; empty if none
  std::optional<double> min, max;   // numeric; inclusive
  Missing missing = Missing::kReject;
  bool operator==(const ColumnSpec&) const = default;
};

struct Schema {
  std::vector<ColumnSpec> columns;  // in file order
  bool operator==(const Schema&) const = default;
};

// The YAML words: "input", "numeric", "median", ...
const char* RoleName(Role role);
const char* TypeName(ColumnType type);
const char* MissingName(Missing missing);

// Parses and checks a schema. `file` names the source in messages. Error
// "invalid_schema" listing every problem.
Result<Schema> ParseSchema(std::string_view yaml, const std::string& file);

// The schema as YAML that ParseSchema reads back equal. Ignored columns show only the
// keys that differ from the defaults.
std::string SchemaToYaml(const Schema& schema);

// A schema for `table`: the named columns get roles input and output, every other
// column role ignore, in the table's column order. A column is numeric if each of its
// non-empty values is a number ParseNumber accepts, otherwise categorical with its
// distinct non-empty values as levels, sorted bytewise. Missing values: reject.
// Errors: "invalid_argument" for a name not in the table (the message lists the table's
// columns), a name given twice, or an empty list; "invalid_data" for a column with no
// values, or a categorical one with more than kMaxLevels levels. The names are checked
// first; every problem of the failing kind is listed, one per line.
Result<Schema> InferSchema(const CsvTable& table, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs);

}  // namespace sigmad::dataset
