# cmake -DBUILD=<build tree> -DPREFIX=<dir> -P install_prefix.cmake: a fresh
# install of BUILD into PREFIX, then every file users rely on present.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX} OUTPUT_QUIET
                COMMAND_ERROR_IS_FATAL ANY)
foreach(file bin/cratec lib/libcratert.a lib/libcratert.so lib/libcratert_main.a
             include/cratec/cratert_abi.h include/cratec/cratert_host.h
             lib/pkgconfig/cratert.pc lib/pkgconfig/cratert-static.pc
             lib/cmake/cratec/cratecConfig.cmake lib/cmake/cratec/cratecConfigVersion.cmake
             share/cratec/examples/crate_tiny.crate)
  if(NOT EXISTS ${PREFIX}/${file})
    message(FATAL_ERROR "cmake --install did not install ${file}")
  endif()
endforeach()
