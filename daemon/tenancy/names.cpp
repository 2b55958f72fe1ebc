#include "tenancy/names.h"

namespace sigmad::tenancy {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The name with every byte outside printable ASCII as \xNN: messages and logs never
// carry raw control bytes from a client.
std::string Printable(std::string_view name) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

// A byte as it can be shown in a message: printable as itself, anything else as \xNN.
std::string Show(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  if (c == ' ') return "a space";
  return "byte " + Printable(std::string_view(&c, 1));
}

const char* kPathForms[] = {"", "TENANT", "TENANT/PROJECT", "TENANT/PROJECT/TASK"};

}  // namespace

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kTenant:
      return "tenant";
    case Kind::kProject:
      return "project";
    case Kind::kTask:
      return "task";
    case Kind::kDataset:
      return "dataset";
    case Kind::kModel:
      return "model";
  }
  return "name";
}

Status ValidateName(Kind kind, std::string_view name) {
  const std::string what = KindName(kind);
  if (name.empty()) return Status::Error("invalid_name", what + " name is empty");
  if (name.size() > kMaxNameBytes) {
    return Status::Error("invalid_name", what + " name is " + std::to_string(name.size()) +
                                             " bytes long; the limit is " +
                                             std::to_string(kMaxNameBytes));
  }
  const std::string quoted = "'" + Printable(name) + "'";
  if (kind == Kind::kTenant && FoldName(name) == "system") {
    return Status::Error("invalid_name",
                         "tenant name " + quoted + " is reserved (it names sigmad's own keys)");
  }
  if (!IsAlnum(name[0])) {
    return Status::Error("invalid_name", what + " name " + quoted +
                                             " must start with a letter or a digit");
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') {
      return Status::Error("invalid_name",
                           what + " name " + quoted + " contains " + Show(c) +
                               "; use letters, digits, '-', '_' and '.'");
    }
  }
  return Status::Ok();
}

std::string FoldName(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

Result<std::vector<std::string>> ParsePath(std::string_view path, size_t parts) {
  if (parts < 1 || parts > 3) return Status::Error("invalid_name", "bad path arity");
  std::vector<std::string> names;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    names.emplace_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (names.size() != parts) {
    return Status::Error("invalid_name", "'" + Printable(path) + "' is not of the form " +
                                             kPathForms[parts] + " (" +
                                             std::to_string(names.size()) + " part" +
                                             (names.size() == 1 ? "" : "s") + ", expected " +
                                             std::to_string(parts) + ")");
  }
  static const Kind kinds[] = {Kind::kTenant, Kind::kProject, Kind::kTask};
  for (size_t i = 0; i < names.size(); ++i) {
    if (Status s = ValidateName(kinds[i], names[i]); !s.ok()) return s;
  }
  return names;
}

}  // namespace sigmad::tenancy
