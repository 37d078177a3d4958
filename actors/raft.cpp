// The node handle: opens the data directory, spawns the node, log and store
// actors, publishes the node on its address, and bootstraps, joins or
// resumes the member.
#include "actraft/raft.hpp"

#include <future>
#include <random>
#include <set>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actraft/address.hpp"
#include "actraft/core/membership.hpp"
#include "actraft/storage/identity.hpp"
#include "actraft/storage/engine.hpp"
#include "io_thread.hpp"
#include "member_security.hpp"
#include "transport.hpp"
#include "log_actor.hpp"
#include "logging.hpp"
#include "node_actor.hpp"
#include "snapshot_io.hpp"
#include "store_actor.hpp"

/// Work for the bridge actor: issue one request, fulfil a std::promise.
using bridge_job = std::function<void(caf::event_based_actor*)>;
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<bridge_job>)

namespace actraft {

using namespace std::chrono_literals;

namespace {

/// Serves the blocking helpers (propose, status, ...) for threads that are
/// not actors, such as HTTP workers: one long-lived actor forwards their
/// requests, instead of a scoped actor built and torn down per request.
caf::behavior bridge_impl(caf::event_based_actor* self) {
  return {[self](const std::shared_ptr<bridge_job>& job) { (*job)(self); }};
}

}  // namespace

struct raft::impl {
  caf::actor_system& sys;
  std::string listen_text;
  std::shared_ptr<store> user_store;
  options opts;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<actors::metrics_registry> metrics = std::make_shared<actors::metrics_registry>();

  actors::node_actor node;
  actors::log_actor log;
  actors::store_actor store_a;
  actors::snapshot_io_actor snapshot_io;
  caf::actor bridge;
  caf::actor transport;
  net::member_security security;
  /// What the node actor starts from, while start() runs.
  std::shared_ptr<actors::node_setup> setup;
  std::uint16_t port = 0;
  std::string advertised;
  std::uint64_t id = 0;
  bool started = false;
  bool stopped = false;

  impl(caf::actor_system& s, std::string listen, std::shared_ptr<store> st, options o)
      : sys(s), listen_text(std::move(listen)), user_store(std::move(st)), opts(std::move(o)) {
    // Named by the address the others know it by, until it has an id.
    logger = actors::make_logger(opts.advertise_address.empty() ? listen_text : opts.advertise_address,
                                 opts.logger);
  }

  [[nodiscard]] core::options core_options() const {
    core::options co;
    co.election_ticks = static_cast<int>(opts.election_timeout / opts.heartbeat_interval);
    co.heartbeat_ticks = 1;
    co.max_batch_bytes = opts.max_batch_bytes;
    co.max_inflight = opts.max_inflight;
    co.promote_lag = opts.promote_lag;
    co.max_pending_reads = opts.max_pending_reads;
    if (opts.lease_reads) {
      co.reads = core::read_mode::lease;
      co.lease_margin_ticks = core::lease_margin_ticks(co.election_ticks, opts.max_clock_drift);
    }
    co.seed = std::random_device{}();
    return co;
  }

  /// A request from a thread that is not an actor, through the bridge.
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask(const Handle& to, caf::timespan timeout, Ts... xs) {
    if (!started) return make_error(errc::not_started, "call lead() or join() first");
    if (!node || !bridge) return make_error(errc::shutting_down, "node is not running");
    auto result = std::make_shared<std::promise<caf::expected<T>>>();
    auto answer = result->get_future();
    auto job = std::make_shared<bridge_job>([=](caf::event_based_actor* self) {
      self->request(to, timeout, xs...)
          .then([result](T& value) { result->set_value(std::move(value)); },
                [result](caf::error& err) { result->set_value(std::move(err)); });
    });
    caf::anon_send(bridge, std::move(job));
    // The bridge's request ends by its timeout. If no answer comes even
    // then, the bridge itself cannot run: the caller is an actor (or one of
    // several) holding the scheduler's threads while it waits.
    if (answer.wait_for(timeout + std::chrono::seconds(2)) != std::future_status::ready)
      return make_error(errc::timeout,
                        "no answer: the blocking helpers are not for use inside an actor "
                        "(send to node.mailbox() instead)");
    try {
      return answer.get();
    } catch (const std::future_error&) {
      return make_error(errc::shutting_down, "node stopped before answering");
    }
  }

  [[noreturn]] void abort_start(const std::string& why) {
    // It holds the storage actors' handles: they could not be destroyed.
    setup.reset();
    stop_actors();
    throw startup_error(why);
  }

  [[nodiscard]] actors::transport_identity wire_identity() const {
    actors::transport_identity w;
    w.member = id;
    w.cluster_id = security.cluster_id;
    w.address = advertised;
    w.tls = security.tls;
    w.secrets = security.secrets;
    return w;
  }

  void start(const std::string* join_through) {
    if (started) throw startup_error("this node was already started");
    if (auto err = opts.validate(); !err.empty()) throw startup_error("invalid options: " + err);
    if (!user_store) throw startup_error("no store given");
    auto listen = parse_address(listen_text, true);
    if (!listen)
      throw startup_error("invalid listen address '" + listen_text +
                          "' (expected host:port, an IPv6 host in brackets: [::1]:9001)");
    std::optional<endpoint> advertise;
    if (!opts.advertise_address.empty()) {
      advertise = parse_address(opts.advertise_address, true);
      if (!advertise)
        throw startup_error("invalid advertise address '" + opts.advertise_address +
                            "' (expected host:port, an IPv6 host in brackets: [::1]:9001)");
      if (is_wildcard(advertise->host))
        throw startup_error("cannot advertise the wildcard address '" + opts.advertise_address +
                            "': the other members dial the advertised address; give one they "
                            "reach this member at");
    } else if (is_wildcard(listen->host)) {
      throw startup_error("listening on the wildcard address '" + listen_text +
                          "' needs an advertise address (the one the other members reach this "
                          "member at): the other members cannot dial a wildcard");
    }
    std::optional<endpoint> peer;
    if (join_through != nullptr) {
      peer = parse_address(*join_through);
      if (!peer)
        throw startup_error("invalid peer address '" + *join_through + "' (expected host:port)");
    }

    // The data directory first: a locked or corrupt directory must stop us
    // before we listen or talk to anyone.
    storage::storage_options so;
    so.segment_size = opts.segment_bytes;
    so.keep_entries = opts.snapshot_keep_entries;
    // The snapshot's data is read (and its checksum checked) by
    // start_store below, not a second time when the storage opens.
    so.verify_snapshot_on_open = false;
    so.on_warning = [lg = logger](const std::string& w) { lg->warn("storage: {}", w); };
    auto opened = storage::engine::open(opts.data_dir, so);
    if (!opened)
      throw startup_error("cannot open data directory '" + opts.data_dir +
                          "': " + opened.error().what());
    std::shared_ptr<storage::engine> disk = std::move(*opened);
    auto identity = storage::load_identity(opts.data_dir);
    if (!identity)
      throw startup_error("cannot read the identity in '" + opts.data_dir +
                          "': " + identity.error().what());
    if (*identity && (*identity)->removed)
      throw startup_error("node " + std::to_string((*identity)->id.value) +
                          " was removed from its cluster; the data directory '" + opts.data_dir +
                          "' cannot bring it back (start with an empty directory to join anew)");
    if (auto err = net::load_security(opts, identity->has_value(), peer.has_value(), security);
        !err.empty())
      throw startup_error(err);
    if (opts.insecure)
      logger->warn("INSECURE: members talk in plaintext and nobody is authenticated; anyone who "
                   "reaches {} can act as a member. Use this only on a trusted network.",
                   listen_text);
    // A restarted member's store starts from the newest snapshot, or from
    // its own state (store::last_applied_index) where the log allows; the
    // log after it is applied again as the commit index is learned.
    const std::uint64_t restored = actors::start_store(sys, *user_store, *disk, opts.data_dir, *logger);
    started = true;

    setup = std::make_shared<actors::node_setup>();
    setup->opts = opts;
    setup->core_opts = core_options();
    setup->metrics = metrics;
    const actors::snapshot_files files{opts.data_dir, so};
    if (opts.apply_on_own_thread)
      store_a = sys.spawn<caf::detached>(actors::store_actor_impl, user_store, restored, metrics, files);
    else if (opts.node_on_io_thread)
      store_a = actors::spawn_on_io_thread(sys, actors::store_actor_impl, user_store, restored, metrics, files);
    else
      store_a = sys.spawn(actors::store_actor_impl, user_store, restored, metrics, files);
    log = sys.spawn<caf::detached>(actors::log_actor_impl, disk, logger, metrics);
    actors::transfer_limits transfers;
    transfers.max_bytes = opts.max_snapshot_bytes;
    transfers.idle_timeout = opts.snapshot_idle_timeout;
    snapshot_io = sys.spawn<caf::detached>(actors::snapshot_io_impl, opts.data_dir, so, logger, transfers);
    setup->log = log;
    setup->store = store_a;
    setup->snapshot_io = snapshot_io;
    setup->snapshot_path = disk->snapshot_path();

    // Listen before bootstrapping or joining: with port 0 the port is known
    // only now, and it is part of the address the other members will use.
    // The node actor answers nothing but status until it has an id.
    // Only the peer protocol, through the member transport: the node
    // itself is not published, so none of its local signals, and not the
    // mailbox, can be reached from the network.
    actors::transport_limits limits;
    limits.handshake_timeout = opts.handshake_timeout;
    limits.connect_timeout = std::min<std::chrono::milliseconds>(opts.request_timeout, 5s);
    limits.max_frame_bytes = opts.max_message_bytes;
    limits.max_entry_bytes = opts.max_command_bytes;
    limits.stall_timeout = opts.peer_stall_timeout;
    limits.max_connections = opts.max_connections;
    std::uint16_t bound = listen->port;
    auto published =
        actors::spawn_transport(sys, listen->host, bound, wire_identity(), limits, logger, metrics);
    if (!published)
      abort_start("cannot listen on " + listen_text + ": " + sys.render(published.error()) +
                  (listen->port != 0 ? " (is the port in use?)" : ""));
    transport = *published;
    setup->transport = transport;
    node = opts.node_on_io_thread ? actors::spawn_on_io_thread(sys, actors::node_actor_impl, setup)
                                  : sys.spawn(actors::node_actor_impl, setup);
    bridge = sys.spawn(bridge_impl);
    port = bound;
    advertised = advertise ? endpoint{advertise->host, advertise->port != 0 ? advertise->port : port}.to_string()
                           : endpoint{listen->host, port}.to_string();
    setup->address = advertised;

    storage::node_identity me;
    if (*identity) {
      me = **identity;
      logger->info("resuming node {} from {}", me.id.value, opts.data_dir);
    } else if (!peer) {
      me = bootstrap(*disk);
    } else {
      me = join_cluster(*peer);
      if (auto saved = storage::save_identity(opts.data_dir, me); !saved)
        abort_start("joined as node " + std::to_string(me.id.value) +
                    " but cannot record it in '" + opts.data_dir + "': " + saved.error().what());
    }
    id = me.id.value;
    caf::anon_send(transport, actors::serve_signal{caf::actor_cast<actors::peer_interface>(node),
                                                   wire_identity()});
    setup->state = disk->state();
    setup->applied = core::log_index{restored};
    std::vector<member_status> seeds;
    for (const auto& m : me.seed_members) seeds.push_back({m.id.value, m.address, m.voter});
    caf::scoped_actor self{sys};
    self->send(node, actors::start_signal{id, std::move(seeds)});
    setup.reset();  // the node actor keeps its own reference until it starts
  }

  /// A new single-member cluster: its first log entry is its configuration,
  /// so every member that ever joins replicates how the cluster began.
  storage::node_identity bootstrap(storage::engine& disk) {
    if (auto err = net::create_cluster_security(opts, security); !err.empty())
      abort_start("cannot create the cluster's identity in '" + opts.data_dir + "': " + err);
    core::configuration c;
    c.members.push_back(core::member{core::node_id{1}, advertised, true});
    c.max_assigned_id = core::node_id{1};
    const core::entry first{core::raft_term{1}, core::log_index{1},
                            core::entry_kind::configuration, core::encode_configuration(c)};
    storage::node_identity me{core::node_id{1}, c.members};
    auto ok = disk.append(std::span<const core::entry>(&first, 1));
    if (ok) ok = disk.save(core::hard_state{core::raft_term{1}, core::no_node, core::log_index{1}});
    if (ok) {
      if (auto synced = disk.sync(); !synced) ok = synced.error();
    }
    if (ok) ok = storage::save_identity(opts.data_dir, me);
    if (!ok) abort_start("cannot initialize '" + opts.data_dir + "': " + ok.error().what());
    logger->info("started a new cluster {} as node 1 at {}", security.cluster_id, advertised);
    return me;
  }

  /// Asks the cluster, through any member, to add us; retries until the
  /// deadline while there is no leader or the member is unreachable.
  storage::node_identity join_cluster(const endpoint& peer) {
    if (peer.to_string() == advertised) abort_start("cannot join through this node's own address");
    caf::scoped_actor self{sys};
    const auto deadline = std::chrono::steady_clock::now() + 2 * opts.request_timeout;
    std::string last_error = "no answer";
    auto backoff = opts.reconnect_min;
    net::join_body body;
    std::shared_ptr<net::tls_context> tls;
    if (auto err = net::join_credentials(advertised, security, body, tls); !err.empty())
      abort_start(err);
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<net::join_answer> joined;
      bool refused = false;
      actors::guest_join_request r{peer.to_string(), tls,
                                   security.token ? security.token->cluster_id : std::string(), body};
      self->request(transport, opts.request_timeout + 5s, std::move(r))
          .receive([&](net::join_answer& a) { joined = std::move(a); },
                   [&](const caf::error& err) {
                     last_error = sys.render(err);
                     refused = is(err, errc::membership_refused) || is(err, errc::unauthorized);
                   });
      if (joined) {
        if (auto err = net::adopt_join_answer(opts, *joined, security); !err.empty())
          abort_start("joined as node " + std::to_string(joined->id) + " but: " + err);
        storage::node_identity me{core::node_id{joined->id}, joined->members};
        logger->info("joined cluster {} through {} as node {}", security.cluster_id, peer.to_string(),
                     joined->id);
        return me;
      }
      if (refused) break;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, opts.reconnect_max);
    }
    abort_start("cannot join the cluster through " + peer.to_string() + ": " + last_error);
  }

  void stop_actors() {
    caf::scoped_actor self{sys};
    std::vector<caf::actor_addr> waiting;
    for (const auto& a : {caf::actor_cast<caf::actor>(node), caf::actor_cast<caf::actor>(log),
                          caf::actor_cast<caf::actor>(store_a),
                          caf::actor_cast<caf::actor>(snapshot_io)}) {
      if (!a) continue;
      self->monitor(a);
      waiting.push_back(a.address());
    }
    if (node) {
      self->send(node, actors::stop_signal{});
    } else {
      if (log) self->send(log, actors::stop_signal{});
      if (store_a) self->send(store_a, actors::stop_signal{});
      if (snapshot_io) self->send(snapshot_io, actors::stop_signal{});
    }
    // Wait until the log actor has closed the data directory, so the same
    // directory can be opened again at once (a restart in the same process).
    std::size_t down = 0;
    bool timed_out = false;
    while (down < waiting.size() && !timed_out) {
      self->receive([&](const caf::down_msg&) { ++down; },
                    caf::after(std::chrono::seconds(10)) >> [&] { timed_out = true; });
    }
    if (timed_out) logger->warn("shutdown: some actors did not stop within 10 s");
    // The transport last: the node's stubs closed their connections first.
    if (transport) {
      self->send(transport, actors::stop_signal{});
      self->wait_for(transport);
      transport = nullptr;
    }
    if (bridge) {
      // Requests still waiting on the bridge end with a broken promise,
      // answered as shutting_down by ask().
      self->send_exit(bridge, caf::exit_reason::user_shutdown);
      self->wait_for(bridge);
      bridge = nullptr;
    }
    // The detached actors' objects, not just their work, must be gone
    // before we return (see await_destroyed).
    std::vector<std::pair<caf::weak_actor_ptr, const char*>> detached{
        {caf::actor_cast<caf::weak_actor_ptr>(log), "log"},
        {caf::actor_cast<caf::weak_actor_ptr>(snapshot_io), "snapshot io"}};
    if (opts.apply_on_own_thread) detached.emplace_back(caf::actor_cast<caf::weak_actor_ptr>(store_a), "store");
    node = nullptr;
    log = nullptr;
    snapshot_io = nullptr;
    store_a = nullptr;
    await_destroyed(detached);
  }

  /// CAF destroys an actor system only after the thread of every detached
  /// actor has ended, and such a thread ends only when its actor's object is
  /// destroyed: when the last reference to it goes. A stopped actor can still
  /// be referenced for a moment by a message on its way through the
  /// middleman (a down message carries the actor that stopped as its
  /// sender). Should the middleman stop first, such a message is freed only
  /// after that wait, and the process hangs on exit. So we wait here, while
  /// the middleman still runs, until nothing holds them.
  void await_destroyed(const std::vector<std::pair<caf::weak_actor_ptr, const char*>>& detached) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (const auto& [a, what] : detached) {
      if (!a) continue;
      while (a->strong_refs.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (a->strong_refs.load() > 0)
        logger->warn("shutdown: the stopped {} actor is still referenced after 5 s; the actor "
                     "system will wait for it when it is destroyed",
                     what);
    }
  }
};

raft::raft(caf::actor_system& sys, std::string listen_address, std::unique_ptr<store> s,
           options opts)
    : impl_(std::make_unique<impl>(sys, std::move(listen_address), std::move(s), std::move(opts))) {}

raft::~raft() { shutdown(); }

void raft::lead() { impl_->start(nullptr); }

void raft::join(const std::string& peer_address) { impl_->start(&peer_address); }

void raft::join(const std::string& peer_address, const std::string& token) {
  impl_->opts.join_token = token;
  impl_->start(&peer_address);
}

std::string raft::join_token() const {
  return impl_->security.secrets ? net::make_join_token(*impl_->security.secrets) : std::string();
}

std::string raft::cluster_id() const { return impl_->security.cluster_id; }

actraft::mailbox raft::mailbox() const { return caf::actor_cast<actraft::mailbox>(impl_->node); }

std::uint16_t raft::port() const { return impl_->port; }

std::string raft::address() const { return impl_->advertised; }

std::uint64_t raft::id() const { return impl_->id; }

caf::expected<bytes> raft::propose(const bytes& command) {
  return impl_->ask<bytes>(mailbox(), impl_->opts.request_timeout + 1s, propose_atom_v, command);
}

caf::expected<bytes> raft::query(const bytes& request) {
  return impl_->ask<bytes>(mailbox(), impl_->opts.request_timeout + 1s, query_atom_v, request);
}

caf::expected<bytes> raft::query_stale(const bytes& request) {
  return impl_->ask<bytes>(mailbox(), impl_->opts.request_timeout + 1s, stale_query_atom_v, request);
}

caf::expected<node_status> raft::status() {
  return impl_->ask<node_status>(mailbox(), impl_->opts.request_timeout, status_atom_v);
}

caf::expected<std::uint64_t> raft::leave() {
  return impl_->ask<std::uint64_t>(mailbox(), impl_->opts.request_timeout + 1s, leave_atom_v);
}

caf::expected<std::uint64_t> raft::remove_member(std::uint64_t member) {
  return impl_->ask<std::uint64_t>(mailbox(), impl_->opts.request_timeout + 1s, remove_member_atom_v,
                                   member);
}

caf::expected<std::uint64_t> raft::transfer_leadership(std::uint64_t to) {
  return impl_->ask<std::uint64_t>(mailbox(), impl_->opts.request_timeout + 1s, transfer_atom_v, to);
}

caf::expected<std::uint64_t> raft::snapshot_now() {
  return impl_->ask<std::uint64_t>(mailbox(), impl_->opts.request_timeout + 1s, snapshot_atom_v);
}

caf::expected<node_metrics> raft::metrics() {
  return impl_->ask<node_metrics>(mailbox(), impl_->opts.request_timeout, metrics_atom_v);
}

void raft::subscribe(const caf::actor& listener) {
  if (impl_ && impl_->node) caf::anon_send(mailbox(), subscribe_atom_v, listener);
}

void raft::unsubscribe(const caf::actor& listener) {
  if (impl_ && impl_->node) caf::anon_send(mailbox(), unsubscribe_atom_v, listener);
}

void raft::shutdown() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->started) impl_->stop_actors();
}

}  // namespace actraft
