# FindCAF.cmake: Debian's libcaf-dev (CAF 0.17.x) ships no CMake package
# configuration and no pkg-config file. This module finds the headers and
# libraries and creates the imported targets upstream CAF >= 0.18 exports:
#   find_package(CAF 0.17 REQUIRED COMPONENTS core io openssl)
#   -> CAF::core, CAF::io (needs core), CAF::openssl (needs io and OpenSSL)
find_path(CAF_INCLUDE_DIR NAMES caf/all.hpp)
if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE ".* ([0-9]+)$" "\\1" _caf_version_number "${_caf_version_line}")
  math(EXPR _caf_major "${_caf_version_number} / 10000")
  math(EXPR _caf_minor "(${_caf_version_number} / 100) % 100")
  math(EXPR _caf_patch "${_caf_version_number} % 100")
  set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
endif()

if(NOT CAF_FIND_COMPONENTS)
  set(CAF_FIND_COMPONENTS core)
endif()
# Every component needs core; openssl also needs io.
set(_caf_components core)
if("io" IN_LIST CAF_FIND_COMPONENTS OR "openssl" IN_LIST CAF_FIND_COMPONENTS)
  list(APPEND _caf_components io)
endif()
if("openssl" IN_LIST CAF_FIND_COMPONENTS)
  list(APPEND _caf_components openssl)
endif()

find_package(Threads REQUIRED)
foreach(_comp IN LISTS _caf_components)
  find_library(CAF_${_comp}_LIBRARY NAMES caf_${_comp})
  if(NOT CAF_${_comp}_LIBRARY OR NOT CAF_INCLUDE_DIR)
    continue()
  endif()
  set(CAF_${_comp}_FOUND TRUE)
  if(TARGET CAF::${_comp})
    continue()
  endif()
  add_library(CAF::${_comp} UNKNOWN IMPORTED)
  set(_caf_deps Threads::Threads)
  if(_comp STREQUAL "io")
    list(APPEND _caf_deps CAF::core)
  elseif(_comp STREQUAL "openssl")
    find_package(OpenSSL REQUIRED)
    list(APPEND _caf_deps CAF::io CAF::core OpenSSL::SSL OpenSSL::Crypto)
  endif()
  set_target_properties(CAF::${_comp} PROPERTIES
    IMPORTED_LOCATION "${CAF_${_comp}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${_caf_deps}")
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)
mark_as_advanced(CAF_INCLUDE_DIR CAF_core_LIBRARY CAF_io_LIBRARY CAF_openssl_LIBRARY)
