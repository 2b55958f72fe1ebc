#include "policy/set.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <tuple>

#include "common/file.h"
#include "policy/rules.h"

namespace sigmad::policy {
namespace {

namespace fs = std::filesystem;

struct EmbeddedSchema {
  const char* kind;
  const char* json;
};

// Generated from policies/schema/*.schema.json by cmake/embed_schemas.cmake.
#include "policy_schemas.inc"

struct Compiled {
  std::map<std::string, Schema> schemas;
  Status status;
};

const Compiled& AllSchemas() {
  static const Compiled compiled = [] {
    Compiled c;
    for (const EmbeddedSchema& e : kEmbeddedSchemas) {
      auto s = Schema::Compile(e.json, std::string(e.kind) + ".schema.json");
      if (!s.ok()) {
        if (c.status.ok()) c.status = s.status();
        continue;
      }
      c.schemas.emplace(e.kind, std::move(s).value());
    }
    return c;
  }();
  return compiled;
}

// The document's kind, if it names one; else a diagnostic at the right place.
bool KindOf(const YAML::Node& doc, const std::string& file, std::string* kind,
            std::vector<Diagnostic>* errors) {
  const YAML::Mark at = doc.Mark();
  if (!doc.IsMap()) {
    errors->push_back({file, at.line + 1, at.column + 1,
                       "a policy document must be a mapping with apiVersion, kind, metadata and "
                       "spec; got " +
                           (YamlType(doc) == "list" ? std::string("a list") : "a " + YamlType(doc))});
    return false;
  }
  std::string known;
  for (const std::string& k : Kinds()) known += (known.empty() ? "" : ", ") + k;
  const YAML::Node k = doc["kind"];
  if (!k) {
    errors->push_back({file, at.line + 1, at.column + 1,
                       "the document is missing required field 'kind' (one of " + known + ")"});
    return false;
  }
  if (YamlType(k) != "string" || SchemaFor(k.Scalar()) == nullptr) {
    const YAML::Mark m = k.Mark();
    errors->push_back({file, m.line + 1, m.column + 1,
                       "'kind' must be one of " + known + "; got " +
                           (YamlType(k) == "string" ? "\"" + k.Scalar() + "\""
                                                    : "a " + YamlType(k))});
    return false;
  }
  *kind = k.Scalar();
  return true;
}

// The documents of a YAML stream, like YAML::LoadAll. yaml-cpp 0.7's LoadAll loops
// forever, allocating, on some malformed streams (a stray "," is enough: yaml-cpp issue
// #1040, fixed upstream by PR #1319 after Debian 12's 0.7.0), and the fuzzer found it.
// So the stream is cut into documents at its "---" and "..." marker lines (which end a
// document wherever they appear, even inside a block scalar), and each is loaded alone
// with YAML::Load, after as many newlines as lines before it, so marks keep the
// stream's line numbers. Throws YAML::Exception like LoadAll.
constexpr size_t kMaxDocumentsPerFile = 256;

bool IsMarker(std::string_view line, std::string_view marker) {
  return line.substr(0, 3) == marker &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

std::vector<YAML::Node> LoadDocuments(const std::string& text, const std::string& file,
                                      std::vector<Diagnostic>* errors) {
  struct Chunk {
    size_t begin, end;  // byte offsets
    int first_line;     // 0-based
  };
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
  }
  if (begin < text.size()) chunks.push_back({begin, text.size(), begin_line});
  if (chunks.size() > kMaxDocumentsPerFile) {
    errors->push_back({file, 0, 0, "holds more than " + std::to_string(kMaxDocumentsPerFile) +
                                       " YAML documents"});
    return {};
  }
  std::vector<YAML::Node> docs;
  for (const Chunk& c : chunks) {
    std::string one(static_cast<size_t>(c.first_line), '\n');
    one.append(text, c.begin, c.end - c.begin);
    YAML::Node doc = YAML::Load(one);
    if (YamlType(doc) == "null") {
      // yaml-cpp also reads some garbage (a lone ",") as an empty document: a null
      // document may hold only markers, directives, comments and null itself.
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
        if (l[0] == '#' || l[0] == '%' || l == "~" || l == "null" || l == "Null" ||
            l == "NULL") {
          continue;
        }
        YAML::Mark mark;
        mark.line = n;
        mark.column = static_cast<int>(l.data() - line_start);
        throw YAML::ParserException(mark, "this is not a YAML document");
      }
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace

const std::vector<std::string>& Kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (const EmbeddedSchema& e : kEmbeddedSchemas) out.emplace_back(e.kind);
    std::sort(out.begin(), out.end());
    return out;
  }();
  return kinds;
}

const Schema* SchemaFor(const std::string& kind) {
  const auto& all = AllSchemas().schemas;
  auto it = all.find(kind);
  return it == all.end() ? nullptr : &it->second;
}

Status CheckSchemas() { return AllSchemas().status; }

std::string Diagnostic::ToString() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

LoadedSet ParseSet(const std::vector<std::pair<std::string, std::string>>& files) {
  LoadedSet set;
  if (Status s = CheckSchemas(); !s.ok()) {
    set.errors.push_back({"(built-in schemas)", 0, 0, s.message()});
    return set;
  }
  std::map<std::string, const Document*> by_kind;
  std::vector<Document> all;
  for (const auto& [file, text] : files) {
    std::vector<YAML::Node> docs;
    const size_t errors_before = set.errors.size();
    try {
      docs = LoadDocuments(text, file, &set.errors);
    } catch (const YAML::Exception& e) {
      set.errors.push_back({file, e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg});
      continue;
    }
    if (set.errors.size() != errors_before) continue;
    size_t found = 0;
    for (const YAML::Node& doc : docs) {
      if (YamlType(doc) == "null") continue;  // an empty document, e.g. after a final ---
      ++found;
      std::string kind;
      if (!KindOf(doc, file, &kind, &set.errors)) continue;
      std::vector<Problem> problems;
      SchemaFor(kind)->Validate(doc, &problems);
      for (Problem& p : problems) {
        set.errors.push_back({file, p.line, p.column, std::move(p.message)});
      }
      if (!problems.empty()) continue;
      Document d;
      d.file = file;
      d.line = doc.Mark().line + 1;
      d.column = doc.Mark().column + 1;
      d.kind = kind;
      d.name = doc["metadata"]["name"].Scalar();
      d.node = doc;
      all.push_back(std::move(d));
    }
    if (found == 0) set.errors.push_back({file, 0, 0, "holds no policy document"});
  }
  // One document per kind: the later ones are the errors.
  for (const Document& d : all) {
    auto [it, fresh] = by_kind.emplace(d.kind, &d);
    if (!fresh) {
      const Document& first = *it->second;
      set.errors.push_back({d.file, d.line, d.column,
                            "a policy set holds one " + d.kind + "; '" + d.name +
                                "' is another besides '" + first.name + "' at " + first.file +
                                ":" + std::to_string(first.line)});
      continue;
    }
    set.documents.push_back(d);
  }
  CheckRules(set.documents, &set.errors);
  std::stable_sort(set.errors.begin(), set.errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  return set;
}

LoadedSet LoadSet(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  std::vector<fs::path> files;
  if (st.type() == fs::file_type::not_found) {
    return {{}, {{path.string(), 0, 0, "cannot read: no such file or directory"}}};
  }
  if (ec) return {{}, {{path.string(), 0, 0, "cannot read: " + ec.message()}}};
  if (fs::is_directory(st)) {
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      const std::string name = p.filename().string();
      if (name.empty() || name[0] == '.') continue;
      if (p.extension() != ".yaml" && p.extension() != ".yml") continue;
      files.push_back(p);
    }
    if (ec) return {{}, {{path.string(), 0, 0, "cannot read the directory: " + ec.message()}}};
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      return {{}, {{path.string(), 0, 0, "holds no policy files (*.yaml or *.yml)"}}};
    }
  } else {
    files.push_back(path);
  }
  std::vector<std::pair<std::string, std::string>> texts;
  std::vector<Diagnostic> unreadable;
  for (const fs::path& f : files) {
    auto text = ReadRegularFile(f, kMaxPolicyFileBytes);
    if (!text.ok()) {
      unreadable.push_back({f.string(), 0, 0, text.status().message()});
      continue;
    }
    texts.emplace_back(f.string(), std::move(text).value());
  }
  LoadedSet set = ParseSet(texts);
  if (!unreadable.empty()) {
    set.errors.insert(set.errors.begin(), unreadable.begin(), unreadable.end());
    set.documents.clear();  // a set with an unreadable file is not a set to apply
  }
  return set;
}

}  // namespace sigmad::policy
