// Schema: the JSON Schema subset that policies/schema/*.schema.json are written in,
// compiled once and checked against YAML documents with their line:col positions.
//
// Supported (everything else is refused when the schema is compiled, so a schema can
// never say something the validator silently ignores):
//   annotations  $schema $id $comment title description examples
//   structure    type (one of object array string integer number boolean)
//                properties required additionalProperties (false only)
//                minProperties maxProperties items minItems maxItems uniqueItems
//                $defs, $ref ("#/$defs/NAME" only)
//   values       enum const minimum maximum minLength maxLength pattern (ECMAScript)
//                format: "cidr" (IPv4/IPv6 network, no host bits) and "time-of-day"
//                ("HH:MM", 24-hour)
//
// YAML scalars are typed by the YAML 1.2 core schema: a plain 12 is an integer, a plain
// 1.2 a number, true/false booleans, null/~/empty nothing; anything quoted is a string.
// So `minVersion: 1.2` is not the string "1.2" and is reported as such, with a hint.
//
// Messages name the field by its path ('spec.tls.minVersion', 'spec.days[2]') and say
// what was expected and what was found, in the style of the config file's errors.
// Thread-safety: a compiled Schema is immutable; Validate may run concurrently.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sigmad::policy {

// One problem in a document: 1-based position and the message (without file name).
struct Problem {
  int line = 0, column = 0;
  std::string message;
  bool operator==(const Problem&) const = default;
};

class Schema {
 public:
  // Compiles a schema from its JSON text. Error "invalid_schema" naming the keyword's
  // place in the schema if it uses anything outside the subset above.
  static Result<Schema> Compile(std::string_view json, const std::string& name);

  // Appends every way `doc` breaks the schema, in document order.
  void Validate(const YAML::Node& doc, std::vector<Problem>* problems) const;

  // The properties declared under properties.spec.properties, in schema order.
  std::vector<std::string> SpecFields() const;

  struct Node;  // a compiled (sub)schema (schema.cpp)

 private:
  explicit Schema(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;  // owns the $defs too
};

// How a YAML node reads under the core schema: "null", "boolean", "integer", "number",
// "string", "list", "mapping".
std::string YamlType(const YAML::Node& node);

// The value of a node YamlType reads as "integer", if it fits 64 bits.
std::optional<long long> IntegerValue(const YAML::Node& node);

// The node as canonical JSON: mapping keys sorted, scalars typed as YamlType types them
// (integers normalised: +07 is 7), no spaces. Two documents that differ only in
// comments, layout, key order or quoting style have the same canonical JSON.
std::string CanonicalJson(const YAML::Node& node);

// Whether `text` is a network in CIDR notation with no host bits set; *why says what
// is wrong otherwise.
bool IsCidr(const std::string& text, std::string* why);

// Whether `text` is a 24-hour time of day "HH:MM" (00:00 to 23:59).
bool IsTimeOfDay(const std::string& text);

}  // namespace sigmad::policy
