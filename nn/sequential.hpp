#pragma once
// nn::Sequential: modules applied in order, registered as children "0", "1", ...
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "nabla/nn/module.hpp"

namespace nabla::nn {

class Sequential : public Layer<Sequential> {
 public:
  Sequential() = default;
  template <class... Modules>
    requires(sizeof...(Modules) > 0 && !(sizeof...(Modules) == 1 && (std::is_base_of_v<Sequential, Modules> && ...)))
  explicit Sequential(Modules... modules) {
    (push_back(std::move(modules)), ...);
  }

  // Appends a module with a forward(const Tensor&) -> Tensor.
  template <class M>
  void push_back(M module) {
    auto child = std::make_shared<M>(std::move(module));
    register_module(std::to_string(steps_->size()), std::shared_ptr<M>(child));
    steps_->push_back([child](const Tensor& x) { return child->forward(x); });
  }

  Tensor forward(const Tensor& input);
  size_t size() const { return steps_->size(); }
  // The i-th module, as its type: seq.at<Linear>(0).weight.
  template <class M>
  M& at(size_t index) {
    auto typed = std::dynamic_pointer_cast<M>(children().at(index));
    if (!typed) throw Error("Sequential::at: module " + std::to_string(index) + " is a " + children().at(index)->name());
    return *typed;
  }

 private:
  // Shared between copies, like the registry.
  std::shared_ptr<std::vector<std::function<Tensor(const Tensor&)>>> steps_ =
      std::make_shared<std::vector<std::function<Tensor(const Tensor&)>>>();
};

}  // namespace nabla::nn
