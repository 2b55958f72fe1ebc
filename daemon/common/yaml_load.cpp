#include "common/yaml_load.h"

#include <algorithm>
#include <string_view>

namespace sigmad {
namespace {

// Whether a loaded document is a tree of sane size (aliases expanded).
bool WithinLimits(const YAML::Node& n, int depth, const YamlLimits& limits, size_t* budget) {
  if (depth > limits.max_depth || *budget == 0) return false;
  --*budget;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!WithinLimits(kv.first, depth + 1, limits, budget) ||
          !WithinLimits(kv.second, depth + 1, limits, budget)) {
        return false;
      }
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!WithinLimits(item, depth + 1, limits, budget)) return false;
    }
  }
  return true;
}

bool IsMarker(std::string_view line, std::string_view marker) {
  return line.substr(0, 3) == marker &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// A document that reads as null: no node, or a plain null scalar.
bool IsNullDocument(const YAML::Node& doc) {
  if (!doc.IsDefined() || doc.IsNull()) return true;
  return doc.IsScalar() && (doc.Tag() == "?" || doc.Tag().empty()) && IsNullText(doc.Scalar());
}

struct Chunk {
  size_t begin, end;  // byte offsets
  int first_line;     // 0-based
};

// Throws unless the text of a null document is only markers, directives, comments and
// null: yaml-cpp reads some garbage as an empty document.
void CheckNullDocument(const std::string& text, const Chunk& c) {
  int n = c.first_line;
  for (size_t at = c.begin; at < c.end; ++n) {
    const size_t eol = std::min(text.find('\n', at), c.end);
    const char* line_start = text.data() + at;
    std::string_view l(line_start, eol - at);
    at = eol + 1;
    if (IsMarker(l, "---") || IsMarker(l, "...")) l.remove_prefix(3);
    const size_t first = l.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    l.remove_prefix(first);
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r')) {
      l.remove_suffix(1);
    }
    if (l[0] == '#' || l[0] == '%' || IsNullText(l)) continue;
    YAML::Mark mark;
    mark.line = n;
    mark.column = static_cast<int>(l.data() - line_start);
    throw YAML::ParserException(mark, "this is not a YAML document");
  }
}

}  // namespace

std::vector<YAML::Node> LoadYamlDocuments(const std::string& text, const YamlLimits& limits) {
  std::vector<Chunk> chunks;
  size_t begin = 0;
  int line = 0, begin_line = 0;
  for (size_t at = 0; at <= text.size();) {
    const size_t eol = std::min(text.find('\n', at), text.size());
    const std::string_view l(text.data() + at, eol - at);
    if (IsMarker(l, "---") && at > begin) {  // a new document starts at this line
      chunks.push_back({begin, at, begin_line});
      begin = at;
      begin_line = line;
    } else if (IsMarker(l, "...")) {  // the document ends with this line
      chunks.push_back({begin, std::min(eol + 1, text.size()), begin_line});
      begin = std::min(eol + 1, text.size());
      begin_line = line + 1;
    }
    at = eol + 1;
    ++line;
    if (chunks.size() > limits.max_documents) break;
  }
  if (begin < text.size()) chunks.push_back({begin, text.size(), begin_line});
  if (chunks.size() > limits.max_documents) {
    throw YAML::ParserException(YAML::Mark::null_mark(),
                                "the stream holds more than " +
                                    std::to_string(limits.max_documents) + " YAML documents");
  }
  std::vector<YAML::Node> docs;
  for (const Chunk& c : chunks) {
    std::string one(static_cast<size_t>(c.first_line), '\n');
    one.append(text, c.begin, c.end - c.begin);
    YAML::Node doc = YAML::Load(one);
    if (size_t budget = limits.max_nodes; !WithinLimits(doc, 0, limits, &budget)) {
      throw YAML::ParserException(
          doc.Mark(), "the document nests deeper than " + std::to_string(limits.max_depth) +
                          " levels or has more than " + std::to_string(limits.max_nodes) +
                          " nodes (an alias loop or expansion?)");
    }
    if (IsNullDocument(doc)) CheckNullDocument(text, c);
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace sigmad
