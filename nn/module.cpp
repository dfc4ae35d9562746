#include "nabla/nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include <ostream>
#include <sstream>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"

namespace nabla::nn {

struct Module::Registry {
  StateDict parameters;
  StateDict buffers;
  OrderedDict<std::shared_ptr<Module>> children;
  bool training = true;
  std::shared_ptr<quantization::LayerQuantization> quantization;
};

std::shared_ptr<quantization::LayerQuantization>& Module::quantization_state() const { return registry_->quantization; }

Module::Module() : registry_(std::make_shared<Registry>()) {}

namespace {
void check_name(const std::string& name, const char* what) {
  NABLA_CHECK(!name.empty() && name.find('.') == std::string::npos, "register_", what, ": name '", name,
              "' must be non-empty and contain no '.'");
}
}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_name(name, "parameter");
  if (!tensor.defined()) return tensor;
  tensor.requires_grad_(requires_grad);
  registry_->parameters.set(name, tensor);
  return tensor;
}

void Module::register_uninitialized_parameter(const std::string& name) {
  check_name(name, "parameter");
  registry_->parameters.set(name, Tensor());
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_name(name, "buffer");
  if (tensor.defined()) registry_->buffers.set(name, tensor);
  return tensor;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> child) {
  check_name(name, "module");
  NABLA_CHECK(child != nullptr, "register_module: module '", name, "' is null");
  registry_->children.set(name, std::move(child));
}

void Module::collect(const std::string& prefix, bool recurse, bool buffers, StateDict& out) const {
  for (const auto& [name, tensor] : buffers ? registry_->buffers : registry_->parameters)
    out.insert(prefix + name, tensor);
  if (!recurse) return;
  for (const auto& [name, child] : registry_->children) child->collect(prefix + name + ".", true, buffers, out);
}

StateDict Module::named_parameters(bool recurse) const {
  StateDict out;
  collect("", recurse, false, out);
  return out;
}

StateDict Module::named_buffers(bool recurse) const {
  StateDict out;
  collect("", recurse, true, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const { return named_parameters(recurse).values(); }
std::vector<std::shared_ptr<Module>> Module::children() const { return registry_->children.values(); }
OrderedDict<std::shared_ptr<Module>> Module::named_children() const { return registry_->children; }

OrderedDict<Module*> Module::named_modules(const std::string& prefix, bool include_self) {
  OrderedDict<Module*> out;
  if (include_self) out.insert(prefix, this);
  for (const auto& [name, child] : registry_->children)
    for (auto& [key, module] : child->named_modules(prefix.empty() ? name : prefix + "." + name))
      out.insert(key, module);
  return out;
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t count = 0;
  for (const Tensor& p : parameters())
    if (p.defined() && (!trainable_only || p.requires_grad())) count += p.numel();
  return count;
}

Module& Module::requires_grad_(bool requires_grad) {
  for (Tensor& p : parameters())
    if (p.defined()) p.requires_grad_(requires_grad);
  return *this;
}

void Module::train(bool on) {
  registry_->training = on;
  for (auto& child : children()) child->train(on);
}

bool Module::is_training() const { return registry_->training; }

void Module::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (auto& p : parameters()) {
    if (!p.defined() || !p.grad().defined()) continue;
    if (set_to_none) p.set_grad({});
    else p.grad().zero_();
  }
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& child : children()) child->apply(fn);
  fn(*this);
}

StateDict Module::state_dict() const {
  // PyTorch's order: each module's parameters, then its buffers, then its children's.
  StateDict out;
  for (const auto& [name, tensor] : registry_->parameters)
    out.insert(name, tensor.defined() ? tensor.detach() : tensor);
  for (const auto& [name, tensor] : registry_->buffers) out.insert(name, tensor.detach());
  for (const auto& [name, child] : registry_->children)
    for (const auto& [key, tensor] : child->state_dict()) out.insert(name + "." + key, tensor);
  return out;
}

void Module::materialize_lazy(const StateDict& dict, const std::string& prefix) {
  const auto& params = registry_->parameters;
  if (std::any_of(params.begin(), params.end(), [](const auto& item) { return !item.second.defined(); })) {
    StateDict own;
    for (const auto* table : {&registry_->parameters, &registry_->buffers})
      for (const auto& [name, tensor] : *table)
        if (const Tensor* loaded = dict.find(prefix + name)) own.insert(name, *loaded);
    materialize_from(own);
  }
  for (const auto& [name, child] : registry_->children) child->materialize_lazy(dict, prefix + name + ".");
}

void Module::load_state_dict(const StateDict& dict, bool strict) {
  materialize_lazy(dict, "");
  const StateDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [key, tensor] : own) {
    const Tensor* loaded = dict.find(key);
    if (!loaded) missing.push_back(key);
    else if (tensor.defined() && loaded->shape() != tensor.shape())
      mismatched.push_back("size mismatch for " + key + ": copying a param with shape " + shape_str(loaded->shape()) +
                           " from checkpoint, the shape in current model is " + shape_str(tensor.shape()) + ".");
  }
  for (const auto& [key, tensor] : dict)
    if (!own.contains(key)) unexpected.push_back(key);
  const auto quoted = [](const std::vector<std::string>& keys) {
    std::string s;
    for (const auto& k : keys) s += (s.empty() ? "\"" : ", \"") + k + "\"";
    return s + ".";
  };
  std::string errors;
  if (strict && !missing.empty()) errors += "\n\tMissing key(s) in state_dict: " + quoted(missing);
  if (strict && !unexpected.empty()) errors += "\n\tUnexpected key(s) in state_dict: " + quoted(unexpected);
  for (const auto& m : mismatched) errors += "\n\t" + m;
  NABLA_CHECK(errors.empty(), "Error(s) in loading state_dict for ", name(), ":", errors);
  NoGradGuard no_grad;
  for (const auto& [key, tensor] : own)
    if (const Tensor* loaded = dict.find(key); loaded && tensor.defined()) Tensor(tensor).copy_(*loaded);
}

std::string Module::name() const {
  int status = 0;
  const char* mangled = typeid(*this).name();
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  std::string full = status == 0 ? demangled.get() : mangled;
  full = full.substr(0, full.find('<'));
  return full.substr(full.rfind("::") == std::string::npos ? 0 : full.rfind("::") + 2);
}

std::string to_string(const Module& module) {
  // torch.nn.Module.__repr__: one line when there are no children, else one line per child.
  std::vector<std::string> lines;
  std::istringstream extra(module.extra_repr());
  for (std::string line; std::getline(extra, line);) lines.push_back(line);
  const size_t extra_lines = lines.size();
  for (const auto& [name, child] : module.named_children()) {
    std::string text = to_string(*child);
    for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 3)) text.insert(at + 1, "  ");
    lines.push_back("(" + name + "): " + text);
  }
  std::string s = module.name() + "(";
  if (extra_lines == 1 && lines.size() == 1) {
    s += lines[0];
  } else if (!lines.empty()) {
    for (const auto& line : lines) s += "\n  " + line;
    s += "\n";
  }
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << to_string(module); }

}  // namespace nabla::nn
