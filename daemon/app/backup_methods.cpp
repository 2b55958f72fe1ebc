#include "app/backup_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <exception>

#include "app/params.h"
#include "common/time_format.h"
#include "policy/rules.h"
#include "policy/set.h"

namespace sigmad::app {
namespace {

namespace chr = std::chrono;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using R = Result<Var>;

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  for (const auto& v : n) out.push_back(v.Scalar());
  return out;
}

std::string Text(const std::string& s) { return s; }

Object::Ptr ManifestJson(const backup::Manifest& m) {
  Object::Ptr o = NewObject();
  o->set("id", m.id);
  o->set("created_at", FormatUtc(m.created));
  o->set("size", static_cast<Poco::UInt64>(m.size));
  o->set("store_bytes", static_cast<Poco::UInt64>(m.store_bytes));
  o->set("sha256", m.sha256);
  o->set("schema_version", m.schema_version);
  o->set("master_key_id", m.master_key_id);
  o->set("generations", ToArray(m.generations, Text));
  return o;
}

Object::Ptr DecisionJson(const backup::RetentionDecision& d) {
  Object::Ptr b = NewObject();
  b->set("id", d.id);
  b->set("created_at", FormatUtc(d.created));
  b->set("keep", d.keep);
  b->set("reasons", ToArray(d.reasons, Text));
  return b;
}

Object::Ptr UnreadableJson(const backup::Listed& l) {
  Object::Ptr b = NewObject();
  b->set("id", l.id);
  b->set("problem", l.problem.message());
  return b;
}

Object::Ptr EntryJson(const backup::Entry& e) {
  Object::Ptr b = e.listed.manifest ? ManifestJson(*e.listed.manifest) : NewObject();
  if (!e.listed.manifest) b->set("id", e.listed.id);
  b->set("problem", e.listed.problem.ok() ? std::string() : e.listed.problem.message());
  if (e.check) {
    Object::Ptr c = NewObject();
    c->set("time", FormatUtc(e.check->time));
    c->set("ok", e.check->ok);
    c->set("problem", e.check->problem);
    b->set("verified", c);
  } else {
    b->set("verified", Var());
  }
  return b;
}

Object::Ptr OutcomeJson(const backup::VerifyOutcome& v) {
  Object::Ptr o = NewObject();
  o->set("id", v.id);
  o->set("ok", v.result.ok());
  o->set("problem", v.result.ok() ? std::string() : v.result.message());
  o->set("values_opened", static_cast<Poco::UInt64>(v.records));
  o->set("store_bytes", static_cast<Poco::UInt64>(v.store_bytes));
  o->set("took_ms", static_cast<Poco::Int64>(v.took.count()));
  return o;
}

Object::Ptr PruneJson(const backup::PruneReport& p) {
  Object::Ptr o = NewObject();
  o->set("rule", p.rule);
  o->set("dry_run", p.dry_run);
  o->set("deleted", static_cast<Poco::UInt64>(p.deleted));
  o->set("backups", ToArray(p.decisions, DecisionJson));
  o->set("unreadable", ToArray(p.unreadable, UnreadableJson));
  return o;
}

Object::Ptr DrillJson(const backup::DrillRecord& d) {
  Object::Ptr o = NewObject();
  o->set("time", FormatUtc(d.time));
  o->set("backup_id", d.backup_id);
  o->set("backup_created_at", FormatUtc(d.backup_created));
  o->set("ok", d.ok);
  o->set("problem", d.problem);
  o->set("took_ms", static_cast<Poco::Int64>(d.took.count()));
  o->set("store_bytes", static_cast<Poco::UInt64>(d.store_bytes));
  o->set("actor", d.actor);
  return o;
}

// Sends each progress message to the client.
backup::Progress ProgressOf(const control::Call& call) {
  return [&call](const std::string& message) {
    Object::Ptr p = NewObject();
    p->set("message", message);
    (void)call.Progress(p);
  };
}

}  // namespace

std::optional<backup::BackupSettings> BackupSettingsOf(const policy::StoredVersion& v,
                                                       std::string* error) {
  for (const auto& d : policy::ParseSet(v.files).documents) {
    if (d.kind != "BackupPolicy") continue;
    try {
      const YAML::Node spec = d.node["spec"];
      backup::BackupSettings s;
      s.source = "policy version " + std::to_string(v.info.version) + " (" + d.name + ")";
      s.target = spec["target"].Scalar();
      if (spec["retention"]["keepDays"]) {
        s.retention.keep_days = static_cast<int>(policy::IntField(spec["retention"]["keepDays"]));
      } else {
        const YAML::Node g = spec["retention"]["gfs"];
        s.retention.gfs = backup::GfsRule{static_cast<int>(policy::IntField(g["daily"])),
                                          static_cast<int>(policy::IntField(g["weekly"])),
                                          static_cast<int>(policy::IntField(g["monthly"]))};
      }
      s.verify_after = spec["verifyAfterBackup"].as<bool>();
      s.separate_site = spec["separateSite"].as<bool>();
      s.rpo_hours = static_cast<int>(policy::IntField(spec["rpoHours"]));
      auto schedule = backup::Schedule::Parse(spec["schedule"]["time"].Scalar(),
                                              Strings(spec["schedule"]["days"]));
      auto drill = backup::Schedule::Parse(spec["restoreDrill"]["time"].Scalar(),
                                           Strings(spec["restoreDrill"]["days"]));
      const Status rule = s.retention.Validate();
      for (const Status* st : {&schedule.status(), &drill.status(), &rule}) {
        if (!st->ok()) {
          *error = s.source + ": " + st->message();
          return std::nullopt;
        }
      }
      s.schedule = schedule.value();
      s.drill_schedule = drill.value();
      return s;
    } catch (const std::exception& e) {
      *error = "policy version " + std::to_string(v.info.version) + " BackupPolicy: " + e.what();
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Var RecoveryJson(backup::BackupService& service) {
  Object::Ptr o = NewObject();
  auto r = service.Recovery();
  if (!r.ok()) {
    o->set("error", r.status().message());
    return o;
  }
  const backup::RecoveryStatus& s = r.value();
  o->set("policy", s.settings ? Var(s.settings->source) : Var());
  o->set("target", s.settings ? Var(s.settings->target.string()) : Var());
  o->set("backups", static_cast<Poco::UInt64>(s.backups));
  o->set("newest", s.newest ? Var(ManifestJson(*s.newest)) : Var());
  o->set("newest_verified", s.newest_verified ? Var(ManifestJson(*s.newest_verified)) : Var());
  o->set("rpo_seconds", s.rpo ? Var(static_cast<Poco::Int64>(s.rpo->count())) : Var());
  if (s.settings) {
    o->set("rpo_hours_allowed", s.settings->rpo_hours);
    o->set("rpo_met", s.rpo.has_value() && *s.rpo <= chr::hours(s.settings->rpo_hours));
  }
  o->set("rto_ms", s.last_good_drill
                       ? Var(static_cast<Poco::Int64>(s.last_good_drill->took.count()))
                       : Var());
  o->set("last_drill", s.last_drill ? Var(DrillJson(*s.last_drill)) : Var());
  o->set("next_backup_at", s.next_backup ? Var(FormatUtc(*s.next_backup)) : Var());
  o->set("next_drill_at", s.next_drill ? Var(FormatUtc(*s.next_drill)) : Var());
  if (s.last_run_time) {
    Object::Ptr run = NewObject();
    run->set("time", FormatUtc(*s.last_run_time));
    run->set("ok", s.last_run.ok());
    run->set("error", s.last_run.ok() ? std::string() : s.last_run.message());
    o->set("last_run", run);
  }
  return o;
}

void RegisterBackupMethods(control::Dispatcher& d, backup::BackupService& service,
                           InPlaceRestore in_place) {
  backup::BackupService* svc = &service;
  // {"wait": bool}: with wait, the backup runs in this call (progress messages, then the
  // report); without, the scheduler thread starts it and the call returns at once.
  d.Register("backup.run", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"wait"}); !s.ok()) return s;
    auto wait = OptBool(call, "wait");
    if (!wait.ok()) return wait.status();
    if (!wait.value()) {
      if (Status s = svc->RequestRun(ActorOf(call)); !s.ok()) return s;
      Object::Ptr o = NewObject();
      o->set("started", true);
      return Var(o);
    }
    auto r = svc->Run(ActorOf(call), ProgressOf(call));
    if (!r.ok()) return r.status();
    Object::Ptr o = NewObject();
    o->set("backup", ManifestJson(r.value().manifest));
    o->set("verified", r.value().verified ? Var(OutcomeJson(*r.value().verified)) : Var());
    o->set("pruned", PruneJson(r.value().pruned));
    o->set("took_ms", static_cast<Poco::Int64>(r.value().took.count()));
    if (r.value().verified && !r.value().verified->result.ok()) {
      return Status::Error("integrity", "backup " + r.value().manifest.id +
                                            " was written but does not verify: " +
                                            r.value().verified->result.message());
    }
    return Var(o);
  });
  d.Register("backup.list", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    auto list = svc->List();
    if (!list.ok()) return list.status();
    Object::Ptr o = NewObject();
    auto settings = svc->Settings();
    o->set("target", settings ? Var(settings->target.string()) : Var());
    o->set("backups", ToArray(list.value(), EntryJson));
    return Var(o);
  });
  // {"id": ID} or {"all": true}. The result lists every outcome; the call fails
  // ("integrity") if any backup does not verify, naming each.
  d.Register("backup.verify", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"id", "all"}); !s.ok()) return s;
    auto id = OptString(call, "id", "");
    if (!id.ok()) return id.status();
    auto all = OptBool(call, "all");
    if (!all.ok()) return all.status();
    if (id.value().empty() == !all.value()) {
      return BadParam("id", "give exactly one of a backup id or all");
    }
    auto r = svc->Verify(ActorOf(call),
                         all.value() ? std::nullopt : std::optional<std::string>(id.value()),
                         ProgressOf(call));
    if (!r.ok()) return r.status();
    std::string failures;
    size_t failed = 0;
    Array::Ptr items = new Array;
    for (const auto& v : r.value()) {
      items->add(OutcomeJson(v));
      if (!v.result.ok()) {
        ++failed;
        failures += "\n  " + v.id + ": " + v.result.message();
      }
    }
    if (failed > 0) {
      return Status::Error("integrity", std::to_string(failed) + " of " +
                                            std::to_string(r.value().size()) +
                                            " backup(s) do not verify:" + failures);
    }
    Object::Ptr o = NewObject();
    o->set("backups", items);
    return Var(o);
  });
  d.Register("backup.prune", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"dry_run"}); !s.ok()) return s;
    auto dry = OptBool(call, "dry_run");
    if (!dry.ok()) return dry.status();
    auto r = svc->Prune(ActorOf(call), dry.value());
    if (!r.ok()) return r.status();
    return Var(PruneJson(r.value()));
  });
  // {"id", "to": DIR} restores into DIR; {"id", "in_place": true} restores into the
  // staging dir, verifies, and has the app swap it in after this reply ("restarting").
  d.Register("backup.restore", [svc, in_place](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"id", "to", "in_place"}); !s.ok()) return s;
    auto id = RequiredString(call, "id");
    if (!id.ok()) return id.status();
    auto to = OptString(call, "to", "");
    if (!to.ok()) return to.status();
    auto here = OptBool(call, "in_place");
    if (!here.ok()) return here.status();
    if (to.value().empty() == !here.value()) {
      return BadParam("to", "give exactly one of a directory (to) or in_place");
    }
    std::error_code ec;
    if (here.value()) {
      // One in-place restore at a time: a second would reuse the staging dir under the
      // first, and only one swap can happen before sigmad serves again.
      if (in_place.pending->exchange(true)) {
        return Status::Error("busy", "an in-place restore is already under way");
      }
      if (Status s = in_place.check(); !s.ok()) {
        in_place.pending->store(false);
        return s;
      }
      std::filesystem::remove_all(in_place.staging, ec);  // a crash's leftovers
    }
    const std::filesystem::path dir =
        here.value() ? in_place.staging : std::filesystem::path(to.value());
    auto r = svc->RestoreTo(ActorOf(call), id.value(), dir, ProgressOf(call));
    if (!r.ok()) {
      if (here.value()) in_place.pending->store(false);
      return r.status();
    }
    Object::Ptr o = NewObject();
    o->set("backup", ManifestJson(r.value().manifest));
    o->set("verified", OutcomeJson(r.value().verified));
    if (here.value()) {
      o->set("in_place", true);
      o->set("previous_store", in_place.swap(id.value(), ActorOf(call)).string());
    } else {
      o->set("dir", r.value().dir.string());
    }
    return Var(o);
  });
  d.Register("backup.drill", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    auto r = svc->Drill(ActorOf(call), ProgressOf(call));
    if (!r.ok()) return r.status();
    if (!r.value().ok) {
      return Status::Error("integrity", "restore drill with backup " + r.value().backup_id +
                                            " failed: " + r.value().problem);
    }
    return Var(DrillJson(r.value()));
  });
}

}  // namespace sigmad::app
