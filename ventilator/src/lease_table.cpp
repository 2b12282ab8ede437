#include "lease_table.hpp"

#include <algorithm>

namespace zpipe::ventilator {

std::optional<core::TaskId> LeaseTable::next() {
  while (!redeliver_.empty()) {
    const core::TaskId id = redeliver_.front();
    redeliver_.pop_front();
    auto it = leases_.find(id);
    if (it != leases_.end() && it->second.holder.empty()) return id;  // else acknowledged meanwhile
  }
  return read_one();
}

std::optional<core::TaskId> LeaseTable::read_one() {
  while (!exhausted_ && leases_.size() < window_) {
    Next input = source_->next();
    waiting_ = input.kind == Next::Kind::later;
    if (input.kind != Next::Kind::input) {
      exhausted_ = input.kind == Next::Kind::end;
      return std::nullopt;
    }
    const core::TaskId id = next_id_++;
    if (done_ahead_.contains(id)) continue;  // the sink already has its record
    leases_.emplace(id, Lease{std::move(input.input), std::move(input.args), 1, {}});
    return id;
  }
  return std::nullopt;
}

void LeaseTable::read_ahead() {
  while (const auto id = read_one()) redeliver_.push_back(*id);  // queued in input order
}

bool LeaseTable::more_queued_than_held() {
  while (redeliver_.size() <= held_) {
    const auto id = read_one();
    if (!id) return false;
    redeliver_.push_back(*id);
  }
  return true;
}

void LeaseTable::skip_done() {
  if (!redeliver_.empty() || !leases_.empty()) return;
  if (const auto id = read_one()) redeliver_.push_back(*id);
}

void LeaseTable::hold(core::TaskId id, const std::string& holder) {
  Lease& lease = leases_.at(id);
  if (lease.holder.empty()) ++held_;
  lease.holder = holder;
}

void LeaseTable::requeue(Lease& lease, core::TaskId id, bool front) {
  if (!lease.holder.empty()) --held_;
  lease.holder.clear();
  if (front) {
    redeliver_.push_front(id);
  } else {
    redeliver_.push_back(id);
  }
}

void LeaseTable::give_back(core::TaskId id, const std::string& holder) {
  auto it = leases_.find(id);
  if (it != leases_.end() && it->second.holder == holder) requeue(it->second, id, true);
}

std::uint64_t LeaseTable::run_again(const std::vector<core::TaskId>& ids, const std::string& holder) {
  std::uint64_t n = 0;
  for (const core::TaskId id : ids) {
    auto it = leases_.find(id);
    if (it == leases_.end() || it->second.holder != holder) continue;  // acknowledged, or another's
    ++it->second.attempt;
    requeue(it->second, id, true);
    ++n;
  }
  return n;
}

std::uint64_t LeaseTable::release_holder(const std::string& holder) {
  std::uint64_t n = 0;
  for (auto& [id, lease] : leases_) {
    if (lease.holder != holder) continue;
    ++lease.attempt;
    requeue(lease, id, false);
    ++n;
  }
  return n;
}

std::uint64_t LeaseTable::release_all_held() {
  std::uint64_t n = 0;
  for (auto& [id, lease] : leases_) {
    if (lease.holder.empty()) continue;
    ++lease.attempt;
    requeue(lease, id, false);
    ++n;
  }
  return n;
}

void LeaseTable::release(Leases::iterator it) {
  if (!it->second.holder.empty()) --held_;
  leases_.erase(it);
}

std::vector<core::TaskId> LeaseTable::lost(const core::DoneSet& inventory) const {
  std::vector<core::TaskId> ids;
  for (core::TaskId id = inventory.floor() + 1; id < next_id_; ++id)
    if (!inventory.contains(id) && !leases_.contains(id)) ids.push_back(id);
  return ids;
}

bool LeaseTable::restore(const std::vector<core::TaskId>& ids) {
  auto inputs = source_->reread(ids);
  if (!inputs) return false;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    leases_.emplace(ids[i], Lease{std::move((*inputs)[i]), {}, 2, {}});
    redeliver_.push_front(ids[i]);
  }
  return true;
}

void LeaseTable::done(core::IdRange range) {
  const core::TaskId end = range.first + range.count;
  const core::TaskId below = std::min(end, next_id_);
  if (range.first < below) {
    // A huge range is cheaper to apply by walking the (window-bounded) leases.
    if (below - range.first > leases_.size()) {
      for (auto it = leases_.begin(); it != leases_.end();) {
        auto current = it++;
        if (current->first >= range.first && current->first < below) release(current);
      }
    } else {
      for (core::TaskId id = range.first; id < below; ++id) {
        auto it = leases_.find(id);
        if (it != leases_.end()) release(it);
      }
    }
  }
  const core::TaskId ahead_end = std::min(end, next_id_ + kMaxAhead);
  for (core::TaskId id = std::max(range.first, next_id_); id < ahead_end; ++id) done_ahead_.insert(id);
}

}  // namespace zpipe::ventilator
