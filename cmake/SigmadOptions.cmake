# One interface target carries the project's language level, warnings and sanitizer
# flags. Every sigmad target links it PRIVATE, so none of it leaks to consumers.
add_library(sigmad_options INTERFACE)
target_compile_features(sigmad_options INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

option(SIGMAD_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)
option(SIGMAD_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(SIGMAD_FUZZ "Build the libFuzzer targets in fuzz/ (clang only; implies sanitizers)" OFF)

target_compile_options(sigmad_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
# Hardening, as Debian's dpkg-buildflags would ask (and lintian checks in the package):
# a read-only GOT bound at start everywhere; in optimized builds also fortified libc
# calls and stack protection (_FORTIFY_SOURCE needs optimization, so not in Debug).
target_link_options(sigmad_options INTERFACE LINKER:-z,relro LINKER:-z,now)
target_compile_options(sigmad_options INTERFACE
  $<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong>)
if(SIGMAD_WARNINGS_AS_ERRORS)
  target_compile_options(sigmad_options INTERFACE -Werror)
endif()
if(SIGMAD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SIGMAD_FUZZ needs clang (libFuzzer); use the fuzz preset")
  endif()
  # Coverage instrumentation for libFuzzer in every library the targets link.
  target_compile_options(sigmad_options INTERFACE -fsanitize=fuzzer-no-link)
  set(SIGMAD_SANITIZE ON)
endif()
if(SIGMAD_SANITIZE)
  target_compile_options(sigmad_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(sigmad_options INTERFACE -fsanitize=address,undefined)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()
