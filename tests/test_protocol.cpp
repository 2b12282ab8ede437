// Wire protocol: every message round-trips, and every malformed body is rejected with a reason.
#include <gtest/gtest.h>

#include "zpipe/core/bytes.hpp"
#include "zpipe/core/protocol.hpp"

namespace zpipe::core {
namespace {

std::string header_of(const Encoded& e) { return std::string(reinterpret_cast<const char*>(e.header), 2); }

Message round_trip(const Message& m) {
  const Encoded e = encode(m);
  Decoded d = decode(header_of(e), e.body);
  EXPECT_TRUE(d.message.has_value()) << (d.error ? d.error : "");
  return d.message ? *d.message : Message{Heartbeat{}};
}

TEST(Protocol, HelloRoundTrips) {
  const Hello h{Role::sink, 0x1122334455667788ull, 7, "host:42"};
  const auto out = std::get<Hello>(round_trip(h));
  EXPECT_EQ(out.role, Role::sink);
  EXPECT_EQ(out.fingerprint, h.fingerprint);
  EXPECT_EQ(out.credit, 7u);
  EXPECT_EQ(out.name, "host:42");
}

TEST(Protocol, ArgumentListTasksTravelAsArgTasksAndComeBackJoined) {
  Tasks t;
  t.items.push_back({4, 2, "", {"a b", std::string("nul\0", 4), ""}});
  t.items.push_back({5, 1, "alone"});  // one input in an argument-list message: one argument
  EXPECT_EQ(encode(Message{t}).header[1], static_cast<std::uint8_t>(MsgType::arg_tasks));
  const auto out = std::get<Tasks>(round_trip(t));
  ASSERT_EQ(out.items.size(), 2u);
  EXPECT_EQ(out.items[0].attempt, 2u);
  EXPECT_EQ(out.items[0].args, (std::vector<std::string>{"a b", std::string("nul\0", 4), ""}));
  EXPECT_EQ(out.items[0].input, std::string("a b nul\0 ", 9)) << "the input is the arguments joined by spaces";
  EXPECT_EQ(out.items[1].args, std::vector<std::string>{"alone"});
  EXPECT_EQ(out.items[1].input, "alone");
}

TEST(Protocol, OneInputTasksAndResultsKeepTheirVersionOneTypes) {
  EXPECT_EQ(encode(Message{Tasks{{{1, 1, "x"}}}}).header[1], static_cast<std::uint8_t>(MsgType::tasks));
  Results r;
  r.items.push_back(TaskResult{});
  r.items[0].id = 1;
  EXPECT_EQ(encode(Message{r}).header[1], static_cast<std::uint8_t>(MsgType::results));
}

TEST(Protocol, ArgumentListResultsRoundTrip) {
  Results r;
  r.worker = "w";
  TaskResult item;
  item.id = 9;
  item.attempts = 1;
  item.exit_code = 0;
  item.args = {"x", "y z"};
  item.output = "out";
  r.items.push_back(item);
  EXPECT_EQ(encode(Message{r}).header[1], static_cast<std::uint8_t>(MsgType::arg_results));
  const auto out = std::get<Results>(round_trip(r));
  ASSERT_EQ(out.items.size(), 1u);
  EXPECT_EQ(out.items[0].args, item.args);
  EXPECT_EQ(out.items[0].input, "x y z");
  EXPECT_EQ(out.items[0].output, "out");
}

TEST(Protocol, RejectsAnEmptyOrOverlongArgumentList) {
  const std::uint8_t header[2] = {kProtocolVersion, static_cast<std::uint8_t>(MsgType::arg_tasks)};
  const std::string_view head(reinterpret_cast<const char*>(header), 2);
  // n 1 task, id 1, attempt 1, argc 0.
  const std::string empty("\x01\0\0\0" "\x01\0\0\0\0\0\0\0" "\x01\0\0\0" "\0\0\0\0", 20);
  EXPECT_STREQ(decode(head, empty).error, "empty argument list");
  // argc 1000 with no bytes for them.
  const std::string overlong("\x01\0\0\0" "\x01\0\0\0\0\0\0\0" "\x01\0\0\0" "\xe8\x03\0\0", 20);
  EXPECT_STREQ(decode(head, overlong).error, "count exceeds body");
  // No tasks at all: that is a `tasks` message (one encoding per message).
  EXPECT_STREQ(decode(head, std::string("\0\0\0\0", 4)).error, "arg_tasks without tasks");
}

TEST(Protocol, TasksRoundTripWithBinaryInput) {
  Tasks t;
  t.items.push_back({1, 1, "plain"});
  t.items.push_back({2, 3, std::string("nul\0byte\xff", 9)});
  t.items.push_back({3, 1, ""});
  const auto out = std::get<Tasks>(round_trip(t));
  ASSERT_EQ(out.items.size(), 3u);
  EXPECT_EQ(out.items[1].id, 2u);
  EXPECT_EQ(out.items[1].attempt, 3u);
  EXPECT_EQ(out.items[1].input, std::string("nul\0byte\xff", 9));
  EXPECT_EQ(out.items[2].input, "");
}

TEST(Protocol, ResultsRoundTripKeepsNullExitCodeAndTruncation) {
  Results r;
  r.worker = "w#1";
  TaskResult a;
  a.id = 9;
  a.attempts = 2;
  a.status = TaskStatus::timeout;
  a.truncated = true;
  a.duration_us = 123456;
  a.input = "in";
  a.output = "out";
  a.error = "err";
  TaskResult b = a;
  b.id = 10;
  b.status = TaskStatus::failed;
  b.exit_code = -3;
  b.truncated = false;
  r.items = {a, b};
  const auto out = std::get<Results>(round_trip(r));
  ASSERT_EQ(out.items.size(), 2u);
  EXPECT_EQ(out.worker, "w#1");
  EXPECT_FALSE(out.items[0].exit_code.has_value());
  EXPECT_TRUE(out.items[0].truncated);
  EXPECT_EQ(out.items[0].status, TaskStatus::timeout);
  EXPECT_EQ(out.items[0].duration_us, 123456u);
  EXPECT_EQ(out.items[1].exit_code, -3);
  EXPECT_EQ(out.items[1].error, "err");
}

TEST(Protocol, AckAndSmallMessagesRoundTrip) {
  const auto ack = std::get<Ack>(round_trip(Ack{5, {{1, 3}, {10, 1}}}));
  EXPECT_EQ(ack.failed_total, 5u);
  ASSERT_EQ(ack.ranges.size(), 2u);
  EXPECT_EQ(ack.ranges[0].first, 1u);
  EXPECT_EQ(ack.ranges[0].count, 3u);
  EXPECT_EQ(std::get<Credit>(round_trip(Credit{42})).credit, 42u);
  EXPECT_EQ(std::get<Total>(round_trip(Total{1000000})).total, 1000000u);
  EXPECT_EQ(std::get<Welcome>(round_trip(Welcome{1000, 5})).liveness, 5u);
  EXPECT_EQ(std::get<Refuse>(round_trip(Refuse{"no"})).reason, "no");
  EXPECT_TRUE(std::holds_alternative<Done>(round_trip(Done{})));
  EXPECT_TRUE(std::holds_alternative<Heartbeat>(round_trip(Heartbeat{})));
}

TEST(Protocol, UnsentRoundTripsAndRefusesACountBeyondItsBody) {
  const auto out = std::get<Unsent>(round_trip(Unsent{{11, 12, 1ull << 40}}));
  EXPECT_EQ(out.ids, (std::vector<TaskId>{11, 12, 1ull << 40}));
  const Encoded e = encode(Unsent{{7}});
  std::string body = e.body;
  body[0] = 2;  // says two ids, holds one
  EXPECT_FALSE(decode(header_of(e), body).message);
}

TEST(Protocol, ToRangesCollapsesRuns) {
  const auto r = to_ranges({1, 2, 3, 7, 8, 5});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].first, 1u);
  EXPECT_EQ(r[0].count, 3u);
  EXPECT_EQ(r[1].first, 7u);
  EXPECT_EQ(r[1].count, 2u);
  EXPECT_EQ(r[2].first, 5u);
}

std::string_view reason(std::string_view header, std::string_view body) {
  Decoded d = decode(header, body);
  EXPECT_FALSE(d.message.has_value());
  return d.error ? d.error : "";
}

TEST(Protocol, RejectsBadHeaders) {
  EXPECT_EQ(reason("", ""), "bad header size");
  EXPECT_EQ(reason(std::string("\x01\x03\x00", 3), ""), "bad header size");
  EXPECT_EQ(reason(std::string("\x02\x03", 2), ""), "unsupported protocol version");
  EXPECT_EQ(reason(std::string("\x01\x63", 2), ""), "unknown message type");
}

TEST(Protocol, RejectsTruncatedAndTrailingBodies) {
  const Encoded e = encode(Tasks{{{1, 1, "hello"}}});
  for (std::size_t cut = 0; cut < e.body.size(); ++cut) {
    EXPECT_FALSE(decode(header_of(e), std::string_view(e.body).substr(0, cut)).message) << "cut at " << cut;
  }
  EXPECT_EQ(reason(header_of(e), e.body + "x"), "trailing bytes in body");
  EXPECT_EQ(reason(std::string("\x01\x03", 2), "x"), "trailing bytes in body");
}

TEST(Protocol, RejectsHostileCountsWithoutAllocating) {
  std::string body;
  ByteWriter w(body);
  w.u32(0xffffffffu);  // claims 4 billion tasks in a 4-byte body
  EXPECT_EQ(reason(header_of(encode(Tasks{})), body), "count exceeds body");
  std::string results;
  ByteWriter rw(results);
  rw.bytes("w");
  rw.u32(0xffffffffu);
  EXPECT_EQ(reason(header_of(encode(Results{})), results), "count exceeds body");
}

TEST(Protocol, RejectsLengthBeyondBody) {
  std::string body;
  ByteWriter w(body);
  w.u32(1);
  w.u64(1);
  w.u32(1);
  w.u32(1000);  // input length larger than what follows
  body += "abc";
  EXPECT_EQ(reason(header_of(encode(Tasks{})), body), "truncated body");
}

TEST(Protocol, RejectsBadFieldValues) {
  Results r;
  r.worker = "w";
  r.items.push_back(TaskResult{});
  r.items[0].id = 1;
  Encoded e = encode(r);
  // status byte sits after worker (4+1), count (4), id (8), attempts (4)
  e.body[4 + 1 + 4 + 8 + 4] = 9;
  EXPECT_EQ(reason(header_of(e), e.body), "unknown task status");
  EXPECT_EQ(reason(header_of(encode(Tasks{{{0, 1, "x"}}})), encode(Tasks{{{0, 1, "x"}}}).body), "task id 0");
  std::string hello;
  ByteWriter hw(hello);
  hw.u8(7);
  hw.u64(0);
  hw.u32(0);
  hw.bytes("");
  EXPECT_EQ(reason(header_of(encode(Hello{})), hello), "unknown role in hello");
}

// Found by fuzz/fuzz_protocol: an exit code without its flag was dropped on decoding, so the
// same result had 2^32 encodings. Only the canonical one (0) is accepted now.
TEST(Protocol, RejectsExitCodeWithoutItsFlag) {
  Results r;
  r.worker = "w";
  r.items.push_back(TaskResult{});
  r.items[0].id = 1;
  Encoded e = encode(r);
  // exit_code sits after worker (4+1), count (4), id (8), attempts (4), status (1), flags (1)
  const std::size_t exit_code_at = 4 + 1 + 4 + 8 + 4 + 1 + 1;
  ASSERT_TRUE(decode(header_of(e), e.body).message);
  e.body[exit_code_at] = static_cast<char>(0x9f);
  EXPECT_EQ(reason(header_of(e), e.body), "exit code without its flag");
  r.items[0].exit_code = 0x9f;
  const Encoded with_flag = encode(r);
  EXPECT_EQ(with_flag.body.substr(exit_code_at, 4), std::string("\x9f\0\0\0", 4));
  EXPECT_EQ(std::get<Results>(*decode(header_of(with_flag), with_flag.body).message).items[0].exit_code, 0x9f);
}

}  // namespace
}  // namespace zpipe::core
