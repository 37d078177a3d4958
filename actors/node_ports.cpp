// The replica's disk, state machine and clients, carried out by the log,
// store and snapshot io actors and the clients' response promises.
#include "node_ports.hpp"


#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "actraft/core/invariant.hpp"
#include "logging.hpp"
#include "transport.hpp"

namespace actraft::actors {

node_ports::node_ports(self_ptr self, const node_setup& setup)
    : self_(self),
      opts_(setup.opts),
      log_(setup.log),
      store_(setup.store),
      snapshot_io_(setup.snapshot_io),
      directory_(setup.directory),
      transport_(setup.transport),
      logger_(make_logger("starting", setup.opts.logger)),
      metrics_(setup.metrics) {}

void node_ports::start(core::node_id id, const std::string& address) {
  address_ = address;
  logger_ = make_logger("node " + std::to_string(id.value), opts_.logger);
}

driver::replica& node_ports::replica() { return *self_->state.replica; }

void node_ports::settle() {
  auto& st = self_->state;
  publish_roster();
  if (st.stopping || !st.replica || st.replica->current_phase() != driver::phase::stopped) return;
  st.stopping = true;
  stop_all();
  self_->quit();
}

void node_ports::publish_roster() {
  const auto* core = self_->state.replica ? self_->state.replica->core() : nullptr;
  if (!transport_ || core == nullptr) return;
  // Only a committed configuration: a removal still in doubt may be undone
  // by a new leader, and the member then talked to again.
  if (core->config_index() > core->log().commit() || core->config_index() == roster_index_) return;
  roster_index_ = core->config_index();
  roster_signal r;
  for (const auto& m : core->config().members) r.members.push_back(m.id.value);
  r.max_assigned = core->config().max_assigned_id.value;
  caf::anon_send(transport_, std::move(r));
}

driver::reply node_ports::reply_of(const caf::error& err) const {
  if (auto code = code_of(err)) {
    std::string why;
    if (err.context().match_elements<std::string>()) why = err.context().get_as<std::string>(0);
    return driver::reply::failure(*code, std::move(why));
  }
  // Anything that is not an actraft error (a broken connection, a CAF
  // timeout) leaves the outcome unknown.
  return driver::reply::failure(errc::timeout, "request failed: " + self_->system().render(err));
}

std::optional<std::string> node_ports::storage_actor_name(const caf::actor_addr& a) const {
  if (a == log_.address()) return "log";
  if (a == store_.address()) return "store";
  if (a == snapshot_io_.address()) return "snapshot io";
  return std::nullopt;
}

driver::time_point node_ports::now() const { return driver::clock::now(); }

void node_ports::log(driver::severity level, const std::string& text) {
  switch (level) {
    case driver::severity::debug: logger_->debug("{}", text); break;
    case driver::severity::info: logger_->info("{}", text); break;
    case driver::severity::warning: logger_->warn("{}", text); break;
    case driver::severity::error: logger_->error("{}", text); break;
  }
}

// --- clients ---------------------------------------------------------------------

driver::request_id node_ports::remember(any_promise p, driver::request_kind kind) {
  const auto id = ++next_request_;
  promises_.emplace(id, kept_promise{std::move(p), kind});
  return id;
}

void node_ports::answer(driver::request_id id, driver::reply r) {
  auto it = promises_.find(id);
  ACTRAFT_INVARIANT(it != promises_.end(), "a request is answered once, and only a request made");
  any_promise p = std::move(it->second.promise);
  const auto kind = it->second.kind;
  promises_.erase(it);
  ++metrics_registry::slot(answered_, kind, r.ok() ? std::uint8_t{0} : static_cast<std::uint8_t>(*r.error));
  if (!r.ok()) {
    std::visit([&](auto& rp) { rp.deliver(make_error(*r.error, std::move(r.reason))); }, p);
    return;
  }
  std::visit(
      [&](auto& rp) {
        using promise = std::decay_t<decltype(rp)>;
        if constexpr (std::is_same_v<promise, bytes_promise>)
          rp.deliver(std::move(r.value));
        else if constexpr (std::is_same_v<promise, join_promise>)
          rp.deliver(r.member.value, driver::members_of(r.members));
        else if (kind == driver::request_kind::snapshot)
          rp.deliver(r.index.value);
        else
          rp.deliver(r.member.value);
      },
      p);
}

void node_ports::fail_all(errc code, const std::string& why) {
  for (auto& [id, p] : promises_) std::visit([&](auto& rp) { rp.deliver(make_error(code, why)); }, p.promise);
  promises_.clear();
}

// --- disk --------------------------------------------------------------------------

void node_ports::write(const driver::write_batch& batch) {
  // The log actor sends what had to wait for the write as soon as it is
  // durable, straight to the peers.
  persist_request req{batch.state, batch.entries, address_, batches(batch.after_sync)};
  self_->request(log_, caf::infinite, std::move(req))
      .then(
          [this](std::uint64_t) {
            replica().on_written();
            settle();
          },
          [this](const caf::error& err) {
            replica().on_write_failed(self_->system().render(err));
            settle();
          });
}

void node_ports::install(const core::snapshot_meta& meta, const std::string& location) {
  self_->request(log_, caf::infinite, install_request{meta, location})
      .then(
          [this, meta, location](std::uint64_t in_force) {
            replica().on_installed(meta, location, core::log_index{in_force});
            // The leader's last chunk is answered once its snapshot is in force.
            if (install_ && install_->path == location) {
              install_->promise.deliver(install_->size);
              install_.reset();
            }
            settle();
          },
          [this, meta, location](const caf::error& err) {
            replica().on_install_failed(meta, location, self_->system().render(err));
            if (install_ && install_->path == location) {
              install_->promise.deliver(err);
              install_.reset();
            }
            settle();
          });
}

void node_ports::record_removal() {
  self_->request(log_, caf::infinite, removed_request{})
      .then([this](bool) { replica().on_removal_recorded(); },
            [](const caf::error&) {});  // the log actor said why
}

// --- state machine -----------------------------------------------------------------

void node_ports::apply(std::vector<core::entry> entries, std::vector<driver::answer_slot> answers) {
  apply_request req{std::move(entries), {}};
  req.answers.reserve(answers.size());
  for (const auto& slot : answers) {
    // The store actor answers the proposer itself, right after the apply.
    auto it = promises_.find(slot.id);
    ACTRAFT_INVARIANT(it != promises_.end() && std::holds_alternative<bytes_promise>(it->second.promise),
                      "an answer slot names a proposal still open");
    req.answers.push_back(
        apply_answer{slot.index.value, std::get<bytes_promise>(std::move(it->second.promise))});
    ++metrics_registry::slot(answered_, it->second.kind, 0);  // (the store counts those whose apply throws)
    promises_.erase(it);
  }
  self_->request(store_, caf::infinite, std::move(req))
      .then(
          [this](std::uint64_t last) {
            replica().on_applied(core::log_index{last});
            settle();
          },
          [this](const caf::error& err) {
            replica().fail(self_->system().render(err));
            settle();
          });
}

void node_ports::query(driver::request_id id, core::payload q) {
  auto it = promises_.find(id);
  ACTRAFT_INVARIANT(it != promises_.end() && std::holds_alternative<bytes_promise>(it->second.promise),
                    "a query names a read still open");
  // After the applies sent before it, on the store's thread; the store
  // actor answers the client itself (and counts those that fail).
  ++metrics_registry::slot(answered_, it->second.kind, 0);
  self_->send(store_,
              query_request{q.get(), std::get<bytes_promise>(std::move(it->second.promise)), it->second.kind});
  promises_.erase(it);
}

void node_ports::restore(const core::snapshot_meta& meta, const std::string& location) {
  self_->request(store_, caf::infinite, restore_request{location, meta.index.value})
      .then(
          [this](std::uint64_t index) {
            replica().on_restored(core::log_index{index});
            settle();
          },
          [this](const caf::error& err) {
            replica().on_restore_failed(self_->system().render(err));
            settle();
          });
}

void node_ports::take_snapshot() {
  // The store's state, once it has done what was sent to it so far; its
  // helper thread streams it into the file while applies wait, and the log
  // actor only renames it into force: proposals keep flowing.
  // Nothing new to write (no metadata) is reported the same way, later:
  // never from inside the replica's call.
  auto meta = replica().describe_snapshot(replica().handed());
  self_->request(store_, caf::infinite, snapshot_request{meta})
      .then(
          [this, meta](std::string& path) {
            if (!meta) {
              replica().on_snapshot_failed({});
            } else {
              logger_->debug("wrote the snapshot at index {}", meta->index.value);
              std::error_code ec;
              const auto size = std::filesystem::file_size(path, ec);
              replica().on_snapshot_written(*meta, path, ec ? 0 : size);
            }
            settle();
          },
          [this](const caf::error& err) {
            replica().on_snapshot_failed(self_->system().render(err));
            settle();
          });
}

void node_ports::stop_all() {
  for (auto& [id, p] : peers_) self_->send(p.proxy, stop_signal{});
  peers_.clear();
  for (auto& [id, sender] : senders_) self_->send(sender, stop_signal{});
  senders_.clear();
  if (install_) {
    install_->promise.deliver(make_error(errc::shutting_down, "node is shutting down"));
    install_.reset();
  }
  self_->send(log_, stop_signal{});
  self_->send(store_, stop_signal{});
  self_->send(snapshot_io_, stop_signal{});
}

}  // namespace actraft::actors
