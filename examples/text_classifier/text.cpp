#include "text_classifier/text.hpp"

#include <algorithm>
#include <sstream>

namespace text_classifier {

std::vector<Example> read_tsv(const std::string& path) {
  std::istringstream in(nabla::read_file(path, "read_tsv"));
  std::vector<Example> out;
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    const std::string where = path + ":" + std::to_string(number);
    if (tab == std::string::npos)
      throw nabla::Error(where + ": expected 'label<TAB>text', but the line has no tab: '" + line.substr(0, 60) + "'");
    if (tab == 0) throw nabla::Error(where + ": the label (before the tab) is empty");
    out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return out;
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char raw : text) {
    const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      current += c;
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

Vocabulary::Vocabulary(std::vector<std::string> words) : words_(std::move(words)) {
  for (size_t i = 0; i < words_.size(); ++i) ids_.emplace(words_[i], static_cast<int64_t>(i) + 2);
}

Vocabulary Vocabulary::build(const std::vector<std::vector<std::string>>& documents, int64_t max_size,
                             int64_t min_count) {
  if (max_size < 2) throw nabla::Error("Vocabulary: max_size must be at least 2 (pad and unknown), got " +
                                       std::to_string(max_size));
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& doc : documents)
    for (const auto& token : doc) ++counts[token];
  std::vector<std::pair<std::string, int64_t>> kept;
  for (auto& [token, count] : counts)
    if (count >= min_count) kept.emplace_back(token, count);
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (static_cast<int64_t>(kept.size()) > max_size - 2) kept.resize(max_size - 2);
  std::vector<std::string> words;
  for (auto& [token, count] : kept) words.push_back(std::move(token));
  return Vocabulary(std::move(words));
}

int64_t Vocabulary::id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? kUnknown : it->second;
}

std::vector<int64_t> Vocabulary::ids(const std::vector<std::string>& tokens) const {
  std::vector<int64_t> out;
  out.reserve(tokens.size());
  for (const auto& token : tokens) out.push_back(id(token));
  return out;
}

std::string Vocabulary::to_text() const {
  std::string out;
  for (const auto& w : words_) out += w + '\n';
  return out;
}

Vocabulary Vocabulary::from_text(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; std::getline(in, w);) {
    if (w.empty() || tokenize(w) != std::vector<std::string>{w})
      throw nabla::Error("Vocabulary: line " + std::to_string(words.size() + 1) + " ('" + w +
                         "') is not a token; the vocabulary in this checkpoint is corrupt");
    words.push_back(std::move(w));
  }
  return Vocabulary(std::move(words));
}

nabla::Tensor pad_batch(const std::vector<const std::vector<int64_t>*>& documents, int64_t max_len) {
  int64_t longest = 1;
  for (const auto* doc : documents) longest = std::max<int64_t>(longest, doc->size());
  // Rounded up to a multiple of 16: the extra columns are padding (masked, so the result is the
  // same) and the conv primitives are built for at most max_len / 16 lengths instead of max_len.
  const int64_t length = std::min(max_len, (longest + 15) / 16 * 16);
  const int64_t n = static_cast<int64_t>(documents.size());
  std::vector<int64_t> ids(n * length, Vocabulary::kPad);
  for (int64_t i = 0; i < n; ++i) {
    const auto& doc = *documents[i];
    std::copy_n(doc.begin(), std::min<int64_t>(length, doc.size()), ids.begin() + i * length);
  }
  return nabla::from_vector(ids, {n, length});
}

}  // namespace text_classifier
