#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "analysis/runtime.h"
#include "common/file.h"
#include "common/yaml_load.h"

namespace sigmad::app {
namespace {

namespace fs = std::filesystem;

// Collects errors with positions while walking the document.
class Checker {
 public:
  Checker(std::string file, const LoadOptions& options) : file_(std::move(file)), opts_(options) {}

  // Where to report a problem with `node`. yaml-cpp marks a missing value ("key:" and
  // nothing) at the next token, a line or more later; point at its key instead. An
  // explicit null ("key: ~") keeps its own position.
  YAML::Mark MarkOf(const YAML::Node& node) const {
    if (node.IsNull() && !key_marks_.empty() && node.Mark().line != key_marks_.back().line) {
      return key_marks_.back();
    }
    return node.Mark();
  }

  void Error(const YAML::Node& node, const std::string& message) { Error(MarkOf(node), message); }

  void Error(const YAML::Mark& mark, const std::string& message) {
    std::ostringstream out;
    out << file_ << ':' << (mark.line + 1) << ':' << (mark.column + 1) << ": " << message;
    errors_.push_back(out.str());
  }

  std::vector<std::string> Take() { return std::move(errors_); }

  using FieldFn = std::function<void(const YAML::Node& value, const std::string& path)>;

  // Checks that `node` is a mapping of known keys without duplicates and calls the
  // handler of each present key.
  void Mapping(const YAML::Node& node, const std::string& path,
               const std::map<std::string, FieldFn>& fields) {
    if (node.IsNull()) return;  // "control:" with nothing under it: all defaults
    if (!node.IsMap()) {
      Error(node, Where(path) + "must be a mapping, got " + Describe(node));
      return;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar()) {
        Error(key.Mark(), Where(path) + "keys must be plain names");
        continue;
      }
      const std::string name = key.Scalar();
      const std::string child = path.empty() ? name : path + "." + name;
      if (!seen.insert(name).second) {
        Error(key.Mark(), "duplicate key '" + child + "'");
        continue;
      }
      auto it = fields.find(name);
      if (it == fields.end()) {
        std::string known;
        for (const auto& [k, _] : fields) known += (known.empty() ? "" : ", ") + k;
        Error(key.Mark(), "unknown key '" + child + "' (known keys" +
                              (path.empty() ? "" : " in '" + path + "'") + ": " + known + ")");
        continue;
      }
      key_marks_.push_back(key.Mark());
      it->second(kv.second, child);
      key_marks_.pop_back();
    }
  }

  bool Integer(const YAML::Node& node, const std::string& path, long long lo, long long hi,
               long long* out) {
    if (!node.IsScalar() || node.Tag() != "?") {
      Error(node, "'" + path + "' must be an integer, got " + Describe(node));
      return false;
    }
    const std::string& s = node.Scalar();
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
      Error(node, "'" + path + "' must be between " + std::to_string(lo) + " and " +
                             std::to_string(hi) + ", got " + s);
      return false;
    }
    if (ec != std::errc() || ptr != s.data() + s.size()) {
      Error(node, "'" + path + "' must be an integer, got '" + s + "'");
      return false;
    }
    if (v < lo || v > hi) {
      Error(node, "'" + path + "' must be between " + std::to_string(lo) + " and " +
                             std::to_string(hi) + ", got " + s);
      return false;
    }
    *out = v;
    return true;
  }

  void Int(const YAML::Node& node, const std::string& path, long long lo, long long hi, int* out) {
    long long v;
    if (Integer(node, path, lo, hi, &v)) *out = static_cast<int>(v);
  }

  bool String(const YAML::Node& node, const std::string& path, std::string* out) {
    if (!node.IsScalar()) {
      Error(node, "'" + path + "' must be a string, got " + Describe(node));
      return false;
    }
    if (node.Scalar().empty()) {
      Error(node, "'" + path + "' must not be empty");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  bool Path(const YAML::Node& node, const std::string& path, fs::path* out) {
    std::string s;
    if (!String(node, path, &s)) return false;
    fs::path p(s);
    if (p.is_relative()) {
      if (opts_.relative_base.empty()) {
        Error(node, "'" + path + "' must be an absolute path, got '" + s + "'");
        return false;
      }
      p = opts_.relative_base / p;
    }
    *out = p.lexically_normal();
    return true;
  }

 private:
  static std::string Describe(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Null:
        return "nothing (null)";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Map:
        return "a mapping";
      case YAML::NodeType::Scalar:
        return node.Tag() == "!" ? "the quoted string '" + node.Scalar() + "'"
                                 : "'" + node.Scalar() + "'";
      default:
        return "an undefined value";
    }
  }
  static std::string Where(const std::string& path) {
    return path.empty() ? "the document " : "'" + path + "' ";
  }

  std::string file_;
  const LoadOptions& opts_;
  std::vector<std::string> errors_;
  std::vector<YAML::Mark> key_marks_;  // keys of the values being checked, innermost last
};

}  // namespace

LoadResult ParseConfig(const std::string& text, const std::string& file, const Config& defaults,
                       const LoadOptions& options) {
  LoadResult result{defaults, {}};
  Config& c = result.config;
  Checker check(file, options);

  YAML::Node root;
  try {
    std::vector<YAML::Node> documents = LoadYamlDocuments(text);
    if (documents.size() > 1) {
      check.Error(documents[1].Mark(), "a config file holds one YAML document; found " +
                                           std::to_string(documents.size()));
      result.errors = check.Take();
      return result;
    }
    if (!documents.empty()) root = documents[0];
  } catch (const YAML::Exception& e) {
    check.Error(e.mark, "invalid YAML: " + e.msg);
    result.errors = check.Take();
    return result;
  }

  std::map<std::string, Checker::FieldFn> control_fields = {
      {"socket",
       [&](const YAML::Node& v, const std::string& p) {
         fs::path socket;
         if (!check.Path(v, p, &socket)) return;
         if (socket.native().size() > kMaxUnixSocketPath) {
           check.Error(v, "'" + p + "' is " + std::to_string(socket.native().size()) +
                                     " bytes long; a unix socket path may be at most " +
                                     std::to_string(kMaxUnixSocketPath));
           return;
         }
         c.control.socket = socket;
       }},
      {"socket_mode",
       [&](const YAML::Node& v, const std::string& p) {
         // An octal string such as "0660"; quoted so YAML does not read it as a number.
         std::string s;
         if (!check.String(v, p, &s)) return;
         unsigned mode = 0;
         auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), mode, 8);
         if (ec != std::errc() || ptr != s.data() + s.size() || s.size() < 3 || s.size() > 4 ||
             mode > 0777) {
           check.Error(v, "'" + p + "' must be an octal file mode such as \"0660\", got '" +
                                     s + "'");
           return;
         }
         if ((mode & 0600) != 0600) {
           check.Error(v, "'" + p + "' must give the owner read and write (0600), got '" +
                                     s + "'");
           return;
         }
         c.control.socket_mode = mode;
       }},
      {"admin_group",
       [&](const YAML::Node& v, const std::string& p) {
         std::string g;
         if (!check.String(v, p, &g)) return;
         const bool valid = g.size() <= 32 &&
                            g.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                                std::string::npos &&
                            g[0] != '-';
         if (!valid) {
           check.Error(v, "'" + p + "' must be a group name (letters, digits, _ . -, " +
                                     "at most 32), got '" + g + "'");
           return;
         }
         c.control.admin_group = g;
       }},
      {"idle_timeout_seconds",
       [&](const YAML::Node& v, const std::string& p) {
         check.Int(v, p, 1, 3600, &c.control.idle_timeout_seconds);
       }},
      {"max_clients",
       [&](const YAML::Node& v, const std::string& p) {
         check.Int(v, p, 1, 4096, &c.control.max_clients);
       }},
      {"max_request_bytes",
       [&](const YAML::Node& v, const std::string& p) {
         long long n;
         if (check.Integer(v, p, kMinRequestBytes, kMaxRequestBytesLimit, &n)) {
           c.control.max_request_bytes = n;
         }
       }},
  };

  std::map<std::string, Checker::FieldFn> log_fields = {
      {"level", [&](const YAML::Node& v, const std::string& p) {
         std::string s;
         if (!check.String(v, p, &s)) return;
         auto level = log::ParseLevel(s);
         if (!level) {
           check.Error(v, "'" + p + "' must be one of debug, info, warning, error; got '" +
                                     s + "'");
           return;
         }
         c.log_level = *level;
       }}};

  std::map<std::string, Checker::FieldFn> keys_fields = {
      {"master_key_file", [&](const YAML::Node& v, const std::string& p) {
         if (options.state_dir_fixed) {
           check.Error(v, "'keys.master_key_file' cannot be set here: in dev mode the master "
                          "key is DIR/master.key");
           return;
         }
         check.Path(v, p, &c.master_key_file);
       }}};

  std::map<std::string, Checker::FieldFn> shutdown_fields = {
      {"drain_timeout_seconds", [&](const YAML::Node& v, const std::string& p) {
         check.Int(v, p, 1, 600, &c.drain_timeout_seconds);
       }}};

  std::map<std::string, Checker::FieldFn> jobs_fields = {
      {"workers", [&](const YAML::Node& v, const std::string& p) {
         check.Int(v, p, 1, 64, &c.jobs.workers);
       }},
      {"threads", [&](const YAML::Node& v, const std::string& p) {
         check.Int(v, p, 0, analysis::kMaxThreads, &c.jobs.threads);
       }}};

  std::map<std::string, Checker::FieldFn> top = {
      {"state_dir",
       [&](const YAML::Node& v, const std::string& p) {
         if (options.state_dir_fixed) {
           check.Error(v, "'state_dir' cannot be set here: in dev mode the state dir is "
                                 "the dev dir itself");
           return;
         }
         check.Path(v, p, &c.state_dir);
       }},
      {"log", [&](const YAML::Node& v, const std::string& p) { check.Mapping(v, p, log_fields); }},
      {"control",
       [&](const YAML::Node& v, const std::string& p) { check.Mapping(v, p, control_fields); }},
      {"shutdown",
       [&](const YAML::Node& v, const std::string& p) { check.Mapping(v, p, shutdown_fields); }},
      {"keys",
       [&](const YAML::Node& v, const std::string& p) { check.Mapping(v, p, keys_fields); }},
      {"jobs",
       [&](const YAML::Node& v, const std::string& p) { check.Mapping(v, p, jobs_fields); }},
  };

  check.Mapping(root, "", top);
  result.errors = check.Take();
  return result;
}

LoadResult LoadConfigFile(const std::filesystem::path& file, const Config& defaults,
                          const LoadOptions& options) {
  Result<std::string> text = ReadRegularFile(file, kMaxConfigBytes);
  if (!text.ok()) {
    LoadResult r{defaults, {}};
    r.errors.push_back(file.string() + ": " + text.status().message());
    return r;
  }
  return ParseConfig(text.value(), file.string(), defaults, options);
}

}  // namespace sigmad::app
