#pragma once
// The ventilator's book of tasks: reads inputs from the source as the window allows, and
// keeps a lease on every dispatched task until the sink acknowledges its record.
// A lease whose worker is gone goes back to the front of the queue (attempt + 1).
// Error style: exceptions only from the source (std::runtime_error on a read error).

#include <cstdint>
#include <deque>
#include <memory_resource>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "zpipe/core/done_set.hpp"
#include "zpipe/core/protocol.hpp"
#include "zpipe/ventilator/source.hpp"

namespace zpipe::ventilator {

struct Lease {
  std::string input;
  std::vector<std::string> args;  // an argument-list task's (input empty then)
  std::uint32_t attempt = 1;
  std::string holder;  // routing id of the worker running it; empty = waiting to be sent
};

class LeaseTable {
public:
  LeaseTable(std::unique_ptr<TaskSource> source, std::uint32_t window)
      : source_(std::move(source)), window_(window) {}

  // The next task to hand out: a redelivery first, then a new input while fewer than
  // `window` tasks are unacknowledged. Ids the sink already has are skipped.
  std::optional<core::TaskId> next();
  Lease& at(core::TaskId id) { return leases_.at(id); }

  // Marks a lease as sent to `holder`.
  void hold(core::TaskId id, const std::string& holder);
  // A task `holder` will not run after all (the send failed, or a leaving worker never
  // started it). Ids not held by `holder` are ignored: a peer cannot free another's task.
  void give_back(core::TaskId id, const std::string& holder);
  // Those of `ids` that `holder` holds go back for redelivery (attempt + 1): their results
  // may have died on the way to the sink. Returns how many.
  std::uint64_t run_again(const std::vector<core::TaskId>& ids, const std::string& holder);
  // Everything `holder` had goes back for redelivery; returns how many.
  std::uint64_t release_holder(const std::string& holder);
  // Every task any worker holds goes back (a restarted sink may have lost their results).
  std::uint64_t release_all_held();
  // The sink has records of ids first..first+count-1 (acknowledged now, or found in its
  // journal). Ids the source has not reached are remembered (up to kMaxAhead past it) and
  // skipped when it does.
  void done(core::IdRange range);
  static constexpr std::uint64_t kMaxAhead = 1ull << 30;
  // A sink begins its inventory: what an earlier one had ahead of the source is forgotten
  // (its `have` says again what it still has).
  void forget_ahead() { done_ahead_ = {}; }
  // Ids the source has passed that have no lease and are not in `inventory` (a sink's whole
  // `have`): tasks acknowledged once whose records the sink no longer has.
  std::vector<core::TaskId> lost(const core::DoneSet& inventory) const;
  // Those tasks run again (attempt 2, before anything else) if the source can read their
  // inputs back; false (nothing changed) if it cannot.
  bool restore(const std::vector<core::TaskId>& ids);

  // Reads inputs without a worker asking, up to the window, queueing them for next(): the
  // batch's size is then known as soon as it fits (a halt policy in percent needs it).
  void read_ahead();
  // With nothing queued: reads past the inputs the sink already has, up to the first one it
  // lacks (queued for next()) or the source's end. Costs one lease at most.
  void skip_done();
  bool exhausted() const { return exhausted_; }
  // The source has no input yet (a pipe without a complete line); source_fd() becomes
  // readable when it may have one.
  bool waiting_for_source() const { return waiting_; }
  int source_fd() const { return source_->wait_fd(); }
  std::uint64_t total() const { return next_id_ - 1; }  // meaningful once exhausted
  bool empty() const { return leases_.empty(); }
  bool any_held() const { return held_ > 0; }
  // More tasks wait to go out than workers hold, reading the source ahead as far as it
  // takes to know (bounded by the window; a source with nothing to read yet is not deep).
  bool more_queued_than_held();
  std::uint64_t held() const { return held_; }
  // Read (or queued again) and waiting to be handed out.
  std::uint64_t queued() const { return leases_.size() - held_; }

private:
  // The next input of the source as a new lease, while the window allows.
  std::optional<core::TaskId> read_one();
  void requeue(Lease& lease, core::TaskId id, bool front);

  std::unique_ptr<TaskSource> source_;
  std::uint32_t window_;
  // Lease nodes come from a pool and go back to it: a task's lease would otherwise cost a
  // malloc and a free on the hot path (for 3M noop tasks, 3.46M allocation calls became
  // 142k). Declared before the map, which it outlives.
  std::pmr::unsynchronized_pool_resource pool_;
  using Leases = std::pmr::unordered_map<core::TaskId, Lease>;
  Leases leases_{&pool_};
  std::deque<core::TaskId> redeliver_;
  core::DoneSet done_ahead_;  // ids the sink has that the source has not reached yet
  core::TaskId next_id_ = 1;
  std::uint64_t held_ = 0;    // leases with a holder
  bool exhausted_ = false;
  bool waiting_ = false;      // the source said `later` last time

  void release(Leases::iterator it);
};

}  // namespace zpipe::ventilator
