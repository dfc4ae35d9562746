#pragma once
/// @file
/// nn::ModuleList and nn::ModuleDict: modules held in a list or under names, registered as children so that
/// their parameters, buffers, train()/eval() and state_dict keys ("layers.0.weight", "heads.cls.bias") are the
/// parent's, as in PyTorch. They have no forward: the parent decides how to call them.
/// @ingroup modules
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup modules
/// @{

/// torch.nn.ModuleList: submodules registered under "0", "1", ...; iterate it or index it.
class ModuleList : public Module {
 public:
  ModuleList() = default;
  /// The modules, in order.
  template <class... Modules>
  requires(sizeof...(Modules) > 0) explicit ModuleList(Modules... modules) { (push_back(std::move(modules)), ...); }

  /// Appends a copy of `module` (sharing its parameters) under the next index.
  template <class M>
  void push_back(M module) {
    register_module(std::to_string(size()), std::make_shared<M>(std::move(module)));
  }
  size_t size() const { return children().size(); }  ///< the number of modules
  bool empty() const { return size() == 0; }         ///< whether there are none
  /// the module at index (a nabla::Error when out of range)
  std::shared_ptr<Module> operator[](size_t index) const { return at(index); }
  /// The module at index as its type: layers.at<Linear>(0).weight.
  template <class M = Module>
  std::shared_ptr<M> at(size_t index) const {
    const auto all = children();
    NABLA_CHECK(index < all.size(), "ModuleList: index ", index, " is out of range (size ", all.size(), ")");
    auto typed = std::dynamic_pointer_cast<M>(all[index]);
    NABLA_CHECK(typed != nullptr, "ModuleList::at: module ", index, " is a ", all[index]->name());
    return typed;
  }
  auto begin() const { return ChildIterator{children(), 0}; }  ///< iteration over the modules (shared_ptr<Module>)
  auto end() const { return ChildIterator{{}, size()}; }       ///< past the last module

 private:
  struct ChildIterator {
    std::vector<std::shared_ptr<Module>> items;
    size_t index;
    std::shared_ptr<Module> operator*() const { return items[index]; }
    ChildIterator& operator++() {
      ++index;
      return *this;
    }
    bool operator!=(const ChildIterator& other) const { return index != other.index; }
  };
};

/// torch.nn.ModuleDict: submodules under string keys, in insertion order.
class ModuleDict : public Module {
 public:
  ModuleDict() = default;

  /// Adds (or replaces) the module under key.
  template <class M>
  void insert(const std::string& key, M module) {
    register_module(key, std::make_shared<M>(std::move(module)));
  }
  /// whether a module is under key
  bool contains(const std::string& key) const { return named_children().contains(key); }
  size_t size() const { return children().size(); }                          ///< the number of modules
  std::vector<std::string> keys() const { return named_children().keys(); }  ///< the keys, in insertion order
  /// the module under key (a nabla::Error when absent)
  std::shared_ptr<Module> operator[](const std::string& key) const { return at(key); }
  /// The module under key as its type: dict.at<Linear>("fc").weight; a nabla::Error when absent or of another type.
  template <class M = Module>
  std::shared_ptr<M> at(const std::string& key) const {
    const auto all = named_children();
    const auto* found = all.find(key);
    NABLA_CHECK(found != nullptr, "ModuleDict: no module under '", key, "'");
    auto typed = std::dynamic_pointer_cast<M>(*found);
    NABLA_CHECK(typed != nullptr, "ModuleDict::at: module '", key, "' is a ", (*found)->name());
    return typed;
  }
};

/// @}
}  // namespace nabla::nn
