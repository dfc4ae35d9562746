#pragma once
/// @file
/// nn::ModuleList and nn::ModuleDict: modules held in a list or under names, registered as children so that
/// their parameters, buffers, train()/eval() and state_dict keys ("layers.0.weight", "heads.cls.bias") are the
/// parent's, as in PyTorch. They have no forward: the parent decides how to call them.
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::nn {

class ModuleList : public Module {
 public:
  ModuleList() = default;
  template <class... Modules>
  requires(sizeof...(Modules) > 0) explicit ModuleList(Modules... modules) { (push_back(std::move(modules)), ...); }

  template <class M>
  void push_back(M module) {
    register_module(std::to_string(size()), std::make_shared<M>(std::move(module)));
  }
  size_t size() const { return children().size(); }
  bool empty() const { return size() == 0; }
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
  auto begin() const { return ChildIterator{children(), 0}; }
  auto end() const { return ChildIterator{{}, size()}; }

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

class ModuleDict : public Module {
 public:
  ModuleDict() = default;

  /// Adds (or replaces) the module under key.
  template <class M>
  void insert(const std::string& key, M module) {
    register_module(key, std::make_shared<M>(std::move(module)));
  }
  bool contains(const std::string& key) const { return named_children().contains(key); }
  size_t size() const { return children().size(); }
  std::vector<std::string> keys() const { return named_children().keys(); }
  std::shared_ptr<Module> operator[](const std::string& key) const { return at(key); }
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

}  // namespace nabla::nn
