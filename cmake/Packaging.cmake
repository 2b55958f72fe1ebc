# Install rules for the appliance and CPack for its .deb and .rpm: both packages come
# from these rules (docs/packaging.md). Paths outside the prefix (/etc, systemd's dirs)
# are absolute: a package always installs into /usr with its config in /etc. (CPack's
# RPM generator marks every file given an absolute destination as %config, so only
# /etc takes one.)

set(pkg ${PROJECT_SOURCE_DIR}/packaging)
set(pkg_build ${PROJECT_BINARY_DIR}/packaging)
file(GLOB baseline_policies RELATIVE ${PROJECT_SOURCE_DIR}/policies/baseline
     CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/policies/baseline/*.yaml)

# --- what the packages hold -----------------------------------------------------------
# (sigmad and sigmactl install themselves: daemon/app, ctl.)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/policies/baseline ${PROJECT_SOURCE_DIR}/policies/meti
                  ${PROJECT_SOURCE_DIR}/policies/strict ${PROJECT_SOURCE_DIR}/policies/schema
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sigmad/policies)
# The active policy set starts as a copy of baseline; config and policies are conffiles.
install(FILES ${pkg}/etc/sigmad.yaml DESTINATION /etc/sigmad)
list(TRANSFORM baseline_policies PREPEND ${PROJECT_SOURCE_DIR}/policies/baseline/
     OUTPUT_VARIABLE baseline_policy_files)
install(FILES ${baseline_policy_files} DESTINATION /etc/sigmad/policies.d)
# systemd's dirs under the prefix, never CMAKE_INSTALL_LIBDIR (lib/x86_64-linux-gnu).
install(FILES ${pkg}/systemd/sigmad.service DESTINATION lib/systemd/system)
install(FILES ${pkg}/sysusers/sigmad.conf DESTINATION lib/sysusers.d)
install(FILES ${pkg}/tmpfiles/sigmad.conf DESTINATION lib/tmpfiles.d)
install(PROGRAMS ${pkg}/libexec/setup DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/sigmad)
install(FILES ${pkg}/bash-completion/sigmactl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# Man pages and the changelog (a native package's, so changelog.gz), compressed as
# Debian wants them (gzip -9n: no name or time stamp, so packages are reproducible).
configure_file(${pkg}/debian/changelog.in ${pkg_build}/changelog @ONLY)
set(compressed)
foreach(page sigmad.8 sigmactl.8 sigmad.yaml.5 sigmad-policy.5)
  string(REGEX MATCH "[0-9]$" section ${page})
  set(source ${PROJECT_SOURCE_DIR}/docs/man/${page})
  set(gz ${pkg_build}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz} DEPENDS ${source}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${pkg_build}/man
                     COMMAND gzip -9n -c ${source} > ${gz} VERBATIM)
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  list(APPEND compressed ${gz})
endforeach()
add_custom_command(OUTPUT ${pkg_build}/changelog.gz DEPENDS ${pkg_build}/changelog
                   COMMAND gzip -9n -c ${pkg_build}/changelog > ${pkg_build}/changelog.gz
                   VERBATIM)
list(APPEND compressed ${pkg_build}/changelog.gz)
add_custom_target(sigmad_package_files ALL DEPENDS ${compressed})
install(FILES ${pkg}/debian/copyright ${pkg_build}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- maintainer scripts -----------------------------------------------------------------
# The purge logic is shared: both postrm scripts get packaging/common/purge-data.sh.
file(READ ${pkg}/common/purge-data.sh SIGMAD_PURGE_DATA_SH)
configure_file(${pkg}/debian/postrm.in ${pkg_build}/debian/postrm @ONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                WORLD_READ WORLD_EXECUTE)
configure_file(${pkg}/rpm/postun.sh.in ${pkg_build}/rpm/postun.sh @ONLY)
set(conffiles "/etc/sigmad/sigmad.yaml\n")
set(rpm_config "%config(noreplace) /etc/sigmad/sigmad.yaml")
foreach(f ${baseline_policies})
  string(APPEND conffiles "/etc/sigmad/policies.d/${f}\n")
  list(APPEND rpm_config "%config(noreplace) /etc/sigmad/policies.d/${f}")
endforeach()
file(WRITE ${pkg_build}/debian/conffiles ${conffiles})
configure_file(${pkg}/debian/postinst ${pkg_build}/debian/postinst COPYONLY)
configure_file(${pkg}/debian/prerm ${pkg_build}/debian/prerm COPYONLY)

# --- CPack ------------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME sigmad)
set(CPACK_PACKAGE_VENDOR "sigmad")
set(CPACK_PACKAGE_CONTACT "sigmad maintainers <maintainers@sigmad.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "On-premises analysis appliance")
# Lines of at most 80 characters (lintian: extended-description-line-too-long).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "sigmad keeps tenants' experiment data encrypted (AES-256-GCM under per-tenant"
  "keys) on your own servers and trains neural-network ensembles on it to predict"
  "outputs, find the factors that drive them and search for inputs that reach"
  "targets. It enforces declarative security policies, takes encrypted backups and"
  "keeps a tamper-evident audit log. sigmactl is its local control CLI.")
set(CPACK_GENERATOR DEB RPM)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/CPackProjectConfig.cmake)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${pkg_build}/debian/postinst ${pkg_build}/debian/prerm
    ${pkg_build}/debian/postrm ${pkg_build}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(CPACK_RPM_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_RPM_PACKAGE_LICENSE "Proprietary")
set(CPACK_RPM_SPEC_MORE_DEFINE "%define packager ${CPACK_PACKAGE_CONTACT}")
configure_file(${pkg}/rpm/changelog.in ${pkg_build}/rpm/changelog @ONLY)
set(CPACK_RPM_CHANGELOG_FILE ${pkg_build}/rpm/changelog)
set(CPACK_RPM_PACKAGE_REQUIRES "systemd")
# The scriptlets run systemd-sysusers, -tmpfiles, -creds and systemctl.
set(CPACK_RPM_PACKAGE_REQUIRES_POST "systemd")
set(CPACK_RPM_PACKAGE_REQUIRES_PREUN "systemd")
set(CPACK_RPM_PACKAGE_REQUIRES_POSTUN "systemd")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_AUTOPROV OFF)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${pkg}/rpm/post.sh)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${pkg}/rpm/preun.sh)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${pkg_build}/rpm/postun.sh)
set(CPACK_RPM_USER_FILELIST ${rpm_config})
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /usr/sbin /usr/lib/systemd /usr/lib/systemd/system /usr/lib/sysusers.d
    /usr/lib/tmpfiles.d /usr/libexec /usr/share/bash-completion
    /usr/share/bash-completion/completions /usr/share/man /usr/share/man/man5
    /usr/share/man/man8 /usr/share/doc)

include(CPack)
