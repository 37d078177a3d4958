#include "lincheck/history.hpp"

#include <fstream>
#include <istream>
#include <ostream>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace actraft::lincheck {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& what) { throw bad_history(0, what); }

std::string quoted(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

const std::set<std::string, std::less<>>& known_fields() {
  static const std::set<std::string, std::less<>> fields{
      "client", "op", "key", "value", "found", "expected", "swapped",
      "existed", "invoke", "complete", "outcome", "meta"};
  return fields;
}

std::int64_t get_time(const json& j, const char* field) {
  const auto& v = j.at(field);
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) fail(std::string("\"") + field + "\" out of range");
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  fail(std::string("\"") + field + "\" must be an integer");
}

std::string get_string(const json& j, const char* field) {
  const auto it = j.find(field);
  if (it == j.end()) fail(std::string("missing \"") + field + "\"");
  if (!it->is_string()) fail(std::string("\"") + field + "\" must be a string");
  return it->get<std::string>();
}

std::optional<bool> get_bool(const json& j, const char* field) {
  const auto it = j.find(field);
  if (it == j.end()) return std::nullopt;
  if (!it->is_boolean()) fail(std::string("\"") + field + "\" must be true or false");
  return it->get<bool>();
}

void forbid(const json& j, const char* field, const char* why) {
  if (j.contains(field)) fail(std::string("\"") + field + "\" not allowed " + why);
}

}  // namespace

const char* to_string(op_kind k) {
  switch (k) {
    case op_kind::put: return "put";
    case op_kind::get: return "get";
    case op_kind::del: return "delete";
    case op_kind::cas: return "cas";
  }
  return "?";
}

const char* to_string(outcome o) {
  switch (o) {
    case outcome::ok: return "ok";
    case outcome::failed: return "failed";
    case outcome::unknown: return "unknown";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, op_kind k) { return out << to_string(k); }
std::ostream& operator<<(std::ostream& out, outcome o) { return out << to_string(o); }

std::string describe(const operation& op) {
  std::string s = std::string(to_string(op.kind)) + " " + op.key;
  const bool ok = op.result == outcome::ok;
  switch (op.kind) {
    case op_kind::put:
      s += " = " + quoted(op.value.value_or(""));
      break;
    case op_kind::get:
      if (ok) s += op.value ? " -> " + quoted(*op.value) : " -> (not found)";
      break;
    case op_kind::del:
      if (ok && op.existed) s += *op.existed ? " (existed)" : " (did not exist)";
      break;
    case op_kind::cas:
      s += " " + (op.expected ? quoted(*op.expected) : std::string("(absent)")) + " -> " +
           quoted(op.value.value_or(""));
      if (ok && !op.swapped) s += " (not swapped)";
      break;
  }
  return s;
}

bad_history::bad_history(std::size_t line, const std::string& what)
    : std::runtime_error(line ? "line " + std::to_string(line) + ": " + what : what), line_(line) {}

std::string to_json_line(const operation& op) {
  ordered_json j;
  j["client"] = op.client;
  j["op"] = to_string(op.kind);
  j["key"] = op.key;
  const bool ok = op.result == outcome::ok;
  switch (op.kind) {
    case op_kind::put:
      j["value"] = op.value.value_or("");
      break;
    case op_kind::get:
      if (ok) {
        if (op.value) j["value"] = *op.value;
        else j["found"] = false;
      }
      break;
    case op_kind::del:
      if (ok && op.existed) j["existed"] = *op.existed;
      break;
    case op_kind::cas:
      if (op.expected) j["expected"] = *op.expected;
      j["value"] = op.value.value_or("");
      if (ok) j["swapped"] = op.swapped;
      break;
  }
  j["invoke"] = op.invoke;
  if (op.complete) j["complete"] = *op.complete;
  j["outcome"] = to_string(op.result);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

operation parse_line(std::string_view line) {
  json j;
  try {
    j = json::parse(line.begin(), line.end());
  } catch (const json::parse_error& e) {
    fail(std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) fail("a record must be a JSON object");
  for (const auto& [name, v] : j.items()) {
    if (!known_fields().contains(name)) fail("unknown field \"" + name + "\" (extra data goes in \"meta\")");
  }
  operation op;
  try {
    const auto& c = j.at("client");
    if (!c.is_number_unsigned()) fail("\"client\" must be a non-negative integer");
    op.client = c.get<std::uint64_t>();

    const std::string kind = get_string(j, "op");
    if (kind == "put") op.kind = op_kind::put;
    else if (kind == "get") op.kind = op_kind::get;
    else if (kind == "delete") op.kind = op_kind::del;
    else if (kind == "cas") op.kind = op_kind::cas;
    else fail("\"op\" must be put, get, delete or cas, not \"" + kind + "\"");

    op.key = get_string(j, "key");

    const std::string res = get_string(j, "outcome");
    if (res == "ok") op.result = outcome::ok;
    else if (res == "failed") op.result = outcome::failed;
    else if (res == "unknown") op.result = outcome::unknown;
    else fail("\"outcome\" must be ok, failed or unknown, not \"" + res + "\"");

    op.invoke = get_time(j, "invoke");
    const auto cit = j.find("complete");
    if (cit != j.end() && !cit->is_null()) op.complete = get_time(j, "complete");
    if (!op.complete && op.result != outcome::unknown) fail("\"complete\" is required unless the outcome is unknown");
    if (op.complete && *op.complete < op.invoke) fail("\"complete\" is before \"invoke\"");
  } catch (const json::exception& e) {
    fail(std::string("missing or wrong field: ") + e.what());
  }

  const bool ok = op.result == outcome::ok;
  const auto found = get_bool(j, "found");
  const auto swapped = get_bool(j, "swapped");
  op.existed = get_bool(j, "existed");
  switch (op.kind) {
    case op_kind::put:
      op.value = get_string(j, "value");
      forbid(j, "found", "on put");
      forbid(j, "expected", "on put");
      break;
    case op_kind::get:
      forbid(j, "expected", "on get");
      if (ok) {
        if (found == false) {
          forbid(j, "value", "with \"found\":false");
        } else {
          op.value = get_string(j, "value");
        }
      } else {
        forbid(j, "value", "on a get that is not ok (nothing was read)");
        forbid(j, "found", "on a get that is not ok (nothing was read)");
      }
      break;
    case op_kind::del:
      forbid(j, "value", "on delete");
      forbid(j, "found", "on delete");
      forbid(j, "expected", "on delete");
      if (op.existed && !ok) fail("\"existed\" only on a delete with outcome ok");
      break;
    case op_kind::cas:
      forbid(j, "found", "on cas");
      op.value = get_string(j, "value");
      if (const auto it = j.find("expected"); it != j.end() && !it->is_null()) {
        op.expected = get_string(j, "expected");
      }
      if (swapped && !ok) fail("\"swapped\" only on a cas with outcome ok");
      op.swapped = swapped.value_or(true);
      break;
  }
  if (op.kind != op_kind::cas) forbid(j, "swapped", "except on cas");
  if (op.kind != op_kind::del) forbid(j, "existed", "except on delete");
  return op;
}

std::vector<operation> read_history(std::istream& in, std::vector<std::size_t>* line_numbers) {
  std::vector<operation> ops;
  if (line_numbers) line_numbers->clear();
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      ops.push_back(parse_line(line));
    } catch (const bad_history& e) {
      throw bad_history(n, e.what());
    }
    if (line_numbers) line_numbers->push_back(n);
  }
  if (in.bad()) throw bad_history(0, "read error");
  return ops;
}

std::vector<operation> read_history_file(const std::string& path, std::vector<std::size_t>* line_numbers) {
  std::ifstream in(path);
  if (!in) throw bad_history(0, "cannot open " + path);
  return read_history(in, line_numbers);
}

void write_history(std::ostream& out, const std::vector<operation>& ops) {
  for (const auto& op : ops) out << to_json_line(op) << '\n';
}

// --- history_recorder ---------------------------------------------------------

history_recorder::history_recorder()
    : clock_([origin = std::chrono::steady_clock::now()] {
        return static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - origin)
                .count());
      }) {}

history_recorder::history_recorder(clock_fn clock) : clock_(std::move(clock)) {}

std::int64_t history_recorder::now() const { return clock_(); }

history_recorder::ticket history_recorder::start(operation op) {
  op.result = outcome::unknown;
  op.complete.reset();
  std::lock_guard lock(mu_);
  // Read the clock under the lock: invocation times then follow ticket order.
  op.invoke = clock_();
  ops_.push_back(std::move(op));
  done_.push_back(false);
  return ops_.size() - 1;
}

history_recorder::ticket history_recorder::invoke_put(std::uint64_t client, std::string key, std::string value) {
  operation op;
  op.client = client;
  op.kind = op_kind::put;
  op.key = std::move(key);
  op.value = std::move(value);
  return start(std::move(op));
}

history_recorder::ticket history_recorder::invoke_get(std::uint64_t client, std::string key) {
  operation op;
  op.client = client;
  op.kind = op_kind::get;
  op.key = std::move(key);
  return start(std::move(op));
}

history_recorder::ticket history_recorder::invoke_delete(std::uint64_t client, std::string key) {
  operation op;
  op.client = client;
  op.kind = op_kind::del;
  op.key = std::move(key);
  return start(std::move(op));
}

history_recorder::ticket history_recorder::invoke_cas(std::uint64_t client, std::string key,
                                                      std::optional<std::string> expected, std::string value) {
  operation op;
  op.client = client;
  op.kind = op_kind::cas;
  op.key = std::move(key);
  op.expected = std::move(expected);
  op.value = std::move(value);
  return start(std::move(op));
}

operation& history_recorder::pending(ticket t) {
  if (t >= ops_.size()) throw std::out_of_range("history_recorder: bad ticket");
  if (done_[t]) throw std::logic_error("history_recorder: operation completed twice");
  return ops_[t];
}

void history_recorder::finish(ticket t, outcome o) {
  auto& op = pending(t);
  const auto now = clock_();
  op.complete = now < op.invoke ? op.invoke : now;
  op.result = o;
  done_[t] = true;
}

void history_recorder::ok(ticket t) {
  std::lock_guard lock(mu_);
  if (pending(t).kind == op_kind::get) throw std::logic_error("history_recorder: a get completes with ok_get");
  finish(t, outcome::ok);
}

void history_recorder::ok_get(ticket t, std::optional<std::string> value) {
  std::lock_guard lock(mu_);
  auto& op = pending(t);
  if (op.kind != op_kind::get) throw std::logic_error("history_recorder: ok_get on a " + describe(op));
  op.value = std::move(value);
  finish(t, outcome::ok);
}

void history_recorder::ok_cas(ticket t, bool swapped) {
  std::lock_guard lock(mu_);
  auto& op = pending(t);
  if (op.kind != op_kind::cas) throw std::logic_error("history_recorder: ok_cas on a " + describe(op));
  op.swapped = swapped;
  finish(t, outcome::ok);
}

void history_recorder::ok_delete(ticket t, bool existed) {
  std::lock_guard lock(mu_);
  auto& op = pending(t);
  if (op.kind != op_kind::del) throw std::logic_error("history_recorder: ok_delete on a " + describe(op));
  op.existed = existed;
  finish(t, outcome::ok);
}

void history_recorder::failed(ticket t) {
  std::lock_guard lock(mu_);
  finish(t, outcome::failed);
}

void history_recorder::unknown(ticket t) {
  std::lock_guard lock(mu_);
  finish(t, outcome::unknown);
}

void history_recorder::record(operation op) {
  std::lock_guard lock(mu_);
  ops_.push_back(std::move(op));
  done_.push_back(true);
}

std::vector<operation> history_recorder::history() const {
  std::lock_guard lock(mu_);
  return ops_;  // pending ones already carry outcome unknown and no completion
}

std::size_t history_recorder::size() const {
  std::lock_guard lock(mu_);
  return ops_.size();
}

void history_recorder::write_jsonl(std::ostream& out) const { write_history(out, history()); }

void history_recorder::write_jsonl(const std::string& path) const {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error("history_recorder: cannot write " + path);
  write_jsonl(out);
  out.flush();
  if (!out) throw std::runtime_error("history_recorder: error writing " + path);
}

}  // namespace actraft::lincheck
