// Model-based randomized test: random sequences of append / truncate / hard
// state / sync / snapshot / compact / failing writes / clean reopen / crash
// are applied both to the storage and to a plain in-memory model; after
// every reopen the recovered state must equal the model's (the state at the
// last sync for a crash). A failure names the seed; rerun one seed with
// ACTRAFT_STORAGE_SEED=<seed>, more sequences with ACTRAFT_STORAGE_SEQUENCES.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdlib>
#include <random>

#include "helpers.hpp"

using namespace actraft;
using namespace actraft::storage;
using namespace actraft::storage::test;

namespace {

struct model {
  core::hard_state hs;
  core::snapshot_meta snap;
  std::vector<std::uint8_t> snap_data;
  bool has_snap = false;
  std::uint64_t base = 0;
  std::vector<core::entry> log;  // base+1 .. last

  [[nodiscard]] std::uint64_t last() const { return base + log.size(); }
  [[nodiscard]] std::optional<std::uint64_t> term_at(std::uint64_t i) const {
    if (i == snap.index.value) return snap.term.value;
    if (i <= base || i > last()) return std::nullopt;
    return log[i - base - 1].term.value;
  }
  void drop_from(std::uint64_t from) {
    if (from <= base) {
      log.clear();
      base = from - 1;
    } else if (from <= last()) {
      log.resize(from - base - 1);
    }
  }
};

std::uint64_t env_or(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : dflt;
}

/// /dev/shm when available: this test checks logic, not the disk, and
/// fsyncs on tmpfs cost nothing.
std::string fast_tmp() { return fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp"; }

struct shm_dir {
  std::string path;
  shm_dir() {
    std::string tmpl = fast_tmp() + "/actraft-storage-model-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~shm_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void check_equal(engine& s, const model& m, std::uint64_t seed, int step) {
  BOOST_TEST_CONTEXT("seed " << seed << " step " << step) {
    auto ps = s.state();
    BOOST_REQUIRE((ps.state == m.hs));
    BOOST_REQUIRE((ps.snapshot == m.snap));
    BOOST_REQUIRE_EQUAL(s.last_index().value, m.last());
    std::vector<core::entry> expect;
    for (const auto& e : m.log)
      if (e.index > m.snap.index) expect.push_back(e);
    BOOST_REQUIRE_EQUAL(ps.entries.size(), expect.size());
    BOOST_REQUIRE((ps.entries == expect));
    // Entries kept before the snapshot must be the model's too.
    auto lo = std::max(s.first_index().value, m.base + 1);
    if (lo <= m.snap.index.value) {
      auto kept = s.entries(core::log_index{lo}, m.snap.index);
      BOOST_REQUIRE_MESSAGE(kept.ok(), describe(kept));
      for (const auto& e : *kept) BOOST_REQUIRE((e == m.log[e.index.value - m.base - 1]));
    }
    if (m.has_snap) {
      auto r = s.open_snapshot();
      BOOST_REQUIRE_MESSAGE(r.ok(), describe(r));
      auto data = r->read_all();
      BOOST_REQUIRE_MESSAGE(data.ok(), describe(data));
      BOOST_REQUIRE((*data == m.snap_data));
    }
  }
}

void run_sequence(std::uint64_t seed) {
  std::mt19937_64 rng{seed};
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::uint64_t>{lo, hi}(rng);
  };
  shm_dir dir;
  storage_options opts;
  const std::uint64_t seg_sizes[] = {200, 700, 4096, 1 << 20};
  opts.segment_size = seg_sizes[pick(0, 3)];
  opts.keep_entries = pick(0, 2) * 5;
  // A write fault armed by the "failing sync" step, cleared right after.
  auto fail_next = std::make_shared<std::optional<std::size_t>>();
  opts.fault = [fail_next](const std::string&, std::size_t size) -> std::optional<write_fault> {
    if (!*fail_next) return std::nullopt;
    return write_fault{std::min(size, **fail_next), ENOSPC};
  };
  auto s = open_ok(dir.path, opts);
  model cur;
  model durable;
  std::uint64_t term = 1;
  const bool trace = std::getenv("ACTRAFT_STORAGE_TRACE") != nullptr;
  auto say = [&](const std::string& what) {
    if (trace)
      std::fprintf(stderr, "  %s -> last %llu snap %llu base %llu\n", what.c_str(),
                   static_cast<unsigned long long>(cur.last()),
                   static_cast<unsigned long long>(cur.snap.index.value),
                   static_cast<unsigned long long>(cur.base));
  };
  const int steps = 40;
  for (int step = 0; step < steps; ++step) {
    auto op = pick(0, 99);
    if (op < 35) {  // append, sometimes replacing a suffix
      auto lo = std::max(cur.snap.index.value + 1, cur.last() > 6 ? cur.last() - 6 : 1);
      auto first = pick(lo, cur.last() + 1);
      if (first <= cur.last() || pick(0, 5) == 0) term += pick(0, 1);
      std::vector<core::entry> es;
      auto n = pick(1, 8);
      for (std::uint64_t i = 0; i < n; ++i)
        es.push_back(make_entry(first + i, term, pick(0, 60), seed * 1000 + static_cast<std::uint64_t>(step)));
      auto r = s->append(es);
      BOOST_REQUIRE_MESSAGE(r.ok(), "seed " << seed << ": " << describe(r));
      cur.drop_from(first);
      cur.log.insert(cur.log.end(), es.begin(), es.end());
      say("append " + std::to_string(first) + "+" + std::to_string(n) + " t" + std::to_string(term));
    } else if (op < 42) {  // truncate a suffix
      if (cur.last() <= cur.snap.index.value) continue;
      auto from = pick(cur.snap.index.value + 1, cur.last() + 1);
      auto r = s->truncate_suffix(core::log_index{from});
      BOOST_REQUIRE_MESSAGE(r.ok(), "seed " << seed << ": " << describe(r));
      cur.drop_from(from);
      say("truncate " + std::to_string(from));
    } else if (op < 50) {  // hard state
      cur.hs = core::hard_state{core::raft_term{term}, core::node_id{pick(0, 3)}, core::log_index{pick(0, cur.last())}};
      BOOST_REQUIRE(s->save(cur.hs).ok());
    } else if (op < 65) {  // sync
      auto r = s->sync();
      BOOST_REQUIRE_MESSAGE(r.ok(), "seed " << seed << ": " << describe(r));
      BOOST_REQUIRE_EQUAL(r->value, cur.last());
      durable = cur;
      say("sync");
    } else if (op < 70) {  // a sync that hits a full disk, then succeeds once "space is freed"
      *fail_next = pick(0, 300);
      auto r = s->sync();
      *fail_next = std::nullopt;
      if (!r) BOOST_REQUIRE_EQUAL(r.error().code, storage_errc::no_space);
      auto r2 = s->sync();
      BOOST_REQUIRE_MESSAGE(r2.ok(), "seed " << seed << ": " << describe(r2));
      BOOST_REQUIRE_EQUAL(r2->value, cur.last());
      durable = cur;
      say("failing sync");
    } else if (op < 78) {  // snapshot: of our own log, or "installed" from a leader
      std::uint64_t idx = 0;
      std::uint64_t t = 0;
      if (pick(0, 2) != 0 && cur.last() >= cur.snap.index.value) {
        idx = pick(cur.snap.index.value, cur.last());
        t = *cur.term_at(idx);
      } else {
        idx = pick(cur.snap.index.value, cur.last() + 10);
        term += 1;
        t = term;
      }
      auto meta = make_meta(idx, t);
      auto data = snapshot_data(pick(0, 300), seed + static_cast<std::uint64_t>(step));
      auto r = s->save_snapshot(meta, data);
      BOOST_REQUIRE_MESSAGE(r.ok(), "seed " << seed << ": " << describe(r));
      const bool keeps = cur.term_at(idx) == t;
      cur.snap = meta;
      cur.snap_data = data;
      cur.has_snap = true;
      if (!keeps || cur.last() < idx) {
        cur.log.clear();
        cur.base = idx;
      }
      durable = cur;  // committing a snapshot syncs
      say("snapshot " + std::to_string(idx) + " t" + std::to_string(t));
    } else if (op < 85) {  // compact
      auto upto = pick(0, cur.snap.index.value);
      auto r = s->compact(core::log_index{upto});
      BOOST_REQUIRE_MESSAGE(r.ok(), "seed " << seed << ": " << describe(r));
      auto point = upto >= opts.keep_entries ? upto - opts.keep_entries : 0;
      // Compaction only forgets what the snapshot covers, durable or not.
      for (model* m : {&cur, &durable}) {
        while (!m->log.empty() && m->base < point) {
          m->log.erase(m->log.begin());
          ++m->base;
        }
        if (m->log.empty() && m->base < point) m->base = point;
      }
      say("compact " + std::to_string(upto));
    } else {  // reopen: clean (sync first) or a crash (unsynced work lost)
      const bool crash = pick(0, 1) == 0;
      if (!crash) {
        auto r = s->sync();
        BOOST_REQUIRE_MESSAGE(r.ok(), "seed " << seed << ": " << describe(r));
        durable = cur;
      }
      s.reset();
      s = open_ok(dir.path, opts);
      BOOST_REQUIRE_MESSAGE(s->warnings().empty(),
                            "seed " << seed << ": unexpected warning "
                                    << (s->warnings().empty() ? std::string{} : s->warnings().front()));
      cur = durable;
      say(crash ? "crash+reopen" : "reopen");
      check_equal(*s, cur, seed, step);
    }
  }
  auto r = s->sync();
  BOOST_REQUIRE(r.ok());
  s.reset();
  s = open_ok(dir.path, opts);
  check_equal(*s, cur, seed, steps);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_based)

BOOST_AUTO_TEST_CASE(random_sequences_match_the_model) {
  const auto first = env_or("ACTRAFT_STORAGE_SEED", 1);
  const auto n = std::getenv("ACTRAFT_STORAGE_SEED") != nullptr ? 1 : env_or("ACTRAFT_STORAGE_SEQUENCES", 2000);
  for (std::uint64_t seed = first; seed < first + n; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed << " (rerun: ACTRAFT_STORAGE_SEED=" << seed << ")") {
      run_sequence(seed);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
