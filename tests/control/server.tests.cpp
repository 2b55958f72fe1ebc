#include "control/server.h"

#include <Poco/JSON/Object.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/unix_socket.h"
#include "support/temp_dir.h"

namespace {

using namespace sigmad::control;
using Poco::Dynamic::Var;
using Poco::JSON::Object;
using sigmad::Result;
using sigmad::Status;
using sigmad::testing::TempDir;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Every wait in this file is bounded by this; nothing asserts on how long things take.
constexpr auto kBound = 10s;

sockaddr_un Address(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

// A raw AF_UNIX client that reads newline-terminated replies.
class Client {
 public:
  explicit Client(const fs::path& path) {
    fd_ = sigmad::ConnectUnix(path.string());
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool closed_by_peer() const { return closed_; }

  bool Send(const std::string& data) { return sigmad::SendAll(fd_, data); }

  // The next line, or nullopt when the server closed the connection or kBound passed.
  std::optional<std::string> ReadLine() {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    for (;;) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (closed_ || fd_ < 0) return std::nullopt;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      const int n = poll(&p, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;  // timed out
      char chunk[4096];
      const ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {  // EOF, or ECONNRESET after the server hung up
        closed_ = true;
        continue;
      }
      buf_.append(chunk, static_cast<size_t>(got));
    }
  }

  // True when the server closes the connection (within kBound) without sending more.
  bool WaitClosed() {
    const std::optional<std::string> extra = ReadLine();
    INFO("unexpected line: " << extra.value_or("<none>"));
    CHECK_FALSE(extra.has_value());
    return closed_ && buf_.empty();
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  std::string buf_;
  bool closed_ = false;
};

Reply ParseLine(const std::optional<std::string>& line) {
  REQUIRE(line.has_value());
  INFO("line: " << *line);
  auto r = ParseReply(*line);
  REQUIRE(r.ok());
  return r.value();
}

std::string Req(const Var& id, const std::string& method, Object::Ptr params = nullptr) {
  return EncodeRequest(id, method, params) + "\n";
}

std::string CountRequest(const Var& id, int n) {
  Object::Ptr p = new Object;
  p->set("n", n);
  return Req(id, "count", p);
}

Dispatcher MakeDispatcher() {
  Dispatcher d;
  // Streams n progress messages, then returns {"count": messages sent}.
  d.Register("count", [](const Call& call) -> Result<Var> {
    const int n = call.params().optValue<int>("n", 0);
    int sent = 0;
    for (int i = 1; i <= n; ++i) {
      Object::Ptr p = new Object;
      p->set("done", i);
      p->set("total", n);
      if (!call.Progress(Var(p))) break;
      ++sent;
    }
    Object::Ptr r = new Object;
    r->set("count", sent);
    return Var(r);
  });
  d.Register("echo", [](const Call& call) -> Result<Var> { return Var(call.request().params); });
  d.Register("fail", [](const Call&) -> Result<Var> {
    return Status::Error("nope", "this method always fails");
  });
  return d;
}

ServerOptions Options(const TempDir& dir) {
  ServerOptions o;
  o.socket = dir / "c.sock";
  o.socket_mode = 0600;
  o.admin = AdminRule{geteuid(), std::nullopt, "sigmad-test"};  // this process is admin
  o.idle_timeout = 30s;
  o.max_clients = 8;
  return o;
}

void CheckCountReplies(Client& c, const std::string& id, int n) {
  for (int i = 1; i <= n; ++i) {
    const Reply p = ParseLine(c.ReadLine());
    CHECK(p.kind == Reply::Kind::kProgress);
    CHECK(p.id.toString() == id);
    auto obj = p.body.extract<Object::Ptr>();
    CHECK(obj->getValue<int>("done") == i);
    CHECK(obj->getValue<int>("total") == n);
  }
  const Reply r = ParseLine(c.ReadLine());
  CHECK(r.kind == Reply::Kind::kResult);
  CHECK(r.id.toString() == id);
  CHECK(r.body.extract<Object::Ptr>()->getValue<int>("count") == n);
}

void CheckEcho(Client& c, int id) {
  Object::Ptr p = new Object;
  p->set("x", id);
  REQUIRE(c.Send(Req(Var(id), "echo", p)));
  const Reply r = ParseLine(c.ReadLine());
  CHECK(r.kind == Reply::Kind::kResult);
  CHECK(r.id.convert<int>() == id);
  CHECK(r.body.extract<Object::Ptr>()->getValue<int>("x") == id);
}

}  // namespace

TEST_CASE("Server streams progress then the result, in order", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  Server server(Options(dir), dispatcher);
  REQUIRE(server.Start().ToString() == "ok");

  Client c(server.options().socket);
  REQUIRE(c.connected());

  SECTION("one streaming request") {
    REQUIRE(c.Send(CountRequest(Var("job-1"), 5)));
    CheckCountReplies(c, "job-1", 5);
  }
  SECTION("a method error keeps the connection open") {
    REQUIRE(c.Send(Req(Var(1), "fail")));
    const Reply r = ParseLine(c.ReadLine());
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.id.convert<int>() == 1);
    CHECK(r.error_code == "nope");
    CheckEcho(c, 2);
  }
  SECTION("pipelined requests are answered in order") {
    Object::Ptr p = new Object;
    p->set("x", 2);
    const std::string batch = CountRequest(Var("a"), 2) + Req(Var(2), "echo", p) +
                              "this is not json\n" + "   \n" + Req(Var(3), "missing") +
                              CountRequest(Var(4), 1);
    REQUIRE(c.Send(batch));

    CheckCountReplies(c, "a", 2);
    const Reply echo = ParseLine(c.ReadLine());
    CHECK(echo.kind == Reply::Kind::kResult);
    CHECK(echo.id.convert<int>() == 2);
    const Reply bad = ParseLine(c.ReadLine());
    CHECK(bad.kind == Reply::Kind::kError);
    CHECK(bad.error_code == "parse_error");
    CHECK(bad.id.isEmpty());
    const Reply unknown = ParseLine(c.ReadLine());
    CHECK(unknown.kind == Reply::Kind::kError);
    CHECK(unknown.error_code == "unknown_method");
    CHECK(unknown.id.convert<int>() == 3);
    CheckCountReplies(c, "4", 1);

    // Counters are updated before each reply is sent, so they are settled now.
    const ServerStats s = server.Stats();
    CHECK(s.requests == 5);  // the blank line is not a request
    CHECK(s.bad_requests == 1);
    CHECK(s.accepted == 1);
    CHECK(s.denied == 0);
  }
  SECTION("requests split across writes") {
    const std::string req = CountRequest(Var(7), 1);
    REQUIRE(c.Send(req.substr(0, 10)));
    REQUIRE(c.Send(req.substr(10)));
    CheckCountReplies(c, "7", 1);
  }
}

TEST_CASE("Server enforces max_request_bytes", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  ServerOptions options = Options(dir);
  options.max_request_bytes = 1024;
  Server server(options, dispatcher);
  REQUIRE(server.Start().ok());
  Client c(options.socket);
  REQUIRE(c.connected());

  // An echo request padded to exactly `size` bytes, newline excluded.
  auto padded = [](size_t size) {
    Object::Ptr p = new Object;
    p->set("pad", std::string());
    const std::string empty = EncodeRequest(Var(1), "echo", p);
    REQUIRE(size >= empty.size());
    p->set("pad", std::string(size - empty.size(), 'p'));
    std::string line = EncodeRequest(Var(1), "echo", p);
    REQUIRE(line.size() == size);
    return line;
  };

  SECTION("a request of exactly the limit is served") {
    REQUIRE(c.Send(padded(1024) + "\n"));
    const Reply r = ParseLine(c.ReadLine());
    CHECK(r.kind == Reply::Kind::kResult);
    CheckEcho(c, 2);
  }
  SECTION("one byte over the limit, with its newline") {
    REQUIRE(c.Send(padded(1025) + "\n"));
    const Reply r = ParseLine(c.ReadLine());
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.error_code == "request_too_large");
    CHECK(r.id.isEmpty());
    CHECK(c.WaitClosed());
  }
  SECTION("an endless line without a newline") {
    REQUIRE(c.Send(std::string(2000, 'x')));
    const Reply r = ParseLine(c.ReadLine());
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.error_code == "request_too_large");
    CHECK(c.WaitClosed());
  }
  // The server goes on serving others.
  Client other(options.socket);
  REQUIRE(other.connected());
  CheckEcho(other, 9);
}

TEST_CASE("Server drops an idle client with idle_timeout", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  ServerOptions options = Options(dir);
  options.idle_timeout = 300ms;
  Server server(options, dispatcher);
  REQUIRE(server.Start().ok());

  Client c(options.socket);
  REQUIRE(c.connected());
  SECTION("silent from the start") {}
  SECTION("silent after a request") { CheckEcho(c, 1); }
  SECTION("silent in the middle of a line") { REQUIRE(c.Send("{\"v\":1,")); }

  const Reply r = ParseLine(c.ReadLine());
  CHECK(r.kind == Reply::Kind::kError);
  CHECK(r.error_code == "idle_timeout");
  CHECK(r.id.isEmpty());
  CHECK(c.WaitClosed());
}

TEST_CASE("Server survives clients that vanish mid-request", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  Server server(Options(dir), dispatcher);
  REQUIRE(server.Start().ok());

  SECTION("in the middle of a request line") {
    Client gone(server.options().socket);
    REQUIRE(gone.connected());
    REQUIRE(gone.Send(R"({"v":1,"id":1,"meth)"));
    gone.Close();
  }
  SECTION("while the method is still streaming") {
    Client gone(server.options().socket);
    REQUIRE(gone.connected());
    REQUIRE(gone.Send(CountRequest(Var(1), 1000000)));
    const Reply first = ParseLine(gone.ReadLine());
    CHECK(first.kind == Reply::Kind::kProgress);
    gone.Close();
  }

  Client next(server.options().socket);
  REQUIRE(next.connected());
  REQUIRE(next.Send(CountRequest(Var("after"), 3)));
  CheckCountReplies(next, "after", 3);
}

TEST_CASE("Server serves clients concurrently", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  Server server(Options(dir), dispatcher);
  REQUIRE(server.Start().ok());

  Client idle(server.options().socket);
  REQUIRE(idle.connected());
  REQUIRE(idle.Send(R"({"v":1,"id":"half)"));  // holds its connection with a partial line

  Client busy(server.options().socket);
  REQUIRE(busy.connected());
  REQUIRE(busy.Send(CountRequest(Var("b"), 3)));
  CheckCountReplies(busy, "b", 3);
  CheckEcho(busy, 2);

  // The first client was never blocked out and finishes its request now.
  REQUIRE(idle.Send(R"(","method":"count","params":{"n":1}})" "\n"));
  CheckCountReplies(idle, "half", 1);
}

TEST_CASE("Server creates the socket node with the configured mode", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  ServerOptions options = Options(dir);
  const unsigned mode = GENERATE(0600u, 0660u, 0666u);
  options.socket_mode = mode;
  Server server(options, dispatcher);
  REQUIRE(server.Start().ok());

  struct stat st {};
  REQUIRE(lstat(options.socket.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == mode);
}

TEST_CASE("Server::Start handles what is already at the socket path", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  const ServerOptions options = Options(dir);

  SECTION("a live server is not replaced") {
    Server first(options, dispatcher);
    REQUIRE(first.Start().ok());
    {
      Server second(options, dispatcher);
      const Status s = second.Start();
      CHECK(s.code() == "socket_in_use");
      CHECK_THAT(s.message(), Catch::Matchers::Contains(options.socket.string()));
    }  // destroying the loser must not remove the winner's socket
    CHECK(fs::is_socket(fs::symlink_status(options.socket)));
    Client c(options.socket);
    REQUIRE(c.connected());
    CheckEcho(c, 1);
  }
  SECTION("a stale socket node is replaced") {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr = Address(options.socket);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    close(fd);  // the node stays behind, nobody listens
    REQUIRE(fs::is_socket(fs::symlink_status(options.socket)));

    Server server(options, dispatcher);
    REQUIRE(server.Start().ToString() == "ok");
    Client c(options.socket);
    REQUIRE(c.connected());
    CheckEcho(c, 1);
  }
  SECTION("a regular file is refused and left alone") {
    sigmad::testing::WriteFile(options.socket, "precious");
    Server server(options, dispatcher);
    const Status s = server.Start();
    CHECK(s.code() == "socket_in_use");
    CHECK_THAT(s.message(), Catch::Matchers::Contains("is not a socket"));
    server.Stop();
    CHECK(sigmad::testing::ReadFile(options.socket) == "precious");
  }
  SECTION("a directory is refused and left alone") {
    fs::create_directory(options.socket);
    Server server(options, dispatcher);
    CHECK(server.Start().code() == "socket_in_use");
    server.Stop();
    CHECK(fs::is_directory(options.socket));
  }
  SECTION("a missing directory is reported") {
    ServerOptions o = options;
    o.socket = dir / "no-such-dir" / "c.sock";
    Server server(o, dispatcher);
    CHECK(server.Start().code() == "socket_dir");
  }
}

TEST_CASE("Server::Stop closes connections and removes the socket node", "[control][server]") {
  TempDir dir;
  const Dispatcher dispatcher = MakeDispatcher();
  const ServerOptions options = Options(dir);

  SECTION("explicit Stop with a client connected") {
    Server server(options, dispatcher);
    REQUIRE(server.Start().ok());
    Client c(options.socket);
    REQUIRE(c.connected());
    CheckEcho(c, 1);
    server.Stop();
    CHECK_FALSE(fs::exists(fs::symlink_status(options.socket)));
    CHECK(c.WaitClosed());
    Client late(options.socket);
    CHECK_FALSE(late.connected());
  }
  SECTION("the destructor stops too") {
    {
      Server server(options, dispatcher);
      REQUIRE(server.Start().ok());
      REQUIRE(fs::is_socket(fs::symlink_status(options.socket)));
    }
    CHECK_FALSE(fs::exists(fs::symlink_status(options.socket)));
  }
  SECTION("a drain ends idle connections") {
    Server server(options, dispatcher);
    REQUIRE(server.Start().ok());
    Client c(options.socket);
    REQUIRE(c.connected());
    CheckEcho(c, 1);  // the connection is being served before we drain
    server.BeginDrain();
    CHECK(server.draining());
    CHECK(c.WaitClosed());
    CHECK(server.WaitDrained(kBound));
    CHECK(server.Stats().active == 0);
  }
}
