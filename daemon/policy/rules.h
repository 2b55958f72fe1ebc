// The set rules of policy/set.h: contradictions inside a document or between
// documents that each passed their schema.
#pragma once

#include <vector>

#include "policy/set.h"

namespace sigmad::policy {

// Appends one diagnostic per broken rule, to `errors` or, for warning-level rules, to
// `warnings`. `documents` holds at most one per kind.
void CheckRules(const std::vector<Document>& documents, std::vector<Diagnostic>* errors,
                std::vector<Diagnostic>* warnings);

// How long a BackupPolicy's retention may keep a backup, in days (keepDays, or for GFS
// the longest of daily, weekly * 7 and monthly * 35: first Sundays of two months can be
// 35 days apart), from a schema-valid document.
long long LongestKeepDays(const YAML::Node& backup_policy);

// A schema-valid integer field's value (0 if it does not read as one).
long long IntField(const YAML::Node& node);

}  // namespace sigmad::policy
