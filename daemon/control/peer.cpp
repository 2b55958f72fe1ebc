#include "control/peer.h"

#include <grp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sigmad::control {

AccessDecision DecideAccess(const PeerCred& peer, const AdminRule& rule) {
  if (peer.uid == 0) return {true, "root"};
  if (peer.uid == rule.daemon_uid) return {true, "the daemon's own uid"};
  if (rule.admin_gid) {
    const gid_t g = *rule.admin_gid;
    if (peer.gid == g || std::find(peer.groups.begin(), peer.groups.end(), g) != peer.groups.end())
      return {true, "member of " + rule.admin_group};
    return {false, "not root, not the daemon's uid, not a member of " + rule.admin_group};
  }
  return {false, "not root, not the daemon's uid (admin group " + rule.admin_group +
                     " does not exist on this host)"};
}

Result<PeerCred> ReadPeerCred(int fd) {
  struct ucred uc {};
  socklen_t len = sizeof uc;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0) {
    return Status::Error("peer_credentials",
                         std::string("cannot read peer credentials: ") + std::strerror(errno));
  }
  PeerCred peer{uc.pid, uc.uid, uc.gid, {}};
#ifdef SO_PEERGROUPS
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
      groups.resize(glen / sizeof(gid_t));
      peer.groups = std::move(groups);
      return peer;
    }
    if (errno != ERANGE) break;
    groups.resize(glen / sizeof(gid_t) + 16);
  }
#endif
  // Without SO_PEERGROUPS only the primary gid is known; membership by primary group
  // still works, supplementary membership does not.
  return peer;
}

AdminRule MakeAdminRule(const std::string& admin_group) {
  AdminRule rule;
  rule.daemon_uid = geteuid();
  rule.admin_group = admin_group;
  struct group grp {};
  struct group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r(admin_group.c_str(), &grp, buf.data(), buf.size(), &found) == 0 && found) {
    rule.admin_gid = found->gr_gid;
  }
  return rule;
}

}  // namespace sigmad::control
