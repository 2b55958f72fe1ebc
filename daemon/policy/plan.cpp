#include "policy/plan.h"

#include <map>
#include <set>

#include "policy/schema.h"

namespace sigmad::policy {
namespace {

void DiffNodes(const YAML::Node& a, const YAML::Node& b, const std::string& path,
               const Document& doc, std::vector<Change>* out) {
  if (YamlType(a) == "mapping" && YamlType(b) == "mapping") {
    std::map<std::string, YAML::Node> left, right;
    for (const auto& kv : a) left.emplace(kv.first.Scalar(), kv.second);
    for (const auto& kv : b) right.emplace(kv.first.Scalar(), kv.second);
    std::set<std::string> keys;
    for (const auto& [k, _] : left) keys.insert(k);
    for (const auto& [k, _] : right) keys.insert(k);
    for (const std::string& k : keys) {
      const std::string child = path.empty() ? k : path + "." + k;
      auto l = left.find(k);
      auto r = right.find(k);
      if (l == left.end()) {
        out->push_back({'+', doc.kind, doc.name, child, "", CanonicalJson(r->second)});
      } else if (r == right.end()) {
        out->push_back({'-', doc.kind, doc.name, child, CanonicalJson(l->second), ""});
      } else {
        DiffNodes(l->second, r->second, child, doc, out);
      }
    }
    return;
  }
  if (YamlType(a) == "list" && YamlType(b) == "list" && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) {
      DiffNodes(a[i], b[i], path + "[" + std::to_string(i) + "]", doc, out);
    }
    return;
  }
  const std::string before = CanonicalJson(a), after = CanonicalJson(b);
  if (before != after) out->push_back({'~', doc.kind, doc.name, path, before, after});
}

}  // namespace

std::vector<Change> Diff(const std::vector<Document>& from, const std::vector<Document>& to) {
  std::map<std::string, const Document*> old_docs, new_docs;
  for (const Document& d : from) old_docs.emplace(d.kind, &d);
  for (const Document& d : to) new_docs.emplace(d.kind, &d);
  std::set<std::string> kinds;
  for (const auto& [k, _] : old_docs) kinds.insert(k);
  for (const auto& [k, _] : new_docs) kinds.insert(k);
  std::vector<Change> out;
  for (const std::string& kind : kinds) {
    auto o = old_docs.find(kind);
    auto n = new_docs.find(kind);
    if (o == old_docs.end()) {
      out.push_back({'+', kind, n->second->name, "", "", CanonicalJson(n->second->node)});
    } else if (n == new_docs.end()) {
      out.push_back({'-', kind, o->second->name, "", CanonicalJson(o->second->node), ""});
    } else {
      // Reported under the new document's name; a rename shows as metadata.name.
      DiffNodes(o->second->node, n->second->node, "", *n->second, &out);
    }
  }
  return out;
}

std::string PlanHash(const std::string& active_hash, const std::string& new_hash) {
  return Sha256Hex("sigmad policy plan\n" + active_hash + "\n" + new_hash + "\n");
}

}  // namespace sigmad::policy
