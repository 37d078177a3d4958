# Fails if anything under src/ or include/actraft/{core,driver,storage} includes
# a CAF header: the Raft core, the driver and the storage layer build without CAF.
file(GLOB_RECURSE _files
     "${ROOT}/src/*.cpp" "${ROOT}/src/*.hpp"
     "${ROOT}/include/actraft/core/*.hpp" "${ROOT}/include/actraft/driver/*.hpp"
     "${ROOT}/include/actraft/storage/*.hpp")
set(_offenders "")
foreach(_f IN LISTS _files)
  file(STRINGS "${_f}" _hits REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]caf/")
  if(_hits)
    list(APPEND _offenders "${_f}: ${_hits}")
  endif()
endforeach()
list(LENGTH _files _count)
if(_offenders)
  string(REPLACE ";" "\n  " _msg "${_offenders}")
  message(FATAL_ERROR "CAF included outside actors/:\n  ${_msg}")
endif()
message(STATUS "checked ${_count} core/driver/storage files: no CAF includes")
