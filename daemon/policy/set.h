// Policy sets: reading YAML policy documents, checking each against its kind's schema
// (policy/schema.h, policies/schema/) and the set against the rules no schema can say.
//
// A document is Kubernetes-shaped: apiVersion sigmad.io/v1, kind, metadata.name, spec.
// A set is a directory of *.yaml / *.yml files (in name order; other files and hidden
// files are ignored; subdirectories are not read) or a single file; a file may hold
// several documents separated by "---". A set holds at most one document of each kind.
//
// Set rules (cross-field and cross-document contradictions; see docs/policy-language.md):
//   BackupPolicy     the schedule's longest gap between backups and the retention are
//                    both within the RPO target; the retention keeps at least one backup
//   RetentionPolicy  deletion delay + the longest a BackupPolicy keeps a backup is within
//                    maxBackupAgeForDeletedDataDays
//   SecurityPolicy   the TLS ciphers fit the minimum version
//   AccessPolicy     role names unique; every binding names a defined role
//   MaintenancePolicy no window is longer than maxConsecutiveOutageHours; and, a
//                    warning only, no window covers the start of a backup or of a
//                    restore drill
// Rules run only over documents that passed their schema, so one mistake gives one
// message.
//
// Every problem is reported, as FILE:LINE:COL: message, sorted by file and position.
// Thread-safety: reentrant.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/schema.h"

namespace sigmad::policy {

inline constexpr char kApiVersion[] = "sigmad.io/v1";
inline constexpr size_t kMaxPolicyFileBytes = 1 << 20;

// The kinds a set may hold, sorted.
const std::vector<std::string>& Kinds();
// The compiled schema of `kind` (embedded from policies/schema/ at build time);
// nullptr if there is no such kind.
const Schema* SchemaFor(const std::string& kind);
// Compiles every embedded schema; an error names the first that does not compile.
Status CheckSchemas();

// The shipped baseline set (policies/baseline/, compiled in): (file name, text) pairs.
// `sigmad --dev` seeds DIR/policies.d with it.
std::vector<std::pair<std::string, std::string>> BaselineFiles();

struct Diagnostic {
  std::string file;
  int line = 0, column = 0;
  std::string message;
  bool warning = false;
  std::string ToString() const;  // FILE:LINE:COL: message, or FILE:LINE:COL: warning: message
  bool operator==(const Diagnostic&) const = default;
};

struct Document {
  std::string file;
  int line = 1, column = 1;  // where the document starts
  std::string kind, name;
  YAML::Node node;
};

struct LoadedSet {
  std::vector<Document> documents;  // the documents that passed their schema
  std::vector<Diagnostic> errors;   // sorted by file, line, column
  // Rules a valid set should keep but may break (warning-level set rules); sorted too.
  std::vector<Diagnostic> warnings;
  bool ok() const { return errors.empty(); }
};

// Checks a set given as (file name, text) pairs, in that order.
LoadedSet ParseSet(const std::vector<std::pair<std::string, std::string>>& files);

// SHA-256 (hex) of the set's canonical form: each document's CanonicalJson, ordered by
// kind. Comments, layout, file names and document order do not change it.
std::string SetHash(const std::vector<Document>& documents);
// SHA-256 of `bytes`, lower-case hex.
std::string Sha256Hex(std::string_view bytes);

// Reads and checks the set at `path`: a directory or one file. Unreadable paths are
// reported as errors of the set ("PATH: cannot read: ...").
// With `texts`, also returns each file's name (without its directory) and text.
LoadedSet LoadSet(const std::filesystem::path& path,
                  std::vector<std::pair<std::string, std::string>>* texts = nullptr);

}  // namespace sigmad::policy
