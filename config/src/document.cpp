// Turning the text into the one YAML document of a pipeline file.
//
// yaml-cpp 0.7 has a parser bug (jbeder/yaml-cpp#1040, fixed upstream after 0.8): on some
// malformed input, e.g. a stray ',' at the start of a document, it stops consuming the text
// and reports the same empty document forever, so YAML::LoadAll never returns and YAML::Load
// returns null ("empty file"). So documents are first walked with an event handler that
// builds nothing and stops when the parser makes no progress, then the first one is loaded.

#include <yaml-cpp/eventhandler.h>

#include <cctype>
#include <sstream>

#include "detail.hpp"

namespace zpipe::config::detail {
namespace {

// Deepest nesting of lists and maps accepted (a pipeline file needs 4 levels). yaml-cpp's own
// limit is 2000, reported as "bad file" at a vague place; this one names where it is passed.
constexpr int kMaxDepth = 64;

// Records where each document starts and whether it holds anything but a null; fails on
// nesting deeper than kMaxDepth.
class DocumentScanner : public YAML::EventHandler {
public:
  explicit DocumentScanner(const Context& ctx) : ctx_(ctx) {}
  struct Document {
    YAML::Mark start;
    bool empty = true;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override {
    documents.push_back({mark, true});
    depth_ = 0;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { content(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    content();
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    content();
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    content();
    enter(mark);
  }
  void OnMapEnd() override { --depth_; }

private:
  void enter(const YAML::Mark& mark) {
    if (++depth_ > kMaxDepth) {
      fail(ctx_, mark, "lists and maps nested more than " + std::to_string(kMaxDepth) +
                           " levels deep");
    }
  }
  void content() {
    if (!documents.empty()) documents.back().empty = false;
  }
  const Context& ctx_;
  int depth_ = 0;
};

[[noreturn]] void syntax_error(const Context& ctx, const YAML::Mark& mark, const std::string& text) {
  std::string what = "unexpected character";
  if (mark.pos >= 0 && static_cast<std::size_t>(mark.pos) < text.size()) {
    const char c = text[static_cast<std::size_t>(mark.pos)];
    if (std::isgraph(static_cast<unsigned char>(c))) what = std::string("unexpected '") + c + "'";
  }
  fail(ctx, mark, "YAML syntax error: " + what);
}

}  // namespace

YAML::Node load_document(const Context& ctx, const std::string& text) {
  if (text.size() > kMaxTextBytes) {
    // Point at the first byte past the limit.
    YAML::Mark mark;
    for (std::size_t i = 0; i < kMaxTextBytes; ++i) {
      if (text[i] == '\n') {
        ++mark.line;
        mark.column = 0;
      } else {
        ++mark.column;
      }
    }
    fail(ctx, mark, "file too large (" + std::to_string(text.size()) + " bytes; a pipeline file " +
                        "holds at most " + format_size(kMaxTextBytes) +
                        ": put long input lists in a 'lines:' file)");
  }
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentScanner scanner(ctx);
    while (parser.HandleNextDocument(scanner)) {
      const auto& docs = scanner.documents;
      if (docs.size() >= 2 && docs.back().start.pos <= docs[docs.size() - 2].start.pos)
        syntax_error(ctx, docs.back().start, text);  // the parser is stuck (see above)
      // Empty documents after the first (a trailing '---') are harmless.
      if (docs.size() >= 2 && !docs.back().empty)
        fail(ctx, docs.back().start, "more than one YAML document (a pipeline file holds one)");
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(ctx, e.mark, "YAML syntax error: " + e.msg);
  }
}

}  // namespace zpipe::config::detail
