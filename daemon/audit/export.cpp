#include "audit/export.h"

#include <sstream>
#include <string_view>

#include "common/time_format.h"

namespace sigmad::audit {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

void AppendCsvField(std::string& out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

Object::Ptr ToJsonObject(const Record& r) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("seq", r.seq);
  o->set("time", FormatUtc(r.fields.time));
  o->set("actor", r.fields.actor);
  o->set("tenant", r.fields.tenant);
  o->set("action", r.fields.action);
  o->set("target", r.fields.target);
  o->set("outcome", r.fields.outcome);
  o->set("source", r.fields.source);
  o->set("details", r.fields.details ? Var(*r.fields.details) : Var());
  o->set("prev_hash", DigestHex(r.prev_hash));
  o->set("hash", DigestHex(r.hash));
  if (r.checkpoint) {
    Object::Ptr cp = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    cp->set("key_id", r.checkpoint->key_id);
    cp->set("mac", DigestHex(r.checkpoint->mac));
    o->set("checkpoint", cp);
  } else {
    o->set("checkpoint", Var());
  }
  return o;
}

std::string ToJson(const Record& record) {
  std::ostringstream out;
  ToJsonObject(record)->stringify(out);  // compact; control characters escaped
  return out.str();
}

std::string CsvHeader() {
  return "seq,time,actor,tenant,action,target,outcome,source,details,prev_hash,hash,"
         "checkpoint_key_id,checkpoint_mac\r\n";
}

std::string ToCsvRow(const Record& r) {
  const std::string fields[] = {
      std::to_string(r.seq),
      FormatUtc(r.fields.time),
      r.fields.actor,
      r.fields.tenant,
      r.fields.action,
      r.fields.target,
      r.fields.outcome,
      r.fields.source,
      r.fields.details.value_or(""),
      DigestHex(r.prev_hash),
      DigestHex(r.hash),
      r.checkpoint ? r.checkpoint->key_id : "",
      r.checkpoint ? DigestHex(r.checkpoint->mac) : "",
  };
  std::string out;
  for (const std::string& f : fields) {
    if (&f != &fields[0]) out.push_back(',');
    AppendCsvField(out, f);
  }
  out += "\r\n";
  return out;
}

}  // namespace sigmad::audit
