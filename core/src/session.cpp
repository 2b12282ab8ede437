#include "zpipe/core/session.hpp"

#include <algorithm>
#include <string_view>

#include <spdlog/spdlog.h>

namespace zpipe::core {
namespace {

// Messages a session keeps while the ventilator does not take them. Heartbeats are never
// queued behind others and credits and acks merge, so this is reached only by a stream of
// distinct messages to a ventilator that is gone; the oldest then go (a later hello
// re-synchronises everything they said).
constexpr std::size_t kMaxOutbox = 4096;
// Messages handled per wake-up before timers get their turn.
constexpr int kMaxReceive = 1024;
// Silence before the first "cannot reach" warning while we were never welcomed.
constexpr auto kFirstWarning = std::chrono::seconds(1);

constexpr std::string_view kHelloFirst = "hello first";
constexpr std::string_view kWait = "wait:";

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Adds what `next` says to `queued` when both are of a kind that merges.
bool merge_into(Message& queued, const Message& next) {
  if (auto* credit = std::get_if<Credit>(&queued)) {
    const auto* more = std::get_if<Credit>(&next);
    if (!more) return false;
    credit->credit = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(std::uint64_t{credit->credit} + more->credit, UINT32_MAX));
    return true;
  }
  if (auto* ack = std::get_if<Ack>(&queued)) {
    const auto* more = std::get_if<Ack>(&next);
    if (!more) return false;
    ack->failed_total = std::max(ack->failed_total, more->failed_total);
    ack->ranges.insert(ack->ranges.end(), more->ranges.begin(), more->ranges.end());
    return true;
  }
  return false;
}

}  // namespace

VentilatorSession::VentilatorSession(zmq::context_t& context, Loop& loop, FaultCounter& faults,
                                     SessionSettings settings, Introduce introduce, OnMessage on_message)
    : context_(context),
      socket_(context, zmq::socket_type::dealer),
      loop_(loop),
      faults_(faults),
      settings_(std::move(settings)),
      introduce_(std::move(introduce)),
      on_message_(std::move(on_message)),
      waiting_(fmt::format("{}: no answer from the ventilator at {}", settings_.who, settings_.endpoint),
               "still trying", fmt::format("{}: reached the ventilator at {}", settings_.who, settings_.endpoint),
               settings_.connect_timeout),
      heartbeat_(settings_.heartbeat),
      liveness_(std::max(1u, settings_.liveness)) {
  configure_socket(socket_);
  // Nothing queues towards a ventilator that is not connected: what would pile up there
  // (heartbeats, stale credit) is worthless once it comes back, and the outbox says what
  // is still to go.
  socket_.set(zmq::sockopt::immediate, 1);
  // Data unacknowledged for a silence period ends the connection: a link that died shows as
  // a disconnection (connected()), which a frozen ventilator's never does.
  socket_.set(zmq::sockopt::tcp_maxrt, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                           heartbeat_ * liveness_).count()));
}

void VentilatorSession::start() {
  if (ConnectionMonitor::applies_to(settings_.endpoint)) connection_.emplace(context_, socket_, loop_, [](bool) {});
  connect(socket_, settings_.endpoint);
  loop_.watch(
      socket_, [this] { return static_cast<short>(ZMQ_POLLIN | (outbox_.empty() ? 0 : ZMQ_POLLOUT)); },
      [this](short events) {
        if (events & ZMQ_POLLIN) on_readable();
        if (events & ZMQ_POLLOUT) flush();
      });
  beat_timer_ = &loop_.timer([this] { beat(); });
  contact_timer_ = &loop_.timer([this] { check_contact(); });
  const auto now = Clock::now();
  last_heard_ = now;
  beat_timer_->at(now + heartbeat_);
  contact_timer_->at(now + kFirstWarning);
  reintroduce();
}

void VentilatorSession::say(Message message) {
  if (std::holds_alternative<Hello>(message)) {
    outbox_.clear();  // a hello re-announces credit; a sink's have follows it
  } else if (std::holds_alternative<Heartbeat>(message)) {
    if (!outbox_.empty()) return;  // what is queued will show we are alive
  } else if (!outbox_.empty() && merge_into(outbox_.back(), message)) {
    flush();
    return;
  }
  outbox_.push_back(std::move(message));
  if (outbox_.size() > kMaxOutbox) {
    outbox_.pop_front();
    if (WireCounters* wire = faults_.wire()) wire->dropped.count("outbox full");
    // Said once per thousand: a ventilator gone for long makes a steady stream of these.
    if (dropped_sends_++ % 1000 == 0)
      spdlog::warn("{}: the ventilator takes nothing; dropped {} queued messages (a hello re-synchronises)",
                   settings_.who, dropped_sends_);
  }
  flush();
}

void VentilatorSession::reintroduce() {
  last_hello_ = Clock::now();
  introduce_(*this);
}

void VentilatorSession::flush() {
  while (!outbox_.empty() && try_send(socket_, outbox_.front(), {}, faults_.wire())) outbox_.pop_front();
}

void VentilatorSession::on_readable() {
  // Past the bound the socket stays readable, and the next poll returns at once.
  (void)receive_waiting(socket_, false, faults_, kMaxReceive, [this](Received&& in) {
    waiting_.over(last_heard_);
    const auto now = Clock::now();
    last_heard_ = now;
    if (const auto* welcome = std::get_if<Welcome>(&in.message)) {
      // The ventilator's rhythm wins over our file's: it is the one that declares us dead.
      if (welcome->heartbeat_ms > 0) heartbeat_ = std::chrono::milliseconds(welcome->heartbeat_ms);
      liveness_ = std::max(1u, welcome->liveness);
      welcomed_ = true;
      if (beat_timer_->due() > now + heartbeat_) beat_timer_->at(now + heartbeat_);
    } else if (const auto* refuse = std::get_if<Refuse>(&in.message);
               refuse && std::string_view(refuse->reason).starts_with(kHelloFirst)) {
      spdlog::debug("{}: the ventilator does not know us ({}); saying hello", settings_.who, refuse->reason);
      reintroduce();
    } else if (refuse && std::string_view(refuse->reason).starts_with(kWait)) {
      // Not now (another sink is live): say nothing until one silence period has passed,
      // then introduce us again. A heartbeat meanwhile would only be refused as a stranger's.
      spdlog::warn("{}: the ventilator at {} says {}; asking again in {:.1f} s", settings_.who, settings_.endpoint,
                   refuse->reason, seconds(silence_limit()));
      retry_at_ = now + silence_limit();
    } else if (!std::holds_alternative<Heartbeat>(in.message)) {
      on_message_(std::move(in.message));
    }
  });
}

void VentilatorSession::beat() {
  const auto now = Clock::now();
  if (retry_at_) {
    if (now >= *retry_at_) {
      retry_at_.reset();
      reintroduce();
    }
  } else if (now - last_heard_ > silence_limit() && now - last_hello_ >= silence_limit()) {
    // Gone, restarted, or cut off: a (new) ventilator must learn who we are.
    spdlog::debug("{}: ventilator silent for {:.1f} s, saying hello again", settings_.who,
                  seconds(now - last_heard_));
    reintroduce();
  } else {
    say(Heartbeat{});
  }
  beat_timer_->at(now + heartbeat_);
}

void VentilatorSession::check_contact() {
  // Once welcomed, silence up to heartbeat × liveness is normal.
  const Clock::duration first =
      welcomed_ ? std::max<Clock::duration>(silence_limit(), kFirstWarning) : Clock::duration(kFirstWarning);
  contact_timer_->at(waiting_.check(last_heard_, first));
}

}  // namespace zpipe::core
