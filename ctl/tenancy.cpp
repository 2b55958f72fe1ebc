// sigmactl tenant|project|task: thin renderers over the daemon's tenancy methods.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "commands.h"
#include "render.h"

namespace sigmad::ctl {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::string Plural(const std::string& n, const char* one) {
  return n + " " + one + (n == "1" ? "" : "s");
}

}  // namespace

int CmdTenantCreate(const GlobalOptions& g, const std::string& name) {
  return RunMethod(g, "tenant.create", PathParams(name), [](const Object::Ptr& t) {
    std::cout << "created tenant " << Str(t, "name") << " (data key term " << Str(t, "key_term")
              << ")\n";
  });
}

int CmdTenantList(const GlobalOptions& g) {
  return RunMethod(g, "tenant.list", new Object, [](const Object::Ptr& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *r->getArray("tenants")) {
      auto t = v.extract<Object::Ptr>();
      rows.push_back({Str(t, "name"), Str(t, "projects"), Str(t, "key_term"),
                      Str(t, "created_at")});
    }
    if (rows.empty()) {
      std::cout << "no tenants (create one with: sigmactl tenant create NAME)\n";
      return;
    }
    PrintTable(std::cout, {"TENANT", "PROJECTS", "KEY TERM", "CREATED"}, rows);
  });
}

int CmdTenantShow(const GlobalOptions& g, const std::string& name) {
  return RunMethod(g, "tenant.show", PathParams(name), [](const Object::Ptr& t) {
    PrintKeyValues(std::cout, {{"tenant", Str(t, "name")},
                               {"created", Str(t, "created_at") + " by " + Str(t, "created_by")},
                               {"data key", "term " + Str(t, "key_term")},
                               {"projects", Str(t, "projects")}});
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *t->getArray("project_list")) {
      auto p = v.extract<Object::Ptr>();
      rows.push_back({Str(p, "name"), Str(p, "tasks"), Str(p, "created_at")});
    }
    if (!rows.empty()) {
      std::cout << '\n';
      PrintTable(std::cout, {"PROJECT", "TASKS", "CREATED"}, rows);
    }
  });
}

int CmdProjectCreate(const GlobalOptions& g, const std::string& path) {
  return RunMethod(g, "project.create", PathParams(path), [](const Object::Ptr& p) {
    std::cout << "created project " << Str(p, "tenant") << '/' << Str(p, "name") << '\n';
  });
}

int CmdProjectList(const GlobalOptions& g, const std::string& tenant) {
  return RunMethod(g, "project.list", PathParams(tenant), [](const Object::Ptr& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *r->getArray("projects")) {
      auto p = v.extract<Object::Ptr>();
      rows.push_back({Str(p, "name"), Str(p, "tasks"), Str(p, "created_at")});
    }
    if (rows.empty()) {
      std::cout << "tenant " << Str(r, "tenant") << " has no projects\n";
      return;
    }
    PrintTable(std::cout, {"PROJECT", "TASKS", "CREATED"}, rows);
  });
}

int CmdProjectDelete(const GlobalOptions& g, const std::string& path, bool force) {
  Object::Ptr params = PathParams(path);
  params->set("force", force);
  return RunMethod(g, "project.delete", params, [](const Object::Ptr& r) {
    std::cout << "deleted project " << Str(r, "path") << " and "
              << Plural(Str(r, "tasks_deleted"), "task");
    if (Str(r, "data_deleted") != "0") std::cout << ", " << Plural(Str(r, "data_deleted"), "dataset");
    std::cout << '\n';
  });
}

int CmdTaskCreate(const GlobalOptions& g, const std::string& path) {
  return RunMethod(g, "task.create", PathParams(path), [](const Object::Ptr& t) {
    std::cout << "created task " << Str(t, "tenant") << '/' << Str(t, "project") << '/'
              << Str(t, "name") << '\n';
  });
}

int CmdTaskList(const GlobalOptions& g, const std::string& project_path) {
  return RunMethod(g, "task.list", PathParams(project_path), [](const Object::Ptr& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *r->getArray("tasks")) {
      auto t = v.extract<Object::Ptr>();
      rows.push_back({Str(t, "name"), Str(t, "created_at"), Str(t, "created_by")});
    }
    if (rows.empty()) {
      std::cout << "project " << Str(r, "path") << " has no tasks\n";
      return;
    }
    PrintTable(std::cout, {"TASK", "CREATED", "BY"}, rows);
  });
}

int CmdTaskDelete(const GlobalOptions& g, const std::string& path, bool force) {
  Object::Ptr params = PathParams(path);
  params->set("force", force);
  return RunMethod(g, "task.delete", params,
             [](const Object::Ptr& r) { std::cout << "deleted task " << Str(r, "path") << '\n'; });
}

}  // namespace sigmad::ctl
