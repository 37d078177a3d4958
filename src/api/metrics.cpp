// node_metrics in the Prometheus text exposition format (version 0.0.4).
#include "actraft/metrics.hpp"

#include <cstdio>
#include <initializer_list>
#include <utility>

namespace actraft {

namespace {

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

class writer {
 public:
  /// A metric family's HELP and TYPE lines.
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP actraft_";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE actraft_";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  /// One sample; label values are ours (names of kinds and codes), never
  /// a user's text, so they need no escaping beyond what they are.
  void sample(const std::string& name, std::initializer_list<std::pair<const char*, std::string>> labels,
              const std::string& value) {
    out_ += "actraft_";
    out_ += name;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += k;
        out_ += "=\"";
        out_ += v;
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  void single(const char* name, const char* type, const char* help, std::uint64_t value) {
    family(name, type, help);
    sample(name, {}, std::to_string(value));
  }

  void hist(const char* name, const char* help, const histogram& h) {
    family(name, "histogram", help);
    std::uint64_t cumulative = 0;
    const std::string n = name;
    for (std::size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      sample(n + "_bucket", {{"le", number(h.bounds[i])}}, std::to_string(cumulative));
    }
    sample(n + "_bucket", {{"le", "+Inf"}}, std::to_string(h.count));
    sample(n + "_sum", {}, number(h.sum));
    sample(n + "_count", {}, std::to_string(h.count));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string prometheus_text(const node_metrics& m) {
  writer w;
  w.single("node_id", "gauge", "This member's id (0 while joining).", m.id);
  w.family("role", "gauge", "1 for the member's current role, 0 for the others.");
  for (auto r : {node_role::joining, node_role::follower, node_role::pre_candidate, node_role::candidate,
                 node_role::leader, node_role::removed, node_role::stopped})
    w.sample("role", {{"role", std::string(to_string(r))}}, m.role == r ? "1" : "0");
  w.single("term", "gauge", "The member's current Raft term.", m.term);
  w.single("leader_id", "gauge", "The leader this member follows (0: none known).", m.leader_id);
  w.single("commit_index", "gauge", "Highest log index known to be committed.", m.commit_index);
  w.single("applied_index", "gauge", "Highest log index applied to the store.", m.applied_index);
  w.single("last_index", "gauge", "The last index in this member's log.", m.last_index);
  w.single("snapshot_index", "gauge", "Index of the snapshot in force.", m.snapshot_index);
  w.single("members", "gauge", "Members in the configuration this member knows.", m.members);
  w.single("voters", "gauge", "Voting members in that configuration.", m.voters);
  w.single("pending_requests", "gauge", "Requests open on this member.", m.pending_requests);
  w.single("subscribers", "gauge", "Actors subscribed to this member's events.", m.subscribers);

  w.family("requests_total", "counter", "Requests this member answered, by kind and outcome.");
  for (const auto& r : m.requests)
    w.sample("requests_total", {{"kind", r.kind}, {"outcome", r.outcome}}, std::to_string(r.count));
  w.single("entries_committed_total", "counter", "Log entries this member learned were committed.",
           m.entries_committed);
  w.single("entries_applied_total", "counter", "Commands applied to the store.", m.entries_applied);
  w.single("log_bytes_written_total", "counter", "Entry data appended to the log, in bytes.",
           m.log_bytes_written);
  w.single("elections_started_total", "counter", "Times this member became a candidate.",
           m.elections_started);
  w.single("elections_won_total", "counter", "Times this member became leader.", m.elections_won);
  w.single("leader_changes_total", "counter", "Times this member learned of a new leader.",
           m.leader_changes);
  w.family("messages_sent_total", "counter", "Raft messages sent, by type.");
  for (const auto& c : m.messages) w.sample("messages_sent_total", {{"type", c.type}}, std::to_string(c.sent));
  w.family("messages_received_total", "counter", "Raft messages received, by type.");
  for (const auto& c : m.messages)
    w.sample("messages_received_total", {{"type", c.type}}, std::to_string(c.received));
  w.family("network_sent_bytes_total", "counter", "Bytes sent to other members, by frame kind (before TLS).");
  for (const auto& t : m.traffic)
    w.sample("network_sent_bytes_total", {{"frame", t.frame}}, std::to_string(t.bytes_sent));
  w.family("network_received_bytes_total", "counter",
           "Bytes received from other members, by frame kind (after TLS).");
  for (const auto& t : m.traffic)
    w.sample("network_received_bytes_total", {{"frame", t.frame}}, std::to_string(t.bytes_received));
  w.single("snapshots_taken_total", "counter", "Snapshots of its own store this member put in force.",
           m.snapshots_taken);
  w.single("snapshots_installed_total", "counter", "Snapshots received from a leader and installed.",
           m.snapshots_installed);
  w.single("snapshot_sent_bytes_total", "counter", "Snapshot data sent to followers, in bytes.",
           m.snapshot_bytes_sent);
  w.single("snapshot_received_bytes_total", "counter", "Snapshot data received from leaders, in bytes.",
           m.snapshot_bytes_received);
  w.single("read_rounds_total", "counter", "Heartbeat rounds this leader started to confirm reads.",
           m.read_rounds);
  w.family("reads_total", "counter", "Linearizable reads settled (ok) or not confirmed (failed).");
  w.sample("reads_total", {{"outcome", "ok"}}, std::to_string(m.reads_ok));
  w.sample("reads_total", {{"outcome", "failed"}}, std::to_string(m.reads_failed));

  w.single("storage_errors_total", "counter",
           "Log writes that failed (disk full, I/O error); each retry counts.", m.storage_errors);

  w.hist("apply_duration_seconds", "Time store::apply took for one command.", m.apply_seconds);
  w.hist("fsync_duration_seconds", "Time one durable log write took (append and sync).", m.fsync_seconds);
  w.hist("fsync_entries", "Entries made durable by one sync.", m.fsync_entries);
  return w.take();
}

}  // namespace actraft
