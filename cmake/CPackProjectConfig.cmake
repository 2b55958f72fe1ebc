# Read by cpack for each generator, after `cpack -D` overrides: names the packages
# sigmad_<version>_<arch>.deb and sigmad-<version>.<arch>.rpm.
if(CPACK_GENERATOR STREQUAL "RPM")
  execute_process(COMMAND uname -m OUTPUT_VARIABLE arch OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(CPACK_RPM_PACKAGE_ARCHITECTURE ${arch})
  set(CPACK_RPM_FILE_NAME "${CPACK_PACKAGE_NAME}-${CPACK_PACKAGE_VERSION}.${arch}.rpm")
endif()
