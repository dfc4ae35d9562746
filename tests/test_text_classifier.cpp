// The text classifier example's parts: mail decoding (against the reference preparation's output
// for the committed sample mails), tokenizer, vocabulary, TSV errors, the md5 split, and a short
// training run of the model.
#include "helpers.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "text_classifier/corpus.hpp"
#include "text_classifier/mail.hpp"
#include "text_classifier/model.hpp"
#include "text_classifier/text.hpp"

using namespace nabla;
using namespace text_classifier;
namespace F = nabla::nn::functional;

namespace {

std::string sample_mail(const std::string& name) {
  std::ifstream in(std::string(NABLA_FIXTURES) + "/text/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing sample mail " << name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string write_temp(const std::string& name, const std::string& content) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace

// The expected texts are what ../shared/reference/spam_to_tsv.py (Python's email package) makes of
// the same files, so the md5 split agrees.
TEST_CASE("mails decode as the reference preparation decodes them") {
  CHECK(mail_text(sample_mail("base64.eml")) == "Base64 body . Café au lait, naïve résumé. Second line.");
  CHECK(mail_text(sample_mail("quoted_printable.eml")) ==
        "Grüße aus Köln . Schöne Grüße, this line is long enough that it gets a soft line break in the middle. "
        "Price: 10\u0080 = ten");
  CHECK(mail_text(sample_mail("html.eml")) == "Cheap offer . Plain part. Buy now & save $5 €— today");
  CHECK(mail_text(sample_mail("koi8r.eml")) == "Привет . Добрый день, мир.");
  CHECK(mail_text(sample_mail("raw8bit_subject.eml")) == "Caf\uFFFD menu . No charset given: £100 is latin-1.");
}

TEST_CASE("HTML tags, scripts and entities as the reference strips them; whitespace and the character cut") {
  // Expected values: html.unescape(re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", s, flags=re.S | re.I)).
  CHECK(strip_html("<p>a<br/>b</p><SCRIPT type=x>var a = '<b>';</script>c &lt;d&gt; &#8364;&#x41;&copy") ==
        " a b  c <d> €A©");
  CHECK(strip_html("1 < 2 and <> stays") == "1   stays");
  CHECK(strip_html("a <b no close") == "a <b no close");
  CHECK(strip_html("<style>x</STYLE>y") == " y");
  CHECK(collapse_whitespace("  a\u00a0\t b \u3000c\n") == "a b c");
  CHECK(cut_chars("héllo", 2) == "hé");
}

TEST_CASE("the tokenizer lower-cases ASCII and keeps runs of [a-z0-9]") {
  CHECK(tokenize("Hello, World! It's 2024 -- CAFÉ_x9") ==
        std::vector<std::string>{"hello", "world", "it", "s", "2024", "caf", "x9"});
  CHECK(tokenize("").empty());
}

TEST_CASE("the vocabulary keeps frequent tokens, ties by token, and round-trips through text") {
  const std::vector<std::vector<std::string>> docs = {{"b", "a", "c", "once"}, {"a", "b", "c", "c"}, {"d", "d"}};
  const Vocabulary full = Vocabulary::build(docs, 100);
  CHECK(full.words() == std::vector<std::string>{"c", "a", "b", "d"});  // c×3, then a, b, d (×2) by token
  CHECK(full.id("c") == 2);
  CHECK(full.id("once") == Vocabulary::kUnknown);  // seen once: below min_count 2
  const Vocabulary small = Vocabulary::build(docs, 4);
  CHECK(small.words() == std::vector<std::string>{"c", "a"});
  CHECK(small.size() == 4);
  const Vocabulary back = Vocabulary::from_text(full.to_text());
  CHECK(back.words() == full.words());
  CHECK(back.ids({"d", "zzz"}) == std::vector<int64_t>{5, 1});
  CHECK_THROWS_WITH_AS(Vocabulary::from_text("ok\nnot a token\n"),
                       doctest::Contains("line 2 ('not a token') is not a token"), Error);
}

TEST_CASE("batches are padded with 0 to their longest text rounded up to 16, cut at the sequence length") {
  const std::vector<int64_t> a{5, 6, 7}, b{8};
  const Tensor batch = pad_batch({&a, &b}, 100);
  REQUIRE(batch.shape() == Shape{2, 16});
  CHECK(batch.narrow(1, 0, 4).to_vector<int64_t>() == std::vector<int64_t>{5, 6, 7, 0, 8, 0, 0, 0});
  CHECK(batch.narrow(1, 3, 13).sum().item<int64_t>() == 0);
  CHECK(pad_batch({&a, &b}, 10).shape() == Shape{2, 10});
  CHECK(pad_batch({&a, &b}, 2).to_vector<int64_t>() == std::vector<int64_t>{5, 6, 8, 0});
}

TEST_CASE("malformed TSV lines name the file and line") {
  const std::string good = write_temp("nabla_good.tsv", "spam\tbuy now\n\nham\thello\r\n");
  const auto examples = read_tsv(good);
  REQUIRE(examples.size() == 2);
  CHECK(examples[1].label == "ham");
  CHECK(examples[1].text == "hello");
  const std::string no_tab = write_temp("nabla_no_tab.tsv", "spam\tok\nthis line has no tab\n");
  CHECK_THROWS_WITH_AS(read_tsv(no_tab), doctest::Contains((no_tab + ":2: expected 'label<TAB>text'").c_str()), Error);
  const std::string no_label = write_temp("nabla_no_label.tsv", "\ttext without a label\n");
  CHECK_THROWS_WITH_AS(read_tsv(no_label),
                       doctest::Contains((no_label + ":1: the label (before the tab) is empty").c_str()), Error);
  CHECK_THROWS_WITH_AS(read_tsv("/nonexistent/x.tsv"), doctest::Contains("cannot open '/nonexistent/x.tsv'"), Error);
}

TEST_CASE("the split is the reference's md5 rule") {
  // int(md5(text).hexdigest()[:8], 16) % 100 < 20, computed in Python for these strings.
  CHECK_FALSE(in_test_split("hello"));  // 5d41402a: 54
  CHECK_FALSE(in_test_split("spam . buy now"));  // 79d7f5b8: 80
  CHECK(in_test_split("x"));  // 9dd4e461: 9
  CHECK(in_test_split("z"));  // fbade9e3: 19, the edge
}

TEST_CASE("the text CNN learns a small three-class problem") {
  manual_seed(0);
  const std::vector<std::string> texts = {"cheap pills buy now", "meeting agenda notes", "election minister court",
                                          "buy cheap prize", "project notes review", "court report minister"};
  const std::vector<int64_t> labels = {0, 1, 2, 0, 1, 2};
  std::vector<std::vector<std::string>> tokens;
  for (const auto& t : texts) tokens.push_back(tokenize(t));
  const Vocabulary vocab = Vocabulary::build(tokens, 100, 1);
  std::vector<std::vector<int64_t>> ids;
  std::vector<const std::vector<int64_t>*> rows;
  for (const auto& t : tokens) ids.push_back(vocab.ids(t));
  for (const auto& i : ids) rows.push_back(&i);
  TextCNN model({.vocab_size = vocab.size(), .embedding_dim = 8, .filters = 8, .kernel_sizes = {2, 3}, .classes = 3});
  CHECK(model.state_dict().keys() == std::vector<std::string>{"embedding.weight", "conv_k2.weight", "conv_k2.bias",
                                                              "conv_k3.weight", "conv_k3.bias", "fc.weight",
                                                              "fc.bias"});
  optim::Adam adam(model.parameters(), {.lr = 0.05});
  const Tensor x = pad_batch(rows, 16), y = from_vector(labels, {6});
  const float first = F::cross_entropy(model(x), y).item<float>();
  for (int step = 0; step < 40; ++step) {
    adam.zero_grad();
    F::cross_entropy(model(x), y).backward();
    adam.step();
  }
  model.eval();
  CHECK(F::cross_entropy(model(x), y).item<float>() < first / 10);
  CHECK(model(x).argmax(1).to_vector<int64_t>() == labels);
  const std::vector<int64_t> empty;  // an empty text pools to zeros instead of -inf
  for (float v : model(pad_batch({&empty}, 16)).to_vector<float>()) CHECK(std::isfinite(v));
}

TEST_CASE("a TSV file: every truncation and flip reads, or is refused naming the file and line") {
  const std::string path = nabla::test::temp_path("train.tsv");
  const std::string good = "spam\tbuy cheap pills now\nham\tsee you at lunch\r\n\nham\tthe report is attached\n";
  const auto check = [&](const std::string& bytes) {
    nabla::test::write_bytes(path, bytes);
    try {
      text_classifier::read_tsv(path);
    } catch (const nabla::Error& e) {
      CHECK(std::string(e.what()).find(path + ":") != std::string::npos);
    }
  };
  for (size_t n = 0; n < good.size(); ++n) check(good.substr(0, n));
  for (size_t i = 0; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(~flipped[i]);
    check(flipped);
  }
  std::filesystem::remove(path);
}
