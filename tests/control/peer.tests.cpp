#include "control/peer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

namespace {

using namespace sigmad::control;

constexpr uid_t kDaemonUid = 990;
constexpr gid_t kAdminGid = 995;

AdminRule Rule() { return AdminRule{kDaemonUid, kAdminGid, "sigmad-admin"}; }

PeerCred Peer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  return PeerCred{1234, uid, gid, std::move(groups)};
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

TEST_CASE("DecideAccess admits root, the daemon's uid and admin group members",
          "[control][peer]") {
  SECTION("root") {
    const auto d = DecideAccess(Peer(0, 0), Rule());
    CHECK(d.admin);
    CHECK(d.reason == "root");
  }
  SECTION("root even when the admin group is missing") {
    AdminRule rule = Rule();
    rule.admin_gid.reset();
    CHECK(DecideAccess(Peer(0, 100), rule).admin);
  }
  SECTION("the daemon's own uid") {
    const auto d = DecideAccess(Peer(kDaemonUid, 100), Rule());
    CHECK(d.admin);
    CHECK(d.reason == "the daemon's own uid");
  }
  SECTION("the daemon's own uid when the admin group is missing") {
    AdminRule rule = Rule();
    rule.admin_gid.reset();
    CHECK(DecideAccess(Peer(kDaemonUid, 100), rule).admin);
  }
  SECTION("admin via primary gid") {
    const auto d = DecideAccess(Peer(1000, kAdminGid), Rule());
    CHECK(d.admin);
    CHECK(d.reason == "member of sigmad-admin");
  }
  SECTION("admin via a supplementary group") {
    const auto d = DecideAccess(Peer(1000, 1000, {27, kAdminGid, 100}), Rule());
    CHECK(d.admin);
    CHECK(d.reason == "member of sigmad-admin");
  }
}

TEST_CASE("DecideAccess denies everyone else and says why", "[control][peer]") {
  SECTION("a non-member") {
    const auto d = DecideAccess(Peer(1000, 1000, {27, 100}), Rule());
    CHECK_FALSE(d.admin);
    CHECK_THAT(d.reason, Catch::Matchers::Contains("not a member of sigmad-admin"));
  }
  SECTION("a uid that merely equals the admin gid is not a member") {
    CHECK_FALSE(DecideAccess(Peer(kAdminGid, 1000), Rule()).admin);
  }
  SECTION("admin group missing on the host denies non-root") {
    AdminRule rule = Rule();
    rule.admin_gid.reset();
    // Even a peer in a group whose gid happens to match some number is not an admin.
    const auto d = DecideAccess(Peer(1000, kAdminGid, {kAdminGid}), rule);
    CHECK_FALSE(d.admin);
    CHECK_THAT(d.reason, Catch::Matchers::Contains("sigmad-admin"));
    CHECK_THAT(d.reason, Catch::Matchers::Contains("does not exist"));
  }
}

TEST_CASE("ReadPeerCred reports this process for a socketpair", "[control][peer]") {
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  Fd a(sv[0]), b(sv[1]);

  auto cred = ReadPeerCred(a.get());
  REQUIRE(cred.ok());
  CHECK(cred->pid == getpid());
  CHECK(cred->uid == geteuid());
  CHECK(cred->gid == getegid());

  // The kernel's supplementary groups are those of this process.
  const int n = getgroups(0, nullptr);
  REQUIRE(n >= 0);
  std::vector<gid_t> mine(static_cast<size_t>(n));
  REQUIRE(getgroups(n, mine.data()) == n);
  std::vector<gid_t> theirs = cred->groups;
  std::sort(mine.begin(), mine.end());
  std::sort(theirs.begin(), theirs.end());
  CHECK(theirs == mine);

  SECTION("an fd that is not a socket is an error") {
    int p[2];
    REQUIRE(pipe(p) == 0);
    Fd r(p[0]), w(p[1]);
    auto bad = ReadPeerCred(r.get());
    CHECK_FALSE(bad.ok());
    CHECK(bad.status().code() == "peer_credentials");
  }
}

TEST_CASE("MakeAdminRule uses our euid and leaves a missing group unset", "[control][peer]") {
  const AdminRule rule = MakeAdminRule("sigmad-no-such-group-xyz");
  CHECK(rule.daemon_uid == geteuid());
  CHECK(rule.admin_group == "sigmad-no-such-group-xyz");
  CHECK_FALSE(rule.admin_gid.has_value());

  const AdminRule root = MakeAdminRule("root");  // gid 0 exists on every Linux host
  REQUIRE(root.admin_gid.has_value());
  CHECK(*root.admin_gid == 0u);
}
