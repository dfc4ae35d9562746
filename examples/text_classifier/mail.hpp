#pragma once
// A raw RFC 822 mail as the text the classifier reads: the decoded Subject, " . ", then every
// text/plain part and every text/html part with its tags stripped, transfer encodings and charsets
// decoded to UTF-8 (GMime parses the MIME structure). Every other header is dropped: list headers
// and SpamAssassin's markers would give the label away. The rules are those of the reference
// preparation (../shared/reference/spam_to_tsv.py), so the md5 split matches it.
#include <string>
#include <string_view>

namespace text_classifier {

// Subject + " . " + body, whitespace collapsed, not yet cut.
std::string mail_text(std::string_view raw);

// Python's re.sub(r"\s+", " ", text).strip() on UTF-8 text (Unicode whitespace included).
std::string collapse_whitespace(std::string_view utf8);

// The first `max_chars` Unicode code points of UTF-8 text.
std::string cut_chars(std::string_view utf8, size_t max_chars);

// HTML to text: <script>/<style> elements and every tag become a space, then entities are decoded
// (numeric ones and the common named ones).
std::string strip_html(std::string_view html);

}  // namespace text_classifier
