#pragma once
/// @file
/// An insertion-ordered string → value map: parameters, buffers, children and state dicts keep the
/// order they were registered in, as Python's dicts do.
/// @ingroup runtime
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup runtime
/// @{

/// Values under string keys in insertion order (what state_dict() and named_parameters() return; Python's OrderedDict).
template <class Value>
class OrderedDict {
 public:
  using Item = std::pair<std::string, Value>;  ///< a (key, value) pair, as iteration yields them

  /// Adds `value` under `key` at the end; a nabla::Error when the key is already there.
  Value& insert(std::string key, Value value) {
    NABLA_CHECK(!contains(key), "OrderedDict: key '", key, "' is already present");
    index_.emplace(key, items_.size());
    items_.emplace_back(std::move(key), std::move(value));
    return items_.back().second;
  }
  /// Inserts, or replaces the value of an existing key in place.
  Value& set(const std::string& key, Value value) {
    if (Value* existing = find(key)) return *existing = std::move(value);
    return insert(key, std::move(value));
  }
  bool contains(const std::string& key) const { return index_.count(key) != 0; }  ///< whether `key` is present
  /// The value under `key`, or null.
  Value* find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  /// the value under `key`, or null
  const Value* find(const std::string& key) const { return const_cast<OrderedDict*>(this)->find(key); }
  /// the value under `key`; a nabla::Error naming the key when absent
  const Value& operator[](const std::string& key) const {
    const Value* value = find(key);
    NABLA_CHECK(value != nullptr, "OrderedDict: key '", key, "' not found");
    return *value;
  }
  /// The value under `key`; a nabla::Error naming the key when absent.
  Value& operator[](const std::string& key) { return const_cast<Value&>(static_cast<const OrderedDict&>(*this)[key]); }

  /// The keys, in order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& item : items_) out.push_back(item.first);
    return out;
  }
  /// The values, in order.
  std::vector<Value> values() const {
    std::vector<Value> out;
    for (const auto& item : items_) out.push_back(item.second);
    return out;
  }
  size_t size() const { return items_.size(); }  ///< the number of entries
  bool empty() const { return items_.empty(); }  ///< whether there are none
  auto begin() { return items_.begin(); }        ///< iteration over the (key, value) items, in order
  auto end() { return items_.end(); }            ///< past the last item
  auto begin() const { return items_.begin(); }  ///< iteration over the (key, value) items, in order
  auto end() const { return items_.end(); }      ///< past the last item

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, size_t> index_;
};

/// Parameter and buffer tensors by dotted name ("features.0.weight"), as PyTorch's state_dict().
using StateDict = OrderedDict<Tensor>;

/// @}
}  // namespace nabla
