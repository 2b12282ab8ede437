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

// Records where each document starts and whether it holds anything but a null.
class DocumentScanner : public YAML::EventHandler {
public:
  struct Document {
    YAML::Mark start;
    bool empty = true;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, true}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { content(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    content();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    content();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    content();
  }
  void OnMapEnd() override {}

private:
  void content() {
    if (!documents.empty()) documents.back().empty = false;
  }
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
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentScanner scanner;
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
