// sigmactl policy validate: checks policy sets locally, without a daemon.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "commands.h"
#include "policy/set.h"
#include "render.h"

namespace sigmad::ctl {

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
      Array::Ptr errors = new Array;
      for (const auto& e : set.errors) {
        Object::Ptr o = new Object;
        o->set("file", e.file);
        o->set("line", e.line);
        o->set("column", e.column);
        o->set("message", e.message);
        errors->add(o);
      }
      s->set("errors", errors);
      sets->add(s);
      continue;
    }
    for (const auto& e : set.errors) std::cout << e.ToString() << '\n';
    if (set.ok()) {
      std::cout << path << ": valid (" << set.documents.size() << " document"
                << (set.documents.size() == 1 ? "" : "s") << ":";
      for (const auto& d : set.documents) std::cout << ' ' << d.kind;
      std::cout << ")\n";
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
