// Who is on the other end of the control socket, and may they administer sigmad?
//
// The kernel vouches for the peer (SO_PEERCRED, SO_PEERGROUPS); nothing the client
// sends is trusted for this. Admins are: root, the daemon's own uid, and members of
// the admin group (primary or supplementary). Everyone else is denied.
// Thread-safety: pure functions.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace sigmad::control {

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups of the peer process
};

struct AdminRule {
  uid_t daemon_uid = 0;
  std::optional<gid_t> admin_gid;  // unset when the group does not exist on this host
  std::string admin_group;         // its name, for messages
};

struct AccessDecision {
  bool admin = false;
  std::string reason;  // why, in words for the log: "root", "member of sigmad-admin", ...
};

AccessDecision DecideAccess(const PeerCred& peer, const AdminRule& rule);

// Reads the kernel's view of the peer of a connected unix socket.
Result<PeerCred> ReadPeerCred(int fd);

// Builds the rule for this process: our euid, and the gid of `admin_group` if it exists.
AdminRule MakeAdminRule(const std::string& admin_group);

}  // namespace sigmad::control
