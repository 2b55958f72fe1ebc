// KeyService: the key hierarchy as operators manage it (sigmactl key ...).
//
//   Status        every data key: owner (a tenant or "system"), term, age, whether it is
//                 current, and how many stored values it still seals.
//   Rotate        a new term for one tenant's data key (or the system key): new values
//                 are sealed under it; old values keep opening under their own term.
//   RotateMaster  re-wraps every data key and the key check under a new master key in
//                 one transaction, then uses it. In dev mode the new key also replaces
//                 DIR/master.key (atomically, after the store committed); otherwise the
//                 operator installs it where sigmad reads its key before the next start.
// Every rotation is audited in the transaction that makes it.
// Thread-safety: any thread; rotations are serialised by the audit log.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "store/vault.h"
#include "tenancy/service.h"

namespace sigmad::keys {

struct KeyRow {
  std::string owner;  // tenant name, or "system"
  uint32_t term = 0;
  std::chrono::system_clock::time_point created;
  bool current = false;
  size_t values = 0;  // stored values sealed under this term
};

struct Rotated {
  std::string owner;
  uint32_t previous = 0, term = 0;
  size_t values_under_old_terms = 0;
};

struct MasterRotated {
  size_t keys_rewrapped = 0;
  bool key_file_replaced = false;     // dev mode: DIR/master.key now holds the new key
  std::filesystem::path key_path;      // where sigmad reads its master key
};

class KeyService {
 public:
  // `master_key_path` is where this sigmad read its master key; `replace_key_file` says
  // whether RotateMaster may replace it (dev mode).
  KeyService(store::Vault& vault, audit::AuditLog& audit, tenancy::TenancyService& tenancy,
             const Clock& clock, std::filesystem::path master_key_path, bool replace_key_file)
      : vault_(vault), audit_(audit), tenancy_(tenancy), clock_(clock),
        master_key_path_(std::move(master_key_path)), replace_key_file_(replace_key_file) {}

  Result<std::vector<KeyRow>> KeyStatus() const;
  // `tenant` empty: the system key.
  Result<Rotated> Rotate(const tenancy::Actor& actor, const std::string& tenant);
  Result<MasterRotated> RotateMaster(const tenancy::Actor& actor,
                                     const std::filesystem::path& new_key_file);

 private:
  audit::Fields Fields(const tenancy::Actor& actor, std::string tenant, std::string action,
                       std::string target, std::string outcome) const;
  Status Refuse(const tenancy::Actor& actor, const std::string& tenant, const std::string& action,
                const std::string& target, Status why);

  store::Vault& vault_;
  audit::AuditLog& audit_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
  const std::filesystem::path master_key_path_;
  const bool replace_key_file_;
};

}  // namespace sigmad::keys
