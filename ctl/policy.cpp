// sigmactl policy validate: checks policy sets locally, without a daemon.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "policy/set.h"
#include "render.h"

namespace sigmad::ctl {
namespace {

Poco::JSON::Array::Ptr DiagnosticsJson(const std::vector<policy::Diagnostic>& list) {
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (const auto& e : list) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("file", e.file);
    o->set("line", e.line);
    o->set("column", e.column);
    o->set("message", e.message);
    out->add(o);
  }
  return out;
}

}  // namespace

int CmdPolicyValidate(const GlobalOptions& g, const std::vector<std::string>& paths) {
  using Poco::JSON::Array;
  using Poco::JSON::Object;
  bool all_valid = true;
  Array::Ptr sets = new Array;
  for (const std::string& path : paths) {
    const policy::LoadedSet set = policy::LoadSet(path);
    all_valid = all_valid && set.ok();
    if (g.json) {
      Object::Ptr s = new Object;
      s->set("path", path);
      s->set("valid", set.ok());
      Array::Ptr docs = new Array;
      for (const auto& d : set.documents) {
        Object::Ptr o = new Object;
        o->set("file", d.file);
        o->set("line", d.line);
        o->set("kind", d.kind);
        o->set("name", d.name);
        docs->add(o);
      }
      s->set("documents", docs);
      s->set("errors", DiagnosticsJson(set.errors));
      s->set("warnings", DiagnosticsJson(set.warnings));
      sets->add(s);
      continue;
    }
    for (const auto& e : set.errors) std::cout << e.ToString() << '\n';
    for (const auto& w : set.warnings) std::cout << w.ToString() << '\n';
    if (set.ok()) {
      std::cout << path << ": valid (" << set.documents.size() << " document"
                << (set.documents.size() == 1 ? "" : "s") << ":";
      for (const auto& d : set.documents) std::cout << ' ' << d.kind;
      std::cout << ")";
      if (!set.warnings.empty()) {
        std::cout << ", " << set.warnings.size() << " warning"
                  << (set.warnings.size() == 1 ? "" : "s");
      }
      std::cout << "\n";
    } else {
      std::cout << path << ": invalid, " << set.errors.size() << " problem"
                << (set.errors.size() == 1 ? "" : "s") << '\n';
    }
  }
  if (g.json) {
    Object::Ptr out = new Object;
    out->set("valid", all_valid);
    out->set("sets", sets);
    std::cout << ToJson(out) << '\n';
  }
  return all_valid ? kExitOk : kExitFailed;
}

}  // namespace sigmad::ctl

namespace sigmad::ctl {

int CmdPolicyShow(const GlobalOptions& g, uint64_t version) {
  using Poco::JSON::Object;
  Object::Ptr params = new Object;
  if (version != 0) params->set("version", static_cast<Poco::UInt64>(version));
  auto r = CallDaemon(g, "policy.show", params);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto o = r->extract<Object::Ptr>();
  std::string kinds;
  for (const auto& k : *o->getArray("kinds")) kinds += (kinds.empty() ? "" : " ") + k.toString();
  std::cout << "# policy version " << Str(o, "version") << ", applied " << Str(o, "applied_at")
            << " by " << Str(o, "actor") << " from " << Str(o, "source") << "\n# set hash "
            << Str(o, "hash") << "\n# kinds: " << kinds << '\n';
  for (const auto& f : *o->getArray("files")) {
    auto fo = f.extract<Object::Ptr>();
    std::cout << "\n# ---- " << Str(fo, "name") << " ----\n" << fo->getValue<std::string>("text");
    const std::string text = fo->getValue<std::string>("text");
    if (!text.empty() && text.back() != '\n') std::cout << '\n';
  }
  return kExitOk;
}

int CmdPolicyHistory(const GlobalOptions& g) {
  using Poco::JSON::Object;
  auto r = CallDaemon(g, "policy.history");
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *r->extract<Object::Ptr>()->getArray("versions")) {
    auto o = v.extract<Object::Ptr>();
    rows.push_back({Str(o, "version"), Str(o, "applied_at"), Str(o, "actor"),
                    Str(o, "hash").substr(0, 12), Str(o, "source")});
  }
  PrintTable(std::cout, {"VERSION", "APPLIED", "ACTOR", "HASH", "SOURCE"}, rows);
  return kExitOk;
}

}  // namespace sigmad::ctl

namespace sigmad::ctl {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// Reads and checks DIR locally (so problems name the operator's paths) and returns
// the params for policy.plan/apply; nullopt after printing the problems.
std::optional<Object::Ptr> SetParams(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> texts;
  const policy::LoadedSet set = policy::LoadSet(dir, &texts);
  if (!set.ok()) {
    for (const auto& e : set.errors) std::cerr << e.ToString() << '\n';
    std::cerr << "sigmactl: " << dir << " is invalid (" << set.errors.size()
              << " problem(s)); nothing was sent to sigmad\n";
    return std::nullopt;
  }
  for (const auto& w : set.warnings) std::cerr << w.ToString() << '\n';
  Object::Ptr params = new Object;
  Array::Ptr files = new Array;
  for (const auto& [name, text] : texts) {
    Object::Ptr f = new Object;
    f->set("name", name);
    f->set("text", text);
    files->add(f);
  }
  params->set("files", files);
  return params;
}

std::string Abs(const std::string& dir) {
  std::error_code ec;
  const auto p = std::filesystem::absolute(dir, ec);
  return ec ? dir : p.lexically_normal().string();
}

}  // namespace

int CmdPolicyPlan(const GlobalOptions& g, const std::string& dir, bool detailed) {
  auto params = SetParams(dir);
  if (!params) return kExitFailed;
  auto r = CallDaemon(g, "policy.plan", *params);
  if (!r.ok()) {
    const int rc = ReportFailure(r.status());
    return detailed ? kExitFailed : rc;  // --detailed-exitcode: 2 means changes only
  }
  auto o = r->extract<Object::Ptr>();
  if (!o->getValue<bool>("valid")) {  // the daemon found what the local check did not
    for (const auto& e : *o->getArray("errors")) {
      auto eo = e.extract<Object::Ptr>();
      std::cerr << dir << "/" << Str(eo, "file") << ":" << Str(eo, "line") << ":"
                << Str(eo, "column") << ": " << Str(eo, "message") << '\n';
    }
    return kExitFailed;
  }
  const Array::Ptr changes = o->getArray("changes");
  const int changed = changes->size() == 0 ? kExitOk : 2;
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return detailed ? changed : kExitOk;
  }
  const std::string active = Str(o, "active_version");
  if (active == "0") {
    std::cout << "No policy set is active; applying " << dir << " makes version 1.\n";
  } else {
    std::cout << "Plan for " << dir << " against policy version " << active << " (set hash "
              << Str(o, "active_hash").substr(0, 12) << "):\n";
  }
  std::string doc;
  int add = 0, change = 0, remove = 0;
  for (const auto& c : *changes) {
    auto co = c.extract<Object::Ptr>();
    const std::string op = Str(co, "op"), path = co->getValue<std::string>("path");
    const std::string this_doc = Str(co, "kind") + " " + Str(co, "name");
    if (path.empty()) {
      std::cout << "  " << op << " " << this_doc << '\n';
      (op == "+" ? add : remove)++;
      doc.clear();
      continue;
    }
    if (this_doc != doc) {
      std::cout << "  ~ " << this_doc << '\n';
      doc = this_doc;
      ++change;
    }
    std::cout << "      " << op << " " << path << ": ";
    if (op == "+") std::cout << co->getValue<std::string>("after");
    if (op == "-") std::cout << co->getValue<std::string>("before");
    if (op == "~") {
      std::cout << co->getValue<std::string>("before") << " -> "
                << co->getValue<std::string>("after");
    }
    std::cout << '\n';
  }
  if (changes->size() == 0) {
    std::cout << "  No changes: the set equals the active one.\n";
  } else {
    std::cout << "Plan: " << add << " to add, " << change << " to change, " << remove
              << " to remove.\n";
  }
  std::cout << "Plan hash: " << Str(o, "plan_hash") << '\n';
  return detailed ? changed : kExitOk;
}

int CmdPolicyApply(const GlobalOptions& g, const std::string& dir, const std::string& plan_hash) {
  auto params = SetParams(dir);
  if (!params) return kExitFailed;
  (*params)->set("source", "apply " + Abs(dir));
  if (!plan_hash.empty()) (*params)->set("plan_hash", plan_hash);
  auto r = CallDaemon(g, "policy.apply", *params);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto o = r->extract<Object::Ptr>();
  if (o->getValue<bool>("changed")) {
    std::cout << "applied " << dir << " as policy version " << Str(o, "version") << " (set hash "
              << Str(o, "hash").substr(0, 12) << ")\n";
  } else {
    std::cout << dir << " equals the active policy version " << Str(o, "version")
              << "; nothing changed\n";
  }
  return kExitOk;
}

int CmdPolicyRollback(const GlobalOptions& g, uint64_t version) {
  Object::Ptr params = new Object;
  params->set("version", static_cast<Poco::UInt64>(version));
  auto r = CallDaemon(g, "policy.rollback", params);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto o = r->extract<Object::Ptr>();
  if (o->getValue<bool>("changed")) {
    std::cout << "rolled back to version " << version << ": policy version " << Str(o, "version")
              << " is now active, equal to version " << version << '\n';
  } else {
    std::cout << "version " << version << " equals the active policy version "
              << Str(o, "version") << "; nothing changed\n";
  }
  return kExitOk;
}

}  // namespace sigmad::ctl

namespace sigmad::ctl {

int CmdPolicyEnforcement(const GlobalOptions& g) {
  using Poco::JSON::Object;
  auto r = CallDaemon(g, "policy.enforcement");
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  size_t enforced = 0, total = 0;
  for (const auto& v : *r->extract<Object::Ptr>()->getArray("rules")) {
    auto o = v.extract<Object::Ptr>();
    const std::string state = Str(o, "state");
    enforced += state == "enforced" ? 1 : 0;
    ++total;
    rows.push_back({Str(o, "kind"), Str(o, "field"), state, Str(o, "point")});
  }
  PrintTable(std::cout, {"KIND", "RULE", "STATE", "WHERE"}, rows);
  std::cout << enforced << " of " << total
            << " rules enforced; the rest wait for their modules (--json has a note on each)\n";
  return kExitOk;
}

}  // namespace sigmad::ctl
