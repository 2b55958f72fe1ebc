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
