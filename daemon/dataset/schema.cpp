#include "dataset/schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/yaml_load.h"
#include "dataset/values.h"

namespace sigmad::dataset {
namespace {

constexpr std::string_view kColumnKeys[] = {"levels", "max",  "min",  "missing",
                                            "name",   "role", "type", "unit"};

std::string Quoted(std::string_view text) { return "\"" + Printable(text) + "\""; }

// How a node reads in a message: "a list", "'x'", "the quoted string \"5\"", ...
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return node.Tag() == "!" ? "the quoted string " + Quoted(node.Scalar())
                               : "'" + Printable(node.Scalar()) + "'";
    default:
      return "an undefined value";
  }
}

struct Problem {
  int line = 0, column = 0;
  std::string message;
};

// A key of a mapping and its value; problems with a null value are reported at the
// key (yaml-cpp marks a missing value at the next token, a line or more later).
struct Entry {
  YAML::Node key, value;
  YAML::Mark At() const { return value.IsNull() ? key.Mark() : value.Mark(); }
};

class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  void Error(const YAML::Mark& mark, std::string message) {
    problems_.push_back({mark.line + 1, mark.column + 1, std::move(message)});
  }

  // The schema, or every problem, sorted by position.
  Result<Schema> Finish(Schema schema) {
    if (problems_.empty()) return schema;
    std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::string message;
    for (const auto& p : problems_) {
      if (!message.empty()) message += '\n';
      message +=
          file_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + p.message;
    }
    return Status::Error("invalid_schema", message);
  }

  void Root(const YAML::Node& root, Schema* schema) {
    if (root.IsNull()) {
      Error(YAML::Mark(), "the schema is empty; it needs a 'columns' list");
      return;
    }
    if (!root.IsMap()) {
      Error(root.Mark(),
            "the schema must be a mapping with a 'columns' list, got " + Describe(root));
      return;
    }
    std::optional<Entry> columns;
    for (const auto& kv : root) {
      Entry e{kv.first, kv.second};
      if (!e.key.IsScalar()) {
        Error(e.key.Mark(), "keys must be plain names");
      } else if (e.key.Scalar() != "columns") {
        Error(e.key.Mark(), "unknown key '" + Printable(e.key.Scalar()) +
                                "' (the only top-level key is 'columns')");
      } else if (columns) {
        Error(e.key.Mark(), "duplicate key 'columns'");
      } else {
        columns = e;
      }
    }
    if (!columns) {
      Error(root.Mark(), "'columns' is missing");
      return;
    }
    const YAML::Node& list = columns->value;
    if (!list.IsSequence() || list.size() == 0) {
      Error(columns->At(), "'columns' must be a non-empty list of columns, got " +
                               (list.IsSequence() ? std::string("an empty list") : Describe(list)));
      return;
    }
    bool input = false, output = false;
    for (size_t i = 0; i < list.size(); ++i) {
      ColumnSpec spec;
      if (Column(list[i], i, &spec)) {
        input = input || spec.role == Role::kInput;
        output = output || spec.role == Role::kOutput;
        schema->columns.push_back(std::move(spec));
      }
    }
    // Only when every column read, so a typo in a role does not also say this.
    if (schema->columns.size() == list.size()) {
      if (!input) Error(columns->key.Mark(), "the schema has no input column");
      if (!output) Error(columns->key.Mark(), "the schema has no output column");
    }
  }

 private:
  // Checks one column; false if it has a problem.
  bool Column(const YAML::Node& node, size_t index, ColumnSpec* spec) {
    const size_t before = problems_.size();
    std::string label = "columns[" + std::to_string(index) + "]";
    if (!node.IsMap()) {
      Error(node.Mark(), label + " must be a mapping, got " + Describe(node));
      return false;
    }
    std::map<std::string, Entry, std::less<>> keys;
    for (const auto& kv : node) {
      Entry e{kv.first, kv.second};
      if (!e.key.IsScalar()) {
        Error(e.key.Mark(), label + ": keys must be plain names");
        continue;
      }
      const std::string& name = e.key.Scalar();
      if (std::find(std::begin(kColumnKeys), std::end(kColumnKeys), name) ==
          std::end(kColumnKeys)) {
        std::string known;
        for (auto k : kColumnKeys) known += (known.empty() ? "" : ", ") + std::string(k);
        Error(e.key.Mark(),
              label + ": unknown key '" + Printable(name) + "' (known keys: " + known + ")");
      } else if (!keys.emplace(name, e).second) {
        Error(e.key.Mark(), label + ": duplicate key '" + name + "'");
      }
    }
    auto find = [&](std::string_view key) -> const Entry* {
      auto it = keys.find(key);
      return it == keys.end() ? nullptr : &it->second;
    };

    if (const Entry* e = find("name")) {
      if (Text(*e, label, &spec->name)) {
        label = "column " + Quoted(spec->name);
        if (HasOuterSpace(spec->name)) {
          Error(e->At(), label + ": the name has leading or trailing spaces; remove them");
        } else {
          Unique(*e, spec->name);
        }
      }
    } else {
      Error(node.Mark(), label + ": 'name' is missing");
    }

    const Entry* role = find("role");
    if (!role) {
      Error(node.Mark(), label + ": 'role' is missing (input, output or ignore)");
    } else {
      Choice(*role, label, {"input", "output", "ignore"}, &spec->role);
    }
    // The keys that depend on the type are checked only when the type is known.
    bool type_known = true;
    if (const Entry* type = find("type")) {
      type_known = Choice(*type, label, {"numeric", "categorical"}, &spec->type);
    } else if (role && spec->role != Role::kIgnore) {
      Error(node.Mark(), label + ": 'type' is missing (numeric or categorical)");
      type_known = false;
    }
    const bool numeric = spec->type == ColumnType::kNumeric;
    if (type_known) {
      const Entry* levels = find("levels");
      if (levels && numeric) {
        Error(levels->key.Mark(), label + ": 'levels' is only for categorical columns");
      } else if (levels) {
        Levels(*levels, label, &spec->levels);
      } else if (!numeric) {
        Error(node.Mark(), label + ": a categorical column needs 'levels'");
      }
      for (const char* key : {"unit", "min", "max"}) {
        if (const Entry* e = find(key); e && !numeric) {
          Error(e->key.Mark(), label + ": '" + key + "' is only for numeric columns");
        }
      }
    }
    if (numeric) {
      if (const Entry* e = find("unit")) Text(*e, label, &spec->unit);
      if (const Entry* e = find("min")) Number(*e, label, &spec->min);
      if (const Entry* e = find("max")) Number(*e, label, &spec->max);
    }
    if (spec->min && spec->max && *spec->min > *spec->max) {
      Error(find("max")->At(), label + ": 'min' (" + FormatNumber(*spec->min) +
                                   ") is greater than 'max' (" + FormatNumber(*spec->max) + ")");
    }
    if (const Entry* e = find("missing")) {
      if (Choice(*e, label, {"reject", "drop", "mean", "median"}, &spec->missing) && type_known &&
          !numeric && (spec->missing == Missing::kMean || spec->missing == Missing::kMedian)) {
        Error(e->At(), label + ": missing: " + MissingName(spec->missing) +
                           " is only for numeric columns; use reject or drop");
      }
    }
    return problems_.size() == before;
  }

  // A non-empty scalar.
  bool Text(const Entry& e, const std::string& label, std::string* out) {
    if (!e.value.IsScalar() || e.value.Scalar().empty()) {
      Error(e.At(), label + ": '" + e.key.Scalar() + "' must be a non-empty text, got " +
                        (e.value.IsScalar() ? "an empty text" : Describe(e.value)));
      return false;
    }
    *out = e.value.Scalar();
    return true;
  }

  // One of `words`; *out is set to the enum value at the word's index.
  template <typename Enum>
  bool Choice(const Entry& e, const std::string& label, std::initializer_list<const char*> words,
              Enum* out) {
    if (e.value.IsScalar()) {
      int i = 0;
      for (const char* word : words) {
        if (e.value.Scalar() == word) {
          *out = static_cast<Enum>(i);
          return true;
        }
        ++i;
      }
    }
    std::string list;
    int i = 0;
    for (const char* word : words) {
      list += (i == 0 ? "" : i + 1 == static_cast<int>(words.size()) ? " or " : ", ");
      list += word;
      ++i;
    }
    Error(e.At(),
          label + ": '" + e.key.Scalar() + "' must be " + list + ", got " + Describe(e.value));
    return false;
  }

  // A plain (unquoted) YAML scalar that ParseNumber reads.
  void Number(const Entry& e, const std::string& label, std::optional<double>* out) {
    const bool plain = e.value.IsScalar() && e.value.Tag() == "?";
    double v = 0;
    const char* why = plain ? ParseNumber(e.value.Scalar(), &v) : nullptr;
    if (plain && why == nullptr) {
      *out = v;
      return;
    }
    Error(e.At(), label + ": '" + e.key.Scalar() + "' must be a finite number, got " +
                      Describe(e.value) + (plain ? " (" + std::string(why) + ")" : ""));
  }

  void Levels(const Entry& e, const std::string& label, std::vector<std::string>* out) {
    if (!e.value.IsSequence() || e.value.size() == 0) {
      Error(e.At(), label + ": 'levels' must be a non-empty list of texts, got " +
                        (e.value.IsSequence() ? std::string("an empty list") : Describe(e.value)));
      return;
    }
    if (e.value.size() > kMaxLevels) {
      Error(e.key.Mark(), label + ": " + std::to_string(e.value.size()) +
                              " levels, more than the limit of " + std::to_string(kMaxLevels));
      return;
    }
    std::unordered_set<std::string> seen;
    for (const auto& level : e.value) {
      if (!level.IsScalar()) {
        Error(level.IsNull() ? e.key.Mark() : level.Mark(),
              label + ": a level must be a text, got " + Describe(level));
      } else if (level.Scalar().empty()) {
        Error(level.Mark(), label +
                                ": a level must not be empty (an empty field is a missing "
                                "value)");
      } else if (!seen.insert(level.Scalar()).second) {
        Error(level.Mark(), label + ": level " + Quoted(level.Scalar()) + " is listed twice");
      } else {
        out->push_back(level.Scalar());
      }
    }
  }

  // Records the name; an error if it, or a name differing only in letter case, was seen.
  void Unique(const Entry& e, const std::string& name) {
    const int line = e.value.Mark().line + 1;
    auto [it, fresh] = names_.emplace(FoldCase(name), std::make_pair(name, line));
    if (fresh) return;
    const auto& [first, first_line] = it->second;
    const std::string column = "column " + Quoted(name);
    if (first == name) {
      Error(e.At(), column + " is listed twice, first on line " + std::to_string(first_line));
    } else {
      Error(e.At(), column + " and column " + Quoted(first) + " (line " +
                        std::to_string(first_line) + ") differ only in letter case");
    }
  }

  std::string file_;
  std::vector<Problem> problems_;
  std::unordered_map<std::string, std::pair<std::string, int>> names_;  // folded -> name, line
};

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kInput:
      return "input";
    case Role::kOutput:
      return "output";
    case Role::kIgnore:
      return "ignore";
  }
  return "?";
}

const char* TypeName(ColumnType type) {
  return type == ColumnType::kNumeric ? "numeric" : "categorical";
}

const char* MissingName(Missing missing) {
  switch (missing) {
    case Missing::kReject:
      return "reject";
    case Missing::kDrop:
      return "drop";
    case Missing::kMean:
      return "mean";
    case Missing::kMedian:
      return "median";
  }
  return "?";
}

Result<Schema> ParseSchema(std::string_view yaml, const std::string& file) {
  Checker check(file);
  Schema schema;
  if (yaml.size() > kMaxSchemaBytes) {
    check.Error(YAML::Mark(), "the schema is " + std::to_string(yaml.size()) +
                                  " bytes, more than the limit of " +
                                  std::to_string(kMaxSchemaBytes));
    return check.Finish(std::move(schema));
  }
  try {
    std::vector<YAML::Node> documents = LoadYamlDocuments(std::string(yaml));
    if (documents.size() > 1) {
      check.Error(documents[1].Mark(), "a schema file holds one YAML document; found " +
                                           std::to_string(documents.size()));
    } else {
      check.Root(documents.empty() ? YAML::Node() : documents[0], &schema);
    }
  } catch (const YAML::Exception& e) {
    check.Error(e.mark, "invalid YAML: " + e.msg);
  }
  return check.Finish(std::move(schema));
}

std::string SchemaToYaml(const Schema& schema) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
  for (const ColumnSpec& c : schema.columns) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << c.name;
    out << YAML::Key << "role" << YAML::Value << RoleName(c.role);
    ColumnSpec bare;
    bare.name = c.name;
    bare.role = Role::kIgnore;
    const bool plain = c == bare;  // an ignored column with nothing but defaults
    if (!plain) {
      out << YAML::Key << "type" << YAML::Value << TypeName(c.type);
      if (c.type == ColumnType::kCategorical) {
        out << YAML::Key << "levels" << YAML::Value << YAML::Flow << c.levels;
      }
      if (!c.unit.empty()) out << YAML::Key << "unit" << YAML::Value << c.unit;
      if (c.min) out << YAML::Key << "min" << YAML::Value << FormatNumber(*c.min);
      if (c.max) out << YAML::Key << "max" << YAML::Value << FormatNumber(*c.max);
      if (c.missing != Missing::kReject) {
        out << YAML::Key << "missing" << YAML::Value << MissingName(c.missing);
      }
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Result<Schema> InferSchema(const CsvTable& table, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs) {
  const auto& header = table.header();
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < header.size(); ++i) index.emplace(header[i], i);

  std::vector<std::string> problems;
  std::vector<std::optional<Role>> roles(header.size());
  auto assign = [&](const std::vector<std::string>& names, Role role) {
    const std::string what = RoleName(role);
    if (names.empty()) problems.push_back("no " + what + " column given");
    for (const std::string& name : names) {
      auto it = index.find(name);
      if (it == index.end()) {
        std::string all;
        for (const auto& h : header) all += (all.empty() ? "" : ", ") + Quoted(h);
        problems.push_back(what + " column " + Quoted(name) +
                           " is not in the CSV; its columns are " + all);
      } else if (roles[it->second] == role) {
        problems.push_back(what + " column " + Quoted(name) + " is listed twice");
      } else if (roles[it->second]) {
        problems.push_back("column " + Quoted(name) + " is listed as both input and output");
      } else {
        roles[it->second] = role;
      }
    }
  };
  assign(inputs, Role::kInput);
  assign(outputs, Role::kOutput);
  auto joined = [&] {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    return message;
  };
  if (!problems.empty()) return Status::Error("invalid_argument", joined());

  Schema schema;
  schema.columns.reserve(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    ColumnSpec spec;
    spec.name = header[c];
    spec.role = roles[c].value_or(Role::kIgnore);
    if (roles[c]) {
      size_t values = 0;
      std::optional<size_t> not_numeric;  // the first row whose value is not a number
      const char* why = nullptr;
      for (size_t r = 0; r < table.row_count(); ++r) {
        const std::string_view v = table.field(r, c);
        if (v.empty()) continue;
        ++values;
        double ignored;
        if (!not_numeric && (why = ParseNumber(v, &ignored)) != nullptr) not_numeric = r;
      }
      const std::string name = "column " + Quoted(header[c]);
      if (values == 0) {
        problems.push_back(name + " has no values; its type cannot be inferred");
      } else if (not_numeric) {
        spec.type = ColumnType::kCategorical;
        std::unordered_set<std::string_view> levels;
        for (size_t r = 0; r < table.row_count() && levels.size() <= kMaxLevels; ++r) {
          if (!table.field(r, c).empty()) levels.insert(table.field(r, c));
        }
        if (levels.size() > kMaxLevels) {
          problems.push_back(name + " is not numeric (" + table.RowName(*not_numeric) + ": value " +
                             Quoted(table.field(*not_numeric, c)) + ": " + why +
                             ") and has more than " + std::to_string(kMaxLevels) +
                             " distinct values, the limit for a categorical column");
        } else {
          spec.levels.assign(levels.begin(), levels.end());
          std::sort(spec.levels.begin(), spec.levels.end());
        }
      }
    }
    schema.columns.push_back(std::move(spec));
  }
  if (!problems.empty()) return Status::Error("invalid_data", joined());
  return schema;
}

}  // namespace sigmad::dataset
