// The thread's recorder and op nesting depth (core/trace.hpp).
#include "nabla/core/trace.hpp"

namespace nabla::trace {

namespace {
thread_local Recorder* current = nullptr;
thread_local int depth = 0;
}  // namespace

Session::Session(Recorder recorder) : previous_(current), recorder_(std::move(recorder)) { current = &recorder_; }
Session::~Session() { current = previous_; }

void Scope::begin(const char* op, const Tensor* inputs, size_t count) {
  recording_ = current != nullptr && depth == 0;
  ++depth;
  if (!recording_) return;
  op_ = op;
  inputs_.assign(inputs, inputs + count);
}

Scope::~Scope() {
  --depth;
  if (recording_ && !emitted_) (*current)(Event{op_, std::move(inputs_), {}, {}});
}

void Scope::emit(std::vector<Tensor> outputs) {
  emitted_ = true;
  --depth;  // the recorder may run ops of its own
  (*current)(Event{op_, inputs_, std::move(outputs), attributes_ ? attributes_() : Attributes{}});
  ++depth;
}

}  // namespace nabla::trace
