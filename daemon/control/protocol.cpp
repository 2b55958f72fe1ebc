#include "control/protocol.h"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace sigmad::control {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

bool IsValidId(const Var& id) {
  return id.isString() || (id.isInteger() && !id.isBoolean());
}

std::string Stringify(const Object& obj) {
  std::ostringstream out;
  obj.stringify(out);  // compact: strings escape control characters, so no raw newline
  return out.str();
}

Object::Ptr Envelope(const Var& id) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("v", kVersion);
  o->set("id", id);
  return o;
}

}  // namespace

ParsedRequest ParseRequest(std::string_view line) {
  ParsedRequest out;
  Var parsed;
  try {
    Poco::JSON::Parser parser;
    parsed = parser.parse(std::string(line));
  } catch (const Poco::Exception& e) {
    out.error = Status::Error(code::kParseError, "request is not valid JSON: " + e.message());
    return out;
  }
  if (parsed.type() != typeid(Object::Ptr)) {
    out.error = Status::Error(code::kParseError, "request must be a JSON object");
    return out;
  }
  Object::Ptr obj = parsed.extract<Object::Ptr>();
  if (obj->has("id")) {
    Var id = obj->get("id");
    if (IsValidId(id)) out.id = id;
  }
  for (const auto& [key, _] : *obj) {
    if (key != "v" && key != "id" && key != "method" && key != "params") {
      out.error = Status::Error(code::kInvalidRequest, "unknown request field '" + key +
                                                           "' (fields: v, id, method, params)");
      return out;
    }
  }
  if (!obj->has("v")) {
    out.error = Status::Error(code::kInvalidRequest, "request has no protocol version \"v\"");
    return out;
  }
  Var v = obj->get("v");
  if (!v.isInteger() || v.isBoolean() || v.convert<long long>() != kVersion) {
    out.error = Status::Error(code::kUnsupportedVersion,
                              "this sigmad speaks control protocol v" + std::to_string(kVersion) +
                                  "; the request has v=" + v.toString());
    return out;
  }
  if (!obj->has("id") || !IsValidId(obj->get("id"))) {
    out.error =
        Status::Error(code::kInvalidRequest, "request \"id\" must be a string or an integer");
    return out;
  }
  if (!obj->has("method") || !obj->get("method").isString() ||
      obj->get("method").toString().empty()) {
    out.error = Status::Error(code::kInvalidRequest, "request \"method\" must be a non-empty string");
    return out;
  }
  Object::Ptr params;
  if (obj->has("params") && !obj->get("params").isEmpty()) {
    if (obj->get("params").type() != typeid(Object::Ptr)) {
      out.error = Status::Error(code::kInvalidRequest, "request \"params\" must be a JSON object");
      return out;
    }
    params = obj->getObject("params");
  } else {
    params = new Object;
  }
  out.request = Request{out.id, obj->getValue<std::string>("method"), params};
  return out;
}

std::string EncodeRequest(const Var& id, const std::string& method, const Object::Ptr& params) {
  Object::Ptr o = Envelope(id);
  o->set("method", method);
  o->set("params", params ? params : Object::Ptr(new Object));
  return Stringify(*o);
}

std::string EncodeResult(const Var& id, const Var& result) {
  Object::Ptr o = Envelope(id);
  o->set("result", result);
  return Stringify(*o);
}

std::string EncodeProgress(const Var& id, const Var& progress) {
  Object::Ptr o = Envelope(id);
  o->set("progress", progress);
  return Stringify(*o);
}

std::string EncodeError(const Var& id, const std::string& code, const std::string& message) {
  Object::Ptr o = Envelope(id);
  Object::Ptr e = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  e->set("code", code);
  e->set("message", message);
  o->set("error", e);
  return Stringify(*o);
}

Result<Reply> ParseReply(std::string_view line) {
  Var parsed;
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keep the daemon's key order
    parsed = parser.parse(std::string(line));
  } catch (const Poco::Exception& e) {
    return Status::Error("protocol_error", "daemon sent a line that is not JSON: " + e.message());
  }
  if (parsed.type() != typeid(Object::Ptr)) {
    return Status::Error("protocol_error", "daemon sent a JSON value that is not an object");
  }
  Object::Ptr obj = parsed.extract<Object::Ptr>();
  Reply r{Reply::Kind::kResult, obj->get("id"), {}, {}, {}};
  if (obj->has("result")) {
    r.body = obj->get("result");
  } else if (obj->has("progress")) {
    r.kind = Reply::Kind::kProgress;
    r.body = obj->get("progress");
  } else if (obj->has("error") && obj->get("error").type() == typeid(Object::Ptr)) {
    r.kind = Reply::Kind::kError;
    Object::Ptr e = obj->getObject("error");
    r.error_code = e->optValue<std::string>("code", "unknown");
    r.error_message = e->optValue<std::string>("message", "");
  } else {
    return Status::Error("protocol_error", "daemon reply has none of result, progress, error");
  }
  return r;
}

LineBuffer::Next LineBuffer::Pop(std::string* line) {
  const size_t nl = buf_.find('\n', scanned_);
  if (nl == std::string::npos) {
    scanned_ = buf_.size();
    return buf_.size() > max_line_ ? Next::kTooLong : Next::kNeedMore;
  }
  if (nl > max_line_) return Next::kTooLong;
  line->assign(buf_, 0, nl);
  if (!line->empty() && line->back() == '\r') line->pop_back();  // tolerate CRLF clients
  buf_.erase(0, nl + 1);
  scanned_ = 0;
  return Next::kLine;
}

}  // namespace sigmad::control
