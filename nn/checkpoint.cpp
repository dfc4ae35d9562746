// safetensors reading and writing. nlohmann-json (Debian's nlohmann-json3-dev) parses the header.
#include "nabla/nn/checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include <zlib.h>

#include "nabla/core/error.hpp"
#include "nabla/core/file.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/quantize.hpp"

namespace nabla {
namespace {

// Metadata keys save() writes and load() checks when present: the CRC-32 of the data section, and the
// CRC-32 of the header text itself (computed with its own 8 hex digits written as zeros), which covers
// every name, dtype, shape, offset and metadata value, and even the header's padding.
constexpr const char* kDataCrcKey = "nabla.crc32";
constexpr const char* kHeaderCrcKey = "nabla.header_crc32";
const std::string kHeaderCrcMarker = std::string("\"") + kHeaderCrcKey + "\":\"";
constexpr size_t kHexDigits = 8;

std::string hex32(uLong value) {
  char text[kHexDigits + 1];
  std::snprintf(text, sizeof text, "%08lx", value & 0xffffffffUL);
  return text;
}

uLong crc_of(const char* data, size_t size) {
  return crc32_z(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data), size);
}

// The header's CRC as load() and save() compute it: over the text with the recorded digits at `at` zeroed.
std::string header_crc(std::string text, size_t at) {
  text.replace(at, kHexDigits, kHexDigits, '0');
  return hex32(crc_of(text.data(), text.size()));
}

// A metadata key one byte away from a checksum key: the checksum's own name was damaged (which would
// otherwise silently switch the check off).
bool damaged_checksum_key(const std::string& key) {
  for (const std::string name : {kDataCrcKey, kHeaderCrcKey}) {
    if (key.size() != name.size() || key == name) continue;
    size_t differences = 0;
    for (size_t i = 0; i < key.size(); ++i) differences += key[i] != name[i];
    if (differences == 1) return true;
  }
  return false;
}

// The safetensors names of Nabla's dtypes, in Dtype's order.
constexpr const char* kSafetensorsDtypes[] = {"F32", "I64", "BOOL", "F64", "BF16", "U8", "I8"};

const char* safetensors_dtype(Dtype dtype) { return kSafetensorsDtypes[static_cast<size_t>(dtype)]; }

bool parse_dtype(const std::string& name, Dtype& dtype) {
  for (size_t i = 0; i < std::size(kSafetensorsDtypes); ++i)
    if (name == kSafetensorsDtypes[i]) {
      dtype = static_cast<Dtype>(i);
      return true;
    }
  return false;
}

}  // namespace

namespace {

// A quantized tensor's parameters, kept in the metadata under "<name>.quantization" as JSON text (safetensors has
// no such field: other tools see the integers).
const std::string kQuantizationSuffix = ".quantization";

std::string quantization_text(const QParams& q) {
  return nlohmann::json{
      {"qscheme", qscheme_name(q.scheme)}, {"scales", q.scales}, {"zero_points", q.zero_points}, {"axis", q.axis}}
      .dump();
}

// The parameters recorded for a tensor of `dtype` and `shape`; nullopt (the caller reports) when they are not
// well formed or do not fit it.
std::optional<QParams> parse_quantization(const std::string& text, Dtype dtype, const Shape& shape) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("qscheme") || !j["qscheme"].is_string() ||
      !j.contains("scales") || !j["scales"].is_array() || !j.contains("zero_points") || !j["zero_points"].is_array() ||
      !j.contains("axis") || !j["axis"].is_number_integer() || (dtype != kUInt8 && dtype != kInt8))
    return std::nullopt;
  QParams q;
  const std::string scheme = j["qscheme"].get<std::string>();
  if (scheme != "per_tensor_affine" && scheme != "per_channel_affine") return std::nullopt;
  q.scheme = scheme == "per_tensor_affine" ? QScheme::PerTensorAffine : QScheme::PerChannelAffine;
  q.axis = j["axis"].get<int64_t>();
  for (const auto& v : j["scales"]) {
    if (!v.is_number()) return std::nullopt;
    q.scales.push_back(v.get<double>());
  }
  for (const auto& v : j["zero_points"]) {
    if (!v.is_number_integer()) return std::nullopt;
    q.zero_points.push_back(v.get<int64_t>());
  }
  const bool per_channel = q.scheme == QScheme::PerChannelAffine;
  const size_t channels = per_channel && q.axis >= 0 && q.axis < static_cast<int64_t>(shape.size())
                              ? static_cast<size_t>(shape[static_cast<size_t>(q.axis)])
                              : 1;
  if ((per_channel && (q.axis < 0 || q.axis >= static_cast<int64_t>(shape.size()))) || q.scales.size() != channels ||
      q.zero_points.size() != channels)
    return std::nullopt;
  for (size_t c = 0; c < channels; ++c) {
    try {
      check_quantization_params(q.scales[c], q.zero_points[c], dtype, "load");
    } catch (const Error&) {
      return std::nullopt;
    }
  }
  return q;
}

}  // namespace

void save(const StateDict& tensors, const std::string& path, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  Metadata with_checksums = metadata;
  std::vector<Tensor> dense;
  size_t offset = 0;
  uLong crc = crc32(0L, Z_NULL, 0);  // of the data section
  for (const auto& [name, tensor] : tensors) {
    NABLA_CHECK(tensor.defined(), "save: tensor '", name, "' is undefined (an uninitialized parameter of a lazy "
                "module? Run a forward pass first, so it knows its shape)");
    NABLA_CHECK(name != "__metadata__", "save: '__metadata__' is reserved by the safetensors format");
    dense.push_back(tensor.contiguous());
    if (tensor.is_quantized()) with_checksums[name + kQuantizationSuffix] = quantization_text(tensor.qparams());
    const size_t bytes = static_cast<size_t>(tensor.numel()) * element_size(tensor.dtype());
    header[name] = {{"dtype", safetensors_dtype(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    crc = crc32_z(crc, static_cast<const Bytef*>(dense.back().const_data_ptr()), bytes);
  }
  with_checksums[kDataCrcKey] = hex32(crc);
  with_checksums[kHeaderCrcKey] = std::string(kHexDigits, '0');  // filled in below
  header["__metadata__"] = with_checksums;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad the header to 8 bytes with spaces, as the format does
  const size_t digits = text.rfind(kHeaderCrcMarker) + kHeaderCrcMarker.size();
  text.replace(digits, kHexDigits, header_crc(text, digits));
  const uint64_t length = text.size();           // little-endian on x86, as the format wants

  std::vector<std::pair<const void*, size_t>> parts{{&length, sizeof length}, {text.data(), text.size()}};
  for (const Tensor& t : dense)
    parts.emplace_back(t.const_data_ptr(), static_cast<size_t>(t.numel()) * element_size(t.dtype()));
  write_file(path, parts, "save");
}

StateDict load(const std::string& path, Metadata* metadata) {
  const std::string bytes = read_file(path, "load");
  const auto fail_at = [&](size_t offset, const auto&... what) {
    detail::fail("load: '", path, "' is not a valid safetensors file: at byte offset ", offset, ": ", what...);
  };
  if (bytes.size() < 8) fail_at(0, "the file has ", bytes.size(), " bytes, too few for the 8-byte header length");
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  if (header_size > bytes.size() - 8)
    fail_at(0, "the header claims ", header_size, " bytes but only ", bytes.size() - 8, " follow (truncated file?)");
  const size_t data_start = 8 + header_size, data_size = bytes.size() - data_start;

  const std::string header_text = bytes.substr(8, header_size);
  if (const size_t marker = header_text.find(kHeaderCrcMarker); marker != std::string::npos) {
    const size_t digits = marker + kHeaderCrcMarker.size();
    if (digits + kHexDigits > header_text.size() ||
        header_crc(header_text, digits) != header_text.substr(digits, kHexDigits))
      fail_at(8 + marker, "the header's CRC-32 does not match the one it records: the header is damaged");
  }

  // Parsed with a callback that sees every top-level key: JSON lets a key repeat (the last would win).
  nlohmann::json header;
  std::set<std::string> keys;
  std::string repeated;
  const nlohmann::json::parser_callback_t note_keys = [&](int depth, nlohmann::json::parse_event_t event,
                                                          nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string() &&
        !keys.insert(parsed.get<std::string>()).second && repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  try {
    header =
        nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + static_cast<std::ptrdiff_t>(data_start), note_keys);
  } catch (const nlohmann::json::parse_error& e) {
    fail_at(8 + e.byte, "the JSON header does not parse (", e.what(), ")");
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for a double (found by fuzz_checkpoint)
    fail_at(8, "the JSON header does not parse (", e.what(), ")");
  }
  if (!header.is_object()) fail_at(8, "the JSON header is not an object");
  if (!repeated.empty()) fail_at(8, "the header names '", repeated, "' twice");

  struct Entry {
    std::string name;
    Dtype dtype;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  Metadata found_metadata;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail_at(8, "__metadata__ is not an object of strings");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) fail_at(8, "__metadata__ entry '", key, "' is not a string");
        if (damaged_checksum_key(key)) fail_at(8, "__metadata__ has the key '", key, "', a damaged checksum name");
        found_metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const bool well_formed = entry.is_object() && entry.contains("dtype") && entry["dtype"].is_string() &&
                             entry.contains("shape") && entry["shape"].is_array() && entry.contains("data_offsets") &&
                             entry["data_offsets"].is_array() && entry["data_offsets"].size() == 2 &&
                             entry["data_offsets"][0].is_number_unsigned() &&
                             entry["data_offsets"][1].is_number_unsigned();
    if (!well_formed)
      fail_at(8, "the header entry for '", name, "' lacks dtype, shape or data_offsets (two unsigned integers)");
    Entry e{name, {}, {}, entry["data_offsets"][0].get<uint64_t>(), entry["data_offsets"][1].get<uint64_t>()};
    if (!parse_dtype(entry["dtype"].get<std::string>(), e.dtype))
      fail_at(8, "tensor '", name, "' has dtype ", entry["dtype"].get<std::string>(), ", which Nabla does not hold");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        fail_at(8, "tensor '", name, "' has a malformed shape");
      e.shape.push_back(d.get<int64_t>());
    }
    const auto size = checked_nbytes(e.shape, e.dtype);
    if (!size) fail_at(8, "tensor '", name, "' has the impossible shape ", shape_str(e.shape));
    if (e.end < e.begin || e.end - e.begin != static_cast<uint64_t>(*size))
      fail_at(data_start + std::min<uint64_t>(e.begin, data_size), "tensor '", name, "' of shape ", shape_str(e.shape),
              " needs ", *size, " bytes but its data_offsets are [", e.begin, ", ", e.end, "]");
    entries.push_back(std::move(e));
  }

  // The tensors must tile the data exactly: no gap, overlap or trailing byte (a shifted header would
  // otherwise load every tensor a byte off).
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  for (const Entry* e : by_offset) {
    if (e->begin != covered)
      fail_at(data_start + std::min<uint64_t>(e->begin, data_size), "tensor '", e->name, "' starts at data byte ",
              e->begin, " but the tensors before it end at ", covered, " (", e->begin < covered ? "overlap" : "gap",
              ")");
    covered = e->end;
  }
  if (covered != data_size)
    fail_at(data_start + std::min<uint64_t>(covered, data_size), "the tensors cover ", covered, " data bytes but the ",
            "file holds ", data_size, covered < data_size ? " (trailing bytes)" : " (truncated file?)");

  if (auto it = found_metadata.find(kDataCrcKey); it != found_metadata.end()) {
    const std::string crc = hex32(crc_of(bytes.data() + data_start, data_size));
    if (it->second != crc)
      fail_at(data_start, "the data's CRC-32 is ", crc, " but the header records ", it->second,
              ": the tensor data is damaged");
  }

  StateDict out;
  for (const Entry& e : entries) {
    const char* data = bytes.data() + data_start + e.begin;
    if (e.dtype == kBool)  // any byte but 0 or 1 would be an undefined bool
      for (uint64_t k = 0; k < e.end - e.begin; ++k)
        if (static_cast<unsigned char>(data[k]) > 1)
          fail_at(data_start + e.begin + k, "tensor '", e.name, "' (BOOL) holds the byte ",
                  static_cast<int>(static_cast<unsigned char>(data[k])), "; only 0 and 1 are booleans");
    Tensor t = empty(e.shape, e.dtype);
    std::memcpy(t.data_ptr(), data, e.end - e.begin);
    if (auto q = found_metadata.find(e.name + kQuantizationSuffix); q != found_metadata.end()) {
      const auto params = parse_quantization(q->second, e.dtype, e.shape);
      if (!params)
        fail_at(8, "tensor '", e.name, "' (", safetensors_dtype(e.dtype), ", shape ", shape_str(e.shape),
                ") has quantization parameters that do not fit it: ", q->second);
      t = make_quantized(t, *params);
    }
    out.insert(e.name, t);
  }
  if (metadata) *metadata = std::move(found_metadata);
  return out;
}

void save(const nn::Module& module, const std::string& path) { save(module.state_dict(), path); }

void load(nn::Module& module, const std::string& path, bool strict) { module.load_state_dict(load(path), strict); }

}  // namespace nabla
