// lincheck: checks a client history (JSON lines) of the key-value store for
// linearizability.
//
//   lincheck FILE.jsonl [--max-steps N] [--no-shrink]      (FILE "-": stdin)
//
// Exit status: 0 linearizable, 1 not linearizable (the key and a shortest
// offending sub-history are printed), 2 bad input or usage, 3 undecided (the
// step budget of some key ran out and no key was found non-linearizable).
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "lincheck/checker.hpp"
#include "lincheck/history.hpp"

namespace {

int usage(const char* why) {
  std::cerr << "lincheck: " << why << "\n"
            << "usage: lincheck FILE.jsonl [--max-steps N] [--no-shrink]\n"
            << "  FILE.jsonl   one operation per line (docs/testing.md, \"Linearizability checker\"); - reads stdin\n"
            << "  --max-steps  search budget per key (default 100000000); past it: undecided\n"
            << "  --no-shrink  report the whole history of the offending key\n"
            << "exit: 0 linearizable, 1 not linearizable, 2 bad input, 3 undecided\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace actraft::lincheck;
  std::string file;
  check_options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--max-steps" || arg.rfind("--max-steps=", 0) == 0) {
      std::string value;
      if (arg == "--max-steps") {
        if (i + 1 >= argc) return usage("--max-steps needs a number");
        value = argv[++i];
      } else {
        value = arg.substr(std::strlen("--max-steps="));
      }
      char* end = nullptr;
      const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || value[0] == '-' || *end != '\0' || n == 0) return usage("--max-steps needs a positive number");
      options.max_steps = n;
    } else if (arg == "--no-shrink") {
      options.shrink = false;
    } else if (arg == "-h" || arg == "--help") {
      usage("checks a key-value history for linearizability");
      return 0;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage(("unknown option " + arg).c_str());
    } else if (file.empty()) {
      file = arg;
    } else {
      return usage("one history file only");
    }
  }
  if (file.empty()) return usage("no history file");

  std::vector<std::size_t> lines;
  std::vector<operation> history;
  try {
    history = file == "-" ? read_history(std::cin, &lines) : read_history_file(file, &lines);
  } catch (const bad_history& e) {
    std::cerr << "lincheck: " << file << ": " << e.what() << "\n";
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  check_result result;
  try {
    result = check(history, options);
  } catch (const bad_history& e) {
    std::cerr << "lincheck: " << file << ": " << e.what() << "\n";
    return 2;
  }
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  std::cout << file << ": " << format_result(result, history, &lines);
  std::cout << "checked in " << ms << " ms\n";
  switch (result.result) {
    case verdict::linearizable: return 0;
    case verdict::not_linearizable: return 1;
    case verdict::undecided: return 3;
  }
  return 3;
}
