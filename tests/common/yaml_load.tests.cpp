#include "common/yaml_load.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

using sigmad::LoadYamlDocuments;
using sigmad::YamlLimits;

// "LINE:COL: message" (1-based) of what loading `text` throws, or "ok".
std::string Error(const std::string& text, const YamlLimits& limits = {}) {
  try {
    LoadYamlDocuments(text, limits);
    return "ok";
  } catch (const YAML::Exception& e) {
    return std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " +
           e.msg;
  }
}

}  // namespace

TEST_CASE("LoadYamlDocuments: documents, with the stream's line numbers", "[common][yaml]") {
  const auto docs = LoadYamlDocuments("a: 1\n---\n# two\nb: [x, y]\n...\n---\nc: 3\n");
  REQUIRE(docs.size() == 3);
  CHECK(docs[0]["a"].as<int>() == 1);
  CHECK(docs[1]["b"][1].as<std::string>() == "y");
  CHECK(docs[1]["b"].Mark().line + 1 == 4);
  CHECK(docs[2]["c"].Mark().line + 1 == 7);
  CHECK(LoadYamlDocuments("").empty());
  CHECK(LoadYamlDocuments("# only a comment\n").size() == 1);  // a null document
  CHECK(LoadYamlDocuments("--- # c\n~\n...\n").size() == 1);
}

TEST_CASE("LoadYamlDocuments: what hangs or explodes yaml-cpp 0.7 is an error", "[common][yaml]") {
  // Each of these made YAML::LoadAll loop forever or run out of memory.
  CHECK(Error(",\n") == "1:1: this is not a YAML document");
  CHECK(Error("# c\n\n  ,,\n") == "3:3: this is not a YAML document");
  CHECK(Error("a: &a [x, *a]\n") ==
        "1:1: the document nests deeper than 64 levels or has more than 100000 nodes (an alias "
        "loop or expansion?)");
  CHECK(Error("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
              "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
              "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n") ==
        "1:1: the document nests deeper than 64 levels or has more than 100000 nodes (an alias "
        "loop or expansion?)");
  CHECK(Error("a: [1\n") == "2:1: end of sequence flow not found");
}

TEST_CASE("LoadYamlDocuments: the limits", "[common][yaml]") {
  YamlLimits small;
  small.max_documents = 2;
  small.max_depth = 2;
  small.max_nodes = 5;
  CHECK(Error("a\n---\nb\n", small) == "ok");
  CHECK(Error("a\n---\nb\n---\nc\n", small) == "0:0: the stream holds more than 2 YAML documents");
  CHECK(Error("a: {b: c}\n", small) == "ok");  // map, key, map, key, value: 5 nodes, depth 2
  CHECK_THAT(Error("a: {b: [c]}\n", small), Catch::Contains("nests deeper than 2 levels"));
  CHECK_THAT(Error("[1, 2, 3, 4, 5]\n", small), Catch::Contains("more than 5 nodes"));
}
