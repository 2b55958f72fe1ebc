// Plans: what applying a policy set would change against the active one, field by
// field, as `policy plan` shows it (terraform-like + ~ - markers).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "policy/set.h"

namespace sigmad::policy {

struct Change {
  char op = '~';         // '+' added, '~' changed, '-' removed
  std::string kind, name;  // the document
  std::string path;        // "" for a whole document, else "spec.retention.keepDays"
  std::string before, after;  // canonical JSON; empty on the side that does not exist
  bool operator==(const Change&) const = default;
};

// The changes from `from` to `to`, by kind (each set holds one document per kind),
// in kind order, fields in key order. A document whose name changed is one change of
// metadata.name. Maps are compared key by key, lists of the same length entry by
// entry; other lists and scalars as whole values.
std::vector<Change> Diff(const std::vector<Document>& from, const std::vector<Document>& to);

// The hash a plan is identified by: both sides' set hashes ("" for no active set).
std::string PlanHash(const std::string& active_hash, const std::string& new_hash);

}  // namespace sigmad::policy
