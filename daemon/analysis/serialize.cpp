// SerializeModel and DeserializeModel: format kModelFormat (1).
//
// All integers little-endian; f32/f64 are IEEE-754 bit patterns, little-endian; a str
// is a u32 byte count then UTF-8 bytes; a count is a u32.
//
//   magic "SIGMADNN" (8 bytes), u32 format, u64 body bytes, body, u32 CRC-32 (IEEE
//   802.3, as zlib's crc32) of everything before it.
//   body:
//     lineage   str torch_version, i32 threads, u64 training_rows
//     options   i32 ensemble, count + i32 hidden units, i32 max_epochs, i32 batch_size,
//               f64 learning_rate, f64 weight_decay, f64 validation_fraction,
//               i32 patience, i32 folds, u64 seed
//     inputs    count, each: str name, u8 type (0 numeric, 1 categorical), str unit,
//               f64 mean, scale, min, max, count + (str level, u8 seen)
//     outputs   count, each: str name, str unit, f64 mean, scale
//     cross-validation  i32 folds, count + metrics per output,
//               count + (count + metrics per output) per fold; metrics: f64 r2, rmse, mae
//     members   count, each: u64 seed, i32 epochs, i32 best_epoch, f64 best_loss,
//               count + (i32 inputs, i32 outputs, count + f32 weights, count + f32 biases)
//
// Reading checks every length against the bytes left before allocating, then the whole
// model with CheckModel.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "analysis/model.h"

namespace sigmad::analysis {
namespace {

constexpr std::string_view kMagic = "SIGMADNN";
constexpr size_t kHeaderBytes = 8 + 4 + 8;
constexpr size_t kTrailerBytes = 4;

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint32_t Crc32(std::string_view bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : bytes) c = kCrcTable[(c ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void I32(int v) { U32(static_cast<uint32_t>(v)); }
  void F32(float v) { U32(std::bit_cast<uint32_t>(v)); }
  void F64(double v) { U64(std::bit_cast<uint64_t>(v)); }
  void Count(size_t n) { U32(static_cast<uint32_t>(n)); }
  void Str(const std::string& s) {
    Count(s.size());
    out_ += s;
  }
  void Metric(const Metrics& m) {
    F64(m.r2);
    F64(m.rmse);
    F64(m.mae);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

// Reads fields in order; after the first failure every read gives 0 and error() says
// what and where.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t left() const { return bytes_.size() - pos_; }

  uint64_t Bytes(size_t n, const char* what) {
    if (!ok()) return 0;
    if (left() < n) {
      Fail(what, "truncated");
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(bytes_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  uint8_t U8(const char* what) { return static_cast<uint8_t>(Bytes(1, what)); }
  uint32_t U32(const char* what) { return static_cast<uint32_t>(Bytes(4, what)); }
  uint64_t U64(const char* what) { return Bytes(8, what); }
  int I32(const char* what) { return static_cast<int>(U32(what)); }
  float F32(const char* what) { return std::bit_cast<float>(U32(what)); }
  double F64(const char* what) { return std::bit_cast<double>(U64(what)); }
  // A count of items of at least `min_bytes` each, refused if they cannot fit.
  size_t Count(const char* what, size_t min_bytes) {
    const size_t n = U32(what);
    if (ok() && n > left() / min_bytes) {
      Fail(what, "count " + std::to_string(n) + " exceeds the bytes left");
      return 0;
    }
    return n;
  }
  std::string Str(const char* what) {
    const size_t n = Count(what, 1);
    if (!ok()) return {};
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool Bool(const char* what) {
    const uint8_t v = U8(what);
    if (v > 1) Fail(what, "not 0 or 1");
    return v == 1;
  }
  Metrics Metric() {
    Metrics m;
    m.r2 = F64("r2");
    m.rmse = F64("rmse");
    m.mae = F64("mae");
    return m;
  }
  void Fail(const char* what, const std::string& why) {
    if (ok()) error_ = std::string(what) + " at body byte " + std::to_string(pos_) + ": " + why;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  std::string error_;
};

Status Corrupt(const std::string& what) { return Status::Error("corrupt_model", what); }

}  // namespace

std::string SerializeModel(const Model& model) {
  Writer w;
  w.Str(model.torch_version);
  w.I32(model.threads);
  w.U64(model.training_rows);
  const TrainOptions& o = model.options;
  w.I32(o.ensemble);
  w.Count(o.hidden.size());
  for (int h : o.hidden) w.I32(h);
  w.I32(o.max_epochs);
  w.I32(o.batch_size);
  w.F64(o.learning_rate);
  w.F64(o.weight_decay);
  w.F64(o.validation_fraction);
  w.I32(o.patience);
  w.I32(o.folds);
  w.U64(o.seed);
  w.Count(model.inputs.size());
  for (const InputColumn& in : model.inputs) {
    w.Str(in.name);
    w.U8(in.type == dataset::ColumnType::kNumeric ? 0 : 1);
    w.Str(in.unit);
    w.F64(in.mean);
    w.F64(in.scale);
    w.F64(in.min);
    w.F64(in.max);
    w.Count(in.levels.size());
    for (size_t l = 0; l < in.levels.size(); ++l) {
      w.Str(in.levels[l]);
      w.U8(l < in.seen.size() && in.seen[l] ? 1 : 0);
    }
  }
  w.Count(model.outputs.size());
  for (const OutputColumn& out : model.outputs) {
    w.Str(out.name);
    w.Str(out.unit);
    w.F64(out.mean);
    w.F64(out.scale);
  }
  const CrossValidation& cv = model.cross_validation;
  w.I32(cv.folds);
  w.Count(cv.outputs.size());
  for (const Metrics& m : cv.outputs) w.Metric(m);
  w.Count(cv.per_fold.size());
  for (const auto& fold : cv.per_fold) {
    w.Count(fold.size());
    for (const Metrics& m : fold) w.Metric(m);
  }
  w.Count(model.members.size());
  for (const Member& member : model.members) {
    w.U64(member.seed);
    w.I32(member.epochs);
    w.I32(member.best_epoch);
    w.F64(member.best_loss);
    w.Count(member.layers.size());
    for (const Layer& layer : member.layers) {
      w.I32(layer.inputs);
      w.I32(layer.outputs);
      w.Count(layer.weight.size());
      for (float v : layer.weight) w.F32(v);
      w.Count(layer.bias.size());
      for (float v : layer.bias) w.F32(v);
    }
  }

  Writer all;
  all.out() = kMagic;
  all.U32(kModelFormat);
  all.U64(w.out().size());
  all.out() += w.out();
  all.U32(Crc32(all.out()));
  return std::move(all.out());
}

Result<Model> DeserializeModel(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes + kTrailerBytes || bytes.substr(0, kMagic.size()) != kMagic) {
    return Corrupt("not a sigmad model (no SIGMADNN header)");
  }
  Reader header(bytes.substr(kMagic.size(), kHeaderBytes - kMagic.size()));
  const uint32_t format = header.U32("format");
  const uint64_t body_bytes = header.U64("body length");
  if (format != kModelFormat) {
    return Corrupt("model format " + std::to_string(format) +
                   " is not supported (this build reads " + std::to_string(kModelFormat) + ")");
  }
  if (body_bytes != bytes.size() - kHeaderBytes - kTrailerBytes) {
    return Corrupt("the body should be " + std::to_string(body_bytes) + " bytes but " +
                   std::to_string(bytes.size() - kHeaderBytes - kTrailerBytes) +
                   " are there (truncated or with trailing bytes)");
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kTrailerBytes);
  const uint32_t stored = Reader(bytes.substr(covered.size())).U32("checksum");
  if (stored != Crc32(covered)) return Corrupt("checksum mismatch: the model bytes were changed");

  Reader r(bytes.substr(kHeaderBytes, body_bytes));
  Model model;
  model.torch_version = r.Str("torch_version");
  model.threads = r.I32("threads");
  model.training_rows = r.U64("training_rows");
  TrainOptions& o = model.options;
  o.ensemble = r.I32("ensemble");
  o.hidden.resize(r.Count("hidden", 4));
  for (int& h : o.hidden) h = r.I32("hidden");
  o.max_epochs = r.I32("max_epochs");
  o.batch_size = r.I32("batch_size");
  o.learning_rate = r.F64("learning_rate");
  o.weight_decay = r.F64("weight_decay");
  o.validation_fraction = r.F64("validation_fraction");
  o.patience = r.I32("patience");
  o.folds = r.I32("folds");
  o.seed = r.U64("seed");
  model.inputs.resize(r.Count("inputs", 45));
  for (InputColumn& in : model.inputs) {
    in.name = r.Str("input name");
    const uint8_t type = r.U8("input type");
    if (type > 1) r.Fail("input type", "not 0 or 1");
    in.type = type == 0 ? dataset::ColumnType::kNumeric : dataset::ColumnType::kCategorical;
    in.unit = r.Str("input unit");
    in.mean = r.F64("input mean");
    in.scale = r.F64("input scale");
    in.min = r.F64("input min");
    in.max = r.F64("input max");
    const size_t levels = r.Count("levels", 5);
    for (size_t l = 0; l < levels; ++l) {
      in.levels.push_back(r.Str("level"));
      in.seen.push_back(r.Bool("level seen"));
    }
  }
  model.outputs.resize(r.Count("outputs", 24));
  for (OutputColumn& out : model.outputs) {
    out.name = r.Str("output name");
    out.unit = r.Str("output unit");
    out.mean = r.F64("output mean");
    out.scale = r.F64("output scale");
  }
  CrossValidation& cv = model.cross_validation;
  cv.folds = r.I32("folds");
  cv.outputs.resize(r.Count("metrics", 24));
  for (Metrics& m : cv.outputs) m = r.Metric();
  cv.per_fold.resize(r.Count("folds", 4));
  for (auto& fold : cv.per_fold) {
    fold.resize(r.Count("fold metrics", 24));
    for (Metrics& m : fold) m = r.Metric();
  }
  model.members.resize(r.Count("members", 28));
  for (Member& member : model.members) {
    member.seed = r.U64("member seed");
    member.epochs = r.I32("member epochs");
    member.best_epoch = r.I32("member best epoch");
    member.best_loss = r.F64("member loss");
    member.layers.resize(r.Count("layers", 16));
    for (Layer& layer : member.layers) {
      layer.inputs = r.I32("layer inputs");
      layer.outputs = r.I32("layer outputs");
      layer.weight.resize(r.Count("weights", 4));
      for (float& v : layer.weight) v = r.F32("weight");
      layer.bias.resize(r.Count("biases", 4));
      for (float& v : layer.bias) v = r.F32("bias");
    }
  }
  if (!r.ok()) return Corrupt(r.error());
  if (r.left() != 0) return Corrupt(std::to_string(r.left()) + " unread bytes after the members");
  if (Status s = CheckModel(model); !s.ok()) return s;
  return model;
}

}  // namespace sigmad::analysis
