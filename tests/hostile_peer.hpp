#pragma once
// Tools of the hostile-peer tests (test_hostile.cpp, test_hostile_results.cpp): a captured
// log to poll, builders of valid and broken frames, a raw TCP connection that speaks just
// enough ZMTP, and a rogue worker.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "pipeline_harness.hpp"
#include "zpipe/core/protocol.hpp"

namespace zpipe::test {

using namespace std::chrono_literals;

// Captures the log (debug level) while alive, to poll for what the roles announce.
class CapturedLog {
public:
  CapturedLog() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>()) {
    auto logger = std::make_shared<spdlog::logger>("captured", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return sink_->text(); }
  bool contains(const std::string& needle) const { return text().find(needle) != std::string::npos; }

private:
  class Sink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    std::string text() {
      std::lock_guard lock(mutex_);
      return text_;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      text_.append(msg.payload.data(), msg.payload.size());
      text_.push_back('\n');
    }
    void flush_() override {}

  private:
    std::string text_;
  };
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
};

// --- building valid and invalid frames ------------------------------------------------------

using Frames = std::vector<std::string>;

inline Frames frames_of(const core::Message& m) {
  const core::Encoded e = core::encode(m);
  return {std::string(reinterpret_cast<const char*>(e.header), 2), e.body};
}

inline void send_frames(zmq::socket_t& socket, const Frames& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i)
    socket.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

// The next message on a peer's DEALER other than a heartbeat, decoded; nothing if none
// comes within `limit`. Undecodable messages are skipped.
inline std::optional<core::Message> next_message(zmq::socket_t& dealer, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    zmq::pollitem_t item[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0}};
    if (left <= 0ms || zmq::poll(item, 1, left) != 1) return std::nullopt;
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(dealer, std::back_inserter(parts)) || parts.size() != 2) continue;
    core::Decoded d = core::decode(parts[0].to_string_view(), parts[1].to_string_view());
    if (d.message && !std::holds_alternative<core::Heartbeat>(*d.message)) return std::move(d.message);
  }
}

inline std::string le32(std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
inline std::string le64(std::uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
inline std::string header(std::uint8_t version, std::uint8_t type) { return {char(version), char(type)}; }

inline core::TaskResult result_for(core::TaskId id, const std::string& input, const std::string& output) {
  core::TaskResult r;
  r.id = id;
  r.attempts = 1;
  r.exit_code = 0;
  r.input = input;
  r.output = output;
  return r;
}

inline Frames results_message(std::vector<core::TaskResult> items, const std::string& worker = "rogue") {
  return frames_of(core::Results{worker, std::move(items)});
}

// Malformed messages, each of which the receiving role must drop and count exactly once.
inline std::vector<Frames> malformed(std::mt19937& rng, const Frames& valid, std::uint8_t valid_type) {
  std::vector<Frames> out;
  auto bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  };
  for (int i = 0; i < 40; ++i) {  // random garbage: 1 to 5 frames of 0 to 64 bytes
    Frames f(1 + rng() % 5);
    for (auto& frame : f) frame = bytes(rng() % 65);
    out.push_back(f);
  }
  const std::string& body = valid[1];
  out.push_back({header(2, valid_type), body});             // another protocol version
  out.push_back({header(0, valid_type), body});
  out.push_back({header(1, 99), body});                     // unknown type
  out.push_back({header(1, 255), ""});
  out.push_back({header(1, valid_type)});                   // one frame
  out.push_back({header(1, valid_type), body, "extra"});    // three frames
  out.push_back({header(1, valid_type), body, "", "", ""});  // five frames
  out.push_back({"", body});                                // empty header
  out.push_back({std::string(3, '\1'), body});              // long header
  out.push_back({header(1, valid_type), body.substr(0, body.size() / 2)});  // truncated body
  out.push_back({header(1, valid_type), body.substr(0, body.size() - 1)});
  out.push_back({header(1, valid_type), body + "x"});       // trailing bytes
  out.push_back({header(1, valid_type), ""});               // empty body
  return out;
}

// A raw TCP connection (not ZeroMQ) to 127.0.0.1:port, kept open until destroyed.
class RawConnection {
public:
  explicit RawConnection(const std::string& endpoint) {
    const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    // The peer may close on us halfway: that is the point.
    [[maybe_unused]] const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

private:
  int fd_ = -1;
  bool connected_ = false;
};

// A ZMTP 3.0 handshake as `socket_type`, then a frame that declares 2^40 bytes: far above
// ZMQ_MAXMSGSIZE (256 MiB), so the receiving socket must drop the connection unread.
inline std::string zmtp_oversized_message(const std::string& socket_type) {
  std::string s;
  s += '\xff';
  s += std::string(8, '\0');
  s += '\x7f';                                  // signature
  s += '\x03';
  s += '\x00';                                  // version 3.0
  s += std::string("NULL") + std::string(16, '\0');  // mechanism
  s += '\0';                                    // as-server
  s += std::string(31, '\0');                   // filler
  std::string ready = "\x05READY";
  ready += '\x0b';
  ready += "Socket-Type";
  const auto n = static_cast<std::uint32_t>(socket_type.size());
  ready += {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
  ready += socket_type;
  s += '\x04';  // short command frame
  s += static_cast<char>(ready.size());
  s += ready;
  s += '\x02';  // long message frame, last part
  const std::uint64_t size = 1ull << 40;
  for (int shift = 56; shift >= 0; shift -= 8) s += static_cast<char>(size >> shift);
  s += std::string(4096, 'A');
  return s;
}

// A worker that says hello with the right fingerprint, takes three tasks, heartbeats, and
// never runs them (the test may report some of them through its own socket). Once told to go silent it says nothing more: the ventilator must presume it
// dead and run its tasks elsewhere.
class RogueWorker {
public:
  RogueWorker(zmq::context_t& context, const std::string& ventilator, std::uint64_t fingerprint)
      : thread_([this, &context, ventilator, fingerprint] { serve(context, ventilator, fingerprint); }) {}
  ~RogueWorker() {
    stop_.store(true);
    thread_.join();
  }
  void go_silent() { silent_.store(true); }
  std::vector<core::TaskItem> tasks() const {
    std::lock_guard lock(mutex_);
    return tasks_;
  }

private:
  void serve(zmq::context_t& context, const std::string& ventilator, std::uint64_t fingerprint) {
    zmq::socket_t dealer(context, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(ventilator);
    send_frames(dealer, frames_of(core::Hello{core::Role::worker, fingerprint, 3, "rogue"}));
    auto next_heartbeat = std::chrono::steady_clock::now();
    while (!stop_.load()) {
      zmq::pollitem_t items[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, 20ms);
      std::vector<zmq::message_t> parts;
      while (zmq::recv_multipart(dealer, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
        if (parts.size() == 2) {
          const core::Decoded d = core::decode(parts[0].to_string_view(), parts[1].to_string_view());
          if (d.message)
            if (const auto* t = std::get_if<core::Tasks>(&*d.message)) {
              std::lock_guard lock(mutex_);
              tasks_.insert(tasks_.end(), t->items.begin(), t->items.end());
            }
        }
        parts.clear();
      }
      if (!silent_.load() && std::chrono::steady_clock::now() >= next_heartbeat) {
        send_frames(dealer, frames_of(core::Heartbeat{}));
        next_heartbeat += 50ms;
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_{false};
  mutable std::mutex mutex_;
  std::vector<core::TaskItem> tasks_;
  std::thread thread_;
};

// The largest "N of this kind so far" the roles logged, per kind of dropped message.
inline std::map<std::string, std::uint64_t> drops_by_kind(const std::string& log) {
  std::map<std::string, std::uint64_t> kinds;
  const std::regex re(R"((\w+): dropped malformed message \(([^)]*)\); (\d+) of this kind)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it) {
    auto& n = kinds[(*it)[1].str() + ": " + (*it)[2].str()];
    n = std::max<std::uint64_t>(n, std::stoull((*it)[3].str()));
  }
  return kinds;
}

}  // namespace zpipe::test
