#include "models/prediction.h"

#include <algorithm>
#include <set>
#include <string>

#include "dataset/csv.h"
#include "dataset/values.h"

namespace sigmad::models {
namespace {

std::string Quoted(std::string_view name) { return "\"" + dataset::Printable(name) + "\""; }

}  // namespace

Result<dataset::Dataset> ReadPredictionInputs(const analysis::Model& model, std::string_view csv,
                                              size_t max_reported) {
  dataset::CsvLimits limits;
  limits.max_reported = max_reported;
  auto table = dataset::ReadCsv(csv, limits);
  if (!table.ok()) return table.status();
  const dataset::CsvTable& t = table.value();
  const std::vector<std::string>& header = t.header();

  // In a one-column file a blank line is how many tools write an empty value, but
  // ReadCsv skips blank lines: a row would vanish and the output rows would no longer
  // match the input's. Such a file is refused instead.
  if (header.size() == 1) {
    size_t expected = 2 + static_cast<size_t>(std::count(header[0].begin(), header[0].end(), '\n'));
    for (size_t r = 0; r < t.row_count(); ++r) {
      if (t.line(r) > expected) {
        return Status::Error("invalid_data",
                             t.RowName(r) + ": blank lines before it; in a file of one column "
                             "a blank line is not a row: write an empty value as \"\"");
      }
      const std::string_view value = t.field(r, 0);
      expected = t.line(r) + 1 + static_cast<size_t>(std::count(value.begin(), value.end(), '\n'));
    }
  }

  // The columns first: a misnamed column shows as one missing and one extra.
  std::set<std::string> inputs, present(header.begin(), header.end());
  std::string problems;
  size_t count = 0;
  auto add = [&](const std::string& line) {
    if (count++ < max_reported) problems += (problems.empty() ? "" : "\n") + line;
  };
  for (const analysis::InputColumn& in : model.inputs) {
    inputs.insert(in.name);
    if (present.count(in.name) > 0) continue;
    std::string line = "model input " + Quoted(in.name) + " is not in the CSV";
    for (const std::string& h : header) {
      if (dataset::FoldCase(h) == dataset::FoldCase(in.name)) {
        line += " (the CSV has " + Quoted(h) + ")";
      }
    }
    add(line);
  }
  for (const std::string& h : header) {
    if (inputs.count(h) == 0) {
      add("CSV column " + Quoted(h) + " is not an input of the model; remove it");
    }
  }
  if (count > 0) {
    if (count > max_reported) problems += "\n... and " + std::to_string(count - max_reported) + " more";
    std::string names;
    for (const analysis::InputColumn& in : model.inputs) {
      names += (names.empty() ? "" : ", ") + dataset::Printable(in.name);
    }
    return Status::Error("invalid_data", problems + "\nthe model's inputs are: " + names);
  }

  dataset::DatasetOptions options;
  options.max_reported = max_reported;
  auto made = dataset::MakeDataset(t, analysis::InputSchema(model), options);
  if (!made.ok()) return made.status();
  return std::move(made.value().dataset);
}

std::vector<std::string> PredictionColumns(const analysis::Model& model) {
  // Every input and output name is taken first (compared without letter case, as
  // ReadCsv compares header names), so that a generated name never takes a model
  // column's name: outputs "y" and "y_std" give "y", "y_std_", "y_std", "y_std_std".
  std::set<std::string> taken;
  for (const analysis::InputColumn& in : model.inputs) taken.insert(dataset::FoldCase(in.name));
  for (const analysis::OutputColumn& out : model.outputs) {
    taken.insert(dataset::FoldCase(out.name));
  }
  auto fresh = [&](std::string name) {
    while (!taken.insert(dataset::FoldCase(name)).second) name += "_";
    return name;
  };
  std::vector<std::string> names;
  for (const analysis::OutputColumn& out : model.outputs) {
    names.push_back(out.name);
    names.push_back(fresh(out.name + "_std"));
  }
  names.push_back(fresh("out_of_range"));
  return names;
}

std::string PredictionCsv(const analysis::Model& model, const dataset::Dataset& inputs,
                          const analysis::Prediction& prediction) {
  dataset::CsvWriter writer;
  for (const analysis::InputColumn& in : model.inputs) writer.AddField(in.name);
  for (const std::string& name : PredictionColumns(model)) writer.AddField(name);
  writer.EndRow();
  const std::vector<dataset::ColumnSpec>& specs = inputs.schema.columns;
  std::string flag;
  for (size_t r = 0; r < prediction.row_count(); ++r) {
    for (size_t c = 0; c < specs.size(); ++c) {
      const double v = inputs.columns[c][r];
      if (specs[c].type == dataset::ColumnType::kNumeric) {
        writer.AddNumber(v);
      } else {
        writer.AddField(specs[c].levels[static_cast<size_t>(v)]);
      }
    }
    for (size_t o = 0; o < prediction.outputs.size(); ++o) {
      writer.AddNumber(prediction.mean[o][r]);
      writer.AddNumber(prediction.sd[o][r]);
    }
    flag.clear();
    for (size_t i : prediction.outside[r]) {
      flag += (flag.empty() ? "" : ";") + model.inputs[i].name;
    }
    writer.AddField(flag);
    writer.EndRow();
  }
  return std::move(writer).Take();
}

}  // namespace sigmad::models
