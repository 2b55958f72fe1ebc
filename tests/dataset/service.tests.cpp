#include "dataset/service.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>

#include "audit/log.h"
#include "common/clock.h"
#include "store/vault.h"
#include "support/temp_dir.h"
#include "support/vault.h"
#include "tenancy/service.h"

namespace {

using sigmad::testing::Ok;
using namespace sigmad::dataset;
using sigmad::FakeClock;
using sigmad::testing::TempDir;
using Time = std::chrono::system_clock::time_point;

const sigmad::tenancy::Actor kRoot{"uid=0(root)", "control"};

struct Fixture {
  TempDir dir;
  FakeClock clock{Time(std::chrono::milliseconds(1795417500123))};
  std::unique_ptr<sigmad::store::Vault> vault;
  std::unique_ptr<sigmad::audit::AuditLog> log;
  std::unique_ptr<sigmad::tenancy::TenancyService> tenancy;
  std::unique_ptr<DatasetService> svc;
  Fixture() {
    Open();
    Ok(tenancy->CreateTenant(kRoot, "acme"));
    Ok(tenancy->CreateProject(kRoot, "acme/alloys"));
    Ok(tenancy->CreateTenant(kRoot, "other"));
    Ok(tenancy->CreateProject(kRoot, "other/alloys"));
  }
  void Open() {
    svc.reset();
    tenancy.reset();
    log.reset();
    vault.reset();
    vault = sigmad::testing::OpenTestVault(dir.path(), clock);
    log = Ok(sigmad::audit::AuditLog::Open(*vault));
    tenancy = Ok(sigmad::tenancy::TenancyService::Open(*vault, *log, clock));
    svc = Ok(DatasetService::Open(*vault, *log, *tenancy, clock));
  }
  std::string LastAudit() {
    std::string out;
    REQUIRE(log->Read(log->last_seq(), [&](const sigmad::audit::Record& r, bool*) {
                 out = r.fields.action + " " + r.fields.target + " " + r.fields.outcome;
                 return sigmad::Status::Ok();
               }).ok());
    return out;
  }
};

const std::string kCsv =
    "temp,alloy,strength\n"
    "20.5,A,100\n"
    "30,B,120.25\n"
    "40,A,\"130\"\n";

ImportRequest Request(const std::string& name, const std::string& csv = kCsv) {
  ImportRequest r;
  r.path = "acme/alloys";
  r.name = name;
  r.csv = csv;
  r.source = "data.csv";
  r.inputs = {"temp", "alloy"};
  r.outputs = {"strength"};
  return r;
}

}  // namespace

TEST_CASE("DatasetService imports, lists, shows, loads and deletes", "[dataset][service]") {
  Fixture f;
  const ImportResult imported = Ok(f.svc->Import(kRoot, Request("runs")));
  CHECK_FALSE(imported.existing);
  CHECK(imported.inferred);
  CHECK(imported.info.rows == 3);
  CHECK(imported.info.hash.size() == 64);
  CHECK(imported.info.schema.columns.size() == 3);
  CHECK(f.LastAudit() == "dataset.import acme/alloys/runs ok");

  const auto list = Ok(f.svc->List("ACME/alloys"));
  REQUIRE(list.size() == 1);
  CHECK(list[0].name == "runs");
  CHECK(list[0].tenant == "acme");
  CHECK(Ok(f.svc->List("other/alloys")).empty());  // another tenant's project
  // The same data in another tenant's project is that tenant's own dataset.
  ImportRequest theirs = Request("runs");
  theirs.path = "other/alloys";
  const ImportResult other = Ok(f.svc->Import(kRoot, theirs));
  CHECK_FALSE(other.existing);
  CHECK(other.info.hash == imported.info.hash);
  CHECK(Ok(f.svc->List("acme/alloys")).size() == 1);
  CHECK(Ok(f.svc->Delete(kRoot, "other/alloys/runs", false)).tenant == "other");

  const DatasetInfo shown = Ok(f.svc->Show("acme/alloys/RUNS"));
  CHECK(shown.hash == imported.info.hash);
  REQUIRE(shown.stats.size() == 3);
  CHECK(shown.stats[0].min == 20.5);
  CHECK(shown.stats[0].max == 40);
  CHECK(shown.stats[1].level_counts == std::vector<uint64_t>{2, 1});
  CHECK(shown.stats[2].mean == Approx((100 + 120.25 + 130) / 3.0));

  const Dataset loaded = Ok(f.svc->Load("acme/alloys/runs"));
  CHECK(loaded.columns[0] == std::vector<double>{20.5, 30, 40});
  CHECK(loaded.columns[1] == std::vector<double>{0, 1, 0});
  CHECK(ExportCsv(loaded) == "temp,alloy,strength\n20.5,A,100\n30,B,120.25\n40,A,130\n");

  // Survives a reopen.
  f.Open();
  CHECK(Ok(f.svc->Load("acme/alloys/runs")) == loaded);

  const DatasetInfo gone = Ok(f.svc->Delete(kRoot, "acme/alloys/runs", false));
  CHECK(gone.name == "runs");
  CHECK(f.LastAudit() == "dataset.delete acme/alloys/runs ok");
  CHECK(Ok(f.svc->List("acme/alloys")).empty());
  CHECK(f.svc->Load("acme/alloys/runs").status().code() == "not_found");
}

TEST_CASE("DatasetService recognises the same data and keeps datasets immutable",
          "[dataset][service]") {
  Fixture f;
  const ImportResult first = Ok(f.svc->Import(kRoot, Request("runs")));
  // The same values written differently (CRLF, no quotes, another order of nothing):
  // the same content, so nothing new is stored.
  const ImportResult again = Ok(f.svc->Import(
      kRoot, Request("runs-copy", "temp,alloy,strength\r\n20.5,A,100\r\n30,B,120.25\r\n40,A,130\r\n")));
  CHECK(again.existing);
  CHECK(again.info.name == "runs");
  CHECK(again.info.hash == first.info.hash);
  CHECK(Ok(f.svc->List("acme/alloys")).size() == 1);
  CHECK(f.LastAudit() == "dataset.import acme/alloys/runs-copy ok");  // audited all the same

  const uint64_t seq = f.log->last_seq();
  auto taken = f.svc->Import(kRoot, Request("RUNS", "temp,alloy,strength\n1,A,2\n"));
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.status().code() == "exists");
  CHECK_THAT(taken.status().message(),
             Catch::StartsWith("dataset 'acme/alloys/runs' already exists with other data"));
  CHECK(f.log->last_seq() == seq + 1);  // the refusal is audited
  CHECK(f.LastAudit() == "dataset.import acme/alloys/RUNS error:exists");
  CHECK(Ok(f.svc->Load("acme/alloys/runs")).columns[0] == std::vector<double>{20.5, 30, 40});
}

TEST_CASE("DatasetService refuses bad requests, audits them, stores nothing",
          "[dataset][service]") {
  Fixture f;
  struct Case {
    const char* what;
    ImportRequest request;
    const char* code;
    const char* message_start;
  };
  ImportRequest bad_name = Request("no spaces");
  ImportRequest no_project = Request("runs");
  no_project.path = "acme/nope";
  ImportRequest bad_csv = Request("runs", "temp,alloy,strength\n1,A\n");
  ImportRequest bad_value = Request("runs", "temp,alloy,strength\nhot,A,1\n");
  bad_value.schema = "columns:\n  - {name: temp, role: input, type: numeric}\n"
                     "  - {name: alloy, role: input, type: categorical, levels: [A, B]}\n"
                     "  - {name: strength, role: output, type: numeric}\n";
  ImportRequest bad_schema = Request("runs");
  bad_schema.schema = "columns: 3\n";
  const Case cases[] = {
      {"a bad name", bad_name, "invalid_name", "dataset name"},  // audited as (invalid name)
      {"no such project", no_project, "not_found", "project 'acme/nope' does not exist"},
      {"a ragged row", bad_csv, "invalid_csv", "row 1 has 2 fields, the header has 3"},
      {"a bad value", bad_value, "invalid_data", "row 1, column temp: value \"hot\": "},
      {"a bad schema", bad_schema, "invalid_schema", "schema:1:10: "},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const uint64_t seq = f.log->last_seq();
    auto r = f.svc->Import(kRoot, c.request);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == c.code);
    CHECK_THAT(r.status().message(), Catch::StartsWith(c.message_start));
    CHECK(f.log->last_seq() == seq + 1);
    CHECK_THAT(f.LastAudit(), Catch::EndsWith(std::string("error:") + c.code));
    CHECK(Ok(f.svc->List("acme/alloys")).empty());
  }
}

TEST_CASE("DatasetService stores large datasets in column chunks", "[dataset][service]") {
  Fixture f;
  std::string csv = "x,y\n";
  const size_t rows = kChunkRows + 1000;
  for (size_t i = 0; i < rows; ++i) {
    csv += std::to_string(i) + "," + std::to_string(i * 2) + "\n";
  }
  ImportRequest r = Request("big", csv);
  r.inputs = {"x"};
  r.outputs = {"y"};
  const ImportResult imported = Ok(f.svc->Import(kRoot, r));
  CHECK(imported.info.rows == rows);
  const Dataset d = Ok(f.svc->Load("acme/alloys/big"));
  REQUIRE(d.row_count() == rows);
  CHECK(d.columns[0][kChunkRows] == static_cast<double>(kChunkRows));
  CHECK(d.columns[1][rows - 1] == static_cast<double>((rows - 1) * 2));
}

TEST_CASE("DatasetService: extreme values keep their statistics readable", "[dataset][service]") {
  Fixture f;
  ImportRequest r = Request("extreme", "x,y\n0,1\n1e200,2\n-1.7e308,3\n1.7e308,4\n");
  r.inputs = {"x"};
  r.outputs = {"y"};
  const ImportResult imported = Ok(f.svc->Import(kRoot, r));
  CHECK(imported.info.stats[0].max == 1.7e308);
  const DatasetInfo shown = Ok(f.svc->Show("acme/alloys/extreme"));  // the record reads back
  CHECK(shown.stats[0].min == -1.7e308);
  CHECK(std::isfinite(shown.stats[0].mean));
  CHECK(Ok(f.svc->List("acme/alloys")).size() == 1);
  CHECK(Ok(f.svc->Delete(kRoot, "acme/alloys/extreme", false)).rows == 4);
}

TEST_CASE("DatasetService: an invalid name stays out of the audit record", "[dataset][service]") {
  Fixture f;
  REQUIRE_FALSE(f.svc->Import(kRoot, Request("bad\x01name")).ok());
  CHECK(f.LastAudit() == "dataset.import (invalid name) error:invalid_name");
  REQUIRE_FALSE(f.svc->Delete(kRoot, "acme/alloys/bad\x01name", false).ok());
  CHECK(f.LastAudit() == "dataset.delete (invalid name) error:invalid_name");
  REQUIRE_FALSE(f.svc->Delete(kRoot, "acme/alloys/nothing", false).ok());
  CHECK(f.LastAudit() == "dataset.delete acme/alloys/nothing error:not_found");
}

TEST_CASE("DatasetService: a project's datasets go with it, and keep it without --force",
          "[dataset][service]") {
  Fixture f;
  Ok(f.svc->Import(kRoot, Request("runs")));
  auto refused = f.tenancy->DeleteProject(kRoot, "acme/alloys", false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() ==
        "project 'acme/alloys' has 1 dataset; delete them first or use --force");
  const auto deleted = Ok(f.tenancy->DeleteProject(kRoot, "acme/alloys", true));
  CHECK(deleted.data_deleted == 1);
  Ok(f.tenancy->CreateProject(kRoot, "acme/alloys"));
  CHECK(Ok(f.svc->List("acme/alloys")).empty());
  auto report = Ok(f.vault->Verify(nullptr));
  for (const auto& db : report.dbs) {
    if (db.name == "datasets" || db.name == "dataset_data") CHECK(db.records == 0);
  }
}
