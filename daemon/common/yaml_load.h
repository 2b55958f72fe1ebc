// Loading YAML from text that may be hostile (policy files, dataset schemas, the config)
// with Debian 12's yaml-cpp 0.7, which has three traps:
//   - YAML::LoadAll loops forever, allocating, on some malformed streams: a stray ","
//     is enough (yaml-cpp issue #1040, fixed upstream by PR #1319 after 0.7.0; found by
//     the policy fuzzer);
//   - aliases build graphs: a cycle ("&a [x, *a]") recurses forever in any walk, and
//     nested aliases expand exponentially ("billion laughs");
//   - some garbage (a lone ",") loads as an empty document instead of failing.
// LoadYamlDocuments cuts the stream into documents at its "---" and "..." marker lines
// (which end a document wherever they appear, even inside a block scalar), loads each
// alone with YAML::Load after as many newlines as lines before it (so marks keep the
// stream's line numbers), bounds each tree's depth and size, and refuses a null
// document that holds anything but markers, directives, comments and null itself.
//
// Thread-safety: reentrant.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <vector>

namespace sigmad {

struct YamlLimits {
  size_t max_documents = 256;
  int max_depth = 64;        // nesting levels of one document
  size_t max_nodes = 100000;  // nodes of one document, aliases expanded
};

// The documents of `text`, as YAML::LoadAll gives them. Throws YAML::Exception with the
// stream's line and column (0-based, as yaml-cpp's marks) on invalid YAML, on a document
// over the limits, and (with a null mark) on a stream of more than max_documents.
std::vector<YAML::Node> LoadYamlDocuments(const std::string& text, const YamlLimits& limits = {});

}  // namespace sigmad
