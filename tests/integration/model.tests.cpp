// Integration tests: sigmactl model train|list|show and the job commands, against a
// real sigmad that trains with libtorch.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
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
  // A small model, trained and waited for; returns sigmactl's exit code.
  int TrainQuick(const std::string& name) {
    return Ctl(d.socket(), {"model", "train", "acme/lab/lin", "--name", name, "--ensemble", "3",
                            "--hidden", "16", "--epochs", "200", "--folds", "0", "--wait"})
        .exit_code;
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
  // A categorical output is refused at once, not by a failing job.
  const fs::path graded = lab.tmp.path() / "graded.csv";
  WriteFile(graded, "a,grade\n1,hi\n2,lo\n3,hi\n");
  REQUIRE(Ctl(lab.d.socket(), {"dataset", "import", "acme/lab", "graded", "--file",
                               graded.string(), "--inputs", "a", "--outputs", "grade"})
              .exit_code == 0);
  r = Ctl(lab.d.socket(), {"model", "train", "acme/lab/graded", "--name", "m2"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: output column 'grade' is categorical; models predict numeric outputs "
                 "only (import it as numbers, or with role input or ignore)\n");
  CHECK_THAT(Ctl(lab.d.socket(), {"audit", "export"}).out,
             Catch::Contains("\"action\":\"model.train\",\"target\":\"acme/lab/m2\","
                             "\"outcome\":\"error:unsupported\""));
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

TEST_CASE("model train --wait on a terminal draws epoch, loss, members, folds and an ETA",
          "[integration][model]") {
  Lab lab;
  // script(1) gives sigmactl a pseudo-terminal, so it draws its progress line.
  const std::string command = std::string(SIGMACTL_BIN) + " --socket " + lab.d.socket().string() +
                              " model train acme/lab/lin --name m --ensemble 3 --folds 2 "
                              "--epochs 300 --wait";
  const RunResult r = Run({"/usr/bin/script", "-qec", command, "/dev/null"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\r\033[K[") && Catch::Contains("% epoch ") &&
                        Catch::Contains(", loss ") && Catch::Contains("; training ") &&
                        Catch::Contains(" of 3 members, ") && Catch::Contains(" of 2 folds ETA ") &&
                        Catch::Contains("\nstate      succeeded"));
  CHECK(lab.d.Stop() == 0);
}

TEST_CASE("job cancel stops a running training, nothing is stored", "[integration][model]") {
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

TEST_CASE("predict: inputs in any column order, NAME and NAME_std per output, the flag",
          "[integration][model]") {
  Lab lab;
  REQUIRE(lab.TrainQuick("m") == 0);
  const fs::path in = lab.tmp.path() / "in.csv";
  WriteFile(in, "b,a\r\n0.5,0.25\r\n3,0\r\n");
  RunResult r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", in.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err == "predicted 2 rows with acme/lab/m; 1 row has inputs outside the training range "
                 "(see out_of_range): trust those less\n");
  // Header, then each row: the inputs in the model's order, y1, y1_std, y2, y2_std, flag.
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : Lines(r.out)) rows.push_back(Split(line, ','));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"a", "b", "y1", "y1_std", "y2", "y2_std",
                                            "out_of_range"});
  REQUIRE(rows[1].size() == 6);  // an empty last field: inside the training range
  CHECK(rows[1][0] == "0.25");
  CHECK(rows[1][1] == "0.5");
  CHECK(std::stod(rows[1][2]) == Approx(2 * 0.25 - 0.5).margin(0.1));
  CHECK(std::stod(rows[1][4]) == Approx(0.25 + 3 * 0.5).margin(0.1));
  for (int c : {3, 5}) CHECK(std::stod(rows[1][static_cast<size_t>(c)]) > 0);
  REQUIRE(rows[2].size() == 7);
  CHECK(rows[2][1] == "3");
  CHECK(rows[2][6] == "b");

  // --output: the same bytes, mode 0600; written whole or not at all.
  const fs::path out = lab.tmp.path() / "out.csv";
  r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", in.string(), "--output",
                           out.string()});
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(out) == Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", in.string()}).out);
  CHECK((fs::status(out).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  // --json: the daemon's result on standard output, which --output leaves free.
  r = Ctl(lab.d.socket(), {"--json", "predict", "acme/lab/m", "--file", in.string(), "--output",
                           out.string()});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"model\": \"acme/lab/m\"") &&
                        Catch::Contains("\"rows\": 2") && Catch::Contains("\"outside\": 1"));
  r = Ctl(lab.d.socket(), {"--json", "predict", "acme/lab/m", "--file", in.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "sigmactl: predict --json needs --output: standard output carries the CSV\n");
  const fs::path bad = lab.tmp.path() / "bad.csv";
  WriteFile(bad, "a,b,y1\n1,x,2\n,2,1\n");
  r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", bad.string(), "--output",
                           out.string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: CSV column \"y1\" is not an input of the model; remove it\n"
                 "the model's inputs are: a, b\n");
  CHECK(ReadFile(out) == Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", in.string()}).out);
  WriteFile(bad, "a,b\n1,x\n,2\n1,1e999\n");
  r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", bad.string()});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "sigmactl: row 1, column b: value \"x\": not a number\n"
                 "row 2, column a: value \"\": missing (the column's rule is missing: reject)\n"
                 "row 3, column b: value \"1e999\": out of range\n");
  WriteFile(bad, "a\n1\n");
  r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", bad.string()});
  CHECK(r.err == "sigmactl: model input \"b\" is not in the CSV\nthe model's inputs are: a, b\n");
  WriteFile(bad, "");
  r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", bad.string()});
  CHECK(r.err == "sigmactl: the file is empty\n");
  r = Ctl(lab.d.socket(), {"predict", "acme/lab/nope", "--file", in.string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: model 'acme/lab/nope' does not exist\n");
  // Standard output that cannot be written is an error, not a silent loss.
  r = Run({"/bin/sh", "-c",
           std::string(SIGMACTL_BIN) + " --socket " + lab.d.socket().string() +
               " predict acme/lab/m --file " + in.string() + " >/dev/full"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: cannot write standard output (a full disk or a closed pipe?); what "
                 "was written is incomplete\n");
  r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", (lab.tmp.path() / "none").string()});
  CHECK(r.err == "sigmactl: cannot read the CSV file " + (lab.tmp.path() / "none").string() + "\n");

  const std::string audit = Ctl(lab.d.socket(), {"audit", "export"}).out;
  CHECK_THAT(audit, Catch::Contains("\"action\":\"model.predict\",\"target\":\"acme/lab/m\","
                                    "\"outcome\":\"ok\""));
  CHECK_THAT(audit, Catch::Contains("\"action\":\"model.predict\",\"target\":\"acme/lab/m\","
                                    "\"outcome\":\"error:invalid_data\""));
  CHECK_THAT(audit, Catch::Contains("\"action\":\"model.predict\",\"target\":\"acme/lab/nope\","
                                    "\"outcome\":\"error:not_found\""));
  CHECK(lab.d.Stop() == 0);
}

TEST_CASE("predict: a large file crosses several uploads and answer chunks, row for row",
          "[integration][model]") {
  Lab lab;
  REQUIRE(lab.TrainQuick("m") == 0);
  // 200 000 rows of long numbers: about 8 MiB in, more than one 6 MiB upload part, and
  // many 256 KiB answer chunks.
  std::string csv = "a,b\n";
  char row[80];
  for (int i = 0; i < 200000; ++i) {
    std::snprintf(row, sizeof row, "%.17g,%.17g\n", -1 + (i % 1000) / 500.0 + 1e-7,
                  1 - (i / 1000) / 100.0 - 1e-9 * i);
    csv += row;
  }
  REQUIRE(csv.size() > (size_t{6} << 20));
  const fs::path in = lab.tmp.path() / "big.csv", out = lab.tmp.path() / "big.out.csv";
  WriteFile(in, csv);
  RunResult r = Ctl(lab.d.socket(), {"predict", "acme/lab/m", "--file", in.string(), "--output",
                                     out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> in_lines = Lines(csv), out_lines = Lines(ReadFile(out));
  REQUIRE(out_lines.size() == 200001);
  for (size_t i = 1; i < out_lines.size(); i += 9973) {
    const std::vector<std::string> in_row = Split(in_lines[i], ','), out_row = Split(out_lines[i], ',');
    CHECK(std::stod(out_row[0]) == std::stod(in_row[0]));
    CHECK(std::stod(out_row[1]) == std::stod(in_row[1]));
  }
  CHECK(lab.d.Stop() == 0);
}

TEST_CASE("kill -9 during training: the job is interrupted after restart, the rest intact",
          "[integration][model]") {
  Lab lab;
  const std::string before = Ctl(lab.d.socket(), {"dataset", "export", "acme/lab/lin"}).out;
  REQUIRE(lab.TrainQuick("early") == 0);
  const fs::path in = lab.tmp.path() / "in.csv";
  WriteFile(in, "a,b\n0.1,0.2\n-0.5,0.7\n");
  const std::string predicted =
      Ctl(lab.d.socket(), {"predict", "acme/lab/early", "--file", in.string()}).out;
  REQUIRE_FALSE(predicted.empty());
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
  // The earlier model is intact: the same predictions, to the bit.
  CHECK(Ctl(lab.d.socket(), {"predict", "acme/lab/early", "--file", in.string()}).out ==
        predicted);
  CHECK(Ctl(lab.d.socket(), {"store", "verify"}).exit_code == 0);
  CHECK(Ctl(lab.d.socket(), {"audit", "verify"}).exit_code == 0);
  CHECK_THAT(Ctl(lab.d.socket(), {"audit", "export"}).out,
             Catch::Contains("\"action\":\"job.interrupt\",\"target\":\"job " + id + "\""));
  CHECK(lab.d.Stop() == 0);
}
