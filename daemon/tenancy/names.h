// Names of tenants, projects and tasks, and the TENANT/PROJECT/TASK paths that name
// them on the command line and in the control protocol.
//
// A name is 1 to 64 bytes of ASCII letters, digits, '-', '_' and '.', starting with a
// letter or a digit. Case is kept for display, but two names that differ only in case
// are the same name (so "Acme" cannot sit beside "acme"). The tenant name "system" is
// reserved: it names sigmad's own data key. Names never appear in LMDB
// keys; they live inside sealed values.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sigmad::tenancy {

inline constexpr size_t kMaxNameBytes = 64;

// "tenant", "project", "task" or "dataset": used in messages. Datasets are named by the
// same rules, within a project.
enum class Kind { kTenant, kProject, kTask, kDataset, kModel };
const char* KindName(Kind kind);

// Ok, or code "invalid_name" with a message naming the kind, the name and the rule
// it breaks.
Status ValidateName(Kind kind, std::string_view name);

// The comparison key of a name (ASCII lower case).
std::string FoldName(std::string_view name);

// Splits "TENANT", "TENANT/PROJECT" or "TENANT/PROJECT/TASK" into exactly `parts`
// validated names; code "invalid_name" otherwise, saying what was expected.
Result<std::vector<std::string>> ParsePath(std::string_view path, size_t parts);

}  // namespace sigmad::tenancy
