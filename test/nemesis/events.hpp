// What the nemesis driver tells as a run goes, and whether it was told to
// stop. say() writes a line to stdout and to the run directory's events.log,
// stamped with the history's clock so that events line up with history.jsonl
// and the node logs. An interrupt (Ctrl-C, SIGTERM, SIGHUP) only sets a flag
// that every wait checks: the driver then stops, cleans up and reports.
#pragma once

#include <string>

#include "lincheck/history.hpp"

namespace actraft::nemesis {

/// Opens `path` as the event log; from now on lines are stamped with `clock`.
void open_event_log(const std::string& path, const lincheck::history_recorder& clock);
void say(const std::string& line);

/// SIGINT, SIGTERM and SIGHUP set the interrupted flag; SIGPIPE is ignored
/// (a member that dies mid-answer must not kill the driver).
void catch_interrupts();
bool interrupted();

}  // namespace actraft::nemesis
