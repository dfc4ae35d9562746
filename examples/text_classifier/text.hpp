#pragma once
// Labelled text in, token ids out: the TSV reader, the tokenizer and the vocabulary, with the
// reference's rules (../shared/reference/text_reference.py).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nabla/nabla.hpp>

namespace text_classifier {

struct Example {
  std::string label;
  std::string text;
};

// `label<TAB>text` lines. A line without a tab or with an empty label is an error naming the file
// and line; empty lines are skipped.
std::vector<Example> read_tsv(const std::string& path);

// Lower-cased ASCII, tokens = maximal runs of [a-z0-9]; every other byte separates.
std::vector<std::string> tokenize(std::string_view text);

class Vocabulary {
 public:
  static constexpr int64_t kPad = 0;
  static constexpr int64_t kUnknown = 1;

  Vocabulary() = default;
  // The max_size - 2 most frequent tokens seen at least min_count times, ties by token.
  static Vocabulary build(const std::vector<std::vector<std::string>>& documents, int64_t max_size = 20000,
                          int64_t min_count = 2);

  int64_t id(const std::string& token) const;
  std::vector<int64_t> ids(const std::vector<std::string>& tokens) const;
  int64_t size() const { return static_cast<int64_t>(words_.size()) + 2; }
  const std::vector<std::string>& words() const { return words_; }  // ids 2, 3, ...

  // One word per line, for a checkpoint's metadata; from_text(to_text()) is the same vocabulary.
  std::string to_text() const;
  static Vocabulary from_text(const std::string& text);

 private:
  explicit Vocabulary(std::vector<std::string> words);
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> ids_;
};

// The first max_len token ids of each document, right-padded with 0 to the longest row rounded up
// to a multiple of 16 (at most max_len): a (documents, length) int64 tensor. Trimming changes
// nothing (padding is masked out) and saves the work on all-padding columns, as the reference does.
nabla::Tensor pad_batch(const std::vector<const std::vector<int64_t>*>& documents, int64_t max_len);

}  // namespace text_classifier
