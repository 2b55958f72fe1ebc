#include "app/tenancy_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <pwd.h>

#include <vector>

#include "app/params.h"
#include "common/time_format.h"

namespace sigmad::app {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using tenancy::TenancyService;

Object::Ptr TenantJson(const tenancy::TenantInfo& t) {
  Object::Ptr o = NewObject();
  o->set("name", t.name);
  o->set("created_at", FormatUtc(t.created));
  o->set("created_by", t.created_by);
  o->set("projects", static_cast<Poco::UInt64>(t.projects));
  o->set("key_term", t.key_term);
  return o;
}

Object::Ptr ProjectJson(const tenancy::ProjectInfo& p) {
  Object::Ptr o = NewObject();
  o->set("tenant", p.tenant);
  o->set("name", p.name);
  o->set("created_at", FormatUtc(p.created));
  o->set("created_by", p.created_by);
  o->set("tasks", static_cast<Poco::UInt64>(p.tasks));
  return o;
}

Object::Ptr TaskJson(const tenancy::TaskInfo& t) {
  Object::Ptr o = NewObject();
  o->set("tenant", t.tenant);
  o->set("project", t.project);
  o->set("name", t.name);
  o->set("created_at", FormatUtc(t.created));
  o->set("created_by", t.created_by);
  return o;
}

Object::Ptr DeletedJson(const tenancy::Deleted& d) {
  Object::Ptr o = NewObject();
  o->set("path", d.path);
  o->set("tasks_deleted", static_cast<Poco::UInt64>(d.tasks_deleted));
  o->set("data_deleted", static_cast<Poco::UInt64>(d.data_deleted));
  return o;
}

}  // namespace

std::string ActorName(const control::PeerCred& peer) {
  std::string user = "?";
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(peer.uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
    user = found->pw_name;
  }
  return "uid=" + std::to_string(peer.uid) + "(" + user + ")";
}

void RegisterTenancyMethods(control::Dispatcher& d, TenancyService& service) {
  TenancyService* svc = &service;
  using R = Result<Var>;

  d.Register("tenant.create", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto t = svc->CreateTenant(ActorOf(call), path.value());
    if (!t.ok()) return t.status();
    return Var(TenantJson(t.value()));
  });
  d.Register("tenant.list", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    auto list = svc->ListTenants();
    if (!list.ok()) return list.status();
    Object::Ptr r = NewObject();
    r->set("tenants", ToArray(list.value(), TenantJson));
    return Var(r);
  });
  d.Register("tenant.show", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    std::vector<tenancy::ProjectInfo> projects;
    auto t = svc->ShowTenant(path.value(), &projects);
    if (!t.ok()) return t.status();
    Object::Ptr r = TenantJson(t.value());
    r->set("project_list", ToArray(projects, ProjectJson));
    return Var(r);
  });

  d.Register("project.create", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto p = svc->CreateProject(ActorOf(call), path.value());
    if (!p.ok()) return p.status();
    return Var(ProjectJson(p.value()));
  });
  d.Register("project.list", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto list = svc->ListProjects(path.value());
    if (!list.ok()) return list.status();
    Object::Ptr r = NewObject();
    r->set("tenant", path.value());
    r->set("projects", ToArray(list.value(), ProjectJson));
    return Var(r);
  });
  d.Register("project.delete", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"path", "force"}); !s.ok()) return s;
    auto path = RequiredString(call, "path");
    if (!path.ok()) return path.status();
    auto force = OptBool(call, "force");
    if (!force.ok()) return force.status();
    auto done = svc->DeleteProject(ActorOf(call), path.value(), force.value());
    if (!done.ok()) return done.status();
    return Var(DeletedJson(done.value()));
  });

  d.Register("task.create", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto t = svc->CreateTask(ActorOf(call), path.value());
    if (!t.ok()) return t.status();
    return Var(TaskJson(t.value()));
  });
  d.Register("task.list", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto list = svc->ListTasks(path.value());
    if (!list.ok()) return list.status();
    Object::Ptr r = NewObject();
    r->set("path", path.value());
    r->set("tasks", ToArray(list.value(), TaskJson));
    return Var(r);
  });
  d.Register("task.delete", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"path", "force"}); !s.ok()) return s;
    auto path = RequiredString(call, "path");
    if (!path.ok()) return path.status();
    auto force = OptBool(call, "force");
    if (!force.ok()) return force.status();
    auto done = svc->DeleteTask(ActorOf(call), path.value(), force.value());
    if (!done.ok()) return done.status();
    return Var(DeletedJson(done.value()));
  });
}

}  // namespace sigmad::app
