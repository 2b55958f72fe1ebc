// Dataset: the typed columns a CSV table gives under a schema (MakeDataset), and the CSV
// they export back to (ExportCsv).
//
// Binding. Columns are matched by exact name, in any order. A schema column missing
// from the CSV, or a CSV column missing from the schema, is an error naming it (add an
// unwanted CSV column to the schema with role: ignore). Ignored columns are not read.
//
// Values. Only an empty field is missing ("NA", "-", "null" are values like any other:
// not a number in a numeric column, a level only if the schema lists it). A numeric
// field is read by ParseNumber (dataset/values.h): no trimming, so " 1" is refused
// ("leading or trailing spaces"), as are "1,5", "0x10", "1e999" ("out of range") and
// "NaN"/"Inf" in any spelling ("not a finite number"); then min/max are checked. A
// categorical field must equal one of the levels exactly (case and spaces count).
//
// Each problem is one line: `row R, column C: value "V": reason`, with R as
// CsvTable::RowName gives it, C the column name, V escaped and cut (values.h Printable).
// At most `max_reported` are listed, then "... and N more".
//
// on_error reject (default): any problem fails the whole table; nothing is produced and
// every problem is listed. on_error skip: rows with a problem are left out and listed in
// the report; the rest are kept.
//
// Missing values, per the column's rule: reject is a problem like any other; drop
// leaves the row out (counted, not a problem); mean and median fill the cell from the
// column's non-missing values in the kept rows, i.e. after rows with a problem are
// skipped and rows with a dropped value are left out. Fills do not count towards other
// fills. The fill value is clamped to the range of those values (so a mean of equal
// values is that value, despite rounding). If a column to fill has no value in the kept
// rows, that is an error. A Dataset never holds a missing value.
//
// Errors: Status "invalid_data" (one problem per line) for binding problems, for
// problems under on_error reject, and when no row is left.
// Thread-safety: pure functions; Dataset and ImportReport are plain values.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "dataset/csv.h"
#include "dataset/schema.h"

namespace sigmad::dataset {

enum class OnError { kReject, kSkip };

struct DatasetOptions {
  OnError on_error = OnError::kReject;
  size_t max_reported = 100;  // problem lines listed before "... and N more"
};

// Typed columns. columns[i] holds the values of schema.columns[i], one per row: the
// number for a numeric column; for a categorical one, the level's index in
// schema.columns[i].levels (a small integer, exact in a double).
struct Dataset {
  Schema schema;  // the stored columns only (inputs and outputs), in schema order
  std::vector<std::vector<double>> columns;
  size_t row_count() const { return columns.empty() ? 0 : columns.front().size(); }
  bool operator==(const Dataset&) const = default;
};

struct ColumnFill {
  std::string column;
  Missing rule = Missing::kMean;  // kMean or kMedian
  size_t count = 0;               // cells filled
  double value = 0;               // what they were filled with
  bool operator==(const ColumnFill&) const = default;
};

struct ImportReport {
  size_t rows_read = 0;               // data rows in the CSV
  size_t rows_kept = 0;               // rows in the Dataset
  size_t rows_skipped = 0;            // on_error skip: rows with at least one problem
  size_t rows_dropped = 0;            // rows with a missing value in a column whose rule is drop
  std::vector<std::string> problems;  // why rows were skipped, the first max_reported
  size_t problem_count = 0;           // all problems, listed or not
  std::vector<ColumnFill> filled;     // columns with filled cells, in schema order
  // A summary for people, one fact per line, e.g. "read 10 rows, kept 8".
  std::string ToString() const;
};

struct Imported {
  Dataset dataset;
  ImportReport report;
};

// Applies `schema` to `table` as described above.
Result<Imported> MakeDataset(const CsvTable& table, const Schema& schema,
                             const DatasetOptions& options = {});

// The dataset as CSV (csv.h writing rules): the header of column names, then each row,
// numbers in their shortest round-trip form, categorical values as their level text.
// MakeDataset(ReadCsv(ExportCsv(d)), d.schema) gives d back, and exporting that gives
// the same bytes.
std::string ExportCsv(const Dataset& dataset);

}  // namespace sigmad::dataset
