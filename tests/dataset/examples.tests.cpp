// The example data the demo imports (examples/formulation) stays valid under its schema.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "dataset/dataset.h"

namespace sigmad::dataset {
namespace {

std::string Read(const std::string& relative) {
  std::ifstream in(std::string(SIGMAD_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("examples/formulation: every row fits the schema", "[dataset]") {
  const Result<Schema> schema =
      ParseSchema(Read("examples/formulation/schema.yaml"), "schema.yaml");
  REQUIRE(schema.ok());
  const Result<CsvTable> table = ReadCsv(Read("examples/formulation/experiments.csv"));
  REQUIRE(table.ok());
  const Result<Imported> imported = MakeDataset(table.value(), schema.value());
  INFO((imported.ok() ? "" : imported.status().message()));
  REQUIRE(imported.ok());
  CHECK(imported->dataset.row_count() == 400);
  CHECK(imported->report.rows_kept == 400);
  int inputs = 0, outputs = 0;
  for (const ColumnSpec& c : imported->dataset.schema.columns) {
    inputs += c.role == Role::kInput ? 1 : 0;
    outputs += c.role == Role::kOutput ? 1 : 0;
  }
  CHECK(inputs == 4);
  CHECK(outputs == 2);
  // The prediction inputs have the same input columns, in another order.
  const Result<CsvTable> fresh = ReadCsv(Read("examples/formulation/new-inputs.csv"));
  REQUIRE(fresh.ok());
  CHECK(fresh->header() ==
        std::vector<std::string>{"solvent", "temperature_c", "catalyst_pct", "mixing_rpm"});
}

}  // namespace
}  // namespace sigmad::dataset
