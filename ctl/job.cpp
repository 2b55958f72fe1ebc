// sigmactl job list|show|cancel|wait.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "commands.h"
#include "render.h"

namespace sigmad::ctl {
namespace {

using Poco::JSON::Object;

Object::Ptr IdParams(const std::string& id) {
  Object::Ptr p = new Object;
  p->set("id", id);
  return p;
}

void PrintJob(const Object::Ptr& j) {
  KeyValues rows = {{"job", Str(j, "id")},
                    {"kind", Str(j, "kind") + " " + Str(j, "target")},
                    {"state", Str(j, "state")},
                    {"progress", Str(j, "message")},
                    {"submitted", Str(j, "created_at") + " by " + Str(j, "actor")},
                    {"started", Str(j, "started_at")},
                    {"finished", Str(j, "finished_at")}};
  if (!j->getValue<std::string>("error").empty()) rows.push_back({"error", Str(j, "error")});
  if (!j->getValue<std::string>("result").empty()) rows.push_back({"result", Str(j, "result")});
  PrintKeyValues(std::cout, rows);
}

// Exit status for a job that ended: 0 only if it succeeded.
int JobExit(const Object::Ptr& j) {
  return Str(j, "state") == "succeeded" ? kExitOk : kExitFailed;
}

}  // namespace

int CmdJobList(const GlobalOptions& g) {
  return RunMethod(g, "job.list", new Object, [&](const Object::Ptr& o) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *o->getArray("jobs")) {
      auto j = v.extract<Object::Ptr>();
      rows.push_back({Str(j, "id"), Str(j, "state"), Str(j, "kind"), Str(j, "target"),
                      Str(j, "created_at"), Str(j, "message")});
    }
    if (rows.empty()) {
      std::cout << "no jobs\n";
      return;
    }
    PrintTable(std::cout, {"ID", "STATE", "KIND", "TARGET", "SUBMITTED", "PROGRESS"}, rows);
  });
}

int CmdJobShow(const GlobalOptions& g, const std::string& id) {
  return RunMethod(g, "job.show", IdParams(id), [&](const Object::Ptr& o) { PrintJob(o); });
}

int CmdJobCancel(const GlobalOptions& g, const std::string& id) {
  return RunMethod(g, "job.cancel", IdParams(id), [&](const Object::Ptr& j) {
    std::cout << (Str(j, "state") == "cancelled" ? "cancelled job " : "asked job ") << Str(j, "id")
              << (Str(j, "state") == "cancelled" ? "\n" : " to stop; it ends at its next check\n");
  });
}

int CmdJobWait(const GlobalOptions& g, const std::string& id) {
  // Jobs can run for hours: wait as long as the job, whatever --timeout says.
  GlobalOptions forever = g;
  forever.timeout = std::chrono::milliseconds(0);
  auto r = CallDaemon(forever, "job.wait", IdParams(id));  // a bar on a terminal
  if (!r.ok()) return ReportFailure(r.status());
  auto j = r->extract<Object::Ptr>();
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
  } else {
    PrintJob(j);
  }
  if (!j->getValue<bool>("ended")) {
    std::cerr << "sigmactl: sigmad stopped before job " << Str(j, "id") << " ended\n";
    return kExitFailed;
  }
  return JobExit(j);
}

}  // namespace sigmad::ctl
