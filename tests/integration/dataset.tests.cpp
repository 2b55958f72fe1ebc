// Integration tests: sigmactl dataset import|list|show|export|delete against a real sigmad.
#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <string>
#include <vector>

#include "integration/harness.h"

using namespace sigmad::it;

namespace {

struct Appliance {
  TempDir tmp;
  Daemon d{tmp.path() / "state"};
  Appliance() {
    REQUIRE(d.Start());
    REQUIRE(Ctl({"tenant", "create", "acme"}).exit_code == 0);
    REQUIRE(Ctl({"project", "create", "acme/alloys"}).exit_code == 0);
  }
  RunResult Ctl(const std::vector<std::string>& args) { return sigmad::it::Ctl(d.socket(), args); }
  fs::path File(const std::string& name, const std::string& text) {
    const fs::path p = tmp.path() / name;
    WriteFile(p, text);
    return p;
  }
};

const std::string kSchema =
    "columns:\n"
    "  - name: temp\n"
    "    role: input\n"
    "    type: numeric\n"
    "    unit: degC\n"
    "    min: -40\n"
    "    max: 150\n"
    "  - name: alloy\n"
    "    role: input\n"
    "    type: categorical\n"
    "    levels: [A, B]\n"
    "  - name: note\n"
    "    role: ignore\n"
    "  - name: strength\n"
    "    role: output\n"
    "    type: numeric\n"
    "    missing: mean\n";

// A BOM, CRLF, quoted fields with a comma and a line break in the ignored column.
const std::string kCsv =
    "\xEF\xBB\xBFtemp,alloy,note,strength\r\n"
    "20.5,A,\"first, hot\",100\r\n"
    "30,B,\"two\nlines\",\r\n"
    "40,A,,130.5\r\n";

}  // namespace

TEST_CASE("dataset import with a schema, list, show, export, re-import, delete",
          "[integration][dataset]") {
  Appliance a;
  const fs::path csv = a.File("runs.csv", kCsv);
  const fs::path schema = a.File("schema.yaml", kSchema);
  RunResult r = a.Ctl({"dataset", "import", "acme/alloys", "runs", "--file", csv.string(),
                       "--schema", schema.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("imported acme/alloys/runs: 3 rows, 3 columns, hash "));
  CHECK_THAT(r.out, Catch::Contains("\ncolumn strength: filled 1 missing value with the mean 115.25\n"));
  CHECK_THAT(r.out, Catch::Contains("temp      input   numeric      degC  20.5 .. 40"));

  r = a.Ctl({"dataset", "list", "acme/alloys"});
  CHECK_THAT(r.out, Catch::StartsWith("NAME  ROWS  COLUMNS  HASH") &&
                        Catch::Contains("\nruns  3     3        ") &&
                        Catch::EndsWith("  runs.csv\n"));
  r = a.Ctl({"dataset", "show", "acme/alloys/runs"});
  CHECK_THAT(r.out, Catch::StartsWith("dataset  acme/alloys/runs\nrows     3\ncolumns  3\n") &&
                        Catch::Contains("alloy     input   categorical  -     A 2, B 1\n"));

  // Export gives the stored values back; exporting the export again is byte-stable.
  const fs::path out = a.tmp.path() / "out.csv";
  r = a.Ctl({"dataset", "export", "acme/alloys/runs", "--output", out.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.err == "exported 3 rows (54 bytes) to " + out.string() + "\n");
  CHECK(ReadFile(out) == "temp,alloy,strength\n20.5,A,100\n30,B,115.25\n40,A,130.5\n");
  CHECK_FALSE(fs::exists(out.string() + ".part"));
  r = a.Ctl({"dataset", "import", "acme/alloys", "copy", "--file", out.string(), "--schema",
             a.File("s2.yaml", "columns:\n"
                               "  - {name: temp, role: input, type: numeric, unit: degC, min: -40, max: 150}\n"
                               "  - {name: alloy, role: input, type: categorical, levels: [A, B]}\n"
                               "  - {name: strength, role: output, type: numeric, missing: mean}\n")
                 .string()});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("the same data is already dataset acme/alloys/runs (hash "));
  CHECK(a.Ctl({"dataset", "export", "acme/alloys/runs"}).out == ReadFile(out));

  // Datasets are immutable: the name is taken.
  r = a.Ctl({"dataset", "import", "acme/alloys", "runs", "--file",
             a.File("other.csv", "temp,alloy,strength\n1,A,2\n").string(), "--inputs",
             "temp,alloy", "--outputs", "strength"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::StartsWith("sigmactl: dataset 'acme/alloys/runs' already exists with "
                                      "other data"));

  CHECK(a.Ctl({"dataset", "delete", "acme/alloys/runs"}).out ==
        "deleted dataset acme/alloys/runs (3 rows)\n");
  CHECK_THAT(a.Ctl({"dataset", "list", "acme/alloys"}).out, Catch::StartsWith("no datasets in"));
  CHECK(a.Ctl({"store", "verify"}).exit_code == 0);
  const std::string audit = a.Ctl({"audit", "export"}).out;
  CHECK_THAT(audit, Catch::Contains("\"action\":\"dataset.import\",\"target\":\"acme/alloys/runs\","
                                    "\"outcome\":\"ok\""));
  CHECK_THAT(audit, Catch::Contains("\"action\":\"dataset.delete\",\"target\":\"acme/alloys/runs\","
                                    "\"outcome\":\"ok\""));
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("dataset import: bad rows are listed and nothing is stored, or skipped on request",
          "[integration][dataset]") {
  Appliance a;
  const fs::path csv = a.File("bad.csv",
                              "temp,alloy,note,strength\n"
                              "hot,A,x,100\n"
                              "20,C,x,110\n"
                              "25,B,x,120\n"
                              "999,A,x,NaN\n");
  const fs::path schema = a.File("schema.yaml", kSchema);
  RunResult r = a.Ctl({"dataset", "import", "acme/alloys", "runs", "--file", csv.string(),
                       "--schema", schema.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("row 1, column temp: value \"hot\": ") &&
                        Catch::Contains("row 2, column alloy: value \"C\": ") &&
                        Catch::Contains("row 4, column temp: value \"999\": ") &&
                        Catch::Contains("row 4, column strength: value \"NaN\": not a finite "
                                        "number"));
  CHECK_THAT(a.Ctl({"dataset", "list", "acme/alloys"}).out, Catch::StartsWith("no datasets in"));
  CHECK_THAT(a.Ctl({"audit", "export"}).out,
             Catch::Contains("\"action\":\"dataset.import\",\"target\":\"acme/alloys/runs\","
                             "\"outcome\":\"error:invalid_data\""));

  r = a.Ctl({"dataset", "import", "acme/alloys", "runs", "--file", csv.string(), "--schema",
             schema.string(), "--on-error", "skip"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("imported acme/alloys/runs: 1 rows, 3 columns") &&
                        Catch::Contains("\n  row 1, column temp: value \"hot\": "));
  CHECK(a.Ctl({"dataset", "export", "acme/alloys/runs"}).out ==
        "temp,alloy,strength\n25,B,120\n");

  // Usage errors are caught before the file is sent.
  r = a.Ctl({"dataset", "import", "acme/alloys", "x", "--file", csv.string(), "--inputs", "temp"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "sigmactl: dataset import needs --schema, or both --inputs and --outputs\n");
  r = a.Ctl({"dataset", "import", "acme/alloys", "x", "--file", "/nonexistent.csv", "--inputs",
             "a", "--outputs", "b"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: cannot read the CSV file /nonexistent.csv\n");
  r = a.Ctl({"dataset", "import", "acme/nope", "x", "--file", csv.string(), "--inputs", "temp",
             "--outputs", "strength"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: project 'acme/nope' does not exist\n");
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("dataset import of a file larger than one request, in several uploads",
          "[integration][dataset]") {
  Appliance a;
  std::string csv = "x1,x2,x3,y\n";
  size_t rows = 0;
  while (csv.size() < (size_t{13} << 20)) {  // three 6 MiB parts
    const double x = static_cast<double>(rows);
    csv += std::to_string(rows) + "," + std::to_string(x * 0.5) + "," + std::to_string(rows % 7) +
           "," + std::to_string(x * 3.25) + "\n";
    ++rows;
  }
  const fs::path file = a.File("big.csv", csv);
  RunResult r = a.Ctl({"dataset", "import", "acme/alloys", "big", "--file", file.string(),
                       "--inputs", "x1,x2,x3", "--outputs", "y"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("imported acme/alloys/big: " + std::to_string(rows) +
                                      " rows, 4 columns"));
  // The values come back in their shortest form ("0.5", not "0.500000"), one line each.
  const std::string exported = a.Ctl({"dataset", "export", "acme/alloys/big"}).out;
  CHECK(static_cast<size_t>(std::count(exported.begin(), exported.end(), '\n')) == rows + 1);
  CHECK(exported.substr(0, 32) == "x1,x2,x3,y\n0,0,0,0\n1,0.5,1,3.25\n");
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("dataset export of non-ASCII text over several chunks, project delete takes datasets",
          "[integration][dataset]") {
  Appliance a;
  std::string csv = "x,alloy,y\n";
  std::string expected = csv;
  for (int i = 0; i < 40000; ++i) {  // ~0.5 MB: two or three 256 KiB chunks
    const std::string level = i % 2 ? "\xC3\xA9t\xC3\xA9" : "\xE6\x97\xA5\xE6\x9C\xAC";  // été, 日本
    const std::string row = std::to_string(i) + "," + level + "," + std::to_string(i * 2) + "\n";
    csv += row;
    expected += row;
  }
  REQUIRE(a.Ctl({"dataset", "import", "acme/alloys", "intl", "--file",
                 a.File("intl.csv", csv).string(), "--inputs", "x,alloy", "--outputs", "y"})
              .exit_code == 0);
  const fs::path out = a.tmp.path() / "intl-out.csv";
  RunResult r = a.Ctl({"dataset", "export", "acme/alloys/intl", "--output", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(out) == expected);
  CHECK((fs::status(out).permissions() & fs::perms::others_read) == fs::perms::none);

  // A project holding a dataset is not deleted without --force; with it, the dataset
  // and its data go too.
  r = a.Ctl({"project", "delete", "acme/alloys"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "sigmactl: project 'acme/alloys' has 1 dataset; delete them first or use --force\n");
  r = a.Ctl({"project", "delete", "acme/alloys", "--force"});
  CHECK(r.out == "deleted project acme/alloys and 0 tasks, 1 dataset\n");
  const std::string verify = a.Ctl({"store", "verify"}).out;
  // (Column widths follow the longest DB name, so match the rows, not the spacing.)
  CHECK(std::regex_search(verify, std::regex("\ndatasets +0 ")));
  CHECK(std::regex_search(verify, std::regex("\ndataset_data +0 ")));
  CHECK(a.d.Stop() == 0);
}
