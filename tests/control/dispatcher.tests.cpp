#include "control/dispatcher.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace sigmad::control;
using Poco::Dynamic::Var;
using Poco::JSON::Object;
using sigmad::Result;
using sigmad::Status;

Request MakeRequest(Var id, std::string method, Object::Ptr params = new Object) {
  return Request{std::move(id), std::move(method), std::move(params)};
}

Reply ParseOk(const std::string& line) {
  INFO("line: " << line);
  CHECK(line.find('\n') == std::string::npos);
  auto r = ParseReply(line);
  REQUIRE(r.ok());
  return r.value();
}

// Collects what a method streams.
struct Sink {
  std::vector<std::string> lines;
  bool accept = true;
  Call::SendFn Fn() {
    return [this](const std::string& l) {
      lines.push_back(l);
      return accept;
    };
  }
};

Dispatcher MakeDispatcher() {
  Dispatcher d;
  d.Register("echo", [](const Call& call) -> Result<Var> { return Var(call.request().params); });
  d.Register("answer", [](const Call&) -> Result<Var> { return Var(42); });
  d.Register("refuse", [](const Call&) -> Result<Var> {
    return Status::Error("not_ready", "the store is locked; unlock it first");
  });
  d.Register("throws_std", [](const Call&) -> Result<Var> {
    throw std::runtime_error("disk on fire");
  });
  d.Register("throws_poco", [](const Call&) -> Result<Var> {
    throw Poco::NotFoundException("model weights");
  });
  d.Register("count", [](const Call& call) -> Result<Var> {
    const int n = call.params().optValue<int>("n", 3);
    int sent = 0;
    for (int i = 1; i <= n; ++i) {
      Object::Ptr p = new Object;
      p->set("done", i);
      p->set("total", n);
      if (!call.Progress(Var(p))) break;  // the client went away
      ++sent;
    }
    Object::Ptr r = new Object;
    r->set("sent", sent);
    return Var(r);
  });
  d.Register("strict", [](const Call& call) -> Result<Var> {
    Status s = call.OnlyParams({"path", "force"});
    if (!s.ok()) return s;
    return Var(true);
  });
  d.Register("noparams", [](const Call& call) -> Result<Var> {
    Status s = call.OnlyParams({});
    if (!s.ok()) return s;
    return Var(true);
  });
  d.Register("whoami", [](const Call& call) -> Result<Var> {
    return Var(static_cast<int>(call.peer().uid));
  });
  return d;
}

}  // namespace

TEST_CASE("Dispatcher: registered names", "[control][dispatcher]") {
  const Dispatcher d = MakeDispatcher();
  CHECK(d.Has("echo"));
  CHECK_FALSE(d.Has("ech"));
  CHECK(d.Names() == std::vector<std::string>{"answer", "count", "echo", "noparams", "refuse",
                                              "strict", "throws_poco", "throws_std", "whoami"});
}

TEST_CASE("Dispatcher: results and errors become reply lines", "[control][dispatcher]") {
  const Dispatcher d = MakeDispatcher();
  const PeerCred peer{42, 1000, 1000, {}};
  Sink sink;

  SECTION("a result carries the request id") {
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var("a1"), "answer"), peer, sink.Fn()));
    CHECK(r.kind == Reply::Kind::kResult);
    CHECK(r.id.toString() == "a1");
    CHECK(r.body.convert<int>() == 42);
    CHECK(sink.lines.empty());
  }
  SECTION("the method sees the params and the peer") {
    Object::Ptr params = new Object;
    params->set("k", std::string("v"));
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var(1), "echo", params), peer, sink.Fn()));
    REQUIRE(r.kind == Reply::Kind::kResult);
    CHECK(r.body.extract<Object::Ptr>()->getValue<std::string>("k") == "v");
    const Reply w = ParseOk(d.Dispatch(MakeRequest(Var(2), "whoami"), peer, sink.Fn()));
    CHECK(w.body.convert<int>() == 1000);
  }
  SECTION("an unknown method lists the methods") {
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var(9), "nope"), peer, sink.Fn()));
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.id.convert<int>() == 9);
    CHECK(r.error_code == "unknown_method");
    CHECK(r.error_message ==
          "unknown method 'nope' (methods: answer, count, echo, noparams, refuse, strict, "
          "throws_poco, throws_std, whoami)");
  }
  SECTION("a returned Status becomes an error with its code and message") {
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var(3), "refuse"), peer, sink.Fn()));
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.id.convert<int>() == 3);
    CHECK(r.error_code == "not_ready");
    CHECK(r.error_message == "the store is locked; unlock it first");
  }
  SECTION("a std::exception becomes internal_error") {
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var(4), "throws_std"), peer, sink.Fn()));
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.id.convert<int>() == 4);
    CHECK(r.error_code == "internal_error");
    CHECK_THAT(r.error_message, Catch::Matchers::Contains("throws_std") &&
                                    Catch::Matchers::Contains("disk on fire"));
  }
  SECTION("a Poco::Exception becomes internal_error") {
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var("p"), "throws_poco"), peer, sink.Fn()));
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.id.toString() == "p");
    CHECK(r.error_code == "internal_error");
    CHECK_THAT(r.error_message, Catch::Matchers::Contains("throws_poco") &&
                                    Catch::Matchers::Contains("model weights"));
  }
}

TEST_CASE("Dispatcher: Call::Progress streams lines before the result", "[control][dispatcher]") {
  const Dispatcher d = MakeDispatcher();
  const PeerCred peer{};
  Sink sink;
  Object::Ptr params = new Object;
  params->set("n", 3);

  const std::string final_line =
      d.Dispatch(MakeRequest(Var("c"), "count", params), peer, sink.Fn());

  REQUIRE(sink.lines.size() == 3);
  for (size_t i = 0; i < sink.lines.size(); ++i) {
    const Reply p = ParseOk(sink.lines[i]);
    CHECK(p.kind == Reply::Kind::kProgress);
    CHECK(p.id.toString() == "c");
    auto obj = p.body.extract<Object::Ptr>();
    CHECK(obj->getValue<int>("done") == static_cast<int>(i) + 1);
    CHECK(obj->getValue<int>("total") == 3);
  }
  const Reply r = ParseOk(final_line);
  CHECK(r.kind == Reply::Kind::kResult);
  CHECK(r.id.toString() == "c");
  CHECK(r.body.extract<Object::Ptr>()->getValue<int>("sent") == 3);

  SECTION("Progress reports a client that went away") {
    Sink gone;
    gone.accept = false;
    const Reply g = ParseOk(d.Dispatch(MakeRequest(Var(1), "count", params), peer, gone.Fn()));
    CHECK(gone.lines.size() == 1);  // the method stopped after the first failed send
    CHECK(g.body.extract<Object::Ptr>()->getValue<int>("sent") == 0);
  }
}

TEST_CASE("Dispatcher: Call::OnlyParams names the unknown parameter", "[control][dispatcher]") {
  const Dispatcher d = MakeDispatcher();
  const PeerCred peer{};
  Sink sink;

  SECTION("allowed parameters pass") {
    Object::Ptr params = new Object;
    params->set("path", std::string("/x"));
    params->set("force", true);
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var(1), "strict", params), peer, sink.Fn()));
    CHECK(r.kind == Reply::Kind::kResult);
  }
  SECTION("an unknown parameter is invalid_params") {
    Object::Ptr params = new Object;
    params->set("path", std::string("/x"));
    params->set("focre", true);
    const Reply r = ParseOk(d.Dispatch(MakeRequest(Var(2), "strict", params), peer, sink.Fn()));
    CHECK(r.kind == Reply::Kind::kError);
    CHECK(r.error_code == "invalid_params");
    CHECK(r.error_message == "method 'strict' has no parameter 'focre' (parameters: path, force)");
  }
  SECTION("a method that takes none says so") {
    Object::Ptr params = new Object;
    params->set("x", 1);
    const Reply r =
        ParseOk(d.Dispatch(MakeRequest(Var(3), "noparams", params), peer, sink.Fn()));
    CHECK(r.error_code == "invalid_params");
    CHECK(r.error_message == "method 'noparams' has no parameter 'x' (it takes none)");
    const Reply ok = ParseOk(d.Dispatch(MakeRequest(Var(4), "noparams"), peer, sink.Fn()));
    CHECK(ok.kind == Reply::Kind::kResult);
  }
}
