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
//   Rewrap        (Rotate with rewrap) re-seals the tenant's older values under the new
//                 term in the background, 256 values per transaction, with its position
//                 saved in the same transaction: it survives a restart and resumes
//                 (Start). WaitRewrap follows a job's progress.
// Every rotation is audited in the transaction that makes it, and a finished rewrap
// writes a record of its own.
// Thread-safety: any thread; rotations are serialised by the audit log and rotate_mu_.
// Start() runs one worker thread; Stop() (or the destructor) ends it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
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
  bool overdue = false;  // current, and older than the data-key rotation age
};

struct MasterKeyInfo {
  std::chrono::system_clock::time_point created;
  std::optional<std::chrono::hours> max_age;  // the EncryptionPolicy's, if any
  bool overdue = false;
};

struct Rotated {
  std::string owner;
  uint32_t previous = 0, term = 0;
  size_t values_under_old_terms = 0;
};

struct RewrapProgress {
  size_t resealed = 0;
  bool done = false;
  std::string error;  // set if the job stopped on an error (it resumes at the next start)
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
  ~KeyService() { Stop(); }
  KeyService(const KeyService&) = delete;
  KeyService& operator=(const KeyService&) = delete;

  // Starts the rewrap worker; it resumes any job a previous run left unfinished.
  void Start();
  void Stop();

  Result<std::vector<KeyRow>> KeyStatus() const;

  // The EncryptionPolicy's dataKeyRotationDays (nullopt: none). A current data key
  // older than this is overdue.
  void SetDataKeyMaxAge(std::optional<std::chrono::hours> age);
  // The EncryptionPolicy's masterKeyRotationDays (nullopt: none). An older master key
  // is overdue; rotating it needs a new key file (RotateMaster), so it is reported,
  // never rotated automatically.
  void SetMasterKeyMaxAge(std::optional<std::chrono::hours> age);
  Result<MasterKeyInfo> MasterKeyStatus() const;
  // Rotates every overdue data key (system and tenants), each audited as key.rotate
  // by "sigmad" from "policy"; returns how many. Called periodically by the daemon.
  Result<size_t> RotateOverdue();
  // `tenant` empty: the system key. With `rewrap`, a background job then re-seals the
  // owner's older values under the new term; *owner_id says whose (for WaitRewrap).
  Result<Rotated> Rotate(const tenancy::Actor& actor, const std::string& tenant,
                         bool rewrap = false, uint64_t* owner_id = nullptr);
  // Follows the rewrap job of `owner`: calls on_step after each batch until the job is
  // done or failed, on_step returns false, or stop() says so.
  RewrapProgress WaitRewrap(uint64_t owner,
                            const std::function<bool(const RewrapProgress&)>& on_step,
                            const std::function<bool()>& stop);
  Result<MasterRotated> RotateMaster(const tenancy::Actor& actor,
                                     const std::filesystem::path& new_key_file);

 private:
  audit::Fields Fields(const tenancy::Actor& actor, std::string tenant, std::string action,
                       std::string target, std::string outcome) const;
  Status Refuse(const tenancy::Actor& actor, const std::string& tenant, const std::string& action,
                const std::string& target, Status why);

  void Work();
  // One batch of one job; false when there was nothing to do.
  bool RewrapBatch(uint64_t tenant, store::Vault::RewrapPosition at);

  store::Vault& vault_;
  audit::AuditLog& audit_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
  const std::filesystem::path master_key_path_;
  const bool replace_key_file_;

  std::mutex rotate_mu_;  // a rotation and a rewrap batch never interleave
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, kicked_ = false;       // GUARDED_BY(mu_)
  std::map<uint64_t, RewrapProgress> progress_;  // GUARDED_BY(mu_)
  std::set<uint64_t> failed_;                    // GUARDED_BY(mu_): retried at next start
  std::thread worker_;
  std::optional<std::chrono::hours> max_age_;         // GUARDED_BY(mu_)
  std::optional<std::chrono::hours> master_max_age_;  // GUARDED_BY(mu_)
};

}  // namespace sigmad::keys
