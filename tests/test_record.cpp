// The sink's JSON record: exact fields, escaping, and faithful bytes that are not UTF-8.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "zpipe/sink/record.hpp"

namespace zpipe::sink {
namespace {

std::string json_string(std::string_view bytes) {
  std::string out;
  append_json_string(out, bytes);
  return out;
}

TEST(Record, FieldsInOrderWithTypes) {
  core::TaskResult r;
  r.id = 7;
  r.input = "7";
  r.status = core::TaskStatus::ok;
  r.exit_code = 0;
  r.attempts = 1;
  r.output = "49\n";
  r.duration_us = 1500;
  std::string line;
  append_record(line, r, "host:1#2");
  EXPECT_EQ(line,
            R"({"id":7,"input":"7","status":"ok","exit_code":0,"attempts":1,"worker":"host:1#2","output":"49\n",)"
            R"("stderr":"","ms":1.5})");
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ms"], 1.5);
}

TEST(Record, NullExitCodeTruncatedAndTimeout) {
  core::TaskResult r;
  r.id = 3;
  r.status = core::TaskStatus::timeout;
  r.truncated = true;
  r.duration_us = 2000;
  r.attempts = 2;
  std::string line;
  append_record(line, r, "w");
  const auto j = nlohmann::json::parse(line);
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_EQ(j["status"], "timeout");
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["ms"], 2);
  EXPECT_EQ(line.find("\"ms\":2,"), line.find("\"ms\":"));
}

TEST(Record, MillisecondsKeepMicroseconds) {
  for (const auto& [us, text] : std::vector<std::pair<std::uint64_t, std::string>>{
           {0, "0"}, {1, "0.001"}, {10, "0.01"}, {999, "0.999"}, {1000, "1"}, {123456, "123.456"}}) {
    core::TaskResult r;
    r.id = 1;
    r.duration_us = us;
    std::string line;
    append_record(line, r, "w");
    EXPECT_NE(line.find("\"ms\":" + text + "}"), std::string::npos) << line;
  }
}

TEST(Record, EscapesControlCharactersQuotesAndBackslashes) {
  EXPECT_EQ(json_string(std::string("a\"b\\c\n\r\t\b\f\x01\x1f", 12)), R"("a\"b\\c\n\r\t\b\f\u0001\u001f")");
  EXPECT_EQ(json_string(std::string("nul\0byte", 8)), R"("nul\u0000byte")");
  EXPECT_EQ(nlohmann::json::parse(json_string(std::string("nul\0byte", 8))).get<std::string>(),
            std::string("nul\0byte", 8));
}

TEST(Record, ValidUtf8PassesThrough) {
  const std::string text = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";  // é € 😀
  EXPECT_EQ(json_string(text), "\"" + text + "\"");
  EXPECT_EQ(nlohmann::json::parse(json_string(text)).get<std::string>(), text);
}

TEST(Record, InvalidBytesBecomeSurrogateEscapes) {
  EXPECT_EQ(json_string("a\xff" "b"), R"("a\udcffb")");
  EXPECT_EQ(json_string("\xc3"), R"("\udcc3")");                    // truncated sequence
  EXPECT_EQ(json_string("\xc0\xaf"), R"("\udcc0\udcaf")");          // overlong '/'
  EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\udced\udca0\udc80")");  // encoded surrogate
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), R"("\udcf4\udc90\udc80\udc80")");  // above U+10FFFF
  EXPECT_EQ(json_string("\x80\xc3\xa9"), "\"\\udc80\xc3\xa9\"");  // a stray byte, then é
}

// The escaper scans eight bytes at a time; every byte value, at every offset within and
// across those words, must come out as it does on its own (which the bytewise tail handles).
TEST(Record, EveryByteIsFoundAtEveryOffset) {
  for (int b = 0; b < 256; ++b) {
    const std::string alone = json_string(std::string(1, static_cast<char>(b)));
    const std::string escaped = alone.substr(1, alone.size() - 2);
    for (std::size_t pos = 0; pos < 20; ++pos) {
      std::string text(20, 'a');
      text[pos] = static_cast<char>(b);
      const std::string expected = "\"" + text.substr(0, pos) + escaped + text.substr(pos + 1) + "\"";
      ASSERT_EQ(json_string(text), expected) << "byte " << b << " at offset " << pos;
    }
  }
}

// A spilled output reaches the record in pieces (1 MiB reads, after the bytes in memory):
// a UTF-8 sequence cut between two pieces must come out as it does from one whole string.
TEST(Record, PiecesGiveTheSameStringAsTheWhole) {
  const std::string text = std::string("a\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9") + "\xe2\x82" + "x\xff\xc3" + "\"\n" +
                           "\xf0\x9f\x98";  // valid sequences, cut ones, a stray byte, one cut at the very end
  for (std::size_t size = 1; size <= text.size(); ++size) {
    std::string pieces;
    JsonStringPieces json(pieces);
    for (std::size_t at = 0; at < text.size(); at += size) json.append(std::string_view(text).substr(at, size));
    json.finish();
    EXPECT_EQ(pieces, json_string(text)) << "pieces of " << size;
  }
}

}  // namespace
}  // namespace zpipe::sink
