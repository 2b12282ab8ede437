// The message examples of docs/protocol.md are what the C++ codec reads and writes: each
// ```wire block decodes as the message it names and encodes back to the same bytes, and
// every message type has one. The doc cannot drift from core/src/protocol.cpp.
#include <gtest/gtest.h>

#include <set>

#include "doc_support.hpp"
#include "zpipe/core/protocol.hpp"

namespace zpipe {
namespace {

struct Example {
  std::string name;    // the message name the block starts with
  std::string header;  // 2 bytes
  std::string body;
};

// A block: "NAME: header VV TT", then one line per field, hex pairs first.
std::vector<Example> doc_examples() {
  std::vector<Example> examples;
  for (const auto& block : test::fenced_blocks(test::lines_of(test::doc_text("protocol.md")))) {
    if (block.info != "wire" || block.lines.empty()) continue;
    const std::string& first = block.lines[0];
    const std::size_t colon = first.find(": header ");
    EXPECT_NE(colon, std::string::npos) << first;
    if (colon == std::string::npos) continue;
    Example e{first.substr(0, colon), test::hex_prefix(first.substr(colon + 9)), {}};
    for (std::size_t i = 1; i < block.lines.size(); ++i) e.body += test::hex_prefix(block.lines[i]);
    examples.push_back(std::move(e));
  }
  return examples;
}

TEST(ProtocolDoc, EveryExampleDecodesAsItsMessageAndEncodesBackToTheSameBytes) {
  const auto examples = doc_examples();
  std::set<std::string> seen;
  for (const Example& e : examples) {
    SCOPED_TRACE(e.name);
    ASSERT_EQ(e.header.size(), 2u);
    const core::Decoded d = core::decode(e.header, e.body);
    ASSERT_TRUE(d.message.has_value()) << d.error;
    EXPECT_STREQ(core::to_string(static_cast<core::MsgType>(static_cast<std::uint8_t>(e.header[1]))),
                 e.name.c_str());
    const core::Encoded again = core::encode(*d.message);
    EXPECT_EQ(test::to_hex(std::string(reinterpret_cast<const char*>(again.header), 2)), test::to_hex(e.header));
    EXPECT_EQ(test::to_hex(again.body), test::to_hex(e.body));
    seen.insert(e.name);
  }
  for (const char* name : {"hello", "credit", "heartbeat", "ack", "have", "bye", "welcome", "refuse", "tasks",
                           "done", "total", "halt", "results", "arg_tasks", "arg_results"}) {
    EXPECT_TRUE(seen.count(name)) << "docs/protocol.md has no example of " << name;
  }
}

// A few fields spelled out, so a reader can trust the annotations as well as the bytes.
TEST(ProtocolDoc, AnnotatedValuesAreTheDecodedOnes) {
  for (const Example& e : doc_examples()) {
    const core::Decoded d = core::decode(e.header, e.body);
    ASSERT_TRUE(d.message.has_value());
    if (const auto* hello = std::get_if<core::Hello>(&*d.message)) {
      EXPECT_EQ(hello->role, core::Role::worker);
      EXPECT_EQ(hello->fingerprint, 0x3923308afd5b513cull);  // docs/fingerprint.md, vector 1
      EXPECT_EQ(hello->credit, 2u);
      EXPECT_EQ(hello->name, "w1");
    } else if (const auto* results = std::get_if<core::Results>(&*d.message); results && !results->items[0].args.empty()) {
      EXPECT_EQ(results->items[0].args, (std::vector<std::string>{"a", "b c"}));
      EXPECT_EQ(results->items[0].input, "a b c");
      EXPECT_EQ(results->items[0].output, "b c|a\n");
    } else if (const auto* tasks = std::get_if<core::Tasks>(&*d.message); tasks && !tasks->items[0].args.empty()) {
      ASSERT_EQ(tasks->items.size(), 1u);
      EXPECT_EQ(tasks->items[0].input, "a b c");
    } else if (const auto* results = std::get_if<core::Results>(&*d.message)) {
      ASSERT_EQ(results->items.size(), 2u);
      EXPECT_EQ(results->items[0].exit_code, 0);
      EXPECT_EQ(results->items[0].output, "A B\n");
      EXPECT_FALSE(results->items[1].exit_code.has_value());
      EXPECT_TRUE(results->items[1].truncated);
      EXPECT_EQ(results->items[1].status, core::TaskStatus::timeout);
    } else if (const auto* tasks = std::get_if<core::Tasks>(&*d.message)) {
      ASSERT_EQ(tasks->items.size(), 2u);
      EXPECT_EQ(tasks->items[1].attempt, 2u);
    }
  }
}

}  // namespace
}  // namespace zpipe
