#include "dataset/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "dataset/values.h"

namespace sigmad::dataset {
namespace {

constexpr size_t kLevelsShown = 10;  // a "not one of the levels" message lists at most these

std::string Quoted(std::string_view text) { return "\"" + Printable(text) + "\""; }

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Problem lines: the first `max` kept, all counted.
class Problems {
 public:
  explicit Problems(size_t max) : max_(max) {}
  // Counts a problem; `line()` makes its message, called only if it is listed.
  template <typename MakeLine>
  void Add(MakeLine&& line) {
    ++count_;
    if (lines_.size() < max_) lines_.push_back(line());
  }
  size_t count() const { return count_; }
  std::vector<std::string>& lines() { return lines_; }
  // The lines, then "... and N more", one per line.
  std::string Joined() const {
    std::string out;
    for (const auto& l : lines_) out += (out.empty() ? "" : "\n") + l;
    if (count_ > lines_.size()) {
      out += "\n... and " + std::to_string(count_ - lines_.size()) + " more";
    }
    return out;
  }

 private:
  size_t max_;
  std::vector<std::string> lines_;
  size_t count_ = 0;
};

// A stored schema column bound to its CSV column, with the values read so far.
struct Bound {
  const ColumnSpec* spec;
  size_t source;                                         // CSV column index
  std::unordered_map<std::string_view, uint32_t> codes;  // categorical: level -> index
  std::vector<double> values;                            // kept rows; NaN where missing
  std::vector<size_t> missing;                           // kept rows to fill
};

std::string NotALevel(const ColumnSpec& spec, std::string_view value) {
  std::string out;
  if (spec.levels.size() <= kLevelsShown) {
    out = "not one of the levels ";
    for (size_t i = 0; i < spec.levels.size(); ++i) {
      out += (i == 0 ? "" : ", ") + Quoted(spec.levels[i]);
    }
  } else {
    out = "not one of the column's " + std::to_string(spec.levels.size()) + " levels";
  }
  // A near miss: the same up to letter case or outer spaces.
  auto trim = [](std::string_view s) {
    const size_t b = s.find_first_not_of(" \t");
    return b == std::string_view::npos ? std::string_view()
                                       : s.substr(b, s.find_last_not_of(" \t") - b + 1);
  };
  const std::string folded = FoldCase(trim(value));
  for (const auto& level : spec.levels) {
    if (FoldCase(trim(level)) == folded) return out + "; did you mean " + Quoted(level) + "?";
  }
  return out;
}

std::string OutOfRange(const char* what, double bound, const std::string& unit) {
  return std::string(what) + " " + FormatNumber(bound) + (unit.empty() ? "" : " " + unit);
}

// The mean or median of the non-NaN `values` (at least one), clamped to their range.
double FillValue(const std::vector<double>& values, Missing rule) {
  std::vector<double> present;
  present.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) present.push_back(v);
  }
  const auto [lo, hi] = std::minmax_element(present.begin(), present.end());
  const double low = *lo, high = *hi;
  const size_t n = present.size();
  double fill = 0;
  if (rule == Missing::kMean) {
    long double sum = 0;
    for (double v : present) sum += v;
    fill = static_cast<double>(sum / static_cast<long double>(n));
    if (!std::isfinite(fill)) {  // a long double no wider than a double overflowed
      sum = 0;
      for (double v : present) sum += v / static_cast<double>(n);
      fill = static_cast<double>(sum);
    }
  } else {
    const auto mid = present.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(present.begin(), mid, present.end());
    fill = *mid;
    if (n % 2 == 0) fill = std::midpoint(*std::max_element(present.begin(), mid), fill);
  }
  return std::clamp(fill, low, high);
}

}  // namespace

std::string ImportReport::ToString() const {
  std::string out =
      "read " + Plural(rows_read, "row", "rows") + ", kept " + std::to_string(rows_kept);
  if (rows_skipped > 0) {
    out += "\nskipped " + Plural(rows_skipped, "row", "rows") + " with problems:";
    for (const auto& p : problems) out += "\n  " + p;
    if (problem_count > problems.size()) {
      out += "\n  ... and " + std::to_string(problem_count - problems.size()) + " more";
    }
  }
  if (rows_dropped > 0) {
    out += "\ndropped " + Plural(rows_dropped, "row", "rows") +
           " with a missing value (missing: drop)";
  }
  for (const auto& f : filled) {
    out += "\ncolumn " + Printable(f.column) + ": filled " +
           Plural(f.count, "missing value", "missing values") + " with the " + MissingName(f.rule) +
           " " + FormatNumber(f.value);
  }
  return out;
}

Result<Imported> MakeDataset(const CsvTable& table, const Schema& schema,
                             const DatasetOptions& options) {
  const auto& header = table.header();
  Problems binding(options.max_reported);
  std::unordered_map<std::string_view, size_t> csv_columns;
  for (size_t i = 0; i < header.size(); ++i) csv_columns.emplace(header[i], i);
  std::vector<bool> used(header.size());
  std::vector<Bound> bound;
  for (const ColumnSpec& spec : schema.columns) {
    auto it = csv_columns.find(spec.name);
    if (it == csv_columns.end()) {
      binding.Add([&] {
        std::string line = "schema column " + Quoted(spec.name) + " is not in the CSV";
        for (const auto& h : header) {
          if (FoldCase(h) == FoldCase(spec.name)) line += " (the CSV has " + Quoted(h) + ")";
        }
        return line;
      });
      continue;
    }
    used[it->second] = true;
    if (spec.role == Role::kIgnore) continue;
    Bound b{&spec, it->second, {}, {}, {}};
    for (size_t l = 0; l < spec.levels.size(); ++l) {
      b.codes.emplace(spec.levels[l], static_cast<uint32_t>(l));
    }
    bound.push_back(std::move(b));
  }
  for (size_t i = 0; i < header.size(); ++i) {
    if (!used[i]) {
      binding.Add([&] {
        return "CSV column " + Quoted(header[i]) +
               " is not in the schema; add it with role: ignore to leave it out";
      });
    }
  }
  if (binding.count() > 0) return Status::Error("invalid_data", binding.Joined());

  ImportReport report;
  report.rows_read = table.row_count();
  Problems problems(options.max_reported);
  for (Bound& b : bound) b.values.reserve(table.row_count());
  size_t kept = 0;
  for (size_t r = 0; r < table.row_count(); ++r) {
    bool bad = false, drop = false;
    for (Bound& b : bound) {
      const ColumnSpec& spec = *b.spec;
      const std::string_view value = table.field(r, b.source);
      // Messages are built only for the problems that are listed.
      auto problem = [&](auto&& reason) {
        bad = true;
        problems.Add([&] {
          return table.RowName(r) + ", column " + Printable(spec.name) + ": value " +
                 Quoted(value) + ": " + reason();
        });
      };
      double x = std::numeric_limits<double>::quiet_NaN();
      if (value.empty()) {
        switch (spec.missing) {
          case Missing::kReject:
            problem([] { return "missing (the column's rule is missing: reject)"; });
            break;
          case Missing::kDrop:
            drop = true;
            break;
          case Missing::kMean:
          case Missing::kMedian:
            b.missing.push_back(kept);
            break;
        }
      } else if (spec.type == ColumnType::kNumeric) {
        if (const char* why = ParseNumber(value, &x)) {
          problem([why] { return why; });
        } else if (spec.min && x < *spec.min) {
          problem([&] { return OutOfRange("below the minimum", *spec.min, spec.unit); });
        } else if (spec.max && x > *spec.max) {
          problem([&] { return OutOfRange("above the maximum", *spec.max, spec.unit); });
        }
      } else if (auto it = b.codes.find(value); it != b.codes.end()) {
        x = it->second;
      } else {
        problem([&] { return NotALevel(spec, value); });
      }
      b.values.push_back(x);
    }
    if (bad || drop) {
      for (Bound& b : bound) {
        b.values.pop_back();
        if (!b.missing.empty() && b.missing.back() == kept) b.missing.pop_back();
      }
      ++(bad ? report.rows_skipped : report.rows_dropped);
    } else {
      ++kept;
    }
  }
  if (problems.count() > 0 && options.on_error == OnError::kReject) {
    return Status::Error("invalid_data", problems.Joined());
  }
  if (kept == 0) {
    std::string message =
        "no row is left to import: " + Plural(report.rows_skipped, "row", "rows") +
        " with problems, " + std::to_string(report.rows_dropped) + " dropped for missing values";
    if (problems.count() > 0) message += "\n" + problems.Joined();
    return Status::Error("invalid_data", message);
  }

  Imported out;
  for (Bound& b : bound) {
    if (!b.missing.empty()) {
      if (b.missing.size() == kept) {
        return Status::Error("invalid_data", "column " + Printable(b.spec->name) +
                                                 ": every kept row is missing a value, so there" +
                                                 " is no " + MissingName(b.spec->missing) +
                                                 " to fill them with");
      }
      const double fill = FillValue(b.values, b.spec->missing);
      for (size_t row : b.missing) b.values[row] = fill;
      report.filled.push_back({b.spec->name, b.spec->missing, b.missing.size(), fill});
    }
    out.dataset.schema.columns.push_back(*b.spec);
    out.dataset.columns.push_back(std::move(b.values));
  }
  report.rows_kept = kept;
  report.problem_count = problems.count();
  report.problems = std::move(problems.lines());
  out.report = std::move(report);
  return out;
}

std::string ExportCsv(const Dataset& dataset) {
  CsvWriter writer;
  const auto& specs = dataset.schema.columns;
  for (const auto& spec : specs) writer.AddField(spec.name);
  writer.EndRow();
  const size_t header_bytes = writer.text().size();
  const size_t rows = dataset.row_count();
  constexpr size_t kSampleRows = 64;  // the size of the rest is guessed from these
  for (size_t r = 0; r < rows; ++r) {
    if (r == kSampleRows) {
      const size_t per_row = (writer.text().size() - header_bytes) / kSampleRows + 1;
      writer.Reserve(writer.text().size() + (rows - r) * per_row / 8 * 9);
    }
    for (size_t c = 0; c < specs.size(); ++c) {
      const double v = dataset.columns[c][r];
      if (specs[c].type == ColumnType::kNumeric) {
        writer.AddNumber(v);
      } else {
        writer.AddField(specs[c].levels[static_cast<size_t>(v)]);
      }
    }
    writer.EndRow();
  }
  return std::move(writer).Take();
}

}  // namespace sigmad::dataset
