# The nemesis can fail: runs it with a planted client bug (reads from a
# member's local state) and passes only if it exits 1 with the history found
# not linearizable. The kept run directory is removed afterwards.
execute_process(COMMAND ${TOOL} --plant-stale-reads --out=${OUT} ${ARGS}
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message("${_out}${_err}")
file(REMOVE_RECURSE ${OUT})
if(NOT _rc EQUAL 1 OR NOT _out MATCHES "history is NOT linearizable")
  message(FATAL_ERROR "nemesis with stale reads planted: exit ${_rc}, expected 1 and a non-linearizable history")
endif()
