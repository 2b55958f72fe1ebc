#include "dataset/values.h"

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace {

using sigmad::dataset::FoldCase;
using sigmad::dataset::FormatNumber;
using sigmad::dataset::HasOuterSpace;
using sigmad::dataset::ParseNumber;
using sigmad::dataset::Printable;

TEST_CASE("ParseNumber reads the whole text as a finite decimal number", "[dataset][values]") {
  struct Case {
    const char* text;
    double value;
  };
  const Case cases[] = {
      {"0", 0.0},
      {"12", 12.0},
      {"-3.25", -3.25},
      {"+1.5", 1.5},
      {".5", 0.5},
      {"1.", 1.0},
      {"1e-3", 1e-3},
      {"1E+5", 1e5},
      {"00012", 12.0},
      {"123456789012345678", 123456789012345678.0},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"4.9e-324", 4.9e-324},  // the smallest subnormal
      {"1e-300", 1e-300},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    double v = -1;
    CHECK(ParseNumber(c.text, &v) == nullptr);
    CHECK(v == c.value);
  }
  double zero = 1;
  REQUIRE(ParseNumber("-0", &zero) == nullptr);
  CHECK(zero == 0.0);
  CHECK(std::signbit(zero));
}

TEST_CASE("ParseNumber refuses anything else, saying why", "[dataset][values]") {
  struct Case {
    const char* text;
    std::string reason;
  };
  const Case cases[] = {
      {"", "not a number"},
      {"abc", "not a number"},
      {"1e", "not a number"},
      {"1e+", "not a number"},
      {"--1", "not a number"},
      {"+-1", "not a number"},
      {"++1", "not a number"},
      {"+", "not a number"},
      {"0x10", "not a number"},
      {"1_000", "not a number"},
      {"1,000.5", "not a number"},
      {"1.5.2", "not a number"},
      {"NA", "not a number"},
      {"1,5", "not a number (the decimal separator is '.')"},
      {"-0,25", "not a number (the decimal separator is '.')"},
      {" 1", "leading or trailing spaces"},
      {"1 ", "leading or trailing spaces"},
      {"\t2.5", "leading or trailing spaces"},
      {" x", "not a number"},
      {"1e999", "out of range"},
      {"-1e999", "out of range"},
      {"1e-999", "out of range"},
      {"1.7976931348623159e308", "out of range"},
      {"NaN", "not a finite number"},
      {"nan", "not a finite number"},
      {"-nan", "not a finite number"},
      {"nan(123)", "not a finite number"},
      {"Inf", "not a finite number"},
      {"-inf", "not a finite number"},
      {"+inf", "not a finite number"},
      {"infinity", "not a finite number"},
      {"-Infinity", "not a finite number"},
  };
  for (const auto& c : cases) {
    INFO('"' << c.text << '"');
    double v = 42;
    const char* why = ParseNumber(c.text, &v);
    REQUIRE(why != nullptr);
    CHECK(why == c.reason);
    CHECK(v == 42);  // untouched
  }
}

TEST_CASE("FormatNumber writes the shortest text that reads back exactly", "[dataset][values]") {
  struct Case {
    double value;
    const char* text;
  };
  const Case cases[] = {
      {1e-300, "1e-300"},
      {0.1, "0.1"},
      {-0.0, "-0"},
      {0.0, "0"},
      {123456789012345678.0, "123456789012345680"},
      {1e21, "1e+21"},
      {-2.5, "-2.5"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {1.0 / 3, "0.3333333333333333"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(FormatNumber(c.value) == c.text);
  }
}

TEST_CASE("FormatNumber then ParseNumber gives every finite double back, bit for bit",
          "[dataset][values]") {
  std::mt19937_64 random(20240501);
  int tested = 0;
  while (tested < 100000) {
    const double v = std::bit_cast<double>(random());
    if (!std::isfinite(v)) continue;
    ++tested;
    const std::string text = FormatNumber(v);
    double back = 0;
    REQUIRE(ParseNumber(text, &back) == nullptr);
    REQUIRE(std::bit_cast<uint64_t>(back) == std::bit_cast<uint64_t>(v));
  }
}

TEST_CASE("Printable escapes and cuts a value for a message", "[dataset][values]") {
  CHECK(Printable("plain text") == "plain text");
  CHECK(Printable("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(Printable("line\nbreak\r\ttab") == "line\\nbreak\\r\\ttab");
  CHECK(Printable(std::string("nul\0bell\x07 del\x7f", 14)) == "nul\\x00bell\\x07 del\\x7f");
  CHECK(Printable("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(Printable(std::string(100, 'x'), 10) == "xxxxxxxxxx... (100 bytes)");
  // Cut at a character boundary: the 2-byte "é" at bytes 9-10 does not fit in 10.
  CHECK(Printable("123456789\xC3\xA9xyz", 10) == "123456789... (14 bytes)");
  CHECK(Printable(std::string(10, 'x'), 10) == std::string(10, 'x'));
}

TEST_CASE("FoldCase and HasOuterSpace", "[dataset][values]") {
  CHECK(FoldCase("Temp-A_\xC3\x89") == "temp-a_\xC3\x89");  // ASCII only
  CHECK(HasOuterSpace(" a"));
  CHECK(HasOuterSpace("a\t"));
  CHECK_FALSE(HasOuterSpace("a b"));
  CHECK_FALSE(HasOuterSpace(""));
}

}  // namespace
