# `cmake --install build --prefix P` (and `make install`): the compiler, the
# runtime (static, shared, and the executables' main), the headers generated
# code and host programs include, pkg-config files, the CMake package, the
# examples and the docs. Nothing installed names the build tree: cratec finds
# its runtime relative to itself, the .pc files relative to their own
# directory, the CMake package relative to its own.
include(CMakePackageConfigHelpers)

install(TARGETS cratec RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS cratert cratert_main ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS cratert_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES runtime/cratert_abi.h runtime/cratert_host.h runtime/cratert_files.h runtime/cratert_recipe.h
              runtime/cratert_hint.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cratec)

file(RELATIVE_PATH CRATERT_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" CRATERT_PC_TO_PREFIX "${CRATERT_PC_TO_PREFIX}")
foreach(pc cratert cratert-static)
  configure_file(cmake/${pc}.pc.in ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

set(CRATEC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cratec)
configure_package_config_file(cmake/cratecConfig.cmake.in ${CMAKE_BINARY_DIR}/cmake/cratecConfig.cmake
  INSTALL_DESTINATION ${CRATEC_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/cratecConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/cratecConfig.cmake ${CMAKE_BINARY_DIR}/cmake/cratecConfigVersion.cmake
        DESTINATION ${CRATEC_CMAKE_DIR})

install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cratec/examples)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
