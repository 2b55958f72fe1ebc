// sigmactl backup run|list|verify|prune|restore|drill.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "render.h"

namespace sigmad::ctl {
namespace {

using Poco::JSON::Object;

// Backups, verifications and restores take as long as the store is large: wait as long
// as they take, whatever --timeout says (progress keeps the connection alive).
GlobalOptions Forever(const GlobalOptions& g) {
  GlobalOptions forever = g;
  forever.timeout = std::chrono::milliseconds(0);
  return forever;
}

std::string Bytes(const Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || o->get(key).isEmpty()) return "-";
  return FormatBytes(o->getValue<double>(key));
}

std::string Generations(const Object::Ptr& b) {
  std::string out;
  if (!b->has("generations")) return "-";
  for (const auto& g : *b->getArray("generations")) out += (out.empty() ? "" : ",") + g.toString();
  return out;
}

void PrintPrune(const Object::Ptr& o) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *o->getArray("backups")) {
    auto b = v.extract<Object::Ptr>();
    std::string reasons;
    for (const auto& r : *b->getArray("reasons")) {
      reasons += (reasons.empty() ? "" : "; ") + r.toString();
    }
    const bool keep = b->getValue<bool>("keep");
    rows.push_back({Str(b, "id"), Str(b, "created_at"),
                    keep ? "keep" : (o->getValue<bool>("dry_run") ? "would delete" : "deleted"),
                    reasons});
  }
  std::cout << "rule: " << Str(o, "rule") << '\n';
  if (rows.empty()) {
    std::cout << "no backups\n";
  } else {
    PrintTable(std::cout, {"ID", "CREATED", "ACTION", "WHY"}, rows);
  }
  for (const auto& v : *o->getArray("unreadable")) {
    auto b = v.extract<Object::Ptr>();
    std::cout << "not touched, does not verify: " << Str(b, "id") << ": " << Str(b, "problem")
              << '\n';
  }
}

}  // namespace

int CmdBackupRun(const GlobalOptions& g, bool wait) {
  Object::Ptr p = new Object;
  p->set("wait", wait);
  return RunMethod(wait ? Forever(g) : g, "backup.run", p, [&](const Object::Ptr& o) {
    if (!wait) {
      std::cout << "backup started; sigmactl backup list shows it once it is written\n";
      return;
    }
    auto b = o->getObject("backup");
    std::cout << "backup " << Str(b, "id") << " written: " << Bytes(b, "size") << " ("
              << Bytes(b, "store_bytes") << " of store) in " << Str(o, "took_ms") << " ms\n";
    if (!o->get("verified").isEmpty()) {
      auto v = o->getObject("verified");
      std::cout << "verified: " << Str(v, "values_opened") << " values opened\n";
    }
    auto pr = o->getObject("pruned");
    std::cout << "pruned by " << Str(pr, "rule") << ": " << Str(pr, "deleted") << " deleted\n";
  });
}

int CmdBackupList(const GlobalOptions& g) {
  return RunMethod(g, "backup.list", new Object, [&](const Object::Ptr& o) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *o->getArray("backups")) {
      auto b = v.extract<Object::Ptr>();
      std::string verified = "never";
      if (!b->get("verified").isEmpty()) {
        auto c = b->getObject("verified");
        verified = (c->getValue<bool>("ok") ? "ok " : "FAILED ") + Str(c, "time");
      }
      if (!b->getValue<std::string>("problem").empty()) {
        verified = "UNREADABLE: " + Str(b, "problem");
      }
      rows.push_back(
          {Str(b, "id"), Str(b, "created_at"), Bytes(b, "size"), Generations(b), verified});
    }
    std::cout << "target: " << Str(o, "target") << '\n';
    if (rows.empty()) {
      std::cout << "no backups\n";
      return;
    }
    PrintTable(std::cout, {"ID", "CREATED", "SIZE", "GENERATIONS", "VERIFIED"}, rows);
  });
}

int CmdBackupVerify(const GlobalOptions& g, const std::string& id, bool all) {
  if (id.empty() == !all) {
    std::cerr << "sigmactl: backup verify needs a backup ID or --all (not both)\n";
    return kExitUsage;
  }
  Object::Ptr p = new Object;
  if (all) {
    p->set("all", true);
  } else {
    p->set("id", id);
  }
  return RunMethod(Forever(g), "backup.verify", p, [&](const Object::Ptr& o) {
    size_t n = 0;
    for (const auto& v : *o->getArray("backups")) {
      auto b = v.extract<Object::Ptr>();
      ++n;
      std::cout << Str(b, "id") << ": intact (" << Str(b, "values_opened") << " values opened, "
                << Bytes(b, "store_bytes") << " of store, " << Str(b, "took_ms") << " ms)\n";
    }
    if (n == 0) std::cout << "no backups to verify\n";
  });
}

int CmdBackupPrune(const GlobalOptions& g, bool dry_run) {
  Object::Ptr p = new Object;
  p->set("dry_run", dry_run);
  return RunMethod(Forever(g), "backup.prune", p, PrintPrune);  // may wait for a backup
}

int CmdBackupRestore(const GlobalOptions& g, const std::string& id, const std::string& to,
                     bool in_place) {
  if (to.empty() == !in_place) {
    std::cerr << "sigmactl: backup restore needs --to DIR or --in-place (not both)\n";
    return kExitUsage;
  }
  Object::Ptr p = new Object;
  p->set("id", id);
  // sigmad serves again after an in-place restore with a new started_at: that is how the
  // wait below tells the old serving from the new.
  std::string serving_since;
  if (in_place) {
    auto before = CallDaemon(g, "status");
    if (!before.ok()) return ReportFailure(before.status());
    serving_since = Str(before->extract<Object::Ptr>(), "started_at");
    p->set("in_place", true);
  } else {
    std::error_code ec;
    p->set("to", std::filesystem::absolute(to, ec).lexically_normal().string());
  }
  auto r = CallDaemon(Forever(g), "backup.restore", p);
  if (!r.ok()) return ReportFailure(r.status());
  auto o = r->extract<Object::Ptr>();
  auto v = o->getObject("verified");
  const std::string backup = Str(o->getObject("backup"), "id");
  if (!in_place) {
    if (g.json) {
      std::cout << ToJson(r.value()) << '\n';
      return kExitOk;
    }
    const std::string dir = Str(o, "dir");
    std::cout << "restored backup " << backup << " to " << dir << " and verified it ("
              << Str(v, "values_opened") << " values opened)\n"
              << "to serve it: put this store's master key in " << dir
              << "/master.key (mode 0400) and run sigmad --dev " << dir << '\n';
    return kExitOk;
  }
  // sigmad now stops serving, swaps the store and serves again: wait until it answers.
  if (!g.json) {
    std::cout << "backup " << backup << " verified (" << Str(v, "values_opened")
              << " values opened); sigmad is swapping it in\n";
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Object::Ptr now;
  for (;;) {
    GlobalOptions quick = g;
    quick.timeout = std::chrono::seconds(5);
    auto status = CallDaemon(quick, "status");
    if (status.ok() && Str(status->extract<Object::Ptr>(), "started_at") != serving_since) {
      now = status->extract<Object::Ptr>();
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "sigmactl: sigmad did not serve again within 5 minutes after the swap ("
                << (status.ok() ? std::string("still serving the old store")
                                : status.status().message())
                << "); see its log\n";
      return kExitFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // sigmad serves again: the restored store, or the old one if the swap failed.
  const bool swapped = !now->get("restored").isEmpty() &&
                       Str(now->getObject("restored"), "backup") == backup &&
                       now->getObject("restored")->getValue<bool>("ok");
  if (!swapped) {
    const std::string why =
        now->get("restored").isEmpty() ? "" : ": " + Str(now->getObject("restored"), "details");
    std::cerr << "sigmactl: the swap failed and sigmad serves the store as it was" << why
              << "; see its log\n";
    return kExitFailed;
  }
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
  } else {
    std::cout << "restored backup " << backup << " in place; sigmad serves it now. The previous "
              << "store is kept at " << Str(o, "previous_store") << " (delete it when done)\n";
  }
  return kExitOk;
}

int CmdBackupDrill(const GlobalOptions& g) {
  return RunMethod(Forever(g), "backup.drill", new Object, [&](const Object::Ptr& o) {
    std::cout << "restore drill: backup " << Str(o, "backup_id") << " ("
              << Str(o, "backup_created_at") << ") restored and verified in " << Str(o, "took_ms")
              << " ms (" << Bytes(o, "store_bytes") << " of store)\n";
  });
}

}  // namespace sigmad::ctl
