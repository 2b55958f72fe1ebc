# Checks that the man page source documents every sigmactl exit code, in the words
# `sigmactl --help` uses. Run as: cmake -DMAN=path -P check_man_exit_codes.cmake
file(READ "${MAN}" man)
foreach(pair "0;ok" "1;operation failed" "2;usage error" "3;daemon unreachable" "4;access denied")
  list(GET pair 0 code)
  list(GET pair 1 words)
  string(REGEX MATCH "\\.B ${code}\n${words}" found "${man}")
  if(NOT found)
    message(FATAL_ERROR "${MAN}: exit code ${code} ('${words}') is not documented under EXIT STATUS")
  endif()
endforeach()
