#pragma once
// The ventilator's state and the members that act on it, shared by the files of the role:
// peers.cpp (who is there: hello, bye, liveness, the sink, strangers) and ventilator.cpp
// (dispatch, the batch's end, the loop). Private to the ventilator library.
// Error style: as ventilator.hpp (exceptions for runtime failures; a peer's faults are
// counted and dropped).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <zmq.hpp>

#include "lease_table.hpp"
#include "zpipe/core/loop.hpp"
#include "zpipe/core/messaging.hpp"
#include "zpipe/core/wait_warnings.hpp"
#include "zpipe/ventilator/ventilator.hpp"

namespace zpipe::ventilator {

using core::Clock;
using core::TaskId;

// Most tasks one message carries: enough to amortise a send over many tiny tasks,
// small enough that a message stays far below the socket's size limit.
inline constexpr std::uint32_t kMaxBatch = 256;
// A hostile or buggy peer cannot make us believe it can hold more than this.
inline constexpr std::uint32_t kMaxCredit = 1u << 20;
// Messages handled per wake-up before timers and dispatch get their turn.
inline constexpr int kMaxReceive = 10000;
// Unknown peers answered with "hello first" per heartbeat, at most (a flood of strangers
// costs a bounded number of replies; the rest are only counted).
inline constexpr std::size_t kMaxStrangers = 1024;
// The longest wait for the workers' goodbyes once the batch is over.
inline constexpr auto kMaxEndWait = std::chrono::seconds(2);
// The credit gauge of /metrics is summed over the workers at most this often.
inline constexpr auto kCreditSumEvery = std::chrono::milliseconds(100);
// How long without a sink before the first warning that workers get nothing meanwhile.
inline constexpr auto kFirstSinkWarning = std::chrono::seconds(1);

struct Peer {
  core::Role role = core::Role::worker;
  std::string name;
  std::uint32_t credit = 0;
  std::uint32_t prefetch = 0;  // of a full credit, the units that would wait behind running tasks
  bool leaving = false;  // a worker that said bye: it gets nothing more
  Clock::time_point last_seen;
};

inline const char* role_name(core::Role role) { return role == core::Role::sink ? "sink" : "worker"; }

struct Ventilator::State {
  State(zmq::context_t& context, const config::Pipeline& p, const std::string& bind_endpoint,
        std::optional<std::chrono::milliseconds> sink_timeout);

  const config::Pipeline& pipeline;
  core::Loop loop;
  zmq::socket_t router;
  LeaseTable leases;
  std::uint64_t fingerprint;
  Clock::duration heartbeat;
  Clock::duration silence_limit;

  std::unordered_map<std::string, Peer> peers;
  std::vector<std::string> workers;  // dispatch order
  std::optional<std::string> sink;   // the sink's routing id once its inventory is complete
  core::DoneSet inventory;           // what the sink being admitted said it has so far
  std::uint64_t recorded = 0;        // ids the sink has records of: its inventory, then its acks
  bool halt_now = false;             // the halt policy says now: running tasks are killed
  std::atomic<std::uint64_t> shown_in_flight{0};  // tasks workers hold, for Ventilator::in_flight()
  bool total_sent = false;
  std::optional<std::string> draining;  // the reason, once a drain began
  Report report;
  Metrics metrics;  // before `faults`, which counts into it
  core::FaultCounter faults{"ventilator", &metrics.wire};
  std::unordered_set<std::string> strangers;  // unknown peers told "hello first" this heartbeat
  core::WaitWarnings waiting_for_sink;
  Clock::time_point sink_missing_since = Clock::now();
  core::Loop::Timer* beat_timer = nullptr;
  Clock::time_point last_beat{};  // beat() before this one: a long gap means we were stopped
  core::Loop::Timer* sink_timer = nullptr;
  core::Loop::Timer* end_timer = nullptr;
  core::Loop::Timer* delay_timer = nullptr;  // the next start under ventilator.delay
  Clock::time_point next_start;  // ends the wait for the workers' goodbyes
  bool ended = false;                      // done sent: only goodbyes are awaited
  std::vector<std::string> awaiting_goodbye;  // peers told the batch is over, not yet gone
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> drain_requested{false};
  std::atomic<bool> size_wanted{false};  // read the source ahead: a progress line shows the batch's size
  std::string drain_reason;  // written before drain_requested is set
  std::atomic<core::Readiness> readiness{core::Readiness::starting};  // for Ventilator::health()

  // Sends to a peer; false if the peer is gone or its queue is full (ROUTER_MANDATORY).
  template <typename M>  // a Message, or Tasks sent without wrapping (which would copy them)
  bool send_to(const std::string& peer, const M& message) {
    try {
      return core::try_send(router, message, peer, &metrics.wire);
    } catch (const zmq::error_t& e) {
      if (e.num() == EHOSTUNREACH) return false;
      throw;
    }
  }

  // peers.cpp: who is there
  void handle(const core::Received& in);
  void on_hello(const std::string& id, const core::Hello& hello);
  bool admit_sink(const std::string& id, const std::string& incarnation);
  void on_have(const std::string& id, const core::Have& have);
  void restore_lost_records();
  void on_bye(const std::string& id, const Peer& peer, const core::Bye& bye);
  void on_stranger(const std::string& id);
  void answer_ask_task(const std::string& id);
  void on_other_version(const std::string& id);
  void tell_stranger(const std::string& id, const std::string& reason);
  void forget_peer(const std::string& id, const char* why);
  void expire_silent_peers();
  void lose_sink();
  void check_sink();
  void beat();
  void after_end(const core::Received& in);

  // ventilator.cpp: the batch
  void dispatch();
  bool dispatch_round(bool prefetch);
  bool queue_deep() { return leases.more_queued_than_held(); }
  void dispatch_one_per_delay(Clock::duration delay);
  void announce_total();
  void check_halt_policy();
  void turn();
  void publish_readiness();
  void publish_metrics(bool now);  // now: the credit's sum too, however recent the last
  Clock::time_point next_credit_sum{};
  void end_batch();
  bool batch_done() const { return leases.exhausted() && total_sent && leases.empty(); }
  // Draining, and nothing in flight can still be recorded: no worker holds a task, or no
  // sink is there to record it (then the sink's journal already says what is done).
  bool drained() const { return draining && (halt_now || !leases.any_held() || !sink); }
  std::string endpoint() const { return router.get(zmq::sockopt::last_endpoint); }
  // A task would go out now if there were one: a sink, no drain, a worker with credit.
  bool could_dispatch() const {
    return sink && !draining && !ended &&
           std::any_of(workers.begin(), workers.end(), [this](const std::string& id) { return peers.at(id).credit > 0; });
  }
};

}  // namespace zpipe::ventilator
