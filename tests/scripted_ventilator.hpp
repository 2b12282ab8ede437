#pragma once
// A scripted ventilator for session tests of a real worker (zpipe's or the Python one): a
// ROUTER socket in the test that plays the ventilator message by message, and a PULL
// socket that plays the sink, both on 127.0.0.1 with ephemeral ports.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "test_support.hpp"
#include "zpipe/core/messaging.hpp"

namespace zpipe::test {

using namespace std::chrono_literals;

class ScriptedVentilator {
public:
  ScriptedVentilator() : router_(context_, zmq::socket_type::router), pull_(context_, zmq::socket_type::pull) {
    core::configure_socket(router_);
    core::configure_socket(pull_);
    router_.bind("tcp://127.0.0.1:*");
    pull_.bind("tcp://127.0.0.1:*");
  }

  // A pipeline file whose endpoints are these sockets.
  std::string write_pipeline(const TempDir& dir, const std::string& task, const std::string& ventilator_keys,
                             const std::string& workers = "{ slots: 1 }") {
    const auto file = dir / "p.yaml";
    test::write_file(file, "version: 1\nname: session\nsource: { range: { count: 10 } }\ntask: " + task +
                               "\nventilator: { endpoint: \"" + router_.get(zmq::sockopt::last_endpoint) + "\"" +
                               ventilator_keys + " }\nsink: { endpoint: \"" +
                               pull_.get(zmq::sockopt::last_endpoint) + "\" }\nworkers: " + workers + "\n");
    return file.string();
  }

  // The next message from the worker within `limit`, heartbeats included.
  std::optional<core::Received> next(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      core::Receive in = core::try_receive(router_, true, faults_);
      if (in.outcome == core::Receive::Outcome::message) {
        peer_ = in.received.routing_id;
        return std::move(in.received);
      }
      zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, 20ms);
    }
    return std::nullopt;
  }

  // The next message of type T within `limit`, skipping heartbeats (and credit, unless T is).
  template <typename T>
  std::optional<T> next_of(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return std::nullopt;
      auto in = next(left);
      if (!in) return std::nullopt;
      if (auto* m = std::get_if<T>(&in->message)) return *m;
      if (!std::holds_alternative<core::Heartbeat>(in->message) && !std::holds_alternative<core::Credit>(in->message))
        ADD_FAILURE() << "unexpected message type " << static_cast<int>(core::type_byte(in->message));
      if (std::holds_alternative<core::Credit>(in->message)) ++credits_seen;
    }
  }

  void send(const core::Message& m) { ASSERT_TRUE(core::try_send(router_, m, peer_)); }
  void send(const core::Tasks& m) { ASSERT_TRUE(core::try_send(router_, m, peer_)); }

  std::optional<core::Results> result(std::chrono::milliseconds limit) {
    zmq::pollitem_t items[] = {{pull_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, limit);
    core::Receive in = core::try_receive(pull_, false, faults_);
    if (in.outcome != core::Receive::Outcome::message) return std::nullopt;
    if (auto* r = std::get_if<core::Results>(&in.received.message)) return *r;
    return std::nullopt;
  }

  int credits_seen = 0;

private:
  zmq::context_t context_;
  zmq::socket_t router_;
  zmq::socket_t pull_;
  core::FaultCounter faults_{"scripted ventilator"};
  std::string peer_;
};

}  // namespace zpipe::test
