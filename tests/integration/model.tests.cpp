// Integration tests: sigmactl model train|list|show and the job commands, against a
// real sigmad that trains with libtorch.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "integration/harness.h"

using namespace sigmad::it;

namespace {

// y1 = 2a - b, y2 = a + 3b over a 15 x 15 grid: easy to learn, quick to train.
std::string LinearCsv() {
  std::string csv = "a,b,y1,y2\n";
  for (int i = 0; i < 15; ++i) {
    for (int j = 0; j < 15; ++j) {
      const double a = i / 7.0 - 1, b = j / 7.0 - 1;
      csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(2 * a - b) + "," +
             std::to_string(a + 3 * b) + "\n";
    }
  }
  return csv;
}

// The job id in "training T/P/M as job ID (follow it with: ...)".
std::string JobId(const std::string& out) {
  const size_t at = out.find(" as job ");
  REQUIRE(at != std::string::npos);
  return out.substr(at + 8, 16);
}

// Waits (bounded) until the job's state is `state`.
void WaitState(Daemon& d, const std::string& id, const std::string& state) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string out;
  while (std::chrono::steady_clock::now() < deadline) {
    out = Ctl(d.socket(), {"job", "show", id}).out;
    if (out.find("\nstate      " + state + "\n") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("job " << id << " never became " << state << ":\n" << out);
}

struct Lab {
  TempDir tmp;
  Daemon d{tmp.path() / "state"};
  Lab() {
    REQUIRE(d.Start());
    REQUIRE(Ctl(d.socket(), {"tenant", "create", "acme"}).exit_code == 0);
    REQUIRE(Ctl(d.socket(), {"project", "create", "acme/lab"}).exit_code == 0);
    const fs::path csv = tmp.path() / "lin.csv";
    WriteFile(csv, LinearCsv());
    REQUIRE(Ctl(d.socket(), {"dataset", "import", "acme/lab", "lin", "--file", csv.string(),
                             "--inputs", "a,b", "--outputs", "y1,y2"})
                .exit_code == 0);
  }
  // A training slow enough to catch running: wide layers, many members.
  std::string StartSlow(const std::string& name) {
    RunResult r = Ctl(d.socket(), {"model", "train", "acme/lab/lin", "--name", name, "--hidden",
                                   "512,512", "--ensemble", "16", "--epochs", "100000"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return JobId(r.out);
  }
};

}  // namespace

TEST_CASE("model train --wait, model show and list, names are taken once",
          "[integration][model]") {
  Lab lab;
  RunResult r = Ctl(lab.d.socket(), {"model", "train", "acme/lab/lin", "--name", "m1",
                                     "--ensemble", "3", "--folds", "3", "--wait"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\nstate      succeeded\n") &&
                        Catch::Contains("\nresult     model acme/lab/m1\n"));
  r = Ctl(lab.d.socket(), {"model", "show", "acme/lab/m1"});
  CHECK_THAT(r.out, Catch::StartsWith("model    acme/lab/m1\ndataset  lin (hash ") &&
                        Catch::Contains("network  3 members, hidden 64,64, up to 500 epochs, "
                                        "seed 1\n") &&
                        Catch::Contains("3-fold cross-validation:\nOUTPUT  R2"));
  // Cross-validated R² of both outputs is high: y1 and y2 are linear in a and b.
  for (const char* out : {"\ny1 ", "\ny2 "}) {
    const size_t at = r.out.find(out);
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(r.out.substr(at + 4)) > 0.99);
  }
  CHECK_THAT(Ctl(lab.d.socket(), {"model", "list", "acme/lab"}).out,
             Catch::StartsWith("NAME  DATASET  ROWS  CV R2") && Catch::Contains("\nm1    lin      225 "));

  r = Ctl(lab.d.socket(), {"model", "train", "acme/lab/lin", "--name", "M1"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: model 'acme/lab/M1' already exists; models are immutable: train "
                 "under another name\n");
  r = Ctl(lab.d.socket(), {"model", "train", "acme/lab/lin", "--name", "m2", "--ensemble", "0"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: option ensemble must be in 1..64, not 0\n");
  r = Ctl(lab.d.socket(), {"model", "train", "acme/lab/nope", "--name", "m2"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: dataset 'acme/lab/nope' does not exist\n");
  const std::string audit = Ctl(lab.d.socket(), {"audit", "export"}).out;
  CHECK_THAT(audit, Catch::Contains("\"action\":\"model.train\",\"target\":\"acme/lab/m1\","
                                    "\"outcome\":\"ok\""));
  CHECK_THAT(audit, Catch::Contains("\"action\":\"job.submit\""));

  // The dataset m1 was trained on is deleted only with --force; m1 stays.
  r = Ctl(lab.d.socket(), {"dataset", "delete", "acme/lab/lin"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: dataset 'acme/lab/lin' was used to train model m1; delete it with "
                 "--force (the models keep working: they hold what they learned, and its hash)\n");
  CHECK(Ctl(lab.d.socket(), {"dataset", "delete", "acme/lab/lin", "--force"}).exit_code == 0);
  CHECK(Ctl(lab.d.socket(), {"model", "show", "acme/lab/m1"}).exit_code == 0);
  CHECK(lab.d.Stop() == 0);
}

TEST_CASE("job cancel stops a running training; nothing is stored", "[integration][model]") {
  Lab lab;
  const std::string id = lab.StartSlow("slow");
  WaitState(lab.d, id, "running");
  RunResult r = Ctl(lab.d.socket(), {"job", "cancel", id});
  CHECK(r.out == "asked job " + id + " to stop; it ends at its next check\n");
  r = Ctl(lab.d.socket(), {"job", "wait", id});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("\nstate      cancelled\n"));
  CHECK_THAT(Ctl(lab.d.socket(), {"model", "list", "acme/lab"}).out,
             Catch::StartsWith("no models in acme/lab"));
  CHECK(lab.d.Stop() == 0);
}

TEST_CASE("kill -9 during training: the job is interrupted after restart, the rest intact",
          "[integration][model]") {
  Lab lab;
  const std::string before = Ctl(lab.d.socket(), {"dataset", "export", "acme/lab/lin"}).out;
  const std::string id = lab.StartSlow("doomed");
  WaitState(lab.d, id, "running");
  lab.d.Signal(SIGKILL);
  REQUIRE(lab.d.WaitExit(std::chrono::seconds(10)) == -1);  // died by the signal
  REQUIRE(lab.d.Start());
  const RunResult show = Ctl(lab.d.socket(), {"job", "show", id});
  CHECK_THAT(show.out, Catch::Contains("\nstate      interrupted\n") &&
                           Catch::Contains("\nerror      sigmad stopped while the job was "
                                           "running\n"));
  CHECK(Ctl(lab.d.socket(), {"dataset", "export", "acme/lab/lin"}).out == before);
  CHECK(Ctl(lab.d.socket(), {"model", "show", "acme/lab/doomed"}).exit_code == 1);
  CHECK(Ctl(lab.d.socket(), {"store", "verify"}).exit_code == 0);
  CHECK(Ctl(lab.d.socket(), {"audit", "verify"}).exit_code == 0);
  CHECK_THAT(Ctl(lab.d.socket(), {"audit", "export"}).out,
             Catch::Contains("\"action\":\"job.interrupt\",\"target\":\"job " + id + "\""));
  CHECK(lab.d.Stop() == 0);
}
