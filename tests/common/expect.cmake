# cmake -DSTATUS=N -DEXPECT=REGEX -P expect.cmake -- COMMAND [ARG...]
# Passes when COMMAND exits with status N and its output (stdout and stderr
# together) matches REGEX: CTest's PASS_REGULAR_EXPRESSION ignores the exit
# status, and WILL_FAIL cannot be combined with it.
set(command)
set(in_command FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(in_command)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(in_command TRUE)
  endif()
endforeach()
if(NOT command OR NOT DEFINED STATUS OR NOT DEFINED EXPECT)
  message(FATAL_ERROR "usage: cmake -DSTATUS=N -DEXPECT=REGEX -P expect.cmake -- COMMAND [ARG...]")
endif()

execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
message("${output}")
if(NOT "${status}" STREQUAL "${STATUS}")
  message(FATAL_ERROR "exit status ${status}, expected ${STATUS}")
endif()
if(NOT "${output}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "the output does not match '${EXPECT}'")
endif()
