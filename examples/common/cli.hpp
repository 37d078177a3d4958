// Command-line helpers shared by the examples.
#pragma once

#include <string>
#include <vector>

namespace actraft::examples {

/// CAF 0.17 accepts long options only as "--name=value". People also type
/// "--name value": join such pairs (for options that take a value) so both
/// spellings work. argv[0] is dropped.
inline std::vector<std::string> normalize_args(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const bool long_option = a.size() > 2 && a.rfind("--", 0) == 0 && a.find('=') == std::string::npos;
    const bool flag = a == "--help" || a == "--long-help" || a == "--dump-config";
    if (long_option && !flag && i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      out.push_back(a + "=" + argv[i + 1]);
      ++i;
    } else {
      out.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace actraft::examples
