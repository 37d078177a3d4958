#include "support/store_under_test.hpp"

#include <exception>

namespace actraft::sim {

namespace {

std::string node_name(std::uint64_t n) { return "n" + std::to_string(n); }

/// Runs one of the user's calls; what it throws, as text.
template <class F>
std::optional<std::string> thrown_by(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("an exception not derived from std::exception");
  }
  return std::nullopt;
}

}  // namespace

std::string store_under_test::describe(const actraft::bytes& b) {
  constexpr std::size_t shown = 48;
  bool printable = true;
  for (auto c : b) printable = printable && c >= 0x20 && c < 0x7f;
  std::string s;
  if (printable) {
    s = "\"" + std::string(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), shown))) + "\"";
  } else {
    static const char* hex = "0123456789abcdef";
    s = "0x";
    for (std::size_t i = 0; i < std::min(b.size(), shown); ++i) {
      s += hex[b[i] >> 4];
      s += hex[b[i] & 15];
    }
  }
  if (b.size() > shown) s += "... (" + std::to_string(b.size()) + " bytes)";
  return s;
}

const actraft::bytes& store_under_test::command_for(const std::string& sim_command) {
  auto it = commands.find(sim_command);
  if (it == commands.end()) it = commands.emplace(sim_command, next_command()).first;
  return it->second;
}

std::optional<std::string> store_under_test::apply(actraft::store& s, std::uint64_t node,
                                                   const core::entry& e) {
  const std::string text(e.data.get().begin(), e.data.get().end());
  auto cmd = commands.find(text);
  if (cmd == commands.end()) return "index " + std::to_string(e.index.value) + " holds a command nobody proposed";
  ++applies;
  actraft::bytes value;
  auto what = thrown_by([&] { value = actraft::store_access::apply(s, e.index.value, cmd->second); });
  if (what) ++throws;
  std::string result = what ? "threw \"" + *what + "\"" : "returned " + describe(value);
  auto [first, fresh] = results.emplace(e.index.value, outcome{node, result});
  if (fresh || first->second.result == result) return std::nullopt;
  return "apply is not deterministic: command " + describe(cmd->second) + " at index " +
         std::to_string(e.index.value) + " " + first->second.result + " on " +
         node_name(first->second.node) + " but " + result + " on " + node_name(node) +
         (first->second.node == node ? " (after a restart)" : "");
}

std::optional<std::string> store_under_test::capture(actraft::store& s, std::uint64_t node,
                                                     std::uint64_t index, actraft::bytes& out) {
  // As actraft takes it: through capture_snapshot if the store has one.
  std::unique_ptr<actraft::snapshot_capture> held;
  if (auto what = thrown_by([&] { held = actraft::store_access::capture_snapshot(s, index); }))
    return "store::capture_snapshot threw \"" + *what + "\" on " + node_name(node) + " at index " +
           std::to_string(index);
  actraft::detail::bytes_sink sink;
  if (auto what = thrown_by([&] {
        if (held) held->write(sink);
        else actraft::store_access::write_snapshot(s, index, sink);
      }))
    return std::string(held ? "snapshot_capture::write" : "store::write_snapshot") + " threw \"" + *what +
           "\" on " + node_name(node) + " at index " + std::to_string(index);
  out = std::move(sink.data);
  ++snapshots;
  // restore(snapshot()) gives the state back.
  auto fresh = make();
  actraft::detail::bytes_sink again;
  if (auto what = thrown_by([&] {
        actraft::detail::bytes_source source(out);
        actraft::store_access::read_snapshot(*fresh, index, source);
        actraft::store_access::write_snapshot(*fresh, index, again);
      }))
    return "a snapshot taken on " + node_name(node) + " at index " + std::to_string(index) +
           " does not restore: the store threw \"" + *what + "\"";
  if (!same(out, again.data))
    return "restore(snapshot()) does not give the state back: the snapshot taken on " + node_name(node) +
           " at index " + std::to_string(index) + " (" + std::to_string(out.size()) +
           " bytes), restored into a fresh store, snapshots as " + std::to_string(again.data.size()) +
           " other bytes";
  if (held) {
    if (auto problem = check_isolated(*fresh, index, out)) return problem;
  }
  auto [first, fresh_index] = states.emplace(index, std::make_pair(node, out));
  if (fresh_index || same(first->second.second, out)) return std::nullopt;
  std::string last;
  if (auto r = results.find(index); r != results.end()) last = " (the last command there " + r->second.result + ")";
  return "the states differ at index " + std::to_string(index) + ": " + node_name(first->second.first) +
         " and " + node_name(node) + " applied the same commands but their snapshots differ" + last;
}

/// A capture is written while applies go on: `fresh` (holding `state`, at
/// `index`) is captured, applies a few commands, and only then is the
/// capture written. It must still hold `state`.
bool store_under_test::same(const actraft::bytes& a, const actraft::bytes& b) const {
  return same_state ? same_state(a, b) : a == b;
}

std::optional<std::string> store_under_test::check_isolated(actraft::store& fresh, std::uint64_t index,
                                                            const actraft::bytes& state) {
  constexpr std::size_t applies_between = 4;
  std::unique_ptr<actraft::snapshot_capture> c;
  actraft::detail::bytes_sink late;
  std::size_t applied = 0;
  if (auto what = thrown_by([&] {
        c = actraft::store_access::capture_snapshot(fresh, index);
        if (!c) return;
        for (const auto& [text, command] : commands) {
          if (applied == applies_between) break;
          ++applied;
          (void)thrown_by([&] { actraft::store_access::apply(fresh, index + applied, command); });
        }
        c->write(late);
      }))
    return "a capture taken at index " + std::to_string(index) + " could not be written after " +
           std::to_string(applied) + " more commands: the store threw \"" + *what + "\"";
  if (!c || same(state, late.data)) return std::nullopt;
  return "a snapshot_capture is not a copy: captured at index " + std::to_string(index) + " and written after " +
         std::to_string(applied) + " more commands were applied, it holds " + std::to_string(late.data.size()) +
         " bytes that are not the state it captured (" + std::to_string(state.size()) +
         " bytes): the capture shares data that apply changes";
}

std::optional<std::string> store_under_test::restore(actraft::store& s, std::uint64_t node,
                                                     std::uint64_t index, const actraft::bytes& state) {
  ++restores;
  if (auto what = thrown_by([&] {
        actraft::detail::bytes_source source(state);
        actraft::store_access::read_snapshot(s, index, source);
      }))
    return "store::read_snapshot threw \"" + *what + "\" on " + node_name(node);
  return std::nullopt;
}

}  // namespace actraft::sim
