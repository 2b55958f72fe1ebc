#include "policy/schema.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <utility>

namespace sigmad::policy {

// A scalar of an enum or const, typed as YamlType types it.
struct Scalar {
  std::string type, text;
};

struct Schema::Node {
  enum class Type { kAny, kObject, kArray, kString, kInteger, kNumber, kBoolean };
  Type type = Type::kAny;
  std::string ref_name;
  const Node* ref = nullptr;  // resolved after the whole schema is compiled
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> properties;  // schema order
  bool closed = false;                                                    // no other fields
  std::vector<std::string> required;
  std::optional<size_t> min_properties, max_properties;
  std::unique_ptr<Node> items;
  std::optional<size_t> min_items, max_items;
  bool unique_items = false;
  std::vector<Scalar> enum_values;
  std::optional<Scalar> const_value;
  std::optional<double> minimum, maximum;
  std::optional<size_t> min_length, max_length;
  std::optional<std::regex> pattern;
  std::string pattern_text;
  std::string format;
  std::map<std::string, std::unique_ptr<Node>> defs;  // the root's $defs

  const Node* Property(const std::string& name) const {
    for (const auto& [n, s] : properties) {
      if (n == name) return s.get();
    }
    return nullptr;
  }
};

namespace {

using Node = Schema::Node;
using Type = Schema::Node::Type;

// ---------------------------------------------------------------- YAML scalar typing

const std::regex& IntegerRe() {
  static const std::regex re("^[-+]?[0-9]+$");
  return re;
}
const std::regex& NumberRe() {
  static const std::regex re(
      R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$)");
  return re;
}

bool IsBoolText(const std::string& s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" ||
         s == "FALSE";
}

bool BoolValue(const std::string& s) { return s == "true" || s == "True" || s == "TRUE"; }

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// The value as a message shows it: strings quoted, others as written.
std::string Show(const std::string& type, const std::string& text) {
  return type == "string" ? Quote(text) : text;
}

std::string Describe(const YAML::Node& node) {
  const std::string type = YamlType(node);
  if (type == "null") return "nothing (null)";
  if (type == "mapping") return "a mapping";
  if (type == "list") return "a list";
  if (type == "boolean") return "the boolean " + node.Scalar();
  if (type == "integer") return "the integer " + node.Scalar();
  if (type == "number") return "the number " + node.Scalar();
  return "the string " + Quote(node.Scalar());
}

std::string TypeWanted(Type t) {
  switch (t) {
    case Type::kObject:
      return "a mapping";
    case Type::kArray:
      return "a list";
    case Type::kString:
      return "a string";
    case Type::kInteger:
      return "an integer";
    case Type::kNumber:
      return "a number";
    case Type::kBoolean:
      return "true or false";
    case Type::kAny:
      break;
  }
  return "anything";
}

bool TypeMatches(Type t, const std::string& yaml_type) {
  switch (t) {
    case Type::kAny:
      return true;
    case Type::kObject:
      return yaml_type == "mapping";
    case Type::kArray:
      return yaml_type == "list";
    case Type::kString:
      return yaml_type == "string";
    case Type::kInteger:
      return yaml_type == "integer";
    case Type::kNumber:
      return yaml_type == "number" || yaml_type == "integer";
    case Type::kBoolean:
      return yaml_type == "boolean";
  }
  return false;
}

bool ScalarEquals(const Scalar& want, const YAML::Node& node) {
  const std::string type = YamlType(node);
  if (want.type == "integer" || want.type == "number") {
    if (type != "integer" && type != "number") return false;
    return std::strtod(want.text.c_str(), nullptr) == std::strtod(node.Scalar().c_str(), nullptr);
  }
  if (type != want.type) return false;
  if (type == "boolean") return BoolValue(want.text) == BoolValue(node.Scalar());
  if (type == "null") return true;
  return want.text == node.Scalar();
}

// Levenshtein distance, ignoring case: for "did you mean".
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string FormatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

// ---------------------------------------------------------------- compiling

class Compiler {
 public:
  explicit Compiler(std::string name) : name_(std::move(name)) {}

  Status Error(const std::string& where, const std::string& message) const {
    return Status::Error("invalid_schema", "schema " + name_ + ", at " +
                                               (where.empty() ? "the root" : where) + ": " +
                                               message);
  }

  Result<std::unique_ptr<Node>> Compile(const YAML::Node& js, const std::string& where,
                                        bool root) {
    if (!js.IsMap()) return Error(where, "a schema must be an object");
    auto node = std::make_unique<Node>();
    for (const auto& kv : js) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      const std::string at = where + "/" + key;
      Status s = Keyword(*node, key, v, at, root);
      if (!s.ok()) return s;
    }
    if (node->type == Type::kObject && !node->closed) {
      return Error(where, "every object schema must set \"additionalProperties\": false");
    }
    for (const std::string& r : node->required) {
      if (!node->Property(r)) return Error(where, "required field \"" + r + "\" has no schema");
    }
    return node;
  }

  // Resolves every $ref against the root's $defs.
  Status Resolve(Node& node, const Node& root, const std::string& where) {
    if (!node.ref_name.empty()) {
      auto it = root.defs.find(node.ref_name);
      if (it == root.defs.end()) {
        return Error(where, "$ref names \"#/$defs/" + node.ref_name + "\", which does not exist");
      }
      node.ref = it->second.get();
    }
    for (auto& [name, child] : node.properties) {
      if (Status s = Resolve(*child, root, where + "/properties/" + name); !s.ok()) return s;
    }
    if (node.items) {
      if (Status s = Resolve(*node.items, root, where + "/items"); !s.ok()) return s;
    }
    for (auto& [name, def] : node.defs) {
      if (Status s = Resolve(*def, root, "/$defs/" + name); !s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  static std::optional<size_t> Count(const YAML::Node& v) {
    const auto n = IntegerValue(v);
    if (!n || *n < 0) return std::nullopt;
    return static_cast<size_t>(*n);
  }

  Result<Scalar> ScalarOf(const YAML::Node& v, const std::string& at) const {
    const std::string t = YamlType(v);
    if (t == "mapping" || t == "list") return Error(at, "only scalar values are supported here");
    return Scalar{t, v.IsScalar() ? v.Scalar() : ""};
  }

  Status Keyword(Node& node, const std::string& key, const YAML::Node& v, const std::string& at,
                 bool root) {
    static const std::set<std::string> kAnnotations = {"$schema", "$id",        "$comment",
                                                       "title",   "description", "examples"};
    if (kAnnotations.count(key)) return Status::Ok();
    if (key == "type") {
      static const std::map<std::string, Type> kTypes = {
          {"object", Type::kObject},   {"array", Type::kArray},    {"string", Type::kString},
          {"integer", Type::kInteger}, {"number", Type::kNumber},  {"boolean", Type::kBoolean}};
      auto it = v.IsScalar() ? kTypes.find(v.Scalar()) : kTypes.end();
      if (it == kTypes.end()) {
        return Error(at, "\"type\" must be one of object, array, string, integer, number, boolean");
      }
      node.type = it->second;
      return Status::Ok();
    }
    if (key == "$defs") {
      if (!root) return Error(at, "$defs is supported at the root only");
      if (!v.IsMap()) return Error(at, "$defs must be an object");
      for (const auto& d : v) {
        auto def = Compile(d.second, at + "/" + d.first.Scalar(), false);
        if (!def.ok()) return def.status();
        node.defs[d.first.Scalar()] = std::move(def).value();
      }
      return Status::Ok();
    }
    if (key == "$ref") {
      const std::string prefix = "#/$defs/";
      if (!v.IsScalar() || v.Scalar().rfind(prefix, 0) != 0) {
        return Error(at, "only local references \"#/$defs/NAME\" are supported");
      }
      node.ref_name = v.Scalar().substr(prefix.size());
      return Status::Ok();
    }
    if (key == "properties") {
      if (!v.IsMap()) return Error(at, "properties must be an object");
      for (const auto& p : v) {
        auto child = Compile(p.second, at + "/" + p.first.Scalar(), false);
        if (!child.ok()) return child.status();
        node.properties.emplace_back(p.first.Scalar(), std::move(child).value());
      }
      return Status::Ok();
    }
    if (key == "required") {
      if (!v.IsSequence()) return Error(at, "required must be an array of names");
      for (const auto& r : v) node.required.push_back(r.Scalar());
      return Status::Ok();
    }
    if (key == "additionalProperties") {
      if (!v.IsScalar() || v.Scalar() != "false") {
        return Error(at, "only \"additionalProperties\": false is supported");
      }
      node.closed = true;
      return Status::Ok();
    }
    if (key == "items") {
      auto child = Compile(v, at, false);
      if (!child.ok()) return child.status();
      node.items = std::move(child).value();
      return Status::Ok();
    }
    if (key == "uniqueItems") {
      node.unique_items = v.IsScalar() && v.Scalar() == "true";
      return Status::Ok();
    }
    static const std::map<std::string, std::optional<size_t> Node::*> kCounts = {
        {"minProperties", &Node::min_properties}, {"maxProperties", &Node::max_properties},
        {"minItems", &Node::min_items},           {"maxItems", &Node::max_items},
        {"minLength", &Node::min_length},         {"maxLength", &Node::max_length}};
    if (auto it = kCounts.find(key); it != kCounts.end()) {
      node.*(it->second) = Count(v);
      if (!(node.*(it->second))) return Error(at, key + " must be a non-negative integer");
      return Status::Ok();
    }
    if (key == "minimum" || key == "maximum") {
      const std::string t = YamlType(v);
      if (t != "integer" && t != "number") return Error(at, key + " must be a number");
      (key == "minimum" ? node.minimum : node.maximum) = std::strtod(v.Scalar().c_str(), nullptr);
      return Status::Ok();
    }
    if (key == "enum") {
      if (!v.IsSequence() || v.size() == 0) return Error(at, "enum must be a non-empty array");
      for (const auto& e : v) {
        auto s = ScalarOf(e, at);
        if (!s.ok()) return s.status();
        node.enum_values.push_back(std::move(s).value());
      }
      return Status::Ok();
    }
    if (key == "const") {
      auto s = ScalarOf(v, at);
      if (!s.ok()) return s.status();
      node.const_value = std::move(s).value();
      return Status::Ok();
    }
    if (key == "pattern") {
      try {
        node.pattern.emplace(v.Scalar(), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error(at, "pattern is not a valid regular expression: " + std::string(e.what()));
      }
      node.pattern_text = v.Scalar();
      return Status::Ok();
    }
    if (key == "format") {
      if (v.Scalar() != "cidr" && v.Scalar() != "time-of-day") {
        return Error(at, "format \"" + v.Scalar() + "\" is not supported (cidr, time-of-day)");
      }
      node.format = v.Scalar();
      return Status::Ok();
    }
    return Error(at, "keyword \"" + key + "\" is not supported by sigmad's validator");
  }

  std::string name_;
};

// ---------------------------------------------------------------- validating

class Validator {
 public:
  explicit Validator(std::vector<Problem>* problems) : problems_(problems) {}

  void Check(const Node& s, const YAML::Node& v, const std::string& path) {
    if (s.ref != nullptr) {
      const size_t before = problems_->size();
      Check(*s.ref, v, path);
      if (problems_->size() != before) return;  // one message per field is enough
    }
    const std::string type = YamlType(v);
    if (!TypeMatches(s.type, type)) {
      std::string hint;
      if (s.type == Type::kString &&
          (type == "integer" || type == "number" || type == "boolean")) {
        hint = " (to mean the text, quote it: " + Quote(v.Scalar()) + ")";
      } else if (s.type == Type::kBoolean && type == "string") {
        hint = " (write true or false)";
      }
      Error(v, Name(path) + " must be " + TypeWanted(s.type) + ", got " + Describe(v) + hint);
      return;
    }
    if (s.const_value && !ScalarEquals(*s.const_value, v)) {
      Error(v, Name(path) + " must be " + Show(s.const_value->type, s.const_value->text) +
                   ", got " + Describe(v));
      return;
    }
    if (!s.enum_values.empty()) {
      bool found = false;
      std::string list;
      for (const Scalar& e : s.enum_values) {
        found = found || ScalarEquals(e, v);
        list += (list.empty() ? "" : ", ") + Show(e.type, e.text);
      }
      if (!found) {
        Error(v, Name(path) + " must be one of " + list + "; got " + Describe(v));
        return;
      }
    }
    if (type == "integer" || type == "number") Number(s, v, path);
    if (type == "string") String(s, v, path);
    if (type == "list") List(s, v, path);
    if (type == "mapping") Mapping(s, v, path);
  }

 private:
  static std::string Name(const std::string& path) {
    return path.empty() ? "the document" : "'" + path + "'";
  }

  // yaml-cpp marks a missing value ("key:" and nothing) at the next token, a line or
  // more later: report it at its key instead.
  YAML::Mark MarkOf(const YAML::Node& node) const {
    if (node.IsNull() && !key_marks_.empty() && node.Mark().line != key_marks_.back().line) {
      return key_marks_.back();
    }
    return node.Mark();
  }
  void Error(const YAML::Node& node, std::string message) { Error(MarkOf(node), std::move(message)); }
  void Error(const YAML::Mark& mark, std::string message) {
    problems_->push_back({mark.line + 1, mark.column + 1, std::move(message)});
  }

  void Number(const Node& s, const YAML::Node& v, const std::string& path) {
    const std::string& text = v.Scalar();
    const double x = std::strtod(text.c_str(), nullptr);
    if (std::isnan(x) || std::isinf(x)) {
      Error(v, Name(path) + " must be a finite number, got " + text);
      return;
    }
    // Integers beyond 2^53 lose precision in a double; they are out of every range here.
    if (s.minimum && x < *s.minimum) {
      Error(v, Name(path) + " must be at least " + FormatNumber(*s.minimum) + ", got " + text);
    } else if (s.maximum && x > *s.maximum) {
      Error(v, Name(path) + " must be at most " + FormatNumber(*s.maximum) + ", got " + text);
    }
  }

  void String(const Node& s, const YAML::Node& v, const std::string& path) {
    const std::string& text = v.Scalar();
    const size_t n = CodePoints(text);
    if (s.min_length && n < *s.min_length) {
      Error(v, Name(path) + (n == 0 ? " must not be empty"
                                    : " must be at least " +
                                          Plural(*s.min_length, "character", "characters") +
                                          " long, got " + std::to_string(n)));
      return;
    }
    if (s.max_length && n > *s.max_length) {
      Error(v, Name(path) + " must be at most " +
                   Plural(*s.max_length, "character", "characters") + " long, got " +
                   std::to_string(n));
      return;
    }
    if (s.pattern && !std::regex_search(text, *s.pattern)) {
      Error(v, Name(path) + " must match " + s.pattern_text + ", got " + Quote(text));
      return;
    }
    if (s.format == "cidr") {
      std::string why;
      if (!IsCidr(text, &why)) {
        Error(v, Name(path) + " must be a network in CIDR notation such as 10.0.0.0/8 or "
                              "fd00::/8, got " +
                     Quote(text) + ": " + why);
      }
    } else if (s.format == "time-of-day" && !IsTimeOfDay(text)) {
      Error(v, Name(path) + " must be a time of day HH:MM from 00:00 to 23:59, got " +
                   Quote(text));
    }
  }

  void List(const Node& s, const YAML::Node& v, const std::string& path) {
    const size_t n = v.size();
    if (s.min_items && n < *s.min_items) {
      Error(v, Name(path) + " must list at least " + Plural(*s.min_items, "entry", "entries") +
                   ", got " + std::to_string(n));
    } else if (s.max_items && n > *s.max_items) {
      Error(v, Name(path) + " must list at most " + Plural(*s.max_items, "entry", "entries") +
                   ", got " + std::to_string(n));
    }
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < n; ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      if (s.items) Check(*s.items, v[i], item_path);
      if (s.unique_items) {
        auto [it, fresh] = seen.emplace(CanonicalJson(v[i]), i);
        if (!fresh) {
          Error(v[i], Name(item_path) + " repeats '" + path + "[" + std::to_string(it->second) +
                          "]'; the entries must be different");
        }
      }
    }
  }

  void Mapping(const Node& s, const YAML::Node& v, const std::string& path) {
    std::map<std::string, int> seen;  // name -> line
    for (const auto& kv : v) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar() || YamlType(key) == "null") {
        Error(key.Mark(), Name(path) + " has a key that is not a plain name");
        continue;
      }
      const std::string name = key.Scalar();
      const std::string child = path.empty() ? name : path + "." + name;
      if (auto [it, fresh] = seen.emplace(name, key.Mark().line + 1); !fresh) {
        Error(key.Mark(),
              "duplicate field '" + child + "' (first at line " + std::to_string(it->second) + ")");
        continue;
      }
      const Node* prop = s.Property(name);
      if (prop == nullptr) {
        if (s.closed) Error(key.Mark(), UnknownField(s, name, child, path));
        continue;
      }
      key_marks_.push_back(key.Mark());
      Check(*prop, kv.second, child);
      key_marks_.pop_back();
    }
    for (const std::string& r : s.required) {
      if (!seen.count(r)) Error(v, Name(path) + " is missing required field '" + r + "'");
    }
    const size_t n = seen.size();
    if (s.min_properties && s.max_properties && *s.min_properties == 1 &&
        *s.max_properties == 1 && (n == 0 || n > 1)) {
      std::string names, set;
      for (const auto& [p, _] : s.properties) {
        names += (names.empty() ? "" : ", ") + p;
        if (seen.count(p)) set += (set.empty() ? "" : " and ") + p;
      }
      Error(v, Name(path) + " must set exactly one of " + names + "; it sets " +
                   (n == 0 ? "none" : set));
    } else if (s.min_properties && n < *s.min_properties) {
      Error(v, Name(path) + " must set at least " +
                   Plural(*s.min_properties, "field", "fields") + ", got " + std::to_string(n));
    } else if (s.max_properties && n > *s.max_properties) {
      Error(v, Name(path) + " must set at most " + Plural(*s.max_properties, "field", "fields") +
                   ", got " + std::to_string(n));
    }
  }

  static std::string UnknownField(const Node& s, const std::string& name, const std::string& child,
                                  const std::string& path) {
    std::vector<std::string> known;
    for (const auto& [p, _] : s.properties) known.push_back(p);
    std::sort(known.begin(), known.end());
    std::string list, best;
    size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
    for (const std::string& k : known) {
      list += (list.empty() ? "" : ", ") + k;
      if (const size_t d = Distance(name, k); d < best_d) {
        best_d = d;
        best = k;
      }
    }
    std::string m = "unknown field '" + child + "' (known fields" +
                    (path.empty() ? "" : " in '" + path + "'") + ": " + list + ")";
    if (!best.empty()) m += "; did you mean '" + best + "'?";
    return m;
  }

  std::vector<Problem>* problems_;
  std::vector<YAML::Mark> key_marks_;  // keys of the values being checked, innermost last
};

}  // namespace

std::string YamlType(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
    case YAML::NodeType::Sequence:
      return "list";
    case YAML::NodeType::Map:
      return "mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& tag = node.Tag();
  const std::string& s = node.Scalar();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return "string";
  // An explicit !!int / !!float / !!bool types a scalar only if it reads as one: a
  // "!!int abc" is the string "abc" (and fails an integer field as such).
  if (tag == "tag:yaml.org,2002:int") return std::regex_match(s, IntegerRe()) ? "integer" : "string";
  if (tag == "tag:yaml.org,2002:float") {
    return std::regex_match(s, NumberRe()) || std::regex_match(s, IntegerRe()) ? "number" : "string";
  }
  if (tag == "tag:yaml.org,2002:bool") return IsBoolText(s) ? "boolean" : "string";
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return "null";
  if (IsBoolText(s)) return "boolean";
  if (std::regex_match(s, IntegerRe())) return "integer";
  if (std::regex_match(s, NumberRe())) return "number";
  return "string";
}

std::optional<long long> IntegerValue(const YAML::Node& node) {
  if (YamlType(node) != "integer") return std::nullopt;
  const std::string& s = node.Scalar();
  const char* begin = s.data() + (s[0] == '+' ? 1 : 0);  // from_chars takes no '+'
  long long v = 0;
  if (std::from_chars(begin, s.data() + s.size(), v).ec != std::errc()) return std::nullopt;
  return v;
}

std::string CanonicalJson(const YAML::Node& node) {
  const std::string type = YamlType(node);
  if (type == "mapping") {
    std::map<std::string, std::string> fields;  // sorted keys; duplicates: the first
    for (const auto& kv : node) fields.emplace(kv.first.Scalar(), CanonicalJson(kv.second));
    std::string out = "{";
    for (const auto& [k, v] : fields) out += (out.size() > 1 ? "," : "") + JsonString(k) + ":" + v;
    return out + "}";
  }
  if (type == "list") {
    std::string out = "[";
    for (const auto& item : node) out += (out.size() > 1 ? "," : "") + CanonicalJson(item);
    return out + "]";
  }
  if (type == "null") return "null";
  if (type == "boolean") return BoolValue(node.Scalar()) ? "true" : "false";
  if (type == "integer") {
    if (const auto v = IntegerValue(node)) return std::to_string(*v);
    return JsonString(node.Scalar());  // beyond 64 bits: kept exact, as text
  }
  if (type == "number") {
    const double x = std::strtod(node.Scalar().c_str(), nullptr);
    if (std::isfinite(x)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", x);
      return buf;
    }
    return JsonString(node.Scalar());
  }
  return JsonString(node.Scalar());
}

bool IsCidr(const std::string& text, std::string* why) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    *why = "no /prefix length";
    return false;
  }
  const std::string addr = text.substr(0, slash);
  const std::string prefix = text.substr(slash + 1);
  const bool v6 = addr.find(':') != std::string::npos;
  unsigned char bytes[16] = {};
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), bytes) != 1) {
    *why = Quote(addr) + " is not an IPv" + std::string(v6 ? "6" : "4") + " address";
    return false;
  }
  const int max = v6 ? 128 : 32;
  int len = -1;
  if (!prefix.empty() && prefix.size() <= 3 &&
      std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    len = std::stoi(prefix);
  }
  if (len < 0 || len > max) {
    *why = "the prefix length must be 0 to " + std::to_string(max);
    return false;
  }
  unsigned char network[16] = {};
  const int nbytes = max / 8;
  for (int i = 0; i < nbytes; ++i) {
    const int bits = std::clamp(len - i * 8, 0, 8);
    const auto mask = static_cast<unsigned char>(bits == 0 ? 0 : 0xFF << (8 - bits));
    network[i] = bytes[i] & mask;
  }
  if (!std::equal(network, network + nbytes, bytes)) {
    char shown[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, network, shown, sizeof shown);
    *why = "host bits are set; the network is " + std::string(shown) + "/" + prefix;
    return false;
  }
  return true;
}

bool IsTimeOfDay(const std::string& text) {
  static const std::regex re("^([01][0-9]|2[0-3]):[0-5][0-9]$");
  return std::regex_match(text, re);
}

Result<Schema> Schema::Compile(std::string_view json, const std::string& name) {
  YAML::Node js;
  try {
    js = YAML::Load(std::string(json));
  } catch (const YAML::Exception& e) {
    return Status::Error("invalid_schema", "schema " + name + " is not valid JSON: " + e.msg);
  }
  Compiler compiler(name);
  auto root = compiler.Compile(js, "", true);
  if (!root.ok()) return root.status();
  std::shared_ptr<Node> owned = std::move(root).value();
  if (Status s = compiler.Resolve(*owned, *owned, ""); !s.ok()) return s;
  return Schema(std::move(owned));
}

std::vector<std::string> Schema::SpecFields() const {
  std::vector<std::string> out;
  const Node* spec = root_->Property("spec");
  if (spec != nullptr && spec->ref != nullptr) spec = spec->ref;
  if (spec == nullptr) return out;
  for (const auto& [name, _] : spec->properties) out.push_back(name);
  return out;
}

void Schema::Validate(const YAML::Node& doc, std::vector<Problem>* problems) const {
  Validator(problems).Check(*root_, doc, "");
}

}  // namespace sigmad::policy
