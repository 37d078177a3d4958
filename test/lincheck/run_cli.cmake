# Runs the lincheck tool on FILE and fails unless it exits with EXPECT.
# For "undecided" (3) the budget is made tiny.
set(_args ${FILE})
if(EXPECT EQUAL 3)
  list(APPEND _args --max-steps 5)
endif()
execute_process(COMMAND ${TOOL} ${_args} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message("${_out}${_err}")
if(NOT _rc EQUAL EXPECT)
  message(FATAL_ERROR "lincheck ${FILE}: exit ${_rc}, expected ${EXPECT}")
endif()
