# `cmake --install <build> --prefix P` (make install PREFIX=P): the public
# headers, the static libraries actraft::actraft needs, a CMake package
# (find_package(actraft CONFIG)) and a pkg-config file (actraft.pc).
include(CMakePackageConfigHelpers)

set(ACTRAFT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/actraft)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/actraft
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# actraft_net is a private dependency of actraft, but a static library's
# private dependencies are linked by its users: it is installed and exported
# too (actraft::net, link only; its headers stay in the source tree).
# The same for actraft_sim, behind the store-testing kit (actraft::testing,
# actraft/testing.hpp).
install(TARGETS actraft actraft_core actraft_driver actraft_storage actraft_net
                actraft_testing actraft_sim
        EXPORT actraftTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT actraftTargets
        NAMESPACE actraft::
        DESTINATION ${ACTRAFT_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/actraftConfig.cmake.in
  ${PROJECT_BINARY_DIR}/actraftConfig.cmake
  INSTALL_DESTINATION ${ACTRAFT_INSTALL_CMAKEDIR})
# Before 1.0 a minor release may change the API (and 0.2 may break what 0.1
# offered), while patch releases keep it: find_package(actraft 0.1) accepts
# 0.1.x only. SameMajorVersion would take 0.9 for 0.1.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/actraftConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
# Debian's CAF 0.17 has no CMake package of its own: the package's
# find_dependency(CAF) uses this module, installed beside actraftConfig.cmake.
install(FILES ${PROJECT_BINARY_DIR}/actraftConfig.cmake
              ${PROJECT_BINARY_DIR}/actraftConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake
        DESTINATION ${ACTRAFT_INSTALL_CMAKEDIR})

# pkg-config: relocatable (the prefix is found from the .pc file's own
# directory), since `cmake --install --prefix` picks the prefix after
# configuring.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ACTRAFT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _up /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
  string(REGEX REPLACE "/$" "" _up "${_up}")
  set(ACTRAFT_PC_PREFIX "\${pcfiledir}/${_up}")
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(ACTRAFT_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(ACTRAFT_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
configure_file(cmake/actraft.pc.in ${PROJECT_BINARY_DIR}/actraft.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/actraft.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
